"""Repair an LLM's answer so that only the given sources come out.

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

from muselab.answer.context import Context
from muselab.answer.verify import ARXIV_ID_RE, NAME_TOKEN_RE, URL_RE, outside_names, verify
from muselab.text import norm_url

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
    fell_back: bool = False

    def notices(self, backend: str) -> list[str]:
        out = []
        removed = [f"{n} {what}" for n, what in ((self.links, "link(s)"), (self.arxiv, "arXiv id(s)"),
                                                 (self.models, "model name(s)")) if n]
        if removed:
            out.append(f"muselab removed {', '.join(removed)} from the {backend} answer: they pointed outside the "
                       "given sources.")
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


def headed_parts(text: str) -> set[str]:
    """The parts that have a heading (a markdown heading, a numbered line or a bold line) of their own."""
    found = set()
    for line in text.splitlines():
        s = line.strip().lower()
        if not re.match(r"^(#+|\d+[.)]|\*\*)", s):
            continue
        for part, words in PART_WORDS.items():
            if any(w in s for w in words):
                found.add(part)
    return found


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


def strip_outside(text: str, ctx: Context, catalog_names, report: RepairReport) -> str:
    allowed = ctx.allowed_links()

    def md_link(match: re.Match) -> str:
        label, url = match.group(1), match.group(2)
        if norm_url(url.rstrip(".,;:")) in allowed:
            return match.group(0)
        report.links += 1
        return label

    text = re.sub(r"\[([^\]]*)\]\((https?://[^)\s]+)\)", md_link, text)

    def bare(match: re.Match) -> str:
        url = match.group(0).rstrip(".,;:")
        if norm_url(url) in allowed:
            return match.group(0)
        report.links += 1
        return ""

    text = URL_RE.sub(bare, text)
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
    # 1-4: sources
    text = expand_keys(text, ctx, report)
    text = strip_outside(text, ctx, catalog_names, report)
    # 5: parts and models
    present = headed_parts(text)
    if "workflow" in present and not re.search(r"(->|→)", text):
        present.discard("workflow")  # a workflow without a chain is not the workflow asked for
    for part in ("task", "workflow", "sources"):
        if part not in present:
            report.filled.append(part)
            text = text.rstrip() + "\n\n" + offline_parts[part]
    low = text.lower()
    missing = [m for m in ctx.models if m.name.lower() not in low]
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


__all__ = ["RepairReport", "repair", "headed_parts", "NAME_TOKEN_RE"]
