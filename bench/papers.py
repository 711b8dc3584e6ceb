#!/usr/bin/env python3
"""Paper retrieval on papers_dev.json over the full 39k corpus: muselab's modes beside the baselines.

Runs ../shared/tools/bench_papers_baselines.py (BM25, dense, RRF-fused) and
`muselab eval papers` in every mode, in the same run, and checks the targets:
task mode >= 1.25x the fused baseline's nDCG@10 overall and >= 3x on novice
questions, and not below it on the other voices.

    .venv/bin/python bench/papers.py [--bench FILE]
"""

from __future__ import annotations

import argparse
import json
import sys

from _common import CORPUS, PAPERS_DEV, SHARED, VECTORS, corpus_store, muselab, write_json, OUT

VOICES = ("novice", "practitioner", "keywords")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=str(PAPERS_DEV))
    args = ap.parse_args()
    db = corpus_store()

    print("running the baselines ...", file=sys.stderr)
    base_json = OUT / "baselines.json"
    muselab_env = {"MUSELAB_BUILTIN_PAPERS": "false"}
    import subprocess

    subprocess.run([sys.executable, str(SHARED / "tools" / "bench_papers_baselines.py"), str(CORPUS), args.bench,
                    "--emb-cache", str(VECTORS), "--out-json", str(base_json)], check=True,
                   capture_output=True, text=True)
    split = next(iter(json.loads(base_json.read_text())["splits"].values()))["methods"]
    rows = {}
    for method, name in (("bm25", "baseline BM25 (rank_bm25)"), ("dense", "baseline dense"), ("hybrid", "baseline fused (RRF)")):
        r = split[method]
        rows[name] = {"all": r["all"]["nDCG@10"], **{v: r[v]["nDCG@10"] for v in VOICES},
                      "recall@100": r["all"]["Recall@100"], "mrr@10": r["all"]["MRR@10"]}
    for mode in ("lexical", "dense", "hybrid", "task"):
        print(f"muselab eval papers --mode {mode} ...", file=sys.stderr)
        out = json.loads(muselab("--no-progress", "--db", db, "eval", "papers", args.bench, "--mode", mode,
                                 "--format", "json", env=muselab_env).stdout)
        rows[f"muselab {mode}" + (" (default)" if mode == "task" else "")] = {
            "all": out["ndcg@10"], **{v: out["by_voice"][v]["ndcg@10"] for v in VOICES},
            "recall@100": out["recall@100"], "mrr@10": out["mrr@10"]}

    print("| method | nDCG@10 all | novice | practitioner | keywords | Recall@100 | MRR@10 |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['all']:.3f} | {r['novice']:.3f} | {r['practitioner']:.3f} | {r['keywords']:.3f} "
              f"| {r['recall@100']:.3f} | {r['mrr@10']:.3f} |")
    fused, ours = rows["baseline fused (RRF)"], rows["muselab task (default)"]
    checks = {
        "overall >= 1.25x fused": (ours["all"] / fused["all"], ours["all"] >= 1.25 * fused["all"]),
        "novice >= 3x fused": (ours["novice"] / max(fused["novice"], 1e-9), ours["novice"] >= 3 * fused["novice"]),
        "practitioner >= fused": (ours["practitioner"] / fused["practitioner"], ours["practitioner"] >= fused["practitioner"]),
        "keywords >= fused": (ours["keywords"] / fused["keywords"], ours["keywords"] >= fused["keywords"]),
    }
    print()
    for name, (ratio, ok) in checks.items():
        print(f"- {name}: {ratio:.2f}x {'ok' if ok else 'MISSED'}")
    write_json("papers.json", {"rows": rows, "checks": {k: {"ratio": r, "ok": ok} for k, (r, ok) in checks.items()}})
    sys.exit(0 if all(ok for _, ok in checks.values()) else 1)


if __name__ == "__main__":
    main()
