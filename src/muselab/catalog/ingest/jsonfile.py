"""Reading JSON catalog files with line numbers for every error."""

from __future__ import annotations

import json
from pathlib import Path

from muselab.errors import IngestError


def load_json(path: Path):
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(path, line_of(path.read_bytes()[: exc.start].decode("utf-8", "replace"), None),
                          "not UTF-8 text") from None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise IngestError(path, exc.lineno, f"invalid JSON ({exc.msg})") from None


def line_of(text: str, offset: int | None) -> int:
    return text.count("\n", 0, offset if offset is not None else len(text)) + 1


def array_items(path: Path, text: str, key: str | None = None):
    """Yield (line, item) for each element of a JSON array (or of data[key])."""
    decoder = json.JSONDecoder()
    start = 0
    if key is not None:
        marker = text.find(f'"{key}"')
        if marker < 0:
            raise IngestError(path, 1, f"no '{key}' list")
        start = marker
    i = text.find("[", start)
    if i < 0:
        raise IngestError(path, line_of(text, start), "expected a JSON list")
    i += 1
    while True:
        while i < len(text) and text[i] in " \t\r\n,":
            i += 1
        if i >= len(text) or text[i] == "]":
            return
        item, end = decoder.raw_decode(text, i)
        yield line_of(text, i), item
        i = end
