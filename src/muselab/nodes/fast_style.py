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
    import torch
    from torch import nn

    class ConvLayer(nn.Module):  # pytorch/examples naming: reflection pad, then conv2d
        def __init__(self, cin, cout, k, stride):
            super().__init__()
            self.reflection_pad = nn.ReflectionPad2d(k // 2)
            self.conv2d = nn.Conv2d(cin, cout, k, stride)

        def forward(self, x):
            return self.conv2d(self.reflection_pad(x))

    class Residual(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1, self.in1 = ConvLayer(c, c, 3, 1), nn.InstanceNorm2d(c, affine=True)
            self.conv2, self.in2 = ConvLayer(c, c, 3, 1), nn.InstanceNorm2d(c, affine=True)

        def forward(self, x):
            return x + self.in2(self.conv2(torch.relu(self.in1(self.conv1(x)))))

    class UpsampleConv(nn.Module):  # nearest-neighbour upsampling, then a stride-1 convolution
        def __init__(self, cin, cout, k, upsample):
            super().__init__()
            self.upsample = upsample
            self.reflection_pad = nn.ReflectionPad2d(k // 2)
            self.conv2d = nn.Conv2d(cin, cout, k, 1)

        def forward(self, x):
            x = nn.functional.interpolate(x, mode="nearest", scale_factor=self.upsample)
            return self.conv2d(self.reflection_pad(x))

    class TransformerNet(nn.Module):
        """Johnson et al.'s image transformation network, as pytorch/examples lays it out."""

        def __init__(self):
            super().__init__()
            self.conv1, self.in1 = ConvLayer(3, 32, 9, 1), nn.InstanceNorm2d(32, affine=True)
            self.conv2, self.in2 = ConvLayer(32, 64, 3, 2), nn.InstanceNorm2d(64, affine=True)
            self.conv3, self.in3 = ConvLayer(64, 128, 3, 2), nn.InstanceNorm2d(128, affine=True)
            for i in range(1, 6):
                setattr(self, f"res{i}", Residual(128))
            self.deconv1, self.in4 = UpsampleConv(128, 64, 3, 2), nn.InstanceNorm2d(64, affine=True)
            self.deconv2, self.in5 = UpsampleConv(64, 32, 3, 2), nn.InstanceNorm2d(32, affine=True)
            self.deconv3 = ConvLayer(32, 3, 9, 1)

        def forward(self, x):
            y = torch.relu(self.in1(self.conv1(x)))
            y = torch.relu(self.in2(self.conv2(y)))
            y = torch.relu(self.in3(self.conv3(y)))
            for i in range(1, 6):
                y = getattr(self, f"res{i}")(y)
            y = torch.relu(self.in4(self.deconv1(y)))
            y = torch.relu(self.in5(self.deconv2(y)))
            return self.deconv3(y)

    class RConv(nn.Module):  # rrmina naming: reflection_pad, conv_layer, norm_layer
        def __init__(self, cin, cout, k, stride, norm=True):
            super().__init__()
            self.reflection_pad = nn.ReflectionPad2d(k // 2)
            self.conv_layer = nn.Conv2d(cin, cout, k, stride)
            self.norm_layer = nn.InstanceNorm2d(cout, affine=True) if norm else None

        def forward(self, x):
            x = self.conv_layer(self.reflection_pad(x))
            return self.norm_layer(x) if self.norm_layer is not None else x

    class RResidual(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1, self.relu, self.conv2 = RConv(c, c, 3, 1), nn.ReLU(), RConv(c, c, 3, 1)

        def forward(self, x):
            return x + self.conv2(self.relu(self.conv1(x)))

    class RDeconv(nn.Module):  # a transposed convolution, then instance norm
        def __init__(self, cin, cout, k, stride, output_padding):
            super().__init__()
            self.conv_transpose = nn.ConvTranspose2d(cin, cout, k, stride, k // 2, output_padding)
            self.norm_layer = nn.InstanceNorm2d(cout, affine=True)

        def forward(self, x):
            return self.norm_layer(self.conv_transpose(x))

    class TransformerNetwork(nn.Module):
        """rrmina's variant: transposed convolutions to upsample, no output activation."""

        def __init__(self):
            super().__init__()
            self.ConvBlock = nn.Sequential(RConv(3, 32, 9, 1), nn.ReLU(), RConv(32, 64, 3, 2), nn.ReLU(),
                                           RConv(64, 128, 3, 2), nn.ReLU())
            self.ResidualBlock = nn.Sequential(*[RResidual(128) for _ in range(5)])
            self.DeconvBlock = nn.Sequential(RDeconv(128, 64, 3, 2, 1), nn.ReLU(), RDeconv(64, 32, 3, 2, 1), nn.ReLU(),
                                             RConv(32, 3, 9, 1, norm=False))

        def forward(self, x):
            return self.DeconvBlock(self.ResidualBlock(self.ConvBlock(x)))

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
