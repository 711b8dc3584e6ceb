"""Model recommendation: models that can do the identified task, ranked by how well they fit the question.

Score = task fit (the task itself, a task of its family, or a task the model is
known to do besides its own) + meaning (cosine between the question and the
model's description) + lexical match (BM25 over names, families, aliases,
categories, summaries and tags) + the question's specifics the model matches
(content such as anime or photo, the scale asked for, a picture to start from)
+ how widely it is used (template runs, repository stars) - a penalty for parts
(VAEs, text encoders, LoRAs and other add-ons are parts of a workflow, not the
model that does the task, unless the task is about them). A model the question
names comes first whenever it can do what is asked (search/link.py); variants
of one family are shown once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from muselab.catalog.capability import can_do, can_substitute
from muselab.catalog.families import squash
from muselab.catalog.knowledge import architecture_group, staples
from muselab.catalog.records import Model, Task
from muselab.catalog.taxonomy import CATCH_ALL, family, lineage
from muselab.search.conditions import condition_scores
from muselab.search.fusion import fuse, positions, ranking
from muselab.search.index import load_index
from muselab.search.papers import fts_terms, lexical
from muselab.text import (DOMAINS, asked_scale, domains_in, mentions_audio, mentions_editing, mentions_still,
                          mentions_video, names_a_picture, normalise)

# parts of a workflow: never "the model", and below the models whenever one exists
PART_ROLES = {"vae": -3.0, "text-encoder": -3.0, "image-encoder": -3.0, "audio-encoder": -3.0, "embedding": -2.0,
              "detector": -3.0, "dataset": -3.0, "lora": -1.0, "controlnet": -1.0, "add-on": -1.0, "baseline": -3.0,
              # a partner service answers too, but a model whose weights anyone can run comes first
              "api": -1.0}
NOT_RECOMMENDED = ("baseline", "dataset")
# ... unless the task is about that part: an identity LoRA or adapter, a ControlNet for control (personalization
# is not: it asks how to make a LoRA, which its trainers answer, not someone else's LoRA file)
NATURAL_PARTS = {"identity-generation": {"lora", "add-on"},
                 "controllable-generation": {"controlnet", "add-on"}, "image-to-image": {"add-on"},
                 "prompt-engineering": {"embedding"}, "acceleration": {"lora"}, "lip-sync": {"add-on"},
                 # a metric is computed in a recogniser's or encoder's feature space (ArcFace, Inception, CLIP)
                 "evaluation": {"image-encoder"}}
# ... and where the task asks for what makes such a part, someone else's part is no answer at all: a question
# about training a LoRA wants trainers and base models, not a LoRA file that happens to share its words
MAKES_PARTS = {"personalization": {"lora": -3.0}}
SERVING_PARTS = ("vae", "text-encoder", "image-encoder", "audio-encoder")
ESTABLISHED, KNOWN_ARCHITECTURE, PUBLISHED = 0.7, 0.3, 0.4
VIDEO_MEDIUM_WEIGHT = 2.0
SIBLING = 0.75  # task fit of a model filed under a sibling task (an inpainter, asked for virtual try-on)
FAVOURED = 2.5  # a model the asked mechanism's explainer names as what practitioners use for it
STAPLE = 1.5  # a model of a family practitioners reach for first for the task (families.toml 'staple')


@dataclass
class Recommendation:
    model: Model
    score: float
    fits: bool
    named: bool = False  # the question names this model's family


class ModelTable:
    """The catalog's models with what scoring needs, prepared once per catalog version."""

    def __init__(self, models: list[Model]):
        self.models = models
        self.row = {m.name.lower(): i for i, m in enumerate(models)}
        self.row_by_name = {m.name: i for i, m in enumerate(models)}
        self.tasks = np.array([m.task for m in models])
        about = [f"{m.name} {m.family} {m.category} {m.summary} {' '.join(m.tags)}".lower() for m in models]
        self.domains = {d: np.array([d in a for a in about], dtype=float) for d in DOMAINS}
        self.scales = np.array([m.scale() or 0 for m in models])
        self.families = [family_key(m) for m in models]
        self.groups = [architecture_group(m) for m in models]
        self.roles = [m.role for m in models]
        self.capable = [(i, frozenset(m.capabilities)) for i, m in enumerate(models) if m.capabilities]
        top = math.log1p(max((m.popularity or 0) for m in models)) if models else 1.0
        self.prior = np.array([(0.8 if m.runnable else 0.0) + (0.3 if m.summary else 0.0)
                               + 0.8 * math.log1p(m.popularity or 0) / (top or 1.0) + established(m) for m in models])
        self.staples = [staples(m) for m in models]
        # made for editing pictures: an editor, or a speed-up of one ('Qwen-Image-Edit Lightning')
        self.edits = np.array(["edit" in squash(f"{m.family or ''} {m.display_name or m.name}") for m in models],
                              dtype=float)
        self.takes_image = np.array(["image" in m.input_modalities for m in models], dtype=float)
        self.takes_video = np.array(["video" in m.input_modalities for m in models], dtype=float)
        self.video_only = np.array(["video" in m.output_modalities and "image" not in m.output_modalities
                                    for m in models], dtype=float)
        self.sound_only = np.array(["audio" in m.output_modalities
                                    and not {"image", "video", "3d"} & set(m.output_modalities) for m in models],
                                   dtype=float)
        self._index_rows: dict = {}  # id(index) -> (index, rows)
        self._per_task: dict = {}  # (what, task id) -> (the taxonomy it was computed with, the array)
        self._matching: dict = {}
        self.squashed_names = [squash(f"{m.name} {m.family or ''}") for m in models]

    def matching(self, fragments: tuple[str, ...]) -> np.ndarray:
        """1.0 for the models whose squashed name or family holds one of the fragments."""
        hit = self._matching.get(fragments)
        if hit is None:
            keys = [squash(f) for f in fragments if squash(f)]
            hit = self._matching[fragments] = np.array(
                [any(k in name for k in keys) for name in self.squashed_names], dtype=float)
        return hit

    def per_task(self, what: str, task: Task, tasks: dict[str, Task], compute):
        """`compute()`, kept per task while the same taxonomy is asked with (it depends on nothing else)."""
        hit = self._per_task.get((what, task.id))
        if hit is None or hit[0] is not tasks:
            hit = self._per_task[what, task.id] = (tasks, compute())
        return hit[1]

    def rows_of(self, index) -> np.ndarray:
        """For each id of an index (of vectors or BM25), the row of its model here (-1 if none)."""
        hit = self._index_rows.get(id(index))
        if hit is None or hit[0] is not index:
            hit = self._index_rows[id(index)] = (index, np.array([self.row.get(i.lower(), -1) for i in index.ids]))
        return hit[1]


