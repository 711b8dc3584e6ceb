"""The public Python API: `muselab.open()` -> Lab, the one front door the CLI also goes through."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import muselab
from conftest import SEEDS, need_shared
from muselab.errors import BadInput

QUESTION = "How do AI upscalers sharpen anime art?"


@pytest.fixture
def lab(isolated):
    with muselab.open() as lab:
        yield lab


def test_ask_gives_the_task_models_papers_and_the_cli_json(lab, cli):
    r = lab.ask(QUESTION, k_models=3, k_papers=5)
    assert r.task.id == "super-resolution"
    assert len(r.models) == 3 and all(m.task == "super-resolution" for m in r.models)
    assert len(r.papers) == 5 and r.markdown.startswith("## 1. Task")
    data = r.to_dict()
    assert data == json.loads(cli("ask", QUESTION, "--format", "json").stdout)
    assert data["retrieval"]["models"][0]["name"] == r.models[0].name


def test_the_documented_one_liner():
    code = "import muselab; lab = muselab.open(); print(lab.ask('How do AI upscalers sharpen anime art?').task.id)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "super-resolution"


def test_answer_and_check(lab, cli):
    need_shared()
    text = SEEDS[2].read_text(encoding="utf-8")
    answer = lab.answer(text)
    assert answer.markdown == cli("answer", SEEDS[2]).stdout
    assert lab.check(text, answer.markdown) == []
    leaky = answer.markdown + "\nSee https://example.org/elsewhere and arXiv 2107.10833.\n"
    assert {v.rule for v in lab.check(text, leaky)} == {"links", "arxiv"}
    with pytest.raises(BadInput):
        lab.check(text, "   ")


def test_search(lab):
    models = lab.search_models("Real-ESRGAN anime", k=5, mode="lexical")
    assert models and all("esrgan" in (m.name + m.title).lower() for m in models[:3])
    papers = lab.search_papers("real-world image super-resolution", k=5, mode="lexical")
    assert len(papers) == 5 and papers[0].score >= papers[-1].score
    with pytest.raises(BadInput):
        lab.search_papers("x", k=0)


def test_workflow_for_then_run(lab, tmp_path):
    image = tmp_path / "small.png"
    y, x = np.mgrid[0:27, 0:48]
    Image.fromarray(np.stack([x * 5, y * 9, (x + y) * 3], -1).astype(np.uint8)).save(image)
    r = lab.ask("I enlarged a blurry illustration by 2x and it looked like crisp anime art. How?")
    wf = lab.workflow_for(r)
    assert set(wf.meta["inputs"]) == {"image"} and lab.validate(wf) == []
    upscale = next(n for n, node in wf.nodes.items() if node["class_type"] == "Upscale")
    report = lab.run(wf, inputs={"image": str(image)}, overrides={f"{upscale}.method": "lanczos",
                                                                  f"{upscale}.scale": 3}, out_dir=tmp_path / "out")
    assert len(report.saved) == 1 and Image.open(report.saved[0]).size == (144, 81)
    with pytest.raises(BadInput, match="no input 'photo'"):
        lab.run(wf, inputs={"photo": str(image)})
    with pytest.raises(BadInput, match="no node '99'"):
        lab.run(wf, inputs={"image": str(image)}, overrides={"99.scale": 2})


def test_settings_are_keywords_and_typos_are_refused(isolated):
    lab = muselab.open(k_papers=2, progress=False)
    assert lab.settings.k_papers == 2
    assert len(lab.ask(QUESTION).papers) == 2
    with pytest.raises(BadInput, match="unknown setting 'k_paper'"):
        muselab.open(k_paper=2)


def test_import_muselab_loads_nothing_heavy():
    code = ("import sys, muselab; heavy = [m for m in ('numpy', 'pydantic', 'click', 'torch', 'onnxruntime') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr
