"""FastNeuralStyle: feed-forward style networks from a local .pth file, on CPU with torch.

Two published layouts are recognised from the state dict's keys:
  * pytorch/examples fast_neural_style `TransformerNet` (the candy, mosaic,
    rain_princess and udnie weights): keys like `conv1.conv2d.weight`, RGB in 0-255;
  * rrmina/fast-neural-style-pytorch `TransformerNetwork`: keys like
    `ConvBlock.0.conv_layer.weight`, BGR in 0-255 (its images come from OpenCV).
The modules below are written for muselab with the same parameter names, so
those files load as they are.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from muselab.errors import MuselabError
from muselab.nodes.base import BOOL, FILE, FLOAT, IMAGE, Node, Port, file_stamp


def _modules():
    """The two layouts' torch modules (torch is imported only now)."""
    from muselab.nodes.fast_style_nets import TransformerNet, TransformerNetwork

    return TransformerNet, TransformerNetwork


def architecture(state: dict) -> str:
    if "conv1.conv2d.weight" in state and "res5.conv2.conv2d.weight" in state:
        return "pytorch-examples"
    if "ConvBlock.0.conv_layer.weight" in state and "DeconvBlock.4.conv_layer.weight" in state:
        return "rrmina"
    sample = ", ".join(list(state)[:3])
    raise MuselabError("these weights fit neither pytorch/examples' TransformerNet (keys like conv1.conv2d.weight) "
                       f"nor rrmina's TransformerNetwork (keys like ConvBlock.0.conv_layer.weight); found {sample}")


@lru_cache(maxsize=4)
def load_network(path: str, stamp: str):
    """(network, architecture) from a .pth state dict; `stamp` changes when the file does."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise MuselabError(f"style weights not found: {path}") from None
    except Exception as exc:  # a pickle that is not a plain state dict, a truncated file, ...
        raise MuselabError(f"cannot read {Path(path).name} as a PyTorch state dict: {str(exc).splitlines()[0]}") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise MuselabError(f"{Path(path).name} holds a {type(state).__name__}, not a state dict")
    # checkpoints saved by old PyTorch versions carry InstanceNorm running stats the network does not use
    state = {k: v for k, v in state.items() if not re.search(r"running_(mean|var)$|num_batches_tracked$", k)}
    arch = architecture(state)
    net_cls = _modules()[0 if arch == "pytorch-examples" else 1]
    net = net_cls()
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise MuselabError(f"{Path(path).name} looks like {arch} weights but does not fit: {str(exc).splitlines()[1:2]}") from None
    return net.eval(), arch


def stylize(net, arch: str, image: np.ndarray) -> np.ndarray:
    """One forward pass: uint8 HxWx3 RGB in, uint8 RGB out (0-255 is the networks' own range)."""
    import torch

    x = image[..., ::-1] if arch == "rrmina" else image  # rrmina's networks were trained on BGR images
    t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))).float().unsqueeze(0)
    with torch.inference_mode():
        y = net(t)[0].clamp(0, 255).numpy().transpose(1, 2, 0)
    y = y[..., ::-1] if arch == "rrmina" else y
    return np.ascontiguousarray(y[: image.shape[0], : image.shape[1]]).round().astype(np.uint8)


class FastNeuralStyle(Node):
    NAME = "FastNeuralStyle"
    DESCRIPTION = ("A feed-forward style network from a local .pth: pytorch/examples TransformerNet (candy, mosaic, "
                   "rain_princess, udnie) or rrmina's TransformerNetwork; the layout is read from the file.")
    INPUTS = {
        "content": Port(IMAGE),
        "weights": Port(FILE, description="the .pth state dict"),
        "strength": Port(FLOAT, 1.0, min=0.0, max=1.0, description="blend with the original"),
        "preserve_color": Port(BOOL, False, description="keep the photo's colours"),
        "content_scale": Port(FLOAT, 1.0, min=0.05, max=1.0, description="shrink the photo first (coarser strokes)"),
    }
    OUTPUTS = ((IMAGE, "image"),)

    def signature_extra(self, inputs):
        return file_stamp(inputs["weights"])

    def execute(self, run, content, weights, strength, preserve_color, content_scale):
        from PIL import Image

        net, arch = load_network(str(weights), file_stamp(weights))
        img = content
        if content_scale < 1.0:
            h, w = img.shape[:2]
            size = (max(16, round(w * content_scale)), max(16, round(h * content_scale)))
            img = np.asarray(Image.fromarray(img).resize(size, Image.LANCZOS))
        out = stylize(net, arch, img)
        return (blend(out, content, strength, preserve_color),)


def blend(stylized: np.ndarray, original: np.ndarray, strength: float, preserve_color: bool) -> np.ndarray:
    from PIL import Image

    out = Image.fromarray(stylized)
    orig = Image.fromarray(original).resize(out.size, Image.LANCZOS)
    if preserve_color:
        y, _, _ = out.convert("YCbCr").split()
        _, cb, cr = orig.convert("YCbCr").split()
        out = Image.merge("YCbCr", (y, cb, cr)).convert("RGB")
    if strength < 1.0:
        out = Image.blend(orig, out, strength)
    return np.asarray(out, dtype=np.uint8)
