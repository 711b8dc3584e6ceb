"""FTS5's BM25, computed from an in-memory copy of the index.

SQLite FTS5 scores an OR query by visiting every matching row; with the
common words of a long question that is most of a 39k-paper corpus and takes
over 100 ms. This module keeps the same index in NumPy arrays: the same
tokens (unicode61 tokenisation, FTS5's own porter stems, looked up through a
temporary FTS5 table), the same column weights (title 2, summary 1) and the
same formula as FTS5's bm25() (k1 = 1.2, b = 0.75, idf = log((N - n + 0.5) /
(n + 0.5)), floored at 1e-6), so scores equal `bm25(papers_fts, 2.0, 1.0)`
(tests check it) while a query costs a few milliseconds.

The arrays are cached on disk per store and papers version.
"""

from __future__ import annotations

import hashlib
from itertools import chain
import re
import sqlite3
import threading
import unicodedata
from pathlib import Path

import numpy as np

K1, B = 1.2, 0.75
# the columns FTS5 indexes, with the weights muselab's bm25() calls give them
TABLES = {
    "papers": ("SELECT id, title, summary FROM papers ORDER BY rowid", (2.0, 1.0)),
    "models": ("SELECT name, name, display_name, category, summary, tags FROM models ORDER BY rowid",
               (2.0, 2.0, 1.0, 1.0, 1.0)),
}
_STEMMER_LOCK = threading.Lock()
TOKEN_RE = re.compile(r"[^\W_]+")
ASCII_TOKEN_RE = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    """unicode61 with remove_diacritics: case-folded alphanumeric runs, accents removed."""
    text = (text or "").casefold()
    if text.isascii():
        return ASCII_TOKEN_RE.findall(text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return TOKEN_RE.findall(text)


_STEMMER: list = []  # one in-memory FTS5 table, made once: making it costs more than asking it


def fts5_stems(words: list[str]) -> dict[str, str]:
    """word -> the stem SQLite FTS5's porter tokenizer gives it (asked of FTS5 itself)."""
    with _STEMMER_LOCK:
        if not _STEMMER:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            conn.execute("CREATE VIRTUAL TABLE w USING fts5(x, tokenize='porter unicode61')")
            conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(w, 'instance')")
            _STEMMER.append(conn)
        conn = _STEMMER[0]
        conn.executemany("INSERT INTO w(rowid, x) VALUES (?, ?)", enumerate(words, 1))
        out = {}
        for term, doc in conn.execute("SELECT term, doc FROM v"):
            out.setdefault(words[doc - 1], term)
        conn.execute("DELETE FROM w")
        return out


class BM25Index:
    def __init__(self, ids, vocab, indptr, docs, weights, idf, stems):
        self.ids, self.vocab, self.stems = ids, vocab, stems
        self.indptr, self.docs, self.weights, self.idf = indptr, docs, weights, idf
        self._position: dict[str, int] | None = None

    @property
    def position(self) -> dict[str, int]:
        """id -> its position among the ids."""
        if self._position is None:
            self._position = {i: p for p, i in enumerate(self.ids)}
        return self._position

    def query_terms(self, text: str) -> list[int]:
        """Term ids of the query's words (one per word, as FTS5 counts one phrase per word)."""
        words = tokens(text)
        unseen = [w for w in dict.fromkeys(words) if w not in self.stems]
        if unseen:  # a word the corpus never uses may still share a stem with one it does ('enlarged')
            self.stems.update(fts5_stems(unseen))
        out = []
        for w in words:
            t = self.vocab.get(self.stems.get(w, ""))
            if t is not None:
                out.append(t)
        return out

    def scores(self, text: str) -> np.ndarray:
        scores = np.zeros(len(self.ids), np.float32)
        for t in self.query_terms(text):
            s, e = self.indptr[t], self.indptr[t + 1]
            scores[self.docs[s:e]] += self.idf[t] * self.weights[s:e]  # a term's postings are distinct docs
        return scores

    def top(self, text: str, k: int) -> list[tuple[str, float]]:
        scores = self.scores(text)
        hit = np.flatnonzero(scores)
        if not len(hit):
            return []
        k = min(k, len(hit))
        part = hit[np.argpartition(-scores[hit], k - 1)[:k]]
        order = part[np.lexsort((part, -scores[part]))]
        return [(self.ids[i], float(scores[i])) for i in order]


def build(conn: sqlite3.Connection, table: str = "papers") -> BM25Index:
    sql, weights_by_col = TABLES[table]
    rows = conn.execute(sql).fetchall()
    ids = [r[0] for r in rows]
    docs_tokens = [tuple(tokens(c) for c in r[1:]) for r in rows]
    words = sorted({w for cols in docs_tokens for col in cols for w in col})
    stems = fts5_stems(words)
    vocab: dict[str, int] = {}
    term_ids = {w: vocab.setdefault(s, len(vocab)) for w, s in stems.items()}
    n = len(rows)
    lengths = np.array([sum(len(c) for c in cols) for cols in docs_tokens], np.float32)
    avgdl = float(lengths.mean()) if n else 1.0
    # one entry per token: key = term * n + doc, weight = its column's weight
    keys, freq = [], []
    for col, weight in enumerate(weights_by_col):
        col_tokens = [t[col] for t in docs_tokens]
        lens = np.fromiter((len(t) for t in col_tokens), np.int64, count=n)
        terms = np.fromiter(map(term_ids.__getitem__, chain.from_iterable(col_tokens)), np.int64,
                            count=int(lens.sum()))
        keys.append(terms * n + np.repeat(np.arange(n, dtype=np.int64), lens))
        freq.append(np.full(len(terms), weight))
    keys_arr, freq = np.concatenate(keys), np.concatenate(freq)
    uniq, inverse = np.unique(keys_arr, return_inverse=True)
    f = np.bincount(inverse, weights=freq)
    terms, docs = uniq // max(n, 1), (uniq % max(n, 1)).astype(np.int32)
    norm = K1 * (1 - B + B * lengths[docs] / avgdl)
    weights = (f * (K1 + 1) / (f + norm)).astype(np.float32)
    counts = np.bincount(terms, minlength=len(vocab))
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    idf = np.log((n - counts + 0.5) / (counts + 0.5))
    idf = np.where(idf <= 0, 1e-6, idf).astype(np.float32)
    return BM25Index(ids, vocab, indptr, docs, weights, idf, stems)


def save(index: BM25Index, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, ids=np.array(index.ids), vocab=np.array(list(index.vocab)), indptr=index.indptr,
             docs=index.docs, weights=index.weights, idf=index.idf,
             words=np.array(list(index.stems)), stems=np.array(list(index.stems.values())))
    tmp.replace(path)


def load(path: Path) -> BM25Index:
    z = np.load(path)
    vocab = {t: i for i, t in enumerate(z["vocab"].tolist())}
    stems = dict(zip(z["words"].tolist(), z["stems"].tolist()))
    return BM25Index(z["ids"].tolist(), vocab, z["indptr"], z["docs"], z["weights"], z["idf"], stems)


def bm25_index(store, cache_dir: Path, table: str = "papers") -> BM25Index:
    """The index of the store's current papers (or models): kept with the store, else from the disk
    cache, else built now."""
    return store.derived(("bm25", table, str(cache_dir)), (table,), lambda: _load_or_build(store, cache_dir, table))


def _load_or_build(store, cache_dir: Path, table: str) -> BM25Index:
    version = f"{table}:{store.count(table)}:{store.get_meta(f'{table}_version')}"
    store_key = hashlib.sha1(f"{Path(store.path).resolve()}|{table}".encode()).hexdigest()[:12]
    path = Path(cache_dir) / "bm25" / f"{store_key}-{hashlib.sha1(version.encode()).hexdigest()[:12]}.npz"
    if path.is_file():
        return load(path)
    index = build(store.conn, table)
    save(index, path)
    for old in path.parent.glob(f"{store_key}-*.npz"):  # one file per store: drop older versions
        if old != path:
            old.unlink(missing_ok=True)
    return index
