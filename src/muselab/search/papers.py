"""Paper retrieval: lexical (FTS5 BM25), dense (MiniLM cosine), hybrid (RRF) and task mode.

Task mode is what `ask` uses. Novice users describe an effect in their own
words ("I blew up a blurry screenshot and it came out crisp"); papers use the
field's words ("real-world super-resolution"). Task mode bridges the two with
the identified task: it adds the task's vocabulary as a second lexical query
and the task's description as a second dense query, fuses all four rankings
with reciprocal rank fusion (the question's own rankings weigh most), and
finally demotes near-duplicates so the top papers are not three versions of
one idea.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from muselab.catalog.records import Task
from muselab.search.index import load_index, top_k
from muselab.text import STOPWORDS

RRF_K = 60
DEPTH = 300  # how deep each ranking goes into the fusion
MODES = ("task", "hybrid", "lexical", "dense")


@dataclass
class Hit:
    id: str
    score: float


def fts_terms(text: str, limit: int = 40) -> list[str]:
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 1]
    return list(dict.fromkeys(words))[:limit]


def fts_query(terms: list[str]) -> str:
    return " OR ".join(f'"{t}"' for t in terms)


def lexical(store, text: str, k: int = DEPTH, table: str = "papers") -> list[Hit]:
    """BM25 over title and summary (title weighted double) with SQLite FTS5."""
    terms = fts_terms(text)
    if not terms:
        return []
    key = "id" if table == "papers" else "name"
    sql = (f"SELECT t.{key}, bm25({table}_fts, 2.0, 1.0) AS s FROM {table}_fts "
           f"JOIN {table} t ON t.rowid = {table}_fts.rowid WHERE {table}_fts MATCH ? ORDER BY s LIMIT ?")
    if table == "models":
        sql = sql.replace("bm25(models_fts, 2.0, 1.0)", "bm25(models_fts, 2.0, 2.0, 1.0, 1.0, 1.0)")
    return [Hit(i, -s) for i, s in store.conn.execute(sql, (fts_query(terms), k))]


def rrf(rankings: list[tuple[list[Hit], float]], k: int = RRF_K) -> list[Hit]:
    """Weighted reciprocal rank fusion."""
    fused: dict[str, float] = {}
    for hits, weight in rankings:
        for rank, h in enumerate(hits[:DEPTH]):
            fused[h.id] = fused.get(h.id, 0.0) + weight / (k + rank + 1)
    return [Hit(i, s) for i, s in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))]


def task_text(task: Task, parent: Task | None = None) -> str:
    """What the field calls the task: its name, definition and vocabulary."""
    vocab = task.vocabulary + (parent.vocabulary[:6] if parent else [])
    return f"{task.name}. {task.definition} {', '.join(vocab)}"


class PaperSearch:
    """Searches the store's papers; the embedder is only loaded by dense work."""

    def __init__(self, store, embedder=None):
        self.store, self.embedder = store, embedder

    def index(self):
        return load_index(self.store, "papers", self.embedder.space)

    def embed(self, text: str) -> np.ndarray:
        return self.embedder.encode([text])[0]

    def dense(self, qvec: np.ndarray, k: int = DEPTH) -> list[Hit]:
        return [Hit(i, s) for i, s in self.index().top(qvec, k)]

    def search(self, question: str, mode: str = "task", k: int = 10, guess=None, tasks=None, qvec=None) -> list[Hit]:
        if mode == "lexical":
            return lexical(self.store, question, k)
        if qvec is None:
            qvec = self.embed(question)
        if mode == "dense":
            return self.dense(qvec, k)
        if mode == "hybrid":
            return rrf([(lexical(self.store, question), 1.0), (self.dense(qvec), 1.0)])[:k]
        return self.task_mode(question, qvec, guess, tasks or {}, k)

    def task_mode(self, question: str, qvec: np.ndarray, guess, tasks: dict[str, Task], k: int) -> list[Hit]:
        rankings = [(lexical(self.store, question), 1.0), (self.dense(qvec), 1.0)]
        if guess is not None:
            task = guess.task
            parent = tasks.get(task.parent) if task.parent else None
            vocabulary = task.vocabulary + (parent.vocabulary if parent else [])
            tvec = self.embed(task_text(task, parent))
            bridged = qvec + tvec
            bridged /= np.linalg.norm(bridged)
            rankings += [
                (lexical(self.store, f"{question} {' '.join(vocabulary)}"), 1.0),
                (self.dense(bridged), 1.0),
            ]
        return diversify(rrf(rankings), self.index(), top=min(k, 10))[:k]


def diversify(hits: list[Hit], index, top: int = 10, too_close: float = 0.93) -> list[Hit]:
    """Within the first `top` results, skip a paper that nearly duplicates one already chosen
    (cosine >= too_close); skipped papers follow right after, the rest keep their order."""
    chosen, held, vectors = [], [], []
    i = 0
    for i, h in enumerate(hits):
        if len(chosen) == top:
            break
        row = index.row.get(h.id)
        v = index.matrix[row] if row is not None else None
        if v is not None and vectors and float(np.max(np.stack(vectors) @ v)) >= too_close:
            held.append(h)
            continue
        chosen.append(h)
        if v is not None:
            vectors.append(v)
    else:
        i = len(hits)
    return chosen + held + hits[i:]


__all__ = ["Hit", "MODES", "PaperSearch", "lexical", "rrf", "top_k"]
