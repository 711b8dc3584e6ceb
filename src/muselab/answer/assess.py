"""Assessing the given sources: what each model is and whether it fits, how closely each paper bears
on the question, and which of its sentences say so."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from muselab.answer.result import SourceNote
from muselab.catalog.records import Model, Task
from muselab.catalog.taxonomy import CATCH_ALL, task_from_name
from muselab.context import Context, Source
from muselab.text import GENERIC, sentences, stem, stem_seq

METHOD_CUES = re.compile(r"\b(we propose|we present|we introduce|this paper|our method|our approach|we develop|we study)\b", re.I)


def model_fits(ctx: Context, store, tasks: dict[str, Task]) -> list[tuple[Source, Model | None, Task, bool]]:
    out = []
    for src in ctx.models:
        record = store.model(src.name) if store is not None else None
        tid = record.task if record else task_from_name(src.name)
        inferred = record is None
        task = tasks.get(tid or "") or tasks.get(CATCH_ALL)
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


# cosines of a paper with what the question asks about (task description / mechanism) and with the question
RELATED = 0.5
# "closely related" is earned by a work the asked mechanism rests on that is also near the question's own
# meaning. Judged answers of rounds U2-U8 (163 papers so labelled): of those not behind the asked mechanism,
# 18 of 21 were off-topic; of those behind it, 22 of 72 at a cosine of 0.35 or more, 29 of 70 below it
CLOSE_FLOOR = 0.35


@dataclass
class Subject:
    """What the question is about, for rating papers: its task(s), the mechanisms asked about, the field's
    terms, and (from `ask`) each paper's closeness (cosine with the question, with the subject)."""

    guess: object
    tasks: dict
    explainers: list
    store: object = None
    closeness: dict = field(default_factory=dict)
    clear: frozenset | None = None  # (from `ask`) the explainers clearly asked about; None: all (found by cue)
    model_papers: dict = field(default_factory=dict)  # (from `ask`) paper id -> (its model, named or not)
    worded: frozenset | None = None  # (from `ask`) the explainers the question names in its words; None: all

    def __post_init__(self):
        t = self.guess.task
        self.task_ids = {t.id, t.parent, self.guess.second.id if self.guess.second else None} - {None}
        self.cited = {pid: e for e in reversed(self.explainers) for pid in e.papers}
        # the mechanism asked about is the first explainer (and, in a two-part question, the second part's
        # own): the works they rest on are closely related; another explainer's are only what they earn.
        # A mechanism that is only the task's nearest guess vouches for nothing: its works earn their label.
        # Nor does one the question only resembles in meaning: in the judged held-out rounds U21-U27, 11 of
        # the 15 papers such a mechanism made "closely related" were off-topic, against 16 of 48 behind a
        # mechanism the question names in its words
        sure = lambda e: ((self.clear is None or e.id in self.clear)  # noqa: E731
                          and (self.worded is None or e.id in self.worded))
        second = self.guess.second.id if self.guess.second else None
        self.asked = {pid for i, e in enumerate(self.explainers) if (i == 0 or (second and second in e.tasks))
                      and sure(e) for pid in e.papers}
        self.phrases = technique_phrases(t, self.tasks)

    def paper_tasks(self, pid: str | None) -> set[str]:
        record = self.store.paper(pid) if pid and self.store is not None else None
        return set(record.tasks) if record else set()


def rate(src: Source, question: str, subject: Subject) -> SourceNote:
    """How closely a paper bears on what was asked: is it one the asked mechanism rests on, is it filed under
    the asked task, how close its meaning is (from `ask`); shared words only when nothing else is known."""
    phrases = subject.phrases
    doc = stem_seq(f"{src.name} {src.summary}")
    grams = ngrams(doc, max((len(p) for p in phrases.values()), default=1))
    q_stems = set(stem_seq(question)) - GENERIC
    by_method = [t for t, seq in phrases.items() if seq in grams and not set(seq) <= q_stems]
    shown = {stem(w): w for w in re.findall(r"[a-z0-9]+", question.lower())}
    by_question = sorted(shown.get(w, w) for w in q_stems & set(doc))
    pid = src.arxiv_id
    cited, on_task = subject.cited.get(pid), bool(subject.paper_tasks(pid) & subject.task_ids)
    level = _level(pid in subject.asked, on_task, subject.closeness.get(pid), len(by_method), len(by_question))
    model = subject.model_papers.get(pid)
    if (cited is not None or model) and level == "loosely related":
        level = "related"  # a work behind a mechanism the answer shows, or a shown model's own, is related
    rank = {"closely related": 2, "related": 1, "loosely related": 0}[level]
    score = 10.0 * rank + 3.0 * (cited is not None) + 2.0 * on_task + len(by_method) + 0.5 * len(by_question)
    terms = q_stems | {w for seq in phrases.values() for w in seq}
    return SourceNote(src, score, level, (by_method + by_question)[:5], pick_sentences(src.summary, terms),
                      mechanism=cited.title if cited else None, on_task=on_task, model=model)


def _level(cited: bool, on_task: bool, close, n_method: int, n_question: int) -> str:
    if close is not None:  # (from `ask`) the paper's cosine with the question, and with what it asks about
        q, about = close
        if cited and q >= CLOSE_FLOOR:
            return "closely related"
        return "related" if cited or on_task or about >= RELATED or q >= RELATED else "loosely related"
    if cited:
        return "closely related"
    if (on_task and n_method >= 1) or n_method >= 3:
        return "closely related"
    return "related" if on_task or n_method >= 1 or n_question >= 3 else "loosely related"


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
