"""Export a muselab workflow to ComfyUI's API format, for the nodes ComfyUI has built in.

    LoadImage, SaveImage               -> LoadImage, SaveImage
    Text                               -> folded into CLIPTextEncode
    LoadCheckpoint                     -> CheckpointLoaderSimple (MODEL, CLIP, VAE)
    TextToImage                        -> CLIPTextEncode x2, EmptyLatentImage, KSampler, VAEDecode
    ImageToImage                       -> CLIPTextEncode x2, VAEEncode, KSampler (denoise = strength), VAEDecode
    Upscale lanczos                    -> ImageScaleBy
    Upscale spandrel / realesrgan      -> UpscaleModelLoader + ImageUpscaleWithModel (the .pth file)
StyleTransfer, FastNeuralStyle and the ncnn-only upscalers (Anime4K, Real-CUGAN,
waifu2x, Real-ESRGAN's x2/x3 video models) have no ComfyUI core equivalent.
"""

from __future__ import annotations

from pathlib import Path

from muselab.nodes.base import is_placeholder
from muselab.workflow.graph import Workflow, is_link

SAMPLERS = {"pndm": ("euler", "normal"), "ddim": ("ddim", "normal"), "euler": ("euler", "normal"),
            "euler_a": ("euler_ancestral", "normal"), "dpm++": ("dpmpp_2m", "karras"), "lms": ("lms", "normal")}
# ncnn model names -> the .pth files ComfyUI's upscale loader takes
REALESRGAN_PTH = {"realesrgan-x4plus": "RealESRGAN_x4plus.pth", "realesrgan-x4plus-anime": "RealESRGAN_x4plus_anime_6B.pth",
                  "realesr-animevideov3-x4": "realesr-animevideov3.pth"}


class Exporter:
    def __init__(self, wf: Workflow):
        self.wf, self.out, self.next_id = wf, {}, 1
        self.mapped: dict[str, list] = {}  # muselab node -> [comfy id, output index] per output
        self.problems: list[str] = []

    def add(self, class_type: str, inputs: dict) -> str:
        nid = str(self.next_id)
        self.next_id += 1
        self.out[nid] = {"class_type": class_type, "inputs": inputs}
        return nid

    def ref(self, value, port: int = 0):
        """A muselab link -> the ComfyUI link of the same value; a literal stays a literal."""
        if is_link(value):
            return self.mapped[str(value[0])][value[1]]
        return value

    def text(self, value) -> str:
        """A prompt: ComfyUI has no text node in core, so a linked Text node's literal is inlined."""
        if is_link(value):
            return self.wf.nodes[str(value[0])]["inputs"].get("text", "")
        return value or ""


def export_comfyui(wf: Workflow) -> tuple[dict, list[str]]:
    """(ComfyUI API-format graph, problems); a non-empty problem list means nothing should be written."""
    from muselab.workflow.graph import topological_order

    ex = Exporter(wf)
    for nid in topological_order(wf):
        node = wf.nodes[nid]
        kind, i = node["class_type"], node.get("inputs", {})
        handler = HANDLERS.get(kind)
        if handler is None:
            ex.problems.append(f"node {nid} ({kind}) has no ComfyUI core equivalent")
            ex.mapped[nid] = [None]
            continue
        handler(ex, nid, i)
    return ex.out, ex.problems


def _load_image(ex, nid, i):
    name = i.get("image", "")
    image = name if is_placeholder(name) else Path(name).name  # ComfyUI reads from its input folder
    ex.mapped[nid] = [[ex.add("LoadImage", {"image": image}), 0]]


def _save_image(ex, nid, i):
    ex.add("SaveImage", {"images": ex.ref(i["images"]), "filename_prefix": i.get("filename_prefix", "muselab")})
    ex.mapped[nid] = []


def _text(ex, nid, i):
    ex.mapped[nid] = [i.get("text", "")]


def _checkpoint(ex, nid, i):
    c = ex.add("CheckpointLoaderSimple", {"ckpt_name": Path(i.get("checkpoint", "")).name})
    ex.mapped[nid] = [[c, 0], [c, 1], [c, 2]]  # MODEL, CLIP, VAE: muselab's MODEL carries all three


def _sampler_inputs(ex, i, latent, denoise):
    ckpt = ex.mapped[str(i["model"][0])]
    pos = ex.add("CLIPTextEncode", {"text": ex.text(i.get("prompt")), "clip": ckpt[1]})
    neg = ex.add("CLIPTextEncode", {"text": ex.text(i.get("negative_prompt", "")), "clip": ckpt[1]})
    sampler, scheduler = SAMPLERS.get(i.get("scheduler", "dpm++"), ("euler", "normal"))
    k = ex.add("KSampler", {"model": ckpt[0], "seed": i.get("seed", 0), "steps": i.get("steps", 25),
                            "cfg": i.get("guidance_scale", 7.0), "sampler_name": sampler, "scheduler": scheduler,
                            "positive": [pos, 0], "negative": [neg, 0], "latent_image": latent, "denoise": denoise})
    return [ex.add("VAEDecode", {"samples": [k, 0], "vae": ckpt[2]}), 0]


def _txt2img(ex, nid, i):
    latent = ex.add("EmptyLatentImage", {"width": i.get("width", 512), "height": i.get("height", 512), "batch_size": 1})
    ex.mapped[nid] = [_sampler_inputs(ex, i, [latent, 0], 1.0)]


def _img2img(ex, nid, i):
    ckpt = ex.mapped[str(i["model"][0])]
    enc = ex.add("VAEEncode", {"pixels": ex.ref(i["image"]), "vae": ckpt[2]})
    ex.mapped[nid] = [_sampler_inputs(ex, i, [enc, 0], i.get("strength", 0.5))]


def _upscale(ex, nid, i):
    method, model = i.get("method", "realesrgan"), i.get("model", "")
    if method == "lanczos":
        ex.mapped[nid] = [[ex.add("ImageScaleBy", {"image": ex.ref(i["image"]), "upscale_method": "lanczos",
                                                   "scale_by": float(i.get("scale", 2))}), 0]]
        return
    pth = Path(i.get("model_path", "")).name if method == "spandrel" else REALESRGAN_PTH.get(model or "realesr-animevideov3-x2")
    if not pth:
        ex.problems.append(f"node {nid} (Upscale {method} {model or ''}) has no ComfyUI core equivalent "
                           "(ncnn-only weights)")
        ex.mapped[nid] = [None]
        return
    loader = ex.add("UpscaleModelLoader", {"model_name": pth})
    ex.mapped[nid] = [[ex.add("ImageUpscaleWithModel", {"upscale_model": [loader, 0], "image": ex.ref(i["image"])}), 0]]


HANDLERS = {"LoadImage": _load_image, "SaveImage": _save_image, "Text": _text, "LoadCheckpoint": _checkpoint,
            "TextToImage": _txt2img, "ImageToImage": _img2img, "Upscale": _upscale}
