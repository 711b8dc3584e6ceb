"""Any Open Model Database upscaler file through spandrel, on CPU.

spandrel imports torchvision at import time for two architectures that are
not upscalers (LaMa inpainting, RestoreFormer); PyPI's torchvision cannot load
beside the CPU build of torch used here. When torchvision is missing, muselab
gives spandrel a stand-in module with the three names it imports; calling them
says what is missing, so those two architectures are refused and every other
one works.
"""

from __future__ import annotations

import sys
import types
from functools import lru_cache
from pathlib import Path

import numpy as np

from muselab.errors import MuselabError


def import_spandrel():
    """Import spandrel; without a working torchvision, through a stand-in that is removed again
    right after, so other libraries still see torchvision as absent."""
    stand_in = _torchvision_stand_in()
    try:
        import spandrel
    finally:
        for name in stand_in:
            sys.modules.pop(name, None)
    return spandrel


def _torchvision_stand_in() -> list[str]:
    if "spandrel" in sys.modules:
        return []
    try:
        import torchvision  # noqa: F401
        return []
    except Exception:  # missing, or the CUDA build failing to load its operators
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            sys.modules.pop(name)

    def unavailable(*args, **kwargs):
        raise MuselabError("this architecture needs torchvision, which cannot run beside the CPU torch here")

    tv = types.ModuleType("torchvision")
    transforms = types.ModuleType("torchvision.transforms")
    functional = types.ModuleType("torchvision.transforms.functional")
    functional.InterpolationMode = type("InterpolationMode", (), {"BILINEAR": "bilinear", "NEAREST": "nearest"})
    functional.rotate = functional.normalize = unavailable
    tv.transforms, transforms.functional = transforms, functional
    modules = {"torchvision": tv, "torchvision.transforms": transforms, "torchvision.transforms.functional": functional}
    sys.modules.update(modules)
    return list(modules)


@lru_cache(maxsize=2)
def load(path: str, stamp: str):
    try:
        spandrel = import_spandrel()
        ModelLoader, ImageModelDescriptor = spandrel.ModelLoader, spandrel.ImageModelDescriptor
        UnsupportedModelError = spandrel.UnsupportedModelError
    except ImportError:
        raise MuselabError("upscaling from a model file needs spandrel: pip install --no-deps spandrel einops "
                           "(scripts/setup does this)") from None
    if not Path(path).is_file():
        raise MuselabError(f"model file not found: {path}")
    try:
        model = ModelLoader(device="cpu").load_from_file(path)
    except UnsupportedModelError:
        raise MuselabError(f"{Path(path).name} is not an architecture spandrel knows") from None
    except Exception as exc:
        raise MuselabError(f"cannot load {Path(path).name}: {str(exc).splitlines()[0]}") from None
    if not isinstance(model, ImageModelDescriptor):
        raise MuselabError(f"{Path(path).name} is a {type(model).__name__}, not an image-to-image model")
    return model.eval()


def upscale(path: str, image: np.ndarray, run=None) -> np.ndarray:
    import torch

    from muselab.nodes.base import file_stamp

    model = load(path, file_stamp(path))
    x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div(255).unsqueeze(0)
    with torch.inference_mode():
        y = model(x)[0].clamp(0, 1).mul(255).round().byte().numpy().transpose(1, 2, 0)
    return np.ascontiguousarray(y)
