"""Ingest catalog files into the store: one adapter per source format.

An adapter is an object with ``name``, ``description``, ``suffixes`` (files it
takes from a folder) and ``read(path, progress) -> Records``; it raises
IngestError with the file and line of the first malformed record. The runner
writes each file's records in one transaction, so a bad file lands not at all.
Adapters are registered in the ``muselab.ingest`` entry-point group.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from muselab.catalog.records import Model, NodePack, Paper, Task, Template
from muselab.errors import BadInput, IngestError


@dataclass
class Records:
    tasks: list[Task] = field(default_factory=list)
    models: list[Model] = field(default_factory=list)
    papers: list[Paper] = field(default_factory=list)
    templates: list[Template] = field(default_factory=list)
    node_packs: list[NodePack] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the file holds that muselab could not use, said once

    def extend(self, other: "Records") -> None:
        for name in ("tasks", "models", "papers", "templates", "node_packs", "notes"):
            getattr(self, name).extend(getattr(other, name))


class Adapter(Protocol):
    name: str
    description: str
    suffixes: tuple[str, ...]

    def read(self, path: Path, progress: bool) -> Records: ...


@dataclass
class FileReport:
    path: Path
    tasks: int = 0
    models: int = 0
    papers: int = 0
    templates: int = 0
    node_packs: int = 0
    changed: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.error:
            return f"error: {self.error}"
        counts = ((self.tasks, "tasks"), (self.models, "models"), (self.papers, "papers"), (self.templates, "templates"),
                  (self.node_packs, "node packs"))
        parts = [f"{n} {what}" for n, what in counts if n]
        notes = "".join(f"\n  note: {n}" for n in self.notes)
        return f"{self.path}: {', '.join(parts) or 'nothing'} ({self.changed} new or changed){notes}"


def files_for(adapter: Adapter, path: Path) -> list[Path]:
    """The files of PATH the adapter reads, each landing in its own transaction."""
    if not path.exists():
        raise BadInput(f"no such file or folder: {path}")
    if hasattr(adapter, "files"):
        return adapter.files(path)
    if path.is_file() or getattr(adapter, "takes_folder", False):
        return [path]
    found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(adapter.suffixes))
    if not found:
        raise BadInput(f"no {adapter.name} files ({', '.join(adapter.suffixes)}) in folder {path}")
    return found


def write(store, records: Records) -> int:
    """Write one file's records in one transaction; returns the records that changed."""
    from muselab.catalog.knowledge import apply_knowledge

    models = [apply_knowledge(m) for m in records.models]  # filed by what they do, whatever the source says
    with store.transaction():
        return (store.upsert_tasks(records.tasks) + store.upsert_models(models)
                + store.upsert_papers(records.papers) + store.upsert_templates(records.templates)
                + store.upsert_node_packs(records.node_packs))


def default_path(adapter: Adapter) -> Path:
    """Where an adapter reads from when no PATH is given (an installed package), or a clear error."""
    if not hasattr(adapter, "default_path"):
        raise BadInput(f"`muselab ingest {adapter.name}` needs a PATH")
    return adapter.default_path()


def ingest_path(store, adapter: Adapter, path: Path | None, progress: bool = True, on_file=None) -> list[FileReport]:
    """Each file in one transaction; a bad file is reported and the next one is tried."""
    reports = []
    for f in files_for(adapter, path if path is not None else default_path(adapter)):
        report = FileReport(f)
        try:
            records = adapter.read(f, progress)
            for name in ("tasks", "models", "papers", "templates", "node_packs"):
                setattr(report, name, len(getattr(records, name)))
            report.notes = records.notes
            report.changed = write(store, records)
        except IngestError as exc:
            report.error = str(exc)
        reports.append(report)
        if on_file is not None:
            on_file(report)
    return reports


def open_binary(path: Path):
    """Open a file, gzip or plain (by content, not by name)."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def read_lines(path: Path):
    """Yield (line_number, text); undecodable bytes are reported with their line."""
    lineno = 0
    try:
        with open_binary(path) as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    yield lineno, raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise IngestError(path, lineno, "not UTF-8 text") from None
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise IngestError(path, lineno + 1, f"cannot read the file: {exc}") from None
