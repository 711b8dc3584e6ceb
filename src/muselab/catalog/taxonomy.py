"""The project's task taxonomy (data/taxonomy.toml) as Task records."""

from __future__ import annotations

import re
import tomllib
from functools import cache, lru_cache
from importlib.resources import files
from typing import Iterator

from muselab.catalog.records import Task
from muselab.text import is_medium_word, normalise

INHERITED = ("how_it_works", "workflow", "needs", "input_modalities", "output_modalities", "substitutes", "aspects")


@cache
def builtin_tasks() -> tuple[Task, ...]:
    data = files("muselab.catalog").joinpath("data")
    raw = tomllib.loads(data.joinpath("taxonomy.toml").read_text(encoding="utf-8"))
    extra = tomllib.loads(data.joinpath("task_examples.toml").read_text(encoding="utf-8"))["examples"]
    by_id = {t["id"]: t for t in raw["task"]}
    unknown = sorted(set(extra) - set(by_id))
    assert not unknown, f"task_examples.toml names tasks the taxonomy lacks: {unknown}"
    for tid, questions in extra.items():
        by_id[tid]["examples"] = list(dict.fromkeys(by_id[tid].get("examples", []) + questions))
    for t in raw["task"]:
        parent = by_id.get(t.get("parent") or "")
        while parent:
            for field in INHERITED:
                if field not in t and field in parent:
                    t[field] = parent[field]
            parent = by_id.get(parent.get("parent") or "")
    return tuple(Task(**t) for t in raw["task"])


@cache
def builtin_task(task_id: str) -> Task | None:
    """One built-in task by id (None for an id the taxonomy does not have)."""
    return {t.id: t for t in builtin_tasks()}.get(task_id)


@cache
def parse_cue(cue: str) -> tuple[str, float]:
    """'vram=3' -> ('vram', 3.0); 'upscale' -> ('upscale', 1.0)."""
    phrase, _, weight = cue.rpartition("=") if "=" in cue else (cue, "", "")
    return (phrase or cue).lower(), float(weight) if weight else 1.0


def label_of(task: Task, tasks: dict[str, Task]) -> str:
    """The benchmark label of a task, walking up to a parent that has one."""
    t: Task | None = task
    while t is not None:
        if t.label:
            return t.label
        t = tasks.get(t.parent) if t.parent else None
    return "other"


# model-name prefixes used in the seeds and in muselab's catalog -> task id
PREFIX_TASKS = {
    "nst": "style-transfer", "txt2img": "text-to-image", "img2img": "image-to-image", "sr": "super-resolution",
    "restore": "image-restoration", "facerestore": "face-restoration", "color": "colorization",
    "edit": "image-editing", "inpaint": "inpainting", "control": "controllable-generation",
    "lora": "personalization", "id": "identity-generation", "video": "video-generation",
    "txt2vid": "video-generation", "img2vid": "video-generation", "motion": "text-to-motion",
    "txt23d": "text-to-3d", "img23d": "image-to-3d", "depth": "depth-estimation", "seg": "segmentation",
    "tryon": "virtual-try-on", "faceswap": "face-swap", "eval": "evaluation", "safety": "concept-erasure",
    "caption": "image-to-prompt", "interp": "frame-interpolation", "matte": "background-removal", "lipsync": "lip-sync",
    "audio": "audio-generation",
}


# the task of whatever no task describes (a general question; a model ingested with no known job)
CATCH_ALL = "other"


def task_from_name(name: str) -> str | None:
    return PREFIX_TASKS.get(name.split("-", 1)[0].lower()) if "-" in name else None


def family(task_id: str, tasks: dict[str, Task]) -> set[str]:
    """The task, its ancestors and every task below them (its siblings' too)."""
    return below(ancestry(task_id, tasks), tasks)


