"""Validate a ComfyUI API prompt against node schemas, the checks ComfyUI's ``validate_prompt`` makes.

Per node: the class exists (in a schema, its documentation, or as the templates use
it), its required inputs are there, a COMBO value is one of its choices, an INT or
FLOAT is a number within its min and max, and a link comes from an existing node's
existing output of a matching type. Model-file choices are empty in the schema file
(no model files were installed where it was made), so an empty or file-like list of
choices takes any file name. A class read from its documentation (AI-written) is
checked for its inputs, links and the kinds of its values, not for its documented
choices and ranges; a type mismatch that rests on a documented type says so. A class
known only from template usage is checked as far as the templates show it: its links,
the kinds of its values and the sockets they always connect.
"""

from __future__ import annotations

from muselab.workflow.graph import CycleError, NodeError, Workflow, is_link, topological_order
from muselab.workflow.schemas import InputSpec, NodeSchemas


def validate_api(graph: dict, schemas: NodeSchemas | None = None) -> list[NodeError]:
    """Every problem of an API prompt, per node; [] when ComfyUI would accept it."""
    schemas = schemas or NodeSchemas.load()
    if not isinstance(graph, dict) or not graph:
        return [NodeError("-", "bad_format", "an API prompt is a non-empty JSON object of nodes")]
    errors: list[NodeError] = []
    for nid, node in graph.items():
        errors += _check_node(str(nid), node, graph, schemas)
    if not errors:
        errors += _cycles(graph)
    nodes = [n for n in graph.values() if isinstance(n, dict)]
    if not any(schemas.is_output(n.get("class_type", "")) for n in nodes):
        errors.append(NodeError("-", "no_output", "no output node (e.g. SaveImage): ComfyUI would run nothing"))
    return errors


def _check_node(nid: str, node, graph: dict, schemas: NodeSchemas) -> list[NodeError]:
    if not isinstance(node, dict) or not isinstance(node.get("class_type"), str) \
            or not isinstance(node.get("inputs", {}), dict):
        return [NodeError(nid, "bad_format", 'a node is {"class_type": ..., "inputs": {...}}')]
    cls = node["class_type"]
    if not schemas.knows(cls):
        return [NodeError(nid, "unknown_class", f"no node class {cls!r} in the schemas, the docs or any template")]
    specs = schemas.inputs(cls)
    inputs = node.get("inputs") or {}
    source = schemas.source(cls)
    errors = []
    for name in sorted(schemas.required(cls) - set(inputs)):
        if source != "docs" or specs[name].widget or specs[name].type in schemas.link_types():
            errors.append(NodeError(nid, "missing_input", f"{cls} needs {name!r} ({specs[name].type})"))
    for name, value in inputs.items():
        spec = schemas.spec(cls, name)
        if spec is None:
            if source != "usage":  # a usage entry lists only the inputs the templates happened to show
                errors.append(NodeError(nid, "unknown_input", f"{cls} has no input {name!r}"
                                        + (" in its documentation" if source == "docs" else "")))
            continue
        if is_link(value):
            errors += _check_link(nid, name, spec, value, graph, schemas)
        else:
            problem = _check_literal(spec, value, source in ("schema", "extra"))
            if problem:
                errors.append(NodeError(nid, problem[0], f"input {name!r} {problem[1]}"))
    return errors


def _check_link(nid: str, name: str, spec: InputSpec, value, graph: dict, schemas: NodeSchemas) -> list[NodeError]:
    src_id, index = str(value[0]), value[1]
    src = graph.get(src_id)
    if not isinstance(src, dict):
        return [NodeError(nid, "bad_link", f"input {name!r} links to node {src_id}, which does not exist")]
    if not schemas.knows(src.get("class_type", "")):
        return []  # that node's own unknown_class error says enough
    outputs = schemas.outputs(src["class_type"])
    if not 0 <= index < len(outputs):
        return [NodeError(nid, "bad_link", f"input {name!r} links to output {index} of node {src_id} "
                                           f"({src['class_type']}), which has {len(outputs)} output(s)")]
    if not types_match(outputs[index], spec.type):
        docs = "docs" in (schemas.source(src["class_type"]), schemas.source(graph[nid]["class_type"]))
        return [NodeError(nid, "type_mismatch", f"input {name!r} takes {spec.type} but node {src_id} "
                                                f"output {index} is {outputs[index]}"
                                                + (" (a type read from the documentation)" if docs else ""))]
    return []


def types_match(received, expected: str) -> bool:
    """ComfyUI's validate_node_input: equal, "*" on either side, or "A,B" sharing a type with the other.

    A COMBO output is a list of choices in ``/object_info`` (or "COMBO"); it feeds a COMBO input.
    """
    if isinstance(received, list):
        received = "COMBO"
    if received == expected or "*" in (received, expected):
        return True
    if not isinstance(received, str) or not isinstance(expected, str):
        return False
    got = {t.strip() for t in received.split(",")}
    want = {t.strip() for t in expected.split(",")}
    return bool(got & want) or "*" in got | want


def _check_literal(spec: InputSpec, value, trusted: bool) -> tuple[str, str] | None:
    """(kind, message) when ComfyUI would refuse the value, else None.

    Like ComfyUI, an INT or FLOAT is whatever int() or float() takes, and a STRING or BOOLEAN
    takes anything (it is converted). Only a schema's choices, ranges and socket types are
    held against a value: a page of the docs (AI-written) or template usage only checks kinds.
    """
    if isinstance(value, dict) and "__value__" in value:
        return None  # a list value, unwrapped by the backend
    if spec.type in ("INT", "FLOAT"):
        return _check_number(spec, value, trusted)
    if spec.type == "COMBO" and trusted and not spec.takes(value):
        choices = ", ".join(map(str, spec.options[:8])) + (", ..." if len(spec.options) > 8 else "")
        return "out_of_range", f"value {value!r} is not one of its choices ({choices})"
    if not spec.widget and trusted and value is not None and spec.type not in ("STRING", "BOOLEAN", "COMBO"):
        return "type_mismatch", f"takes a link ({spec.type}), got the literal {str(value)[:40]!r}"
    return None


def _check_number(spec: InputSpec, value, trusted: bool = True) -> tuple[str, str] | None:
    try:
        number = int(value) if spec.type == "INT" else float(value)
    except (TypeError, ValueError, OverflowError):
        return "type_mismatch", f"takes {spec.type}, got {str(value)[:40]!r}"
    if not trusted:
        return None
    if spec.minimum is not None and number < spec.minimum:
        return "out_of_range", f"value {number} is below its minimum {spec.minimum}"
    if spec.maximum is not None and number > spec.maximum:
        return "out_of_range", f"value {number} is above its maximum {spec.maximum}"
    return None


def _cycles(graph: dict) -> list[NodeError]:
    try:
        topological_order(Workflow({str(k): v for k, v in graph.items()}))
    except CycleError as exc:
        return [NodeError(n, "cycle", f"node {n} depends on itself: {' -> '.join(exc.path)}")
                for n in dict.fromkeys(exc.path)]
    return []
