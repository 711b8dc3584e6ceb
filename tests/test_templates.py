"""A real workflow for every answer: ComfyUI templates handed over in API format with their model files,
exports a real ComfyUI accepts, runs on a ComfyUI server (the scripted one of comfy_fake.py)."""

import collections
import json
import re

import numpy as np
import pytest
from PIL import Image

import muselab
from comfy_fake import FakeComfy
from conftest import module_lab, run_muselab
from muselab.catalog.records import Template
from muselab.errors import MuselabError
from muselab.workflow.comfy_validate import validate_api
from muselab.workflow.graph import WorkflowInvalid
from muselab.workflow.stages import template_stages
from muselab.workflow.templates import TemplateInvalid, template_workflow

# measured on the built-in catalog: of its templates on local weights, these many become muselab workflows
CONVERTED_FLOOR = 235
WAN_I2V = "How would I animate one of my illustrations into a 5 second clip using Wan 2.2?"
UPSCALE = {"1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
           "2": {"class_type": "Upscale", "inputs": {"image": ["1", 0], "method": "lanczos", "scale": 2}},
           "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "muselab"}},
           "meta": {"inputs": {"image": "IMAGE"}}}


@pytest.fixture(scope="module")
def lab(tmp_path_factory, template_store):
    yield from module_lab(tmp_path_factory, template_store, "templates")


@pytest.fixture
def picture(tmp_path):
    rng = np.random.default_rng(3)
    path = tmp_path / "start.png"
    Image.fromarray(rng.integers(0, 255, (21, 34, 3), dtype=np.uint8)).save(path)
    return path


@pytest.fixture
def wan(lab, tmp_path):
    wf = lab.workflow_for(lab.ask(WAN_I2V))
    path = tmp_path / "wan.json"
    path.write_text(json.dumps(wf.to_json()))
    return path


def pixels(path):
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


# -- every template ------------------------------------------------------------------------------


def test_every_local_template_becomes_a_workflow_or_says_why(lab):
    done, failed, local = [], collections.Counter(), [t for t in lab.store.templates() if not t.api]
    for t in local:
        try:
            wf = template_workflow(lab.store.template(t.id))
        except TemplateInvalid as exc:
            assert exc.template_id == t.id and exc.details and t.id in str(exc)
            failed.update(line.split(": ")[1] for line in exc.details)
            continue
        done.append(t.id)
        assert "meta" not in wf.nodes and wf.meta["template"] == t.id and wf.meta["runs_on"] == "comfyui"
        for name, places in wf.placeholders().items():  # every input is declared, with its kind
            assert wf.meta["inputs"][name].split(" ")[0] in ("IMAGE", "VIDEO", "AUDIO", "TEXT"), (t.id, name)
        for node in wf.nodes.values():  # no example file left where a person's file goes
            if node["class_type"] in ("LoadImage", "LoadVideo", "LoadAudio"):
                assert any(str(v).startswith("$") for v in node["inputs"].values()), t.id
        assert lab.validate(wf) == [], t.id  # as shipped: what 0.3.64 lacks is the template's, not an error
    print(f"\n{len(done)} of {len(local)} local templates become workflows; {sum(failed.values())} problems stop "
          "the others: "
          f"{dict(failed)}")
    assert len(done) >= CONVERTED_FLOOR


def test_a_broken_template_is_reported_per_node_with_its_id():
    graph = {"nodes": [{"id": 1, "type": "LoadImage", "mode": 0, "widgets_values": ["a.png", "image"],
                        "inputs": [], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}]},
                       {"id": 2, "type": "NoSuchNode", "mode": 0, "widgets_values": [],
                        "inputs": [{"name": "image", "type": "IMAGE", "link": 1}], "outputs": []},
                       {"id": 3, "type": "SaveImage", "mode": 0, "widgets_values": ["x"],
                        "inputs": [{"name": "images", "type": "IMAGE", "link": 9}], "outputs": []}],
             "links": [[1, 1, 0, 2, 0, "IMAGE"]]}
    with pytest.raises(TemplateInvalid) as info:
        template_workflow(Template(id="broken_t", title="Broken", graph=graph))
    assert "template broken_t" in str(info.value)
    kinds = {line.split(": ")[1] for line in info.value.details}
    assert {"unknown_class", "bad_link"} <= kinds, info.value.details


