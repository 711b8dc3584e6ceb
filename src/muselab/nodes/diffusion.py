"""LoadCheckpoint, TextToImage and ImageToImage: Stable Diffusion 1.5 with diffusers, on CPU in float32."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from muselab.errors import MuselabError
from muselab.nodes.base import FILE, FLOAT, IMAGE, INT, MODEL, STRING, TEXT, Node, Port, file_stamp
from muselab.nodes.sd15 import SCHEDULERS


@dataclass(frozen=True)
class Checkpoint:
    """A MODEL value: which file, with which config folder. Pipelines load lazily and stay cached."""

    path: str
    config: str

    def pipeline(self, kind: str):
        from muselab.nodes.sd15 import load_pipeline

        return load_pipeline(self.path, self.config, kind)


class LoadCheckpoint(Node):
    NAME = "LoadCheckpoint"
    DESCRIPTION = "A Stable Diffusion 1.x single-file checkpoint (.safetensors or .ckpt), loaded offline."
    INPUTS = {
        "checkpoint": Port(FILE, description="e.g. a DreamShaper or henmixReal .safetensors"),
        "config": Port(STRING, "", description="a diffusers config folder (empty: the SD 1.5 configs muselab ships)"),
    }
    OUTPUTS = ((MODEL, "model"),)

    def signature_extra(self, inputs):
        return file_stamp(inputs["checkpoint"])

    def execute(self, run, checkpoint, config):
        from muselab.nodes.sd15 import CONFIG, config_dir

        source = config or CONFIG
        cache = run.settings.cache_dir / ("sd-config-" + _short(str(source)))
        return (Checkpoint(str(checkpoint), str(config_dir(cache, source=source))),)


def _short(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest()[:10]


SAMPLING = {
    "negative_prompt": Port(TEXT, "", description="what to steer away from"),
    "steps": Port(INT, 25, min=1, max=200),
    "guidance_scale": Port(FLOAT, 7.0, min=0.0, max=30.0, description="classifier-free guidance"),
    "seed": Port(INT, 0, min=0, max=2**32 - 1),
    "scheduler": Port(STRING, "dpm++", choices=tuple(SCHEDULERS)),
}


def _run(run, pipe, steps: int, bar_total: int | None = None, **kwargs) -> np.ndarray:
    import torch

    from muselab.nodes.sd15 import with_scheduler

    with_scheduler(pipe, kwargs.pop("scheduler"))
    with run.steps(bar_total or steps, desc=f"node {run.node_id} denoising") as bar:
        def on_step(_pipe, _i, _t, callback_kwargs):
            bar.update(1)
            return callback_kwargs

        result = pipe(num_inference_steps=steps, generator=torch.Generator("cpu").manual_seed(kwargs.pop("seed")),
                      output_type="np", callback_on_step_end=on_step, **kwargs)
    return (np.clip(result.images[0], 0, 1) * 255).round().astype(np.uint8)


class TextToImage(Node):
    NAME = "TextToImage"
    DESCRIPTION = "Prompt -> CLIP text encoder -> U-Net denoising in latent space with classifier-free guidance -> VAE decoder -> image."
    INPUTS = {
        "model": Port(MODEL),
        "prompt": Port(TEXT),
        "width": Port(INT, 512, min=64, max=2048, description="multiple of 8"),
        "height": Port(INT, 512, min=64, max=2048, description="multiple of 8"),
        **SAMPLING,
    }
    OUTPUTS = ((IMAGE, "image"),)

    @staticmethod
    def check(literals: dict, links: dict) -> list[str]:
        return [f"{k} must be a multiple of 8, got {literals[k]}" for k in ("width", "height")
                if isinstance(literals.get(k), int) and literals[k] % 8]

    def execute(self, run, model: Checkpoint, prompt, width, height, negative_prompt, steps, guidance_scale, seed, scheduler):
        pipe = model.pipeline("txt2img")
        return (_run(run, pipe, steps, prompt=prompt, negative_prompt=negative_prompt or None, width=width,
                     height=height, guidance_scale=guidance_scale, seed=seed, scheduler=scheduler),)


class ImageToImage(Node):
    NAME = "ImageToImage"
    DESCRIPTION = "Image -> VAE encoder -> noise to the strength -> U-Net denoising under the prompt -> VAE decoder -> image."
    INPUTS = {
        "model": Port(MODEL),
        "image": Port(IMAGE),
        "prompt": Port(TEXT),
        "strength": Port(FLOAT, 0.5, min=0.0, max=1.0, description="0 keeps the image, 1 ignores it"),
        **SAMPLING,
    }
    OUTPUTS = ((IMAGE, "image"),)

    def execute(self, run, model: Checkpoint, image, prompt, strength, negative_prompt, steps, guidance_scale, seed, scheduler):
        from PIL import Image

        h, w = image.shape[:2]
        if h % 8 or w % 8:  # the VAE works on multiples of 8: crop the few extra pixels
            image = image[: h - h % 8, : w - w % 8]
        if image.shape[0] < 8 or image.shape[1] < 8:
            raise MuselabError("ImageToImage needs an image of at least 8x8 pixels")
        pipe = model.pipeline("img2img")
        # image-to-image runs only the last `strength` share of the steps
        return (_run(run, pipe, steps, bar_total=max(1, int(steps * strength)), prompt=prompt,
                     image=Image.fromarray(image), strength=strength,
                     negative_prompt=negative_prompt or None, guidance_scale=guidance_scale, seed=seed,
                     scheduler=scheduler),)
