"""What the answer says about each recommended model, from that model's own record.

A model is shown under its readable name, with its catalog id once. Its chain (input → stages →
output) is its record's own, else its architecture family's (catalog data/architectures.toml);
a model whose architecture the catalog does not record gets only what goes in and what comes
out: never the task's generic chain, which would describe another family's network. An
architecture is explained once per answer; the next model of the same family points back.
"""

from __future__ import annotations

import re

from muselab.answer.result import ModelFit
from muselab.catalog.knowledge import about_family, architecture_of, own_part_architecture
from muselab.catalog.records import Architecture, Chain
from muselab.text import sentences

ROLES = {"model": "", "": "", "lora": "a LoRA add-on", "controlnet": "a ControlNet add-on", "vae": "a VAE (a part)",
         "text-encoder": "a text encoder (a part)", "image-encoder": "an image encoder (a part)",
         "add-on": "an add-on", "api": "a partner service, run through its API", "dataset": "a dataset, not a model"}


def shown_name(f: ModelFit) -> str:
    """The readable name: the record's display name, else the given name (see readable)."""
    return readable((f.record.display_name if f.record and f.record.display_name else "") or f.source.name)


def readable(name: str) -> str:
    """A file of one expert of a two-expert model (Wan 2.2 A14B's high-noise or low-noise file) is shown as
    the pair: a workflow loads both, and neither is the model alone."""
    if EXPERT_FILE.search(name):
        return " ".join(EXPERT_FILE.sub(" ", name).split()) + " (high- and low-noise pair)"
    return name


EXPERT_FILE = re.compile(r"\b(?:high|low)[ _-]noise\b", re.I)


# an add-on is not its base model's network: it has the architecture of its kind, when the name says which
ADD_ON_KINDS = (("ip-adapter", "ip-adapter"), ("ipadapter", "ip-adapter"), ("controlnet", "controlnet"),
                ("control", "controlnet"), ("t2i-adapter", "t2i-adapter"), ("lora", "lora"),
                ("embedding", "textual-inversion"))


def own_chain(f: ModelFit) -> tuple[Chain | None, Architecture | None]:
    """The model's chain and architecture: its record's own chain first, else its architecture's. A part or
    add-on (a LoRA, ControlNet, IP-Adapter, VAE, latent upscaler) never gets its family's main network."""
    r = f.record
    if r is None:
        return None, None
    arch = architecture_of(r) if r.role in ("model", "", "api") else (own_part_architecture(r) or addon_architecture(r))
    if r.workflow:
        return r.workflow, arch
    chain = (same_size(arch.chain) if arch and r.scale() == 1 else arch.chain) if arch else None
    return (without_missing_inputs(chain, r.input_modalities) if chain else None), arch


_OPTIONAL = re.compile(r"(?:,\s*|\s+and\s+|;\s*)?optional\s+([^,;()]+?)\s*\(([A-Z/]+)\)[^,;]*")


def without_missing_inputs(chain: Chain, inputs: list[str]) -> Chain:
    """An architecture's chain for a model that lacks one of its optional inputs (a text-only checkpoint of
    a family whose image-to-video models take a start image): without that input, and without the step
    clauses about it."""
    if not inputs:
        return chain
    have = {i.lower() for i in inputs}
    dropped, text = [], chain.input
    for m in _OPTIONAL.finditer(chain.input):
        if not {k.lower() for k in m.group(2).split("/")} & have:
            dropped.append(m.group(1).strip().lower())
            text = text.replace(m.group(0), "")
    if not dropped:
        return chain
    phrases = [d for d in dropped if len(d.split()) >= 2]  # 'start image', not a bare 'image'
    steps = []
    for step in chain.steps:
        kept = [c for c in step.split("; ") if not any(p in c.lower() for p in phrases)]
        if kept:
            steps.append("; ".join(kept))
    return chain.model_copy(update={"input": text.strip(" ,;") or chain.input, "steps": steps})


