"""`muselab ingest comfyui`: ComfyUI-Manager's model list (model-list.json).

Each entry (checkpoints, LoRAs, ControlNets, IP-Adapters, upscalers,
AnimateDiff motion modules, VAEs, face and segmentation models, ...) becomes a
Model record whose task is read from its type, base model and name.
"""

from __future__ import annotations

import re
from pathlib import Path

from muselab.catalog.families import aliases_for, family_of, matching
from muselab.catalog.ingest import Records
from muselab.catalog.ingest.jsonfile import array_items, load_json
from muselab.catalog.records import Model
from muselab.catalog.taxonomy import builtin_task
from muselab.errors import IngestError
from muselab.text import clean_description, slug

# entry type -> (task, name prefix); checked after the name/base rules below
TYPE_TASKS = {
    "checkpoint": ("text-to-image", "Txt2Img"), "diffusion_model": ("text-to-image", "Txt2Img"),
    "lora": ("personalization", "LoRA"), "controlnet": ("controllable-generation", "Control"),
    "t2i-adapter": ("controllable-generation", "Control"), "ip-adapter": ("image-to-image", "Img2Img"),
    "upscale": ("super-resolution", "SR"), "rgt": ("super-resolution", "SR"),
    "vae": ("text-to-image", "Txt2Img"), "taesd": ("text-to-image", "Txt2Img"), "clip": ("text-to-image", "Txt2Img"),
    "clip_vision": ("image-to-image", "Img2Img"), "unclip": ("image-to-image", "Img2Img"),
    "animatediff": ("video-generation", "Video"), "motion lora": ("video-generation", "Video"),
    "animatediff-pia": ("video-generation", "Video"), "framepacki2v": ("video-generation", "Video"),
    "insightface": ("identity-generation", "ID"), "instantid": ("identity-generation", "ID"),
    "pulid": ("identity-generation", "ID"), "photomaker": ("identity-generation", "ID"),
    "face_restore": ("face-restoration", "FaceRestore"), "gfpgan": ("face-restoration", "FaceRestore"),
    "codeformer": ("face-restoration", "FaceRestore"), "facexlib": ("face-restoration", "FaceRestore"),
    "sam": ("segmentation", "Seg"), "sam2": ("segmentation", "Seg"), "sam2.1": ("segmentation", "Seg"),
    "efficient_sam": ("segmentation", "Seg"), "groundingdino": ("segmentation", "Seg"),
    "ultralytics": ("segmentation", "Seg"), "depthanything": ("depth-estimation", "Depth"),
    "depth-pro": ("depth-estimation", "Depth"), "moge": ("depth-estimation", "Depth"),
    "deepbump": ("depth-estimation", "Depth"), "zero123": ("image-to-3d", "Img23D"),
    "ic-light": ("relighting", "Edit"), "gligen": ("layout-to-image", "Control"),
    "instancediffusion": ("layout-to-image", "Control"), "customnet": ("personalization", "LoRA"),
    "seecoder": ("image-to-image", "Img2Img"), "t2i-style": ("style-transfer", "NST"),
    "embedding": ("prompt-engineering", "Txt2Img"), "ram": ("image-to-prompt", "Caption"),
    "blip_model": ("image-to-prompt", "Caption"), "janus-pro": ("text-to-image", "Txt2Img"),
    "llm": ("prompt-engineering", "Txt2Img"), "model_patch": ("video-generation", "Video"),
}
VIDEO_BASES = re.compile(r"wan|ltx|hunyuan|cosmos|svd|mochi|cogvideo|video", re.I)
I2V = re.compile(r"i2v|image[- _]?to[- _]?video|img2vid|\bsvd\b|\bpia\b|inpaint|img2img|edit|ip-?adapter", re.I)
FAST = re.compile(r"lightning|turbo|lcm|hyper|distill|\bfast\b", re.I)


def task_of(entry: dict) -> tuple[str, str]:
    kind, base, name = entry["type"].lower(), str(entry.get("base") or ""), entry["name"]
    text = f"{name} {entry.get('filename', '')}"
    if re.search(r"faceid|instantid|pulid|photomaker", text, re.I):
        return "identity-generation", "ID"
    if kind in ("checkpoint", "diffusion_model", "lora"):
        if re.search(r"upscal", f"{text} {base}", re.I):
            return "super-resolution", "SR"
        if re.search(r"inpaint", text, re.I):
            return "inpainting", "Inpaint"
        if re.search(r"edit|kontext", f"{text} {base}", re.I):
            return "image-editing", "Edit"
        if VIDEO_BASES.search(f"{base} {text}"):
            return "video-generation", "Video"
        if FAST.search(text):
            return "acceleration", "Txt2Img"
    if kind == "controlnet" and re.search(r"tile", text, re.I):
        return "super-resolution", "Control"
    if kind not in TYPE_TASKS:
        raise ValueError(f"unknown model type {entry['type']!r}")
    return TYPE_TASKS[kind]


