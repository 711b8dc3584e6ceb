"""Workflows: validation before anything runs, the executor and its cache, named inputs, ComfyUI export."""

import json
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from muselab.workflow.execute import node_registry
from muselab.workflow.graph import parse, validate

UPSCALE = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
    "2": {"class_type": "Upscale", "inputs": {"image": ["1", 0], "method": "lanczos", "scale": 2}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "up"}},
    "meta": {"title": "test", "models": [{"name": "SR-Lanczos", "role": "runs"}]},
}


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "in.png"
    y, x = np.mgrid[0:40, 0:60]
    Image.fromarray(np.stack([x * 4, y * 6, (x + y) * 2], -1).astype(np.uint8)).save(path)
    return path


def write(tmp_path, wf, name="wf.json"):
    path = tmp_path / name
    path.write_text(json.dumps(wf))
    return path


def test_builtin_nodes_are_registered_as_plugins():
    assert set(node_registry()) == {"LoadImage", "SaveImage", "Text", "StyleTransfer", "FastNeuralStyle", "Upscale",
                                    "LoadCheckpoint", "TextToImage", "ImageToImage"}


def test_every_problem_is_reported_at_once():
    bad = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "a.png", "max_pixels": 0}},
        "2": {"class_type": "Upscale", "inputs": {"image": ["1", 0], "scale": 9, "method": "magic"}},
        "3": {"class_type": "Text", "inputs": {"text": ["1", 0]}},
        "4": {"class_type": "Blur", "inputs": {}},
        "5": {"class_type": "StyleTransfer", "inputs": {"mode": "multistyle"}},
        "6": {"class_type": "Upscale", "inputs": {"image": ["9", 0], "colour": "red"}},
        "7": {"class_type": "Upscale", "inputs": {"image": ["8", 0]}},
        "8": {"class_type": "Upscale", "inputs": {"image": ["7", 0]}},
    }
    errors = Counter((e.node, e.kind) for e in validate(parse(bad), node_registry()))
    assert errors == Counter([
        ("1", "out_of_range"),                          # max_pixels below its minimum
        ("2", "out_of_range"), ("2", "out_of_range"),   # scale 9 > 8, and an unknown method: two problems
        ("3", "type_mismatch"),                         # an IMAGE linked into a TEXT input
        ("4", "unknown_class"),
        ("5", "missing_input"),                         # content is required
        ("6", "bad_link"), ("6", "unknown_input"),
        ("7", "cycle"),
        ("-", "no_output"),
    ])


