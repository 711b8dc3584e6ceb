"""The model files a workflow needs, and which of them a ComfyUI install or server has.

A file is any loader input whose value is a model file name (``.safetensors``, ``.pth``...).
Its folder under ComfyUI's ``models/`` and its URL come from the template's own list
(``meta.files``) when it has one, else from the loader class. A local ComfyUI is checked by
looking in its models folders (the older folder names too: ``unet``, ``clip``); a server by
asking ``/object_info`` for the loader's choices, which list the files it has.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from muselab.errors import BadInput
from muselab.nodes.base import is_placeholder

MODEL_SUFFIXES = (".safetensors", ".sft", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".onnx", ".pt2")
# loader class -> its file input -> folder under models/
LOADERS = {
    "CheckpointLoaderSimple": {"ckpt_name": "checkpoints"}, "ImageOnlyCheckpointLoader": {"ckpt_name": "checkpoints"},
    "unCLIPCheckpointLoader": {"ckpt_name": "checkpoints"}, "UNETLoader": {"unet_name": "diffusion_models"},
    "VAELoader": {"vae_name": "vae"}, "CLIPLoader": {"clip_name": "text_encoders"},
    "DualCLIPLoader": {"clip_name1": "text_encoders", "clip_name2": "text_encoders"},
    "TripleCLIPLoader": {f"clip_name{i}": "text_encoders" for i in (1, 2, 3)},
    "QuadrupleCLIPLoader": {f"clip_name{i}": "text_encoders" for i in (1, 2, 3, 4)},
    "LoraLoader": {"lora_name": "loras"}, "LoraLoaderModelOnly": {"lora_name": "loras"},
    "UpscaleModelLoader": {"model_name": "upscale_models"}, "ControlNetLoader": {"control_net_name": "controlnet"},
    "DiffControlNetLoader": {"control_net_name": "controlnet"}, "CLIPVisionLoader": {"clip_name": "clip_vision"},
    "StyleModelLoader": {"style_model_name": "style_models"}, "GLIGENLoader": {"gligen_name": "gligen"},
    "HypernetworkLoader": {"hypernetwork_name": "hypernetworks"}, "ModelPatchLoader": {"name": "model_patches"},
    "AudioEncoderLoader": {"audio_encoder_name": "audio_encoders"},
    "LatentUpscaleModelLoader": {"model_name": "latent_upscale_models"},
}
OLD_FOLDERS = {"diffusion_models": ("unet",), "text_encoders": ("clip",), "controlnet": ("t2i_adapter",)}


@dataclass
class NeededFile:
    name: str
    folder: str | None
    node: str
    url: str | None = None
    size: int | None = None
    present: bool | None = None  # None: not checked
    where: str | None = None  # the path found, or the server that has it

    def to_dict(self) -> dict:
        return asdict(self)


def is_model_file(value) -> bool:
    return isinstance(value, str) and not is_placeholder(value) and value.lower().endswith(MODEL_SUFFIXES)


def needed_files(nodes: dict, listed: list[dict] | None = None) -> list[NeededFile]:
    """Every model file the nodes load, once, with the folder and URL the template lists for it."""
    known = {f.get("name"): f for f in listed or []}
    found: dict[str, NeededFile] = {}
    for nid, node in nodes.items():
        cls = node.get("class_type", "")
        for port, value in (node.get("inputs") or {}).items():
            if not is_model_file(value) or value in found:
                continue
            entry = known.get(value) or known.get(Path(value).name) or {}
            folder = entry.get("folder") or entry.get("directory") or LOADERS.get(cls, {}).get(port)
            found[value] = NeededFile(value, folder, nid, entry.get("url"), entry.get("size"))
    return list(found.values())


def models_root(comfyui_dir: str | Path) -> Path:
    """ComfyUI's models folder, from its install folder or the models folder itself."""
    root = Path(comfyui_dir).expanduser()
    if not root.is_dir():
        raise BadInput(f"--comfyui-dir: not a folder: {root}")
    if (root / "models").is_dir():
        return root / "models"
    if any((root / f).is_dir() for f in ("checkpoints", "diffusion_models", "vae", "loras", "upscale_models")):
        return root
    raise BadInput(f"--comfyui-dir: {root} holds no models folder (give ComfyUI's install folder or its models/)")


def check_local(files: list[NeededFile], comfyui_dir: str | Path) -> list[NeededFile]:
    """Mark each file present or not under a ComfyUI models folder (subfolders count, as in ComfyUI)."""
    root = models_root(comfyui_dir)
    for f in files:
        folders = [f.folder, *OLD_FOLDERS.get(f.folder or "", ())] if f.folder else [p.name for p in root.iterdir()]
        hits = [p for d in folders if d and (root / d).is_dir() for p in (root / d).rglob(Path(f.name).name)]
        f.present, f.where = bool(hits), str(hits[0]) if hits else None
    return files


def check_server(files: list[NeededFile], nodes: dict, object_info) -> list[NeededFile]:
    """Mark each file present or not on a server, from its loaders' choices; `object_info(cls)` is the
    server's /object_info/{cls} answer (None when it does not say)."""
    by_node = {f.node: f for f in files}
    for nid, f in by_node.items():
        cls = nodes[nid].get("class_type", "")
        info = object_info(cls) or {}
        choices = _choices(info.get(cls, info), [p for p, v in nodes[nid]["inputs"].items() if v == f.name])
        if choices is not None:
            f.present = f.name in choices
    for f in files:  # files that a second node loads: the first node's check holds for them
        if f.present is None:
            f.present = next((g.present for g in files if g.name == f.name and g.present is not None), None)
    return files


def _choices(entry: dict, ports: list[str]) -> list | None:
    sections = (entry.get("input") or {}) if isinstance(entry, dict) else {}
    for section in sections.values():
        for port in ports:
            spec = (section or {}).get(port)
            if isinstance(spec, list) and spec and isinstance(spec[0], list):
                return spec[0]
            if isinstance(spec, list) and len(spec) > 1 and isinstance(spec[1], dict) and "options" in spec[1]:
                return list(spec[1]["options"])
    return None


def missing_lines(files: list[NeededFile]) -> list[str]:
    return [f"{f.name}: not in models/{f.folder or '?'}" + (f"; download it from {f.url}" if f.url else "")
            for f in files if f.present is False]
