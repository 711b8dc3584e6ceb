"""Task identification: which task of the taxonomy a question is about.

Two kinds of evidence, added up per task:
  * lexical cues: words and phrases users write for a task (taxonomy 'cues');
  * meaning: cosine similarity between the question and the task's example
    questions and definition (when an embedder is available; see search.dense).
`answer` also passes the tasks of the given models as a prior, so a question
that fits the given model keeps it, while a clear mismatch still shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from muselab.catalog.records import Task
from muselab.catalog.taxonomy import CATCH_ALL, cue_hits, cue_scores, family, first_cue, has_cue, task_text
from muselab.text import (asked_output, is_medium_word, is_setting_word, mentions_audio, mentions_still,
                          names_a_picture, normalise, words_and_picture)


@dataclass
class TaskGuess:
    task: Task
    confidence: float
    runner_up: Task | None = None
    close: bool = False
    scores: dict[str, float] = field(default_factory=dict)
    second: Task | None = None  # a two-part question's other task ("restore and colorize")
    second_first: bool = False  # the question asks for the second task before the first

    def to_dict(self) -> dict:
        return {
            "id": self.task.id,
            "name": self.task.name,
            "confidence": round(self.confidence, 3),
            "runner_up": self.runner_up.id if self.runner_up else None,
            "close": self.close,
            "second": self.second.id if self.second else None,
        }


# how much a given model's task counts, for the model's own task and its family
PRIOR_SELF, PRIOR_FAMILY = 2.0, 1.5
KNN, KNN_TEMPERATURE = 20, 0.1  # the example questions that vote on a question's task, and how sharply


def identify(
    question: str,
    tasks: dict[str, Task],
    prior_tasks: list[str] | None = None,
    meaning: dict[str, float] | None = None,
    meaning_weight: float = 6.0,
    prior_weights: tuple[float, float] = (PRIOR_SELF, PRIOR_FAMILY),
    extra_prior: dict[str, float] | None = None,
) -> TaskGuess:
    """Pick the best task. `meaning` holds per-task similarities in [0, 1] when an embedder ran;
    `prior_tasks` are tasks the given (or named) models do, weighed for themselves and their family."""
    scores = cue_scores(question, tasks)
    lexical = dict(scores)
    for tid in prior_tasks or []:
        if tid not in tasks:
            continue
        for fid in family(tid, tasks):
            bonus = prior_weights[0] if fid == tid else prior_weights[1]
            scores[fid] = scores.get(fid, 0.0) + bonus
    for tid, weight in (extra_prior or {}).items():
        if tid in tasks:
            scores[tid] = scores.get(tid, 0.0) + weight
    for tid, sim in (meaning or {}).items():
        scores[tid] = scores.get(tid, 0.0) + meaning_weight * sim
    for tid, weight in output_prior(question, tasks).items():
        scores[tid] = scores.get(tid, 0.0) + weight
    favoured, against = direction(question, tasks)
    for tid in favoured:
        scores[tid] = scores.get(tid, 0.0) + OUTPUT_PRIOR
    # (once, however many reasons: a task lacks its input, or makes pictures where the material is sound)
    for tid in set(unmet(question, tasks, scores, prior_tasks or [])) | set(
            pictures_only(question, tasks, scores, prior_tasks or [])) | (set(against) & set(scores)):
        scores[tid] *= UNMET
    for tid in stills_of_another_medium(question, tasks, scores, prior_tasks or []):
        scores[tid] = 0.0
    if not scores:
        fallback = tasks.get(CATCH_ALL) or next(iter(tasks.values()))
        return TaskGuess(fallback, 0.0, scores={})
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    if not tasks[ranked[0][0]].generative and not lexical.get(ranked[0][0]):
        # a help topic (which model made this, hardware) is chosen only when the question says so in its
        # words; 'how do apps make this anime look' is about making the look, however close it sounds
        making = [kv for kv in ranked if tasks[kv[0]].generative][:1]
        if making and making[0][1] >= HELP_TOPIC_MARGIN * ranked[0][1]:
            ranked = making + [kv for kv in ranked if kv not in making]
    top_id, top = ranked[0]
    second_id, second = ranked[1] if len(ranked) > 1 else (None, 0.0)
    # a runner-up in the top task's own family is a refinement, not a rival, unless it is a next step
    rival = next(((tid, s) for tid, s in ranked[1:] if tid not in family(top_id, tasks)
                  or next_step(tasks[top_id], tasks[tid])), (None, 0.0))
    confidence = top / (top + rival[1] + 1.0)
    guess = TaskGuess(
        task=tasks[top_id],
        confidence=confidence,
        runner_up=tasks[rival[0]] if rival[0] else (tasks[second_id] if second_id else None),
        close=bool(rival[0]) and rival[1] >= 0.8 * top,
        scores=dict(ranked),
    )
    return two_part(question, guess, tasks, lexical)


def next_step(first: Task, then: Task) -> bool:
    """A task that starts from what the first makes and not from what the first starts from: interpolating
    frames after generating a clip is a step of its own, though both are video tasks."""
    made, start = set(first.output_modalities), set(then.input_modalities)
    return bool(start) and start <= made and not start & set(first.input_modalities)


def output_prior(question: str, tasks: dict[str, Task]) -> dict[str, float]:
    """What the question asks to be made (a sound, a video, a 3D model: text.asked_output) counts for the
    tasks that make it and against the making tasks that make something else: 'make sound that fits the
    video' is audio generation, however much it says 'video'."""
    kind = asked_output(question)
    if kind is None:
        return {}
    return {t.id: OUTPUT_PRIOR if kind in t.output_modalities else -OUTPUT_PENALTY
            for t in tasks.values() if t.output_modalities and (kind in t.output_modalities or t.generative)}


