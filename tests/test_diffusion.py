"""Stable Diffusion 1.5 nodes with a tiny random pipeline, loaded like a real single-file checkpoint, offline."""

import json
import socket

import numpy as np
import pytest
from PIL import Image

from tiny_sd import TINY, make_tiny_checkpoint


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_checkpoint(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test: loading must need nothing from a hub."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[1:] if len(args) > 1 else args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_clip_tokenizer_built_from_open_clip(settings):
    from transformers import CLIPTokenizer

    from muselab.nodes.sd15 import config_dir

    folder = config_dir(settings.cache_dir)
    tok = CLIPTokenizer.from_pretrained(str(folder), subfolder="tokenizer", local_files_only=True)
    assert len(tok) == 49408
    assert tok("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]


def test_single_file_load_round_trips_the_weights(tiny, settings, no_network):
    import torch
    from diffusers import UNet2DConditionModel

    from muselab.nodes.sd15 import config_dir, load_pipeline

    ckpt, source = tiny
    pipe = load_pipeline(str(ckpt), str(config_dir(settings.cache_dir / "t", source=source)), "txt2img")
    torch.manual_seed(0)
    unet = UNet2DConditionModel(**{k: v for k, v in TINY["unet"].items() if not k.startswith("_")})
    for name, value in unet.state_dict().items():
        assert torch.equal(pipe.unet.state_dict()[name], value), name


def workflow(tmp_path, ckpt, source, extra=None):
    wf = {
        "1": {"class_type": "LoadCheckpoint", "inputs": {"checkpoint": str(ckpt), "config": str(source)}},
        "2": {"class_type": "Text", "inputs": {"text": "$prompt"}},
        "3": {"class_type": "TextToImage", "inputs": {"model": ["1", 0], "prompt": ["2", 0], "width": 64,
                                                      "height": 64, "steps": 2, "seed": 0, "scheduler": "ddim"}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "t2i"}},
        **(extra or {}),
    }
    path = tmp_path / "sd.json"
    path.write_text(json.dumps(wf))
    return path


def test_text_to_image_through_run(cli, tiny, tmp_path, no_network):
    ckpt, source = tiny
    path = workflow(tmp_path, ckpt, source)
    out = tmp_path / "out"
    first = cli("run", path, "--input", "prompt=a red cube", "--out", out, "--format", "json")
    assert first.exit_code == 0, first.output
    cli("run", path, "--input", "prompt=a red cube", "--out", out, "--no-cache", "--format", "json")
    other = cli("run", path, "--input", "prompt=a red cube", "--set", "3.seed=1", "--out", out, "--format", "json")
    images = [np.asarray(Image.open(p)) for p in sorted(out.glob("t2i_*.png"))]
    assert [i.shape for i in images] == [(64, 64, 3)] * 3
    assert np.array_equal(images[0], images[1])  # same seed, same image
    assert not np.array_equal(images[0], images[2])
    assert json.loads(other.stdout)["cached"] == ["1", "2"]


def test_image_to_image_through_run(cli, tiny, tmp_path, no_network):
    ckpt, source = tiny
    Image.fromarray(np.full((64, 64, 3), 200, np.uint8)).save(tmp_path / "in.png")
    extra = {
        "5": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
        "6": {"class_type": "ImageToImage", "inputs": {"model": ["1", 0], "image": ["5", 0], "prompt": ["2", 0],
                                                       "strength": 0.5, "steps": 2, "seed": 0, "scheduler": "euler"}},
        "7": {"class_type": "SaveImage", "inputs": {"images": ["6", 0], "filename_prefix": "i2i"}},
    }
    result = cli("run", workflow(tmp_path, ckpt, source, extra), "--input", "prompt=snow", "--input",
                 f"image={tmp_path / 'in.png'}", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert Image.open(next((tmp_path / "out").glob("i2i_*.png"))).size == (64, 64)


def test_not_a_checkpoint(cli, tiny, tmp_path):
    bogus = tmp_path / "bogus.safetensors"
    bogus.write_bytes(b"definitely not safetensors")
    _, source = tiny
    result = cli("run", workflow(tmp_path, bogus, source), "--input", "prompt=x", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "cannot load bogus.safetensors as a Stable Diffusion 1.x checkpoint" in result.stderr


def test_width_must_be_a_multiple_of_eight(cli, tiny, tmp_path):
    ckpt, source = tiny
    path = workflow(tmp_path, ckpt, source)
    result = cli("run", path, "--input", "prompt=x", "--set", "3.width=100")
    assert result.exit_code == 2 and "width must be a multiple of 8, got 100" in result.stderr
