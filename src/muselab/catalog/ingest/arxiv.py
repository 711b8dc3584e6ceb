"""`muselab ingest arxiv`: arXiv metadata as JSON Lines (gzip or plain).

Two shapes are accepted per line: the daily-arXiv shape (id, title, summary,
authors as a list, categories as a list, abs, pdf) and the Kaggle arXiv
snapshot (id, title, abstract, authors as a string, categories as a
space-separated string, update_date, versions).
"""

from __future__ import annotations

import json
from pathlib import Path

from muselab.catalog.ingest import Records, read_lines
from muselab.catalog.records import Paper
from muselab.errors import IngestError
from muselab.progress import bar


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
        return Records(papers=papers)


ingest = ArxivAdapter()
