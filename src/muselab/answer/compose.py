"""The offline composer: a grounded three-part answer from a Context and the catalog.

It writes only what the catalog knows (tasks, how models work) and what the
Context gives (names, links, summaries). It never adds a link, an arXiv id or
a model name of its own; the verifier checks that afterwards.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field

from muselab.answer.context import Context, Source
from muselab.catalog.taxonomy import task_from_name
from muselab.catalog.records import Model, Task, Workflow
from muselab.search.tasks import TaskGuess, cue_re, family, identify, normalise
from muselab.text import STOPWORDS, sentences, stem

# words too common in this field to show that two texts are about the same thing
GENERIC = {stem(w) for w in """image images model models ai generation generate generated generating method methods
    approach approaches result results propose proposed present paper work task tasks data new novel based use
    existing state art performance show shows demonstrate high different various way experiment experiments
    framework system systems learning deep neural network networks create created creating make visual""".split()}
METHOD_CUES = re.compile(r"\b(we propose|we present|we introduce|this paper|our method|our approach|we develop|we study)\b", re.I)


@dataclass
class ModelFit:
    source: Source
    record: Model | None
    task: Task
    fits: bool
    inferred: bool  # task read from the name prefix, not from a catalog record


@dataclass
class SourceNote:
    source: Source
    score: float
    level: str  # "closely related" | "related" | "loosely related"
    shared: list[str]
    sentences: list[str]


@dataclass
class Answer:
    context: Context
    guess: TaskGuess
    fits: list[ModelFit]
    notes: list[SourceNote]
    parts: dict[str, str]
    notices: list[str] = field(default_factory=list)
    backend: str = "offline"
    text: str | None = None  # an LLM's (repaired) text; None: the composed parts
    repair: dict | None = None
    stats: dict = field(default_factory=dict)

    def markdown(self) -> str:
        body = self.text.rstrip() if self.text else "\n\n".join(self.parts[k] for k in ("task", "workflow", "sources"))
        if self.notices:
            body += "\n\n" + "\n".join(f"> {n}" for n in self.notices)
        return body + "\n"

    def to_dict(self) -> dict:
        return {
            "question": self.context.question,
            "backend": self.backend,
            "task": self.guess.to_dict(),
            "models": [
                {"name": f.source.name, "task": f.task.id, "fits_task": f.fits, "in_catalog": f.record is not None,
                 "links": f.source.links}
                for f in self.fits
            ],
            "papers": [
                {"title": n.source.name, "relevance": n.level, "score": round(n.score, 2), "links": n.source.links}
                for n in self.notes if n.source.kind == "paper"
            ],
            "parts": self.parts,
            "notices": self.notices,
            "repair": self.repair,
            "stats": self.stats,
            "markdown": self.markdown(),
        }


# -- step 1: what each given model is --------------------------------------------


def model_fits(ctx: Context, store, tasks: dict[str, Task]) -> list[tuple[Source, Model | None, Task, bool]]:
    out = []
    for src in ctx.models:
        record = store.model(src.name) if store is not None else None
        tid = record.task if record else task_from_name(src.name)
        inferred = record is None
        task = tasks.get(tid or "") or tasks.get("other")
        out.append((src, record, task, inferred))
    return out


# -- step 2: relevance of each given source ----------------------------------------


@lru_cache(maxsize=4096)
def stem_seq(text: str) -> list[str]:
    """Content-word stems in order, hyphenated words split ('real-world' -> real, world)."""
    return [stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 1]


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


# -- step 3: the three parts ----------------------------------------------------------


def describe_goal(question: str, task: Task) -> str:
    """The user's aim in the task's plain words, with the specifics the question gives."""
    q = normalise(question)
    details = []
    scale = re.findall(r"(?<![a-z0-9])(\d{1,2})\s?x(?![a-z0-9])|(?<![a-z0-9])x(\d{1,2})(?![a-z0-9])", q)
    if scale:
        details.append(f"{(scale[0][0] or scale[0][1])}x")
    for domain in ("anime", "cartoon", "illustration", "manga", "animation", "photo", "portrait", "video", "sketch", "3d"):
        if re.search(rf"(?<![a-z0-9]){domain}", q):
            details.append(domain)
    quoted = re.findall(r"[\"“]([^\"”]{2,60})[\"”]", question)
    goal = f"you want to {task.goal}" if task.goal else f"your question is about {task.name.lower()}"
    if details:
        goal += f" ({', '.join(dict.fromkeys(details))})"
    if quoted:
        goal += "; the phrases you used were " + " and ".join(f"“{p}”" for p in quoted)
    return goal


def task_part(ctx: Context, guess: TaskGuess, fits: list[ModelFit], tasks: dict[str, Task],
              show_confidence: bool = False) -> str:
    t = guess.task
    parent = tasks.get(t.parent) if t.parent else None
    lines = ["## 1. Task", ""]
    where = f", part of {parent.name.lower()}" if parent else ""
    confidence = f" Identified with confidence {guess.confidence:.2f}." if show_confidence else ""
    lines.append(f"**{t.name}** (`{t.id}`{where}). {t.definition}{confidence}")
    lines.append("")
    lines.append(f"In your terms: {describe_goal(ctx.question, t)}.")
    if guess.close and guess.runner_up:
        lines += ["", f"The question also reads partly as **{guess.runner_up.name.lower()}**; "
                      f"the answer follows {t.name.lower()}, the closer match."]
    for f in fits:
        if not f.fits:
            lines += ["", f"**Model fit:** the recommended model {f.source.name} is a {f.task.name.lower()} model, "
                          f"so it does not fit this task directly: it does not perform {t.name.lower()}. "
                          f"The task needs {t.needs}. Section 2 shows what the model can still do."]
    return "\n".join(lines)


def chain(wf: Workflow, model_name: str) -> str:
    inner = " → ".join(wf.steps)
    return f"{wf.input} → **{model_name}** [{inner}] → {wf.output}"


def workflow_part(ctx: Context, guess: TaskGuess, fits: list[ModelFit], tasks: dict[str, Task]) -> str:
    qt = guess.task
    lines = ["## 2. Workflow (input → model → output)"]
    if shown_task_block(qt, fits):
        # a help topic, or a given model does not do the task: first show the chain the task itself needs
        what = "what to do" if not qt.generative else f"a {qt.name.lower()} model"
        lines += ["", f"### {qt.name}", "",
                  f"{qt.workflow.input} → **{what}** [{' → '.join(qt.workflow.steps)}] → {qt.workflow.output}",
                  "", f"**How it works.** {qt.how_it_works}"]
        for text in matching_aspects(ctx.question, qt):
            lines += ["", text]
    explained: dict[str, str] = {}  # task id -> the first model whose section explains it
    for f in fits:
        wf = (f.record.workflow if f.record else None) or f.task.workflow or qt.workflow
        title = f.record.category if f.record and f.record.category else f.task.name
        lines += ["", f"### {f.source.name}", f"*{title}*", ""]
        first = f.task.id not in explained
        if wf:
            lines.append(chain(wf, f.source.name))
            lines += ["", f"- **Input:** {wf.input}", f"- **Output:** {wf.output}"]
            if wf.settings and (first or f.record and f.record.workflow):
                lines.append(f"- **Settings that matter:** {'; '.join(wf.settings)}.")
            elif wf.settings:
                lines.append(f"- **Settings that matter:** as for {explained[f.task.id]}.")
        if first:
            explained[f.task.id] = f.source.name
            if f.task.how_it_works and not (f.task.id == qt.id and qt.id in shown_task_block(qt, fits)):
                lines += ["", f"**How it works.** {f.task.how_it_works}"]
                for text in matching_aspects(ctx.question, f.task):
                    lines += ["", text]
        if not f.fits:
            lines += ["", mismatch_text(f, qt, tasks)]
        if f.inferred:
            lines += ["", f"*{f.source.name} is not in muselab's catalog; its task was read from its name.*"]
    return "\n".join(lines)


def shown_task_block(qt: Task, fits: list[ModelFit]) -> set[str]:
    """The question's task gets its own section when it is a help topic or a given model does not do it."""
    return {qt.id} if qt.workflow and (not qt.generative or not fits or not all(f.fits for f in fits)) else set()


