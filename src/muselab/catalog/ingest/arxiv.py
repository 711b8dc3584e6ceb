"""`muselab ingest arxiv`: arXiv metadata as JSON Lines (gzip or plain).

Two shapes are accepted per line: the daily-arXiv shape (id, title, summary,
authors as a list, categories as a list, abs, pdf) and the Kaggle arXiv
snapshot (id, title, abstract, authors as a string, categories as a
space-separated string, update_date, versions). A curated list may add
`github` (official code) and `tasks` (task ids): such a paper's method also
becomes a model record (see `model_from_paper`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from muselab.catalog.families import aliases_for, name_like
from muselab.catalog.ingest import Records, read_lines
from muselab.catalog.records import Model, Paper
from muselab.errors import IngestError
from muselab.progress import bar
from muselab.text import sentences, slug


def _authors(value) -> list[str]:
    if isinstance(value, list):
        return [str(a) for a in value]
    if isinstance(value, str):
        return [a.strip() for a in value.replace(" and ", ", ").split(",") if a.strip()]
    return []


def _categories(value) -> list[str]:
    if isinstance(value, list):
        return [str(c) for c in value]
    if isinstance(value, str):
        return value.split()
    return []


def _date(d: dict) -> str | None:
    for key in ("published", "update_date", "date"):
        if isinstance(d.get(key), str):
            return d[key][:10]
    versions = d.get("versions")
    if isinstance(versions, list) and versions and isinstance(versions[0], dict):
        return versions[0].get("created")
    return None


def paper_from_json(d: dict, origin: str) -> Paper:
    pid = str(d["id"]).strip()
    if not pid:
        raise ValueError("empty 'id'")
    title = d.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("missing 'title'")
    summary = d.get("summary") if d.get("summary") is not None else d.get("abstract")
    if summary is not None and not isinstance(summary, str):
        raise ValueError("'summary'/'abstract' must be text")
    return Paper(
        id=pid,
        title=" ".join(title.split()),
        summary=" ".join((summary or "").split()),
        url=d.get("abs") or f"https://arxiv.org/abs/{pid}",
        pdf_url=d.get("pdf") or f"https://arxiv.org/pdf/{pid}",
        github_url=d.get("github") if isinstance(d.get("github"), str) else None,
        categories=_categories(d.get("categories")),
        published=_date(d),
        authors=_authors(d.get("authors")),
        tasks=[t for t in d.get("tasks") or [] if isinstance(t, str)],
        source=origin,
    )


class ArxivAdapter:
    name = "arxiv"
    description = "arXiv metadata, JSON Lines (.jsonl or .jsonl.gz): daily-arXiv or Kaggle snapshot shape"
    suffixes = (".jsonl", ".jsonl.gz", ".json.gz")

    def read(self, path: Path, progress: bool) -> Records:
        papers: list[Paper] = []
        origin = f"arxiv:{path.name}"
        with bar(desc=f"reading {path.name}", unit=" papers", enabled=progress) as pbar:
            for lineno, line in read_lines(path):
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                    if not isinstance(d, dict):
                        raise ValueError("a line must be one JSON object")
                    if "id" not in d:
                        raise ValueError("missing 'id'")
                    papers.append(paper_from_json(d, origin))
                except json.JSONDecodeError as exc:
                    raise IngestError(path, lineno, f"invalid JSON ({exc.msg} at column {exc.colno})") from None
                except (ValueError, TypeError) as exc:
                    raise IngestError(path, lineno, f"bad record: {exc}") from None
                pbar.update(1)
        if not papers:
            raise IngestError(path, None, "no records found")
        return Records(papers=papers, models=[m for p in papers if (m := model_from_paper(p))])


def code_name(p: Paper) -> str | None:
    """The name a paper's method goes by: the title's short name before a colon ('RIFE: ...'), else its
    official repository's name when it reads as a name ('TencentARC/GFPGAN'), else the short name the
    abstract defines ('... large mask inpainting (LaMa)'), else none."""
    head = p.title.split(":", 1)[0].strip() if ":" in p.title else ""
    if head and len(head.split()) <= 3:
        return re.sub(r"\$[^$]*\$", "", head).strip() or None
    parts = (p.github_url or "").rstrip("/").split("/")
    repo = re.sub(r"^[A-Za-z]{3,5}\d{4}[-_]", "", parts[4]) if len(parts) >= 5 else ""  # 'ECCV2022-RIFE' -> 'RIFE'
    if repo and name_like(repo.replace("-", "")):
        return repo
    defined = re.findall(r"\(([A-Z][A-Za-z0-9+-]{1,15})\)", p.summary)
    named = [d for d in defined if _names_the_method(d, p.title)]
    return named[0] if named else None


def _names_the_method(short: str, title: str) -> bool:
    """A short name the abstract defines names the method, not a generic term ('CNNs', 'SOTA'): it is not a
    plural, and it is long and name-like, or its letters are the initials of the title's words."""
    if re.fullmatch(r"[A-Z]+s", short) or not (name_like(short) or re.search(r"[a-z][A-Z]", short)):
        return False
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z][A-Za-z-]*", title)).upper()
    return len(short) >= 5 or short.upper() in initials or short.lower() in title.lower()


def model_from_paper(p: Paper) -> Model | None:
    """A curated paper with official code and task labels describes a model or tool people use: it becomes
    a model record too (RIFE, GFPGAN, LaMa, ControlNet, ...), filed under the curator's first task."""
    name = code_name(p) if p.github_url and p.tasks else None
    if not name:
        return None
    from muselab.catalog.taxonomy import PREFIX_TASKS

    from muselab.catalog.taxonomy import builtin_task

    prefix = next((k for k, t in PREFIX_TASKS.items() if t == p.tasks[0]), "model")
    sentences_ = [s for s in sentences(p.summary) if len(s) > 40][:2]
    task = builtin_task(p.tasks[0])  # what goes in and out: its task's
    return Model(name=f"{_PREFIXES.get(prefix, prefix.capitalize())}-{slug(name)}", display_name=name,
                 task=p.tasks[0], capabilities=p.tasks[1:], category="published method with official code",
                 input_modalities=task.input_modalities if task else [],
                 output_modalities=task.output_modalities if task else [],
                 summary=" ".join(sentences_), paper_url=p.url, github_url=p.github_url, family=name,
                 aliases=aliases_for([], [name]), role="model", source=p.source)


# PREFIX_TASKS keys are lower case; the model names use the seeds' casing
_PREFIXES = {"nst": "NST", "txt2img": "Txt2Img", "img2img": "Img2Img", "sr": "SR", "facerestore": "FaceRestore",
             "lora": "LoRA", "id": "ID", "txt23d": "Txt23D", "img23d": "Img23D", "tryon": "TryOn",
             "faceswap": "FaceSwap", "lipsync": "LipSync"}


ingest = ArxivAdapter()