def established(m: Model) -> float:
    """A family the project describes in its own knowledge (data/families.toml), a known architecture, a
    published paper: the signs of a model practitioners use, not a one-off experiment."""
    from muselab.catalog.knowledge import architecture_of, knowledge_of

    entry = knowledge_of(m) or {}
    described = bool(entry.get("about")) and not entry.get("niche")
    return (ESTABLISHED * described + KNOWN_ARCHITECTURE * bool(architecture_of(m))
            + PUBLISHED * bool(m.paper_url))


def staple_scores(table: ModelTable, task: Task, tasks: dict[str, Task]) -> np.ndarray:
    return table.per_task("staple", task, tasks, lambda: np.array(
        [STAPLE * (task.id in s) for s in table.staples]))


def model_table(store) -> ModelTable:
    return store.derived("model_table", ("models", "builtin"), lambda: ModelTable(store.models()))


def family_key(m: Model) -> str:
    """Variants of one family are shown once: its family, else the first words of its name
    (AnimeJaNai-v2-Compact ~ AnimeJaNai-v2-UltraCompact)."""
    if m.family:  # the family the project knows it by: 'Qwen Image Edit 2511' is Qwen-Image-Edit
        from muselab.catalog.knowledge import knowledge_for

        entry = knowledge_for(m.family)
        return squash(entry["match"][0]) if entry else squash(m.family)
    return " ".join(re.findall(r"[a-z]+", (m.display_name or m.name).lower())[:2])


