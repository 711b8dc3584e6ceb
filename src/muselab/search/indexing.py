"""Ingest with its indexes: records land per file, then embeddings and the lexical index follow.

The records of each file are written in one transaction (muselab.catalog.ingest);
embeddings are then computed in chunks that each land whole, so an interrupted
run resumes where it stopped; the lexical index is built at once so the first
search is fast.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from muselab.errors import BadInput, MuselabError


@dataclass
class IngestResult:
    files: list = field(default_factory=list)  # a FileReport per file
    vectors_imported: int | None = None
    embedded: list = field(default_factory=list)  # an EmbedReport per kind
    lexical: tuple[int, float] | None = None  # (papers indexed, seconds)

    def lines(self) -> list[str]:
        out = [f"papers: stored {self.vectors_imported} precomputed vectors"] if self.vectors_imported is not None else []
        out += [r.line() for r in self.embedded]
        if self.lexical:
            out.append(f"lexical index: {self.lexical[0]} papers ({self.lexical[1]:.1f} s)")
        return out


def ingest(store, kind: str, path: Path | None, vectors: Path | None, embedder: Callable | None, settings,
           on_file: Callable | None = None) -> IngestResult:
    """`embedder()` gives the embedder (None: store the records only)."""
    from muselab.catalog.ingest import ingest_path
    from muselab.plugins import load

    adapter = load("muselab.ingest", kind)
    if vectors and kind != "arxiv":
        raise BadInput("--vectors goes with `ingest arxiv` (paper vectors)")
    result = IngestResult(files=ingest_path(store, adapter, path, progress=settings.progress, on_file=on_file))
    failed = [r for r in result.files if r.error]
    if failed:
        raise MuselabError(f"{len(failed)} of {len(result.files)} file(s) not ingested; fix them and run the same "
                           "command again")
    papers, models = sum(r.papers for r in result.files), sum(r.models for r in result.files)
    if vectors:
        from muselab.search.embed import SPACE
        from muselab.search.index import import_vectors, texts_for

        result.vectors_imported = import_vectors(store, SPACE, vectors, texts_for(store, "papers"))
    if embedder is not None:
        kinds = [k for k, n in (("papers", papers), ("models", models)) if n]
        result.embedded = [embed(store, embedder(), kind, settings) for kind in kinds]
    if papers:
        from muselab.search.bm25 import bm25_index

        t0 = time.perf_counter()
        index = bm25_index(store, settings.cache_dir)
        result.lexical = (len(index.ids), time.perf_counter() - t0)
    return result


def embed(store, embedder, kind: str, settings):
    from muselab.search.index import embed_missing

    try:
        return embed_missing(store, embedder, kind, max_tokens=settings.embed_max_tokens, batch=settings.embed_batch,
                             progress=settings.progress)
    except KeyboardInterrupt:
        done = len(store.vector_hashes(kind, embedder.space))
        raise MuselabError(f"interrupted while embedding {kind} ({done} stored); run the same command again to "
                           "resume", exit_code=130) from None
