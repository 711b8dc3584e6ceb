"""Node schemas read from ComfyUI's own node documentation (the ``comfyui-embedded-docs`` package).

``docs/<ClassName>/en.md`` documents a node class with an "Inputs" table (parameter,
description, data type, required, range or options, sometimes a default column) and an
"Outputs" table. :func:`parse_doc` reads the tables into :class:`Row` s in table order, with
the condition a row is shown under: a sub-section ("### PNG Inputs", "These options appear
when `format` is set to "png"") or its own description ("Required when `resize_type` is
`SCALE_BY`"). :func:`doc_entry` turns the rows into an ``/object_info``-shaped entry: a
DynamicCombo (``COMFY_DYNAMICCOMBO_V3``) holds its conditional rows per option, a growable
group (``COMFY_AUTOGROW_V3``) its member type.

The pages are AI-written, so they are trusted less than a schema: the caller checks them
against the template's own data. Only ``en.md`` is read, one class at a time, on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "comfyui_embedded_docs"
DYNAMIC, GROW = "COMFY_DYNAMICCOMBO_V3", "COMFY_AUTOGROW_V3"
# inputs ComfyUI fills in itself; they are never in a workflow
HIDDEN = frozenset({"PROMPT", "EXTRA_PNGINFO", "UNIQUE_ID", "DYNPROMPT", "AUTH_TOKEN_COMFY_ORG", "API_KEY_COMFY_ORG"})
ALIASES = {"COMBO[STRING]": "COMBO", "UI OPTION": "COMBO", "DROPDOWN": "COMBO", "OPTION": "COMBO", "ENUM": "COMBO",
           "FILE SELECTION": "COMBO", "DYNAMIC_COMBO": DYNAMIC, "DYNAMICCOMBO": DYNAMIC, "AUTOGROW": GROW,
           "DYNAMIC_GROUP": GROW, "BOOL": "BOOLEAN", "ANY": "*", "ANY TYPE": "*", "MATCH_TYPE": "*", "": "*"}
_SEP = re.compile(r"^\|[\s:|-]+\|?\s*$")
_NAME = re.compile(r"^[A-Za-z_][\w.\-]*$")
_QUOTED = re.compile(r'\s*(?:,|\bor\b|\band\b|/)?\s*(?:`"?([^`"]+?)"?`|"([^"]+)")')
_WHEN = re.compile(r'when\s+`([A-Za-z_][\w.]*)`\s+(?:is\s+)?(?:set\s+to\s+|is\s+|=\s*)?', re.I)
_SELECTED = re.compile(r'when\s+"([^"]+)"\s+is\s+selected\s+as\s+the\s+`?([A-Za-z_]\w*)`?', re.I)
_ROW_WHEN = re.compile(r"(?:required|available|used|shown|visible|appears?|only)\s+when\s+`", re.I)
_RANGE = re.compile(r"(-?\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?)\s*(?:to|-|~|–|—|\.\.)\s*(-?\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?)")
_MINMAX = re.compile(r"min:\s*(-?[\d.e+]+)\s*,\s*max:\s*(-?[\d.e+]+)", re.I)
_DEFAULT = re.compile(r'\(default:\s*([^)]*)\)|\bdefault(?: value)?(?: is|:)\s*("[^"]*"|`[^`]*`|-?\d+(?:\.\d+)?|\w+)', re.I)
_EMPTY = frozenset({"empty", "an empty string", "empty string", "(empty)", "''", '""'})


@dataclass
class Row:
    """One documented input, in table order."""

    name: str
    type: str  # "INT", "COMBO", "IMAGE,MASK", DYNAMIC, GROW, "*"
    required: bool = True
    options: tuple = ()  # COMBO / DynamicCombo choices as the page writes them
    minimum: float | None = None
    maximum: float | None = None
    default: object = None
    when: tuple | None = None  # (parent name, option keys or None for every option)
    member: str = "*"  # a growable group's member type
    control: bool = False  # the page lists a control_after_generate right after it
    section: bool = False  # its condition is a sub-section's (a DynamicCombo's option), not its own words
    dynamic_prompts: bool = False


@dataclass
class Doc:
    title: str
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)  # [(name, type)]


def docs_dir() -> Path | None:
    """The installed ``comfyui_embedded_docs`` pages, if that package is there."""
    import importlib.util

    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "docs"
    return folder if folder.is_dir() else None


class Docs:
    """The documented classes of a docs folder; a page is read and parsed when first asked for."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._names: frozenset | None = None
        self._parsed: dict[str, Doc | None] = {}

    def classes(self) -> frozenset:
        if self._names is None:
            folders = self.folder.iterdir() if self.folder is not None else ()
            self._names = frozenset(p.name for p in folders if (p / "en.md").is_file())
        return self._names

    def doc(self, cls: str) -> Doc | None:
        if cls not in self._parsed:
            doc = None
            if cls in self.classes():
                doc = parse_doc((self.folder / cls / "en.md").read_text(encoding="utf-8"))
                doc = doc if doc.inputs or doc.outputs else None
            self._parsed[cls] = doc
        return self._parsed[cls]