def lineage(task_id: str, tasks: dict[str, Task]) -> set[str]:
    """The task, its ancestors and its own descendants: not its siblings (inpainting and virtual try-on are
    both image editing, but an inpainter does not dress a person)."""
    return ancestry(task_id, tasks) | below({task_id}, tasks)


def ancestry(task_id: str, tasks: dict[str, Task]) -> set[str]:
    out, t = {task_id}, tasks.get(task_id)
    while t and t.parent:
        out.add(t.parent)
        t = tasks.get(t.parent)
    return out


def below(roots: set[str], tasks: dict[str, Task]) -> set[str]:
    """The roots and every task whose parent chain reaches one of them."""
    out = set(roots)
    while more := {o.id for o in tasks.values() if o.parent in out} - out:
        out |= more
    return out


def has_cue(phrase: str, q: str) -> int | None:
    """Where a cue first stands in a normalised text (see cue_spans), or None."""
    return next((start for start, _ in cue_spans(normalise(phrase), q)), None)


def first_cue(question: str, task: Task) -> int | None:
    """Where the first of the task's cues stands in the (normalised) question; None if none is there."""
    q = normalise(question)
    found = [at for cue in task.cues if (at := has_cue(parse_cue(cue)[0], q)) is not None]
    return min(found) if found else None


class CueIndex:
    """Cue phrases filed by their first four letters: a question is tested only against the cues whose
    start it contains (a few dozen), not against every cue of the taxonomy (thousands)."""

    def __init__(self, cues: list[tuple[str, object]]):  # (phrase, what it stands for)
        self.short: list[tuple[str, object]] = []
        self.by_head: dict[str, list[tuple[str, object]]] = {}
        for phrase, payload in cues:
            phrase = normalise(phrase)
            if len(phrase) < 4:
                self.short.append((phrase, payload))
            else:
                self.by_head.setdefault(phrase[:4], []).append((phrase, payload))

    def matches(self, q: str) -> Iterator[tuple[int, int, object]]:
        """(start, end, what the cue stands for) of each cue in a normalised question."""
        bare = without_determiners(q)[0]  # (a cue may start only once a determiner is passed over)
        heads = {t[i:i + 4] for t in {q, bare} for i in range(len(t) - 3)}
        for head in heads & self.by_head.keys():
            for phrase, payload in self.by_head[head]:
                yield from ((s, e, payload) for s, e in cue_spans(phrase, q))
        for phrase, payload in self.short:
            yield from ((s, e, payload) for s, e in cue_spans(phrase, q))


def cue_spans(phrase: str, q: str) -> Iterator[tuple[int, int]]:
    """Where a normalised phrase stands in a normalised text: as a whole word or phrase, a plural 's' or 'es'
    allowed, matches not overlapping (no pattern compiled per phrase: a question meets a few hundred
    phrases the first time it is read). A determiner the text puts between the cue's words is passed over:
    'remove a person' holds the cue 'remove person' (a cue that has a determiner of its own keeps it, and
    one that starts with an auxiliary verb is not stretched)."""
    found = list(_spans(phrase, q))
    yield from found
    bare, at = without_determiners(q)
    if len(bare) < len(q) and not DETERMINER_RE.search(phrase + " ") and phrase.split(" ", 1)[0] not in AUXILIARY:
        for s, e in _spans(phrase, bare):
            if (at[s], at[e - 1] + 1) not in found:
                yield at[s], at[e - 1] + 1


# words that only point at a thing ('remove the person', 'my drawing'), each with the space after it
DETERMINER_RE = re.compile(r"(?<![a-z0-9'])(?:a|an|the|my|your|his|her|their|our|this|that|these|those|some)\s+")


# a cue that starts with one of these is a question's own wording ('is ai' for 'is this AI?'), which a passed
# over determiner turns into another question ('is the AI just stubborn?')
AUXILIARY = frozenset("is are was were am be been do does did can could will would has have had".split())


