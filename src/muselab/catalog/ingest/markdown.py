"""`muselab ingest markdown`: link pages like seed 004.

'## Heading' sections become tasks (matched to the taxonomy where they name a
known task), '### Entry' headings become catalog entries that keep their
Paper / Code / GitHub / Blog / Hugging Face / Kaggle / Demo links. Entries with
code, a model page or a home page become Model records; every arXiv paper
link becomes a Paper record.
"""

from __future__ import annotations

import re
from pathlib import Path

from muselab.catalog.families import aliases_for
from muselab.catalog.ingest import Records, read_lines
from muselab.catalog.taxonomy import PREFIX_TASKS
from muselab.catalog.records import Model, Paper, Task
from muselab.catalog.taxonomy import builtin_tasks
from muselab.errors import IngestError
from muselab.text import arxiv_id_of, slug

LINK_RE = re.compile(r"\[([^\]]*)\]\(\s*([^)\s]*)\s*\)")
LABEL_RE = re.compile(r"^\*\*([A-Za-z][A-Za-z0-9 ]*?):?\*\*:?\s*(.*)$")
# section names on link pages -> taxonomy ids, beyond exact id/name matches
SECTION_ALIASES = {"text-to-video": "video-generation", "image-to-video": "video-generation"}
LINK_KINDS = {"code": "code", "github": "code", "huggingface": "huggingface", "hugging face": "huggingface",
              "blog": "blog", "kaggle": "kaggle", "demo": "demo", "news": "news", "paper": "paper"}


def _task_for_section(title: str, origin: str) -> Task:
    key = slug(title).lower()
    for t in builtin_tasks():
        if key in (t.id, slug(t.name).lower()) or SECTION_ALIASES.get(key) == t.id:
            return t
    return Task(id=key, name=title, definition=f"Works listed under '{title}' in {origin}.", source=f"markdown:{origin}")


def _prefix(task: Task) -> str:
    if task.prefix:
        return task.prefix
    for prefix, tid in PREFIX_TASKS.items():
        if tid == task.id:
            return prefix.capitalize()
    return slug(task.name, "")[:12] or "Work"


def _title_name(title: str) -> str:
    """'Contrastive Language-Image Pre-training (CLIP)' -> 'CLIP'; other titles as they are."""
    m = re.search(r"\(([^)]+)\)\s*$", title)
    return m.group(1).strip() if m else title.strip()


def _title_names(title: str) -> list[str]:
    """An entry's title is a curated name; so is the short name in parentheses after it."""
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", title).strip()
    return list(dict.fromkeys(n for n in (_title_name(title), bare) if n))


class Entry:
    def __init__(self, title: str, home: str | None, line: int):
        self.title, self.home, self.line = title, home, line
        self.links: list[tuple[str, str, str]] = []  # (kind, text, url)
        self.text: list[str] = []


class MarkdownAdapter:
    name = "markdown"
    description = "link pages: '## Task' sections with '### Entry' headings and **Paper:**/**Code:** links"
    suffixes = (".md", ".markdown")

    def read(self, path: Path, progress: bool) -> Records:
        sections: list[tuple[Task, list[Entry]]] = []
        pending = None  # a **Label:** [text] whose (url) is on the next line
        for lineno, raw in read_lines(path):
            line = raw.strip()
            if line.startswith("## ") and not line.startswith("### "):
                title = LINK_RE.sub(lambda m: m.group(1), line[3:]).strip()
                sections.append((_task_for_section(title, path.name), []))
                continue
            if line.startswith("### "):
                if not sections:
                    raise IngestError(path, lineno, "an '### entry' heading comes before any '## section' heading")
                m = LINK_RE.search(line)
                title = (m.group(1) if m else line[4:]).strip()
                sections[-1][1].append(Entry(title, m.group(2) if m and m.group(2) else None, lineno))
                continue
            if not sections or not sections[-1][1]:
                continue
            entry = sections[-1][1][-1]
            if pending and line.startswith("("):
                url = line[1: line.find(")")] if ")" in line else line[1:]
                entry.links.append((pending[0], pending[1], url.strip()))
                pending = None
                continue
            pending = None
            lm = LABEL_RE.match(line)
            if lm:
                kind = LINK_KINDS.get(lm.group(1).strip().lower())
                if kind is None:
                    continue
                rest = lm.group(2)
                links = LINK_RE.findall(rest)
                if links:
                    entry.links += [(kind, text.strip(), url) for text, url in links if url]
                elif rest.startswith("http"):
                    entry.links.append((kind, "", rest.split()[0].rstrip("<br>")))
                elif rest.startswith("[") and rest.rstrip("<br>").endswith("]"):
                    pending = (kind, rest.strip("[]<br> "))
            elif line and not line.startswith(("!", "<", "`", "---", "*", "|")):
                entry.text.append(LINK_RE.sub(lambda m: m.group(1), line.replace("<br>", " ")))
        if not sections:
            raise IngestError(path, None, "no '## section' headings found; is this a link page?")
        return self._records(path, sections)

    def _records(self, path: Path, sections) -> Records:
        out = Records()
        origin = f"markdown:{path.name}"
        seen_models: set[str] = set()
        for task, entries in sections:
            if task.source != "builtin":
                out.tasks.append(task)
            for e in entries:
                papers = [(text, url) for kind, text, url in e.links if kind == "paper"]
                for text, url in papers:
                    aid = arxiv_id_of(url)
                    if aid:
                        out.papers.append(Paper(id=aid, title=text or e.title, url=f"https://arxiv.org/abs/{aid}",
                                                pdf_url=f"https://arxiv.org/pdf/{aid}", source=origin))
                other = {kind: url for kind, _, url in reversed(e.links) if kind not in ("paper", "news")}
                if not (other or e.home):
                    continue  # a paper-only entry, or one with no links at all
                name = f"{_prefix(task)}-{slug(e.title)}"
                if name.lower() in seen_models:
                    continue
                seen_models.add(name.lower())
                code = other.pop("code", None)
                links = {k: v for k, v in other.items() if k != "huggingface"}
                if e.home:
                    links["home"] = e.home
                out.models.append(Model(
                    name=name, display_name=e.title, task=task.id,
                    category=f"listed under '{task.name}' in {path.name}",
                    input_modalities=task.input_modalities, output_modalities=task.output_modalities,
                    summary=" ".join(e.text)[:600],
                    paper_url=papers[0][1] if papers else None,
                    github_url=code if code and "github.com" in code else None,
                    hf_url=other.get("huggingface"),
                    links=links if not (code and "github.com" not in code) else {**links, "code": code},
                    family=_title_name(e.title), aliases=aliases_for([], _title_names(e.title)),
                    role="model", source=origin,
                ))
        return out


ingest = MarkdownAdapter()
