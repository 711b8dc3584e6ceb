"""Paper retrieval: lexical (FTS5's BM25), dense (MiniLM cosine), hybrid (RRF) and task mode.

Task mode is what `ask` uses. Novice users describe an effect in their own
words ("I blew up a blurry screenshot and it came out crisp"); papers use the
field's words ("real-world super-resolution"). Task mode bridges the two with
the identified task: besides the question's own BM25 and dense rankings it
ranks by the question plus the task's vocabulary (BM25) and by the question's
vector moved towards the task's description (dense), and fuses the four
rankings with reciprocal rank fusion. The question's own rankings weigh less
when few of its words are the field's (a novice's everyday words find papers
about the everyday subject, not the technique). Finally near-duplicates are
kept out of the top so the first papers are not three versions of one idea.

All rankings are score arrays over one universe (every paper, in the BM25
index's order), so fusion is a few NumPy operations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from muselab.catalog.records import Task
from muselab.catalog.taxonomy import task_text
from muselab.search.fusion import fuse, ranking
from muselab.search.index import load_index
from muselab.text import GENERIC, STOPWORDS, stem

QUERY_TERMS = 40  # an expanded query keeps the question's words, then the task's, up to this many
MODES = ("task", "hybrid", "lexical", "dense")


@dataclass
class Hit:
    id: str
    score: float


def fts_terms(text: str, limit: int = QUERY_TERMS) -> list[str]:
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 1]
    return list(dict.fromkeys(words))[:limit]


def fts_query(terms: list[str]) -> str:
    return " OR ".join(f'"{t}"' for t in terms)


def lexical(store, text: str, k: int = 300, table: str = "papers") -> list[Hit]:
    """BM25 straight from SQLite FTS5 (papers: title weighted double; models: both names double).
    Needs neither NumPy nor a model; for the many words of long questions PaperSearch uses search.bm25."""
    terms = fts_terms(text)
    if not terms:
        return []
    key = "id" if table == "papers" else "name"
    weights = "2.0, 1.0" if table == "papers" else "2.0, 2.0, 1.0, 1.0, 1.0"
    sql = (f"SELECT t.{key}, bm25({table}_fts, {weights}) AS s FROM {table}_fts "
           f"JOIN {table} t ON t.rowid = {table}_fts.rowid WHERE {table}_fts MATCH ? ORDER BY s LIMIT ?")
    return [Hit(i, -s) for i, s in store.conn.execute(sql, (fts_query(terms), k))]


def field_words(store) -> set[str]:
    """The stems of the field's words: every task's name and vocabulary, everyday image words aside."""
    def build():
        tasks = store.tasks().values()
        return {stem(w) for t in tasks for term in t.vocabulary + [t.name] for w in fts_terms(term, 1000)} - GENERIC

    return store.derived("field_words", ("tasks",), build)


def field_share(question: str, field: set[str]) -> float:
    """The share of the question's words (everyday image words aside) that are the field's words:
    low for a novice describing an effect, near 1 for keywords."""
    words = [w for w in (stem(w) for w in fts_terms(question, 1000)) if w not in GENERIC]
    return sum(w in field for w in words) / len(words) if words else 0.0


CITED_WEIGHT = 3.0  # the papers a matched explainer rests on: the works practitioners cite for that mechanism
SECOND_TASK = 0.5  # how much the runner-up task's bridge counts, times its score relative to the top task's


def hedged_tasks(guess) -> list[tuple[Task, float]]:
    """The identified task bridges the question to the field's words at full weight; the runner-up too,
    at half its relative score: a wrong first guess then costs less (it helped every voice on the dev split,
    the practitioner's most)."""
    out = [(guess.task, 1.0)]
    top = guess.scores.get(guess.task.id, 0.0)
    if guess.runner_up is not None and top > 0:
        out.append((guess.runner_up, SECOND_TASK * guess.scores.get(guess.runner_up.id, 0.0) / top))
    return out


def question_weight(share: float, floor: float = 0.15) -> float:
    """The question's own rankings count fully once half its words are the field's, less below that;
    the task's rankings then carry a novice question that describes the effect in everyday words."""
    return floor + (1.0 - floor) * min(1.0, share / 0.5)


class PaperSearch:
    """Searches the store's papers. The embedder is loaded only by dense work."""

    def __init__(self, store, embedder=None, cache_dir=None, task_vectors=None):
        self.store, self.embedder, self.cache_dir, self.task_vectors = store, embedder, cache_dir, task_vectors

    # -- the two indexes, and one universe of positions ----------------------------

    def bm25_index(self):
        from muselab.search.bm25 import bm25_index

        return bm25_index(self.store, self.cache_dir)

    def vectors(self):
        return load_index(self.store, "papers", self.embedder.space)

    def universe(self) -> list[str]:
        return self.bm25_index().ids

    def bm25_scores(self, text: str) -> np.ndarray:
        return self.bm25_index().scores(" ".join(fts_terms(text)))

    def dense_scores(self, qvec: np.ndarray) -> np.ndarray:
        """Cosines over the universe (papers without a vector score 0)."""
        index = self.vectors()
        out = np.zeros(len(self.universe()), np.float32)
        out[self._positions(index)] = index.scores(qvec)
        return out

    def _positions(self, index) -> np.ndarray:
        def build():
            where = self.bm25_index().position
            return np.array([where.get(i, -1) for i in index.ids])

        found = self.store.derived(("paper_positions", self.embedder.space), ("papers", "vectors"), build)
        if (found < 0).any():
            raise RuntimeError("paper vectors and the lexical index disagree; re-run `muselab ingest`")
        return found

    def task_dense(self, task: Task, parent: Task | None) -> np.ndarray:
        """Cosine of every paper with the task's description: constant per task, so computed once."""
        def build():
            tv = self.task_vectors
            vec = tv.description(task.id) if tv and task.id in tv.position else self.embed(task_text(task, parent))
            return self.dense_scores(vec)

        return self.store.derived(("task_dense", task.id, self.embedder.space), ("tasks", "papers", "vectors"), build)

    def embed(self, text: str) -> np.ndarray:
        return self.embedder.encode([text])[0]

    # -- modes ---------------------------------------------------------------

    def search(self, question: str, mode: str = "task", k: int = 10, guess=None, qvec=None,
               explainers=(), named=()) -> list[Hit]:
        """`explainers`: (Explainer, its vector) of the mechanisms the question is about (task mode): the
        papers each rests on are ranked on their own, and the question is bridged to its meaning. `named`:
        the papers of the models the question names and of the first one recommended (task mode), shown
        among the first."""
        if mode == "lexical":
            return self._hits(self.bm25_scores(question), k)
        if qvec is None:
            qvec = self.embed(question)
        if mode == "dense":
            return self._hits(self.dense_scores(qvec), k)
        q_bm25, q_dense = self.bm25_scores(question), self.dense_scores(qvec)
        task_mode = mode == "task" and guess is not None
        w = question_weight(field_share(question, field_words(self.store))) if task_mode else 1.0
        rankings = [(ranking(q_bm25), w), (ranking(q_dense), w)]
        if task_mode:
            for task, weight in hedged_tasks(guess):
                rankings += [(r, weight) for r in self.task_rankings(question, w * q_bm25, w * q_dense, task,
                                                                     self.store.tasks())]
            rankings += self.explainer_rankings(explainers, w * q_dense, guess.second)
        fused = fuse(rankings, len(self.universe()))
        hits = self._hits(fused, max(k, 10) + 40)
        if mode == "task":
            where = self.bm25_index().position
            hits = diversify(hits, self.vectors(), top=min(k, 10))
            if guess is not None and guess.second is not None:
                hits = with_second_part(hits, second_works(explainers, guess.second, where), k)
            if explainers:  # the canon of the mechanism asked about, and the models' own papers
                hits = with_cited(hits, [pid for pid in explainers[0][0].papers if pid in where], k)
            hits = in_order(with_named(hits, [pid for pid in named if pid in where], k)[:k])
        return hits[:k]

    def task_rankings(self, question: str, q_bm25: np.ndarray, q_dense: np.ndarray, task: Task,
                      tasks: dict[str, Task]) -> list[np.ndarray]:
        parent = tasks.get(task.parent) if task.parent else None
        vocabulary = " ".join(task.vocabulary + (parent.vocabulary if parent else []))
        # BM25 adds up per word, so question + task words = the question's scores + the new words' scores;
        # a sum of cosines ranks exactly like the cosine with the (normalised) sum of the two vectors
        q_words = set(fts_terms(question))
        extra = [w for w in fts_terms(vocabulary, limit=2 * QUERY_TERMS) if w not in q_words][
            : max(0, QUERY_TERMS - len(q_words))]  # (2 x: enough after the question's own words are left out)
        expanded = q_bm25 + self.bm25_scores(" ".join(extra))
        bridged = q_dense + self.task_dense(task, parent)
        return [ranking(expanded), ranking(bridged)]

    def explainer_rankings(self, explainers, q_dense: np.ndarray, second=None) -> list[tuple[np.ndarray, float]]:
        """The papers a matched explainer rests on (first explainer first), and the question's vector moved
        towards the explainer's meaning: the field's canonical works for the mechanism asked about. A
        two-part question's second part is asked as much as the first: the works of its mechanism take
        turns with the first one's."""
        if not explainers:
            return []
        where = self.bm25_index().position
        cited = np.zeros(len(where))
        part = next((i for i, (e, _) in enumerate(explainers) if i and second and second.id in e.tasks), None)
        for rank, (e, _) in enumerate(explainers):
            for j, pid in enumerate(e.papers):
                if pid in where:
                    cited[where[pid]] = max(cited[where[pid]], cited_value(rank, j, part))
        out = [(ranking(cited), CITED_WEIGHT)]
        for e, vec in explainers:
            out.append((ranking(q_dense + self.explainer_dense(e.id, vec)), 1.0))
        return out

    def explainer_dense(self, explainer_id: str, vec: np.ndarray) -> np.ndarray:
        """Cosine of every paper with an explainer: constant per explainer, so computed once."""
        return self.store.derived(("explainer_dense", explainer_id, self.embedder.space), ("papers", "vectors"),
                                  lambda: self.dense_scores(vec))

    def closeness(self, ids: list[str], qvec, guess, explainers=()) -> dict[str, tuple[float, float]]:
        """Per paper: (cosine with the question, cosine with what it asks about: the mechanism's explainer when
        the question asks about one, else the task's description) -- what its relevance label rests
        on. A paper on the task in general is not thereby close to a question about one of its mechanisms
        (a text-to-image paper and 'why six fingers?')."""
        index = self.vectors()
        tv = self.task_vectors
        second = guess.second.id if guess is not None and guess.second is not None else None
        # the mechanism asked about: the first explainer, and a two-part question's second part's own
        about = [vec for i, (e, vec) in enumerate(explainers) if i == 0 or (second and second in e.tasks)]
        if not about and tv and guess and guess.task.id in tv.position:
            about = [tv.description(guess.task.id)]
        out = {}
        for pid in ids:
            v = index.vector(pid)
            if v is not None:
                out[pid] = (float(v @ qvec), max((float(v @ a) for a in about), default=0.0))
        return out

    def _hits(self, scores: np.ndarray, k: int) -> list[Hit]:
        ids = self.universe()
        return [Hit(ids[p], float(scores[p])) for p in ranking(scores, k)]


SECOND_PART_SHARE = 0.4  # of the papers shown, how many at least go to a two-part question's second mechanism


def second_works(explainers, second, where) -> list[str]:
    """The works cited by the mechanism of a two-part question's second part (not its first explainer)."""
    part = next((e for i, (e, _) in enumerate(explainers) if i and second.id in e.tasks), None)
    return [pid for pid in part.papers if pid in where] if part else []


def with_second_part(hits: list[Hit], works: list[str], k: int) -> list[Hit]:
    """The hits, with a share of the first k (every other place from the second) given to the works of the
    second part's mechanism: a question that asks for two things gets the papers of both."""
    want = int(SECOND_PART_SHARE * k)
    have = {h.id for h in hits[:k] if h.id in works}
    if not works or len(have) >= want:
        return hits
    found = {h.id: h for h in hits}
    extra = [found.get(pid) or Hit(pid, 0.0) for pid in works if pid not in have][:want - len(have)]
    out = []
    for h in (h for h in hits if h not in extra):
        out.append(h)
        if extra and len(out) % 2 == 1:
            out.append(extra.pop(0))
    return out + extra


NAMED_AT = 2  # where a model's own paper goes when it is not among the first ones: after the two best
NAMED_MOST = 2  # of the models' papers, this many at most (a question naming four models is about one)


def with_named(hits: list[Hit], works: list[str], k: int) -> list[Hit]:
    """The hits, with the papers of the models shown (named first) among the first k: the work practitioners
    cite for a model is its own report (the Wan report for a question about Wan 2.2)."""
    out = list(hits)
    for n, pid in enumerate(works[:NAMED_MOST]):
        if any(h.id == pid for h in out[:k]):
            continue
        found = next((h for h in out if h.id == pid), None) or Hit(pid, 0.0)
        out = [h for h in out if h.id != pid]
        out.insert(min(NAMED_AT + n, k - 1, len(out)), found)
    return out


def in_order(hits: list[Hit]) -> list[Hit]:
    """The hits with scores that fall in their order: a paper a placement rule moved up takes the score of
    the one it now stands before (the fused score says how the rankings placed it, the order what is shown)."""
    out = list(hits)
    for i in range(len(out) - 2, -1, -1):
        if out[i].score < out[i + 1].score:
            out[i] = Hit(out[i].id, out[i + 1].score)
    return out


CITED_FIRST = 3  # of the works the mechanism asked about rests on, this many are always among the first


def with_cited(hits: list[Hit], works: list[str], k: int) -> list[Hit]:
    """The hits, with at least CITED_FIRST of the works the mechanism asked about rests on first (those the
    question's rankings put among the first k, then the next it lists): they are the field's canonical
    papers for it (DDPM and DDIM for what a seed does), where a fusion of rankings can favour papers that
    only share the question's words."""
    top = [h.id for h in hits[:k] if h.id in works]
    keep = top + [pid for pid in works if pid not in top][:max(0, CITED_FIRST - len(top))]
    found = {h.id: h for h in hits}
    return [found.get(pid) or Hit(pid, 0.0) for pid in keep] + [h for h in hits if h.id not in keep]


def cited_value(rank: int, j: int, part: int | None) -> float:
    """How far up the j-th paper cited by the explainer at `rank` goes; `part`, the rank of a two-part
    question's second mechanism, whose works take turns with the first's, both before the others'."""
    if part is None:
        return 1.0 / (1 + rank) - 0.01 * j
    if rank in (0, part):
        return 1.0 / (1 + j) - (0.001 if rank else 0.0)
    return 0.1 / (1 + rank) - 0.001 * j


def diversify(hits: list[Hit], index, top: int = 10, too_close: float = 0.93) -> list[Hit]:
    """Within the first `top` results, skip a paper that nearly duplicates one already chosen
    (cosine >= too_close); skipped papers follow right after, the rest keep their order."""
    chosen, held, vectors = [], [], []
    i = 0
    for i, h in enumerate(hits):
        if len(chosen) == top:
            break
        v = index.vector(h.id)
        if v is not None and vectors and float(np.max(np.stack(vectors) @ v)) >= too_close:
            held.append(h)
            continue
        chosen.append(h)
        if v is not None:
            vectors.append(v)
    else:
        i = len(hits)
    return chosen + held + hits[i:]


