"""The muselab command line: argument parsing, output and exit codes over `muselab.Lab`.

Each command is a few lines: it reads its arguments, calls one Lab method and
prints the result as text or JSON. Heavy libraries load inside the Lab.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from muselab.cli.base import Cli, State, group_version


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Catalog store (SQLite). Default: the user data dir, or $MUSELAB_DB.")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
@group_version
@click.pass_context
def cli(ctx, db, no_progress):
    """muselab: an offline AI scientist for generative imaging.

    It identifies the task behind a question about an image effect, recommends
    models and papers from its catalog, writes a grounded three-part answer
    (task; input → model → output workflow; papers and tools with links) using
    only the sources it was given, and runs the workflow locally.

    \b
    Start with:
      muselab ask "How do AI upscalers make blurry anime art crisp?" --workflow wf.json
      muselab run wf.json --input image=small.png     run that workflow here
      muselab answer PROMPT_FILE                      answer a seed-format prompt
      muselab check PROMPT_FILE ANSWER                check any answer's grounding
    """
    ctx.obj = State(db=db, progress=False if no_progress else None)


def _register() -> None:
    from muselab.cli import answering, catalog, serving, workflows

    for module in (answering, catalog, workflows, serving):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


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
