"""Node schemas: ComfyUI's own ``/object_info``, its node documentation, and what the templates teach.

Where a node class's inputs come from, in order (``NodeSchemas.source`` tells which spoke):

- ``"extra"``: a newer ``/object_info`` the caller passes (from a running ComfyUI, or a file);
- ``"schema"``: the shipped ``/object_info`` of a real ComfyUI 0.3.64 (477 classes,
  ``muselab.catalog.comfy_schemas``);
- ``"docs"``: ComfyUI's node documentation (``comfyui-embedded-docs``, read by
  ``workflow.docs_schemas``) for the classes newer than that: trusted less, and checked
  against each node's own data when its widget values are named (``workflow.widgets``);
- ``"usage"``: how the templates themselves use a class nobody documents (``workflow.usage``).

All four give entries of the ``/object_info`` shape, V3 inputs included: a DynamicCombo
(``COMFY_DYNAMICCOMBO_V3``) whose options bring inputs of their own, sent as
``"<combo>.<input>"``, and a growable group (``COMFY_AUTOGROW_V3``) whose members are sent
as ``"<group>.<member>"`` (ComfyMathExpression's ``values.a``).
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from muselab.workflow.docs_schemas import DYNAMIC, GROW, Docs, doc_entry, docs_dir
from muselab.workflow.usage import CONTROL_VALUES, VIRTUAL, learn_usage

__all__ = ["CONTROL_VALUES", "VIRTUAL", "InputSpec", "NodeSchemas", "load_object_info", "parse_inputs",
           "template_dir", "template_files"]

WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"})
# input types the frontend draws as a widget of its own (a DOM widget, not a socket)
CUSTOM_WIDGETS = frozenset({"WEBCAM", "LOAD_3D", "LOAD_3D_ANIMATION", "MARKDOWN"})
UPLOAD_FLAGS = ("image_upload", "video_upload", "animated_image_upload", "audio_upload")
# the Load3D extension puts three buttons after its file combo; their labels are saved with the values
LOAD3D_BUTTONS = ("upload3dmodel", "uploadExtraResources", "clear")
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9_]{1,15}$")


@dataclass(frozen=True)
class InputSpec:
    """One input of a node class, socket or widget."""

    name: str
    type: str  # "INT", "COMBO", "IMAGE", "FLOAT,INT", "*"
    required: bool = True
    widget: bool = False
    options: tuple | None = None  # COMBO choices; None when unknown
    minimum: float | None = None
    maximum: float | None = None
    control: bool = False  # a control_after_generate value follows it in widgets_values
    extras: tuple = ()  # frontend-only widgets saved right after it (upload buttons)
    dynamic_prompts: bool = False
    choices: tuple = ()  # a DynamicCombo's options: ((key, (InputSpec, ...)), ...), named "combo.input"
    grow: bool = False  # a growable group: its members are sent as "<name>.<member>", of this type
    nested: bool = False  # an input of a DynamicCombo's option

    def takes(self, value) -> bool:
        """Whether a COMBO takes `value`: one of its choices, or any file name when the choices are files.

        Model-file choices are empty in the schema file, or hold only a placeholder such as
        VAELoader's "pixel_space" (no model files were installed where it was made).
        """
        if self.options is None or value in self.options or not self.options:
            return True
        files = [o for o in self.options if _is_file(o)]
        return len(files) == len(self.options) or (not files and _is_file(value))

    def branch(self, value) -> tuple | None:
        """The inputs a DynamicCombo brings for `value`; None when `value` is none of its options."""
        for key, specs in self.choices:
            if key == value:
                return specs
        for key, specs in self.choices:  # the docs write some keys as enum names: SCALE_BY for "scale by"
            if _norm(key) == _norm(value):
                return specs
        # ... and some shortened: SCALE_BY for "scale by multiplier" (taken when exactly one key leads)
        leading = [specs for key, specs in self.choices if _norm(value).startswith(_norm(key) + " ")]
        return leading[0] if len(leading) == 1 else None


def _is_file(value) -> bool:
    return isinstance(value, str) and bool(_EXTENSION.search(value))


def _norm(value) -> str:
    return re.sub(r"[\s_\-]+", " ", str(value).strip().lower())


@dataclass
class NodeSchemas:
    """Node classes by name: a newer ``/object_info``, the schema file, the docs, then template usage."""

    object_info: dict
    usage: dict = field(default_factory=dict)
    docs: Docs | None = None
    extra: dict = field(default_factory=dict)
    reorder_docs: bool = True  # let a node's values place a DynamicCombo the docs list out of order

    def __post_init__(self):
        self._inputs: dict[str, dict[str, InputSpec]] = {}
        self._documented: dict[str, dict | None] = {}
        self._links: frozenset | None = None

    @classmethod
    def load(cls, extra_object_info: dict | str | Path | None = None) -> "NodeSchemas":
        """The shipped schema file, the docs and the usage of the installed templates (read once, cached).

        `extra_object_info`, the ``/object_info`` answer of a newer ComfyUI (a dict, or a .json
        or .json.gz file), takes precedence over all of them for the classes it holds.
        """
        base = _default()
        if extra_object_info is None:
            return base
        if not isinstance(extra_object_info, dict):
            extra_object_info = load_object_info(Path(extra_object_info))
        return cls(base.object_info, base.usage, base.docs, dict(extra_object_info))

    def source(self, cls: str) -> str | None:
        """'extra', 'schema', 'docs', 'usage' or None for a class nobody knows."""
        if cls in self.extra:
            return "extra"
        if cls in self.object_info:
            return "schema"
        if self.documented(cls) is not None:
            return "docs"
        return "usage" if cls in self.usage else None

    def knows(self, cls: str) -> bool:
        return self.source(cls) is not None

    def entry(self, cls: str) -> dict:
        return self.extra.get(cls) or self.object_info.get(cls) or self.documented(cls) or self.usage.get(cls) or {}

    def documented(self, cls: str) -> dict | None:
        """The docs entry of a class, shaped by the hints its template usage gives (built on first use)."""
        if cls not in self._documented:
            doc = self.docs.doc(cls) if self.docs is not None else None
            used = self.usage.get(cls) or {}
            names = [n for section in (used.get("input") or {}).values() for n in section]
            dotted = {n.split(".", 1)[0] for n in names if "." in n}
            self._documented[cls] = doc_entry(cls, doc, dotted, set(used.get("_sockets") or ())) if doc else None
        return self._documented[cls]

    def inputs(self, cls: str) -> dict[str, InputSpec]:
        """name -> InputSpec in the node's own order (required, then optional); a DynamicCombo's
        inputs follow it as "combo.input" (``nested``)."""
        if cls not in self._inputs:
            self._inputs[cls] = parse_inputs(self.entry(cls))
        return self._inputs[cls]

    def spec(self, cls: str, name: str) -> InputSpec | None:
        """The spec of an API input name: an input, or a member of a growable group ("values.a")."""
        specs = self.inputs(cls)
        if name in specs:
            return specs[name]
        head = name
        while "." in head:
            head = head.rsplit(".", 1)[0]
            if head in specs and specs[head].grow:
                return specs[head]
        first, _, rest = name.partition(".")
        if rest and first in specs and specs[first].choices and self.source(cls) == "docs":
            return self.spec(cls, rest)  # a page that lists an option's input among the common ones
        return None

    def widgets(self, cls: str) -> list[InputSpec]:
        """The top-level widgets in order; a DynamicCombo's own follow it once its value is known."""
        return [s for s in self.inputs(cls).values() if s.widget and not s.nested]

    def widget_slots(self, cls: str) -> list[tuple[str, str]]:
        """What a UI node's ``widgets_values`` holds, in order: (name, "value" | "control" | "extra").

        Static: the widgets a DynamicCombo brings depend on its value (``workflow.widgets`` walks them).
        """
        slots = []
        for spec in self.widgets(cls):
            slots.append((spec.name, "value"))
            if spec.control:
                slots.append((spec.name, "control"))
            slots += [(extra, "extra") for extra in spec.extras]
        return slots

    def required(self, cls: str) -> set[str]:
        """Inputs the node cannot run without (not a growable group, not an option's own)."""
        return {n for n, s in self.inputs(cls).items() if s.required and not s.nested and not s.grow}

    def outputs(self, cls: str) -> list:
        """Output types by slot ("IMAGE", "*", or a list for a COMBO output)."""
        return list(self.entry(cls).get("output") or [])

    def link_types(self) -> frozenset:
        """Every type some node outputs (of the schemas and the templates): a socket's, not a widget's."""
        if self._links is None:
            found = set()
            for entry in [*self.object_info.values(), *self.extra.values(), *self.usage.values()]:
                found.update(t for out in entry.get("output") or [] if isinstance(out, str) for t in out.split(","))
            self._links = frozenset(found)
        return self._links

    def title(self, cls: str) -> str:
        return self.entry(cls).get("display_name") or cls

    def is_output(self, cls: str) -> bool:
        entry = self.entry(cls)
        return bool(entry.get("output_node")) or (entry.get("_usage") and not entry.get("output"))


