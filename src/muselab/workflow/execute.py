"""Running a workflow: validate everything first, then run the nodes in topological order.

Each node's result is cached under a signature of its class, its literal
inputs, its upstream nodes' signatures and anything outside the graph it reads
(a file's size and date). Re-running a changed workflow runs only the changed
nodes and what depends on them. Images and text are kept on disk under the
cache dir (size-bounded, oldest first out); models stay in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from muselab.errors import MuselabError
from muselab.nodes.base import FILE, IMAGE, RunContext
from muselab.nodes.registry import node_registry
from muselab.progress import bar
from muselab.workflow.graph import NodeError, Workflow, WorkflowInvalid, is_link, topological_order, validate

DISKABLE = {IMAGE, "TEXT", "STRING", "INT", "FLOAT", "BOOL"}
_MEMORY: dict[str, tuple] = {}  # signature -> outputs, for this process (models included)


@dataclass
class RunReport:
    saved: list[Path] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"ok": True, "saved": [str(p) for p in self.saved], "ran": self.ran, "cached": self.cached,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


def preflight(wf: Workflow, registry: dict) -> list[NodeError]:
    """Before running: every named input has a value and every file a node reads exists."""
    errors = []
    for name, places in wf.placeholders().items():
        for nid, port in places:
            errors.append(NodeError(nid, "missing_input", f"input {port!r} is the workflow input {name!r}, which has "
                                                          f"no value: give --input {name}=..."))
    sources = {m.get("weights_file"): m for m in (wf.meta.get("models") or []) if isinstance(m, dict)}
    for nid, node in wf.nodes.items():
        cls = registry[node["class_type"]]
        for name, port in cls.INPUTS.items():
            value = node.get("inputs", {}).get(name)
            if port.type == FILE and isinstance(value, str) and value and not Path(value).expanduser().is_file():
                hint = ""
                model = sources.get(Path(value).name)
                if model:
                    hint = (f"; it is the weights of {model.get('name')}, which the catalog says come from: "
                            f"{model.get('weights_source') or model.get('weights_url') or 'unknown'}")
                errors.append(NodeError(nid, "missing_file", f"{cls.NAME} input {name!r}: file not found: {value}{hint}"))
    return errors


class Executor:
    """Runs a validated workflow node by node. `on_event(kind, data)` hears what happens (started, node,
    cached, progress, saved, done: the names the ComfyUI client uses too); setting `cancelled` (a
    threading.Event) stops the run at the next node or step."""

    def __init__(self, registry: dict, settings, progress: bool = True, use_cache: bool = True,
                 on_event=None, cancelled=None):
        self.registry, self.settings, self.progress, self.use_cache = registry, settings, progress, use_cache
        self.cache_dir = Path(settings.cache_dir) / "workflow-cache"
        self.on_event = on_event or (lambda kind, data: None)
        self.cancelled = cancelled

    def run(self, wf: Workflow, out_dir: Path) -> RunReport:
        errors = validate(wf, self.registry)
        errors = errors or preflight(wf, self.registry)
        if errors:
            raise WorkflowInvalid(errors)
        order = topological_order(wf)
        ctx = RunContext(settings=self.settings, out_dir=Path(out_dir), workflow=wf.to_json(), progress=self.progress,
                         on_event=self.on_event, cancelled=self.cancelled)
        report = RunReport(saved=ctx.saved)
        self.on_event("started", {"nodes": [{"node": n, "class_type": wf.nodes[n]["class_type"]} for n in order]})
        values: dict[str, tuple] = {}
        signatures: dict[str, str] = {}
        with bar(total=len(order), desc="workflow", unit=" nodes", enabled=self.progress) as nodes_bar:
            for nid in order:
                cls = self.registry[wf.nodes[nid]["class_type"]]
                nodes_bar.set_description(f"node {nid} {cls.NAME}")
                try:
                    if self.cancelled is not None and self.cancelled.is_set():
                        raise KeyboardInterrupt
                    self._step(nid, wf.nodes[nid], cls, ctx, report, values, signatures)
                except KeyboardInterrupt:  # between nodes, or while storing a result
                    raise MuselabError(f"interrupted in node {nid} ({cls.NAME}); the nodes that finished are "
                                       "cached, so the same command continues from there", exit_code=130) from None
                nodes_bar.update(1)
        self.on_event("done", report.to_dict())
        return report

    def _step(self, nid, node_def, cls, ctx, report, values, signatures) -> None:
        """One node: its result from the cache, or run now (and cached)."""
        inputs, sig = self._inputs(nid, node_def, cls, values, signatures)
        signatures[nid] = sig
        start = time.perf_counter()
        outputs = None if cls.OUTPUT_NODE or not self.use_cache else self._cached(sig, cls)
        if outputs is not None:
            report.cached.append(nid)
            self.on_event("cached", {"nodes": [nid]})
        else:
            ctx.node_id = nid
            self.on_event("node", {"node": nid, "class_type": cls.NAME})
            saved = len(ctx.saved)
            outputs = self._execute(nid, cls, ctx, inputs)
            for path in ctx.saved[saved:]:
                self.on_event("saved", {"node": nid, "path": str(path)})
            report.ran.append(nid)
            if not cls.OUTPUT_NODE:
                self._store(sig, cls, outputs)
        values[nid] = outputs
        report.seconds[nid] = time.perf_counter() - start

    def _inputs(self, nid, node_def, cls, values, signatures) -> tuple[dict, str]:
        given = node_def.get("inputs", {})
        inputs, parts = {}, {}
        for name, port in cls.INPUTS.items():
            value = given.get(name, None if port.required else port.default)
            if is_link(value):
                src, index = str(value[0]), value[1]
                inputs[name] = values[src][index]
                parts[name] = ["link", signatures[src], index]
            else:
                inputs[name] = value
                parts[name] = ["literal", value]
        node = cls()
        payload = json.dumps([cls.NAME, cls.VERSION, parts, node.signature_extra(inputs)], sort_keys=True, default=str)
        return inputs, hashlib.sha1(payload.encode()).hexdigest()

    def _execute(self, nid, cls, ctx, inputs) -> tuple:
        try:
            outputs = cls().execute(ctx, **inputs)
        except KeyboardInterrupt:
            raise MuselabError(f"interrupted in node {nid} ({cls.NAME}); the nodes that finished are cached, so the "
                               "same command continues from there", exit_code=130) from None
        except MuselabError as exc:
            raise MuselabError(f"node {nid} ({cls.NAME}): {exc}", exit_code=exc.exit_code) from None
        except Exception as exc:  # a library failing mid-run: say where, in one line
            raise MuselabError(f"node {nid} ({cls.NAME}) failed: {type(exc).__name__}: {exc}", exit_code=1) from None
        if not isinstance(outputs, tuple) or len(outputs) != len(cls.OUTPUTS):
            raise MuselabError(f"node {nid} ({cls.NAME}) returned {len(outputs) if isinstance(outputs, tuple) else '?'} "
                               f"outputs; it declares {len(cls.OUTPUTS)}", exit_code=1)
        return outputs

    # -- the cache -------------------------------------------------------------

    def _cached(self, sig: str, cls) -> tuple | None:
        if sig in _MEMORY:
            return _MEMORY[sig]
        path = self.cache_dir / f"{sig}.npz"
        if path.is_file() and all(t in DISKABLE for t, _ in cls.OUTPUTS):
            try:
                with np.load(path, allow_pickle=False) as z:
                    plain = json.loads(str(z["plain"]))
                    outputs = tuple(z[f"a{i}"] if f"a{i}" in z else plain[str(i)] for i in range(len(cls.OUTPUTS)))
                os.utime(path)  # recently used: trimmed last
                return outputs
            except (OSError, ValueError, KeyError):
                path.unlink(missing_ok=True)  # a damaged entry is simply recomputed
        return None

    def _store(self, sig: str, cls, outputs: tuple) -> None:
        if len(_MEMORY) > 32:
            _MEMORY.pop(next(iter(_MEMORY)))
        _MEMORY[sig] = outputs
        if not all(t in DISKABLE for t, _ in cls.OUTPUTS) or not self.use_cache:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        arrays = {f"a{i}": v for i, v in enumerate(outputs) if isinstance(v, np.ndarray)}
        plain = {str(i): v for i, v in enumerate(outputs) if not isinstance(v, np.ndarray)}
        tmp = self.cache_dir / f"{sig}.partial"  # renamed once complete: a cut-off write is never read
        with open(tmp, "wb") as fh:
            np.savez(fh, plain=json.dumps(plain), **arrays)
        tmp.replace(self.cache_dir / f"{sig}.npz")
        self._trim()

    def _trim(self) -> None:
        limit = self.settings.workflow_cache_mb * 1024 * 1024
        files = sorted(self.cache_dir.glob("*.npz"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        while files and total > limit:
            oldest = files.pop(0)
            total -= oldest.stat().st_size
            oldest.unlink(missing_ok=True)


__all__ = ["Executor", "RunReport", "node_registry", "preflight"]
