"""Model families and the names they go by, derived from the catalog's own data.

A family is the series a model belongs to ("Wan 2.2", "Qwen-Image-Edit",
"Real-ESRGAN"). It is read from a record's own names (file name, display
name, repository), cut where the variant qualifiers start (sizes, precisions,
modes such as i2v, noise levels, "lora", ...), and refined by the family names
a source publishes (ComfyUI's template index names the models of each
template). Nothing here lists model names by hand.

Names are compared "squashed": lower case, letters, digits and '+' only, so
"Wan 2.2", "wan2.2" and "WAN-2.2" are one name, while a match must start and
end at a word boundary of the text it is found in ("swan22" holds no Wan).
"""

from __future__ import annotations

import re
from functools import lru_cache

# one chunk of a name: letters, digits, dotted versions and '+' ("wan2.2", "zero123++", "i2v", "14B")
_CHUNK_RE = re.compile(r"[A-Za-z0-9]+(?:\.[0-9]+)*(?:\+\+|\+)?")
# where a chunk splits into words: between letters and digits ("wan2.2" -> wan, 2.2; "hunyuan3d" -> hunyuan, 3, d)
_WORD_RE = re.compile(r"[A-Za-z]+|[0-9]+(?:\.[0-9]+)*|\+\+|\+")
# chunks that start the variant part of a name: a family name never continues past them
QUALIFIER_RE = re.compile(
    r"^(?:\d+(?:\.\d+)?[bm]|fp\d+|bf\d+|int\d+|q\d+(?:_k)?|nf4|gguf|e\d+m\d+(?:fn)?|scaled|pruned|ema|emaonly|"
    r"[a-z]\d[a-z]|[a-z]{1,2}2[a-z]|flf2v|ti2v|x\d+[a-z]*|high|low|noise|lora|loras|vae|text|encoder|encoders|clip|"
    r"model|models|unet|comfyui|comfy|repackaged|split|files|lightning|lightx2v|distill|distilled|fused|merged|"
    r"safetensors|ckpt|pth|bin|onnx|\d{3,4}p|\d+steps?|steps|step|rank\d*|r\d+|fp|full|inpainting|controlnet|"
    r"ema|v\d+(?:\.\d+)*|\d{6,})$", re.I)
_SCALE_RE = re.compile(r"^(?:\d+x|x\d+)$", re.I)


def squash(text: str) -> str:
    """The comparison form of a name: lower case, only letters, digits and '+'."""
    return re.sub(r"[^a-z0-9+]", "", text.lower())


def words(text: str) -> list[str]:
    """The words of a text as names are matched against it, in order, lower case."""
    return [w.lower() for chunk in _CHUNK_RE.findall(text) for w in _WORD_RE.findall(chunk)]


@lru_cache(maxsize=65536)
def boundaries(text: str) -> tuple[str, frozenset[int], frozenset[int]]:
    """(squashed text, offsets where a word starts, offsets where a word ends): a name found in a text
    must start and end on a word boundary."""
    out, starts, ends = [], set(), set()
    for w in words(text):
        starts.add(sum(map(len, out)))
        out.append(squash(w))
        ends.add(sum(map(len, out)))
    return "".join(out), frozenset(starts), frozenset(ends)


def family_part(name: str) -> str:
    """The leading part of a name before its variant qualifiers, in the name's own spelling:
    'wan2.2_i2v_high_noise_14B_fp8_scaled' -> 'wan2.2'; '4x-UltraSharp' -> 'UltraSharp'."""
    kept = []
    for m in _CHUNK_RE.finditer(name.replace("·", " ")):
        chunk = m.group(0)
        if not kept and _SCALE_RE.match(chunk):
            continue  # '4x-UltraSharp': the scale leads, the name follows
        if kept and (QUALIFIER_RE.match(chunk) or _SCALE_RE.match(chunk)):
            break
        kept.append(chunk)
    return " ".join(kept)


def matching(names: list[str], published: list[str]) -> list[str]:
    """The published family names that fit a record's names, most specific first: a name starts with
    the family ('wan2.2_i2v' ~ 'Wan2.2'), or has all of its words ('flux1-dev-kontext' ~ 'FLUX.1 Kontext')."""
    found = []
    for fam in published:
        key, fam_words = squash(fam), set(words(fam))
        for name in names:
            text, _, ends = boundaries(name)
            if key and ((text.startswith(key) and len(key) in ends) or (fam_words and fam_words <= set(words(name)))):
                found.append(fam)
                break
    return sorted(dict.fromkeys(found), key=lambda f: -len(squash(f)))


def family_of(names: list[str], published: list[str] = ()) -> str:
    """A record's family: the most specific published family name that fits it, else the first name's
    part before its qualifiers."""
    fits = matching(names, published)
    if fits:
        return fits[0]
    return next((part for part in map(family_part, names) if part), names[0] if names else "")


