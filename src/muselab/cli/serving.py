"""`muselab serve`: the HTTP API and the web page."""

from __future__ import annotations

import click

from muselab.cli.base import pass_lab


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback needs MUSELAB_TOKEN set.")
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Workflow runs at a time (one suits a 2-core machine: questions stay fast meanwhile).")
@pass_lab
def serve(state, host, port, workers):
    """Serve the HTTP API (/api, documented at /docs) and the web page (/) on this machine.

    The page takes a question, shows the verified answer with its links, the
    recommended models and papers, draws the workflow and runs it here. With
    MUSELAB_TOKEN set, running workflows and calling an LLM need
    'Authorization: Bearer <token>'.
    """
    import muselab
    from muselab.server import serve as run_server

    lab = muselab.open(**{**state.overrides, "progress": False})  # nobody watches a server's terminal
    info = lab.info()  # opens the store (and builds the built-in catalog) before the first request
    click.echo(f"muselab serving {info['models']} models and {info['papers']} papers on http://{host}:{port} "
               f"(API at /api, its docs at /docs; Ctrl-C stops)", err=True)
    run_server(lab, host=host, port=port, workers=workers)


COMMANDS = [serve]