def task_fit(table: ModelTable, task: Task, tasks: dict[str, Task]) -> np.ndarray:
    return table.per_task("fit", task, tasks, lambda: _task_fit(table, task, tasks))


def _task_fit(table: ModelTable, task: Task, tasks: dict[str, Task]) -> np.ndarray:
    if task.id == CATCH_ALL:  # models filed there because no task describes them (LLM nodes) answer no question
        return np.zeros(len(table.models))
    fam, line = family(task.id, tasks), lineage(task.id, tasks)
    # a model of the task's parent or child does much of it; one of a sibling task is a specialist of another job
    fit = np.where(table.tasks == task.id, 3.0, np.where(np.isin(table.tasks, list(line)), 1.5,
                                                         np.where(np.isin(table.tasks, list(fam)), SIBLING, 0.0)))
    known = np.zeros(len(table.models))
    for i, caps in table.capable:  # a task the model is known to do besides its own
        if task.id in caps:
            known[i] = 2.0
        elif fam & caps:  # only a related one (image editing in general, for background removal)
            known[i] = 1.0
    return np.maximum(fit, known)


def part_penalty(table: ModelTable, task: Task, tasks: dict[str, Task]) -> np.ndarray:
    natural = {p for tid in family(task.id, tasks) for p in NATURAL_PARTS.get(tid, ())}
    made = MAKES_PARTS.get(task.id, {})
    return table.per_task("parts", task, tasks, lambda: np.array(
        [made.get(role, 0.0 if role in natural else PART_ROLES.get(role, 0.0)) for role in table.roles]))


def lexical_scores(store, question: str, table: ModelTable, cache_dir) -> np.ndarray:
    out = np.zeros(len(table.models))
    if cache_dir is not None:
        from muselab.search.bm25 import bm25_index

        index = bm25_index(store, cache_dir, "models")
        scores, rows = index.scores(" ".join(fts_terms(question))), table.rows_of(index)
        top = ranking(scores, 200)
        top = top[rows[top] >= 0]
        out[rows[top]] = scores[top]
    else:
        for h in lexical(store, question, 200, table="models"):
            if (r := table.row.get(h.id.lower())) is not None:
                out[r] = h.score
    return out / (out.max() or 1.0)


def meaning_scores(store, table: ModelTable, qvec, space: str | None) -> np.ndarray:
    out = np.zeros(len(table.models))
    if qvec is not None and space:
        index = load_index(store, "models", space)
        if len(index):
            rows = table.rows_of(index)
            ok = rows >= 0
            out[rows[ok]] = index.scores(qvec)[ok]
    return out


def specifics(question: str, table: ModelTable) -> np.ndarray:
    """What the question says about its picture: anime or photo, a picture to start from, a scale."""
    q = normalise(question)
    out = sum((table.domains[d] for d in domains_in(question)), np.zeros(len(table.models)))
    if mentions_still(q):  # the user starts from a picture: prefer models that take one
        out = out + 0.8 * table.takes_image
    scale = asked_scale(q)
    if scale:
        sized = (table.scales > 0) & (table.tasks == "super-resolution")
        out = out + np.where(sized, np.where(table.scales == scale, 1.0, -0.5), 0.0)
    return out


