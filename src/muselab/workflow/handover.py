"""Handing a workflow to ComfyUI: the API prompt a real ComfyUI accepts, with every input filled.

A muselab workflow names its inputs (``$image``, ``$prompt``); ComfyUI takes neither a
placeholder (``Invalid image file: $image``) nor muselab's ``meta`` block. So an export
fills each input (a file goes by its name: ComfyUI reads it from its ``input`` folder; a
text goes in as written; a prompt left out takes the template's example), refuses with
the list of what is still unfilled, and validates the result against the node schemas.
A server run fills the texts the same way and uploads the files.
"""

from __future__ import annotations

import json
from pathlib import Path

from muselab.errors import BadInput, MuselabError
from muselab.nodes.base import is_placeholder
from muselab.workflow.graph import Workflow, WorkflowInvalid
from muselab.workflow.templates import is_comfy

# muselab nodes with no core equivalent -> words that find a custom node pack doing the same
PACK_SEARCH = {"StyleTransfer": "neural style", "FastNeuralStyle": "neural style", "anime4k": "anime4k",
               "realcugan": "cugan", "waifu2x": "waifu2x", "realesrgan": "esrgan"}
FILE_KINDS = ("IMAGE", "VIDEO", "AUDIO")


class ComfyExport(dict):
    """An API prompt (node id -> node), with notes for the person who will load it."""

    def __init__(self, nodes: dict, notes: list[str]):
        super().__init__(nodes)
        self.notes = notes


def input_kinds(wf: Workflow) -> dict[str, str]:
    """Input name -> TEXT, IMAGE, VIDEO or AUDIO (from meta; a bare workflow: prompt is text, the rest images)."""
    declared = wf.meta.get("inputs") or {}
    kinds = {}
    for name in wf.placeholders():
        word = str(declared.get(name, "")).split(" ", 1)[0].upper()
        kinds[name] = word if word in (*FILE_KINDS, "TEXT") else ("TEXT" if name.startswith("prompt") else "IMAGE")
    return kinds


def comfy_nodes(wf: Workflow, store=None) -> dict:
    """The workflow's nodes as ComfyUI runs them: a template's as they are, muselab's own exported to core nodes."""
    if is_comfy(wf):
        return json.loads(json.dumps(wf.nodes))
    from muselab.workflow.comfy import export_comfyui

    nodes, problems = export_comfyui(wf)
    if problems:
        raise MuselabError(f"{len(problems)} node(s) cannot be exported to ComfyUI; nothing was written",
                           details=[p + _pack_hint(p, store) for p in problems])
    return nodes


def _pack_hint(problem: str, store) -> str:
    term = next((t for key, t in PACK_SEARCH.items() if key in problem), None)
    if term is None or store is None:
        return ""
    packs = store.packs_matching(term)
    if not packs:
        return f"; no custom node pack in ComfyUI-Manager's list offers {term!r}"
    p = packs[0]
    return f"; the custom node pack {p.title} ({p.url or p.id}) offers {term}"


def fill_texts(wf: Workflow, nodes: dict, values: dict[str, str]) -> tuple[dict, list[str]]:
    """Texts filled (given, else the template's example): (nodes, names that took the example)."""
    kinds, defaults = input_kinds(wf), wf.meta.get("defaults") or {}
    unknown = sorted(set(values) - set(kinds))
    if unknown:
        raise BadInput(f"the workflow has no input {unknown[0]!r}; its inputs: {', '.join(sorted(kinds)) or 'none'}")
    texts = {n: values[n] for n, k in kinds.items() if k == "TEXT" and n in values}
    took = [n for n, k in kinds.items() if k == "TEXT" and n not in values and n in defaults]
    texts.update({n: defaults[n] for n in took})
    return replace(nodes, texts), took


def replace(nodes: dict, values: dict[str, str]) -> dict:
    """A copy of the nodes with each "$name" input that has a value replaced by it."""
    from muselab.workflow.remote import fill

    return fill(nodes, values)


def unfilled(wf: Workflow, nodes: dict) -> list[str]:
    kinds, declared = input_kinds(wf), wf.meta.get("inputs") or {}
    left = sorted({v[1:] for n in nodes.values() for v in n.get("inputs", {}).values() if is_placeholder(v)})
    return [f"{name}: {declared.get(name) or kinds.get(name, 'IMAGE')}; give --input {name}="
            f"{'TEXT' if kinds.get(name) == 'TEXT' else 'PATH'}" for name in left]


