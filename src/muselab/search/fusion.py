"""Reciprocal rank fusion over score arrays: the one fusion every search in muselab uses.

A ranking is an array of positions (into one universe of papers or models),
best first; fusion adds weight / (k + rank) per ranking and position.
"""

from __future__ import annotations

import numpy as np

RRF_K = 60
DEPTH = 300  # how deep each ranking goes into the fusion


def ranking(scores: np.ndarray, depth: int = DEPTH) -> np.ndarray:
    """Positions of the best `depth` positive scores, best first (ties: lower position first)."""
    positive = scores > 0
    if np.count_nonzero(positive) > 4 * depth:  # mostly positive (cosines): partition the whole array at once
        hit = np.argpartition(-scores, depth - 1)[:depth]
    else:  # sparse (BM25): only the positive ones
        hit = np.flatnonzero(positive)
        if len(hit) > depth:
            hit = hit[np.argpartition(-scores[hit], depth - 1)[:depth]]
    return hit[np.lexsort((hit, -scores[hit]))]


def fuse(rankings: list[tuple[np.ndarray, float]], n: int, k: int = RRF_K) -> np.ndarray:
    """Weighted reciprocal rank fusion over positions: sum of weight / (k + rank) per ranking."""
    fused = np.zeros(n)
    for ranked, weight in rankings:
        ranked = ranked[:DEPTH]
        fused[ranked] += weight / (k + np.arange(1, len(ranked) + 1))
    return fused


def positions(ids: list[str], where: dict[str, int]) -> np.ndarray:
    """A ranking given as ids, as positions of a universe (ids it does not hold are dropped)."""
    return np.array([where[i] for i in ids if i in where], dtype=np.int64)
