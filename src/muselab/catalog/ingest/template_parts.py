"""What a ComfyUI workflow template (UI format) holds: its model files, node types and tasks."""

from __future__ import annotations

import re

from muselab.catalog.comfy_schemas import FRONTEND_ONLY, is_core
from muselab.catalog.taxonomy import CATCH_ALL

# ComfyUI's models/ folders -> the part a file plays in a workflow
ROLE_OF_FOLDER = {
    "diffusion_models": "model", "checkpoints": "model", "unet": "model", "upscale_models": "model",
    "background_removal": "model", "geometry_estimation": "model", "frame_interpolation": "model",
    "detection": "detector", "text_encoders": "text-encoder", "clip": "text-encoder", "vae": "vae",
    "loras": "lora", "clip_vision": "image-encoder", "controlnet": "controlnet", "model_patches": "add-on",
    "latent_upscale_models": "add-on", "style_models": "add-on", "embeddings": "embedding",
    "audio_encoders": "audio-encoder", "optical_flow": "add-on",
}
# folders whose files do one task whatever the template around them does (a background remover inside
# an image-to-3D template still removes backgrounds)
FOLDER_TASKS = {"background_removal": "background-removal", "frame_interpolation": "frame-interpolation",
                "geometry_estimation": "depth-estimation", "upscale_models": "super-resolution",
                "latent_upscale_models": "super-resolution", "detection": "segmentation",
                "optical_flow": "frame-interpolation"}
ROLES = {
    "model": "model", "vae": "VAE (encodes pictures into the latent space and decodes them back)",
    "text-encoder": "text encoder (turns the prompt into embeddings)", "lora": "LoRA adapter (a low-rank weight "
    "update loaded on top of the base model)", "image-encoder": "image encoder (turns a reference image into "
    "embeddings)", "controlnet": "ControlNet (a control branch added to the base model)", "add-on": "add-on",
    "embedding": "textual-inversion embedding", "audio-encoder": "audio encoder", "detector": "detector",
}
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-")


def role_of(folder: str) -> str:
    return ROLE_OF_FOLDER.get(folder.strip("/").split("/")[0], "add-on")


def _graphs(graph: dict):
    """The top-level graph and every subgraph definition."""
    yield graph
    yield from ((graph.get("definitions") or {}).get("subgraphs") or [])


def model_files(graph: dict) -> list[dict]:
    """The model files the template's nodes name ({name, url, folder}), once each, in order."""
    out: dict[str, dict] = {}
    for g in _graphs(graph):
        for node in g.get("nodes") or []:
            for m in (node.get("properties") or {}).get("models") or []:
                if isinstance(m, dict) and m.get("name") and m["name"] not in out:
                    out[m["name"]] = {"name": m["name"], "url": m.get("url"), "directory": m.get("directory", "")}
    return list(out.values())


def node_types(graph: dict) -> list[str]:
    """The node types the template runs (subgraph instances and front-end-only nodes aside)."""
    found = {n.get("type") for g in _graphs(graph) for n in g.get("nodes") or [] if isinstance(n, dict)}
    return sorted(t for t in found if isinstance(t, str) and t and not _UUID_RE.match(t) and t not in FRONTEND_ONLY)


def unknown_node_types(types: list[str]) -> list[str]:
    return [t for t in types if not is_core(t)]


def tasks_of(tags: list[str], media: str, tasks) -> list[str]:
    """Task ids for the index's tags (taxonomy `template_tags`), the most specific first; else by media."""
    found = []
    for tag in tags:
        for t in tasks:
            if tag in t.template_tags and t.id not in found:
                found.append(t.id)
    if found:
        return found
    return [{"video": "video-generation", "3d": "image-to-3d", "image": "text-to-image",
             "audio": "audio-generation"}.get(media, CATCH_ALL)]