def direction(question: str, tasks: dict[str, Task]) -> tuple[list[str], list[str]]:
    """(the tasks a question's direction between words and a picture favours, those it rules out). A
    picture asked to be made from words favours the tasks that make pictures from text and rules out those
    that read text off a picture; the words of a picture asked for (its prompt) do the other way round.
    'A picture of a castle from a prompt' and 'the prompt of a picture' are near in meaning, not in
    direction; 'turn my drawing into a photo' starts from a picture, so it rules out both. (A picture made
    from words favours no refinement of text-to-image: 'a picture from words' says nothing of text
    rendering.)"""
    way = words_and_picture(question)
    if way is None:
        return [], []
    makes, reads = [], []
    for t in tasks.values():
        start, made = set(t.input_modalities), set(t.output_modalities)
        if start == {"text"} and made == {"image"}:
            makes.append(t.id)
        elif made == {"text"} and "image" in start:
            reads.append(t.id)
    if way == "words":
        return reads, makes
    if way == "from picture":  # a picture to start from: not made from words alone, nor read into words
        return [], makes + reads
    return [tid for tid in makes if not tasks[tid].parent], reads


def stills_of_another_medium(question: str, tasks: dict[str, Task], scores: dict[str, float],
                              named: list[str]) -> list[str]:
    """The tasks that make still pictures from words, for a question whose named models make only something
    else and that names no picture: 'which sampler for HunyuanVideo?' asks about a video model's sampling,
    however much 'sampler' is a text-to-image word. (Tasks that start from a picture stay: a blurry Wan clip
    is upscaled by super-resolution's video models.)"""
    made = {m for tid in named if tid in tasks for m in tasks[tid].output_modalities}
    if not made or not made <= {"video", "audio", "3d", "motion"} or mentions_still(question):
        return []
    return [tid for tid in scores if set(tasks[tid].output_modalities) == {"image"}
            and set(tasks[tid].input_modalities) == {"text"}]


def unmet(question: str, tasks: dict[str, Task], scores: dict[str, float], named: list[str]) -> list[str]:
    """The tasks whose input the question never says it has (taxonomy 'requires'): brand colours or a faded
    underwater photo resemble colorization, but there is no grey picture to colour. A named model of the
    task says it for the question ('run DDColor')."""
    q = normalise(question)
    return [tid for tid in scores if tasks[tid].requires and tid not in named
            and not any(has_cue(phrase, q) is not None for phrase in tasks[tid].requires)]


def pictures_only(question: str, tasks: dict[str, Task], scores: dict[str, float], named: list[str]) -> list[str]:
    """The tasks that make only pictures (images, video, 3D), for a question whose material is sound and that
    names no picture: 'background noise in my podcast' is not a background to cut out of a photo."""
    if not mentions_audio(question) or names_a_picture(question):
        return []
    visual = {"image", "video", "3d"}  # (not motion: a dance is made to music)
    return [tid for tid in scores if tid not in named and tasks[tid].output_modalities
            and set(tasks[tid].output_modalities) <= visual and "audio" not in tasks[tid].input_modalities]


UNMET = 0.3  # what is left of a task's score when its input is never mentioned (5-fold CV: bench/tasks.py --cv)
OUTPUT_PRIOR, OUTPUT_PENALTY = 2.0, 1.0  # (5-fold CV over the example questions held: bench/tasks.py --cv)
HELP_TOPIC_MARGIN = 0.6  # a help topic without its own words gives way to a making task this close to it
SECOND_SHARE = 0.5  # a second task's score, relative to the first's, for a two-part question
STRONG_SECOND_SHARE = 0.35  # ... when the second task's own words weigh two or more


