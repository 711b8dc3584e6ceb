"""Current models: families and aliases from the catalog's own names, named-model linking, and what ask does
with a model a question names."""

import json
import re

import pytest

from conftest import module_lab

from muselab.catalog.families import aliases_for, family_of, family_part, find, variants

SEED_004_NAMES = ["Midjourney", "DALL·E", "DALL·E 2", "DALL·E 3", "CLIP", "Stable Diffusion", "Imagen", "SDXL",
                  "Transfusion", "FLUX1.1 pro", "ComfyGen", "Open-VCLIP", "DyST", "MotionDirector", "GPT4Motion",
                  "StyleCrafter", "Stable Video Diffusion", "AnimateDiff", "Animate Anyone", "Outfit Anyone",
                  "SignLLM", "Shap-E", "MVDream", "3D-GPT", "AssetGen", "Zero123++", "TripoSR", "Depth Pro"]


@pytest.mark.parametrize("name, part", [
    ("wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors", "wan2.2"),
    ("qwen_image_edit_2509_fp8_e4m3fn", "qwen image edit 2509"),
    ("4x-UltraSharp", "UltraSharp"),
    ("Real-ESRGAN x4plus anime 6B", "Real ESRGAN"),
    ("Stable Diffusion XL", "Stable Diffusion XL"),
])
def test_family_part_stops_at_the_variant_qualifiers(name, part):
    assert family_part(name) == part


def test_published_family_names_refine_a_files_family():
    assert family_of(["z_image_turbo_bf16"], ["Z-Image", "Z-Image-Turbo"]) == "Z-Image-Turbo"
    assert family_of(["sd_xl_base_1.0"], ["SDXL", "SD1.5"]) == "SDXL"
    assert family_of(["flux1-dev-kontext_fp8_scaled"], ["FLUX.1", "FLUX.1 Kontext"]) == "FLUX.1 Kontext"


def test_names_match_on_word_boundaries_in_any_spelling():
    assert find("Wan 2.2", "videos with wan2.2 14B?") >= 0 and find("Wan 2.2", "WAN-2.2 loops") >= 0
    assert find("wan", "a swan22 lake") == -1 and find("Zero123", "zero123++ or not") == 0
    assert variants("FLUX.1 Kontext") == {"FLUX.1 Kontext", "FLUX Kontext"} and variants("GPT4Motion") == {"GPT4Motion"}


def test_aliases_of_bulk_names_must_read_as_names():
    assert aliases_for(["2x-Faithful"]) == []  # an everyday word from a bulk list is not a name
    assert aliases_for(["4x-UltraSharp"]) == ["UltraSharp"]
    assert "Imagen" in aliases_for([], ["Imagen"])  # a curated title counts


@pytest.fixture(scope="module")
def lab(tmp_path_factory, template_store):
    yield from module_lab(tmp_path_factory, template_store, "named")


@pytest.mark.parametrize("question, family", [
    ("How do you create quick videos 2-10 secs from an image with Wan 2.2?", "Wan2.2"),
    ("wan2.2 i2v 14B keeps looping", "Wan2.2"),
    ("Has anyone managed style transfer with qwen-image-edit-2509?", "Qwen-Image-Edit"),
    ("qwen image edit 2509 for relighting?", "Qwen-Image-Edit"),
    ("flux kontext dev: change the shirt colour only", "FLUX.1 Kontext"),
    ("Help! InfiniteTalk making overexposed, oversaturated videos", "Wan2.1 InfiniteTalk"),
])
def test_questions_link_the_family_they_name(lab, question, family):
    read = lab.retrieve(question)
    assert [link.family for link in read.linked][:1] == [family]
    assert read.models[0].named and read.models[0].model.family == family


def test_everyday_words_never_link_but_capitalised_acronyms_do(lab):
    from muselab.search.link import name_index

    index = name_index(lab.store)
    assert index.find("how do I make a short clip from my film?") == []
    assert [l.text for l in index.find("How does CLIP guide Stable Diffusion?")] == ["CLIP", "Stable Diffusion"]


def test_every_system_of_seed_004_is_found_first_and_linked(lab):
    from muselab.search.link import name_index

    index = name_index(lab.store)
    for name in SEED_004_NAMES:
        first = lab.search_models(name, k=3, mode="lexical")[0]
        wanted = {m.name for link in index.find(f"How does {name} work?") for m in lab.store.models(link.models)}
        assert wanted, f"{name} is not linked"
        assert first.name in wanted, (name, first.name)


def test_the_named_family_comes_first_even_from_a_sibling_task(lab):
    r = lab.ask("Has anyone managed style transfer with qwen-image-edit-2509?")
    assert r.task.id == "style-transfer"  # the name's words ('edit') do not decide the task
    assert r.models[0].family == "Qwen-Image-Edit"
    assert "**The model you named:** qwen-image-edit-2509 is in muselab's catalog" in r.markdown
    data = r.to_dict()
    assert data["linked"][0]["text"] == "qwen-image-edit-2509" and data["retrieval"]["models"][0]["fits_task"]


