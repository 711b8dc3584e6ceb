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
              help="Fill a named input: a file path for images (image, content, style), the text for prompt.")
@click.option("--set", "sets", multiple=True, metavar="NODE.INPUT=VALUE",
              help="Override one node input; VALUE is JSON if it parses (2, 0.5, true), else text.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="Where output images are written.")
@click.option("--no-cache", is_flag=True, help="Run every node again instead of reusing cached results.")
@format_option("text", "json")
@pass_lab
def run(state, workflow_file, inputs, sets, out_dir, no_cache, fmt):
    """Run a workflow (JSON in ComfyUI's API shape) locally, on the CPU.

    The whole graph is checked first: unknown nodes, missing inputs, wrong
    link types, values out of range, cycles, a missing output node, named
    inputs without a value and missing weight files are all reported together
    (exit 2) and nothing runs. Node results are cached, so a re-run only runs
    what changed. Images are saved as PNG with the workflow in their text chunks.
    """
    from muselab.workflow.graph import WorkflowInvalid

    overrides = {k: _json_or_text(v) for k, v in _pairs(sets, "--set", "NODE.INPUT=VALUE").items()}
    try:
        report = state.lab.run(workflow_file, inputs=_pairs(inputs, "--input", "NAME=VALUE"), overrides=overrides,
                               out_dir=out_dir, use_cache=not no_cache)
    except WorkflowInvalid as exc:
        _invalid(fmt, exc)
    emit(fmt, report.to_dict(), lambda: "".join(f"saved {p}\n" for p in report.saved))
    if fmt != "json":
        click.echo(f"{len(report.ran)} node(s) ran, {len(report.cached)} from cache", err=True)


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
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write (default: FILE with .comfyui.json).")
@pass_lab
def workflow_export(state, workflow_file, out_file):
    """Write a ComfyUI API-format file for a workflow whose nodes all have ComfyUI equivalents."""
    graph = state.lab.export_comfyui(workflow_file)
    out_file = out_file or workflow_file.with_suffix(".comfyui.json")
    out_file.write_text(json.dumps(graph, indent=2) + "\n", encoding="utf-8")
    click.echo(f"wrote {out_file} ({len(graph)} ComfyUI nodes)")


COMMANDS = [run, nodes, workflow]
