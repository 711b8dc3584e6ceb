"""The project's knowledge of model families (data/families.toml), applied to catalog records.

Sources file records by what their format says (a ComfyUI-Manager 'checkpoint'
is filed as text-to-image); the family knowledge says what the models do, so
records are filed by what they do, whichever source they came from.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files

from muselab.catalog.families import find, squash
from muselab.catalog.records import Model


@cache
def family_knowledge() -> tuple[dict, ...]:
    raw = tomllib.loads(files("muselab.catalog").joinpath("data/families.toml").read_text(encoding="utf-8"))
    return tuple(raw.get("family", []))


def knowledge_for(family: str) -> dict | None:
    """The entry whose name the family starts with (the longest such name)."""
    best, best_len = None, 0
    for entry in family_knowledge():
        for name in entry.get("match", []):
            if family and find(name, family) == 0 and len(squash(name)) > best_len:
                best, best_len = entry, len(squash(name))
    return best


def apply_knowledge(m: Model) -> Model:
    entry = knowledge_for(m.family or m.display_name or "")
    if entry is None:
        return m
    update = {k: entry[k] for k in ("task", "architecture") if entry.get(k)}
    if entry.get("capabilities"):
        update["capabilities"] = sorted(set(m.capabilities) | set(entry["capabilities"]) - {entry.get("task", m.task)})
    return m.model_copy(update=update) if update else m
