"""The node schemas of ComfyUI's core nodes: the `/object_info` answer of a real ComfyUI 0.3.64.

Shipped with the package (catalog/data/object_info_0.3.64.json.gz): node types
with their required and optional inputs (types, defaults, ranges, enum values)
and outputs. The catalog uses it to tell core nodes from custom-pack ones; the
workflow layer converts and validates graphs with it.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib.resources import files

VERSION = "0.3.64"
# nodes that exist only in ComfyUI's front end: they never reach the server
FRONTEND_ONLY = frozenset({"Note", "MarkdownNote", "Reroute", "PrimitiveNode", "GetNode", "SetNode"})


@cache
def core_schemas() -> dict:
    data = files("muselab.catalog").joinpath(f"data/object_info_{VERSION}.json.gz").read_bytes()
    return json.loads(gzip.decompress(data))


def is_core(class_type: str) -> bool:
    return class_type in core_schemas()
