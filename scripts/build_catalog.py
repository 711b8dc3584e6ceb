#!/usr/bin/env python3
"""Build the generated half of muselab's built-in catalog from public catalogs.

Reads ../shared (seeds, and the data files named below) with muselab's own
ingest adapters, applies the corrections recorded here, and writes:

    src/muselab/catalog/data/models.json.gz
    src/muselab/catalog/data/papers.jsonl.gz

    src/muselab/catalog/data/papers.vectors.f16 + .ids.json   (paper embeddings)
    src/muselab/catalog/data/models.vectors.f16 + .ids.json   (model embeddings)

ComfyUI's own catalogs from their installed PyPI packages: the workflow
templates (comfyui-workflow-templates-json: templates.json.gz, and a model
record per model file) and the custom node packs (comfyui-manager:
node_packs.json.gz).

Papers: the curated foundational papers (../shared/data/foundational_papers.jsonl,
titles and abstracts checked against arXiv; they win over the diffusers docs'
copies, some of which carry wrong titles), the seeds', the diffusers docs', and for every task
of the taxonomy the corpus papers that best match the task's own description
(its vocabulary by BM25 and its text by MiniLM, fused), a few thousand in all.
Their vectors are the corpus's precomputed ones where they exist.

This is a maintainer's tool: the product reads only the files it writes.

    .venv/bin/python scripts/build_catalog.py [--shared ../shared] [--per-task 90]
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import json as _json
import tempfile

from muselab.catalog.ingest import Records
from muselab.catalog.ingest.arxiv import ingest as arxiv_adapter
from muselab.catalog.ingest.comfyui import ingest as comfyui
from muselab.catalog.ingest.diffusers import ingest as diffusers
from muselab.catalog.ingest.markdown import ingest as markdown
from muselab.catalog.ingest.openmodeldb import ingest as openmodeldb
from muselab.catalog.ingest.prompts import ingest as prompts
from muselab.catalog.records import content_hash

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "muselab" / "catalog" / "data"

# What seed 004 gets wrong or leaves ambiguous, fixed in the record:
# model name -> None (not a model) or the fields to change.
SEED_004_FIXES: dict[str, dict | None] = {
    "Txt2Img-Diffusion-Models": None,  # a blog explainer, not a model
    "Txt2Img-LAION-5B-Dataset": None,  # a dataset; its paper stays in the catalog
    "Motion-Awesome-Video-Diffusion-Models": None,  # a reading list
    # one-shot tuning: it learns the motion of one source video, so its input is a video and a prompt
    "Video-Turn-A-Video": {"name": "Video-Tune-A-Video", "display_name": "Tune-A-Video",
                           "input_modalities": ["text", "video"],
                           "category": "one-shot video tuning: a text-to-image model tuned on one video makes new videos with its motion"},
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


def corpus_selection(shared: Path, per_task: int, cache_dir: Path):
    """For each task, the corpus papers closest to the task's own description."""
    from muselab.catalog.store import Store

    data = shared / "data"
    with tempfile.TemporaryDirectory(prefix="muselab-corpus-") as tmp:  # 150 MB: never left behind
        return _select(Store(Path(tmp) / "corpus.db"), data, per_task, cache_dir)


def _select(store, data: Path, per_task: int, cache_dir: Path):
    from muselab.catalog.ingest import ingest_path
    from muselab.catalog.ingest.arxiv import ingest as arxiv
    from muselab.catalog.knowledge import explainers
    from muselab.catalog.taxonomy import builtin_tasks, task_text
    from muselab.search.embed import get_embedder
    from muselab.search.fusion import fuse, positions, ranking
    from muselab.search.index import import_vectors, load_index, texts_for
    from muselab.search.papers import lexical

    ingest_path(store, arxiv, data / "arxiv_cv_2025.jsonl.gz", progress=False)
    embedder = get_embedder("minilm-onnx-int8", cache_dir, 0)
    import_vectors(store, embedder.space, data / "arxiv_cv_2025.minilm-l6-v2.f16.npy", texts_for(store, "papers"))
    index = load_index(store, "papers", embedder.space)
    tasks = {t.id: t for t in builtin_tasks()}
    where = {i: r for r, i in enumerate(index.ids)}
    chosen: dict[str, None] = {}
    for t in tasks.values():
        parent = tasks.get(t.parent) if t.parent else None
        dense = ranking(index.scores(embedder.encode([task_text(t, parent)])[0]))
        lex = positions([h.id for h in lexical(store, " ".join(t.vocabulary), 300)], where)
        for r in ranking(fuse([(lex, 1.0), (dense, 1.0)], len(index.ids)), per_task):
            chosen.setdefault(index.ids[r])
    for e in explainers():  # the works an explainer rests on are always at hand
        chosen.update({pid: None for pid in e.papers if pid in where})
    papers = store.papers(chosen)
    vectors = {i: index.vector(i) for i in chosen}
    store.close()
    return papers, vectors, embedder


