"""Binary-relevance ranking metrics, as the baseline script computes them."""

from __future__ import annotations

import math


def ranking_metrics(ranked: list[str], relevant: list[str]) -> dict[str, float]:
    rel = set(relevant)
    top10 = ranked[:10]
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(top10) if d in rel)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(10, len(rel))))
    mrr = next((1.0 / (i + 1) for i, d in enumerate(top10) if d in rel), 0.0)
    return {
        "ndcg@10": dcg / idcg if idcg else 0.0,
        "recall@10": len(rel & set(top10)) / len(rel) if rel else 0.0,
        "recall@100": len(rel & set(ranked[:100])) / len(rel) if rel else 0.0,
        "mrr@10": mrr,
    }


def mean(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = ("ndcg@10", "recall@10", "recall@100", "mrr@10")
    out = {k: round(sum(r[k] for r in rows) / len(rows), 4) if rows else 0.0 for k in keys}
    out["n"] = len(rows)
    return out
