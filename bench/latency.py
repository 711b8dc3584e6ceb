#!/usr/bin/env python3
"""Query latency of `ask` over the 39k corpus plus all catalog models.

warm: in one process, after one warm-up question (models loaded, indexes in
memory): retrieval (task, models, papers) and the whole ask (plus composing and
verifying the answer), over every question of both dev benchmarks, 3 rounds.
cold: the `muselab ask` command as a user runs it, a new process each time.
Same run, for comparison: FTS5's own bm25() query and the in-memory BM25
that muselab uses instead. Target: ask p50 <= 30 ms warm.

    .venv/bin/python bench/latency.py [--cold-runs 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from _common import PAPERS_DEV, TASKS_DEV, corpus_store, ms, muselab, write_json
import statistics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cold-runs", type=int, default=10)
    args = ap.parse_args()
    db = corpus_store()
    from muselab import open as open_lab  # (the name `muselab` is the CLI helper here)
    from muselab.search.bm25 import bm25_index
    from muselab.search.papers import fts_terms, lexical

    lab = open_lab(db=db, builtin_papers=False, progress=False)
    store, settings = lab.store, lab.settings
    questions = [q["question"] for q in json.loads(PAPERS_DEV.read_text())["queries"]]
    questions += [q["question"] for q in json.loads(TASKS_DEV.read_text())["questions"]]
    print(f"store: {store.count('papers')} papers, {store.count('models')} models; {len(questions)} questions",
          file=sys.stderr)
    lab.ask(questions[0])  # warm-up: loads the model and the indexes
    retrieval, whole, fts, bm25 = [], [], [], []
    index = bm25_index(store, settings.cache_dir)
    for _ in range(3):
        for q in questions:
            t0 = time.perf_counter()
            lab.retrieve(q, 3, 5)
            t1 = time.perf_counter()
            lab.ask(q, 3, 5)
            retrieval.append(t1 - t0)
            whole.append(time.perf_counter() - t1)
            t3 = time.perf_counter()
            lexical(store, q, 300)
            t4 = time.perf_counter()
            index.top(" ".join(fts_terms(q)), 300)
            bm25.append(time.perf_counter() - t4)
            fts.append(t4 - t3)
    cold = []
    for q in questions[: args.cold_runs]:
        t0 = time.perf_counter()
        muselab("--no-progress", "--db", db, "ask", q, env={"MUSELAB_BUILTIN_PAPERS": "false"})
        cold.append(time.perf_counter() - t0)
    rows = {
        "ask, warm: retrieval (task + models + papers)": retrieval,
        "ask, warm: whole answer (retrieval + compose + verify)": whole,
        "lexical ranking, FTS5 bm25() query (top 300)": fts,
        "lexical ranking, muselab in-memory BM25 (top 300)": bm25,
        "muselab ask, cold CLI (new process)": cold,
    }
    print("| measurement | latency |\n|---|---|")
    for name, values in rows.items():
        print(f"| {name} | {ms(values)} (n={len(values)}) |")
    p50 = statistics.median(whole)
    print(f"\n- target ask p50 <= 30 ms warm: {1000 * p50:.1f} ms {'ok' if p50 <= 0.030 else 'MISSED'}")
    write_json("latency.json", {k: sorted(v) for k, v in rows.items()})


if __name__ == "__main__":
    main()
