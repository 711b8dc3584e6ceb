"""The node registry: node classes by name, from the 'muselab.nodes' entry-point group.

Built-in nodes are registered in muselab's pyproject.toml exactly as a plugin
package registers its own.
"""

from __future__ import annotations

from functools import cache


@cache
def node_registry() -> dict:
    from muselab.plugins import available

    out = {}
    for name, ep in sorted(available("muselab.nodes").items()):
        cls = ep.load()
        out[cls.NAME or name] = cls
    return out
