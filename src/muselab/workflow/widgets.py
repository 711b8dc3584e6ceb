"""A UI node's ``widgets_values`` by input name, the way the frontend lays them out.

The frontend saves one value per widget in the node's order; a seed-like INT with
``control_after_generate`` is followed by that widget's value ("randomize"), an upload
combo by its button's label, and a DynamicCombo by the widgets of the option it holds
(SaveImageAdvanced: ``["name", "png", "8-bit", "sRGB"]`` is filename_prefix, format,
format.bit_depth, format.input_color_space). :func:`widget_values` walks the values
against the schema and says why they do not fit when they do not.

A class read from its documentation is checked harder than one from the schema file: the
values must be used up exactly, each must fit its widget's type, the widgets the node
links must be ones the page lists, and an input the node shows as a plain socket is no
widget. The page does not say which INT has a control_after_generate widget, so a control
value after an INT is taken as one when the rest then fits (a seed tries that first).
When the page still does not fit, the widgets the templates name are tried (usage).
"""

from __future__ import annotations

import json

from muselab.workflow.schemas import CONTROL_VALUES, InputSpec, NodeSchemas, parse_inputs

# the newer frontend's own widget types (a colour picker, a 3D viewport, a box editor, ...): the
# pages list them as inputs, and the node saves a value for them unless it shows them as a socket
FRONTEND_WIDGETS = frozenset({"COLOR", "CURVE", "HISTOGRAM", "BOUNDING_BOX", "BOUNDING_BOXES", "BOUNDINGBOX",
                              "LOAD3D", "LOAD_3D", "IMAGECOMPARE", "RESOLUTION_PREVIEW", "WEBCAM",
                              "AUDIO_RECORD", "MARKDOWN"})


def widget_values(schemas: NodeSchemas, cls: str, values, inputs=None) -> tuple[dict, str | None]:
    """A UI node's ``widgets_values`` by input name (frontend-only values left out), or why they do not fit.

    `inputs` is the UI node's inputs list (its sockets and linked widgets), used to check a
    documented class. Like the frontend, values past the schema's widgets are ignored (a newer
    frontend or node saved more); fewer values than widgets, or a value of the wrong kind, is a
    mismatch. A class known from its documentation or from template usage must match exactly.
    """
    source = schemas.source(cls)
    if isinstance(values, dict):  # a few custom nodes save their widgets by name
        return {n: values[n] for n, s in schemas.inputs(cls).items() if s.widget and n in values}, None
    values = values if isinstance(values, list) else []
    if source == "usage":
        return _usage_values(schemas, cls, values)
    if source != "docs":
        named = (walk := _Walk(values)).run(schemas.widgets(cls))
        return (named, None) if named is not None else ({}, walk.problem(cls, source))
    return _documented_values(schemas, cls, values, inputs)


def _documented_values(schemas: NodeSchemas, cls: str, values: list, inputs) -> tuple[dict, str | None]:
    """Values against a class's documentation, in the page's order, else with one DynamicCombo moved."""
    linked, sockets = _node_inputs(inputs)
    unknown = sorted(n for n in linked if schemas.spec(cls, n) is None)
    if unknown:
        return {}, (f"{cls} is not in the schema file; the template links widget(s) "
                    f"{', '.join(map(repr, unknown))}, which its documentation does not list")
    specs = [s for s in schemas.inputs(cls).values() if not s.nested]
    present = (linked | sockets) if inputs else None
    own = {s.name for s in specs if not s.widget and _own_type(s.type, schemas.link_types())}
    walk = _Walk(values, exact=True, skip=sockets, present=present, own=own)
    # the page's order, else required inputs first (how the frontend lays out an older node's)
    readings = [specs, *([r] if (r := sorted(specs, key=lambda s: not s.required)) != specs else [])]
    named = next((got for reading in readings if (got := walk.run(reading)) is not None), None)
    for reading in readings if named is None and schemas.reorder_docs else ():
        named = named or _moved(reading, _Walk(values, exact=True, skip=sockets, present=present, own=own))
    if named is None and cls in schemas.usage:
        named, problem = _usage_values(schemas, cls, values)
        named = named if problem is None else None
    return (named, None) if named is not None else ({}, walk.problem(cls, "docs"))


def _moved(specs: list, walk: "_Walk") -> dict | None:
    """The one reading with a DynamicCombo moved elsewhere, if exactly one fits.

    The pages list a DynamicCombo (often ``model``) first whatever its place in the node; its
    saved value has to be one of its documented options, which pins where it really is.
    """
    found = []
    for combo in (s for s in specs if s.choices):
        others = [s for s in specs if s is not combo]
        for at in range(len(others) + 1):
            named = walk.run(others[:at] + [combo] + others[at:])
            if named is not None and named not in found:
                found.append(named)
    return found[0] if len(found) == 1 else None


def _own_type(kind: str, links: frozenset) -> bool:
    """A type the frontend may draw as a widget of its own: one of its own kinds, or one no node outputs."""
    return kind in FRONTEND_WIDGETS or (kind not in links and "," not in kind and kind != "*")


def _node_inputs(inputs) -> tuple[set, set]:
    """(names of the linked widgets, names of the plain sockets) of a UI node's inputs."""
    linked, sockets = set(), set()
    for inp in inputs or []:
        if isinstance(inp, dict) and isinstance(inp.get("name"), str):
            if "widget" in inp:
                linked.add((inp.get("widget") or {}).get("name") or inp["name"])
            else:
                sockets.add(inp["name"])
    return linked, sockets


