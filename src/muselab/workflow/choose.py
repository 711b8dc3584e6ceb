"""Which workflow an answer hands over: a graph muselab runs here, or a ComfyUI template.

In order of preference:
1. the top recommended model, when muselab can run it here on the CPU (its runner);
2. a ComfyUI template of the top model or of the family the question names;
3. another recommended model muselab can run here (the notes say it was substituted);
4. a template of another recommended model;
5. the top runnable-in-principle model whose weights file is missing (``muselab run`` says where it comes from).

A template is scored against the question: it uses the model itself or its family, it does the
question's task, it takes the input the question has (an image to animate, or only text), it runs
on local weights rather than a partner API, the words of the question that name a variant
("i2v", "14B", "kontext") appear in its id, and how often people open it.
"""

from __future__ import annotations

import math
import re
from functools import cached_property

from muselab.catalog.families import squash
from muselab.catalog.records import Model, Task, Template
from muselab.errors import MuselabError
from muselab.text import mentions_video
from muselab.workflow.build import can_run_here, workflow_for as native_workflow
from muselab.workflow.graph import Workflow

_PICTURE = (r"(?:image|photo|picture|still|frame|portrait|drawing|illustration|selfie|screenshot|painting|artwork|"
            r"render|scan|sketch|photograph)s?")
# a picture the user starts from: 'from a photo', 'a photo I took', 'i2v' (not 'AI images', which are made)
GIVEN_IMAGE = re.compile(
    rf"\b(?:from|upload|uploaded|uploading|using|turn|turned|turns|animate|animated|drew|took|painted|scanned|"
    rf"have)\s+(?:a|an|the|one|some|my|our|this|that|his|her|their|your)\s+(?:[\w']+\s+)?{_PICTURE}\b|"
    rf"\b{_PICTURE}\s+(?:i|we|you|she|he)\s+(?:took|have|had|shot|drew)\b|\b(?:i2v|img2vid|img2img|my art)\b", re.I)
# or, for a task that may start from one, any picture of the user's own ('my photo', 'this image')
IMAGE_WORDS = re.compile(
    rf"\b(?:my|our|this|that|these|those|his|her|their|your|own|existing|old)\s+(?:[\w']+\s+){{0,2}}?{_PICTURE}\b|"
    rf"{GIVEN_IMAGE.pattern}", re.I)
GENERIC_WORDS = frozenset("a an and the to of in on with for from by image images video videos text model models "
                          "basic api dev default workflow".split())


def template_families(store) -> dict[str, frozenset[str]]:
    """Template id -> the squashed families it runs (those the index names, and its models' own)."""
    def build():
        templates = _templates(store)
        known = store.families_of(n for t in templates for n in t.models)
        out = {}
        for t in templates:
            fams = {squash(f) for f in t.families}
            fams |= {squash(known[n][0]) for n in t.models if n in known and known[n][0]
                     and known[n][1] in ("model", "", None)}
            out[t.id] = frozenset(f for f in fams if f)
        return out
    return store.derived("template_families", ("templates", "models"), build)


def variant_word(word: str) -> bool:
    """A word of the question that can name a template's variant: with a digit ('14b', 'i2v', '2509') or
    not an everyday word ('kontext', 'schnell'); 'frames' or 'video' never."""
    from muselab.search.link import everyday_words, is_everyday

    return len(word) > 1 and word not in GENERIC_WORDS and (any(c.isdigit() for c in word)
                                                            or not is_everyday(word, everyday_words()))


def _templates(store) -> list[Template]:
    return store.derived("template_list", ("templates",), store.templates)


def _templates_by_task(store) -> dict[str, list[Template]]:
    def build():
        out: dict[str, list[Template]] = {}
        for t in _templates(store):
            for tid in dict.fromkeys(t.tasks):
                out.setdefault(tid, []).append(t)
        return out
    return store.derived("templates_by_task", ("templates",), build)


class Asked:
    """What a question says that templates are scored on, read once per question (not once per template)."""

    def __init__(self, question: str, task: Task | None):
        self.tasks = {task.id, task.parent} - {None} if task else set()
        # a task made from words (text to image) starts from a picture only when the question plainly says so:
        # 'my pictures' there are mostly the ones it made
        words_only = bool(task and task.input_modalities and "image" not in task.input_modalities)
        self.wants_image = bool((GIVEN_IMAGE if words_only else IMAGE_WORDS).search(question)) or bool(
            task and "image" in task.input_modalities and "text" not in task.input_modalities)
        # a clip to work on, for a task that takes one (video editing, video upscaling)
        self.wants_video = bool(task and "video" in task.input_modalities and mentions_video(question))
        self.question = question

    @cached_property  # read only when a template gets that far (the everyday words load the embedder's vocabulary)
    def said(self) -> set[str]:
        return {w for w in re.findall(r"[a-z0-9.]+", self.question.lower()) if variant_word(w)}

    @cached_property
    def words(self) -> set[str]:
        return set(re.findall(r"[a-z0-9]+", self.question.lower())) | {
            w for tid in self.tasks for w in tid.split("-")}


# the words of template ids that say nothing of what a template does beyond running its model
# (nor do the marks of what it starts from and makes: whether it takes what the question has is scored apart)
TEMPLATE_WORDS = GENERIC_WORDS | frozenset("template templates app v1 v2 fp8 fp16 bf16 gguf t2v i2v v2v ti2v flf2v t2i "
                                           "i2i txt2img img2img".split())
UNASKED_WORD, UNASKED_MOST = 1.0, 3.0


def starts_from_image(m: Model) -> bool:
    """A model made to start from a picture, as its name says ('Wan 2.2 I2V'): not one that merely can."""
    return bool(re.search(r"i2v|img2vid|imagetovideo|flf2v|firstlastframe", squash(m.name)))


