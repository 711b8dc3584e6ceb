"""`muselab ingest prompts`: seed-format prompt files (one file or a folder).

Recommended models become Model records (their task read from the name's
prefix, e.g. 'SR-' or 'Txt2Img-'); related papers become Paper records keyed by
their arXiv id. Models the catalog already knows keep what it knows (the store only
fills empty fields of another source's records).
"""

from __future__ import annotations

from pathlib import Path

from muselab.catalog.ingest import Records
from muselab.catalog.sources import model_from_source, paper_from_source
from muselab.context import parse_prompt, read_text_file
from muselab.errors import BadInput, IngestError


class PromptsAdapter:
    name = "prompts"
    description = "seed-format prompt files (question, Recommended AI Models, Related Papers)"
    suffixes = (".txt", ".md", ".prompt")

    def read(self, path: Path, progress: bool) -> Records:
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
