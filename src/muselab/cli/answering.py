"""Commands that answer: ask, answer, check, search."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from muselab.cli.base import answer_options, emit, format_option, note, pass_lab, read_stdin


def _prompt(state, prompt_file: str | None, example: str | None):
    from muselab.context import parse_prompt

    if example:
        return state.lab.example(example)
    if not prompt_file:
        raise click.UsageError("give a PROMPT_FILE (a seed-format prompt) or --example NAME")
    if prompt_file == "-":
        return parse_prompt(read_stdin("prompt"), origin="stdin")
    return state.lab.read_prompt(prompt_file)


def _show(result, fmt: str, data: dict) -> None:
    if result.unavailable:
        note(result.unavailable)
    emit(fmt, data, lambda: result.markdown)


def _write_workflow(state, result, path: Path) -> None:
    wf = state.lab.workflow_for(result)
    path.write_text(json.dumps(wf.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for message in wf.meta.get("notes", []):
        note(message)
    defaults = wf.meta.get("defaults") or {}
    names = " ".join(f"--input {k}=..." for k in wf.meta.get("inputs", {}) if k not in defaults)
    if wf.meta.get("runs_on") == "comfyui":
        files = len(wf.meta.get("files") or [])
        click.echo(f"workflow: {path}, ComfyUI template {wf.meta.get('template')} ({files} model file(s): "
                   f"muselab workflow models {path}); run it on a ComfyUI server: "
                   f"muselab run {path} --on http://HOST:8188 {names}".rstrip(), err=True)
        return
    click.echo(f"workflow: {path} (run it: muselab run {path} {names})".rstrip(), err=True)


@click.command()
@click.argument("prompt_file", required=False)
@click.option("--example", metavar="NAME", help="Answer a packaged example prompt instead "
              "(animation-styles, style-mixing, anime-upscale, soft-portrait).")
@format_option("markdown", "json")
@answer_options
@pass_lab
def answer(state, prompt_file, example, fmt, workflow_file, llm, llm_model, base_url, strict, detail):
    """Answer a seed-format prompt: task, workflow, papers and tools.

    PROMPT_FILE holds a user question, a '### Recommended AI Models:' list and a
    '### Related Papers:' list ('-' reads standard input). The answer uses only
    those sources and passes the grounding verifier before it is printed.
    """
    ctx = _prompt(state, prompt_file, example)
    result = state.lab.answer(ctx, llm=llm, model=llm_model, base_url=base_url, strict=strict, detail=detail)
    _show(result, fmt, result.to_dict())
    if workflow_file:
        _write_workflow(state, result, workflow_file)


@click.command()
@click.argument("question")
@click.option("--k-models", type=int, default=None, help="Models to recommend (default 3).")
@click.option("--k-papers", type=int, default=None, help="Papers to retrieve (default 5).")
@click.option("--mode", type=click.Choice(["task", "hybrid", "lexical", "dense"]), default=None,
              help="Paper retrieval (default: task = hybrid plus the identified task's vocabulary).")
@format_option("markdown", "json")
@click.option("--show-prompt", is_flag=True, help="Print the seed-format prompt muselab built (for any LLM) "
              "instead of the answer.")
@answer_options
@pass_lab
def ask(state, question, k_models, k_papers, mode, fmt, show_prompt, workflow_file, llm, llm_model, base_url,
        strict, detail):
    """Answer a free QUESTION from the catalog.

    muselab identifies the task (and says so when two tasks are close),
    recommends models that fit it, retrieves papers, builds a seed-format
    prompt from them and answers it exactly as `muselab answer` does: three
    parts, only the retrieved sources, verified before it is printed.
    """
    lab = state.lab
    if show_prompt:
        click.echo(lab.retrieve(question, k_models, k_papers, mode).context.to_prompt(), nl=False)
        return
    result = lab.ask(question, k_models, k_papers, mode, llm=llm, model=llm_model, base_url=base_url, strict=strict,
                     detail=detail)
    for message in result.notices:
        note(message)
    _show(result.answer, fmt, result.to_dict())
    if workflow_file:
        _write_workflow(state, result, workflow_file)


@click.command()
@click.argument("prompt_file")
@click.argument("answer_file")
@format_option("text", "json")
@pass_lab
def check(state, prompt_file, answer_file, fmt):
    """Check any answer (from an LLM or a person) against its prompt's sources.

    Reports links, arXiv ids and model names outside the given sources, missing
    recommended models, missing parts and a missing input → model → output
    chain. Exits 1 when there is any violation. ANSWER_FILE '-' reads stdin.
    """
    from muselab.context import read_text_file

    ctx = state.lab.read_prompt(prompt_file)
    if answer_file == "-":
        text = sys.stdin.read()
    else:
        text = read_text_file(answer_file, state.settings.max_prompt_bytes, what="answer")
    violations = state.lab.check(ctx, text)
    emit(fmt, {"ok": not violations, "violations": [v.to_dict() for v in violations]},
         lambda: "".join(f"{v.line()}\n" for v in violations)
         + ("ok: the answer uses only the given sources\n" if not violations else f"{len(violations)} violation(s)\n"))
    sys.exit(1 if violations else 0)


@click.command()
@click.argument("kind", type=click.Choice(["papers", "models"]))
@click.argument("query")
@click.option("--k", type=int, default=10, show_default=True, help="How many results.")
@click.option("--mode", type=click.Choice(["lexical", "dense", "hybrid", "task"]), default="hybrid", show_default=True)
@format_option("text", "json")
@pass_lab
def search(state, kind, query, k, mode, fmt):
    """Look up papers or models directly. --mode lexical uses only SQLite FTS5 (no model is loaded)."""
    lab = state.lab
    hits = lab.search_papers(query, k, mode) if kind == "papers" else lab.search_models(query, k, mode)
    rows = [h.to_dict() for h in hits]
    emit(fmt, rows, lambda: "".join(f"{i:3}. {r['id']:34} {r['title']}  [{r['score']:.4f}]\n"
                                    for i, r in enumerate(rows, 1)) or "no results\n")


COMMANDS = [ask, answer, check, search]
