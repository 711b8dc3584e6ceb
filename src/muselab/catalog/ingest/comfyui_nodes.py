"""`muselab ingest comfyui-nodes`: ComfyUI's custom node packs, the tools of the field.

Reads ComfyUI-Manager's `custom-node-list.json` (about 3,600 packs with their
descriptions and repositories), `extension-node-map.json` (node class ->
pack) and, when beside them, `github-stats.json` (stars), from the PyPI
package `comfyui-manager` or from a copy of those files at PATH. The three
files are one catalog: they land together in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from muselab.catalog.ingest import Records
from muselab.catalog.ingest.comfyui_templates import installed
from muselab.catalog.ingest.jsonfile import array_items, load_json
from muselab.catalog.records import NodePack
from muselab.errors import BadInput, IngestError
from muselab.text import clean_description, norm_url, slug

LIST, MAP, STATS = "custom-node-list.json", "extension-node-map.json", "github-stats.json"


class NodesAdapter:
    name = "comfyui-nodes"
    description = "ComfyUI-Manager's custom node packs (PyPI comfyui-manager, or a copy of its JSON files)"
    suffixes = (LIST,)

    def default_path(self) -> Path:
        found = installed("comfyui_manager")
        if found is None:
            raise BadInput("the node packs come from the PyPI package comfyui-manager: run scripts/setup "
                           "(or pip install --no-deps comfyui-manager), or give a PATH")
        return found

    def files(self, path: Path) -> list[Path]:
        listing = path if path.is_file() else path / LIST
        if not listing.is_file():
            raise BadInput(f"no {LIST} in {path}")
        return [listing]

    def read(self, path: Path, progress: bool) -> Records:
        data, text = load_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("custom_nodes"), list):
            raise IngestError(path, 1, "expected {\"custom_nodes\": [...]} as ComfyUI-Manager writes it")
        classes = _node_map(path.parent / MAP)
        stars = _stars(path.parent / STATS)
        packs, seen = [], set()
        for line, entry in array_items(path, text, key="custom_nodes"):
            if not isinstance(entry, dict) or not entry.get("title") or not entry.get("reference"):
                raise IngestError(path, line, "each node pack needs a title and a reference")
            pack = pack_from(entry, classes, stars)
            if pack.id not in seen:
                seen.add(pack.id)
                packs.append(pack)
        return Records(node_packs=packs)


def pack_from(entry: dict, classes: dict[str, list[str]], stars: dict[str, int]) -> NodePack:
    ref = entry["reference"]
    key = norm_url(ref)
    files = [norm_url(f) for f in entry.get("files") or []]
    found = next((classes[k] for k in [key, *files] if k in classes), [])
    return NodePack(
        id=str(entry.get("id") or slug(entry["title"]).lower()), title=entry["title"], author=entry.get("author", ""),
        description=clean_description(entry.get("description"), 500), url=ref if ref.startswith("http") else None,
        stars=stars.get(key), node_types=sorted(set(found)), source="comfyui-nodes")


def _node_map(path: Path) -> dict[str, list[str]]:
    """repository (normalised) -> the node classes it provides."""
    if not path.is_file():
        return {}
    data, _ = load_json(path)
    if not isinstance(data, dict):
        raise IngestError(path, 1, "expected {repository: [[node classes], {...}]}")
    return {norm_url(repo): [c for c in v[0] if isinstance(c, str)] for repo, v in data.items()
            if isinstance(v, list) and v and isinstance(v[0], list)}


def _stars(path: Path) -> dict[str, int]:
    if not path.is_file():
        return {}
    data, _ = load_json(path)
    return {norm_url(repo): int(v.get("stars") or 0) for repo, v in (data or {}).items() if isinstance(v, dict)}


ingest = NodesAdapter()