def test_prompts_and_files_become_named_inputs(lab):
    wf = template_workflow(lab.store.template("video_wan2_2_14B_flf2v"))
    assert {"start_image", "end_image", "prompt"} <= set(wf.meta["inputs"])
    negative = [n["inputs"]["text"] for n in wf.nodes.values() if n["class_type"] == "CLIPTextEncode"
                and n["inputs"]["text"] != "$prompt"]
    assert len(negative) == 1 and negative[0]  # the negative prompt keeps its text
    assert wf.meta["defaults"]["prompt"] and not wf.meta["defaults"]["prompt"].startswith("$")


def test_stages_follow_the_graph(lab):
    stages = template_stages(lab.store.template("video_wan2_2_14B_i2v").graph)
    assert stages[0] == "LoadImage" and stages[-1] == "SaveVideo"
    assert "KSamplerAdvanced ×2" in stages  # the high-noise and low-noise experts
    assert stages.index("WanImageToVideo") < stages.index("KSamplerAdvanced ×2") < stages.index("VAEDecode")
    assert not any(re.match(r"Primitive|ComfySwitch|MarkdownNote", s) for s in stages)


# -- which workflow an answer hands over -----------------------------------------------------------


def test_wan_22_image_to_video_hands_over_the_template_with_its_files(wan):
    data = json.loads(wan.read_text())
    meta = data["meta"]
    assert meta["template"].startswith("video_wan2_2") and "i2v" in meta["template"]
    assert {"image", "prompt"} <= set(meta["inputs"]) and meta["runs_on"] == "comfyui"
    folders = {f["folder"] for f in meta["files"]}
    assert {"diffusion_models", "vae", "text_encoders"} <= folders
    assert all(f["url"].startswith("https://") and f["name"] for f in meta["files"])
    assert any(m["role"] == "runs" and "wan2-2" in m["name"].lower() for m in meta["models"])


@pytest.mark.parametrize("question, want, avoid", [
    ("Wan 2.2: turning a written scene description into a short video, which settings?", "t2v", "i2v"),
    ("flux kontext: how do I recolour a jacket in my photo and keep everything else?", "kontext", None),
])
def test_the_template_fits_what_the_question_has(lab, question, want, avoid):
    tid = lab.workflow_for(lab.ask(question)).meta["template"]
    assert want in tid and (avoid is None or avoid not in tid), tid


@pytest.mark.parametrize("model, question, task, want, avoid", [
    # a plain template of the model, not one of its specialised uses the question does not ask for
    ("Edit-qwen-image-edit-2509-fp8-e4m3fn", "How do I remove a person from the background of my holiday photo?",
     "image-editing", "qwen_image_edit", ("angles", "relight", "migration")),
    ("Txt2Img-sd-xl-base-1-0", "What does the seed do?", "text-to-image", "sdxl", ("revision",)),
    # 'AI images' are what the model makes, not a picture the user starts from
    ("Txt2Img-qwen-image-fp8-e4m3fn", "Why do AI images so often give people six fingers?", "text-to-image",
     "qwen_image", ("control", "edit")),
    # a model made to start from a picture keeps its own template; a clip to edit goes to a video-to-video one
    ("Video-wan2-2-i2v-low-noise-14B-fp8-scaled", "Why do my Wan clips look like slow motion?", "video-generation", "i2v",
     ("t2v",)),
    ("Video-wan2-1-vace-14B-fp16", "I painted a hat on the first frame of my cat video; how does it follow her "
     "through the whole clip?", "video-editing", "v2v", ("t2v",)),
])
def test_the_template_is_the_models_plain_one_for_what_the_question_has(lab, model, question, task, want, avoid):
    from muselab.workflow.choose import best_template

    t, _ = best_template([lab.store.model(model)], question, lab.store.tasks()[task], lab.store)
    assert want in t.id.lower() and not any(a in t.id.lower() for a in avoid), t.id


def test_a_model_muselab_runs_here_keeps_the_local_workflow(lab):
    wf = lab.workflow_for(lab.ask("How do I upscale an anime screenshot 2x without blurring the lines?"))
    assert wf.meta.get("runs_on") != "comfyui" and lab.validate(wf) == []


