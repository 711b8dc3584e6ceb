"""Assessing the given sources: what each model is and whether it fits, how closely each paper bears
on the question, and which of its sentences say so."""

from __future__ import annotations

import re

from muselab.answer.result import SourceNote
from muselab.catalog.records import Model, Task
from muselab.catalog.taxonomy import task_from_name
from muselab.context import Context, Source
from muselab.text import GENERIC, sentences, stem, stem_seq

METHOD_CUES = re.compile(r"\b(we propose|we present|we introduce|this paper|our method|our approach|we develop|we study)\b", re.I)


def model_fits(ctx: Context, store, tasks: dict[str, Task]) -> list[tuple[Source, Model | None, Task, bool]]:
    out = []
    for src in ctx.models:
        record = store.model(src.name) if store is not None else None
        tid = record.task if record else task_from_name(src.name)
        inferred = record is None
        task = tasks.get(tid or "") or tasks.get("other")
        out.append((src, record, task, inferred))
    return out


def technique_phrases(task: Task, tasks: dict[str, Task]) -> dict[str, tuple[str, ...]]:
    """The field's terms for the task (and its parent) as stem sequences, generic-only terms dropped."""
    terms = list(task.vocabulary)
    parent = tasks.get(task.parent) if task.parent else None
    if parent:
        terms += parent.vocabulary
    out = {}
    for term in terms:
        seq = tuple(stem_seq(term))
        if seq and not set(seq) <= GENERIC:
            out[term] = seq
    return out


def ngrams(seq: list[str], longest: int) -> set[tuple[str, ...]]:
    return {tuple(seq[i:i + n]) for n in range(1, longest + 1) for i in range(len(seq) - n + 1)}


def rate(src: Source, question: str, phrases: dict[str, tuple[str, ...]]) -> SourceNote:
    """How closely a source bears on the question: by the field's terms (method) and by the question's words."""
    doc = stem_seq(f"{src.name} {src.summary}")
    grams = ngrams(doc, max((len(p) for p in phrases.values()), default=1))
    q_stems = set(stem_seq(question)) - GENERIC
    by_method = [t for t, seq in phrases.items() if seq in grams and not set(seq) <= q_stems]
    shown = {stem(w): w for w in re.findall(r"[a-z0-9]+", question.lower())}
    by_question = sorted(shown.get(w, w) for w in q_stems & set(doc))
    score = 3.0 * len(by_method) + len(by_question)
    if len(by_method) >= 2:
        level = "closely related"
    elif by_method or len(by_question) >= 3:
        level = "related"
    else:
        level = "loosely related"
    terms = q_stems | {w for seq in phrases.values() for w in seq}
    return SourceNote(src, score, level, (by_method + by_question)[:5], pick_sentences(src.summary, terms))


def pick_sentences(summary: str, terms: set[str], n: int = 2) -> list[str]:
    """The summary's sentences that say most about the terms, in their original order."""
    sents = [s for s in sentences(summary) if len(s) > 30]
    if not sents:
        return []
    scored = []
    for i, s in enumerate(sents):
        overlap = len(set(stem_seq(s)) & terms)
        scored.append((overlap + (1.5 if METHOD_CUES.search(s) else 0) - 0.01 * i, i))
    keep = sorted(i for _, i in sorted(scored, reverse=True)[:n])
    return [_clip(sents[i]) for i in keep]


def _clip(sentence: str, limit: int = 320) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rsplit(" ", 1)[0] + "…"
