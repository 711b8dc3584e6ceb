"""Model recommendation: models of the identified task, ranked by how well they fit the question.

Score = task fit (the task itself, else its family) + meaning (cosine between
the question and the model's description) + lexical match (BM25 over names,
categories, summaries and tags) + the question's specifics the model matches
(content such as anime or photo, the scale asked for) + a small bonus for models
that can run here. Near-identical variants of one model family are shown once, and
a model outside the task is shown only when no model of the task exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from muselab.catalog.records import Model, Task
from muselab.catalog.taxonomy import family
from muselab.search.fusion import fuse, positions, ranking
from muselab.search.index import load_index
from muselab.search.papers import fts_terms, lexical
from muselab.text import DOMAINS, SCALE_RE, asked_scale, domains_in, normalise

# add-ons that need a base model to do anything: a question about a task wants the model that does it,
# unless the add-on is that task's own tool (a LoRA for personalization, a ControlNet for control)
ADD_ONS = ("lora", "motion lora", "controlnet", "t2i-adapter", "vae", "taesd", "clip", "embedding", "ip-adapter")
NATURAL_ADD_ONS = {"personalization": ("lora",), "identity-generation": ("lora", "ip-adapter"),
                   "controllable-generation": ("controlnet", "t2i-adapter"), "image-to-image": ("ip-adapter",),
                   "prompt-engineering": ("embedding",)}
IMAGE_INPUT = re.compile(r"(?<![a-z])(photo|picture|image|selfie|drawing|sketch|screenshot|still|illustration|"
                         r"render|portrait)s?(?![a-z])")


@dataclass
class Recommendation:
    model: Model
    score: float
    fits: bool


class ModelTable:
    """The catalog's models with what scoring needs, prepared once per catalog version."""

    def __init__(self, models: list[Model]):
        self.models = models
        self.names = [m.name for m in models]
        self.row = {m.name.lower(): i for i, m in enumerate(models)}
        self.row_by_name = {m.name: i for i, m in enumerate(models)}
        self.tasks = np.array([m.task for m in models])
        about = [f"{m.name} {m.category} {m.summary} {' '.join(m.tags)}".lower() for m in models]
        self.domains = {d: np.array([d in a for a in about], dtype=float) for d in DOMAINS}
        scales = [model_scale(m) or 0 for m in models]
        self.scales = np.array(scales)
        self.families = [family_key(m) for m in models]
        self.prior = np.array([(0.8 if m.runnable else 0.0) + (0.3 if m.summary else 0.0) for m in models])
        self.takes_image = np.array(["image" in m.input_modalities for m in models], dtype=float)
        self.add_on = [next((a for a in ADD_ONS if a in " ".join(m.tags).lower().split(" for ")[0]
                             or m.category.lower().startswith(a)), None) for m in models]
        self._index_rows: tuple = (None, None)

    def rows_of(self, index) -> np.ndarray:
        """For each vector of a models index, the row of its model here (-1 if none)."""
        if self._index_rows[0] is not index:
            self._index_rows = (index, np.array([self.row.get(i.lower(), -1) for i in index.ids]))
        return self._index_rows[1]


def model_table(store) -> ModelTable:
    return store.derived("model_table", ("models", "builtin"), lambda: ModelTable(store.models()))


def model_scale(m: Model) -> int | None:
    return asked_scale(f"{' '.join(m.tags)} {m.category} {m.name}")


def family_key(m: Model) -> str:
    """Variants share the words before their size/version suffixes: AnimeJaNai-v2-Compact ~ AnimeJaNai-v2-UltraCompact."""
    return " ".join(re.findall(r"[a-z]+", (m.display_name or m.name).lower())[:2])


def lexical_scores(store, question: str, table: ModelTable, cache_dir) -> np.ndarray:
    out = np.zeros(len(table.models))
    if cache_dir is not None:
        from muselab.search.bm25 import bm25_index

        index = bm25_index(store, cache_dir, "models")
        hits = index.top(" ".join(fts_terms(question)), 200)
    else:
        hits = [(h.id, h.score) for h in lexical(store, question, 200, table="models")]
    for name, score in hits:
        if (r := table.row.get(name.lower())) is not None:
            out[r] = score
    return out / (out.max() or 1.0)