def test_the_answer_describes_the_templates_stages(lab):
    result = lab.ask(WAN_I2V)
    card = result.answer.template
    assert card and card["id"].startswith("video_wan2_2") and card["stages"][-1] == "SaveVideo"
    from muselab.answer.render import SHORT_STAGES

    # the first stages, and how many more (a short answer over its length shows fewer: SHORT_STAGES - 2)
    line = next(l for l in result.markdown.splitlines() if l.startswith("**As a ComfyUI workflow:**"))
    more = re.search(r"… \((\d+) more\)", line)
    shown = len(card["stages"]) - int(more.group(1)) if more else len(card["stages"])
    assert SHORT_STAGES - 3 <= shown <= SHORT_STAGES and " → ".join(card["stages"][:shown]) in line
    assert " → ".join(card["stages"]) in lab.ask(WAN_I2V, detail="full").markdown  # the whole graph in full
    assert result.to_dict()["answer"]["template"]["id"] == card["id"] if "answer" in result.to_dict() else True


# -- export-comfyui ------------------------------------------------------------------------------


def test_export_fills_every_input_and_validates_against_the_schemas(cli, wan, picture, tmp_path):
    out = tmp_path / "wan.api.json"
    result = cli("workflow", "export-comfyui", wan, "--input", f"image={picture}", "--out", out)
    assert result.exit_code == 0, result.output
    graph = json.loads(out.read_text())
    assert "meta" not in graph and graph
    assert not [v for n in graph.values() for v in n["inputs"].values() if isinstance(v, str) and v.startswith("$")]
    assert any(n["class_type"] == "LoadImage" and n["inputs"]["image"] == picture.name for n in graph.values())
    assert "example text was used" in result.stderr  # the prompt took the template's own


def test_export_refuses_unfilled_inputs_and_writes_nothing(wan, tmp_path):
    out = tmp_path / "never.json"
    done = run_muselab("workflow", "export-comfyui", wan, "--out", out)
    assert done.returncode == 2 and not out.exists()
    assert "image" in done.stderr and "--input image=PATH" in done.stderr and "Traceback" not in done.stderr


def test_export_catches_a_value_the_schema_does_not_allow(lab, wan, picture):
    data = json.loads(wan.read_text())
    sampler = next(k for k, n in data.items() if k != "meta" and n["class_type"].startswith("KSampler"))
    data[sampler]["inputs"]["sampler_name"] = "no_such_sampler"
    with pytest.raises(WorkflowInvalid) as info:
        lab.export_comfyui(data, {"image": str(picture)})
    assert any(sampler in line and "no_such_sampler" in line for line in info.value.details)


def test_muselab_nodes_export_to_their_core_equivalents(lab, picture):
    graph = lab.export_comfyui(UPSCALE, {"image": str(picture)})
    assert [n["class_type"] for n in graph.values()] == ["LoadImage", "ImageScaleBy", "SaveImage"]
    assert validate_api(graph) == []


@pytest.mark.parametrize("node, pack", [
    ({"class_type": "StyleTransfer", "inputs": {"content": ["1", 0], "mode": "arbitrary"}}, "Fast-Style-Transfer"),
    ({"class_type": "Upscale", "inputs": {"image": ["1", 0], "method": "realcugan"}}, "no custom node pack"),
])
def test_a_node_without_a_core_equivalent_names_a_pack_or_says_there_is_none(lab, node, pack, picture):
    wf = json.loads(json.dumps(UPSCALE))
    wf["2"] = node
    if node["class_type"] == "StyleTransfer":
        wf["1"]["inputs"]["image"] = "$content"
        wf["meta"] = {"inputs": {"content": "IMAGE"}}
        wf["4"] = {"class_type": "LoadImage", "inputs": {"image": "$style"}}
        wf["2"]["inputs"]["style"] = ["4", 0]
    with pytest.raises(MuselabError) as info:
        lab.export_comfyui(wf)
    assert any(pack in line for line in info.value.details), info.value.details


# -- what a workflow needs -------------------------------------------------------------------------


