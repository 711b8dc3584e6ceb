"""A ComfyUI template as a muselab workflow file: its graph in ComfyUI's API format, named inputs to fill.

The template's UI graph is converted the way the frontend queues it (``workflow.ui``).
Then what a person must supply becomes a named input, as in muselab's own workflows:

- each LoadImage / LoadVideo / LoadAudio file becomes ``$image`` / ``$video`` / ``$audio``
  (several images are named by the input they feed, e.g. ``$start_image`` and ``$end_image``);
- the text of each prompt that reaches a sampler's ``positive`` input becomes ``$prompt``
  (``$prompt_2``... when there are several), with the template's own text as its default.
  Negative prompts keep their text.

``meta`` (muselab's file only; ComfyUI never sees it) records the template id, the model
files (name, URL, folder under ComfyUI's ``models/``), the inputs, the defaults and
``runs_on: comfyui``: the graph runs on a ComfyUI server, not on muselab's CPU nodes.
"""

from __future__ import annotations

from muselab.catalog.records import Template
from muselab.errors import MuselabError
from muselab.workflow.graph import NodeError, Workflow, WorkflowInvalid, is_link, topological_order
from muselab.workflow.schemas import NodeSchemas

# node class -> (its file input, the kind of file, the input name in muselab's file)
FILE_NODES = {"LoadImage": ("image", "IMAGE", "image"), "LoadImageMask": ("image", "IMAGE", "mask"),
              "LoadImageOutput": ("image", "IMAGE", "image"), "LoadVideo": ("file", "VIDEO", "video"),
              "LoadAudio": ("audio", "AUDIO", "audio")}
# inputs whose name says nothing about the file's part ("image" feeds most nodes)
PLAIN_PORTS = {"image", "images", "pixels", "video", "audio", "image1", "samples", "input", "value"}
POSITIVE, NEGATIVE = "positive", "negative"


class TemplateInvalid(WorkflowInvalid):
    """A template that does not convert: every problem, per node, named with the template."""

    def __init__(self, template_id: str, errors: list[NodeError]):
        super().__init__(errors)
        self.args = (f"template {template_id} does not convert to ComfyUI's API format "
                     f"({len(errors)} problem{'s' if len(errors) > 1 else ''}); nothing was written",)
        self.template_id = template_id


def template_workflow(t: Template, schemas: NodeSchemas | None = None, models: list[dict] | None = None,
                      question: str = "") -> Workflow:
    """The template's graph with its inputs named, and its meta; TemplateInvalid if it does not convert."""
    from muselab.workflow.ui import ui_to_api

    if not t.graph:
        raise MuselabError(f"template {t.id} has no graph in the catalog (ingest it again with its workflow file)")
    schemas = schemas or NodeSchemas.load()
    nodes, errors = ui_to_api(t.graph, schemas)
    if errors:
        raise TemplateInvalid(t.id, errors)
    inputs, examples = name_files(nodes)
    prompts, defaults = name_prompts(nodes, schemas)
    inputs.update(prompts)
    meta = {"title": t.title, "question": question, "template": t.id, "description": t.description,
            "task": t.tasks[0] if t.tasks else None, "runs_on": "comfyui",
            "models": models or [{"name": n, "role": "runs"} for n in t.models],
            "files": [file_entry(f) for f in t.files], "inputs": inputs, "defaults": defaults,
            "examples": examples, "notes": []}
    if t.api:
        meta["notes"].append("this template calls a partner API node: running it needs an account with that "
                             "service, set up in ComfyUI")
    return Workflow(nodes, meta)


def file_entry(f: dict) -> dict:
    """A model file as meta lists it: name, url, folder (under ComfyUI's models/), size when known."""
    entry = {"name": f.get("name", ""), "url": f.get("url"), "folder": f.get("folder") or f.get("directory")}
    if f.get("size"):
        entry["size"] = f["size"]
    return entry


def consumers(nodes: dict) -> dict[str, list[tuple[str, str]]]:
    """node id -> the (node, input) pairs its outputs feed."""
    found: dict[str, list[tuple[str, str]]] = {}
    for nid, node in nodes.items():
        for port, value in node.get("inputs", {}).items():
            if is_link(value):
                found.setdefault(str(value[0]), []).append((nid, port))
    return found


