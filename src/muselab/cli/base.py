"""What every command shares: the group that turns errors into one line and an exit code, the Lab
built on first use, the option helpers, and the one place a result becomes text or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

import click

from muselab.errors import MuselabError
from muselab.version import __version__


class Cli(click.Group):
    """Turns every expected failure into one line on stderr and an exit code, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(0)
        except Exception as exc:
            from muselab.lab import user_error

            state = ctx.obj if isinstance(ctx.obj, State) else None
            error = user_error(exc, state.built_settings() if state else None)
            if error is None:
                raise
            for line in error.details:
                click.echo(f"error: {line}", err=True)
            click.echo(f"error: {error}", err=True)
            ctx.exit(error.exit_code)


class State:
    """The Lab, created on first use so `--help` stays instant."""

    def __init__(self, **overrides):
        self.overrides = overrides
        self._lab = None

    @property
    def lab(self):
        if self._lab is None:
            import muselab

            self._lab = muselab.open(**self.overrides)
        return self._lab

    @property
    def settings(self):
        return self.lab.settings

    def built_settings(self):
        """The settings if the Lab was built (an error while building it must not be raised again)."""
        return self._lab.settings if self._lab is not None else None


pass_lab = click.make_pass_decorator(State)


def format_option(*choices: str, default: str | None = None):
    """The --format option: the first choice is the default (text or markdown), json is for programs."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=default or choices[0],
                        show_default=True, help="Output format.")


def emit(fmt: str, data, text: Callable[[], str] | None = None) -> None:
    """The one place results are printed: JSON for --format json, else the text form."""
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif text is not None:
        click.echo(text(), nl=False)


def note(message: str) -> None:
    click.echo(f"note: {message}", err=True)


def read_stdin(what: str) -> str:
    text = sys.stdin.read()
    if not text.strip():
        raise MuselabError(f"the {what} on standard input is empty")
    return text


def options(*decorators):
    """Several click options as one decorator (applied in the order given)."""
    def apply(command):
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


llm_options = options(
    click.option("--llm", "llm", default=None, help="Answer backend: offline (default), openai or local; "
                 "plugins can add more."),
    click.option("--model", "llm_model", default=None, help="LLM model name (openai) or GGUF path (local)."),
    click.option("--base-url", "base_url", default=None,
                 help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1."),
)

answer_options = options(
    click.option("--workflow", "workflow_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="Also write the runnable workflow (JSON) for the recommended model(s) to this file."),
    llm_options,
    click.option("--strict", is_flag=True, help="Refuse (exit 3) instead of repairing an LLM answer that cites "
                 "outside sources, or when the backend cannot answer."),
    click.option("--detail", type=click.Choice(["short", "full"]), default="short", show_default=True,
                 help="short: the essentials, about 350-700 words; full: every setting, failure mode and "
                 "explanation the catalog has on it."),
)


def group_version(command):
    return click.version_option(__version__, prog_name="muselab")(command)