def matching_aspects(question: str, task: Task, limit: int = 2) -> list[str]:
    q = normalise(question)
    scored = []
    for i, aspect in enumerate(task.aspects):
        hits = sum(1 for c in aspect.cues if cue_re(c).search(q))
        if hits:
            scored.append((-hits, i, aspect.text))
    return [text for _, _, text in sorted(scored)[:limit]]


def mismatch_text(f: ModelFit, qt: Task, tasks: dict[str, Task]) -> str:
    can = None
    for tid in [qt.id] + sorted(family(qt.id, tasks)):
        can = f.task.substitutes.get(tid)
        if can:
            break
    lines = [f"**Does it fit the question?** No. {f.source.name} is a {f.task.name.lower()} model; "
             f"the question is about {qt.name.lower()}."]
    lines.append(f"What it can still do: {can}" if can else
                 f"It cannot perform {qt.name.lower()} itself; it can only be one stage around a model that does.")
    lines.append(f"What the task needs is {qt.needs} (the chain under {qt.name} above).")
    return "\n".join(lines)


def sources_part(fits: list[ModelFit], notes: list[SourceNote], qt: Task) -> str:
    lines = ["## 3. Papers and tools", "", "Ordered by relevance to the question; only the sources given were used.", ""]
    lines.append("**Tools (recommended models)**" if fits else "**Tools:** no model was recommended.")
    for f in fits:
        links = "; ".join(_labelled_links(f.source)) or "no link given"
        summary = f.source.summary or (f.record.summary if f.record else "")
        fit = "fits the task" if f.fits else f"does not fit {qt.name.lower()} directly (see section 2)"
        lines.append(f"- **{f.source.name}** ({links}). {summary} It is the recommended model; it {fit}.".replace("  ", " "))
    papers = [n for n in notes if n.source.kind == "paper"]
    if papers:
        lines += ["", "**Papers**"]
        for i, n in enumerate(papers, 1):
            links = "; ".join(_labelled_links(n.source)) or "no link given"
            said = " ".join(n.sentences)
            lines.append(f"{i}. **{n.source.name}** ({links}), *{n.level}*. {said} {connection(n, qt)}".rstrip())
    return "\n".join(lines)


