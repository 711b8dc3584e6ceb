"""Named-model linking: which catalog models a question names, and which names it has that the catalog lacks.

Every model record brings its family and aliases (catalog/families.py derives
them from the catalog's own data). A question is searched for those names in
their squashed form on word boundaries, so "wan2.2", "Wan 2.2 14B" and
"WAN-2.2" all find the Wan 2.2 family; the longest name wins where names
overlap ("qwen image edit 2509" over "qwen image"). A name that is an everyday
or task word ("depth", "video", "clip") never links, except an acronym written
in capitals where the catalog writes it so ("CLIP").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from muselab.catalog.families import boundaries, squash, variants, words
from muselab.catalog.records import Model
from muselab.errors import MuselabError
from muselab.text import DOMAINS, GENERIC, STOPWORDS


@dataclass
class Link:
    text: str  # the name as the question writes it
    family: str  # the family it names
    models: list[str] = field(default_factory=list)  # catalog names of the models it links to

    def to_dict(self) -> dict:
        return {"text": self.text, "family": self.family, "models": self.models}


@dataclass
class Entry:
    key: str
    shown: str
    rows: set[int]
    literal: str | None = None  # match only as written: 'CLIP' in capitals, 'Shap-E' with its hyphen
    capital: bool = False  # match only written with a capital: 'Flux' or 'FLUX', 'GLIDE', never 'glide'


# a number, or one with a unit ('90s', '4k', '2x', '1080p', '60fps'), is how people write a decade, a size or a
# rate, not a name (the '90s Cartoon' upscaler is not named by 'a 90s house party')
NUMBER_RE = re.compile(r"\d+(?:s|k|x|p|fps|mp)?")
EVERYDAY_RANK = 13_000  # the embedder's vocabulary lists whole words by frequency: these many are everyday words
MAJOR_FAMILY = 10  # records under one name that make it a family people name in any case


@lru_cache(maxsize=2)
def everyday_words(rank: int = EVERYDAY_RANK) -> frozenset[str]:
    """The most frequent English words, from the MiniLM tokenizer's own vocabulary (ordered by frequency);
    with `rank` 0, every whole word it has."""
    try:
        from muselab.search.embed import model_dir

        lines = (model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    except (MuselabError, OSError):
        return frozenset()
    return frozenset(w for w in lines[:rank or None] if w.isalpha() and not w.startswith("##"))


# samplers and schedules are settings of every diffusion model: 'DPM++ SDE' never names the score-SDE code;
# and 'RAM' in a question is the computer's memory ('32 GB of RAM'), not the Recognize Anything tagger
SAMPLER_WORDS = frozenset({"sde", "euler", "heun", "karras", "unipc", "lms"})
HARDWARE_WORDS = frozenset({"ram"})
NEVER_NAMES = SAMPLER_WORDS | HARDWARE_WORDS
INFLECTIONS = ("s", "d", "ed", "ing", "er", "ion", "ation", "ly")


def is_everyday(key: str, common: set[str]) -> bool:
    """An everyday word, or one whose inflection is ('animate': 'animated' is in the vocabulary, 'animate'
    itself is not: the vocabulary keeps whole words only down to a frequency)."""
    if key in common:
        return True
    if not key.isalpha():
        return False
    stems = (key, key[:-1]) if key.endswith("e") else (key,)
    return any(stem + end in common for stem in stems for end in INFLECTIONS)


def common_words(tasks) -> set[str]:
    """Squashed everyday and task words, and the tasks' own names: never model names on their own. (Task
    cues are left out: they include names users write, which are exactly what linking is for; so are the
    vocabulary's phrases, which include names such as 'Stable Diffusion'; their single words count.)"""
    out = set(STOPWORDS) | set(GENERIC) | {squash(d) for d in DOMAINS} | everyday_words()
    for t in tasks:
        out.update({squash(t.id), squash(t.name)})
        for phrase in [t.id, t.name, *t.vocabulary]:
            out.update(squash(w) for w in words(phrase))
    return {w for w in out if w}


