"""The grounding verifier: every answer passes through it before it is shown.

Hard rules (the same as the independent checker's, plus outside model names):
  links          every link (with or without a scheme, any case, www. or host.tld/path,
                 Markdown or <angle brackets>) points at a source given in the context
  arxiv          every arXiv id belongs to a given paper
  models         every recommended model is named
  outside-model  no catalog model name outside the given ones
  sections       a task part, a workflow part and a sources part
  workflow       the workflow part shows a chain with arrows (-> or →)
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Iterable

from muselab.context import Context
from muselab.catalog.taxonomy import PREFIX_TASKS
from muselab.text import ARXIV_ID_RE, find_urls, norm_url

NAME_TOKEN_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9][\w.+]*(?:-[\w.+]+)+(?![\w+-])")
PREFIXES = {"NST", "Txt2Img", "Img2Img", "SR", "Restore", "FaceRestore", "Color", "Edit", "Inpaint", "Control",
            "LoRA", "ID", "Video", "Txt2Vid", "Img2Vid", "Motion", "Txt23D", "Img23D", "Depth", "Seg", "TryOn",
            "FaceSwap", "Eval", "Safety", "Caption", "Interp", "Matte", "LipSync", "Audio"}
assert {p.lower() for p in PREFIXES} >= set(PREFIX_TASKS)

SECTION_WORDS = {
    "task": ("task",),
    "workflow": ("workflow", "pipeline", "input →", "input ->", "how the model"),
    "sources": ("paper", "tools", "reference", "sources"),
}


@dataclass
class Violation:
    rule: str
    message: str
    text: str = ""

    def line(self) -> str:
        return f"FAIL [{self.rule}] {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


def find_parts(answer: str) -> dict[str, int]:
    """Where each part starts: a heading naming it, else the first mention (as the checker does)."""
    lower = answer.lower()
    parts = {}
    for key, words in SECTION_WORDS.items():
        heading = re.search(rf"^\s*(?:#+|\d+[.)]|\*\*)[^\n]*(?:{'|'.join(map(re.escape, words))})", lower, re.M)
        if heading:
            parts[key] = heading.start()
        else:
            pos = [lower.find(w) for w in words if lower.find(w) >= 0]
            parts[key] = min(pos) if pos else -1
    return parts


def outside_names(answer: str, ctx: Context, catalog_names: Iterable[str]) -> list[str]:
    given = {m.name.lower() for m in ctx.models}
    # words the given sources themselves use (titles, summaries) may be quoted freely
    quoted = {t.group(0).rstrip(".").lower() for t in NAME_TOKEN_RE.finditer(ctx.source_text())}
    catalog = catalog_names if isinstance(catalog_names, frozenset) else {n.lower() for n in catalog_names}
    found = []
    for m in NAME_TOKEN_RE.finditer(answer):
        token = m.group(0).rstrip(".")
        low = token.lower()
        if low in given or low in quoted or any(low in g for g in given):
            continue
        prefix, rest = token.split("-", 1)
        looks_like_name = prefix in PREFIXES and re.search(r"[A-Z0-9]", rest)
        if low in catalog or looks_like_name:
            found.append(token)
    return list(dict.fromkeys(found))


def verify(answer: str, ctx: Context, catalog_names: Iterable[str] = ()) -> list[Violation]:
    out: list[Violation] = []
    allowed = ctx.allowed_links()
    for url in dict.fromkeys(find_urls(answer)):
        if norm_url(url) not in allowed:
            out.append(Violation("links", f"link not among the given sources: {url}", url))
    ids = ctx.allowed_arxiv_ids()
    for aid in sorted(set(ARXIV_ID_RE.findall(answer)) - ids):
        out.append(Violation("arxiv", f"arXiv id not among the given papers: {aid}", aid))
    low = answer.lower()
    for m in ctx.models:
        if m.name.lower() not in low:
            out.append(Violation("models", f"recommended model never named: {m.name}", m.name))
    for name in outside_names(answer, ctx, catalog_names):
        out.append(Violation("outside-model", f"model not among the given ones: {name}", name))
    parts = find_parts(answer)
    for key, pos in parts.items():
        if pos < 0:
            out.append(Violation("sections", f"no {key} part found", key))
    if not re.search(r"(->|→)", answer):
        out.append(Violation("workflow", "no input -> model -> output chain (no arrows)", ""))
    return out
