"""Repair an LLM's answer so that only the given sources come out, and only the three parts.

0. text outside the three parts goes: a preamble before the first part, sections
   under other headings, and repetition loops (a line said again, or a line
   that repeats one phrase over and over);
1. citation keys ([M1], [P2]) become the sources they stand for; unknown keys go;
2. links outside the given sources are removed (a markdown link keeps its text);
3. arXiv ids outside the given papers are removed;
4. model names outside the given ones are replaced by a neutral phrase;
5. a missing part (task, workflow with its arrows, papers and tools) is filled
   from the offline composer, and recommended models the text never names are
   listed;
6. the result is verified again; if anything is still wrong the offline answer
   is used instead.
The report says what was done, in counts: the removed text itself never
comes out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from muselab.context import Context
from muselab.answer.verify import outside_names, verify
from muselab.text import ARXIV_ID_RE, link_spans, norm_url

KEY_RE = re.compile(r"\[((?:[MP]\d+)(?:\s*[,;]\s*[MP]\d+)*)\]")
PART_TITLES = {"task": "Task", "workflow": "Workflow (input → model → output)", "sources": "Papers and tools"}
PART_WORDS = {"task": ("task",), "workflow": ("workflow", "pipeline", "input →", "input ->"),
              "sources": ("paper", "tools", "sources", "references")}
LEAK_RULES = ("links", "arxiv", "outside-model")


@dataclass
class RepairReport:
    leaks_before: int = 0
    links: int = 0
    arxiv: int = 0
    models: int = 0
    keys_expanded: int = 0
    keys_unknown: int = 0
    filled: list[str] = field(default_factory=list)
    models_listed: int = 0
    stray_lines: int = 0
    repeated_lines: int = 0
    fell_back: bool = False

    def notices(self, backend: str) -> list[str]:
        out = []
        removed = [f"{n} {what}" for n, what in ((self.links, "link(s)"), (self.arxiv, "arXiv id(s)"),
                                                 (self.models, "model name(s)")) if n]
        if removed:
            out.append(f"muselab removed {', '.join(removed)} from the {backend} answer: they pointed outside the "
                       "given sources.")
        if self.stray_lines or self.repeated_lines:
            dropped = [f"{n} {what}" for n, what in ((self.stray_lines, "line(s) outside the three parts"),
                                                     (self.repeated_lines, "repeated line(s)")) if n]
            out.append(f"muselab dropped {' and '.join(dropped)} from the {backend} answer.")
        if self.keys_unknown:
            out.append(f"muselab removed {self.keys_unknown} citation key(s) that match no given source.")
        for part in self.filled:
            out.append(f"The {backend} answer had no {PART_TITLES[part]!r} part; muselab filled it from its "
                       "offline composer.")
        if self.models_listed:
            out.append(f"The {backend} answer left out {self.models_listed} recommended model(s); muselab listed them.")
        if self.fell_back:
            out.append(f"The {backend} answer could not be repaired; this is muselab's offline answer.")
        return out

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


HEADING_RE = re.compile(r"^(#+|\d+[.)]|\*\*)")


def part_of_heading(line: str) -> str | None:
    """The part a heading line (a markdown heading, a numbered line or a bold line) names, if any."""
    s = line.strip().lower()
    if not HEADING_RE.match(s):
        return None
    return next((part for part, words in PART_WORDS.items() if any(w in s for w in words)), None)


def headed_parts(text: str) -> set[str]:
    """The parts that have a heading of their own."""
    return {p for line in text.splitlines() if (p := part_of_heading(line))}


def is_loop(line: str) -> bool:
    """A line that says one phrase over and over (small models fall into such loops)."""
    words = line.lower().split()
    grams = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
    return len(words) >= 12 and len(set(grams)) < 0.5 * len(grams)


def split_parts(text: str, report: RepairReport) -> dict[str, str]:
    """The text of each part, from its heading to the next; a preamble, a section under another heading
    of the parts' level, a part said twice and repetition loops are dropped and counted."""
    blocks: dict[str, list[str]] = {}
    current, level, seen = None, None, set()
    for line in text.splitlines():
        s = line.strip()
        part = part_of_heading(s)
        if part:
            level = level or s.split(" ", 1)[0]
            current = part if part not in blocks else None
            if current:
                blocks[current] = []
        elif current and s.startswith("#") and s.split(" ", 1)[0] == level:
            current = None  # a section of its own ("## Conclusion") at the parts' level
        if current is None:
            report.stray_lines += bool(s)
        elif s and ((s.lower() in seen and len(s) > 3) or is_loop(s)):
            report.repeated_lines += 1
        else:
            seen.add(s.lower())
            blocks[current].append(line)
    return {p: re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() for p, lines in blocks.items()}


