#!/usr/bin/env python3
"""Build the generated half of muselab's built-in catalog from public catalogs.

Reads ../shared (seeds, and the data files named below) with muselab's own
ingest adapters, applies the corrections recorded here, and writes:

    src/muselab/catalog/data/models.json.gz
    src/muselab/catalog/data/papers.jsonl.gz

This is a maintainer's tool: the product reads only the files it writes.

    .venv/bin/python scripts/build_catalog.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from muselab.catalog.ingest import Records
from muselab.catalog.ingest.markdown import ingest as markdown
from muselab.catalog.ingest.prompts import ingest as prompts

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "muselab" / "catalog" / "data"

# What seed 004 gets wrong or leaves ambiguous, fixed in the record:
# model name -> None (not a model) or the fields to change.
SEED_004_FIXES: dict[str, dict | None] = {
    "Txt2Img-Diffusion-Models": None,  # a blog explainer, not a model
    "Txt2Img-LAION-5B-Dataset": None,  # a dataset; its paper stays in the catalog
    "Motion-Awesome-Video-Diffusion-Models": None,  # a reading list
    "Video-Turn-A-Video": {"name": "Video-Tune-A-Video", "display_name": "Tune-A-Video"},
    "Video-Open-VCLIP": {"task": "other", "category": "open-vocabulary video recognition (video CLIP), listed under Text-to-Video in the lecture page"},
    "Video-DyST": {"task": "other", "category": "dynamic neural scene representation from real videos, listed under Text-to-Video in the lecture page"},
    # the lecture page lists these video models under its Text-to-Motion heading
    "Motion-StyleCrafter": {"name": "Video-StyleCrafter", "task": "video-generation", "category": "stylized text-to-video with a style adapter"},
    "Motion-Stable-Diffusion-Video": {"name": "Video-Stable-Video-Diffusion", "display_name": "Stable Video Diffusion", "task": "video-generation", "category": "latent video diffusion, image-to-video and text-to-video"},
    "Motion-AnimateDiff": {"name": "Video-AnimateDiff", "task": "video-generation", "category": "motion module that animates personalized text-to-image models"},
    "Motion-Outfit-Anyone": {"name": "TryOn-Outfit-Anyone", "task": "virtual-try-on", "category": "virtual try-on of garments on a person image"},
    "Txt23D-AI-Render": {"name": "Img2Img-AI-Render", "task": "image-to-image", "category": "Stable Diffusion inside Blender: renders a 3D scene, then re-draws it with image-to-image"},
    "Img23D-Depth-Pro": {"name": "Depth-Depth-Pro", "task": "depth-estimation", "category": "sharp monocular metric depth estimation"},
}


def fix_seed_004(records: Records) -> Records:
    models = []
    for m in records.models:
        fix = SEED_004_FIXES.get(m.name, {})
        if fix is None:
            continue
        models.append(m.model_copy(update={**fix, "source": "builtin:seed-004"}))
    return Records(tasks=records.tasks, models=models, papers=records.papers)


def diffusers_abstracts(path: Path) -> dict[str, tuple[str, str]]:
    """arXiv id -> (title, abstract) from the diffusers docs' paper list."""
    out = {}
    for d in json.loads(path.read_text(encoding="utf-8")):
        if d.get("arxiv_id") and d.get("abstract"):
            out[d["arxiv_id"]] = (d.get("title") or "", d["abstract"])
    return out


def write_gzip(path: Path, text: str) -> None:
    with open(path, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(text.encode("utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = ap.parse_args()
    seeds, data = args.shared / "seeds", args.shared / "data"

    records = Records()
    for f in sorted(seeds.glob("00[0-3]_*.txt")):
        records.extend(prompts.read(f, progress=False))
    records.extend(fix_seed_004(markdown.read(next(seeds.glob("004_*.txt")), progress=False)))

    abstracts = diffusers_abstracts(data / "diffusers_papers.json")
    papers = {}
    for p in records.papers:
        if not p.summary and p.id in abstracts:
            p = p.model_copy(update={"summary": abstracts[p.id][1]})
        papers.setdefault(p.id, p.model_copy(update={"source": "builtin"}))
    models = {m.name: m.model_copy(update={"source": "builtin"}) for m in records.models}

    write_gzip(DATA / "models.json.gz", json.dumps(
        [m.model_dump(exclude_defaults=True) | {"name": m.name, "task": m.task} for m in sorted(models.values(), key=lambda m: m.name)],
        ensure_ascii=False, indent=0))
    write_gzip(DATA / "papers.jsonl.gz", "".join(
        json.dumps(p.model_dump(exclude_defaults=True) | {"id": p.id, "title": p.title}, ensure_ascii=False) + "\n"
        for p in sorted(papers.values(), key=lambda p: p.id)))
    print(f"wrote {len(models)} models and {len(papers)} papers to {DATA}")


if __name__ == "__main__":
    main()