class _Walk:
    """Values against inputs, left to right, trying both readings where the page leaves it open.

    For a documented class (`present` is the node's input names): a control value after an INT
    may be its control_after_generate or the next widget's value; an input of a type of its
    own (COLOR, a 3D viewport, a bounding-box editor) that the node does not show as a socket
    may be a frontend widget with a saved value.
    """

    def __init__(self, values: list, exact: bool = False, skip=frozenset(), present=None, own=frozenset()):
        self.values, self.exact, self.skip, self.present, self.own = values, exact, skip, present, own
        self.infer = exact  # a documented class: controls are not known
        self.fail = (-1, "")  # the furthest point reached and why it stopped there
        self.widgets: list[str] = []  # the widgets of the furthest reading

    def run(self, specs: list[InputSpec]) -> dict | None:
        return self._match(list(specs), 0, {})

    def _failed(self, i: int, why: str, named: dict):
        if i >= self.fail[0]:
            self.fail, self.widgets = (i, why), list(named)
        return None

    def _match(self, items: list, i: int, named: dict):
        if not items:
            if self.exact and i < len(self.values):
                return self._failed(i, f"{len(self.values) - i} value(s) left over", named)
            return named
        spec, rest = items[0], items[1:]
        kind = self._kind(spec)
        if kind == "maybe":  # first as a widget, then as nothing
            got = self._match(rest, i + 1, {**named, spec.name: self.values[i]}) if i < len(self.values) else None
            return got if got is not None else self._match(rest, i, named)
        if kind == "skip" or (self.exact and i >= len(self.values) and not spec.required):
            return self._match(rest, i, named)  # an optional widget newer than the node's values: not sent
        if i >= len(self.values):
            return self._failed(i, f"no value left for {spec.name!r}", named)
        value = self.values[i]
        if not fits(spec, value):
            return self._failed(i, f"widget value {_short(value)} does not fit {spec.name!r} ({_expected(spec)})",
                                named)
        named = {**named, spec.name: value}
        if spec.choices:
            branch = spec.branch(value)
            if branch is None and spec.options:
                return self._failed(i, f"{_short(value)} is none of the options of {spec.name!r}", named)
            rest = list(branch or ()) + rest
        step = i + 1 + len(spec.extras)
        for control in self._controls(spec, step, named):
            got = self._match(rest, step + control, named)
            if got is not None:
                return got
        return None

    def _kind(self, spec: InputSpec) -> str:
        if spec.grow or spec.name in self.skip:
            return "skip"
        if spec.widget:
            return "value"
        shown = self.present is None or spec.name in self.present
        return "maybe" if spec.name in self.own and not shown else "skip"

    def _controls(self, spec: InputSpec, i: int, named: dict) -> list[int]:
        """How many control values follow `spec` at `i`: the readings to try, in order."""
        follows = i < len(self.values) and _is_control(self.values[i])
        if spec.control:
            if not follows:
                self._failed(i, f"{spec.name!r} is followed by {_short(self.values[i:i + 1] or None)}, "
                                "not a control_after_generate value", named)
                return []
            return [1]
        if self.infer and follows and spec.type == "INT":
            return [1, 0] if "seed" in spec.name.lower() else [0, 1]
        return [0]

    def problem(self, cls: str, source: str | None) -> str:
        where, why = self.fail
        values = _short(self.values)
        if source == "docs":
            read = ", ".join(self.widgets) or "none"
            return (f"{cls} is not in the schema file and its documentation does not fit this node: {why} "
                    f"(value {where + 1} of {len(self.values)}; read as {read}); values {values}")
        return f"{cls}: {why} (value {where + 1} of {len(self.values)}); values {values}"


def _usage_values(schemas: NodeSchemas, cls: str, values: list) -> tuple[dict, str | None]:
    """The widgets the templates name, in their order: the values must match them exactly."""
    entry = schemas.usage.get(cls) or {}
    widgets = [s for s in parse_inputs(entry).values() if s.widget]
    walk = _Walk(values, exact=True)
    walk.infer = False  # usage learnt the controls
    named = walk.run(widgets)
    if named is not None:
        return named, None
    if len(values) != len(widgets) + sum(s.control for s in widgets):
        counts = entry.get("_widget_counts") or []
        return {}, (f"{cls} is not in the schema file; the templates name {len(widgets)} of its widgets "
                    f"({', '.join(s.name for s in widgets) or 'none'}) but this node has {len(values)} widget "
                    f"value(s) (templates hold {', '.join(map(str, counts)) or 'none'})")
    return {}, walk.problem(cls, "usage")


def fits(spec: InputSpec, value) -> bool:
    """Whether a saved widget value is of the widget's kind."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if spec.type == "INT":
        return number and float(value).is_integer()
    if spec.type == "FLOAT":
        return number
    if spec.type == "BOOLEAN":
        return isinstance(value, bool)
    if spec.type == "STRING":
        return isinstance(value, str)
    if spec.type == "COMBO":
        return value is None or isinstance(value, (str, int, float, bool))
    return True


def _expected(spec: InputSpec) -> str:
    if spec.choices:
        return "one of " + ", ".join(map(str, spec.options or ()))
    return spec.type


def _is_control(value) -> bool:
    return isinstance(value, str) and value in CONTROL_VALUES


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
