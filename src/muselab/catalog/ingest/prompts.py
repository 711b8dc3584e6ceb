"""`muselab ingest prompts`: seed-format prompt files (one file or a folder).

Recommended models become Model records (their task read from the name's
prefix, e.g. 'SR-' or 'Txt2Img-'); related papers become Paper records keyed by
their arXiv id. Models the catalog already knows keep what it knows (the store only
fills empty fields of another source's records).
"""

from __future__ import annotations

from pathlib import Path

from muselab.answer.context import Source, parse_prompt
from muselab.catalog.ingest import Records
from muselab.catalog.records import Model, Paper
from muselab.catalog.taxonomy import task_from_name
from muselab.errors import BadInput, IngestError
from muselab.text import arxiv_id_of, norm_url, slug

def model_from_source(src: Source, origin: str) -> Model:
    return Model(
        name=src.name,
        display_name=src.name,
        task=task_from_name(src.name) or "other",
        summary=src.summary,
        paper_url=src.paper_url,
        github_url=src.github_url,
        hf_url=src.fields.get("Hugging Face"),
        source=origin,
    )


def paper_from_source(src: Source, origin: str) -> Paper:
    pid = arxiv_id_of(src.paper_url) or "web:" + slug(norm_url(src.paper_url or src.name))[:80]
    return Paper(
        id=pid,
        title=src.name,
        summary=src.summary,
        url=f"https://arxiv.org/abs/{pid}" if arxiv_id_of(src.paper_url) else src.paper_url,
        pdf_url=src.paper_url,
        github_url=src.github_url,
        source=origin,
    )


class PromptsAdapter:
    name = "prompts"
    description = "seed-format prompt files (question, Recommended AI Models, Related Papers)"
    suffixes = (".txt", ".md", ".prompt")

    def read(self, path: Path, progress: bool) -> Records:
        from muselab.answer.context import read_text_file

        try:
            text = read_text_file(path, max_bytes=5_000_000)
            ctx = parse_prompt(text, origin=str(path))
        except BadInput as exc:
            raise IngestError(path, None, str(exc).removeprefix(f"{path}: ")) from None
        origin = f"prompts:{path.name}"
        return Records(
            models=[model_from_source(m, origin) for m in ctx.models],
            papers=[paper_from_source(p, origin) for p in ctx.papers]
        )


ingest = PromptsAdapter()
