"""From an answer to a runnable graph: a lookup of the catalog's `runner`, not a guess.

Every runnable catalog model names the node and settings that run it. The
workflow uses the first recommended model that can run here (its weights ship
in a package, or its weights file is in the models folder); when that is not
the top model, the notes say so. When none can, the top model's workflow is
written anyway: it validates, and `muselab run` says which file is missing
and where the catalog says it comes from.

Named inputs: `image` (one input image), `content` and `style` (style
transfer), `prompt` (text).
"""

from __future__ import annotations

from pathlib import Path

from muselab.catalog.records import Model, Task
from muselab.errors import MuselabError
from muselab.text import asked_scale
from muselab.workflow.graph import Workflow

MAX_SCALE = 8  # the Upscale node's largest factor


def weights_path(m: Model, settings) -> Path | None:
    name = (m.runner or {}).get("weights_file")
    return Path(settings.models_dir) / name if name else None


def can_run_here(m: Model, settings) -> bool:
    if m.runnable:
        return True
    path = weights_path(m, settings)
    return bool(path and path.is_file())


def choose(models: list[Model], settings) -> tuple[Model, list[str]]:
    with_runner = [m for m in models if m.runner]
    if not with_runner:
        raise MuselabError("none of the recommended models has a workflow in the catalog (no runner); "
                           f"models: {', '.join(m.name for m in models) or 'none'}")
    top = models[0]
    chosen = next((m for m in with_runner if can_run_here(m, settings)), None)
    notes = []
    if chosen is None:
        chosen = with_runner[0]
        where = weights_path(chosen, settings)
        notes.append(f"no recommended model can run here yet; the workflow uses {chosen.name}, which needs "
                     f"{where} ({chosen.weights_source or chosen.weights_url or 'see the catalog'})")
    elif chosen is not top:
        why = "has no workflow in the catalog" if not top.runner else f"needs {weights_path(top, settings)}, which is not here"
        same = "a model of the same task" if chosen.task == top.task else "the next recommended model that can run"
        notes.append(f"substituted {chosen.name} ({same}) for the top model {top.name}, which {why}")
    return chosen, notes


def workflow_for(models: list[Model], question: str, question_task: Task | None, settings) -> Workflow:
    """The graph that runs the first recommended model that can run here; `meta.notes` says what was
    substituted and what is missing."""
    chosen, notes = choose(models, settings)
    runner = chosen.runner
    node = runner["node"]
    opts = dict(runner.get("settings") or {})
    weights = str(weights_path(chosen, settings)) if runner.get("weights_file") else ""
    task_id = question_task.id if question_task else chosen.task
    if node == "StyleTransfer":
        nodes, inputs = style_graph(opts)
    elif node == "FastNeuralStyle":
        nodes, inputs = chain({"1": load("$content"), "2": {"class_type": "FastNeuralStyle",
                                                          "inputs": {"content": ["1", 0], "weights": weights}}})
    elif node == "Upscale":
        opts.pop("weights", None)
        if opts.get("method") == "spandrel":
            opts["model_path"] = weights
        scale = asked_scale(question)
        if scale and scale <= MAX_SCALE and opts.get("method") in ("lanczos", "anime4k", "realesrgan", "spandrel"):
            opts["scale"] = scale
        nodes, inputs = chain({"1": load("$image"), "2": {"class_type": "Upscale", "inputs": {"image": ["1", 0], **opts}}})
    elif node == "TextToImage":
        scale = asked_scale(question)
        nodes, inputs = diffusion_graph(weights, task_id, scale if scale and scale <= MAX_SCALE else 2)
    else:
        raise MuselabError(f"{chosen.name} names node {node!r}, for which muselab writes no workflow")
    models_meta = [{"name": m.name, "role": "runs" if m is chosen else "recommended",
                    "weights_file": (m.runner or {}).get("weights_file"), "weights_source": m.weights_source,
                    "weights_url": m.weights_url} for m in models]
    meta = {"title": f"{chosen.display_name or chosen.name}", "question": question, "task": task_id,
            "models": models_meta, "inputs": inputs, "notes": notes}
    return Workflow(nodes, meta)


def load(placeholder: str) -> dict:
    return {"class_type": "LoadImage", "inputs": {"image": placeholder}}


def chain(nodes: dict) -> tuple[dict, dict]:
    """Append a SaveImage to the last node; report the named inputs used."""
    last = max(nodes, key=int)
    nodes[str(int(last) + 1)] = {"class_type": "SaveImage", "inputs": {"images": [last, 0], "filename_prefix": "muselab"}}
    inputs = {}
    for n in nodes.values():
        for v in n["inputs"].values():
            if isinstance(v, str) and v.startswith("$"):
                inputs[v[1:]] = "TEXT" if v == "$prompt" else "IMAGE (a PNG, JPEG or WebP path)"
    return nodes, inputs


def style_graph(opts: dict) -> tuple[dict, dict]:
    if opts.get("mode", "arbitrary") == "arbitrary":
        return chain({"1": load("$content"), "2": load("$style"),
                      "3": {"class_type": "StyleTransfer", "inputs": {"content": ["1", 0], "style": ["2", 0], **opts}}})
    return chain({"1": load("$content"), "2": {"class_type": "StyleTransfer", "inputs": {"content": ["1", 0], **opts}}})


def diffusion_graph(weights: str, task_id: str, scale: int) -> tuple[dict, dict]:
    """Text-to-image; for an upscaling or restyling question, what an SD checkpoint can still do:
    image-to-image (after a Lanczos enlargement, at low strength, for upscaling)."""
    ckpt = {"class_type": "LoadCheckpoint", "inputs": {"checkpoint": weights}}
    text = {"class_type": "Text", "inputs": {"text": "$prompt"}}
    if task_id in ("super-resolution", "image-restoration", "face-restoration"):
        return chain({"1": load("$image"),
                      "2": {"class_type": "Upscale", "inputs": {"image": ["1", 0], "method": "lanczos", "scale": scale}},
                      "3": ckpt, "4": text,
                      "5": {"class_type": "ImageToImage", "inputs": {"model": ["3", 0], "image": ["2", 0],
                                                                     "prompt": ["4", 0], "strength": 0.3}}})
    if task_id in ("style-transfer", "image-to-image", "image-editing", "colorization"):
        return chain({"1": load("$content" if task_id == "style-transfer" else "$image"), "2": ckpt, "3": text,
                      "4": {"class_type": "ImageToImage", "inputs": {"model": ["2", 0], "image": ["1", 0],
                                                                     "prompt": ["3", 0], "strength": 0.55}}})
    return chain({"1": ckpt, "2": text,
                  "3": {"class_type": "TextToImage", "inputs": {"model": ["1", 0], "prompt": ["2", 0]}}})