def parse_inputs(entry: dict, prefix: str = "") -> dict[str, InputSpec]:
    """The inputs of an ``/object_info`` entry, in ``input_order``; a DynamicCombo's follow it."""
    found: dict[str, InputSpec] = {}
    sections = entry.get("input") or {}
    order = entry.get("input_order") or {}
    names = [(s, n) for s in ("required", "optional") for n in order.get(s) or list(sections.get(s) or {})]
    if entry.get("_order"):  # a docs entry: the page's own order, required and optional mixed
        names = [("required" if n in (sections.get("required") or {}) else "optional", n) for n in entry["_order"]]
    for section, name in names:
        specs = sections.get(section) or {}
        if name not in specs or prefix + name in found:
            continue
        spec = _spec(prefix + name, specs[name], section == "required", bool(prefix))
        found[spec.name] = spec
        for child in (c for _, branch in spec.choices for c in branch):
            found[child.name] = _merge(found.get(child.name), child)
    return found


def _spec(name: str, raw, required: bool, nested: bool = False) -> InputSpec:
    kind = raw[0] if isinstance(raw, (list, tuple)) and raw else raw
    opts = raw[1] if isinstance(raw, (list, tuple)) and len(raw) > 1 and isinstance(raw[1], dict) else {}
    options, choices, grow = None, (), False
    if isinstance(kind, list):
        kind, options = "COMBO", tuple(kind)
    elif kind == "COMBO" and "options" in opts:
        options = tuple(opts.get("options") or ())
    elif kind == DYNAMIC:
        choices = tuple(_choice(name, o) for o in opts.get("options") or [] if isinstance(o, dict))
        kind, options = "COMBO", tuple(key for key, _ in choices)
    elif kind == GROW:
        kind, grow = _member_type(opts), True
    kind = str(kind)
    widget = (kind in WIDGET_TYPES or kind in CUSTOM_WIDGETS) and not grow \
        and not (opts.get("forceInput") or opts.get("defaultInput"))
    if opts.get("_widget") is not None:  # usage entries say it outright
        widget = bool(opts["_widget"])
    extras = ("upload",) if any(opts.get(f) for f in UPLOAD_FLAGS) else LOAD3D_BUTTONS if opts.get("file_upload") else ()
    return InputSpec(name, kind, required, widget, options, _num(opts.get("min")), _num(opts.get("max")),
                     bool(opts.get("control_after_generate")), extras, bool(opts.get("dynamicPrompts")),
                     choices, grow, nested)