def test_literal_for_a_link_only_port():
    wf = {"1": {"class_type": "Upscale", "inputs": {"image": "photo.png"}},
          "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}}
    [error] = validate(parse(wf), node_registry())
    assert (error.node, error.kind) == ("1", "type_mismatch")
    assert "takes a link from a IMAGE output" in error.message


def test_node_level_check():
    wf = {"1": {"class_type": "LoadImage", "inputs": {"image": "$content"}},
          "2": {"class_type": "StyleTransfer", "inputs": {"content": ["1", 0], "mode": "arbitrary"}},
          "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0]}}}
    [error] = validate(parse(wf), node_registry())
    assert error.kind == "invalid_node" and "needs a style image" in error.message


def test_invalid_workflow_runs_nothing(cli, tmp_path):
    wf = dict(UPSCALE)
    wf["2"] = {"class_type": "Upscale", "inputs": {"image": ["1", 0], "scale": 20}}
    out = tmp_path / "out"
    result = cli("run", write(tmp_path, wf), "--input", "image=x.png", "--out", out, "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["errors"][0] == {
        "node": "2", "kind": "out_of_range", "message": "input 'scale' is 20; the maximum is 8"}
    assert not out.exists()
    assert cli("workflow", "validate", write(tmp_path, wf)).exit_code == 2


def test_missing_and_unknown_named_inputs(cli, tmp_path):
    path = write(tmp_path, UPSCALE)
    result = cli("run", path, "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "error: node 1: missing_input: input 'image' is the workflow input 'image', which has no value: " \
           "give --input image=..." in result.stderr
    result = cli("run", path, "--input", "photo=x.png")
    assert result.exit_code == 2 and "the workflow has no input 'photo'; its inputs: image" in result.stderr


def test_run_caches_by_signature(cli, tmp_path, image):
    path, out = write(tmp_path, UPSCALE), tmp_path / "out"
    first = json.loads(cli("run", path, "--input", f"image={image}", "--out", out, "--format", "json").stdout)
    assert first["ran"] == ["1", "2", "3"] and first["cached"] == []
    again = json.loads(cli("run", path, "--input", f"image={image}", "--out", out, "--format", "json").stdout)
    assert again["ran"] == ["3"] and again["cached"] == ["1", "2"]  # the output node always writes
    changed = json.loads(cli("run", path, "--input", f"image={image}", "--set", "2.scale=3", "--out", out,
                             "--format", "json").stdout)
    assert changed["ran"] == ["2", "3"] and changed["cached"] == ["1"]
    Image.open(image).transpose(Image.FLIP_LEFT_RIGHT).save(image)  # the input file changed
    edited = json.loads(cli("run", path, "--input", f"image={image}", "--out", out, "--format", "json").stdout)
    assert edited["ran"] == ["1", "2", "3"]
    sizes = [Image.open(p).size for p in sorted(out.glob("*.png"))]
    assert sizes == [(120, 80), (120, 80), (180, 120), (120, 80)]


def test_png_carries_the_workflow(cli, tmp_path, image):
    out = tmp_path / "out"
    cli("run", write(tmp_path, UPSCALE), "--input", f"image={image}", "--out", out)
    png = Image.open(next(out.glob("up_*.png")))
    assert json.loads(png.text["workflow"])["2"]["class_type"] == "Upscale"
    assert json.loads(png.text["muselab:models"]) == [{"name": "SR-Lanczos", "role": "runs"}]


def test_cache_is_size_bounded(cli, tmp_path, image, monkeypatch, settings):
    monkeypatch.setenv("MUSELAB_WORKFLOW_CACHE_MB", "0")
    cli("run", write(tmp_path, UPSCALE), "--input", f"image={image}", "--out", tmp_path / "o")
    assert list((settings.cache_dir / "workflow-cache").glob("*.npz")) == []


def test_interrupt_stops_cleanly_and_keeps_finished_nodes(cli, tmp_path, image, monkeypatch):
    from muselab.nodes.upscale import Upscale

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:  # undo only this patch, never the test's isolation
        patch.setattr(Upscale, "execute", interrupted)
        result = cli("run", write(tmp_path, UPSCALE), "--input", f"image={image}", "--out", tmp_path / "o")
    assert result.exit_code == 130
    assert "interrupted in node 2 (Upscale); the nodes that finished are cached" in result.stderr
    rerun = json.loads(cli("run", write(tmp_path, UPSCALE), "--input", f"image={image}", "--out", tmp_path / "o",
                           "--format", "json").stdout)
    assert rerun["cached"] == ["1"]


def test_load_image_refuses_big_and_corrupt_files(cli, tmp_path, image):
    path = write(tmp_path, UPSCALE)
    result = cli("run", path, "--input", f"image={image}", "--set", "1.max_pixels=100")
    assert result.exit_code == 2 and "is 60x40 = 0.0 megapixels; the limit is 0.0" in result.stderr
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    result = cli("run", path, "--input", f"image={broken}")
    assert result.exit_code == 2 and f"cannot read image {broken}" in result.stderr


def test_export_comfyui(cli, tmp_path):
    sd = {
        "1": {"class_type": "LoadCheckpoint", "inputs": {"checkpoint": "/m/dreamshaper_8.safetensors"}},
        "2": {"class_type": "Text", "inputs": {"text": "a castle"}},
        "3": {"class_type": "TextToImage", "inputs": {"model": ["1", 0], "prompt": ["2", 0], "steps": 20, "seed": 7}},
        "4": {"class_type": "Upscale", "inputs": {"image": ["3", 0], "method": "realesrgan",
                                                  "model": "realesrgan-x4plus-anime", "scale": 4}},
        "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0]}},
    }
    out = tmp_path / "comfy.json"
    result = cli("workflow", "export-comfyui", write(tmp_path, sd), "--out", out)
    assert result.exit_code == 0, result.output
    graph = json.loads(out.read_text())
    kinds = [n["class_type"] for n in graph.values()]
    assert kinds == ["CheckpointLoaderSimple", "EmptyLatentImage", "CLIPTextEncode", "CLIPTextEncode", "KSampler",
                     "VAEDecode", "UpscaleModelLoader", "ImageUpscaleWithModel", "SaveImage"]
    sampler = next(n for n in graph.values() if n["class_type"] == "KSampler")["inputs"]
    assert sampler["seed"] == 7 and sampler["steps"] == 20 and sampler["model"] == ["1", 0]
    assert sampler["positive"] == ["3", 0] and sampler["latent_image"] == ["2", 0]
    assert graph["3"]["inputs"] == {"text": "a castle", "clip": ["1", 1]}
    assert graph["7"]["inputs"]["model_name"] == "RealESRGAN_x4plus_anime_6B.pth"


def test_export_says_which_nodes_cannot(cli, tmp_path):
    wf = dict(UPSCALE)
    wf["2"] = {"class_type": "Upscale", "inputs": {"image": ["1", 0], "method": "anime4k"}}
    result = cli("workflow", "export-comfyui", write(tmp_path, wf))
    assert result.exit_code == 2
    assert "error: node 2 (Upscale anime4k ) has no ComfyUI core equivalent" in result.stderr


def test_nodes_command(cli):
    out = cli("nodes").stdout
    assert "Upscale -> image: IMAGE" in out and "    scale: INT, 1..8, default 2" in out
    data = json.loads(cli("nodes", "--format", "json").stdout)
    assert data["SaveImage"]["output_node"] is True
