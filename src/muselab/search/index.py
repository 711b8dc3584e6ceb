"""The dense index: embeddings computed at ingest, stored with a content hash, loaded for search.

Records are written first (one transaction per file); embeddings follow in
chunks, each in its own transaction, so an interrupted run keeps what it
finished and the next run embeds only what is missing or changed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from muselab.catalog.records import content_hash
from muselab.errors import BadInput
from muselab.progress import bar

CHUNK = 256


def paper_text(title: str, summary: str | None) -> str:
    # the same text the precomputed corpus vectors were made from: title + ". " + abstract
    return " ".join(f"{title}. {summary or ''}".split())


def texts_for(store, kind: str) -> dict[str, str]:
    if kind == "papers":
        rows = store.conn.execute("SELECT id, title, summary FROM papers")
        return {i: paper_text(t, s) for i, t, s in rows}
    return {m.name: m.embed_text() for m in store.models()}


@dataclass
class EmbedReport:
    kind: str
    embedded: int
    total: int
    seconds: float

    def line(self) -> str:
        if not self.embedded:
            return f"{self.kind}: all {self.total} embeddings up to date"
        rate = self.embedded / self.seconds if self.seconds else 0.0
        return f"{self.kind}: embedded {self.embedded} of {self.total} in {self.seconds:.1f} s ({rate:.1f} {self.kind}/s)"


def embed_missing(store, embedder, kind: str, max_tokens: int = 256, batch: int = 32,
                  progress: bool = True) -> EmbedReport:
    texts = texts_for(store, kind)
    stored = store.vector_hashes(kind, embedder.space)
    todo = [(i, t, content_hash(t)) for i, t in texts.items() if stored.get(i) != content_hash(t)]
    start = time.perf_counter()
    with bar(total=len(todo), desc=f"embedding {kind}", unit=f" {kind}", enabled=progress and bool(todo)) as pbar:
        for s in range(0, len(todo), CHUNK):
            chunk = todo[s:s + CHUNK]
            vecs = embedder.encode([t for _, t, _ in chunk], max_tokens=max_tokens, batch=batch, progress=pbar)
            with store.transaction():  # each chunk lands whole; an interruption loses at most one chunk
                store.put_vectors(kind, embedder.space, [(i, h, v) for (i, _, h), v in zip(chunk, vecs)])
    return EmbedReport(kind, len(todo), len(texts), time.perf_counter() - start)


def import_vectors(store, space: str, npy: Path, texts: dict[str, str]) -> int:
    """Store precomputed paper vectors (row i = the i-th id of the sidecar NPY.ids.json)."""
    sidecar = Path(f"{npy}.ids.json")
    if not npy.is_file() or not sidecar.is_file():
        raise BadInput(f"vectors file {npy} needs its sidecar {sidecar.name} (ids, model, text)")
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    if space.lower() not in str(meta.get("model", "")).lower() or meta.get("text") != "title. abstract":
        raise BadInput(f"{npy} was made with {meta.get('model')!r} over {meta.get('text')!r}; "
                       f"muselab needs {space} over 'title. abstract'")
    matrix = np.load(npy, mmap_mode="r")
    ids = meta.get("ids") or []
    if matrix.shape != (len(ids), 384):
        raise BadInput(f"{npy} has shape {matrix.shape}, its sidecar lists {len(ids)} ids")
    rows = [(i, content_hash(texts[i]), matrix[r]) for r, i in enumerate(ids) if i in texts]
    with store.transaction():
        store.put_vectors("papers", space, rows)
    return len(rows)


class VectorIndex:
    def __init__(self, ids: list[str], matrix: np.ndarray):
        self.ids = ids
        # kept transposed (dim x n, contiguous): q @ Mt streams memory 2-3x faster than M @ q
        self.matrix_t = np.ascontiguousarray(matrix.T, dtype=np.float32)
        self.row = {i: r for r, i in enumerate(ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def vector(self, item_id: str) -> np.ndarray | None:
        r = self.row.get(item_id)
        return None if r is None else self.matrix_t[:, r]

    def scores(self, qvec: np.ndarray) -> np.ndarray:
        return np.asarray(qvec, dtype=np.float32) @ self.matrix_t

    def top(self, qvec: np.ndarray, k: int) -> list[tuple[str, float]]:
        return top_k(self.ids, self.scores(qvec), k)


def top_k(ids: list[str], scores: np.ndarray, k: int) -> list[tuple[str, float]]:
    k = min(k, len(ids))
    if k <= 0:
        return []
    part = np.argpartition(-scores, k - 1)[:k]
    order = part[np.argsort(-scores[part], kind="stable")]
    return [(ids[i], float(scores[i])) for i in order]


def load_index(store, kind: str, space: str, dim: int = 384) -> VectorIndex:
    """The vectors of a kind, kept with the store while its vectors do not change."""
    return store.derived(("vectors", kind, space), ("vectors",),
                         lambda: VectorIndex(*store.load_vectors(kind, space, dim)))


def ensure_model_vectors(store, embedder, settings) -> None:
    """Models are few: embed any that lack a vector (new plugins, edited records) before recommending."""
    version = f"{store.get_meta('models_version')}:{embedder.space}"
    if store.get_meta("models_embedded") != version:
        embed_missing(store, embedder, "models", max_tokens=settings.embed_max_tokens, progress=settings.progress)
        store.set_meta("models_embedded", version)