def same_size(chain: Chain) -> Chain:
    """An upscaler architecture's chain for a 1x model (a restorer or colouriser in ESRGAN or Compact form):
    the same network without the enlarging stage."""
    if "upscal" not in chain.output.lower() and "low-resolution" not in chain.input.lower():
        return chain
    return chain.model_copy(update={
        "input": "image (IMAGE)", "output": "the processed image at the same size (IMAGE)",
        "steps": [s for s in chain.steps if not re.search(r"upsampl|upscal|pixel.?shuffle|enlarg", s, re.I)]})


# an add-on kind built differently for a transformer base model (no U-Net encoder to copy)
ON_TRANSFORMER = {"controlnet": "dit-controlnet"}


def addon_architecture(r) -> Architecture | None:
    from muselab.catalog.knowledge import architectures

    base = architecture_of(r)
    if base is not None and base.part:
        return base  # the record says which add-on it is (a T2I-Adapter filed with the ControlNets)
    text = f"{r.role} {r.name} {r.display_name}".lower()
    # a LoRA is a LoRA whatever it is for ('Camera-Control' in its name does not make it a ControlNet)
    kind = "lora" if r.role == "lora" else next((a for key, a in ADD_ON_KINDS if key in text and a in architectures()),
                                                None)
    if kind in ON_TRANSFORMER and base is not None and base.backbone == "transformer":
        kind = ON_TRANSFORMER[kind]
    return architectures().get(kind) if kind else None


def chain_line(wf: Chain, name: str, brief: bool = False) -> str:
    """input → **model** [its stages] → output; `brief` drops the stages' asides (in parentheses)."""
    steps = [_brief(s) for s in wf.steps] if brief else wf.steps
    inner = " → ".join(steps)
    return f"{wf.input} → **{name}** [{inner}] → {wf.output}" if inner else f"{wf.input} → **{name}** → {wf.output}"


def _brief(step: str) -> str:
    return re.sub(r"\s*\([^()]*\)", "", step).strip() or step


MEDIA = {"text": "text (TEXT)", "image": "image (IMAGE)", "video": "video (VIDEO)", "audio": "audio (AUDIO)",
         "3d": "3D model (MESH)", "mask": "mask (MASK)", "pose": "pose (IMAGE)", "depth": "depth map (IMAGE)",
         "points": "points clicked on the image", "camera path": "camera path (pan, zoom, orbit)",
         "embedding": "image embeddings (a trained visual encoder)", "score": "a score (a number)"}


def io_line(f: ModelFit, name: str) -> str:
    """Only what goes in and comes out: the record's modalities, else its task's (never a chain's details,
    which belong to one architecture)."""
    def media(kinds: list[str]) -> str:
        return " and ".join(MEDIA.get(k, k) for k in kinds)

    ins = (f.record.input_modalities if f.record else []) or f.task.input_modalities
    outs = (f.record.output_modalities if f.record else []) or f.task.output_modalities
    return f"{media(ins) or 'input'} → **{name}** → {media(outs) or 'output'}"


def identity_line(f: ModelFit) -> str:
    """Catalog id, family and the part it plays: '`SR-4x-UltraSharp` · UltraSharp · upscaler model'."""
    bits = [f"`{f.source.name}`"]
    if f.record and f.record.family and f.record.family.lower() not in f.source.name.lower():
        bits.append(f"family {f.record.family}")
    role = ROLES.get(f.record.role, f.record.role) if f.record else "not in muselab's catalog"
    bits.append(role or f"{f.task.name.lower()} model")
    return " · ".join(bits)


def what_it_is(f: ModelFit, limit: int = 2) -> str:
    """A short description: the project's words on its family, else the record's or the source's summary."""
    text = (about_family(f.record) if f.record else "") or f.source.summary or (f.record.summary if f.record else "")
    return " ".join(sentences(text)[:limit]) if text else ""


def architecture_note(arch: Architecture, first_of: dict[str, str], name: str, full: bool) -> str:
    """The architecture, explained the first time it appears; later models of it point back."""
    if arch.id in first_of:
        return f"*{arch.name}:* the same architecture as {first_of[arch.id]}, above."
    first_of[arch.id] = name
    about = arch.about if full else sentences(arch.about)[0]
    return f"*{arch.name}.* {about}"
