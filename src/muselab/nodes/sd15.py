"""Stable Diffusion 1.5 from a local single-file checkpoint, with nothing fetched from a hub.

`from_single_file` normally downloads the SD 1.5 component configs and the CLIP
tokenizer. muselab ships the configs (data/sd15/) and builds the tokenizer's
vocab.json and merges.txt from the BPE file that the PyPI package
open_clip_torch carries (bpe_simple_vocab_16e6.txt.gz, the same merges OpenAI's
CLIP uses), into the cache directory, then loads with local_files_only.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from muselab.errors import MuselabError

CONFIG = files("muselab.nodes").joinpath("data/sd15")
SCHEDULERS = {
    "pndm": "PNDMScheduler", "ddim": "DDIMScheduler", "euler": "EulerDiscreteScheduler",
    "euler_a": "EulerAncestralDiscreteScheduler", "dpm++": "DPMSolverMultistepScheduler", "lms": "LMSDiscreteScheduler",
}


def bpe_file() -> Path:
    """open_clip's BPE merges, found without importing open_clip (which needs torchvision)."""
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        raise MuselabError("the CLIP tokenizer is built from open_clip_torch's BPE file: "
                           "pip install --no-deps open_clip_torch (scripts/setup does this)")
    path = Path(next(iter(spec.submodule_search_locations))) / "bpe_simple_vocab_16e6.txt.gz"
    if not path.is_file():
        raise MuselabError(f"open_clip_torch is installed but {path.name} is missing from it")
    return path


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible byte -> printable character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def write_clip_tokenizer(dest: Path) -> None:
    """vocab.json and merges.txt in the Hugging Face CLIPTokenizer format (49,408 tokens)."""
    lines = gzip.decompress(bpe_file().read_bytes()).decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1:49152 - 256 - 2 + 1]]
    vocab = list(bytes_to_unicode().values())
    vocab += [v + "</w>" for v in vocab]
    vocab += ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "vocab.json").write_text(json.dumps({tok: i for i, tok in enumerate(vocab)}, ensure_ascii=False))
    (dest / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")


def config_dir(cache_dir: Path, source=CONFIG) -> Path:
    """A complete diffusers-format config folder (shipped configs + built tokenizer) in the cache."""
    dest = Path(cache_dir) / "sd15-config"
    stamp = dest / ".complete"
    if stamp.is_file():
        return dest
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(Path(str(source)), tmp)
    write_clip_tokenizer(tmp / "tokenizer")
    (tmp / ".complete").write_text("1")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


@lru_cache(maxsize=2)
def load_pipeline(checkpoint: str, config: str, kind: str = "txt2img"):
    """A float32 CPU pipeline from a single .safetensors/.ckpt file, offline."""
    import torch
    from diffusers import StableDiffusionImg2ImgPipeline, StableDiffusionPipeline

    cls = StableDiffusionPipeline if kind == "txt2img" else StableDiffusionImg2ImgPipeline
    path = Path(checkpoint)
    if not path.is_file():
        raise MuselabError(f"checkpoint not found: {path}")
    try:
        pipe = cls.from_single_file(str(path), config=config, local_files_only=True, torch_dtype=torch.float32,
                                    safety_checker=None, requires_safety_checker=False)
    except Exception as exc:  # diffusers raises many kinds; the user needs one line and the file name
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MuselabError(f"cannot load {path.name} as a Stable Diffusion 1.x checkpoint: {first}") from None
    pipe.set_progress_bar_config(disable=True)  # muselab draws its own per-step bar
    return pipe.to("cpu")


def with_scheduler(pipe, name: str):
    import diffusers

    if name not in SCHEDULERS:
        raise MuselabError(f"unknown scheduler {name!r}; choose from {', '.join(SCHEDULERS)}")
    cls = getattr(diffusers, SCHEDULERS[name])
    if type(pipe.scheduler).__name__ != SCHEDULERS[name]:
        pipe.scheduler = cls.from_config(pipe.scheduler.config)
    return pipe
