"""The HTTP API and the web page: a thin layer over the same `Lab` methods as the command line.

Every JSON answer is what the matching CLI command prints with `--format json`;
every error is `{"error", "detail"}` with the status that says what went wrong.
The Lab holds one store connection: requests use it one at a time (a lock),
while workflow runs go to the run workers, each in a child process at a lower priority, and never
block a question.
"""

from __future__ import annotations

import threading
from pathlib import Path

from muselab.server.guard import Guard
from muselab.server.runs import RunManager
from muselab.version import __version__


def create_app(lab, token: str | None = None, workers: int = 1):
    """The FastAPI application over `lab`; `token` (when set) guards the endpoints that run or call an LLM."""
    from fastapi import FastAPI

    s = lab.settings
    app = FastAPI(title="muselab", version=__version__, docs_url=None, redoc_url=None,
                  description="An offline AI scientist for generative imaging: the CLI's commands over HTTP.")
    app.state.lab, app.state.lock = lab, threading.Lock()
    app.state.guard = Guard(token, s.serve_max_body_mb * 1024 * 1024, s.serve_max_inputs)
    app.state.runs = RunManager(s.runs_dir, lambda *a: execute(lab, *a), workers=workers, limit=s.serve_queue,
                                keep_mb=s.runs_keep_mb, keep_days=s.runs_keep_days)
    from muselab.server.errors import install as install_errors
    from muselab.server.pages import install as install_pages
    from muselab.server.routes import install as install_routes

    install_errors(app)
    app.state.guard.install(app)
    install_routes(app)
    install_pages(app)
    return app


def execute(lab, run, folder: Path, on_event, cancelled) -> None:
    """Run one queued workflow in its folder, on this machine, in a child process (server.worker)."""
    from muselab.server.worker import execute as in_child

    in_child(lab, run, folder, on_event, cancelled)