class NameIndex:
    """The names of every catalog model, ready to be found in questions."""

    def __init__(self, models: list[Model], tasks):
        common = self.common = common_words(tasks)  # kept: every question's unknown names are checked against it
        self.models = models
        self.entries: dict[str, Entry] = {}
        for row, m in enumerate(models):
            for name in self._names(m):
                self._add(name, row, common)
        self.by_length = sorted(self.entries.values(), key=lambda e: -len(e.key))
        self.rank = {e.key: n for n, e in enumerate(self.by_length)}
        self.longest = len(self.by_length[0].key) if self.by_length else 0

    @staticmethod
    def _names(m: Model) -> list[str]:
        return [v for n in [m.family, *m.aliases] if n for v in variants(n)]

    def _add(self, name: str, row: int, common: set[str]) -> None:
        key = squash(name)
        if len(key) < 3 or NUMBER_RE.fullmatch(key) or key in NEVER_NAMES:
            return
        literal = None
        caps = re.sub(r"[^A-Za-z0-9+]", "", name)
        acronym = caps.isupper() and len(words(name)) == 1
        if is_everyday(key, common):
            if acronym:
                literal = caps  # 'CLIP', never 'clip'
            elif re.search(r"\w[-.+]\w", name.strip()):
                literal = name.strip()  # 'Shap-E', never 'shape'
            else:
                return  # an everyday or task word is not a name
        capital = acronym and literal is None and key in everyday_words(0)  # a rarer English word: 'glide'
        entry = self.entries.setdefault(key, Entry(key, name, set(), literal, capital))
        entry.rows.add(row)

    def find(self, question: str) -> list[Link]:
        """The names in a question, longest first where they overlap, each with its models."""
        squashed, starts, ends = boundaries(question)
        # every stretch from a word's start to a word's end is looked up among the names (a few hundred
        # look-ups), rather than every name searched for in the question (thousands)
        stretches = sorted((self.rank[e.key], i, j, e) for i in starts for j in ends if 0 < j - i <= self.longest
                           if (e := self.entries.get(squashed[i:j])) is not None)
        taken: list[tuple[int, int]] = []
        found: list[tuple[int, Entry]] = []
        done: set[str] = set()
        for _, i, j, e in stretches:  # longest names first, each name at its first place that is free
            if e.key in done or any(a < j and i < b for a, b in taken):
                continue
            # (a family with many records, such as FLUX, is what people write in lower case too)
            if (e.literal is None or _written(e.literal, question)) and (
                    not e.capital or len(e.rows) >= MAJOR_FAMILY or _as_written(question, e.key, i)[:1].isupper()):
                taken.append((i, j))
                found.append((i, e))
                done.add(e.key)
        return [self._link(question, e) for _, e in sorted(found, key=lambda x: x[0])]

    def _link(self, question: str, e: Entry) -> Link:
        rows = sorted(e.rows, key=lambda r: (self.models[r].role not in ("model", "api"),
                                             -(self.models[r].popularity or 0), self.models[r].name))
        families = [self.models[r].family for r in rows if self.models[r].family]
        # the models' family written exactly ('Qwen-Image'), before a longer one that carries the name too (its
        # editor); a LoRA's family name is not the model's ('SD1.5' LoRAs beside the 'Stable Diffusion 1.5' model)
        exact = [self.models[r].family for r in rows if self.models[r].role in ("model", "api")
                 and squash(self.models[r].family or "") == e.key]
        commonest = _commonest(families)
        if not (exact and commonest and squash(commonest).startswith(e.key)):
            exact = []  # (a version written out, 'qwen image edit 2509', stays in its family)
        family = _commonest(exact) or commonest or e.shown
        # a model of another family built on the named one ('wan2.2 bernini r', a relighting editor on Wan 2.2
        # weights) carries the name in its own, but the user named the family, not it. The family a name
        # denotes is its models' (not its LoRAs': 'SD 1.5' names the checkpoint); with no clear family
        # ('ChatGPT': the chat service and its image generator) every record of the name stays
        named = [self.models[r].family for r in rows if self.models[r].family
                 and self.models[r].role in ("model", "api")] or families
        core = _commonest(exact) or _commonest(named) or family
        kin = [r for r in rows if _kin(self.models[r].family, core)]
        rows = kin if len(kin) > len(rows) - len(kin) else rows
        # the family's own models, written exactly and with a workflow to run them, lead its versions: 'Qwen-Image'
        # is not 'Qwen Image 2.1' (a service of the name is not them: the 'FLUX' API is not what 'a Flux LoRA' is
        # trained on; nor a paper's record without a workflow: 'TRELLIS' still runs TRELLIS.2's template)
        own = [r for r in rows if self.models[r].role == "model" and self.models[r].templates
               and squash(self.models[r].family or "") == e.key]
        if exact and own:
            rows.sort(key=lambda r: r not in own)
        return Link(text=_as_written(question, e.key), family=family, models=[self.models[r].name for r in rows])


