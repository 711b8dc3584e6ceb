"""The stages of a ComfyUI template, in the order they run, for an answer to describe.

Read from the template's UI graph directly (no node schemas: an answer stays fast): each
graph's nodes in the order their links make them run, a subgraph's nodes where its
instance stands, muted and bypassed nodes left out, and so are the helpers that only pass
values along (primitives, switches, reroutes, notes). The inputs and model loaders come
first. A loader shows the file it loads;
a repeated stage is listed once, counted ("KSamplerAdvanced ×2": Wan 2.2's two experts).
"""

from __future__ import annotations

import re

HELPERS = re.compile(r"^(?:Reroute|Note|MarkdownNote|PrimitiveNode|Primitive\w*|ComfySwitchNode|ComfyMathExpression|"
                     r"GetNode|SetNode|StringConcatenate|easy \w+)$")
FILE_VALUE = re.compile(r"\.(?:safetensors|sft|ckpt|pt|pth|bin|gguf|onnx)$", re.I)
SKIPPED_MODES = (2, 4)
MAX_STAGES = 16  # a longer graph is cut, saying how many stages follow


def _links(graph: dict) -> list[tuple]:
    """(origin id, target id) of a graph's links, in either saved form (list or object)."""
    out = []
    for link in graph.get("links") or []:
        if isinstance(link, list) and len(link) >= 5:
            out.append((link[1], link[3]))
        elif isinstance(link, dict):
            out.append((link.get("origin_id"), link.get("target_id")))
    return out


def _ordered(graph: dict) -> list[dict]:
    nodes = {n.get("id"): n for n in graph.get("nodes") or [] if isinstance(n, dict)}
    after: dict = {nid: [] for nid in nodes}
    for origin, target in _links(graph):
        if origin in nodes and target in nodes:
            after[target].append(origin)
    order, seen = [], set()

    def visit(nid, depth=0):
        if nid in seen or depth > 500:
            return
        seen.add(nid)
        for dep in after.get(nid, []):
            visit(dep, depth + 1)
        order.append(nodes[nid])

    for nid in nodes:
        visit(nid)
    return order


def _walk(graph: dict, subgraphs: dict, depth: int = 0) -> list[dict]:
    out = []
    for node in _ordered(graph):
        if node.get("mode") in SKIPPED_MODES:
            continue
        sub = subgraphs.get(node.get("type"))
        if sub is not None and depth < 8:
            out += _walk(sub, subgraphs, depth + 1)
        elif not HELPERS.match(str(node.get("type", ""))):
            out.append(node)
    return out


def _label(node: dict) -> str:
    values = node.get("widgets_values")
    files = [v for v in values if isinstance(v, str) and FILE_VALUE.search(v)] if isinstance(values, list) else []
    kind = str(node.get("type"))
    return f"{kind} ({', '.join(files)})" if files else kind


def _rank(node: dict) -> int:
    """Inputs first, then the model loaders, then the rest as they run (a stable sort keeps that order)."""
    kind = str(node.get("type"))
    return 1 if "Loader" in kind else (0 if kind.startswith("Load") else 2)


def template_stages(graph: dict) -> list[str]:
    """The template's stages in running order, helpers left out, repeats counted."""
    subgraphs = {s.get("id"): s for s in (graph.get("definitions") or {}).get("subgraphs") or [] if isinstance(s, dict)}
    counts: dict[str, int] = {}  # label -> how many times, in the order first seen
    for node in sorted(_walk(graph, subgraphs), key=_rank):
        label = _label(node)
        counts[label] = counts.get(label, 0) + 1
    stages = [label if n == 1 else f"{label} ×{n}" for label, n in counts.items()]
    return stages if len(stages) <= MAX_STAGES else stages[:MAX_STAGES - 1] + [f"… ({len(stages) - MAX_STAGES + 1} more)"]
