"""The offline composer: a grounded three-part answer from a Context and the catalog.

It writes only what the catalog knows (tasks, how models work) and what the
Context gives (names, links, summaries). It never adds a link, an arXiv id or
a model name of its own; the verifier checks that afterwards.
"""

from __future__ import annotations

from muselab.answer.assess import Subject, model_fits, rate
from muselab.answer.render import SHORT_WORDS, TIGHTEST, task_part, workflow_part
from muselab.answer.sources import sources_part
from muselab.answer.result import Answer, ModelFit
from muselab.catalog.capability import can_do
from muselab.catalog.records import Task
from muselab.catalog.taxonomy import family
from muselab.context import Context
from muselab.search.explain import pick
from muselab.search.tasks import TaskGuess, identify


def compose(ctx: Context, store, tasks: dict[str, Task], guess: TaskGuess | None = None, named=None,
            hints=None, detail: str = "short") -> Answer:
    """`guess` comes from `ask`, which identified the task itself; `answer` leaves it to step 2. `named`
    (from `ask`) holds the models the question names: (links to the catalog, names the catalog lacks).
    `hints` (from `ask`) holds what retrieval found: the mechanisms asked about and each paper's closeness."""
    # 1. what the given models are, from the catalog (or their name prefix)
    raw = model_fits(ctx, store, tasks)
    # 2. the question's task, with the given models' tasks as a prior
    identified_here = guess is None
    if guess is None:
        guess = identify(ctx.question, tasks, prior_tasks=[t.id for _, _, t, _ in raw])
    qfamily = family(guess.task.id, tasks)
    # for help topics (installation, which model made this) models are context, not candidates
    asked = [guess.task] + ([guess.second] if guess.second else [])  # a two-part question asks for both
    fits = [ModelFit(src, rec, task, any(can_do(rec, t, tasks) for t in asked) if rec else
                     task.id in qfamily, inferred) if guess.task.generative else
            ModelFit(src, rec, task, True, inferred) for src, rec, task, inferred in raw]
    # 3. the mechanisms the question asks about (ask found them by meaning too; here: by its words)
    explainers = hints.explainers if hints else pick(ctx.question, guess.task)
    # 4. rate every given paper: is it about the asked task or mechanism?
    subject = Subject(guess, tasks, explainers, store, hints.closeness if hints else {},
                      hints.clear if hints else None, hints.model_papers if hints else {},
                      hints.worded if hints else None)
    notes = [rate(p, ctx.question, subject) for p in ctx.papers]
    notes.sort(key=lambda n: -n.score)  # stable: ties keep the given order
    # 5. the ComfyUI template that runs the recommended model, when muselab cannot run it here
    template = template_card([f.record for f in fits if f.record], ctx.question, guess.task, store)
    # 6. write the three parts; a short answer over its length is written again, tighter
    for tight in range(TIGHTEST + 1):
        parts = {
            "task": task_part(ctx, guess, fits, tasks, show_confidence=not identified_here, named=named,
                              explainers=explainers, tight=tight, clear=hints.clear if hints else None),
            "workflow": workflow_part(ctx, guess, fits, tasks, template, explainers, detail, tight),
            "sources": sources_part(fits, notes, guess.task, detail, tight),
        }
        if detail == "full" or sum(len(p.split()) for p in parts.values()) <= SHORT_WORDS:
            break
    return Answer(ctx, guess, fits, notes, parts, template=template, explainers=[e.id for e in explainers])


def template_card(models: list, question: str, task: Task, store) -> dict | None:
    """What the answer says of the template `--workflow` would hand over: id, title, the model it runs,
    its stages in order and its model files."""
    from muselab.workflow.choose import best_template
    from muselab.workflow.stages import template_stages

    if not models or (models[0].runner and models[0].runnable):
        return None  # muselab runs the top model itself
    best = best_template(models, question, task, store)
    if best is None:
        return None
    t, m = best
    return {"id": t.id, "title": t.title, "model": m.name, "stages": template_stages(t.graph),
            "files": [f.get("name") for f in t.files], "api": t.api}

