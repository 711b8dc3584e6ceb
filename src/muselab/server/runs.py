"""Workflow runs for the HTTP server: a bounded queue, a fixed number of worker threads, state on disk.

Each run lives in its own folder under `runs_dir` (the workflow, the uploaded
inputs, the outputs and `run.json`, rewritten atomically at every change), so
a run survives a client that goes away, and a server that restarts marks the
runs it did not finish as failed instead of leaving them "running". Events
(node started, cached, step progress, output saved) are kept per run so a
listener that connects late still hears everything from the start.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from muselab.errors import MuselabError

STATES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")


class QueueFull(MuselabError):
    pass


class RunNotFound(MuselabError):
    pass


@dataclass
class Run:
    id: str
    state: str = "queued"
    created: float = field(default_factory=time.time)
    nodes: list[dict] = field(default_factory=list)  # {node, class_type, state, value, max}
    errors: list[dict] = field(default_factory=list)  # {node, kind, message}
    outputs: list[str] = field(default_factory=list)  # file names in the run's out/ folder
    inputs: dict = field(default_factory=dict)  # named input -> file name in the run's in/ folder
    overrides: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["run_id"] = data.pop("id")
        return data


class RunManager:
    """Queue, workers, state and events of every run. `execute(run, folder, on_event, cancelled)` does the work."""

    def __init__(self, root: Path, execute, workers: int = 1, limit: int = 8, keep_mb: int = 2048,
                 keep_days: float = 7.0):
        self.root, self.execute, self.limit = Path(root), execute, limit
        self.keep_bytes, self.keep_seconds = keep_mb * 1024 * 1024, keep_days * 86400
        self.root.mkdir(parents=True, exist_ok=True)
        self.runs: dict[str, Run] = {}
        self.events: dict[str, list[tuple[str, dict]]] = {}
        self.cancels: dict[str, threading.Event] = {}
        self.changed = threading.Condition()
        self.waiting: queue.Queue[str] = queue.Queue()
        self._recover()
        self.workers = [threading.Thread(target=self._work, daemon=True, name=f"muselab-run-{i}")
                        for i in range(workers)]
        for t in self.workers:
            t.start()

    # -- the store on disk ----------------------------------------------------------

    def folder(self, run_id: str) -> Path:
        return self.root / run_id

    def _save(self, run: Run) -> None:
        path = self.folder(run.id) / "run.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(run.to_dict(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)  # a crash leaves the old state or the new one, never half of one

    def _recover(self) -> None:
        """Runs a previous server left unfinished are failed: nothing runs them any more."""
        for path in sorted(self.root.glob("*/run.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                run = Run(id=data.pop("run_id"), **data)
            except (ValueError, TypeError, KeyError):
                continue
            if run.state not in FINISHED:
                run.state = "failed"
                run.errors.append({"node": "-", "kind": "interrupted",
                                   "message": "the server stopped before this run finished; run it again"})
                self._save(run)
            self.runs[run.id] = run
            self.events[run.id] = [(run.state, {"state": run.state})]
        self._trim()

    def _trim(self) -> None:
        """Finished runs beyond the age or size limit go, oldest first."""
        done = sorted((r for r in self.runs.values() if r.state in FINISHED), key=lambda r: r.created)
        sizes = {r.id: sum(f.stat().st_size for f in self.folder(r.id).rglob("*") if f.is_file()) for r in done}
        total = sum(sizes.values())
        for r in done:
            if time.time() - r.created <= self.keep_seconds and total <= self.keep_bytes:
                break
            shutil.rmtree(self.folder(r.id), ignore_errors=True)
            total -= sizes[r.id]
            self.runs.pop(r.id, None)
            self.events.pop(r.id, None)

    # -- the queue ------------------------------------------------------------------------

    def create(self, workflow: dict, inputs: dict[str, tuple[str, bytes]], overrides: dict) -> Run:
        """A new queued run: its folder holds the workflow and the input files (name -> (suffix, bytes))."""
        with self.changed:
            if sum(r.state == "queued" for r in self.runs.values()) >= self.limit:
                raise QueueFull(f"{self.limit} runs are already waiting; try again when one has finished")
            run = Run(id=secrets.token_hex(8), overrides=overrides)
            folder = self.folder(run.id)
            (folder / "in").mkdir(parents=True)
            (folder / "out").mkdir()
            (folder / "workflow.json").write_text(json.dumps(workflow, ensure_ascii=False), encoding="utf-8")
            for name, (suffix, data) in inputs.items():
                (folder / "in" / f"{name}{suffix}").write_bytes(data)
                run.inputs[name] = f"{name}{suffix}"
            self.runs[run.id] = run
            self.events[run.id] = [("queued", {"state": "queued"})]
            self.cancels[run.id] = threading.Event()
            self._save(run)
        self.waiting.put(run.id)
        return run

    def get(self, run_id: str) -> Run:
        run = self.runs.get(run_id)
        if run is None:
            raise RunNotFound(f"no run {run_id!r}")
        return run

    def cancel(self, run_id: str) -> Run:
        run = self.get(run_id)
        with self.changed:
            if run.state == "queued":
                self._finish(run, "cancelled")
            elif run.state == "running":
                self.cancels[run_id].set()  # the worker stops at the next node or step
        return run

    # -- the workers --------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            run_id = self.waiting.get()
            run = self.runs.get(run_id)
            if run is None or run.state != "queued":
                continue
            self._update(run, "running")
            try:
                self.execute(run, self.folder(run_id), lambda kind, data: self._event(run, kind, data),
                             self.cancels[run_id])
            except MuselabError as exc:
                cancelled = self.cancels[run_id].is_set() and exc.exit_code == 130
                run.errors += exc.to_dict().get("errors") or [{"node": "-", "kind": "error", "message": str(exc)}]
                self._finish(run, "cancelled" if cancelled else "failed")
            except Exception as exc:  # a bug must not kill the worker
                run.errors.append({"node": "-", "kind": "internal", "message": f"{type(exc).__name__}: {exc}"})
                self._finish(run, "failed")
            else:
                self._finish(run, "done")

    def _event(self, run: Run, kind: str, data: dict) -> None:
        if kind == "done":
            return  # the run's own state change says so; the executor's report names server paths
        with self.changed:
            if kind == "started":
                run.nodes = [{**n, "state": "pending"} for n in data["nodes"]]
            elif kind in ("node", "cached", "progress", "saved"):
                self._node_event(run, kind, data)
            if kind == "saved":  # listeners get the output's number, never a path on the server
                data = {"node": data["node"], "output": len(run.outputs) - 1}
            self.events[run.id].append((kind, data))
            self._save(run)
            self.changed.notify_all()

    def _node_event(self, run: Run, kind: str, data: dict) -> None:
        by_id = {n["node"]: n for n in run.nodes}
        if kind == "node":
            for n in run.nodes:
                n["state"] = "done" if n["state"] == "running" else n["state"]
            by_id.get(data["node"], {})["state"] = "running"
        elif kind == "cached":
            for nid in data["nodes"]:
                by_id.get(nid, {})["state"] = "cached"
        elif kind == "progress":
            by_id.get(data["node"], {}).update(value=data["value"], max=data["max"])
        elif kind == "saved":
            run.outputs.append(Path(data["path"]).name)

    def _update(self, run: Run, state: str) -> None:
        with self.changed:
            run.state = state
            self.events[run.id].append((state, {"state": state}))
            self._save(run)
            self.changed.notify_all()

    def _finish(self, run: Run, state: str) -> None:
        for n in run.nodes:
            if n["state"] == "running":
                n["state"] = "done" if state == "done" else state
        self._update(run, state)
        with self.changed:
            self._trim()

    def listen(self, run_id: str, timeout: float = 15.0):
        """The run's events from the first, then each new one as it happens, until the run has finished.
        A None now and then (every `timeout` seconds of silence) lets the caller send a keep-alive."""
        self.get(run_id)
        seen = 0
        while True:
            with self.changed:
                events = self.events.get(run_id, [])
                if seen >= len(events):
                    if self.runs[run_id].state in FINISHED:
                        return
                    self.changed.wait(timeout)
                    events = self.events.get(run_id, [])
                new, seen = events[seen:], len(events)
            if not new:
                yield None
            yield from new
