"""One workflow run in a child process, so the server keeps answering while it runs.

Native upscalers and diffusion hold the interpreter lock and every core while they compute: run in
the server's own process, they would stall every question for the whole run. The child runs at a
lower CPU priority, reads its job from the run's folder, and reports each event as one JSON line
on stdout; the parent relays them. Cancelling sends the child SIGINT, which the executor turns
into a clean stop (exit 130) between nodes or steps.

    python -m muselab.server.worker FOLDER      (FOLDER/job.json: settings, inputs, overrides)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from muselab.errors import MuselabError

NICE = 10  # below the server, which answers questions meanwhile


def execute(lab, run, folder: Path, on_event, cancelled) -> None:
    """Run one queued workflow in a child process; raise MuselabError as the run failed or was cancelled."""
    job = {"settings": lab.settings.model_dump(mode="json") | {"progress": False},
           "inputs": {name: str(folder / "in" / fname) for name, fname in run.inputs.items()},
           "overrides": run.overrides}
    (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-m", "muselab.server.worker", str(folder)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, preexec_fn=lambda: os.nice(NICE))
    stop = threading.Thread(target=_watch, args=(child, cancelled), daemon=True)
    stop.start()
    failure = None
    for line in child.stdout:
        message = json.loads(line)
        if "error" in message:
            failure = message
        else:
            on_event(message["kind"], message["data"])
    code = child.wait()
    if code and cancelled.is_set():  # stopped as asked, even before its own handler was in place
        raise RunFailed("cancelled", 130, (failure or {}).get("errors"))
    if code:
        failure = failure or {"error": f"the run's process ended with code {code}", "exit_code": 1}
        raise RunFailed(failure["error"], failure.get("exit_code", 1), failure.get("errors"))


class RunFailed(MuselabError):
    """What the child reported: its message, exit code and per-node errors."""

    def __init__(self, message: str, exit_code: int, errors: list | None):
        super().__init__(message, exit_code=exit_code)
        self.errors = errors

    def to_dict(self) -> dict:
        return {**super().to_dict(), "errors": self.errors}


def _watch(child: subprocess.Popen, cancelled: threading.Event) -> None:
    while child.poll() is None:
        if cancelled.wait(0.1):
            child.send_signal(signal.SIGINT)
            return


def main(folder: str) -> int:
    import muselab

    folder = Path(folder)
    job = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    workflow = json.loads((folder / "workflow.json").read_text(encoding="utf-8"))

    def emit(kind: str, data: dict) -> None:
        print(json.dumps({"kind": kind, "data": data}), flush=True)

    try:
        lab = muselab.open(**job["settings"])
        lab.run(workflow, inputs=job["inputs"], overrides=job["overrides"], out_dir=folder / "out", on_event=emit)
    except MuselabError as exc:
        print(json.dumps({"error": str(exc), "exit_code": exc.exit_code, "errors": exc.to_dict().get("errors")}),
              flush=True)
        return exc.exit_code
    except KeyboardInterrupt:
        print(json.dumps({"error": "interrupted", "exit_code": 130}), flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
