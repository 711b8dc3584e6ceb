"""The project's own knowledge: model families (data/families.toml), applied to catalog records; the
architectures their networks have (data/architectures.toml); the mechanisms people ask about
(data/explainers.toml).

Sources file records by what their format says (a ComfyUI-Manager 'checkpoint'
is filed as text-to-image); the family knowledge says what the models do, so
records are filed by what they do, whichever source they came from.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache, lru_cache
from importlib.resources import files

from muselab.catalog.families import boundaries, squash
from muselab.catalog.records import Architecture, Explainer, Model


def _data(name: str) -> dict:
    return tomllib.loads(files("muselab.catalog").joinpath(f"data/{name}").read_text(encoding="utf-8"))


@cache
def family_knowledge() -> tuple[dict, ...]:
    return tuple(_data("families.toml").get("family", []))


@cache
def architectures() -> dict[str, Architecture]:
    return {a["id"]: Architecture(**a) for a in _data("architectures.toml").get("architecture", [])}


@cache
def explainers() -> tuple[Explainer, ...]:
    return tuple(Explainer(**e) for e in _data("explainers.toml").get("explainer", []))


def architecture_of(m: Model) -> Architecture | None:
    """The architecture the record names (its family's, or the Open Model Database's id)."""
    return architectures().get((m.architecture or "").lower())


def about_family(m: Model) -> str:
    """The project's own words on the model's family, if it has any."""
    entry = knowledge_of(m)
    return entry.get("about", "") if entry else ""


def knowledge_for(family: str) -> dict | None:
    """The entry whose name the family starts with (the longest such name)."""
    return _best(family)[0]


def knowledge_of(m: Model) -> dict | None:
    """The entry for a record: its family's, unless its own name starts with a longer name of an entry
    for something else inside the family: a part (`role`: the SDXL refiner, LTX-2's latent upscalers are
    filed in their generator's family but are not the generator), a variant with its own architecture
    (FLUX.1 Fill) or with its own inputs (a base checkpoint beside its control adapters). A variant with
    the family's architecture (a Qwen-Image-Edit LoRA) keeps the family's."""
    by_family = _best(m.family or m.display_name or "")
    if not m.family:
        return by_family[0]
    family_arch = (by_family[0] or {}).get("architecture")
    by_name = _best(m.display_name or "", distinct_from=family_arch or "")
    return (by_name if by_name[1] > by_family[1] else by_family)[0]


@lru_cache(maxsize=8192)
def _best(text: str, distinct_from: str | None = None) -> tuple[dict | None, int]:
    """The entry with the longest name that the text starts with (on a word boundary), and that length.
    With `distinct_from` (a family's architecture): only an entry for something else inside the family,
    a part (it has a role) or a variant with another architecture (FLUX.1 Fill inside FLUX.1)."""
    squashed, _, ends = boundaries(text)
    for end in sorted(ends, reverse=True):  # longest first; a name is looked up, not searched for
        for entry in _by_name().get(squashed[:end], ()):
            if distinct_from is None or entry.get("role") or entry.get("inputs") \
                    or entry.get("architecture", distinct_from) != distinct_from:
                return entry, end
    return None, 0


@cache
def _by_name() -> dict[str, list[dict]]:
    """Squashed entry name -> the entries with that name, in file order."""
    out: dict[str, list[dict]] = {}
    for entry in family_knowledge():
        for name in entry.get("match", []):
            if squash(name):
                out.setdefault(squash(name), []).append(entry)
    return out


def own_part_architecture(m: Model) -> Architecture | None:
    """A part's own architecture, when the knowledge that filed it says what part it is (a speed LoRA, a
    latent upscaler); None when only its family's main network is known."""
    entry = knowledge_of(m)
    return architecture_of(m) if entry and entry.get("role") and entry.get("architecture") else None


# a LoRA whose name gives its step count or distillation method ('lightx2v 4steps', 'CausVid', 'Lightning
# 8steps') is a step-distillation LoRA, whichever generator's family it is filed in: it speeds that generator
# up (acceleration), it teaches it no subject or style (the model list files every LoRA as personalisation)
STEP_DISTILLED = re.compile(r"\d+\s?steps?\b|step\s?distill|lightning|\blcm\b|hyper\s?sd|causvid|dmd2", re.I)


def apply_knowledge(m: Model) -> Model:
    return as_step_distilled(with_family_knowledge(m))


def as_step_distilled(m: Model) -> Model:
    named = m.role == "lora" and STEP_DISTILLED.search(re.sub(r"[-_.]", " ", f"{m.name} {m.display_name or ''}"))
    if not named and m.architecture != "distillation-lora":
        return m
    return m.model_copy(update={"architecture": "distillation-lora", "task": "acceleration"})


def with_family_knowledge(m: Model) -> Model:
    entry = knowledge_of(m)
    if entry is None:
        return m
    update = {k: entry[k] for k in ("task", "architecture", "role") if entry.get(k)}
    # what goes in and comes out, where sources only copied the task's (ArcFace takes no text)
    update |= {field: entry[key] for key, field in (("inputs", "input_modalities"), ("outputs", "output_modalities"))
               if entry.get(key)}
    if entry.get("task"):  # the family was filed wrongly: what it does is what the knowledge says
        update["capabilities"] = sorted(set(entry.get("capabilities", [])) - {entry["task"]})
    elif entry.get("capabilities"):
        update["capabilities"] = sorted(set(m.capabilities) | set(entry["capabilities"]) - {m.task})
    return m.model_copy(update=update) if update else m


def architecture_group(m: Model) -> str:
    """The group of architectures a list of recommendations shows once (the classic style networks)."""
    arch = architecture_of(m)
    return arch.group if arch else ""


def staples(m: Model) -> frozenset[str]:
    """The tasks for which practitioners reach for the model's family first: its models and services, not the
    add-ons filed in the family (a FLUX.1 IP-Adapter is not what one reaches for first for image-to-image)."""
    if m.role not in ("model", "api", "", None):
        return frozenset()
    return frozenset((knowledge_of(m) or {}).get("staple", ()))