def named_in(question: str, table: ModelTable) -> np.ndarray:
    """Models the (normalised) question names by their family, e.g. 'sdxl' or 'stable video'."""
    words = f" {' '.join(re.findall(r'[a-z]+', question))} "
    return np.array([len(f) >= 3 and f" {f} " in words for f in table.families])


def candidates(fit: np.ndarray, question: str, table: ModelTable, score: np.ndarray) -> np.ndarray:
    """Rows to recommend, best first. Models of the task when there are any: a model that does not
    fit is never shown to fill the list. Otherwise (questions about hardware or setup) the models
    the question names, else the closest ones."""
    order = np.lexsort((np.arange(len(score)), -score))
    for keep in (fit > 0, named_in(question, table)):
        if keep.any():
            return order[keep[order]]
    return order


def recommend(store, question: str, task: Task, tasks: dict[str, Task], qvec=None, space: str | None = None,
              k: int = 3, cache_dir=None) -> list[Recommendation]:
    table = model_table(store)
    fam = family(task.id, tasks)
    fit = np.where(table.tasks == task.id, 3.0, np.where(np.isin(table.tasks, list(fam)), 1.5, 0.0))
    q = normalise(question)
    natural = {a for tid in fam for a in NATURAL_ADD_ONS.get(tid, ())}
    add_on = np.array([-1.0 if a and a not in q and a not in natural else 0.0 for a in table.add_on])
    meaning = np.zeros(len(table.models))
    if qvec is not None and space:
        index = load_index(store, "models", space)
        if len(index):
            rows = table.rows_of(index)
            ok = rows >= 0
            meaning[rows[ok]] = index.scores(qvec)[ok]
    domains, scale = domains_in(question), asked_scale(q)
    specifics = sum((table.domains[d] for d in domains), np.zeros(len(table.models)))
    if IMAGE_INPUT.search(q):  # the user starts from a picture: prefer models that take one
        specifics = specifics + 0.8 * table.takes_image
    if scale:
        sized = (table.scales > 0) & (table.tasks == "super-resolution")
        specifics = specifics + np.where(sized, np.where(table.scales == scale, 1.0, -0.5), 0.0)
    # runnable/summary bonuses only among models of the task: they break ties, they do not change the task
    score = (fit + 4.0 * meaning + lexical_scores(store, question, table, cache_dir) + 1.2 * specifics
             + np.where(fit > 0, table.prior, 0.0) + add_on)
    out, seen = [], set()
    for r in candidates(fit, q, table, score):
        if table.families[r] in seen:
            continue
        seen.add(table.families[r])
        out.append(Recommendation(table.models[r], float(score[r]), bool(fit[r] > 0)))
        if len(out) >= k:
            break
    return out


def search_models(store, query: str, k: int, mode: str, embedder=None, cache_dir=None) -> list[tuple[Model, float]]:
    """Direct look-up: FTS5 BM25 (lexical), MiniLM cosine (dense) or both fused (hybrid, task)."""
    table = model_table(store)
    rankings = []
    if mode != "dense":
        lex = lexical(store, query, 300, table="models")
        if mode == "lexical":
            return [(m, h.score) for h in lex[:k] if (m := store.model(h.id))]
        rankings.append((positions([h.id for h in lex], table.row_by_name), 1.0))
    index = load_index(store, "models", embedder.space)
    rows = table.rows_of(index)
    cos = np.zeros(len(table.models))
    cos[rows[rows >= 0]] = index.scores(embedder.encode([query])[0])[rows >= 0]
    if mode == "dense":
        return [(table.models[r], float(cos[r])) for r in ranking(cos, k)]
    rankings.append((ranking(cos), 1.0))
    fused = fuse(rankings, len(table.models))
    return [(table.models[r], float(fused[r])) for r in ranking(fused, k)]