def comfy_packages() -> Records:
    """ComfyUI's templates and node packs, read from their installed PyPI packages."""
    from muselab.catalog.ingest.comfyui_nodes import ingest as nodes
    from muselab.catalog.ingest.comfyui_templates import ingest as templates

    out = Records()
    for f in templates.files(templates.default_path()):
        out.extend(templates.read(f, progress=False))
    for f in nodes.files(nodes.default_path()):
        out.extend(nodes.read(f, progress=False))
    return out


def dump(records) -> str:
    return json.dumps([r.model_dump(exclude_defaults=True) | _keys(r) for r in records], ensure_ascii=False)


def _keys(r) -> dict:
    return {k: getattr(r, k) for k in ("id", "name", "title", "task") if hasattr(r, k)}


def write_vectors(stem: Path, rows: list[tuple[str, str, "object"]]) -> None:
    """Raw little-endian float16 rows + a JSON list of [id, content hash]: readable without numpy."""
    import numpy as np

    matrix = np.stack([np.asarray(v, dtype="<f2") for _, _, v in rows]) if rows else np.zeros((0, 384), "<f2")
    Path(f"{stem}.f16").write_bytes(matrix.tobytes())
    Path(f"{stem}.ids.json").write_text(_json.dumps([[i, h] for i, h, _ in rows]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--per-task", type=int, default=90, help="corpus papers per task")
    ap.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "muselab")
    args = ap.parse_args()
    seeds, data = args.shared / "seeds", args.shared / "data"

    records = Records()
    records.extend(arxiv_adapter.read(data / "foundational_papers.jsonl", progress=False))
    for f in sorted(seeds.glob("00[0-3]_*.txt")):
        records.extend(prompts.read(f, progress=False))
    records.extend(fix_seed_004(markdown.read(next(seeds.glob("004_*.txt")), progress=False)))
    records.extend(openmodeldb.read(data / "openmodeldb", progress=False))
    records.extend(comfyui.read(data / "comfyui_model_list.json", progress=False))
    records.extend(diffusers.read(data / "diffusers_papers.json", progress=False))
    records.extend(comfy_packages())

    abstracts = diffusers_abstracts(data / "diffusers_papers.json")
    papers = {}
    for p in records.papers:
        if not p.summary and p.id in abstracts:
            p = p.model_copy(update={"summary": abstracts[p.id][1]})
        papers.setdefault(p.id, p.model_copy(update={"source": "builtin"}))
    corpus, corpus_vectors, embedder = corpus_selection(args.shared, args.per_task, args.cache_dir)
    for p in corpus:
        papers.setdefault(p.id, p.model_copy(update={"source": "builtin"}))
    models = {}
    for m in records.models:
        models.setdefault(m.name.lower(), m.model_copy(update={"source": "builtin"}))

    from muselab.catalog.builtin import curated_models
    from muselab.search.index import paper_text

    all_models = {m.name.lower(): m for m in list(models.values()) + curated_models()}
    ordered_papers = sorted(papers.values(), key=lambda p: p.id)
    ordered_models = sorted(all_models.values(), key=lambda m: m.name.lower())
    write_gzip(DATA / "models.json.gz", dump(sorted(models.values(), key=lambda m: m.name.lower())))
    builtin = {"source": "builtin"}
    write_gzip(DATA / "templates.json.gz", dump(sorted((t.model_copy(update=builtin) for t in
                                                        {t.id: t for t in records.templates}.values()), key=lambda t: t.id)))
    write_gzip(DATA / "node_packs.json.gz", dump(sorted((p.model_copy(update=builtin) for p in
                                                         {p.id: p for p in records.node_packs}.values()), key=lambda p: p.id)))
    write_gzip(DATA / "papers.jsonl.gz", "".join(
        json.dumps(p.model_dump(exclude_defaults=True) | {"id": p.id, "title": p.title}, ensure_ascii=False) + "\n"
        for p in ordered_papers))

    # embeddings: the corpus's own vectors where they exist, MiniLM (ONNX) for the rest
    texts = {p.id: paper_text(p.title, p.summary) for p in ordered_papers}
    todo = [i for i in texts if i not in corpus_vectors]
    fresh = dict(zip(todo, embedder.encode([texts[i] for i in todo]))) if todo else {}
    write_vectors(DATA / "papers.vectors", [(i, content_hash(t), corpus_vectors.get(i, fresh.get(i)))
                                            for i, t in texts.items()])
    mtexts = {m.name: m.embed_text() for m in ordered_models}
    mvecs = embedder.encode(list(mtexts.values()))
    write_vectors(DATA / "models.vectors", [(n, content_hash(t), v) for (n, t), v in zip(mtexts.items(), mvecs)])
    print(f"wrote {len(models)} generated models ({len(all_models)} with the curated ones) and {len(papers)} papers "
          f"({len(corpus)} from the corpus) to {DATA}")


if __name__ == "__main__":
    main()