def export(wf: Workflow, values: dict[str, str], store=None, schemas=None) -> ComfyExport:
    """The API prompt for ComfyUI with every input filled and validated; nothing is returned half-done."""
    from muselab.workflow.schemas import NodeSchemas

    nodes, took = fill_texts(wf, comfy_nodes(wf, store), values)
    kinds = input_kinds(wf)
    files = {n: Path(v).name for n, v in values.items() if kinds.get(n) in FILE_KINDS}
    nodes = replace(nodes, files)
    left = unfilled(wf, nodes)
    if left:
        raise MuselabError(f"{len(left)} input(s) of the workflow are not filled; nothing was written "
                           "(ComfyUI would take a $name literally)", details=left, exit_code=2)
    schemas = schemas or NodeSchemas.load()
    errors, newer = check_comfy(wf, nodes, store, schemas)
    if errors:
        raise WorkflowInvalid(errors)
    notes = [f"{n}: the template's example text was used (--input {n}=TEXT to change it)" for n in took]
    notes += [f"the template itself needs a ComfyUI newer than 0.3.64 here: {line}" for line in newer]
    if files:
        notes.append(f"copy {', '.join(sorted(set(values[n] for n in files)))} into ComfyUI's input folder "
                     "before you queue it (or use `muselab run FILE --on URL`, which uploads them)")
    return ComfyExport(nodes, notes + newer_classes(nodes, schemas, store))


def check_comfy(wf: Workflow, nodes: dict, store=None, schemas=None) -> tuple[list, list[str]]:
    """(errors, lines the template itself has): a problem the official template has as shipped is not the
    user's -- the template was written for a newer ComfyUI than the 0.3.64 schema file (a new enum value,
    a new input) -- so it is a note, not an error; anything else is an error."""
    from muselab.workflow.comfy_validate import validate_api
    from muselab.workflow.schemas import NodeSchemas

    schemas = schemas or NodeSchemas.load()
    errors = validate_api(nodes, schemas)
    shipped = template_problems(wf, store, schemas) if errors else set()
    return [e for e in errors if e.line() not in shipped], sorted(e.line() for e in errors if e.line() in shipped)


def template_problems(wf: Workflow, store, schemas) -> set[str]:
    """The problem lines of the workflow's template as shipped (inputs as in its examples)."""
    from muselab.workflow.comfy_validate import validate_api
    from muselab.workflow.templates import TemplateInvalid, template_workflow

    t = store.template(wf.meta["template"]) if store is not None and is_comfy(wf) and wf.meta.get("template") else None
    if t is None:
        return set()
    try:
        base = template_workflow(t, schemas)
    except TemplateInvalid:
        return set()
    filled = replace(base.nodes, {**base.meta["examples"], **base.meta["defaults"]})
    return {e.line() for e in validate_api(filled, schemas)}


def newer_classes(nodes: dict, schemas, store=None) -> list[str]:
    """Notes on node classes the shipped ComfyUI 0.3.64 schema file lacks: newer core nodes or custom packs."""
    notes, seen = [], set()
    for node in nodes.values():
        cls = node.get("class_type", "")
        source = schemas.source(cls)
        if cls in seen or source in ("schema", "extra"):
            continue
        seen.add(cls)
        packs = store.packs_for(cls) if store is not None else []
        how = {"docs": "its documentation", "usage": "how the templates use it"}.get(source, "nothing")
        where = (f"from the custom node pack {packs[0].title} ({packs[0].url or packs[0].id})" if packs
                 else "newer than ComfyUI 0.3.64 (update ComfyUI if it is missing)")
        notes.append(f"{cls} is {where}; checked against {how}")
    return notes


def remote_job(wf: Workflow, values: dict[str, str], store=None) -> tuple[dict, dict[str, str], list[str]]:
    """(nodes with texts filled, files to upload by input name, notes) for a run on a ComfyUI server."""
    nodes, took = fill_texts(wf, comfy_nodes(wf, store), values)
    kinds = input_kinds(wf)
    files = {n: v for n, v in values.items() if kinds.get(n) in FILE_KINDS}
    return nodes, files, [f"{n}: the template's example text was used" for n in took]
