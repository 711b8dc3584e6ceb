"""The workflow format and its validation.

A workflow is JSON in the shape of ComfyUI's API format,
``{node_id: {"class_type": ..., "inputs": {name: literal | [source_node_id, output_index]}}}``,
plus an optional ``"meta"`` block (title, question, the catalog models it uses,
its named inputs). A literal such as ``"$content"`` is a named input that
``muselab run --input content=photo.png`` fills in.

Validation looks at the whole graph before anything runs and reports every
problem at once, each with its node id, a kind and a message.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from muselab.errors import BadInput, MuselabError
from muselab.nodes.base import COMPATIBLE, LINK_ONLY, is_placeholder

KINDS = ("bad_format", "unknown_class", "missing_input", "unknown_input", "bad_link", "type_mismatch",
         "out_of_range", "cycle", "no_output", "invalid_node")


@dataclass
class NodeError:
    node: str
    kind: str
    message: str

    def line(self) -> str:
        return f"node {self.node}: {self.kind}: {self.message}"


class WorkflowInvalid(MuselabError):
    exit_code = 2

    def __init__(self, errors: list[NodeError]):
        self.errors = errors
        super().__init__(f"the workflow is not valid ({len(errors)} problem{'s' if len(errors) > 1 else ''}); "
                         "nothing ran", details=[e.line() for e in errors])

    def to_dict(self) -> dict:
        return {"ok": False, "errors": [asdict(e) for e in self.errors]}


@dataclass
class Workflow:
    nodes: dict[str, dict]
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        out = dict(self.nodes)
        if self.meta:
            out["meta"] = self.meta
        return out

    def placeholders(self) -> dict[str, list[tuple[str, str]]]:
        """input name -> the (node, input) places it fills."""
        found: dict[str, list[tuple[str, str]]] = {}
        for nid, node in self.nodes.items():
            for name, value in node.get("inputs", {}).items():
                if is_placeholder(value):
                    found.setdefault(value[1:], []).append((nid, name))
        return found

    def fill(self, values: dict[str, str]) -> "Workflow":
        """A copy with named inputs replaced by the given values; a name the workflow lacks is refused."""
        known = self.placeholders()
        for name in values:
            if name not in known:
                raise BadInput(f"the workflow has no input {name!r}; its inputs: {', '.join(sorted(known)) or 'none'}")
        nodes = json.loads(json.dumps(self.nodes))
        for nid, node in nodes.items():
            for name, value in node.get("inputs", {}).items():
                if is_placeholder(value) and value[1:] in values:
                    node["inputs"][name] = values[value[1:]]
        return Workflow(nodes, self.meta)

    def override(self, overrides: dict[str, object]) -> "Workflow":
        """A copy with node inputs set: {"NODE.INPUT": value}, e.g. {"2.scale": 4}."""
        nodes = json.loads(json.dumps(self.nodes))
        for target, value in overrides.items():
            node_id, dot, port = str(target).partition(".")
            if not dot or not node_id or not port:
                raise BadInput(f"an override is NODE.INPUT=VALUE, got {target!r}")
            if node_id not in nodes:
                raise BadInput(f"override {target}: the workflow has no node {node_id!r}")
            nodes[node_id].setdefault("inputs", {})[port] = value
        return Workflow(nodes, self.meta)


def is_link(value) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, int)) and isinstance(value[1], int)


def load_workflow(path: str | Path) -> Workflow:
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"workflow file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BadInput(f"workflow file {path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"workflow file {path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return parse(data)


def parse(data) -> Workflow:
    if not isinstance(data, dict):
        raise WorkflowInvalid([NodeError("-", "bad_format", "a workflow is a JSON object of nodes")])
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    nodes = {str(k): v for k, v in data.items() if k != "meta"}
    return Workflow(nodes, meta)


def validate(wf: Workflow, registry: dict) -> list[NodeError]:
    """Every problem of the graph, without running anything. `registry` maps class names to Node classes."""
    errors: list[NodeError] = []
    if not wf.nodes:
        return [NodeError("-", "no_output", "the workflow has no nodes")]
    for nid, node in wf.nodes.items():
        errors += _check_node(nid, node, wf, registry)
    errors += _check_cycles(wf)
    if not any(registry.get(n.get("class_type")) and registry[n["class_type"]].OUTPUT_NODE
               for n in wf.nodes.values() if isinstance(n, dict)):
        errors.append(NodeError("-", "no_output", "no output node (e.g. SaveImage): running it would produce nothing"))
    return errors


def _check_node(nid: str, node, wf: Workflow, registry: dict) -> list[NodeError]:
    if not isinstance(node, dict) or not isinstance(node.get("inputs", {}), dict) or "class_type" not in node:
        return [NodeError(nid, "bad_format", 'a node is {"class_type": ..., "inputs": {...}}')]
    cls = registry.get(node["class_type"])
    if cls is None:
        known = ", ".join(sorted(registry))
        return [NodeError(nid, "unknown_class", f"no node class {node['class_type']!r}; known: {known}")]
    errors = []
    inputs = node.get("inputs", {})
    literals, links = {}, {}
    for name in inputs:
        if name not in cls.INPUTS:
            errors.append(NodeError(nid, "unknown_input", f"{cls.NAME} has no input {name!r}; "
                                                          f"its inputs: {', '.join(cls.INPUTS)}"))
    for name, port in cls.INPUTS.items():
        if name not in inputs:
            if port.required:
                errors.append(NodeError(nid, "missing_input", f"{cls.NAME} needs {name!r} ({port.type})"))
            continue
        value = inputs[name]
        if is_link(value):
            links[name] = value
            errors += _check_link(nid, name, port, value, wf, registry)
        else:
            literals[name] = value
            if port.type in LINK_ONLY and value is None and not port.required:
                continue
            problem = None if is_placeholder(value) and port.type not in LINK_ONLY else port.check_literal(value)
            if problem:
                errors.append(NodeError(nid, "out_of_range" if "minimum" in problem or "maximum" in problem
                                        or "choose" in problem else "type_mismatch", f"input {name!r} {problem}"))
    check = getattr(cls, "check", None)
    if check and not errors:
        errors += [NodeError(nid, "invalid_node", msg) for msg in check(literals, links)]
    return errors


def _check_link(nid, name, port, value, wf: Workflow, registry) -> list[NodeError]:
    src_id, index = str(value[0]), value[1]
    src = wf.nodes.get(src_id)
    if not isinstance(src, dict):
        return [NodeError(nid, "bad_link", f"input {name!r} links to node {src_id!r}, which does not exist")]
    if src.get("class_type") not in registry:
        return []  # that node's own unknown_class error says enough
    outputs = registry[src["class_type"]].OUTPUTS
    if not 0 <= index < len(outputs):
        return [NodeError(nid, "bad_link", f"input {name!r} links to output {index} of node {src_id}, "
                                           f"which has {len(outputs)} output(s)")]
    out_type = outputs[index][0]
    if out_type != port.type and (out_type, port.type) not in COMPATIBLE:
        return [NodeError(nid, "type_mismatch", f"input {name!r} takes {port.type} but node {src_id} output {index} "
                                                f"is {out_type}")]
    return []


def _check_cycles(wf: Workflow) -> list[NodeError]:
    try:
        topological_order(wf)
    except CycleError as exc:
        return [NodeError(n, "cycle", f"node {n} depends on itself through {' -> '.join(exc.path)}") for n in exc.path[:1]]
    return []


class CycleError(Exception):
    def __init__(self, path: list[str]):
        self.path = path


def dependencies(node: dict) -> list[str]:
    return [str(v[0]) for v in (node.get("inputs") or {}).values() if is_link(v)] if isinstance(node, dict) else []


def topological_order(wf: Workflow) -> list[str]:
    order, state = [], {}

    def visit(n: str, path: list[str]):
        if state.get(n) == "done" or n not in wf.nodes:
            return
        if state.get(n) == "visiting":
            raise CycleError(path[path.index(n):] + [n])
        state[n] = "visiting"
        for dep in dependencies(wf.nodes[n]):
            visit(dep, path + [n])
        state[n] = "done"
        order.append(n)

    for n in sorted(wf.nodes, key=_node_sort_key):
        visit(n, [])
    return order


def _node_sort_key(n: str):
    return (0, int(n)) if n.isdigit() else (1, n)
