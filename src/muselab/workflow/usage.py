"""What the templates teach about node classes the schema file lacks: :func:`learn_usage`.

It reads how the templates themselves use a class -- its sockets, the widget inputs they
name, the widget values they hold, its outputs -- and writes an ``/object_info``-shaped
entry, so the converter and the validator treat it like a schema. A usage entry only knows
what the templates show: its COMBO inputs have no list of choices and a widget that no
template names stays unknown. The entry also says which inputs the templates only ever
show as sockets (``_sockets``), which the documentation-based entries use as a hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# what the frontend's control_after_generate widget holds (its value is never sent)
CONTROL_VALUES = frozenset({"fixed", "increment", "decrement", "randomize", "increment-wrap"})

VIRTUAL = frozenset({"Reroute", "PrimitiveNode", "Note", "MarkdownNote"})


@dataclass
class _Seen:
    """What the templates show of one class."""

    orders: list = field(default_factory=list)  # input names of each instance, in slot order
    types: dict = field(default_factory=dict)  # input name -> type
    widgets: set = field(default_factory=set)  # input names seen as widgets
    outputs: list = field(default_factory=list)  # [(name, type)] by slot
    values: list = field(default_factory=list)  # widgets_values lists
    count: int = 0  # instances seen
    always: dict = field(default_factory=dict)  # socket -> instances showing it as required
    sockets: set = field(default_factory=set)  # input names seen as plain sockets (no widget)


def learn_usage(workflows, skip=frozenset()) -> dict:
    """``/object_info``-shaped entries for the classes the workflows use but ``skip`` does not hold."""
    seen: dict[str, _Seen] = {}
    for wf in workflows:
        subgraphs = (wf.get("definitions") or {}).get("subgraphs") or []
        ids = {s.get("id") for s in subgraphs}
        for graph in [wf, *subgraphs]:
            for node in graph.get("nodes") or []:
                cls = node.get("type") if isinstance(node, dict) else None
                if isinstance(cls, str) and cls not in skip and cls not in ids and cls not in VIRTUAL:
                    _observe(seen.setdefault(cls, _Seen()), node)
    return {cls: _entry(cls, s) for cls, s in seen.items()}


def _observe(s: _Seen, node: dict):
    order = []
    s.count += 1
    for inp in node.get("inputs") or []:
        name = inp.get("name") if isinstance(inp, dict) else None
        if not isinstance(name, str):
            continue
        order.append(name)
        _note_type(s.types, name, inp.get("type"))
        if "widget" in inp:
            s.widgets.add(name)
            continue
        s.sockets.add(name)
        if inp.get("shape") != 7:  # the frontend draws optional inputs hollow (shape 7)
            s.always[name] = s.always.get(name, 0) + 1
    s.orders.append(order)
    for i, out in enumerate(o for o in node.get("outputs") or [] if isinstance(o, dict)):
        if i >= len(s.outputs):
            s.outputs.append([out.get("name"), str(out.get("type", "*"))])
        elif s.outputs[i][1] != str(out.get("type", "*")):
            s.outputs[i][1] = "*"  # a node that matches its output type to its inputs
    if isinstance(node.get("widgets_values"), list):
        s.values.append(node["widgets_values"])


def _note_type(types: dict, name: str, kind):
    """An input seen with different types takes any (a switch or match-type node)."""
    kind = str(kind if kind is not None else "*")
    types[name] = kind if types.get(name, kind) == kind else "*"


def _entry(cls: str, s: _Seen) -> dict:
    names = _merge_orders(s.orders)
    widgets = _with_parents([n for n in names if n in s.widgets], s.types)
    controls = _controls(widgets, s.values)
    required, optional, order = {}, {}, {"required": [], "optional": []}
    for name in _with_parents(names, s.types):
        is_widget = name in widgets
        opts = {"_widget": is_widget, **({"control_after_generate": True} if name in controls else {})}
        kind = s.types.get(name, "COMBO")
        # required: a socket every instance shows, never hollow; a widget's need is not known
        section = "required" if not is_widget and s.always.get(name) == s.count else "optional"
        (required if section == "required" else optional)[name] = [kind, opts]
        order[section].append(name)
    counts = sorted({len([v for v in vals if not _is_control(v)]) for vals in s.values})
    return {"input": {"required": required, "optional": optional}, "input_order": order,
            "output": [t for _, t in s.outputs], "output_name": [n for n, _ in s.outputs],
            "name": cls, "display_name": cls, "_usage": True, "_widget_counts": counts,
            "_sockets": sorted(s.sockets - s.widgets)}


def _merge_orders(orders: list[list[str]]) -> list[str]:
    """One order consistent with every instance's slot order (a name goes after what preceded it)."""
    merged: list[str] = []
    for order in orders:
        last = -1
        for name in order:
            if name in merged:
                last = max(last, merged.index(name))
            else:
                merged.insert(last + 1, name)
                last += 1
    return merged


def _with_parents(names: list[str], types: dict) -> list[str]:
    """A DynamicCombo's sub-widgets are named "parent.child": the parent combo comes right before them."""
    out = []
    for name in names:
        parent = name.split(".", 1)[0] if "." in name else None
        if parent and parent not in out and parent not in names:
            out.append(parent)
            types.setdefault(parent, "COMBO")
        if name not in out:
            out.append(name)
    return out


def _controls(widgets: list[str], value_lists: list[list]) -> set[str]:
    """Widgets followed by a control_after_generate value, read off lists whose count fits the names."""
    found = set()
    for values in value_lists:
        plain = [i for i, v in enumerate(values) if not _is_control(v)]
        if len(plain) != len(widgets):
            continue
        for name, i in zip(widgets, plain):
            if i + 1 < len(values) and _is_control(values[i + 1]):
                found.add(name)
    return found


def _is_control(value) -> bool:
    return isinstance(value, str) and value in CONTROL_VALUES
