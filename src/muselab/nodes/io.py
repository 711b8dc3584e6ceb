"""LoadImage, SaveImage and Text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from muselab.version import __version__
from muselab.errors import MuselabError
from muselab.nodes.base import FILE, IMAGE, INT, STRING, TEXT, Node, Port, RunContext, file_stamp


IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "MPO")
MAX_PIXELS = 40_000_000


def read_image(path: Path, max_pixels: int = MAX_PIXELS):
    """A PNG, JPEG or WebP file as a PIL image, told by its content (not its name), or a one-line refusal:
    missing, another format, too many pixels, corrupt."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not path.is_file():
        raise MuselabError(f"image not found: {path}")
    try:
        with Image.open(path) as img:
            if img.format not in IMAGE_FORMATS:
                raise MuselabError(f"{path} is a {img.format} image; LoadImage reads PNG, JPEG and WebP")
            w, h = img.size
            if w * h > max_pixels:
                raise MuselabError(f"{path} is {w}x{h} = {w * h / 1e6:.1f} megapixels; the limit is "
                                   f"{max_pixels / 1e6:.1f} (set max_pixels to allow more)")
            img = ImageOps.exif_transpose(img)
            img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise MuselabError(f"cannot read image {path}: {exc}") from None
    return img


class LoadImage(Node):
    NAME = "LoadImage"
    DESCRIPTION = "Read a PNG, JPEG or WebP file as an RGB image (transparency over white)."
    INPUTS = {
        "image": Port(FILE, description="path of the image file"),
        "max_pixels": Port(INT, MAX_PIXELS, min=1, description="refuse larger images (width x height)"),
    }
    OUTPUTS = ((IMAGE, "image"),)

    def signature_extra(self, inputs):
        return file_stamp(inputs["image"])

    def execute(self, run, image, max_pixels):
        from PIL import Image

        img = read_image(Path(image), max_pixels)
        if img.mode in ("RGBA", "LA", "P"):
            img = img.convert("RGBA")
            white = Image.new("RGBA", img.size, (255, 255, 255, 255))
            img = Image.alpha_composite(white, img)
        return (np.asarray(img.convert("RGB"), dtype=np.uint8),)


class SaveImage(Node):
    NAME = "SaveImage"
    DESCRIPTION = "Write the image as PNG, with the workflow and the catalog models used in its text chunks."
    INPUTS = {
        "images": Port(IMAGE),
        "filename_prefix": Port(STRING, "muselab", description="file name start; a number follows"),
    }
    OUTPUT_NODE = True

    def execute(self, run: RunContext, images, filename_prefix):
        from PIL import Image
        from PIL.PngImagePlugin import PngInfo

        out = Path(run.out_dir or ".")
        out.mkdir(parents=True, exist_ok=True)
        n = 1
        while (out / f"{filename_prefix}_{n:05d}.png").exists():
            n += 1
        path = out / f"{filename_prefix}_{n:05d}.png"
        info = PngInfo()
        info.add_text("workflow", json.dumps(run.workflow, ensure_ascii=False))
        info.add_text("muselab:models", json.dumps((run.workflow.get("meta") or {}).get("models", [])))
        info.add_text("software", f"muselab {__version__}")
        Image.fromarray(np.asarray(images, dtype=np.uint8)).save(path, pnginfo=info)
        run.saved.append(path)
        return ()


class Text(Node):
    NAME = "Text"
    DESCRIPTION = "A piece of text, e.g. the prompt."
    INPUTS = {"text": Port(TEXT, description="the text; '$prompt' is filled in by `muselab run --input prompt=...`")}
    OUTPUTS = ((TEXT, "text"),)

    def execute(self, run, text):
        return (text,)