def medium(question: str, table: ModelTable, task: Task, tasks: dict[str, Task], named: list[int] = ()
           ) -> np.ndarray | float:
    """A task filed for images, asked about a video: the task's own models that take video first (a video
    upscaler keeps detail steady from frame to frame; an image upscaler run per frame flickers). Asked
    about a picture: the models that only make video last (also for a task of both, such as speeding up
    generation: a video speed LoRA does not speed up SDXL). `named`: the rows of the models the question names."""
    if "image" not in task.output_modalities:
        # a task of no one medium (watermarks, evaluation) asked about pictures: not a model that makes only sound
        if task.output_modalities or mentions_audio(question) or not names_a_picture(question):
            return 0.0
        return -VIDEO_MEDIUM_WEIGHT * table.sound_only
    # a speed-up serves its base model: asked to make pictures faster, not an editor's (Qwen-Image-Edit Lightning)
    edits = table.edits if task.id == "acceleration" and not mentions_editing(question) else 0.0
    # a question about a video model is about video, whether or not it says 'video' ('my Wan 2.2 workflow')
    if mentions_video(question) or any(table.video_only[r] for r in named if table.roles[r] in ("model", "api")):
        # the task's own models or ones known to do it, not the wider family's (a video generator filed under
        # image editing does not segment a clip)
        return VIDEO_MEDIUM_WEIGHT * table.takes_video * (task_fit(table, task, tasks) >= 2.0)
    # a still picture: a model that makes only video (a video inpainter filed under inpainting) does not, nor
    # one that makes only sound (an audio watermarker, asked about watermarks in images), unless sound is asked
    sound = 0.0 if mentions_audio(question) else table.sound_only
    return -VIDEO_MEDIUM_WEIGHT * (table.video_only + sound + edits)


def scores(store, question: str, task: Task, tasks: dict[str, Task], qvec, space, cache_dir,
           named: list[int] = ()) -> tuple:
    """(score of every model, task fit of every model); `named`: the rows of the models the question names."""
    table = model_table(store)
    fit = task_fit(table, task, tasks)
    score = (fit + 4.0 * meaning_scores(store, table, qvec, space) + lexical_scores(store, question, table, cache_dir)
             + 1.2 * specifics(question, table) + condition_scores(question, table)
             + np.where(fit > 0, table.prior + staple_scores(table, task, tasks), 0.0)
             + part_penalty(table, task, tasks) + medium(question, table, task, tasks, named))
    return score, fit


def recommend(store, question: str, task: Task, tasks: dict[str, Task], qvec=None, space: str | None = None,
              k: int = 3, cache_dir=None, linked: list[str] = (), favoured: tuple[str, ...] = (),
              names: list[list[str]] = ()) -> list[Recommendation]:
    """The k models to recommend; `linked` are the names of models the question names (best first), and
    `names` the same grouped by the name the question wrote (one model for each); `favoured`, name fragments
    of the models practitioners use for the mechanism asked about."""
    table = model_table(store)
    named_rows = [r for n in linked if (r := table.row.get(n.lower())) is not None]
    score, fit = scores(store, question, task, tasks, qvec, space, cache_dir, named_rows)
    tool, used = None, None
    if favoured:
        used = table.matching(tuple(favoured)) > 0
        score = score + np.where(fit > 0, FAVOURED * used, 0.0)
        tool = mechanism_tool(table, used, fit, score)
    named = named_first(table, linked, task, tasks, score, names)
    # nor does one of another medium (a sound-only watermarker for pictures) fill the list: it is left out
    fitting_medium = np.asarray(medium(question, table, task, tasks, named_rows)) >= 0
    rows = named + [int(r) for r in candidates(fit, table, score, linked, task.generative)
                    if not fitting_medium.ndim or fitting_medium[r]]
    if tool is not None and tool not in rows[:1]:  # the tool for the mechanism, right after the first model
        rows = rows[:1] + [tool] + [r for r in rows[1:] if r != tool]
    out, seen = [], set()
    for r in rows:
        key = shown_family(table, r, speed_apart=task.id == "acceleration")
        if same_family(key, seen):
            continue
        seen.add(key)
        out.append(Recommendation(table.models[r], float(score[r]), bool(fit[r] > 0) or r in named, r in named))
        if len(out) >= k:
            break
    if used is not None and len(out) >= 3:
        out = with_second_tool(table, out, used & fitting_medium, fit, score)
    return out