def name_files(nodes: dict) -> tuple[dict[str, str], dict[str, str]]:
    """Replace each loader's file with a named input: (inputs, the template's example file per input)."""
    feeds = consumers(nodes)
    loaders = [(nid, FILE_NODES[nodes[nid]["class_type"]]) for nid in _ordered(nodes)
               if nodes[nid].get("class_type") in FILE_NODES]
    inputs, examples, taken = {}, {}, set()
    for nid, (port, kind, base) in loaders:
        value = nodes[nid]["inputs"].get(port)
        if not isinstance(value, str) or is_link(value):
            continue
        name = _file_name(base, nid, feeds, taken, sum(1 for _, spec in loaders if spec[2] == base))
        taken.add(name)
        nodes[nid]["inputs"][port] = f"${name}"
        what = name.replace("_", " ")
        inputs[name] = f"{kind} (a file path: the {what}; in ComfyUI it goes to node {nid}, {nodes[nid]['class_type']})"
        examples[name] = value
    return inputs, examples


def _file_name(base: str, nid: str, feeds: dict, taken: set, same_kind: int) -> str:
    if same_kind == 1 and base not in taken:
        return base
    for _, port in feeds.get(nid, []):
        if port not in PLAIN_PORTS and port.replace("_", "").isalnum() and port not in taken:
            return port
    n = 1
    while (name := base if n == 1 else f"{base}_{n}") in taken:
        n += 1
    return name


def name_prompts(nodes: dict, schemas: NodeSchemas) -> tuple[dict[str, str], dict[str, str]]:
    """Replace each positive prompt's text with $prompt (or $prompt_N): (inputs, defaults)."""
    feeds = consumers(nodes)
    inputs, defaults, by_text = {}, {}, {}
    for nid in _ordered(nodes):
        node = nodes[nid]
        for port, text in list(node.get("inputs", {}).items()):
            if not _is_prompt(node["class_type"], port, text, schemas) or _polarity(nid, feeds) == NEGATIVE:
                continue
            name = by_text.get(text) or _prompt_name(port, defaults)
            if name not in defaults:
                by_text[text], defaults[name] = name, text
                what = "the prompt: what to make" if name == "prompt" else f"the {name.replace('_', ' ')} text"
                inputs[name] = f"TEXT ({what}; the template's example is the default)"
            node["inputs"][port] = f"${name}"
    return inputs, defaults


def _prompt_name(port: str, taken: dict) -> str:
    """'prompt' first; then the input's own name when it says what the text is (lyrics), else prompt_N."""
    if not taken:
        return "prompt"
    if port not in ("text", "prompt") and port.replace("_", "").isalnum() and port not in taken:
        return port
    return f"prompt_{len(taken) + 1}"


def _is_prompt(cls: str, port: str, value, schemas: NodeSchemas) -> bool:
    """A text typed into a text encoder (or a string primitive that feeds one)."""
    if not isinstance(value, str) or len(value.strip()) < 3 or port in ("filename_prefix", "expression"):
        return False
    spec = schemas.spec(cls, port)
    if spec is None or "STRING" not in spec.type:
        return False
    outputs = [o for o in schemas.outputs(cls) if isinstance(o, str)]
    return "CONDITIONING" in outputs or "STRING" in outputs or port in ("text", "prompt")


def _polarity(nid: str, feeds: dict, depth: int = 12) -> str | None:
    """'negative' if the node's output reaches only samplers' negative inputs; 'positive' if it reaches a
    positive one on any path (a prompt zeroed out for the negative side still counts as positive);
    None when it reaches neither (a guider's single conditioning: the prompt)."""
    seen, frontier, found = {nid}, [nid], set()
    for _ in range(depth):
        nxt = []
        for current in frontier:
            for target, port in feeds.get(current, []):
                if port in (POSITIVE, NEGATIVE):
                    found.add(port)
                elif target not in seen:
                    seen.add(target)
                    nxt.append(target)
        frontier = nxt
    return POSITIVE if POSITIVE in found else (NEGATIVE if found else None)


def _ordered(nodes: dict) -> list[str]:
    try:
        return topological_order(Workflow(nodes))
    except Exception:  # the converter reports cycles; here order is only cosmetic
        return list(nodes)


def is_comfy(wf: Workflow) -> bool:
    """A workflow that runs on a ComfyUI server (a template's graph), not on muselab's nodes."""
    return wf.meta.get("runs_on") == "comfyui"


def inputs_of_kind(wf: Workflow, kind: str) -> list[str]:
    return [n for n, d in (wf.meta.get("inputs") or {}).items() if str(d).split(" ", 1)[0] == kind]
