"""Commands that run and convert workflows: run, nodes, workflow validate, workflow export-comfyui."""

from __future__ import annotations

import json
from pathlib import Path

import click

from muselab.cli.base import emit, format_option, pass_lab
from muselab.errors import BadInput


def _pairs(items: tuple[str, ...], option: str, shape: str) -> dict[str, str]:
    """NAME=VALUE arguments as a dict, with a one-line error for any other shape."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise BadInput(f"{option} takes {shape}, got {item!r}")
        out[name] = value
    return out


def _json_or_text(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _invalid(fmt: str, exc) -> None:
    """A workflow that does not validate: every problem, as text lines or JSON, exit 2."""
    if fmt != "json":
        raise exc
    click.echo(json.dumps(exc.to_dict(), indent=2))
    raise SystemExit(2)


@click.command()
@click.argument("workflow_file", type=click.Path(path_type=Path))
@click.option("--input", "inputs", multiple=True, metavar="NAME=VALUE",
              help="Fill a named input: a file path for images, videos and audio, the text for prompt.")
@click.option("--set", "sets", multiple=True, metavar="NODE.INPUT=VALUE",
              help="Override one node input; VALUE is JSON if it parses (2, 0.5, true), else text.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="Where outputs are written.")
@click.option("--no-cache", is_flag=True, help="Run every node again instead of reusing cached results (local runs).")
@click.option("--on", "server", metavar="URL", default=None,
              help="Run on the ComfyUI server at this http(s) URL instead of here on the CPU.")
@click.option("--token-env", metavar="VAR", default=None,
              help="With --on: the environment variable holding the server's token (sent as a Bearer header).")
@format_option("text", "json")
@pass_lab
def run(state, workflow_file, inputs, sets, out_dir, no_cache, server, token_env, fmt):
    """Run a workflow (JSON in ComfyUI's API shape): locally on the CPU, or on a ComfyUI server with --on.

    Local runs (the default): the whole graph is checked first: unknown nodes,
    missing inputs, wrong link types, values out of range, cycles, a missing
    output node, named inputs without a value and missing weight files are all
    reported together (exit 2) and nothing runs. Node results are cached, so a
    re-run only runs what changed. Images are saved as PNG with the workflow in
    their text chunks.

    Server runs (--on http://HOST:8188): for ComfyUI templates and anything that
    needs a GPU. The input files are uploaded, the graph is queued, progress is
    followed on ComfyUI's websocket and the outputs are downloaded into --out;
    model files the server lacks are named (with their URL) before anything is
    queued, and Ctrl-C interrupts the prompt on the server.

    \b
    Examples:
      muselab run up.json --input image=photo.png --out out/
      muselab run wan.json --on http://127.0.0.1:8188 --input image=start.png --out out/
    """
    from muselab.workflow.graph import WorkflowInvalid

    overrides = {k: _json_or_text(v) for k, v in _pairs(sets, "--set", "NODE.INPUT=VALUE").items()}
    if token_env and not server:
        raise BadInput("--token-env goes with --on URL (a server run)")
    try:
        report = state.lab.run(workflow_file, inputs=_pairs(inputs, "--input", "NAME=VALUE"), overrides=overrides,
                               out_dir=out_dir, use_cache=not no_cache, on=server, token_env=token_env)
    except WorkflowInvalid as exc:
        _invalid(fmt, exc)
    emit(fmt, report.to_dict(), lambda: "".join(f"saved {p}\n" for p in report.saved))
    if fmt != "json":
        where = f" on {server}" if server else ""
        click.echo(f"{len(report.ran)} node(s) ran{where}, {len(report.cached)} from cache", err=True)


@click.command()
@format_option("text", "json")
@pass_lab
def nodes(state, fmt):
    """List the workflow nodes with their inputs and outputs."""
    registry = state.lab.nodes()
    emit(fmt, {name: cls.describe() for name, cls in registry.items()},
         lambda: "".join(cls.help_text() for cls in registry.values()))


@click.group()
def workflow():
    """Check and convert workflow files."""


@workflow.command(name="validate")
@click.argument("workflow_file", type=click.Path(path_type=Path))
@format_option("text", "json")
@pass_lab
def workflow_validate(state, workflow_file, fmt):
    """Check a workflow without running it; every problem is listed, exit 2 if any."""
    from muselab.workflow.graph import WorkflowInvalid

    errors = state.lab.validate(workflow_file)
    if errors:
        _invalid(fmt, WorkflowInvalid(errors))
    emit(fmt, {"ok": True, "errors": []}, lambda: "ok: the workflow is valid\n")


@workflow.command(name="export-comfyui")
@click.argument("workflow_file", type=click.Path(path_type=Path))
@click.option("--input", "inputs", multiple=True, metavar="NAME=VALUE",
              help="Fill a named input: the file name ComfyUI will find in its input folder, or the text for a prompt.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write (default: FILE with .comfyui.json).")
@pass_lab
def workflow_export(state, workflow_file, inputs, out_file):
    """Write the ComfyUI API-format file of a workflow, ready to queue in ComfyUI.

    Every named input must be filled (a prompt left out takes the template's
    example); otherwise nothing is written and the unfilled inputs are listed.
    The result is validated against ComfyUI's node schemas; muselab's own nodes
    become their core equivalents, and a node with none (ncnn or ONNX only) is
    refused, naming a custom node pack that offers the same model when there is one.

    \b
    Example:
      muselab workflow export-comfyui wan.json --input image=start.png --out wan.api.json
    """
    graph = state.lab.export_comfyui(workflow_file, _pairs(inputs, "--input", "NAME=VALUE"))
    out_file = out_file or workflow_file.with_suffix(".comfyui.json")
    tmp = out_file.with_name(out_file.name + ".partial")
    tmp.write_text(json.dumps(graph, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out_file)  # never a half-written file under the real name
    for line in graph.notes:
        click.echo(f"note: {line}", err=True)
    click.echo(f"wrote {out_file} ({len(graph)} ComfyUI nodes)")


@workflow.command(name="models")
@click.argument("workflow_file", type=click.Path(path_type=Path))
@click.option("--comfyui-dir", type=click.Path(path_type=Path), default=None,
              help="A ComfyUI install (or its models folder): say which files are there.")
@click.option("--check", is_flag=True, help="Exit 1 when any file is missing.")
@format_option("text", "json")
@pass_lab
def workflow_models(state, workflow_file, comfyui_dir, check, fmt):
    """List the model files a workflow needs: folder under ComfyUI's models/, and the URL of each.

    \b
    Example:
      muselab workflow models wan.json --comfyui-dir ~/ComfyUI
    """
    files = state.lab.workflow_models(workflow_file, comfyui_dir)
    missing = [f for f in files if f.present is False]
    mark = {True: "present", False: "MISSING", None: "needed"}
    emit(fmt, {"files": [f.to_dict() for f in files], "missing": len(missing)},
         lambda: "".join(f"{mark[f.present]:8} {f.folder or '-'}/{f.name}" + (f"  {f.url}" if f.url and not f.present
                                                                                else "") + "\n" for f in files)
         or "this workflow loads no model files\n")
    if check and missing:
        raise SystemExit(1)


COMMANDS = [run, nodes, workflow]