@lru_cache(maxsize=512)
def without_determiners(q: str) -> tuple[str, tuple[int, ...]]:
    """The text with its determiners left out, and where each of its characters stands in the text."""
    dropped = {i for m in DETERMINER_RE.finditer(q) for i in range(m.start(), m.end())}
    at = tuple(i for i in range(len(q)) if i not in dropped)
    return "".join(q[i] for i in at), at


def _spans(phrase: str, q: str) -> Iterator[tuple[int, int]]:
    i = q.find(phrase)
    while i >= 0:
        j = i + len(phrase)
        end = None
        if i == 0 or not _alnum(q[i - 1]):
            end = next((j + len(tail) for tail in ("s", "es", "") if q.startswith(tail, j)
                        and (j + len(tail) == len(q) or not _alnum(q[j + len(tail)]))), None)
        if end is not None:
            yield i, end
        i = q.find(phrase, end if end is not None and end > i else i + 1)


_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _alnum(c: str) -> bool:
    return c in _ALNUM


_TASK_CUES: list = [None, None]  # (the taxonomy it was built from, its CueIndex)


def task_cues(tasks: dict[str, Task]) -> CueIndex:
    if _TASK_CUES[0] is not tasks:  # the store keeps one taxonomy object until the tasks change
        _TASK_CUES[:] = [tasks, CueIndex([(parse_cue(cue)[0], (n, t.id, i, parse_cue(cue)[1]))
                                          for n, t in enumerate(tasks.values()) for i, cue in enumerate(t.cues)])]
    return _TASK_CUES[1]


def cue_hits(question: str, tasks: dict[str, Task]) -> list[tuple[str, int, int, float]]:
    """(task id, start, end, weight) of each task cue the normalised question contains, each cue and each
    stretch of words once. A cue
    found only inside a longer cue's match counts for nothing: 'slow' in 'slow motion' is not about slow
    generation."""
    found = sorted((n, i, start, end, tid, weight)  # in the taxonomy's order
                   for start, end, (n, tid, i, weight) in task_cues(tasks).matches(normalise(question)))
    spans = [(s, e) for _, _, s, e, *_ in found]
    counted: dict[tuple[str, int], tuple[str, int, int, float]] = {}
    for _, i, start, end, tid, weight in found:
        if not any(s <= start and end <= e and e - s > end - start for s, e in spans):
            counted[tid, i] = (tid, start, end, weight)
    # two cues of one task on the same words ('prompt' and 'prompts' on 'prompts') are one cue, the heavier
    spot: dict[tuple[str, int, int], tuple[str, int, int, float]] = {}
    for hit in counted.values():
        if hit[:3] not in spot or hit[3] > spot[hit[:3]][3]:
            spot[hit[:3]] = hit
    return list(spot.values())


MEDIUM_MAX = 1.0  # the most that the medium alone says for a task (5-fold CV: bench/tasks.py --cv)


def cue_scores(question: str, tasks: dict[str, Task]) -> dict[str, float]:
    """Per task, the summed weights of its cues that the question contains (see cue_hits). Words that only
    name the medium ('video', 'clip', 'frames') count once per task, at most MEDIUM_MAX: a
    question that says 'video' three times is no more about making a video than one that says it once."""
    q = normalise(question)
    scores: dict[str, float] = {}
    medium: dict[str, float] = {}
    for tid, start, end, weight in cue_hits(question, tasks):
        if is_medium_word(q[start:end]):
            medium[tid] = max(medium.get(tid, 0.0), min(weight, MEDIUM_MAX))
        else:
            scores[tid] = scores.get(tid, 0.0) + weight
    for tid, weight in medium.items():
        scores[tid] = scores.get(tid, 0.0) + weight
    return scores


def task_text(task: Task, parent: Task | None = None) -> str:
    """What the field calls the task: its name, definition and vocabulary (for retrieval)."""
    vocab = task.vocabulary + (parent.vocabulary[:6] if parent else [])
    return f"{task.name}. {task.definition} {', '.join(vocab)}"
