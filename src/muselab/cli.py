"""The muselab command line. Heavy libraries load inside the commands that need them."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import click

from muselab import __version__
from muselab.errors import BadInput, MuselabError


class Cli(click.Group):
    """Turns every expected failure into one line on stderr and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MuselabError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except sqlite3.DatabaseError as exc:
            from muselab.catalog.store import damaged

            settings = ctx.obj.settings if ctx.obj else None
            click.echo(f"error: {damaged(settings.db if settings else Path('?'), exc)}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(0)


class State:
    """Settings and the store, created on first use so `--help` stays instant."""

    def __init__(self, **overrides):
        self.overrides = overrides
        self._settings = None
        self._store = None

    @property
    def settings(self):
        if self._settings is None:
            from muselab.settings import Settings

            self._settings = Settings.load(**self.overrides)
        return self._settings

    @property
    def store(self):
        if self._store is None:
            from muselab.catalog import open_store

            self._store = open_store(self.settings)
        return self._store


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Catalog store (SQLite). Default: the user data dir, or $MUSELAB_DB.")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
@click.version_option(__version__, prog_name="muselab")
@click.pass_context
def cli(ctx, db, no_progress):
    """muselab: an offline AI scientist for generative imaging.

    It identifies the task behind a question about an image effect, recommends
    models and papers from its catalog, writes a grounded three-part answer
    (task; input → model → output workflow; papers and tools with links) using
    only the sources it was given, and runs the workflow locally.

    \b
    Start with:
      muselab answer --example anime-upscale
      muselab answer PROMPT_FILE        answer a seed-format prompt
      muselab check PROMPT_FILE ANSWER  check any answer's grounding
    """
    ctx.obj = State(db=db, progress=False if no_progress else None)


def _read_prompt(state: State, prompt_file: str | None, example: str | None):
    from muselab.answer.context import parse_prompt, read_text_file

    if example:
        from muselab.catalog.builtin import example_prompts

        found = {p.name.removesuffix(".txt"): p for p in example_prompts()}
        if example not in found:
            raise BadInput(f"no example {example!r}; examples: {', '.join(sorted(found))}")
        return parse_prompt(found[example].read_text(encoding="utf-8"), origin=f"example {example}")
    if not prompt_file:
        raise BadInput("give a PROMPT_FILE (a seed-format prompt) or --example NAME")
    if prompt_file == "-":
        text = sys.stdin.read()
        if not text.strip():
            raise BadInput("the prompt on standard input is empty")
        return parse_prompt(text, origin="stdin")
    return parse_prompt(read_text_file(prompt_file, state.settings.max_prompt_bytes), origin=prompt_file)


@cli.command()
@click.argument("prompt_file", required=False)
@click.option("--example", metavar="NAME", help="Answer a packaged example prompt instead "
              "(animation-styles, style-mixing, anime-upscale, soft-portrait).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.pass_obj
def answer(state: State, prompt_file, example, fmt):
    """Answer a seed-format prompt: task, workflow, papers and tools.

    PROMPT_FILE holds a user question, a '### Recommended AI Models:' list and a
    '### Related Papers:' list ('-' reads standard input). The answer uses only
    those sources and passes the grounding verifier before it is printed.
    """
    from muselab.answer.pipeline import answer_context

    ctx = _read_prompt(state, prompt_file, example)
    result = answer_context(ctx, state.store)
    click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) if fmt == "json" else result.markdown(), nl=False)


@cli.command()
@click.argument("prompt_file")
@click.argument("answer_file")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def check(state: State, prompt_file, answer_file, fmt):
    """Check any answer (from an LLM or a person) against its prompt's sources.

    Reports links, arXiv ids and model names outside the given sources, missing
    recommended models, missing parts and a missing input → model → output
    chain. Exits 1 when there is any violation. ANSWER_FILE '-' reads stdin.
    """
    from muselab.answer.context import parse_prompt, read_text_file
    from muselab.answer.verify import verify

    ctx = parse_prompt(read_text_file(prompt_file, state.settings.max_prompt_bytes), origin=prompt_file)
    if answer_file == "-":
        text = sys.stdin.read()
    else:
        text = read_text_file(answer_file, state.settings.max_prompt_bytes, what="answer")
    if not text.strip():
        raise BadInput("the answer is empty")
    violations = verify(text, ctx, state.store.model_names())
    if fmt == "json":
        click.echo(json.dumps({"ok": not violations, "violations": [v.to_dict() for v in violations]}, indent=2))
    else:
        for v in violations:
            click.echo(v.line())
        click.echo("ok: the answer uses only the given sources" if not violations
                   else f"{len(violations)} violation(s)")
    sys.exit(1 if violations else 0)


def _kinds_help() -> str:
    from muselab.plugins import available

    return ", ".join(sorted(available("muselab.ingest")))


@cli.command()
@click.argument("kind")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_obj
def ingest(state: State, kind, path):
    """Add catalog files to the store: KIND is the file format.

    \b
    Kinds:
      prompts    seed-format prompt files (a file or a folder of them)
      markdown   link pages like seed 004 ('## Task' sections, '### Entry' headings)
      arxiv      arXiv metadata, JSON Lines, gzip or plain (daily-arXiv or Kaggle shape)
    Plugins can add more kinds (entry-point group 'muselab.ingest').

    Each file is written in one transaction: a malformed record is reported
    with its file and line and nothing from that file is stored. Re-ingesting
    a file changes nothing.
    """
    from muselab.catalog.ingest import ingest_path
    from muselab.plugins import load

    adapter = load("muselab.ingest", kind)
    reports = ingest_path(state.store, adapter, path, progress=state.settings.progress)
    failed = [r for r in reports if r.error]
    for r in reports:
        click.echo(r.line(), err=bool(r.error))
    if failed:
        raise MuselabError(f"{len(failed)} of {len(reports)} file(s) not ingested; fix them and run the same command again")


@cli.command()
@click.pass_obj
def info(state: State):
    """Show the store's location, contents and schema migrations."""
    store = state.store
    click.echo(f"store: {store.path}")
    for table in ("tasks", "models", "papers", "embeddings"):
        click.echo(f"{table}: {store.count(table)}")
    click.echo(f"migrations: {', '.join(store.applied_migrations())}")


@cli.command()
@click.pass_obj
def tasks(state: State):
    """List the task taxonomy: id, name and the broader task it refines."""
    for t in state.store.tasks().values():
        parent = f"  (part of {t.parent})" if t.parent else ""
        click.echo(f"{t.id:26} {t.name}{parent}")


def main() -> None:
    """Entry point: click's usage errors become one line too."""
    try:
        code = cli.main(prog_name="muselab", standalone_mode=False)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