# --- the page --------------------------------------------------------------------------------------

def parse_doc(text: str) -> Doc:
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "")
    doc = Doc(title)
    inputs = _section(text, ("input", "inputs", "input parameters", "input types"))
    doc.inputs = _input_rows(inputs)
    for cells in _tables(_section(text, ("output", "outputs", "output types"))):
        found = re.search(r"`([^`]+)`", cells.get("name", ""))
        name = (found.group(1) if found else cells.get("name", "")).strip().strip("*").strip()
        if name:
            doc.outputs.append((name, _kind(cells.get("type", ""))[0] if cells.get("type") else "*"))
    return doc


def _section(text: str, headings: tuple) -> list[str]:
    """The lines under a "## <heading>" up to the next "## " heading."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line[3:].strip().lower().rstrip(":") in headings
            continue
        if inside:
            out.append(line)
    return out


def _tables(lines: list[str], context: list | None = None):
    """Each table row as {column role: cell}; `context` collects (heading, text) above each table."""
    header, heading, text = None, "", []
    for i, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            header = None
            if line.startswith("#"):
                heading, text = line.lstrip("#").strip(), []
            elif line.strip():
                text.append(line.strip())
            continue
        if header is None:
            if i + 1 < len(lines) and _SEP.match(lines[i + 1]):
                header = [_role(h) for h in _cells(line)]
                if context is not None:
                    context.append((heading, " ".join(text)))
                text = []
            continue
        if not _SEP.match(line):
            yield dict(zip(header, _cells(line)))


def _cells(line: str) -> list[str]:
    line = line.strip().replace("\\|", "\x00")
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") else line
    return [c.replace("\x00", "|").strip() for c in line.split("|")]


def _role(header: str) -> str:
    h = header.lower().strip()
    if h in ("data type", "comfy dtype", "comfy type", "type", "required", "input type"):
        return "type" if "type" in h and h != "input type" else "required"
    for role, words in (("default", ("default",)), ("range", ("range", "options")),
                        ("description", ("description", "function")), ("name", ("parameter", "field"))):
        if any(w in h for w in words):
            return role
    return "name" if h in ("name", "input", "output name", "output") else h


def _name(cell: str) -> str | None:
    found = re.search(r"`([^`]+)`", cell)
    name = (found.group(1) if found else cell).strip().strip("*").strip()
    return name if _NAME.match(name) else None


def _kind(raw: str) -> tuple[str, bool]:
    """(type, growable) of a Data Type cell: "IMAGE or MASK" -> "IMAGE,MASK", "IMAGE (autogrow)" -> grows."""
    text = raw.replace("`", "").replace("<br>", ",")
    grow = "autogrow" in text.lower()
    text = re.sub(r"\([^)]*\)", "", text)
    parts = []
    for part in re.split(r"\s*(?:,|/|\bor\b)\s*", text.strip()):
        key = part.strip().upper()
        kind = ALIASES.get(key, key)
        if kind == GROW:
            grow, kind = True, "*"
        if kind and kind not in parts:
            parts.append(kind)
    if not parts or "*" in parts:
        return "*", grow
    return ",".join(parts), grow


def _input_rows(lines: list[str]) -> list[Row]:
    context: list[str] = []
    rows: list[Row] = []
    for cells in _tables(lines, context):
        row = _row(cells)
        if row is None:
            continue
        if row.name == "control_after_generate":  # the frontend's widget after a seed
            ints = [r for r in rows if r.type == "INT"]
            seeds = [r for r in ints if "seed" in r.name.lower()]
            if seeds or ints:
                (seeds or ints)[-1].control = True
            continue
        row.when = _row_condition(cells, rows)
        if row.when is None:
            row.when = _section_condition(*context[-1], rows)
            row.section = row.when is not None
        head = row.name.split(".", 1)[0]
        if row.when is None and "." in row.name and any(r.name == head and r.options for r in rows):
            row.when, row.section = (head, None), True  # "model.resolution" under no option's heading: all
        if row.when and row.name.startswith(row.when[0] + "."):  # a page that writes "model.size"
            row.name = row.name[len(row.when[0]) + 1:]
        rows.append(row)
    return rows


def _row(cells: dict) -> Row | None:
    name = _name(cells.get("name", ""))
    kind, grow = _kind(cells.get("type", ""))
    if name is None or kind in HIDDEN:
        return None
    desc = cells.get("description", "")
    if re.search(r"\bgrowable\b|\bautogrow", desc, re.I) and kind != DYNAMIC:
        grow = True
    required = cells.get("required", "yes").strip().lower().startswith(("yes", "required"))
    row = Row(name, GROW if grow else kind, required, member=kind if grow else "*",
              dynamic_prompts=kind == "STRING" and "dynamic prompt" in desc.lower())
    cell = cells.get("range", "")
    if kind in ("COMBO", DYNAMIC):
        row.options = _quoted(re.sub(r"\(default:[^)]*\)", "", cell))
    elif kind in ("INT", "FLOAT"):
        found = _MINMAX.search(cell) or _RANGE.search(cell)
        if found:
            row.minimum, row.maximum = _number(found.group(1)), _number(found.group(2))
    row.default = _default(kind, cells.get("default"), desc, cell)
    return row


def _quoted(text: str) -> tuple:
    """The quoted or back-ticked values at the start of `text`, joined by <br>, commas or "or"."""
    out, pos = [], 0
    text = text.replace("<br>", ", ")
    while True:
        found = _QUOTED.match(text, pos)
        if not found:
            return tuple(out)
        out.append((found.group(1) or found.group(2)).strip())
        pos = found.end()


def _number(text: str):
    text = text.replace("_", "").replace(",", "")
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return None


def _default(kind: str, column, desc: str, cell: str):
    raw = column
    if raw is None:
        found = _DEFAULT.search(desc) or _DEFAULT.search(cell)
        raw = (found.group(1) or found.group(2)) if found else None
    if raw is None:
        return None
    raw = raw.strip().strip("`").strip('"').strip("'")
    if kind in ("INT", "FLOAT"):
        value = _number(raw.split()[0]) if raw.split() else None
        return float(value) if kind == "FLOAT" and isinstance(value, int) else value
    if kind == "BOOLEAN":
        return {"true": True, "false": False}.get(raw.lower())
    if kind == "STRING" and raw.lower() in _EMPTY:
        return ""
    return raw if kind in ("STRING", "COMBO", DYNAMIC) and raw.lower() not in ("none", "-", "n/a") else None


def _row_condition(cells: dict, rows: list[Row]) -> tuple | None:
    """A row shown only for some options of an earlier combo ("Required when `p` is `X`")."""
    for text in (cells.get("required", ""), cells.get("description", "")):
        found = _ROW_WHEN.search(text)
        if not found:
            continue
        cond = _condition(text[found.start():])
        if cond and any(r.name == cond[0] and r.type in ("COMBO", DYNAMIC) for r in rows):
            return cond
    return None


def _section_condition(heading: str, text: str, rows: list[Row]) -> tuple | None:
    """The condition of a sub-section: its text says when it shows, or its heading names an option."""
    cond = _condition(heading) or _condition(text)
    if cond and any(r.name == cond[0] for r in rows):
        return cond
    named = re.search(r"\(([^)]+)\)\s*$", heading)  # "Seedream 4.5 Inputs (seedream-4-5-251128)"
    stem = named.group(1) if named else re.sub(r"\s+(?:mode\s+)?(?:inputs?|options|parameters|settings)\b.*$", "", heading, flags=re.I)
    parts = [_norm(p) for p in re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*/\s*", stem) if p.strip()]
    for parent in reversed([r for r in rows if r.type == DYNAMIC or (r.options and r.when is None)]):
        keys = tuple(o for o in parent.options if _norm(o) in parts)
        if parts and len(keys) == len(parts):
            return parent.name, keys
        if parent.type == DYNAMIC and re.search(r"\b(every|all)\b[^.]*\boptions?\b", text, re.I):
            return parent.name, None
    return None


def _condition(text: str) -> tuple | None:
    found = _SELECTED.search(text)
    if found:
        return found.group(2), (found.group(1),)
    found = _WHEN.search(text)
    if not found:
        return None
    keys = _quoted(text[found.end():])
    return (found.group(1), keys) if keys else None


def _norm(text) -> str:
    return re.sub(r"[\s_\-]+", " ", str(text).strip().strip('"`').lower())


# --- the /object_info entry ------------------------------------------------------------------------

def doc_entry(cls: str, doc: Doc, dotted=frozenset(), sockets=frozenset()) -> dict:
    """An ``/object_info``-shaped entry from a page's rows.

    A row shown only for some options of a combo goes inside that combo's DynamicCombo
    option when the combo is one: the page says DYNAMIC_COMBO, the rows are a sub-section
    of their own, or a template names its inputs "<combo>.<input>" (`dotted`); a non-combo
    input a template names "<input>.<member>" grows. Inputs a template shows as plain
    sockets (`sockets`) are not widgets, whatever the page's type.
    """
    rows = doc.inputs
    combos = {r.name for r in rows if r.type in ("COMBO", DYNAMIC)}
    dynamic = {r.name for r in rows if r.type == DYNAMIC} | (combos & set(dotted))
    dynamic |= combos & {r.when[0] for r in rows if r.when and r.section}
    ctx = _Ctx(rows, dynamic, set(dotted) - combos, set(sockets))
    top = [r for r in rows if r.when is None or r.when[0] not in dynamic]
    inputs, order = _inputs(top, ctx, 0)
    return {"input": inputs, "input_order": order, "_order": list(dict.fromkeys(r.name for r in top)),
            "output": [t for _, t in doc.outputs], "output_name": [n for n, _ in doc.outputs], "name": cls,
            "display_name": doc.title or cls, "output_node": not doc.outputs or cls.startswith(("Save", "Preview")),
            "_docs": True}


@dataclass
class _Ctx:
    rows: list
    dynamic: set  # combos that are DynamicCombos
    grows: set  # other inputs that are growable groups
    sockets: set


def _inputs(chosen: list, ctx: _Ctx, depth: int) -> tuple[dict, dict]:
    inputs, order = {"required": {}, "optional": {}}, {"required": [], "optional": []}
    for row in chosen:
        section = "required" if row.required else "optional"
        if row.name in inputs["required"] or row.name in inputs["optional"]:
            continue  # a page that lists an input twice
        inputs[section][row.name] = _input(row, ctx, depth)
        order[section].append(row.name)
    return inputs, order


def _input(row: Row, ctx: _Ctx, depth: int) -> list:
    opts: dict = {"default": row.default} if row.default is not None else {}
    if row.minimum is not None:
        opts["min"], opts["max"] = row.minimum, row.maximum
    if row.control:
        opts["control_after_generate"] = True
    if row.dynamic_prompts:
        opts["multiline"] = opts["dynamicPrompts"] = True
    if row.name in ctx.sockets:
        opts["forceInput"] = True
    if row.type == GROW or row.name in ctx.grows:
        member = row.member if row.type == GROW else row.type
        return [GROW, {"template": {"input": {"required": {"value": [member]}}}}]
    if row.name in ctx.dynamic and depth < 4:
        return [DYNAMIC, {**opts, "options": _options(row, ctx, depth)}]
    if row.type in ("COMBO", DYNAMIC) and row.options:
        opts["options"] = list(row.options)
    return ["COMBO" if row.type == DYNAMIC else row.type, opts]


def _options(parent: Row, ctx: _Ctx, depth: int) -> list:
    """One {"key", "inputs"} per option; a row listed for several options goes into each."""
    keys = list(parent.options)
    mine = [r for r in ctx.rows if r.when and r.when[0] == parent.name and r is not parent]
    for row in mine:
        keys += [k for k in row.when[1] or () if _norm(k) not in {_norm(x) for x in keys}]
    out = []
    for key in keys:
        chosen = [r for r in mine if r.when[1] is None or _norm(key) in {_norm(k) for k in r.when[1]}]
        inputs, order = _inputs(chosen, ctx, depth + 1)
        out.append({"key": key, "inputs": inputs, "input_order": order,
                    "_order": list(dict.fromkeys(r.name for r in chosen))})
    return out