# files of these tasks are generators: the name says whether one also takes an image (i2v, inpaint, edit)
GENERATORS = ("text-to-image", "prompt-engineering", "personalization", "acceleration", "video-generation")


def inputs_of(task: str, text: str) -> list[str]:
    """What a file takes: its task's inputs (a relighting model takes a photo and a prompt), except that a
    generator's file takes an image only when its name says so."""
    if task in GENERATORS:
        return ["image", "text"] if I2V.search(text) else ["text"]
    return list(builtin_task(task).input_modalities) or ["image"]


def model_from(entry: dict) -> Model:
    for key in ("name", "type"):
        if not entry.get(key):
            raise ValueError(f"missing '{key}'")
    task, prefix = task_of(entry)
    url, ref = entry.get("url") or "", entry.get("reference") or ""
    base = entry.get("base") or ""
    return Model(
        name=f"{prefix}-{slug(entry['name'])}",
        display_name=entry["name"],
        task=task,
        category=f"{entry['type']} for {base}" if base else entry["type"],
        input_modalities=inputs_of(task, f"{entry['name']} {entry.get('filename', '')} {base} {entry['type']}"),
        output_modalities=["video"] if task == "video-generation" else
        builtin_task(task).output_modalities or ["image"],
        summary=clean_description(entry.get("description"), 600),
        github_url=ref if "github.com" in ref else None,
        hf_url=ref if "huggingface.co" in ref else (url if "huggingface.co" in url else None),
        weights_source=f"ComfyUI-Manager model list: {entry.get('filename') or '?'} into models/{entry.get('save_path') or '?'}"
                       + (f" ({entry['size']})" if entry.get("size") else ""),
        weights_url=url or None,
        runnable=False,
        runner={"node": "TextToImage", "weights_file": entry.get("filename")}
        if entry["type"] == "checkpoint" and base.upper() in ("SD1.5", "SD1.X") else None,
        tags=[t for t in (base, entry["type"]) if t],
        links={"reference": ref} if ref and "github.com" not in ref and "huggingface.co" not in ref else {},
        **_names(entry),
        source="comfyui",
    )


# ComfyUI-Manager's entry types -> the part a file plays in a workflow
TYPE_ROLES = {"checkpoint": "model", "diffusion_model": "model", "unet": "model", "upscale": "model", "rgt": "model",
              "lora": "lora", "motion lora": "lora", "vae": "vae", "taesd": "vae", "clip": "text-encoder",
              "clip_vision": "image-encoder", "controlnet": "controlnet", "t2i-adapter": "controlnet",
              "embedding": "embedding", "ip-adapter": "add-on", "animatediff": "add-on", "model_patch": "add-on"}


def _names(entry: dict) -> dict:
    """Family, aliases, role and file of an entry; its base model family counts when the name starts with it."""
    stem = str(entry.get("filename") or "").rsplit(".", 1)[0]
    names = [n for n in (entry["name"], stem) if n]
    base = [str(entry["base"])] if entry.get("base") else []
    role = TYPE_ROLES.get(entry["type"].lower(), "model" if entry["type"].lower() in ("face_restore", "sam", "sam2",
                          "depthanything", "zero123", "ic-light", "rmbg", "birefnet") else "add-on")
    return {"family": family_of(names, base), "aliases": aliases_for(names, matching(names, base)), "role": role,
            "files": [{"name": entry.get("filename"), "url": entry.get("url"),
                       "directory": entry.get("save_path")}] if entry.get("filename") else []}


class ComfyUIAdapter:
    name = "comfyui"
    description = "ComfyUI-Manager's model-list.json"
    suffixes = ("model-list.json",)

    def read(self, path: Path, progress: bool) -> Records:
        data, text = load_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("models"), list):
            raise IngestError(path, 1, "expected {\"models\": [...]} as ComfyUI-Manager writes it")
        models, seen = [], set()
        for line, entry in array_items(path, text, key="models"):
            if not isinstance(entry, dict):
                raise IngestError(path, line, "each model entry must be a JSON object")
            try:
                m = model_from(entry)
            except (ValueError, TypeError) as exc:
                raise IngestError(path, line, f"bad model entry: {exc}") from None
            if m.name.lower() in seen:  # the list repeats display names across file variants
                stem = slug(str(entry.get("filename") or line).rsplit(".", 1)[0])
                m = m.model_copy(update={"name": f"{m.name.split('-', 1)[0]}-{stem}"})
            if m.name.lower() in seen:
                continue
            seen.add(m.name.lower())
            models.append(m)
        return Records(models=models)


ingest = ComfyUIAdapter()