def _commonest(names: list[str]) -> str | None:
    """The name written most often, the first of equals; None for none."""
    return max(dict.fromkeys(names), key=names.count) if names else None


def _kin(family: str | None, named: str) -> bool:
    """A record of the named family or of a version of it ('Wan' beside 'Wan2.2', 'FLUX.2' beside 'FLUX.1');
    a record with no family is not known to be another's."""
    a, b = squash(family or ""), squash(named)
    return not a or a.startswith(b) or b.startswith(a) or _head(a) == _head(b)


def _head(key: str) -> str:
    return re.match(r"[a-z]*", key).group(0)


def _written(literal: str, question: str) -> bool:
    flags = 0 if literal.isupper() else re.I
    return re.search(rf"(?<!\w){re.escape(literal)}(?!\w)", question, flags) is not None


def _as_written(question: str, key: str, start: int = 0) -> str:
    """The stretch of the question whose squashed form is the key (the first from `start`, a position in
    the squashed question)."""
    kept = [(p, c) for p, ch in enumerate(question) for c in ch.lower() if _SQUASH_KEEPS.match(c)]
    i = "".join(c for _, c in kept).find(key, start)
    if i < 0 or not key:
        return key
    return question[kept[i][0]:kept[i + len(key) - 1][0] + 1].strip()


_SQUASH_KEEPS = re.compile(r"[a-z0-9+]")  # what squash() keeps of a lower-case text


def name_index(store) -> NameIndex:
    from muselab.search.models import model_table  # the records the table has already read

    return store.derived("name_index", ("models", "tasks"),
                         lambda: NameIndex(model_table(store).models, store.tasks().values()))


# a name the catalog may not hold: a capitalised word with a version ("Sora 2", "Kling 2.1", "Gen-4"), or a word
# that reads as a name (a capital inside it, capitals, letters and digits) next to a word that says it is a model
_VERSIONED_RE = re.compile(r"\b[A-Z][A-Za-z]+(?:[-\s]v?\d+(?:\.\d+)*[a-z]?)\b|\b[A-Za-z]+-\d+(?:\.\d+)*\b")
_NAMEISH_RE = re.compile(r"\b(?:[A-Za-z]*[a-z][A-Z]\w*|[A-Z]{3,}\d*|[A-Za-z]+\d+[A-Za-z]*)(?:\+\+)?")
_MODELISH = re.compile(r"\b(model|models|checkpoint|lora|vs|versus|than|like|with|using)\b", re.I)


def _candidates(question: str) -> list[str]:
    found = [m.group(0).strip() for m in _VERSIONED_RE.finditer(question)]
    for m in _NAMEISH_RE.finditer(question):
        before, after = question[max(0, m.start() - 12):m.start()], question[m.end():m.end() + 12]
        if _MODELISH.search(before.split()[-1] if before.split() else "") or _MODELISH.search(
                after.split()[0] if after.split() else ""):
            found.append(m.group(0))
    return list(dict.fromkeys(found))


# hardware, platforms and units: written like model names ('RTX 4090', 'M2', '60 FPS'), but never a model
NOT_MODELS = frozenset(squash(w) for w in (
    "nvidia amd intel apple rtx gtx rx xt xtx radeon geforce quadro tesla arc cuda rocm zluda directml mps "
    "metal vulkan fps vram ram gb mb tb cpu gpu npu tpu ssd hdd macbook imac iphone ipad android windows "
    "linux macos ubuntu wsl colab kaggle runpod m1 m2 m3 m4 m5 ps5 xbox hdr sdr usb hdmi").split())


def unknown_names(question: str, links: list[Link], tasks, index: NameIndex) -> list[str]:
    """Names in the question that look like a model's but link to nothing in the catalog."""
    common = index.common
    linked = {squash(l.text) for l in links}
    out = []
    for name in _candidates(question):
        key = squash(name)
        head = squash(re.split(r"[-\s\d]", name)[0])
        if not key or key in linked or any(key in k or k in key for k in linked) or head in common or key in common \
                or head in NOT_MODELS or key in NOT_MODELS:
            continue
        if key not in index.entries and name not in out:
            out.append(name)
    return out