def with_second_tool(table: ModelTable, out: list[Recommendation], used: np.ndarray, fit: np.ndarray,
                     score: np.ndarray) -> list[Recommendation]:
    """The mechanism's tools share the list: with fewer than two of them shown, the last place (unless the
    question named it) goes to the best other one the project knows, unless it does the task less well
    than the model it would displace (LaMa does not push out a JPEG-artefact remover)."""
    rows = [table.row[r.model.name.lower()] for r in out]
    if sum(bool(used[r]) for r in rows) >= 2 or out[-1].named or used[rows[-1]]:
        return out
    from muselab.catalog.knowledge import about_family

    shown = {shown_family(table, r) for r in rows}
    spare = [r for r in np.flatnonzero(used) if table.roles[r] in ("model", "controlnet", "add-on")
             and about_family(table.models[r]) and not same_family(shown_family(table, r), shown)]
    if not spare:
        return out
    best = int(max(spare, key=lambda r: (fit[r] > 0, score[r])))
    if fit[best] < fit[rows[-1]]:  # a model that does the task keeps its place against a tool of another
        return out
    return out[:-1] + [Recommendation(table.models[best], float(score[best]), bool(fit[best] > 0))]


def mechanism_tool(table: ModelTable, used: np.ndarray, fit: np.ndarray, score: np.ndarray) -> int | None:
    """When none of the models practitioners use for the asked mechanism does the task itself (HandRefiner
    fixes hands after text-to-image), the best of them is shown anyway, said not to fit."""
    if (used & (fit > 0)).any():
        return None
    rows = [r for r in np.flatnonzero(used) if table.roles[r] in ("model", "controlnet", "add-on")]
    return int(max(rows, key=lambda r: score[r])) if rows else None


def shown_family(table: ModelTable, row: int, speed_apart: bool = False) -> str:
    """What a recommendation stands for: its family, or for a ControlNet, the family's control adapters (an
    SDXL lineart adapter is not another SDXL checkpoint; a LoRA or an add-on file of a family mostly is), and
    `speed_apart`, when speed is what is asked, for a speed LoRA, the family's few-step add-ons (DMD2 for SDXL
    is not another SDXL checkpoint there; for any other job it is a part of the family's model)."""
    if table.groups[row]:  # one of several architectures that are one choice (the classic style networks)
        return f"group:{table.groups[row]}"
    if table.roles[row] == "controlnet":
        return f"{table.families[row]}:controlnet"
    if speed_apart and table.roles[row] in ("lora", "add-on") and table.tasks[row] == "acceleration":
        return f"{table.families[row]}:speed"
    return table.families[row]


def same_family(key: str, seen: set[str]) -> bool:
    """A family already shown, or a version of one ('qwenimageedit2511' after 'qwenimageedit'), as the same
    kind of thing (a model, or one kind of part)."""
    name, _, part = key.partition(":")
    for k in seen:
        other, _, other_part = k.partition(":")
        if part == other_part and (name == other or (name and len(other) >= 4
                                                     and (name.startswith(other) or other.startswith(name)))):
            return True
    return False


def named_first(table: ModelTable, linked: list[str], task: Task, tasks: dict[str, Task], score,
                names: list[list[str]] = ()) -> list[int]:
    """The best model of each named family that can do the task (or, the taxonomy says, stand in for a
    model that does), in the order the question names them. A named add-on counts too: the user asked
    about it (an IP-Adapter for style transfer)."""
    rows = [r for n in linked if (r := table.row.get(n.lower())) is not None]
    known = table.per_task("able", task, tasks, dict)  # row -> (does the task, stands in for a model that does)
    for r in rows:
        if r not in known:
            known[r] = (can_do(table.models[r], task, tasks), can_substitute(table.models[r], task, tasks))
    does = {r: known[r][0] for r in rows}
    # a part (a refiner, a VAE) is shown for a named family only when it does the task itself
    # (a VAE or an encoder never does a task: the tasks its record lists are those of the models it serves)
    able = [r for r in rows if (does[r] and table.roles[r] not in SERVING_PARTS)
            or (known[r][1] and table.roles[r] in ("model", "api"))]
    # naming a model's family (SDXL) is not asking for one of its add-on files (an offset-noise LoRA, a FaceID
    # LoRA) unless the task itself is about such parts: they stand for the family only when it has no model
    wanted = {"model", "api", *NATURAL_PARTS.get(task.id, ())}
    with_model = {table.families[r] for r in rows if table.roles[r] in ("model", "api")}
    able = [r for r in able if table.roles[r] in wanted or table.families[r] not in with_model]
    out, done = [], set()
    for r in able:
        if table.families[r] in done:
            continue
        done.add(table.families[r])
        same = [i for i in able if table.families[i] == table.families[r]]
        # a model that only stands in is the family's most used one (SDXL base, not its Turbo distillation):
        # the user will add what the task needs to it
        out.append(max(same, key=lambda i: (does[i], table.roles[i] == "model",
                                            score[i] if does[i] else table.models[i].popularity or 0, score[i])))
    # one named model that only stands in (a base model that needs a ControlNet) is enough: the other
    # places go to models that do the task
    stand_ins = [r for r in out if not does[r]]
    out = [r for r in out if does[r] or r == stand_ins[0]]
    # of one name's models, the first that does the task in the link's order (the most used first)
    return one_per_name(table, out, names, lambda i: (does[i], -out.index(i)))


