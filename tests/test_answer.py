"""`muselab answer` on the seed prompts: three parts, grounded, checked twice."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CHECKER, SEEDS, need_shared, run_muselab
from muselab.context import parse_prompt
from muselab.answer.verify import verify

SNAPSHOTS = Path(__file__).parent / "snapshots"
EXAMPLES = ["animation-styles", "style-mixing", "anime-upscale", "soft-portrait"]


def external_check(prompt: Path, answer: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECKER), str(prompt), "-"], input=answer,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("index", range(4))
def test_seed_answer_is_grounded(cli, store, index):
    need_shared()
    seed = SEEDS[index]
    result = cli("answer", seed)
    assert result.exit_code == 0, result.output
    answer = result.stdout
    for heading in ("## 1. Task", "## 2. Workflow (input → model → output)", "## 3. Papers and tools"):
        assert heading in answer
    ctx = parse_prompt(seed.read_text(encoding="utf-8"))
    assert verify(answer, ctx, store.model_names()) == []
    checked = external_check(seed, answer)
    assert checked.returncode == 0, checked.stdout
    assert "ok: 0 hard finding(s), 0 note(s)" in checked.stdout  # every given paper is mentioned too
    for source in ctx.sources:
        assert source.name in answer
        for link in source.links:
            assert link in answer


def test_upscaling_question_names_the_mismatch(cli):
    need_shared()
    answer = cli("answer", SEEDS[2]).stdout
    task_part = answer.split("## 2.")[0]
    assert "**Super-resolution and upscaling**" in task_part
    assert "does not perform super-resolution and upscaling itself" in task_part
    assert "**Does it fit the question?** No." in answer
    assert "low denoising strength" in answer  # what the checkpoint can still do


def test_fitting_model_has_no_mismatch(cli):
    need_shared()
    answer = cli("answer", SEEDS[0]).stdout
    assert "does not fit" not in answer
    assert "**Neural style transfer and stylization**" in answer


def test_style_mixing_explains_the_weights(cli):
    need_shared()
    answer = cli("answer", SEEDS[1]).stdout
    assert "cross-attention" in answer and "(phrase:1.3)" in answer
    assert "classifier-free guidance" in answer.lower()


def test_papers_are_ordered_by_relevance_and_loose_ones_said_so(cli):
    need_shared()
    data = json.loads(cli("answer", SEEDS[1], "--format", "json").stdout)
    papers = data["papers"]
    assert papers[0]["title"].startswith("Visual Style Prompting")
    assert [p["score"] for p in papers] == sorted((p["score"] for p in papers), reverse=True)
    assert papers[-1]["relevance"] == "loosely related"
    assert "Only loosely related" in data["markdown"]


def test_json_format_has_the_parts(cli):
    data = json.loads(cli("answer", "--example", "anime-upscale", "--format", "json").stdout)
    assert set(data["parts"]) == {"task", "workflow", "sources"}
    assert data["task"]["id"] == "super-resolution"
    first = data["models"][0]
    assert {k: first[k] for k in ("name", "task", "fits_task", "in_catalog", "links")} == {
        "name": "Txt2Img-StableDiffusionV1-DreamShaper", "task": "text-to-image", "fits_task": False,
        "in_catalog": True, "links": ["https://github.com/Kameronski/stable-diffusion-1.5"]}
    assert first["display_name"] == "DreamShaper (Stable Diffusion 1.5 checkpoint)" and first["runs_here"] is False


@pytest.mark.parametrize("example", EXAMPLES)
def test_answer_snapshot(cli, example):
    """The answers are stable. After a deliberate change, MUSELAB_UPDATE_SNAPSHOTS=1 rewrites the snapshot and
    skips: a run that rewrites never asserts (and CI fails on skips)."""
    answer = cli("answer", "--example", example).stdout
    snap = SNAPSHOTS / f"answer-{example}.md"
    if os.environ.get("MUSELAB_UPDATE_SNAPSHOTS") == "1":
        snap.write_text(answer, encoding="utf-8")
        pytest.skip(f"rewrote {snap.name}; review the diff, then run the tests without MUSELAB_UPDATE_SNAPSHOTS")
    assert answer == snap.read_text(encoding="utf-8")


def test_unknown_model_is_answered_from_its_name(cli, tmp_path):
    need_shared()
    text = SEEDS[2].read_text(encoding="utf-8").replace("Txt2Img-StableDiffusionV1-DreamShaper", "SR-SomeNewUpscaler-x2")
    prompt = tmp_path / "p.txt"
    prompt.write_text(text, encoding="utf-8")
    answer = cli("answer", prompt).stdout
    assert "does not fit" not in answer  # an SR model fits an upscaling question
    assert "is not in muselab's catalog; its task was read from its name" in answer
    assert external_check(prompt, answer).returncode == 0


def test_answer_imports_no_heavy_library():
    need_shared()
    code = (
        "import sys; from click.testing import CliRunner; from muselab.cli import cli; "
        f"r = CliRunner().invoke(cli, ['answer', {str(SEEDS[0])!r}]); assert r.exit_code == 0, r.output; "
        "heavy = [m for m in ('torch', 'onnxruntime', 'diffusers', 'transformers', 'sentence_transformers', "
        "'numpy', 'PIL') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_answer_from_stdin(cli):
    need_shared()
    result = cli("answer", "-", input=SEEDS[3].read_text(encoding="utf-8"))
    assert result.exit_code == 0
    assert "Txt2Img-StableDiffusionV1-QGO-PromptingReal" in result.stdout


def test_real_process_exit_code_and_output():
    need_shared()
    proc = run_muselab("answer", SEEDS[0])
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("## 1. Task")


def test_the_projects_own_knowledge_never_trips_the_verifier(store):
    """Architectures, explainers and family notes go into answers as written: none may read as a catalog
    model name outside the given ones (the verifier would refuse the whole answer)."""
    from muselab.answer.verify import outside_names
    from muselab.catalog.knowledge import architectures, explainers, family_knowledge
    from muselab.context import Context

    ctx, names, texts = Context(question="q", models=[], papers=[]), store.model_names(), []
    for a in architectures().values():
        texts += [a.name, a.about, a.chain.input, a.chain.output, *a.chain.steps, *a.chain.settings]
    for e in explainers():
        texts += [e.title, e.answer, e.details, *e.settings, *e.failures]
    texts += [f.get(k, "") for f in family_knowledge() for k in ("about", "why")]
    assert len(texts) > 1500
    assert [(t[:60], outside_names(t, ctx, names)) for t in texts if outside_names(t, ctx, names)] == []
