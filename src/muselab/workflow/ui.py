"""ComfyUI's UI (litegraph) workflow format -> its API prompt format, the way the frontend queues it.

This follows the frontend's ``graphToPrompt`` (src/utils/executionUtil.ts) and its
``ExecutableNodeDTO`` (src/lib/litegraph/src/subgraph/ExecutableNodeDTO.ts) in
Comfy-Org/ComfyUI_frontend:

- a node's widget values come first, named through its schema, then its linked
  inputs in slot order (a linked widget keeps its place and takes the link);
  frontend-only widgets (control_after_generate, upload buttons) are not sent,
  and a list value is sent as ``{"__value__": [...]}``;
- a subgraph instance is replaced by its inner nodes, whose ids become
  ``"instance:inner"`` (nested: ``"a:b:c"``); a link from the subgraph's input
  node goes on through the instance's own input, or takes the instance's widget
  value when that input is a widget nobody links;
- virtual nodes (Reroute, notes, PrimitiveNode) are not sent: a link through a
  reroute goes on to its source, a PrimitiveNode's value goes into the widgets it
  feeds; a bypassed node (mode 4) passes on the first input of the output's type,
  a muted node (mode 2) is dropped, and so is a node left without a required
  input by it; muted or bypassed subgraph instances are not expanded.

Problems come back as ``NodeError`` per node; when there is any, the graph is
unusable and nothing half-converted is returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from muselab.workflow.graph import CycleError, NodeError, Workflow, is_link, topological_order
from muselab.workflow.schemas import VIRTUAL, NodeSchemas
from muselab.workflow.widgets import widget_values

SUBGRAPH_INPUT, SUBGRAPH_OUTPUT = "-10", "-20"  # ids of a subgraph's input and output nodes
MUTED, BYPASSED = 2, 4


class _Problem(Exception):
    def __init__(self, node: str, kind: str, message: str):
        super().__init__(message)
        self.error = NodeError(node, kind, message)


@dataclass
class _Graph:
    key: str  # "" for the root graph, the subgraph id otherwise
    nodes: dict  # node id (str) -> UI node, in saved order
    links: dict  # link id -> (origin id, origin slot, target id, target slot, type)
    definition: dict | None = None


@dataclass
class _Dto:
    """One node of the flattened graph (the frontend's ExecutableNodeDTO)."""

    id: str
    node: dict
    graph: _Graph
    path: tuple  # instance ids from the root to the graph holding the node
    instance: "_Dto | None"  # the subgraph instance holding it
    skipped: bool  # inside a muted or bypassed instance

    @property
    def inputs(self) -> list:
        return [i for i in self.node.get("inputs") or [] if isinstance(i, dict)]


def ui_to_api(ui: dict, schemas: NodeSchemas | None = None) -> tuple[dict, list[NodeError]]:
    """A UI workflow as the API prompt ComfyUI's frontend would queue, and the problems found."""
    if not isinstance(ui, dict) or not isinstance(ui.get("nodes"), list):
        return {}, [NodeError("-", "bad_format", 'a UI workflow is a JSON object with a "nodes" list')]
    converter = _Converter(ui, schemas or NodeSchemas.load())
    if not converter.errors:
        converter.flatten(converter.root, (), None, False, ())
    output = converter.emit() if not converter.errors else {}
    if converter.errors:
        return {}, converter.errors
    _prune(output, converter.schemas, converter.lost)
    errors = _cycles(output)
    return ({}, errors) if errors else (output, [])


class _Converter:
    def __init__(self, ui: dict, schemas: NodeSchemas):
        self.schemas = schemas
        self.errors: list[NodeError] = []
        self.dtos: dict[str, _Dto] = {}  # execution id -> node, in execution order
        self._promoted: dict[str, dict] = {}
        self.lost: dict[str, set] = {}  # node -> connected inputs that nothing reached (a muted source)
        self.defs = {}
        for sub in (ui.get("definitions") or {}).get("subgraphs") or []:
            if isinstance(sub, dict) and sub.get("id"):
                self.defs[sub["id"]] = self._graph(sub, sub["id"])
        self.root = self._graph(ui, "")

    def _graph(self, data: dict, key: str) -> _Graph:
        nodes = {}
        for i, node in enumerate(data.get("nodes") or []):
            if not isinstance(node, dict) or "id" not in node or not isinstance(node.get("type"), str):
                self.errors.append(NodeError(f"#{i}" if not key else f"{key}#{i}", "bad_format",
                                             'a UI node needs an "id" and a "type"'))
                continue
            nodes[str(node["id"])] = node
        links = {}
        for link in data.get("links") or []:
            parsed = _link(link)
            if parsed is None:
                self.errors.append(NodeError("-", "bad_format", f"a link is malformed: {str(link)[:80]}"))
                continue
            links[parsed[0]] = parsed[1:]
        return _Graph(key, nodes, links, data if key else None)

    def flatten(self, graph: _Graph, path: tuple, instance, skipped: bool, chain: tuple):
        """Every node with its execution id; inner nodes follow their instance (frontend order)."""
        nodes = list(graph.nodes.values())
        if not path:  # the root in execution order, as the frontend saved it
            nodes.sort(key=lambda n: n.get("order") if isinstance(n.get("order"), int) else 1 << 30)
        for node in nodes:
            dto = _Dto(":".join((*path, str(node["id"]))), node, graph, path, instance, skipped)
            self.dtos[dto.id] = dto
            sub = node["type"]
            if sub not in self.defs:
                continue
            if sub in chain:
                self.errors.append(NodeError(dto.id, "cycle", f"subgraph {sub} contains itself"))
                continue
            off = skipped or node.get("mode") in (MUTED, BYPASSED)
            self.flatten(self.defs[sub], (*path, str(node["id"])), dto, off, (*chain, sub))

    def emit(self) -> dict:
        output = {}
        for dto in self.dtos.values():
            node = dto.node
            if dto.skipped or node["type"] in VIRTUAL or node["type"] in self.defs or node.get("mode") in (MUTED, BYPASSED):
                continue
            try:
                output[dto.id] = self._api_node(dto)
            except _Problem as problem:
                self.errors.append(problem.error)
        return output

    def _api_node(self, dto: _Dto) -> dict:
        cls = dto.node["type"]
        if not self.schemas.knows(cls):
            raise _Problem(dto.id, "unknown_class", f"no node class {cls!r} in the schemas, the docs or any template")
        values, problem = widget_values(self.schemas, cls, dto.node.get("widgets_values"), dto.inputs)
        if problem:
            raise _Problem(dto.id, "widget_mismatch", problem)
        inputs = {}
        for name, value in values.items():
            spec = self.schemas.spec(cls, name)
            if spec is not None and spec.dynamic_prompts and isinstance(value, str):
                value = process_dynamic_prompt(value)  # the widget's serializeValue
            inputs[name] = _wrap(value)
        for slot, inp in enumerate(dto.inputs):
            resolved = self.resolve_input(dto, slot, set())
            if resolved is None and inp.get("link") is not None:
                self.lost.setdefault(dto.id, set()).add(inp.get("name"))
            elif resolved is not None and isinstance(inp.get("name"), str):
                inputs[inp["name"]] = resolved if is_link(resolved) else _wrap(resolved[1])
        title = dto.node.get("title") or self.schemas.title(cls)
        return {"inputs": inputs, "class_type": cls, "_meta": {"title": title}}

    # --- link resolution (ExecutableNodeDTO.resolveInput / resolveOutput) ------------------------

    def resolve_input(self, dto: _Dto, slot: int, visited: set, type_=None):
        """[source id, output slot], ("value", v) for a widget value, or None when nothing arrives."""
        _visit(visited, (dto.id, "I", slot), dto)
        inputs = dto.inputs
        if slot >= len(inputs) or inputs[slot].get("link") is None:
            return None
        target = inputs[slot]
        link = dto.graph.links.get(target["link"])
        if link is None:
            raise _Problem(dto.id, "bad_link", f"input {target.get('name')!r} uses link {target['link']}, "
                                               "which the graph does not have")
        origin, origin_slot = link[0], link[1]
        if origin == SUBGRAPH_INPUT and dto.instance is not None:
            return self._instance_input(dto.instance, dto.graph, origin_slot, visited)
        if origin not in dto.graph.nodes:
            raise _Problem(dto.id, "bad_link", f"input {target.get('name')!r} links to node {origin}, "
                                               "which does not exist")
        source = self.dtos[":".join((*dto.path, origin))]
        return self.resolve_output(source, origin_slot, type_ or target.get("type"), visited, target)

    def resolve_output(self, dto: _Dto, slot: int, type_, visited: set, target: dict):
        _visit(visited, (dto.id, "O", slot), dto)
        node = dto.node
        if dto.skipped or node.get("mode") == MUTED:
            return None
        if node.get("mode") == BYPASSED:
            index = _bypass_slot(node, slot, type_)
            return None if index < 0 else self.resolve_input(dto, index, visited)
        if node["type"] in self.defs:
            return self._subgraph_output(dto, slot, type_, visited, target)
        if node["type"] == "PrimitiveNode":  # its applyToGraph wrote its value into the widget it feeds
            values = node.get("widgets_values") or [None]
            return ("value", values[0]) if "widget" in target else None
        if node["type"] in VIRTUAL:  # a reroute passes on its input of the same index
            return self.resolve_input(dto, slot, visited, type_) if slot < len(dto.inputs) else None
        outputs = node.get("outputs")
        if isinstance(outputs, list) and outputs and slot >= len(outputs):
            raise _Problem(dto.id, "bad_link", f"a link uses output {slot} of {node['type']}, "
                                               f"which has {len(outputs)} output(s)")
        return [dto.id, int(slot)]

    def _subgraph_output(self, dto: _Dto, slot: int, type_, visited: set, target: dict):
        graph = self.defs[dto.node["type"]]
        outputs = graph.definition.get("outputs") or []
        if slot >= len(outputs):
            raise _Problem(dto.id, "bad_link", f"a link uses output {slot} of a subgraph with {len(outputs)}")
        link_ids = outputs[slot].get("linkIds") or []
        if not link_ids:
            return None
        link = graph.links.get(link_ids[0])
        if link is None:
            raise _Problem(dto.id, "bad_link", f"subgraph output {slot} uses link {link_ids[0]}, which it lacks")
        if link[0] == SUBGRAPH_INPUT:  # an input wired straight to an output
            return self._instance_input(dto, graph, link[1], visited)
        inner = self.dtos.get(f"{dto.id}:{link[0]}")
        if inner is None:
            raise _Problem(dto.id, "bad_link", f"subgraph output {slot} comes from node {link[0]}, which it lacks")
        return self.resolve_output(inner, link[1], type_, visited, target)

    def _instance_input(self, instance: _Dto, graph: _Graph, index: int, visited: set):
        """What arrives at a subgraph's input `index`: the instance's link, else its widget value."""
        sub_inputs = graph.definition.get("inputs") or []
        if not 0 <= index < len(sub_inputs):
            raise _Problem(instance.id, "bad_link", f"a link uses subgraph input {index}, which does not exist")
        name = sub_inputs[index].get("name")
        for slot, inp in enumerate(instance.inputs):
            if inp.get("name") == name and inp.get("link") is not None:
                return self.resolve_input(instance, slot, visited)
        promoted = self.promoted(instance)
        return ("value", promoted[name]) if name in promoted else None

    def promoted(self, instance: _Dto) -> dict:
        """The instance's widget values by subgraph input name (SubgraphNode._applyPromotedWidgetValues)."""
        if instance.id not in self._promoted:
            graph = self.defs[instance.node["type"]]
            found = [w for w in (self._interior_widget(instance, graph, s) for s in graph.definition.get("inputs") or [])
                     if w is not None]
            values = instance.node.get("widgets_values")
            values = values if isinstance(values, list) else []
            # older frontends saved the control_after_generate value too; skip it when there are more values
            controls = len(values) > len(found)
            out, i = {}, 0
            for name, default, control in found:
                out[name] = values[i] if i < len(values) else default
                i += 2 if controls and control else 1
            self._promoted[instance.id] = out
        return self._promoted[instance.id]

    def _interior_widget(self, instance: _Dto, graph: _Graph, sub_input: dict):
        """(name, inner value, has control) when a subgraph input feeds an inner widget, else None."""
        for link_id in sub_input.get("linkIds") or []:
            link = graph.links.get(link_id)
            node = graph.nodes.get(link[2]) if link else None
            inputs = [i for i in (node.get("inputs") or []) if isinstance(i, dict)] if node else []
            if link is None or not 0 <= link[3] < len(inputs) or "widget" not in inputs[link[3]]:
                continue
            widget = (inputs[link[3]].get("widget") or {}).get("name") or inputs[link[3]].get("name")
            if node["type"] in self.defs:  # a nested instance promotes it further
                inner = self.dtos.get(f"{instance.id}:{node['id']}")
                return sub_input.get("name"), self.promoted(inner).get(widget) if inner else None, False
            if not self.schemas.knows(node["type"]):
                return sub_input.get("name"), None, False
            values, _ = widget_values(self.schemas, node["type"], node.get("widgets_values"), inputs)
            spec = self.schemas.spec(node["type"], widget)
            return sub_input.get("name"), values.get(widget), bool(spec and spec.control)
        return None


def _link(link):
    """(id, origin, origin slot, target, target slot, type) from the list or the object form."""
    try:
        if isinstance(link, list) and len(link) >= 5:
            lid, origin, oslot, target, tslot = link[:5]
            kind = link[5] if len(link) > 5 else "*"
        elif isinstance(link, dict):
            lid, origin, oslot = link["id"], link["origin_id"], link["origin_slot"]
            target, tslot, kind = link["target_id"], link["target_slot"], link.get("type", "*")
        else:
            return None
        return lid, str(origin), int(oslot), str(target), int(tslot), kind
    except (KeyError, TypeError, ValueError):
        return None


def _visit(visited: set, key: tuple, dto: _Dto):
    if key in visited:
        raise _Problem(dto.id, "cycle", f"resolving the links of node {dto.id} ({dto.node['type']}) comes back to it")
    visited.add(key)


def _bypass_slot(node: dict, slot: int, type_) -> int:
    """The input a bypassed node passes to output `slot` (ExecutableNodeDTO #getBypassSlotIndex)."""
    inputs = [i for i in node.get("inputs") or [] if isinstance(i, dict)]
    outputs = node.get("outputs") or []
    if not inputs:
        return -1
    if type_ in ("*", "", None):
        return slot if len(inputs) > slot else 0
    out_type = outputs[slot].get("type") if slot < len(outputs) and isinstance(outputs[slot], dict) else None
    if slot < len(inputs) and valid_connection(inputs[slot].get("type"), out_type) \
            and valid_connection(inputs[slot].get("type"), type_):
        return slot
    for i, inp in enumerate(inputs):
        if inp.get("type") == type_:
            return i
    for i, inp in enumerate(inputs):
        if valid_connection(inp.get("type"), out_type) and valid_connection(inp.get("type"), type_):
            return i
    return -1


def valid_connection(a, b) -> bool:
    """LiteGraph.isValidConnection: "*" or empty matches anything; "A,B" matches either; any case."""
    a = 0 if a in ("", "*") else a
    b = 0 if b in ("", "*") else b
    if not a or not b or a == b:
        return True
    a, b = str(a).lower(), str(b).lower()
    if "," not in a and "," not in b:
        return a == b
    return any(valid_connection(x, y) for x in a.split(",") for y in b.split(","))


def _wrap(value):
    # a list is a link in the API format; the backend unwraps {"__value__": [...]}
    return {"__value__": value} if isinstance(value, list) else value


def _prune(output: dict, schemas: NodeSchemas, lost: dict):
    """Inputs from nodes that were not sent go away (the frontend); a node that loses a required one goes too.

    The frontend stops there and ComfyUI refuses such a node; here it is dropped, and whatever
    then loses a required input through it, so a muted branch takes its consumers with it.
    """
    gone = {nid: set(names) for nid, names in lost.items() if nid in output}
    while True:
        dropped = [nid for nid, names in gone.items() if names & schemas.required(output[nid]["class_type"])]
        for nid in dropped:
            del output[nid]
        gone = {}
        for nid, node in output.items():
            names = {n for n, v in node["inputs"].items() if is_link(v) and str(v[0]) not in output}
            for name in names:
                del node["inputs"][name]
            if names:
                gone[nid] = names
        if not dropped:
            break


def _cycles(output: dict) -> list[NodeError]:
    try:
        topological_order(Workflow(output))
    except CycleError as exc:
        around = " -> ".join(exc.path)
        return [NodeError(n, "cycle", f"node {n} depends on itself: {around}") for n in dict.fromkeys(exc.path)]
    return []


def process_dynamic_prompt(text: str) -> str:
    """The frontend's processDynamicPrompt: C-style comments go; ``{a|b}`` keeps its first choice.

    The frontend picks a choice at random on every queue; a converter has to pick one, and the
    first is the one a reader of the template expects.
    """
    text = re.sub(r"/\*[\s\S]*?\*/|//.*", "", text)
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i:i + 2])
            i += 2
        elif c == "{":
            choice, i = _first_choice(text, i + 1)
            out.append(process_dynamic_prompt(choice))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _first_choice(text: str, i: int) -> tuple[str, int]:
    """The first option of the ``{...}`` group opened before `i`, and the index after its ``}``."""
    options, current, depth = [], [], 0
    while i < len(text):
        c = text[i]
        i += 1
        if c == "\\" and i < len(text):
            current.append(c + text[i])
            i += 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            if not depth:
                break
            depth -= 1
        elif c == "|" and not depth:
            options.append("".join(current))
            current = []
            continue
        current.append(c)
    options.append("".join(current))
    return options[0], i