def _choice(parent: str, option: dict) -> tuple:
    """(key, its own inputs, named "parent.input") of one DynamicCombo option."""
    inner = parse_inputs({"input": option.get("inputs") or {}, "input_order": option.get("input_order") or {},
                          "_order": option.get("_order")}, prefix=f"{parent}.")
    depth = parent.count(".") + 1
    return option.get("key"), tuple(s for s in inner.values() if s.name.count(".") == depth)


def _member_type(opts: dict) -> str:
    """The type of a growable group's members: its template's one input."""
    template = (opts.get("template") or {}).get("input") or {}
    for section in ("required", "optional"):
        for raw in (template.get(section) or {}).values():
            kind = raw[0] if isinstance(raw, (list, tuple)) and raw else raw
            return "COMBO" if isinstance(kind, list) else str(kind)
    return "*"


def _merge(old: InputSpec | None, new: InputSpec) -> InputSpec:
    """One spec for an input several options bring: any of their choices, the widest range."""
    if old is None:
        return new
    options = None if old.options is None or new.options is None else tuple(dict.fromkeys(old.options + new.options))
    low = None if old.minimum is None or new.minimum is None else min(old.minimum, new.minimum)
    high = None if old.maximum is None or new.maximum is None else max(old.maximum, new.maximum)
    kind = old.type if old.type == new.type else "*"
    return replace(old, type=kind, options=options, minimum=low, maximum=high)


def _num(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def load_object_info(path: Path | None = None) -> dict:
    """An ``/object_info`` answer from a .json or .json.gz file; the shipped 0.3.64 one by default."""
    if path is None:
        from muselab.catalog.comfy_schemas import core_schemas

        return core_schemas()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def template_dir() -> Path | None:
    """The installed ``comfyui_workflow_templates_json`` templates, if that package is there."""
    import importlib.util

    spec = importlib.util.find_spec("comfyui_workflow_templates_json")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "templates"
    return folder if folder.is_dir() else None


def template_files(folder: Path, local_only: bool = False) -> list[Path]:
    """Workflow files of a template folder: not the indexes; local ones are not ``api_*`` (paid API nodes)."""
    files = []
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith("index") or (local_only and path.name.startswith("api_")):
            continue
        files.append(path)
    return files


@functools.lru_cache(maxsize=1)
def _default() -> NodeSchemas:
    folder = template_dir()
    workflows = []
    for path in template_files(folder) if folder else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("nodes"), list):
            workflows.append(data)
    if not workflows:  # the templates package is an extra: the built-in catalog holds the same graphs
        from muselab.catalog.builtin import templates

        workflows = [t.graph for t in templates() if isinstance(t.graph.get("nodes"), list)]
    info = load_object_info()
    return NodeSchemas(info, learn_usage(workflows, skip=set(info)), Docs(docs_dir()))
