"""Model recommendation: models of the identified task, ranked by how well they fit the question.

Score = task fit (the task itself, else its family) + meaning (cosine between
the question and the model's description) + lexical match (FTS5 over names,
categories, summaries and tags) + the question's specifics the model matches
(content such as anime or photo, the scale asked for) + a small bonus for models
that can run here. Near-identical variants of one model family are shown once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


from muselab.catalog.records import Model, Task
from muselab.search.index import load_index
from muselab.search.papers import lexical
from muselab.search.tasks import family, normalise

DOMAINS = ("anime", "cartoon", "illustration", "manga", "photo", "portrait", "face", "video", "pixel art", "sketch",
           "line art", "game", "text")


@dataclass
class Recommendation:
    model: Model
    score: float
    fits: bool


_MODELS: dict = {}


def all_models(store) -> list[Model]:
    key = str(store.path)
    version = (store.count("models"), store.get_meta("builtin_version"), store.get_meta("models_version"))
    hit = _MODELS.get(key)
    if hit and hit[0] == version:
        return hit[1]
    models = store.models()
    _MODELS[key] = (version, models)
    return models


def question_specifics(question: str) -> tuple[set[str], int | None]:
    q = normalise(question)
    domains = {d for d in DOMAINS if re.search(rf"(?<![a-z]){d}", q)}
    scale = re.search(r"(?<![a-z0-9])(\d{1,2})\s?x(?![a-z0-9])|(?<![a-z0-9])x(\d{1,2})(?![a-z0-9])", q)
    return domains, int(scale.group(1) or scale.group(2)) if scale else None


def model_scale(m: Model) -> int | None:
    text = " ".join(m.tags) + " " + m.category + " " + m.name
    s = re.search(r"(?<![a-z0-9])(\d{1,2})x(?![a-z0-9])|(?<![a-z0-9])x(\d{1,2})(?![a-z0-9])", text.lower())
    return int(s.group(1) or s.group(2)) if s else None


def family_key(m: Model) -> str:
    """Variants share the words before their size/version suffixes: AnimeJaNai-v2-Compact ~ AnimeJaNai-v2-UltraCompact."""
    words = re.findall(r"[a-z]+", (m.display_name or m.name).lower())
    return " ".join(words[:2])


def recommend(store, question: str, task: Task, tasks: dict[str, Task], qvec=None, space: str | None = None,
              k: int = 3) -> list[Recommendation]:
    models = all_models(store)
    fam = family(task.id, tasks)
    domains, scale = question_specifics(question)
    lex = {h.id.lower(): h.score for h in lexical(store, question, 200, table="models")}
    top_lex = max(lex.values(), default=1.0) or 1.0
    sims = {}
    if qvec is not None and space:
        index = load_index(store, "models", space)
        if len(index):
            sims = dict(zip(index.ids, index.scores(qvec).tolist()))
    scored = []
    for m in models:
        fit = 3.0 if m.task == task.id else 2.0 if m.task in fam else 0.0
        about = f"{m.name} {m.category} {m.summary} {' '.join(m.tags)}".lower()
        specifics = sum(1.0 for d in domains if d in about)
        if scale and m.task == "super-resolution":
            ms = model_scale(m)
            specifics += 1.0 if ms == scale else (-0.5 if ms else 0.0)
        score = (fit + 4.0 * sims.get(m.name, 0.0) + lex.get(m.name.lower(), 0.0) / top_lex
                 + 1.2 * specifics + (0.8 if m.runnable else 0.0) + (0.3 if m.summary else 0.0))
        scored.append((score, m, fit > 0))
    scored.sort(key=lambda x: (-x[0], x[1].name))
    out, seen = [], set()
    for score, m, fits in scored:
        fk = family_key(m)
        if fk in seen:
            continue
        seen.add(fk)
        out.append(Recommendation(m, score, fits))
        if len(out) >= k:
            break
    return out


__all__ = ["Recommendation", "recommend"]
