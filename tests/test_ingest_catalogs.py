"""Real catalog formats: Open Model Database, ComfyUI-Manager's model list, the diffusers paper list."""

import json
import re
import shutil

import pytest

from conftest import SHARED, need_shared
from muselab.catalog.ingest import ingest_path
from muselab.catalog.ingest.comfyui import ingest as comfyui
from muselab.catalog.ingest.diffusers import ingest as diffusers
from muselab.catalog.ingest.openmodeldb import ingest as openmodeldb
from muselab.text import clean_description

DATA = SHARED / "data"


@pytest.fixture
def omdb(tmp_path):
    """A small checkout: three model files and the architectures list."""
    need_shared()
    root = tmp_path / "omdb"
    (root / "models").mkdir(parents=True)
    for name in ("2x-AniScale-2-ESRGAN.json", "1x-AnimeUndeint-Compact.json", "4x-realesrgan-x4plus-anime-6b.json"):
        shutil.copy(DATA / "openmodeldb" / "models" / name, root / "models" / name)
    shutil.copy(DATA / "openmodeldb" / "architectures.json", root / "architectures.json")
    return root


def test_openmodeldb_checkout(store, omdb):
    report = ingest_path(store, openmodeldb, omdb, progress=False)[0]
    assert report.error is None and report.models == 3
    m = store.model("SR-AniScale-2-ESRGAN")
    assert m.task == "super-resolution" and "anime" in m.tags and "2x" in m.tags
    assert m.license == "CC-BY-NC-4.0" and m.sha256 and m.weights_url.endswith(".pth")
    assert m.runner == {"node": "Upscale", "settings": {"method": "spandrel", "scale": 2},
                        "weights_file": "2x_AniScale2_ESRGAN_i16_110K.pth"}
    assert store.model("Restore-AnimeUndeint-Compact").task == "image-restoration"
    # the curated, runnable record of the same model keeps its runner
    curated = store.model("SR-RealESRGAN-x4plus-anime-6B")
    assert curated.runnable and curated.runner["settings"]["method"] == "realesrgan"
    assert ingest_path(store, openmodeldb, omdb, progress=False)[0].changed == 0


def test_openmodeldb_malformed_file(store, omdb):
    bad = omdb / "models" / "2x-Broken.json"
    bad.write_text('{\n  "name": "Broken",\n  "scale": 2,\n  "architecture": \n}\n', encoding="utf-8")
    before = store.count("models")
    report = ingest_path(store, openmodeldb, omdb, progress=False)[0]
    assert report.error.startswith(f"{bad}:5: invalid JSON")
    assert store.count("models") == before  # the whole checkout is one transaction
    bad.write_text('{\n  "name": "Broken",\n  "architecture": "esrgan"\n}\n', encoding="utf-8")
    report = ingest_path(store, openmodeldb, omdb, progress=False)[0]
    assert report.error == f"{bad}:1: bad model record: missing 'scale'"


def test_comfyui_model_list(store):
    need_shared()
    report = ingest_path(store, comfyui, DATA / "comfyui_model_list.json", progress=False)[0]
    assert report.error is None and report.models > 500
    tasks = {m.task for m in store.models() if m.source == "comfyui"} | {
        m.task for m in store.models() if m.name.startswith(("Control-", "Video-", "LoRA-"))}
    assert {"controllable-generation", "video-generation", "personalization", "super-resolution"} <= tasks


def test_comfyui_malformed_entry(store, tmp_path):
    f = tmp_path / "model-list.json"
    entries = [{"name": "Good", "type": "upscale", "base": "upscale", "url": "https://x/y.pth"},
               {"name": "Bad", "type": "teleporter"}]
    f.write_text('{\n  "models": [\n' + ",\n".join("    " + json.dumps(e) for e in entries) + "\n  ]\n}\n")
    report = ingest_path(store, comfyui, f, progress=False)[0]
    assert report.error == f"{f}:4: bad model entry: unknown model type 'teleporter'"
    assert store.model("SR-Good") is None


@pytest.mark.parametrize("raw, clean", [
    ("Safetensors versions of [a/https://github.com/microsoft/MoGe](https://github.com/microsoft/MoGe)",
     "Safetensors versions of microsoft/MoGe"),
    ("LDSR upscale model. Through the [a/ComfyUI-Flowty-LDSR](https://github.com/flowtyone/x) extension, it runs.",
     "LDSR upscale model. Through the ComfyUI-Flowty-LDSR extension, it runs."),
    ("The encoder part of https://huggingface.co/google/t5-v1_1-xxl, used with SD3.",
     "The encoder part of google/t5-v1_1-xxl, used with SD3."),
    ("Texture retaining denoiser for digital artwork Sample images: https://1drv.ms/u/s!Aip?e=vN",
     "Texture retaining denoiser for digital artwork"),
    ("Please consider supporting my work on [Ko-Fi](https://ko-fi.com/k)! It handles **anime** well. "
     "**Showcase:** Flux comparisons: <https://slow.pics/s/b> Image Upscales: <https://slow.pics/s/c>",
     "It handles anime well."),
    ("<p>Sharp lines.</p> ![sample](https://i.imgur.com/x.png) A second sentence.", "Sharp lines. A second sentence."),
    ("https://imgsli.com/Mzg0", ""),
    ("Code: <https://github.com/xinntao/Real-ESRGAN>. Sharp.", "Code: xinntao/Real-ESRGAN. Sharp."),
])
def test_catalog_descriptions_are_cleaned(raw, clean):
    assert clean_description(raw) == clean


def test_descriptions_cut_at_a_sentence_end():
    assert clean_description("One short sentence. Then " + "word " * 30 + "end.", limit=60) == "One short sentence."
    assert clean_description("word " * 30, limit=40) == "word word word word word word word…"


def test_real_catalog_descriptions_carry_no_links(omdb):
    models = openmodeldb.read(omdb, progress=False).models + comfyui.read(DATA / "comfyui_model_list.json", False).models
    assert len(models) > 500
    assert not [m.name for m in models if re.search(r"https?://|\]\(|\*\*|ko-fi|patreon", m.summary, re.I)]


def test_diffusers_papers(store):
    need_shared()
    report = ingest_path(store, diffusers, DATA / "diffusers_papers.json", progress=False)[0]
    assert report.error is None and report.papers == 65
    sdxl = store.paper("2307.01952")
    assert sdxl.summary.startswith("We present SDXL")