def test_a_model_outside_the_catalog_is_said_to_be(lab):
    r = lab.ask("Is Sora 2 better than Pika 2.2 for product videos?")
    assert r.to_dict()["not_in_catalog"] == ["Sora 2", "Pika 2.2"]
    assert "**Not in the catalog:** Sora 2 and Pika 2.2 are not in muselab's catalog" in r.markdown
    assert r.models and r.task.id == "video-generation"  # and the answer goes on with what the catalog has
    veo = lab.ask("Is Sora 2 better than Veo 3 for product videos?")  # Veo 3 is a curated record
    assert veo.to_dict()["not_in_catalog"] == ["Sora 2"] and veo.models[0].name == "Video-Veo-3-API"


def test_hardware_written_like_a_model_name_is_not_called_missing(lab):
    r = lab.ask("Can Sora 2 run on an AMD RX 7900 XTX, or only NVIDIA RTX 4090 cards at 24 FPS?")
    assert r.to_dict()["not_in_catalog"] == ["Sora 2"]  # a GPU, a vendor and a unit are not models


def test_the_named_model_is_called_first_only_when_it_is(lab):
    from muselab.answer.describe import readable

    for question in ("How do I get the Wan 2.2 video model to run faster with 4-step LoRAs?",
                     "Has anyone managed style transfer with qwen-image-edit-2509?"):
        r = lab.ask(question)
        said = re.search(r"\*\*The model you named:\*\* .*?; (.+?) is (recommended first|among the recommended models)",
                         r.markdown)
        assert said, question
        first = readable(r.models[0].display_name or r.models[0].name)
        assert (said.group(2) == "recommended first") == (said.group(1) == first), question


def test_a_question_naming_ten_models_links_them(lab):
    question = ("Wan 2.2 vs HunyuanVideo vs LTX-2 vs FLUX.1 Kontext vs Qwen-Image vs SDXL vs SeedVR2 vs BiRefNet "
                "vs Hunyuan3D vs Chroma: which is best?")
    read = lab.retrieve(question)
    assert len(read.linked) >= 9  # (how fast: bench/named.py measures it against a baseline)


@pytest.mark.parametrize("question", [
    "Help! InfiniteTalk making overexposed, oversaturated videos",
    "WAN 2.2 I2V LOOPING?? 😭",
    "flux1-dev-fp8.safetensors KSampler error: mat1 and mat2 shapes cannot be multiplied",
    "PSA: qwen-image-edit-2511 > 2509 for relighting",
    "sdxl_vae.safetensors???",
])
def test_real_questions_are_never_refused_for_their_wording(cli, question):
    result = cli("ask", question, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["parts"]["task"].startswith("## 1. Task")


def test_records_are_filed_by_what_they_do(lab):
    supir = [m for m in lab.store.models() if m.family.upper().startswith("SUPIR")]
    assert supir and all(m.task == "super-resolution" and "image-restoration" in m.capabilities for m in supir)
    r = lab.ask("How do background removers cut out a person so cleanly, even around hair?")
    assert r.task.id == "background-removal"
    assert any(m.family == "BiRefNet" for m in r.models)


def test_the_family_written_exactly_leads_its_versions(lab):
    read = lab.retrieve("I've been trying Qwen-Image: why do eight random seeds give nearly the same picture?")
    assert read.linked[0].text == "Qwen-Image"
    assert read.models[0].named and read.models[0].model.family == "Qwen-Image"  # not 'Qwen Image 2.1'


@pytest.mark.parametrize("question, paper, name", [
    ("I've been trying Qwen-Image: why do eight random seeds give nearly the same picture?", "2508.02324",
     "Qwen-Image"),
    ("In SD 1.5 why do my portraits get six fingers?", "2112.10752", "SD 1.5"),  # its models' family
    ("My Wan 2.2 clips stop moving after three seconds, why?", "2503.20314", "Wan 2.2"),  # a version of Wan
])
def test_the_paper_of_a_named_model_is_among_the_papers(lab, question, paper, name):
    r = lab.ask(question)
    assert paper in [p.id for p in r.papers]
    note = next(n for n in r.answer.notes if n.source.arxiv_id == paper)
    assert note.model == (name, True) and note.level != "loosely related"
    if note.mechanism is None:  # (a work the asked mechanism rests on says that instead)
        assert f"paper of {name}, " in r.markdown and "the question names" in r.markdown


def test_a_name_of_add_ons_brings_no_paper_of_their_base_model(lab):
    from muselab.search.works import model_papers

    links = [link for link in lab.retrieve("I use IP-Adapter FaceID for portraits").linked]
    assert links and links[0].text == "IP-Adapter FaceID"
    assert "2307.01952" not in model_papers(lab.store, links, [])  # its files sit under SDXL; SDXL's report is not its


def test_the_first_fitting_models_paper_is_shown_as_its_paper(lab):
    r = lab.ask("How do apps make smooth slow-motion video by creating frames in between the real ones?")
    first = next(m for m, fit in zip(r.models, r.retrieval.models) if fit.fits)
    note = next((n for n in r.answer.notes if n.model and not n.model[1]), None)
    assert note is not None and note.model[0] == (first.display_name or first.name)
    assert first.paper_url.endswith(note.source.arxiv_id)