def two_part(question: str, guess: TaskGuess, tasks: dict[str, Task], lexical: dict[str, float]) -> TaskGuess:
    """A question that names two tasks in its own words ('restore and colorize this photo'): both are kept,
    in the order it asks for them. The rival needs cues of its own, not only a similar meaning, and as many
    as half the first task's."""
    rival = guess.runner_up
    if rival is None or lexical.get(guess.task.id, 0) < 1 or lexical.get(rival.id, 0) < 1 \
            or lexical[rival.id] < SECOND_SHARE * lexical[guess.task.id] \
            or (rival.id in family(guess.task.id, tasks) and not next_step(guess.task, rival)):
        return guess
    own = own_cues(question, rival.id, guess.task.id, tasks)
    # a part asked in words of its own that weigh two ('black and white' beside 'cracked, scratched') stays a
    # part however much more the question says about the first
    share = STRONG_SECOND_SHARE if own >= 2 else SECOND_SHARE
    if own < 1 or guess.scores.get(rival.id, 0.0) < share * guess.scores.get(guess.task.id, 0.0):
        return guess
    here, there = first_cue(question, guess.task), first_cue(question, rival)
    guess.second = rival
    guess.second_first = here is not None and there is not None and there < here
    return guess


def own_cues(question: str, rival: str, first: str, tasks: dict[str, Task]) -> float:
    """The weight of the rival's cues that ask for something of their own: not the words the first task
    also matched ('3d model' is both text-to-3d and image-to-3d), not the medium alone ('in the clip'
    says where, not what to do) and not the software the user works in ('my ComfyUI workflow')."""
    hits = cue_hits(question, tasks)
    first_spans = {(s, e) for tid, s, e, _ in hits if tid == first}
    q = normalise(question)
    return sum(w for tid, s, e, w in hits if tid == rival and (s, e) not in first_spans
               and not is_medium_word(q[s:e]) and not is_setting_word(q[s:e]))


# -- meaning: similarity to each task's examples and definition ---------------------


def task_vectors(store, embedder, cache_dir) -> "TaskVectors":
    """The taxonomy's vectors for this store, rebuilt when its tasks change (and cached on disk)."""
    return store.derived(("task_vectors", embedder.name, str(cache_dir)), ("tasks",),
                         lambda: TaskVectors(store.tasks(), embedder, Path(cache_dir)))


class TaskVectors:
    """Embeddings of every task's definition, example questions and field description
    (name, definition and vocabulary, used by paper retrieval), cached on disk per taxonomy."""

    def __init__(self, tasks: dict[str, Task], embedder, cache_dir: Path):
        import hashlib
        import json

        import numpy as np

        from muselab.search.embed import cache_tag

        payload = json.dumps([t.model_dump(include={"id", "name", "definition", "examples", "vocabulary", "parent"})
                              for t in tasks.values()], sort_keys=True).encode()
        digest = hashlib.sha1(payload).hexdigest()[:12]
        self.ids = list(tasks)
        self.owner = [t.id for t in tasks.values() for _ in t.examples]
        path = cache_dir / f"task-vectors-{digest}-{cache_tag(embedder)}.npz"
        if path.is_file():
            data = np.load(path)
            self.definitions, self.examples, self.descriptions = data["definitions"], data["examples"], data["descriptions"]
        else:
            self.definitions = embedder.encode([f"{t.name}. {t.definition}" for t in tasks.values()])
            self.examples = embedder.encode([e for t in tasks.values() for e in t.examples])
            self.descriptions = embedder.encode([task_text(t, tasks.get(t.parent) if t.parent else None)
                                                 for t in tasks.values()])
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, definitions=self.definitions, examples=self.examples, descriptions=self.descriptions)
        self.position = {tid: i for i, tid in enumerate(self.ids)}
        self.owner_position = np.array([self.position[o] for o in self.owner], dtype=int)

    def description(self, task_id: str):
        return self.descriptions[self.position[task_id]]

    def meaning(self, qvec) -> dict[str, float]:
        """Per task: a soft vote of the question's nearest example questions (the k most similar, weighted by
        how close each is to the nearest), plus half the rescaled similarity to the task's definition.
        A vote over neighbours carries over to new phrasings better than the single best example
        (5-fold cross-validation over the project's examples: bench/tasks.py --cv)."""
        import numpy as np

        cos = self.examples @ qvec
        top = np.argpartition(-cos, min(KNN, len(cos)) - 1)[:KNN] if len(cos) else np.array([], int)
        vote = np.zeros(len(self.ids))
        if len(top):
            np.add.at(vote, self.owner_position[top], np.exp((cos[top] - cos[top].max()) / KNN_TEMPERATURE))
            vote /= vote.sum()
        definition = np.clip((self.definitions @ qvec - 0.15) / 0.5, 0.0, 1.0)
        return {tid: float(vote[i] + 0.5 * definition[i]) for i, tid in enumerate(self.ids)}
