"""`muselab ask`: task, models and papers from the catalog, then the same grounded answer."""

import json
import subprocess
import sys

import pytest

from conftest import CHECKER, need_shared, run_muselab
from muselab.context import parse_prompt
from muselab.answer.verify import verify

ANIME = ("I enlarged a blurry illustration by 2x and it looked like crisp anime art. "
         "How do AI models enhance cartoon-style images so sharply?")


def test_anime_upscale_question(cli, store, tmp_path):
    data = json.loads(cli("ask", ANIME, "--format", "json").stdout)
    assert data["task"]["id"] == "super-resolution" and 0 < data["task"]["confidence"] <= 1
    models = data["retrieval"]["models"]
    top = store.model(models[0]["name"])
    assert top.task == "super-resolution" and "anime" in (" ".join(top.tags) + top.category).lower()
    assert all(m["fits_task"] for m in models)
    assert not any(store.model(m["name"]).task == "text-to-image" for m in models)
    papers = data["retrieval"]["papers"]
    assert len(papers) == 5
    assert sum("resolution" in (p["title"] + store.paper(p["id"]).summary).lower() for p in papers) >= 3
    # the answer is grounded in the prompt that `--show-prompt` prints
    prompt = cli("ask", ANIME, "--show-prompt").stdout
    assert prompt == data["prompt"]
    ctx = parse_prompt(prompt)
    assert [m.name for m in ctx.models] == [m["name"] for m in models]
    answer = cli("ask", ANIME).stdout
    assert verify(answer, ctx, store.model_names()) == []
    need_shared()
    (tmp_path / "prompt.txt").write_text(prompt, encoding="utf-8")
    checked = subprocess.run([sys.executable, str(CHECKER), str(tmp_path / "prompt.txt"), "-"], input=answer,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout


def test_papers_are_not_near_duplicates(cli, embedder, store):
    from muselab.search.index import load_index

    data = json.loads(cli("ask", "text to video diffusion models", "--format", "json", "--k-papers", "8").stdout)
    index = load_index(store, "papers", embedder.space)
    vecs = [index.vector(p["id"]) for p in data["retrieval"]["papers"]]
    for i in range(len(vecs)):
        for j in range(i):
            assert float(vecs[i] @ vecs[j]) < 0.93


@pytest.mark.parametrize("question, task", [
    ("Should I get an RTX 5090 or is 16GB of VRAM enough for video models?", "hardware-installation"),
    ("What model was used to make this picture?", "model-identification"),
    ("How do I turn my photo into a Van Gogh style painting?", "style-transfer"),
    ("How can I make a LoRA of my dog?", "personalization"),
    ("My singer avatar's mouth keeps flapping between the lines of my song, why?", "lip-sync"),
    ("Can AI turn a photo of my cat into a Minecraft statue?", "image-to-3d"),
])
def test_task_identification(cli, question, task):
    data = json.loads(cli("ask", question, "--format", "json").stdout)
    assert data["task"]["id"] == task


@pytest.mark.parametrize("question", [
    "How does AI blend 'photographic' and 'digital illustration' in one prompt?",
    "What model was used to make this picture?",
])
def test_models_outside_the_task_do_not_fill_the_list(cli, store, question):
    data = json.loads(cli("ask", question, "--format", "json", "--k-models", "5").stdout)
    models = data["retrieval"]["models"]
    assert models and all(m["fits_task"] for m in models), models
    assert "does not fit" not in data["markdown"]


def test_models_the_question_names_are_its_context(cli):
    data = json.loads(cli("ask", "Which GPU do I need to run SDXL locally?", "--format", "json").stdout)
    assert data["task"]["id"] == "hardware-installation"
    names = [m["name"] for m in data["retrieval"]["models"]]
    assert names and all(m["family"].startswith("SDXL") for m in data["models"]), names


def test_a_question_that_starts_from_a_photo_gets_a_model_that_takes_one(cli, store):
    data = json.loads(cli("ask", "How do I turn a photo into a short video clip?", "--format", "json").stdout)
    top = store.model(data["retrieval"]["models"][0]["name"])
    assert top.task == "video-generation" and "image" in top.input_modalities
    # Tune-A-Video learns from a source video: it is not an image-to-video model
    assert store.model("Video-Tune-A-Video").input_modalities == ["text", "video"]


def test_help_topic_gets_a_sensible_answer(cli):
    answer = cli("ask", "ComfyUI crashes with out of memory on my 8GB GPU, what should I change?").stdout
    assert "**Installation, hardware and performance**" in answer
    assert "does not fit" not in answer  # models are context here, not candidates for the task
    assert "VRAM" in answer and "→" in answer


def test_a_two_part_question_keeps_both_tasks_in_order(cli):
    data = json.loads(cli("ask", "How do I inpaint a face and then upscale it?", "--format", "json").stdout)
    assert {data["task"]["id"], data["task"]["second"]} == {"inpainting", "super-resolution"}
    said = data["markdown"].split("## 2.")[0]
    assert "two things, in this order: **inpainting" in said and said.index("inpainting") < said.index("upscaling")
    later = json.loads(cli("ask", "Can I colorize an old family photo and restore the scratches too?",
                           "--format", "json").stdout)
    assert {later["task"]["id"], later["task"]["second"]} == {"colorization", "image-restoration"}
    assert "in this order: **colorization" in later["markdown"]
    clear = json.loads(cli("ask", ANIME, "--format", "json").stdout)
    assert clear["task"]["second"] is None and "two things" not in clear["markdown"]


def test_a_next_step_of_the_same_family_is_a_second_part_with_its_own_tool(cli):
    # frame interpolation sits under video generation, but starts from the clip it makes: a step of its own
    data = json.loads(cli("ask", "I generate clips with Wan 2.2 text-to-video. Why must the length be 81 frames, "
                          "and how do I get smooth 30 fps videos?", "--format", "json").stdout)
    assert (data["task"]["id"], data["task"]["second"]) == ("video-generation", "frame-interpolation")
    models = [m["name"] for m in data["retrieval"]["models"]]
    assert models[0].startswith("Video-wan2") and models[-1].startswith("Interp-"), models
    assert "Then, video frame interpolation:" in data["markdown"]
    # the software a question is asked in ('my ComfyUI workflow') is not a part of its own
    where = json.loads(cli("ask", "In my ComfyUI workflow, how do I inpaint a face so the skin matches?",
                           "--format", "json").stdout)
    assert where["task"]["second"] is None


def test_options_change_counts(cli):
    data = json.loads(cli("ask", ANIME, "--format", "json", "--k-models", "1", "--k-papers", "2").stdout)
    assert len(data["retrieval"]["models"]) == 1 and len(data["retrieval"]["papers"]) == 2


def test_modes(cli):
    found = {}
    for mode in ("lexical", "dense", "hybrid", "task"):
        data = json.loads(cli("ask", ANIME, "--format", "json", "--mode", mode, "--k-papers", "10").stdout)
        assert data["retrieval"]["mode"] == mode and len(data["retrieval"]["papers"]) == 10
        found[mode] = [p["id"] for p in data["retrieval"]["papers"]]
    # each mode ranks by its own evidence: no two give the same list
    assert len({tuple(ids) for ids in found.values()}) == 4, found
    # hybrid fuses the two plain rankings: its list shares papers with both
    assert set(found["hybrid"]) & set(found["lexical"]) and set(found["hybrid"]) & set(found["dense"])


def error_line(proc):
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("question, fragment", [
    ("", "the question is empty"),
    ("   \n\t ", "the question is empty"),
    ("x" * 100_000, "the question is 100,000 characters; the limit is 4,000"),
    ("How do upscalers work?\x1b[31m", "control character ('\\x1b' at position 22)"),
    ("Wie funktionieren diese Bildvergrößerer für Animebilder eigentlich genau?", "does not look English"),
    ("アニメ風の画像を高解像度にするにはどうすればいいですか", "does not look English"),
])
def test_bad_questions(question, fragment):
    assert fragment in error_line(run_muselab("ask", question))


def test_store_without_papers(tmp_path, store):
    with store.transaction():
        store.conn.execute("DELETE FROM papers")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    line = error_line(run_muselab("ask", ANIME))
    assert "the catalog has no papers; add some with `muselab ingest arxiv" in line


def test_corrupted_store(tmp_path):
    db = tmp_path / "bad.db"
    db.write_bytes(b"\x00garbage" * 1000)
    assert "is damaged" in error_line(run_muselab("--db", db, "ask", ANIME))


def test_a_named_models_paper_goes_after_the_two_best_and_only_once():
    from muselab.search.papers import Hit, with_named

    hits = [Hit(str(i), 1.0 / (i + 1)) for i in range(8)]
    out = with_named(hits, ["6", "new"], 5)
    assert [h.id for h in out[:5]] == ["0", "1", "6", "new", "2"]
    assert len({h.id for h in out}) == len(out) == 9  # moved, not copied
    assert with_named(hits, ["1"], 5) == hits  # already among the first: left where it is


def test_the_mechanisms_canon_leads_and_keeps_the_works_already_shown():
    from muselab.search.papers import CITED_FIRST, Hit, with_cited

    hits = [Hit(str(i), 1.0 / (i + 1)) for i in range(8)]
    # '4' is already among the first five: it stays there, and the first work listed that is not joins it
    out = [h.id for h in with_cited(hits, ["7", "4", "9"], 5)]
    assert CITED_FIRST == 3 and out[:3] == ["4", "7", "9"] and out[3:6] == ["0", "1", "2"]
    assert len(out) == len(set(out)) == 9  # moved, not copied; an unranked work added
    assert with_cited(hits, [], 5) == hits
    # enough of its works shown already: nothing new comes in, they only move to the top
    assert [h.id for h in with_cited(hits, ["3", "1", "2"], 5)][:4] == ["1", "2", "3", "0"]
