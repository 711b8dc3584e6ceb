#!/usr/bin/env python3
"""Warm `ask` retrieval of this checkout against an older checkout, each over its own built-in catalog.

The question the catalog issue asks: does `ask` get slower with the larger catalog (current models,
templates, node packs, foundational papers)? Each version runs in its own child process with its own
source tree (PYTHONPATH), a fresh store holding its own built-in catalog and its own cache, over the
same questions (both dev benchmarks, 3 rounds, after one warm-up question), on the same machine in
the same run; `--runs` child processes per version, old and current alternating. Measured: retrieval (task, models, papers and the seed-format context), the part both
versions share; the old tree has no public API, so its `search.ask.ask` is called directly.
Target: current p50 <= 1.2x the old one.

    .venv/bin/python bench/latency_against.py /tmp/base     # a `git worktree add /tmp/base <commit>`
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import PAPERS_DEV, TASKS_DEV, write_json

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, statistics, sys, time
questions = json.loads(sys.argv[1])
try:
    import muselab
    lab = muselab.open(progress=False)
    run = lambda q: lab.retrieve(q, 3, 5)
    catalog = lambda: (lab.store.count("models"), lab.store.count("papers"))
except AttributeError:  # before the public API: what the old CLI's ask called
    from muselab.settings import Settings
    from muselab.catalog import open_store
    from muselab.search.embed import get_embedder
    from muselab.search.ask import ask
    s = Settings.load(progress=False)
    store, emb = open_store(s), get_embedder(s.embedder, s.cache_dir, s.threads)
    run = lambda q: ask(q, store, s, emb, 3, 5, s.retrieval)
    catalog = lambda: (store.count("models"), store.count("papers"))
run(questions[0])
times = []
for _ in range(3):
    for q in questions:
        t0 = time.perf_counter()
        run(q)
        times.append(time.perf_counter() - t0)
print(json.dumps({"times": times, "catalog": catalog()}))
"""


def measure(tree: Path, questions: list[str], work: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), MUSELAB_DB=str(work / "catalog.db"),
               MUSELAB_CACHE_DIR=str(work / "cache"), MUSELAB_SETTINGS=str(work / "none.toml"),
               HF_HUB_OFFLINE="1")
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(questions)], env=env, cwd=work,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{tree}: the run failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old", type=Path, help="source checkout to compare against (has src/muselab)")
    ap.add_argument("--runs", type=int, default=3,
                    help="child processes per version, alternating old and current so that a change in the "
                         "machine's load falls on both (default 3)")
    args = ap.parse_args()
    if not (args.old / "src" / "muselab").is_dir():
        sys.exit(f"{args.old}: no src/muselab there")
    questions = [q["question"] for q in json.loads(PAPERS_DEV.read_text())["queries"]]
    questions += [q["question"] for q in json.loads(TASKS_DEV.read_text())["questions"]]
    import statistics

    works = {name: Path(tempfile.mkdtemp(prefix=f"muselab-latency-{name}-")) for name in ("old", "current")}
    times: dict[str, list[float]] = {"old": [], "current": []}
    p50s: dict[str, list[float]] = {"old": [], "current": []}
    rows = {}
    for run in range(args.runs):
        for name, tree in (("old", args.old), ("current", ROOT)):
            print(f"run {run + 1}/{args.runs}: {name} ({tree}) ...", file=sys.stderr)
            r = measure(tree, questions, works[name])  # the store and cache are made by the first run
            times[name] += r["times"]
            p50s[name].append(round(1000 * statistics.median(r["times"]), 1))
            t = sorted(times[name])
            rows[name] = {"p50_ms": round(1000 * statistics.median(t), 1),
                          "p95_ms": round(1000 * t[int(0.95 * len(t))], 1), "n": len(t),
                          "run_p50s_ms": p50s[name], "models": r["catalog"][0], "papers": r["catalog"][1]}
    print("| version | catalog | warm retrieval p50 | p95 |\n|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['models']} models, {row['papers']} papers | {row['p50_ms']} ms | {row['p95_ms']} ms |")
    ratio = rows["current"]["p50_ms"] / rows["old"]["p50_ms"]
    print(f"\n- p50 of each run (ms): old {p50s['old']}, current {p50s['current']}")
    print(f"- current / old p50 over all runs: {ratio:.2f}x (target <= 1.2x) {'ok' if ratio <= 1.2 else 'MISSED'}")
    write_json("latency-against.json", rows | {"ratio": round(ratio, 2)})
    for work in works.values():  # two stores and caches, 190 MB each
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
