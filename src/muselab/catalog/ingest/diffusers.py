"""`muselab ingest diffusers`: the diffusers docs' paper list (diffusers_papers.json).

A JSON list of {arxiv_id, pipeline_doc, title, abstract, github}. The title is
the pipeline's name in the docs (e.g. 'Stable Diffusion XL'); where the catalog
already has the paper under its own title, that title is kept.
"""

from __future__ import annotations

from pathlib import Path

from muselab.catalog.ingest import Records
from muselab.catalog.ingest.jsonfile import array_items, load_json
from muselab.catalog.records import Paper
from muselab.errors import IngestError


class DiffusersAdapter:
    name = "diffusers"
    description = "the diffusers docs' paper list: [{arxiv_id, pipeline_doc, title, abstract, github}]"
    suffixes = (".json",)

    def read(self, path: Path, progress: bool) -> Records:
        data, text = load_json(path)
        if not isinstance(data, list):
            raise IngestError(path, 1, "expected a JSON list of papers")
        papers = []
        for line, d in array_items(path, text):
            if not isinstance(d, dict) or not d.get("arxiv_id") or not d.get("title"):
                raise IngestError(path, line, "each entry needs 'arxiv_id' and 'title'")
            aid = str(d["arxiv_id"]).strip()
            github = [g for g in d.get("github") or [] if isinstance(g, str)]
            papers.append(Paper(
                id=aid, title=" ".join(str(d["title"]).split()), summary=" ".join(str(d.get("abstract") or "").split()),
                url=f"https://arxiv.org/abs/{aid}", pdf_url=f"https://arxiv.org/pdf/{aid}",
                github_url=github[0] if github else None, source="diffusers"))
        return Records(papers=papers)


ingest = DiffusersAdapter()