def find(name: str, text: str) -> int:
    """Where a name occurs in a text on word boundaries (index in the squashed text), or -1."""
    key = squash(name)
    squashed, starts, ends = boundaries(text)
    i = squashed.find(key)
    while key and i >= 0:
        if i in starts and i + len(key) in ends:
            return i
        i = squashed.find(key, i + 1)
    return -1


_VERSION_RE = re.compile(r"^v?\d+(?:\.\d+)*$", re.I)
_TRAILING_VERSION_RE = re.compile(r"^([A-Za-z]{2,})\.?v?\d+(?:\.\d+)*$")


def variants(name: str) -> set[str]:
    """Spellings of one name that people write: as is, and without its version numbers ('FLUX.1 Kontext' ->
    'FLUX Kontext', 'Wan2.2' -> 'Wan'). Digits inside a name stay ('GPT4Motion', 'Zero123++', '3D-GPT')."""
    out = {name.strip()}
    kept = []
    for chunk in _CHUNK_RE.findall(name):
        if _VERSION_RE.match(chunk):
            continue
        m = _TRAILING_VERSION_RE.match(chunk)
        kept.append(m.group(1) if m else chunk)
    no_version = " ".join(kept)
    if kept and squash(no_version) != squash(name) and re.search(r"[A-Za-z]{2}", no_version):
        out.add(no_version)
    return {v for v in out if squash(v)}


def name_like(word: str) -> bool:
    """A single word that reads as a name, not an everyday word: a digit or '+' in it, a capital inside it
    ('UltraSharp', 'HiDream'), or all capitals ('SDXL')."""
    w = word.strip()
    return bool(re.search(r"[0-9+]", w) or re.search(r"[a-z][A-Z]", w) or (w.isupper() and len(w) >= 3))


def prefixes(name: str) -> list[str]:
    """A name and its shorter leading parts of two words or more, as people shorten names
    ('flux1 fill dev' -> 'flux1 fill'); the shortest part may be one name-like word ('sam2 hiera' -> 'sam2')."""
    parts = _CHUNK_RE.findall(name)
    out = [" ".join(parts[:n]) for n in range(len(parts), 1, -1)]
    if parts and name_like(parts[0]):
        out.append(parts[0])
    return out or [name]


def aliases_for(names: list[str], trusted: list[str] = ()) -> list[str]:
    """The names a record goes by, each with its common spellings. Names are cut before their variant
    qualifiers first. `trusted` names (a family a catalog publishes, a curated title) count even as one
    plain word; other names (file names, bulk lists) count when they have several words or read as a
    name, so 'Faithful' or 'Clear' never become names."""
    out: dict[str, str] = {}
    named = [(n, True) for n in trusted] + [(p, False) for n in names for p in prefixes(family_part(n))]
    for name, is_trusted in named:
        for v in variants(name):
            key = squash(v)
            if len(key) < 3 or key in out:
                continue
            if is_trusted or len(words(v)) > 1 or name_like(v):
                out[key] = v
    return sorted(out.values(), key=str.lower)


def sub_names(name: str, published: list[str]) -> list[str]:
    """What a family adds to another published family it starts with: 'Wan2.1 InfiniteTalk' -> 'InfiniteTalk',
    'FLUX.1 Kontext' -> 'Kontext' (people name the addition alone; the linker drops everyday words)."""
    out = []
    for base in published:
        if squash(base) and squash(base) != squash(name) and name.lower().startswith(base.lower()):
            rest = name[len(base):].lstrip(" -_.0123456789")
            # 'Kontext', 'InfiniteTalk' are names; 'Dev', 'Pro', 'Fill' are variants of the base
            if (len(re.sub(r"[^A-Za-z]", "", rest)) >= 5 or name_like(rest)) and rest not in out:
                out.append(rest)
    return out


# file-name chunks that say how the weights are stored, not which model it is
_STORAGE_RE = re.compile(r"^(?:fp\d+|bf\d+|int\d+|nf4|fp8mixed|mixed|e\d+m\d+(?:fn)?|scaled|convrot|comfy|comfyui|"
                         r"transformer|repackaged|safetensors|sft|ckpt|pth|gguf|q\d+(?:_k)?(?:_[msl])?|k|ema|emaonly|"
                         r"pruned|fp|split|files)$", re.I)


def readable(stem: str, family: str = "") -> str:
    """A model file's name as a person reads it: storage details dropped, the family in its own spelling
    ('ltx-2.5-22b-distilled-transformer-comfy-int8-convrot', 'LTX-2.5' -> 'LTX-2.5 22b distilled')."""
    chunks = [c for c in _CHUNK_RE.findall(stem.replace("_", " ")) if not _STORAGE_RE.match(c)]
    if family:
        key, taken = squash(family), 0
        while taken < len(chunks) and len(squash("".join(chunks[:taken]))) < len(key):
            taken += 1
        if taken and squash("".join(chunks[:taken])) == key:
            chunks = [family, *chunks[taken:]]
    return " ".join(chunks) or stem
