"""Whether a catalog model can do a task: one rule, used by recommendation and by the answer alike."""

from __future__ import annotations

from muselab.catalog.records import Model, Task
from muselab.catalog.taxonomy import family

ANSWERING_ROLES = ("model", "api", "")  # records that do a task themselves (the others are parts of a workflow)


def can_do(m: Model, task: Task, tasks: dict[str, Task]) -> bool:
    """Filed under the task (or its family), known to do it, or an editing model whose inputs and outputs
    are the task's (an image editor can restyle or recolour a photo)."""
    fam = family(task.id, tasks)
    if m.task in fam or fam & set(m.capabilities):  # (a step-distillation LoRA is filed as acceleration)
        return True
    if m.role not in ANSWERING_ROLES or not task.output_modalities:
        return False
    edits = "image" in m.input_modalities and m.task in family("image-editing", tasks)
    # (a task that starts from a picture: an editor does not thereby generate from text or speed others up)
    return edits and set(task.output_modalities) <= set(m.output_modalities) and "image" in task.input_modalities \
        and set(task.input_modalities) <= {"image", "text"}


def can_substitute(m: Model, task: Task, tasks: dict[str, Task]) -> bool:
    """Whether the taxonomy says what a model of its task can still do for this task (an SDXL checkpoint
    can upscale through image-to-image at low strength): enough to put a named model first, with the
    answer saying how."""
    own = tasks.get(m.task)
    return bool(own) and bool(family(task.id, tasks) & set(own.substitutes))
