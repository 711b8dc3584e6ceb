"""Which mechanism explainers (catalog data/explainers.toml) a question is about.

Two signals: the explainer's cues written in the question (cheap, no NumPy: what `answer`
uses for a given prompt), and, for `ask`, the meaning: the question's similarity to the
explainer's title and plain answer. A cue alone picks an explainer; similarity alone must be
clear (MIN_SIMILARITY) and is worth more when the explainer belongs to the identified task.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

from muselab.catalog.knowledge import explainers
from muselab.catalog.records import Explainer, Task
from muselab.catalog.taxonomy import CueIndex, builtin_task, builtin_tasks
from muselab.text import asked_conversion, mentions_video, normalise

MIN_SIMILARITY = 0.5  # cosine of the question with an explainer's title + answer, on its own
OWN_TASK = 2.5  # an explainer filed under the identified task, against one of another task
GENERAL_MARGIN = 0.05  # how much closer to the task's definition makes a question one about the task as a whole
FALLBACK_SIMILARITY = 0.35  # with no clear signal, the task's own explainer closest in meaning, if this close
PRIMARY = 0.3  # among the task's own explainers, one filed first under the task before one it shares with another
OTHER_TASK_CLEAR = 0.6  # meaning alone brings in another task's mechanism beside the task's own only if this close
LIMIT = 2
PATTERN = 2.0  # the syntax an explainer is about, written in the question, counts as a two-word cue
CONVERSION = 2.0  # a question asking to turn one kind into another, for the mechanism of that conversion
VIDEO_VERSION = 2.0  # a question about a video: a clearly similar mechanism filed under a video task comes first
BESIDE_MARGIN = 0.1  # how much less close in meaning a second, unnamed mechanism may be than the first
EXPLAINER_PRIOR = 3.0  # how much the clearly asked-about mechanism's task counts in identification
# a mechanism beside the first must also be about the question in meaning, not only share a phrase with it:
# judged on 260 held-out questions, the second mechanisms below these similarities were mostly another job
# ('sound effects' in a manga read as audio), seldom the one asked about
BESIDE_FLOOR_OWN, BESIDE_FLOOR_OTHER = 0.30, 0.35
# a mechanism picked only by its own words (glasses try-on, makeup) is the specific case the question names:
# it comes before the general mechanism of the same task (garment try-on) that it also resembles
NAMED_SUBJECT = 1.5


@lru_cache(maxsize=256)  # a question is read by several steps (task prior, explainers, papers)
def cue_scores(question: str) -> dict[str, float]:
    """Per explainer: words of its cues the question contains (a longer cue says more)."""
    # the same words count once: cues of one explainer that match the same span ('song' and 'songs',
    # 'image to 3d' and 'image-to-3d') are one match, the longest cue's; a cue met twice counts once
    spans: dict[tuple, tuple[float, int]] = {}
    text = normalise(question)
    for start, end, (eid, i, words) in explainer_cues().matches(text):
        if names_what_is_made(text, start, end):
            continue
        spans[eid, start, end] = max(spans.get((eid, start, end), (0.0, -1)), (words, i))
    found = {(eid, i): words for (eid, _, _), (words, i) in spans.items()}
    out: dict[str, float] = {}
    for (eid, _), words in found.items():
        out[eid] = out.get(eid, 0.0) + words
    for e, rx in explainer_patterns():  # the syntax it explains, written out: '(red dress:1.3)'
        if rx.search(question):
            out[e.id] = out.get(e.id, 0.0) + PATTERN
    # what the question asks to turn into what ('an old photo started moving': image to video) counts as
    # a two-word cue for the mechanism of that conversion; with no start said, as a one-word cue
    asked = asked_conversion(question)
    for eid in conversion_mechanisms(question):
        out[eid] = out.get(eid, 0.0) + (CONVERSION if asked[0] else CONVERSION / 2)
    return out


# a cue about making something, followed by the look it is made to have or by what is specific about it, names
# the thing being made, not the mechanism: 'make a picture' in 'make a picture look like it was taken at night'
# or 'make pictures of the same dog in different places' is not how pictures are made in general
_RESULT_AFTER = re.compile(r"\s+(?:look|appear|seem)\b")
_SPECIFIC_AFTER = re.compile(r"\s+(?:of|for|with|where|that)\b")  # after a made picture: what it is of, or for
_PICTURE_END = re.compile(r"(?:picture|image|photo|art)s?$")
_MAKES = re.compile(r"\b(?:make|makes|made|making|turn|turns)\b")


def names_what_is_made(text: str, start: int, end: int) -> bool:
    """Whether the making cue at text[start:end] is followed by the look or the subject of what is made."""
    return bool(_MAKES.search(text, start, end)) and bool(
        _RESULT_AFTER.match(text, end) or (_SPECIFIC_AFTER.match(text, end) and _PICTURE_END.search(text, start, end)))


@lru_cache(maxsize=256)
def conversion_mechanisms(question: str) -> tuple[str, ...]:
    """The explainers of the conversion a question asks for (text.asked_conversion), if any."""
    asked = asked_conversion(question)
    return tuple(e.id for e in explainers() if asked and e.converts and e.converts[1] == asked[1]
                 and asked[0] in (None, e.converts[0]))


@cache
def video_tasks() -> frozenset[str]:
    """The tasks that make video (their explainers are the video versions of a mechanism)."""
    return frozenset(t.id for t in builtin_tasks() if "video" in t.output_modalities)


@cache
def explainer_patterns() -> tuple:
    return tuple((e, re.compile("|".join(e.patterns))) for e in explainers() if e.patterns)


@cache
def explainer_cues() -> CueIndex:
    return CueIndex([(c, (e.id, i, cue_weight(c))) for e in explainers() for i, c in enumerate(e.cues)])


# words that only join a cue's words: 'black and white' says as much as 'black-and-white', two words' worth
JOINING = frozenset("a an the and or of to in on at for with my your it its this that".split())


def cue_weight(cue: str) -> float:
    """A longer cue says more, counted in the words that carry meaning."""
    return float(max(1, sum(w not in JOINING for w in cue.split())))


def pick(question: str, task: Task | None = None, meaning: dict[str, float] | None = None,
         limit: int = LIMIT, task_similarity: float | None = None) -> list[Explainer]:
    """The explainers a question is about, best first; `meaning` (explainer id -> cosine) from ExplainerVectors.
    A clear signal picks one alone (a cue of two words or more, or a close meaning); a one-word cue
    ('anime', 'upscale') only when the explainer belongs to the identified task. With nothing that clear,
    the explainer of the identified task itself closest in meaning: the task's own mechanism. A question
    closer to the task's own definition than to a mechanism it does not name ('how do text-to-video models
    work?') is about the task as a whole: `task_similarity` (the question's cosine with the definition)
    keeps such a mechanism out, and the answer explains the task itself."""
    own_tasks = {task.id} if task else set()
    # a task with a single explainer of its own: that explainer is the task's mechanism as a whole (one picked
    # only by its own words is a special case of the task, not its mechanism)
    sole = [e.id for e in explainers() if task and e.tasks[0] == task.id and not e.named_only]
    scored, fallback = [], []
    found = cue_scores(question)
    # 'cut him out through the whole clip' is asked of a video: the video version of a mechanism (tracking
    # the mask through the frames) before the image one its words also match (cutting out one picture)
    on_video = mentions_video(question)
    # the mechanism of a conversion that makes a video is a video version ('old paintings moving': image to
    # video); a video with no start said ('videos of products rotating') is only the medium, not the mechanism
    asked = asked_conversion(question)
    converting = set(conversion_mechanisms(question)) if asked and asked[0] and asked[1] == "video" else set()
    for e in explainers():
        cues, own = found.get(e.id, 0.0), bool(own_tasks & set(e.tasks))
        if e.named_only and not cues:  # (and its cues are its own words: any one of them picks it)
            continue
        sim = (meaning or {}).get(e.id, 0.0)
        if (not cues and task_similarity is not None and task_similarity >= sim + GENERAL_MARGIN
                and sole != [e.id]):
            continue
        # a mechanism of the question's own task comes first: 'extra fingers' in a question about negative
        # prompts is an example, not the subject
        score = cues + 2 * sim + (OWN_TASK if own else 0.0) + (NAMED_SUBJECT if e.named_only else 0.0)
        if on_video and (sim >= MIN_SIMILARITY or e.id in converting) and set(e.tasks) & video_tasks():
            score += VIDEO_VERSION
        if cues >= 2 or sim >= MIN_SIMILARITY or (cues and (own or e.named_only)):
            scored.append((score, e.id, e, bool(cues) or own or sim >= OTHER_TASK_CLEAR))
        elif own and sim >= FALLBACK_SIMILARITY:
            fallback.append((score + (PRIMARY if e.tasks[0] == task.id else 0.0), e.id, e, True))
    if meaning is None and len(fallback) > 1:  # (without a meaning, no fallback has a similarity anyway)
        fallback = []  # without the meaning there is no telling which of the task's mechanisms is asked about
    own_clear = any(s[3] and own_tasks & set(s[2].tasks) for s in scored)
    if fallback or own_clear:
        # the task has its own mechanism here: a loose resemblance to another task's is not what was asked
        scored = [s for s in scored if s[3]]
    # the task's own mechanism closest in meaning competes with the clear signals of other tasks' mechanisms,
    # unless one of the task's own mechanisms is clearly asked about ('a still photo turned into a 3D shot'
    # is depth parallax, not the task's first-filed multiview reconstruction)
    fallback = [] if own_clear else sorted(fallback, key=lambda x: (-x[0], x[1]))[:1]
    ranked = sorted(scored + fallback, key=lambda x: (-x[0], x[1]))
    if meaning and ranked:
        # beside a first mechanism, one the words do not name must be about as close in meaning: an object
        # scanned from one photo resembles building a walkable world, but is not that
        top = meaning.get(ranked[0][1], 0.0)
        ranked = ranked[:1] + [r for r in ranked[1:] if found.get(r[1]) or meaning.get(r[1], 0.0) >= top - BESIDE_MARGIN]
    # one more of the task's own mechanisms when the question names it too ('seed, steps and CFG')
    more = [r for r in ranked[limit:] if found.get(r[1]) and own_tasks & set(r[2].tasks)][:1] if limit > 1 else []
    return [e for _, _, e, _ in ranked[:limit] + more]


def beside_the_first(chosen: list[Explainer], meaning: dict[str, float], tasks: set[str]) -> list[Explainer]:
    """The first mechanism, and those beside it that are close enough in meaning to be asked about too
    (a mechanism of one of the question's `tasks` somewhat less close than one of another task)."""
    def close(e: Explainer) -> bool:
        floor = BESIDE_FLOOR_OWN if tasks & set(e.tasks) else BESIDE_FLOOR_OTHER
        return meaning.get(e.id, 0.0) >= floor

    return chosen[:1] + [e for e in chosen[1:] if close(e)]


def own_mechanism(task: Task, meaning: dict[str, float]) -> list[Explainer]:
    """The mechanism filed first under a task, the closest in meaning if several: a second part asked for in
    its own words ('smooth 30 fps' after a question on frame counts) is explained even when the question
    says little more about it."""
    own = [e for e in explainers() if e.tasks[0] == task.id and not e.named_only]
    return sorted(own, key=lambda e: -meaning.get(e.id, 0.0))[:1]


def task_prior(question: str, meaning: dict[str, float] | None = None,
               against: frozenset[str] = frozenset()) -> dict[str, float]:
    """The task of the mechanism a question clearly asks about ('why six fingers' is about generating
    images, not about which model made one), as a prior for task identification; not a mechanism of a task
    the question's direction rules out (`against`: 'make my drawing into a realistic photo' starts from a
    picture, so a realistic-photo model's mechanism, text to image, is not the one asked about)."""
    chosen = [e for e in pick(question, None, meaning, limit=3) if not (e.tasks and e.tasks[0] in against)]
    if not chosen or not chosen[0].tasks:
        return {}
    # a help topic's mechanism (telling AI images apart) only when the question says so in its words: 'how
    # are those AI yearbook photos made?' resembles it in meaning, but asks how they are made
    task = builtin_task(chosen[0].tasks[0])
    if task is not None and not task.generative and not cue_scores(question).get(chosen[0].id):
        return {}
    return {chosen[0].tasks[0]: EXPLAINER_PRIOR}


class ExplainerVectors:
    """Embeddings of every explainer's title and answer, cached on disk per explainer file and embedder."""

    def __init__(self, embedder, cache_dir: Path):
        import hashlib

        import numpy as np

        from muselab.search.embed import cache_tag

        items = explainers()
        digest = hashlib.sha1("\n".join(e.embed_text() for e in items).encode()).hexdigest()[:12]
        path = Path(cache_dir) / f"explainer-vectors-{digest}-{cache_tag(embedder)}.npy"
        if path.is_file():
            self.matrix = np.load(path)
        else:
            self.matrix = embedder.encode([e.embed_text() for e in items])
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, self.matrix)
        self.ids = [e.id for e in items]

    def vector(self, explainer_id: str):
        return self.matrix[self.ids.index(explainer_id)]

    def meaning(self, qvec) -> dict[str, float]:
        return dict(zip(self.ids, (self.matrix @ qvec).tolist()))


def explainer_vectors(store, embedder, cache_dir) -> ExplainerVectors:
    return store.derived(("explainer_vectors", embedder.name, str(cache_dir)), ("builtin",),
                         lambda: ExplainerVectors(embedder, cache_dir))