def one_per_name(table: ModelTable, rows: list[int], names: list[list[str]], best) -> list[int]:
    """One model for each name the question wrote: 'Wan 2.2' links its generators and the Bernini-R editor
    built on them, but the user named one thing."""
    if not names:
        return rows
    keep = set()
    for group in names:
        members = {n.lower() for n in group}
        found = [r for r in rows if table.models[r].name.lower() in members]
        if found:
            keep.add(max(found, key=best))
    return [r for r in rows if r in keep]


def candidates(fit: np.ndarray, table: ModelTable, score: np.ndarray, linked: list[str],
               generative: bool = True) -> np.ndarray:
    """Rows to recommend, best first. Models of the task when there are any: a model that does not
    fit is never shown to fill the list. For help topics (hardware, set-up, general questions) and
    tasks no model does: the models the question names, else the closest ones."""
    order = np.argsort(-score, kind="stable")  # ties: the earlier row first
    named = np.zeros(len(score), bool)
    named[[r for n in linked if (r := table.row.get(n.lower())) is not None]] = True
    # a baseline (Lanczos, plain DDPM) or a dataset is a point of comparison, not a model to use: only when named
    usable = ~np.isin(np.asarray(table.roles), NOT_RECOMMENDED)
    for keep in ((fit > 0, named) if generative else (named, fit > 0)):
        keep = keep & (usable | named)
        if keep.any():
            return order[keep[order]]
    # a help topic (installing, hardware) that names no model: the closest models would be noise ('how do I
    # install ComfyUI' answered with an anime upscaler); a making task no model does shows the closest ones
    return order if generative else order[:0]


def search_models(store, query: str, k: int, mode: str, embedder=None, cache_dir=None,
                  linked: list[str] = ()) -> list[tuple[Model, float]]:
    """Direct look-up: the models the query names first, then FTS5 BM25 (lexical), MiniLM cosine (dense) or
    both fused (hybrid, task)."""
    table = model_table(store)
    first = [table.models[r] for n in linked if (r := table.row.get(n.lower())) is not None]
    rankings = []
    if mode != "dense":
        lex = lexical(store, query, 300, table="models")
        rankings.append((positions([h.id for h in lex], table.row_by_name), 1.0))
    if mode != "lexical":
        index = load_index(store, "models", embedder.space)
        rows = table.rows_of(index)
        cos = np.zeros(len(table.models))
        cos[rows[rows >= 0]] = index.scores(embedder.encode([query])[0])[rows >= 0]
        rankings.append((ranking(cos), 1.0))
    fused = fuse(rankings, len(table.models))
    rest = [(table.models[r], float(fused[r])) for r in ranking(fused, k + len(first))]
    top = max((s for _, s in rest), default=1.0) + 1.0
    named = [(m, top - i * 1e-3) for i, m in enumerate(first)]
    return (named + [(m, s) for m, s in rest if m.name not in {n.name for n, _ in named}])[:k]
