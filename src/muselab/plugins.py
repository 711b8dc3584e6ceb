"""One registry for everything pluggable, through entry points.

Built-ins are registered in muselab's own pyproject.toml the same way a plugin
package registers its additions, e.g.::

    [project.entry-points."muselab.nodes"]
    MyNode = "my_package.nodes:MyNode"

Groups: muselab.ingest (catalog formats), muselab.nodes (workflow nodes),
muselab.backends (answer composers and LLM backends).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from muselab.errors import MuselabError


@cache
def available(group: str) -> dict[str, EntryPoint]:
    """Names registered in a group, without importing them."""
    return {ep.name: ep for ep in entry_points(group=group)}


def load(group: str, name: str):
    """Import and return one registered object, or say what exists."""
    eps = available(group)
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none"
        kind = group.split(".", 1)[-1].rstrip("s")
        raise MuselabError(f"unknown {kind} {name!r}; available: {known}")
    return eps[name].load()