def test_workflow_models_says_what_is_there_and_where_the_rest_comes_from(cli, wan, tmp_path):
    meta = json.loads(wan.read_text())["meta"]
    vae = next(f for f in meta["files"] if f["folder"] == "vae")
    (tmp_path / "ComfyUI" / "models" / "vae").mkdir(parents=True)
    (tmp_path / "ComfyUI" / "models" / "vae" / vae["name"]).write_bytes(b"x")
    result = cli("workflow", "models", wan, "--comfyui-dir", tmp_path / "ComfyUI", "--format", "json")
    files = {f["name"]: f for f in json.loads(result.stdout)["files"]}
    assert files[vae["name"]]["present"] is True
    assert json.loads(result.stdout)["missing"] == len(meta["files"]) - 1
    assert all(f["url"] and f["folder"] for f in files.values() if not f["present"])
    checked = cli("workflow", "models", wan, "--comfyui-dir", tmp_path / "ComfyUI", "--check")
    assert checked.exit_code == 1 and "MISSING" in checked.stdout
    assert cli("workflow", "models", wan, "--comfyui-dir", tmp_path / "nowhere").exit_code == 2


# -- running on a ComfyUI server -------------------------------------------------------------------


def test_run_on_a_server_gives_the_local_pixels_with_progress(tmp_path, picture):
    wf = tmp_path / "up.json"
    wf.write_text(json.dumps(UPSCALE))
    with FakeComfy(tmp_path / "server") as server:
        remote = run_muselab("run", wf, "--on", server.url, "--input", f"image={picture}", "--out", tmp_path / "r",
                             env={"MUSELAB_PROGRESS": "true"})
        assert remote.returncode == 0, remote.stderr
        assert "ImageScaleBy" in remote.stderr and "steps" in remote.stderr  # the server's progress, live
    local = run_muselab("run", wf, "--input", f"image={picture}", "--out", tmp_path / "l")
    assert local.returncode == 0, local.stderr
    [r], [l] = list((tmp_path / "r").glob("*.png")), list((tmp_path / "l").glob("*.png"))
    assert np.array_equal(pixels(r), pixels(l))


def test_a_server_without_the_model_files_is_told_before_anything_is_queued(lab, tmp_path, picture):
    wf = {"1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
          "2": {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "4x-UltraSharp.pth"}},
          "3": {"class_type": "ImageUpscaleWithModel", "inputs": {"upscale_model": ["2", 0], "image": ["1", 0]}},
          "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "up"}},
          "meta": {"runs_on": "comfyui", "inputs": {"image": "IMAGE"},
                   "files": [{"name": "4x-UltraSharp.pth", "folder": "upscale_models",
                              "url": "https://example.org/4x-UltraSharp.pth"}]}}
    with FakeComfy(tmp_path / "server") as server:
        with pytest.raises(MuselabError) as info:
            lab.run(wf, {"image": str(picture)}, out_dir=tmp_path / "out", on=server.url)
        assert info.value.exit_code == 2 and "nothing was queued" in str(info.value)
        assert any("upscale_models" in d and "https://example.org/4x-UltraSharp.pth" in d for d in info.value.details)
        assert ("POST", "/prompt") not in server.log
        server.models["upscale_models"].append("4x-UltraSharp.pth")
        report = lab.run(wf, {"image": str(picture)}, out_dir=tmp_path / "out", on=server.url)
    [saved] = report.saved
    assert pixels(saved).shape[:2] == (4 * 21, 4 * 34)


def test_a_template_asks_for_a_server_when_run_here(wan, picture):
    done = run_muselab("run", wan, "--input", f"image={picture}")
    assert done.returncode == 2 and "--on" in done.stderr and "Traceback" not in done.stderr


def test_a_template_goes_to_the_server_with_its_prompt_filled(lab, wan, picture, tmp_path):
    """The scripted server knows only three node classes: it refuses Wan's with ComfyUI's own error,
    which comes back per node -- after the image was uploaded and the prompt filled in."""
    with FakeComfy(tmp_path / "server") as server:
        with pytest.raises(WorkflowInvalid) as info:
            lab.run(wan, {"image": str(picture), "prompt": "a dragon turns its head"}, on=server.url)
        assert ("POST", "/upload/image") in server.log
    assert any("unknown_class" in d for d in info.value.details)