def expand_keys(text: str, ctx: Context, report: RepairReport) -> str:
    by_key = {s.key: s for s in ctx.sources}

    def one(match: re.Match) -> str:
        out = []
        for key in re.split(r"\s*[,;]\s*", match.group(1)):
            src = by_key.get(key)
            if src is None:
                report.keys_unknown += 1
                continue
            report.keys_expanded += 1
            link = src.links[0] if src.links else ""
            out.append(f"[{src.name}]({link})" if link else src.name)
        return "; ".join(out)

    return KEY_RE.sub(one, text)


MD_LINK_RE = re.compile(r"\[([^\]]*)\]\(\s*<?([^)\s>]+)>?\s*\)")


def strip_outside(text: str, ctx: Context, catalog_names, report: RepairReport) -> str:
    allowed = ctx.allowed_links()

    def outside(url: str) -> bool:
        return norm_url(url.rstrip(".,;:")) not in allowed

    def md_link(match: re.Match) -> str:
        label, target = match.group(1), match.group(2)
        if not link_spans(target) or not outside(target):
            return match.group(0)
        report.links += 1
        return label  # a Markdown link to an outside source keeps its text

    text = MD_LINK_RE.sub(md_link, text)
    for start, end, url in reversed(link_spans(text)):
        if outside(url):
            report.links += 1
            before, after = text[:start], text[end:]
            if before.endswith("<") and after.startswith(">"):
                before, after = before[:-1], after[1:]
            text = before + after
    ids = ctx.allowed_arxiv_ids()

    def arxiv(match: re.Match) -> str:
        if match.group(1) in ids:
            return match.group(0)
        report.arxiv += 1
        return "(source not given)"

    text = re.sub(r"(?:arXiv\s*:?\s*)?" + ARXIV_ID_RE.pattern, arxiv, text, flags=re.I)
    for name in outside_names(text, ctx, catalog_names):
        count = len(re.findall(rf"(?<![\w.+-]){re.escape(name)}(?![\w+-])", text))
        report.models += count
        text = re.sub(rf"(?<![\w.+-]){re.escape(name)}(?![\w+-])", "a model that was not given", text)
    return re.sub(r"[ \t]{2,}", " ", text)


def repair(text: str, ctx: Context, offline_parts: dict[str, str], catalog_names) -> tuple[str, RepairReport]:
    report = RepairReport()
    report.leaks_before = sum(1 for v in verify(text, ctx, catalog_names) if v.rule in LEAK_RULES)
    # 0: the three parts only, in their order
    blocks = split_parts(text, report)
    out = []
    for part in ("task", "workflow", "sources"):
        # 1-4: sources in each part
        block = strip_outside(expand_keys(blocks.get(part, ""), ctx, report), ctx, catalog_names, report).strip()
        if part == "workflow" and not re.search(r"(->|→)", block):
            block = ""  # a workflow without a chain is not the workflow asked for
        # 5: a missing part comes from the offline composer
        if not block:
            report.filled.append(part)
            block = offline_parts[part]
        out.append(block)
    text = "\n\n".join(out)
    missing = [m for m in ctx.models if m.name.lower() not in text.lower()]
    if missing:
        report.models_listed = len(missing)
        lines = ["", "**Recommended models**"] + [
            f"- **{m.name}**" + (f" ({'; '.join(m.links)})" if m.links else "") for m in missing]
        text = text.rstrip() + "\n" + "\n".join(lines)
    # 6: check again
    if verify(text, ctx, catalog_names):
        report.fell_back = True
        text = "\n\n".join(offline_parts[p] for p in ("task", "workflow", "sources"))
    return text.strip() + "\n", report


__all__ = ["RepairReport", "repair", "headed_parts", "split_parts"]