def _labelled_links(src: Source) -> list[str]:
    out = []
    if src.paper_url:
        out.append(f"paper: {src.paper_url}")
    if src.github_url:
        out.append(f"GitHub: {src.github_url}")
    out += [f"{k}: {v}" for k, v in src.fields.items() if v.startswith("http")]
    return out


def connection(n: SourceNote, qt: Task) -> str:
    shared = ", ".join(n.shared[:4])
    if n.level == "closely related":
        return f"Why it matters here: it works with the same technique ({shared})."
    if n.level == "related":
        return f"Why it matters here: it touches the same ground ({shared})."
    topic = n.source.name.split(":", 1)[-1].strip() if ":" in n.source.name else n.source.name
    overlap = f"it shares only “{'”, “'.join(n.shared[:3])}” with the question" if shared else "it shares little with the question"
    return f"Only loosely related: {overlap}, and its subject ({topic}) is not {qt.name.lower()}."


# -- the composer -------------------------------------------------------------------


def compose(ctx: Context, store, tasks: dict[str, Task], guess: TaskGuess | None = None) -> Answer:
    """`guess` comes from `ask`, which identified the task itself; `answer` leaves it to step 2."""
    # 1. what the given models are, from the catalog (or their name prefix)
    raw = model_fits(ctx, store, tasks)
    # 2. the question's task, with the given models' tasks as a prior
    identified_here = guess is None
    if guess is None:
        guess = identify(ctx.question, tasks, prior_tasks=[t.id for _, _, t, _ in raw])
    qfamily = family(guess.task.id, tasks)
    # for help topics (installation, which model made this) models are context, not candidates
    fits = [ModelFit(src, rec, task, task.id in qfamily or not guess.task.generative, inferred)
            for src, rec, task, inferred in raw]
    # 3. rate every given paper against the question and the task's vocabulary
    phrases = technique_phrases(guess.task, tasks)
    notes = [rate(p, ctx.question, phrases) for p in ctx.papers]
    notes.sort(key=lambda n: -n.score)  # stable: ties keep the given order
    # 4. write the three parts
    parts = {
        "task": task_part(ctx, guess, fits, tasks, show_confidence=not identified_here),
        "workflow": workflow_part(ctx, guess, fits, tasks),
        "sources": sources_part(fits, notes, guess.task),
    }
    return Answer(ctx, guess, fits, notes, parts)

