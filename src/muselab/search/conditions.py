"""What a control model is steered by (lines, a pose, depth...) against what the question has to steer
with: a drawing is followed through a lineart or scribble ControlNet, not through an inpainting, upscaler or
hand-fixing one, which need a mask, a small picture or a hand's depth instead."""

from __future__ import annotations

import numpy as np

from muselab.catalog.taxonomy import has_cue
from muselab.text import normalise

# kind of condition: (fragments of a control model's squashed name, words a question says it with)
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "lines": (("lineart", "scribble", "sketch", "canny", "softedge", "mlsd", "anyline", "hedcontrol"),
              ("drawing", "sketch", "doodle", "line art", "lineart", "scribble", "outline", "edges", "canny",
               "linework", "pencil")),
    "pose": (("openpose", "pose"), ("pose", "skeleton", "openpose", "posture", "stance", "dwpose")),
    "depth": (("depth",), ("depth", "depth map")),
    "mask": (("inpaint",), ("inpaint", "inpainting", "mask", "fill in", "erase", "remove", "outpaint")),
    "tile": (("tile", "upscal", "blur"), ("upscale", "upscaling", "blurry", "low res", "low resolution", "tile",
                                  "sharpen", "enlarge", "higher resolution")),
    "hands": (("handrefiner", "hand"), ("hand", "fingers")),
    "pattern": (("qrcode", "qrmonster", "illusion"), ("qr", "qr code", "illusion", "spiral")),
}
ANY = ("union", "promax", "allinone", "anytest")  # a union ControlNet follows any of the usual conditions
# a kind of special purpose, shown for a general question only when asked for
SPECIAL = frozenset({"mask", "tile", "hands", "pattern"})
MATCH, MISMATCH, UNASKED = 1.0, 1.0, 0.5
UNION_MATCH = 0.6  # a model made for the very condition before one made for all of them

_KINDS_OF: list = [None, None]  # (the table it was computed for, its KindArrays)


class KindArrays:
    """Per kind, which rows of a model table are control models steered by it; which are union models; and
    which are steered only by special-purpose kinds (computed once per table, then scored as arrays)."""

    def __init__(self, table):
        rows = [(frozenset(k for k, (frags, _) in KINDS.items() if any(f in name for f in frags)),
                 any(a in name for a in ANY)) if is_control(name, role) else (frozenset(), False)
                for name, role in zip(table.squashed_names, table.roles)]
        self.of = {k: np.array([k in kinds for kinds, _ in rows]) for k in KINDS}
        self.union = np.array([union for _, union in rows])
        self.some = np.array([bool(kinds) for kinds, _ in rows])
        self.special_only = np.array([bool(kinds) and kinds <= SPECIAL and not union for kinds, union in rows])


def model_kinds(table) -> KindArrays:
    if _KINDS_OF[0] is not table:
        _KINDS_OF[:] = [table, KindArrays(table)]
    return _KINDS_OF[1]


def is_control(squashed_name: str, role: str) -> bool:
    """A ControlNet, control LoRA or T2I-Adapter file (not a base model that has 'control' in its family)."""
    return role not in ("model", "api") and ("control" in squashed_name or "t2iadapter" in squashed_name)


def asked_kinds(question: str) -> frozenset[str]:
    q = normalise(question)
    return frozenset(k for k, (_, words) in KINDS.items() if any(has_cue(w, q) is not None for w in words))


def condition_scores(question: str, table) -> np.ndarray:
    """Per model: a control model steered by what the question has gains MATCH (a union model, which
    follows any, UNION_MATCH), one steered by something else loses MISMATCH; asked nothing in particular,
    the special-purpose ones (inpainting, tile, hands, QR patterns) lose UNASKED."""
    asked, kinds = asked_kinds(question), model_kinds(table)
    if not asked:
        return np.where(kinds.special_only, -UNASKED, 0.0)
    match = np.logical_or.reduce([kinds.of[k] for k in asked])
    return np.where(match, MATCH, np.where(kinds.union, UNION_MATCH, np.where(kinds.some, -MISMATCH, 0.0)))