def unasked_words(t: Template, m: Model, asked: Asked) -> int:
    """The words of a template's id that name neither its model nor anything the question says: the marks
    of a specialised workflow ('1 click multiple scene angles', 'relight') where a plain one answers."""
    own = set(re.findall(r"[a-z0-9]+", f"{m.name} {m.family or ''} {m.display_name or ''}".lower()))
    return sum(1 for w in set(re.split(r"[^a-z0-9]+", t.id.lower()))
               if len(w) > 1 and w not in TEMPLATE_WORDS and w not in own and w not in asked.words)


def template_score(t: Template, m: Model, families: frozenset[str], asked: Asked) -> float:
    """How well template `t` answers a question recommending model `m`; below 0: not a candidate."""
    tasks = asked.tasks
    if not tasks & set(t.tasks) and m.task not in t.tasks:
        return -1.0
    fam = squash(m.family or "")
    uses = m.name in t.models or t.id in (m.templates or [])
    if not uses and fam not in families:
        return -1.0
    score = 3.5 if uses else 2.5
    score += 3.0 if t.tasks and t.tasks[0] in tasks else (1.5 if tasks & set(t.tasks) else 0.0)
    given = {"image"} if asked.wants_image else set()
    given |= {"video"} if asked.wants_video else set()
    if given:
        score += 1.5 if given & set(t.input_modalities) else -1.0
    elif (t.input_modalities and set(t.input_modalities) <= {"text"}) or (uses and starts_from_image(m)):
        score += 1.0  # (the template of a model made to start from a picture, an i2v model, takes one)
    elif "image" in t.input_modalities:
        score -= 1.5  # it needs a picture the question does not have
    if t.api and m.role != "api":
        score -= 3.0
    score += 0.75 * len(asked.said & set(re.split(r"[_\-]", t.id.lower())))
    score -= min(UNASKED_MOST, UNASKED_WORD * unasked_words(t, m, asked))
    return max(0.0, score + 0.3 * math.log10(1 + max(t.usage, 0)))


def ranked_templates(models: list[Model], question: str, task: Task | None, store) -> list[tuple[float, int, str]]:
    """(score, index of the model in `models`, template id), best first per model order then score."""
    fams, by_task, asked = template_families(store), _templates_by_task(store), Asked(question, task)
    found = []
    for i, m in enumerate(models):
        # only a template of the question's task or of the model's own can score (template_score says so)
        candidates = {t.id: t for tid in asked.tasks | {m.task} for t in by_task.get(tid, ())}
        for t in candidates.values():
            s = template_score(t, m, fams.get(t.id, frozenset()), asked)
            if s >= 0:
                found.append((s, i, t.id))
    return sorted(found, key=lambda x: (x[1], -x[0], x[2]))


def best_template(models: list[Model], question: str, task: Task | None, store) -> tuple[Template, Model] | None:
    """The template an answer shows: the best one of the first recommended model that has one."""
    ranked = ranked_templates(_unique(models), question, task, store)
    if not ranked:
        return None
    _, i, tid = ranked[0]
    t = store.template(tid)
    return (t, _unique(models)[i]) if t else None


def choose_workflow(models: list[Model], question: str, task: Task | None, store, settings,
                    named_families: list[str] = ()) -> Workflow:
    """The workflow to hand over for these recommended models; `named_families`: those the question names."""
    models = _unique(models)
    if not models:
        raise MuselabError("no model was recommended, so there is no workflow to hand over")
    top, named = models[0], {squash(f) for f in named_families}
    if top.runner and can_run_here(top, settings):
        return native_workflow(models, question, task, settings)
    ranked = ranked_templates(models, question, task, store)
    lead = [r for r in ranked if r[1] == 0 or squash(models[r[1]].family or "") in named]
    notes: list[str] = []
    wf = _first_template(lead, models, question, store, notes)
    if wf is None and any(m.runner and can_run_here(m, settings) for m in models):
        return native_workflow(models, question, task, settings)
    wf = wf or _first_template([r for r in ranked if r not in lead], models, question, store, notes)
    if wf is not None:
        wf.meta["notes"] = notes + wf.meta["notes"]
        return wf
    return native_workflow(models, question, task, settings)


def _first_template(ranked, models, question, store, notes) -> Workflow | None:
    from muselab.workflow.templates import TemplateInvalid, template_workflow

    for _, i, tid in ranked:
        t = store.template(tid)
        try:
            wf = template_workflow(t, models=_models_meta(t, models[i], models, store), question=question)
        except TemplateInvalid as exc:
            notes.append(f"template {tid} was skipped: {exc} ({exc.details[0] if exc.details else ''})")
            continue
        if i:
            notes.append(f"{models[0].name} has no ComfyUI template; this is the template of {models[i].name}, "
                         "the next recommended model that has one")
        return wf
    return None


def _models_meta(t: Template, chosen: Model, models: list[Model], store) -> list[dict]:
    runs = [{"name": m.name, "role": "runs" if m.role in ("model", "") else m.role, "family": m.family,
             "weights_url": m.weights_url} for m in store.models(t.models)]
    if not any(r["name"] == chosen.name for r in runs):
        runs.insert(0, {"name": chosen.name, "role": "recommended", "family": chosen.family})
    shown = {r["name"] for r in runs}
    return runs + [{"name": m.name, "role": "recommended"} for m in models if m.name not in shown][:4]


def _unique(models: list[Model]) -> list[Model]:
    seen, out = set(), []
    for m in models:
        if m.name not in seen:
            seen.add(m.name)
            out.append(m)
    return out
