#!/usr/bin/env python3
"""Answer the expert benchmark's novice questions (bench/expert/questions.json) with `ask`, for judging.

Writes bench/expert/answers-LABEL.json: per question, the task muselab identified, the models and
papers it recommended (with their relevance labels), the explainers it used, the answer's Markdown
and its word count. The judging itself is done by a person or an independent reviewer with
RUBRIC.md, never by this script (see BENCHMARKS.md for who judged).

    .venv/bin/python bench/expert/run.py LABEL [--detail short|full] [--questions FILE]

questions-unseen.json (round U1), questions-unseen2.json (round U2, stop 20) and questions-unseen3.json
(round U3, stop 21), and so on to questions-unseen22.json (round U22, stop 30) each hold 16 further
questions written by an independent reviewer who never saw the code; they are held out: answered and
judged once, before anything is changed after them (BENCHMARKS.md says what each round measures).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("label")
    ap.add_argument("--detail", default=None, help="short or full (default: the version's own default)")
    ap.add_argument("--questions", type=Path, default=HERE / "questions.json", help="the questions (JSON)")
    args = ap.parse_args()
    import muselab

    lab = muselab.open(progress=False)
    rows = []
    for q in json.loads(args.questions.read_text())["questions"]:
        start = time.perf_counter()
        r = lab.ask(q["question"], **({"detail": args.detail} if args.detail else {}))
        data = r.to_dict()
        rows.append({"id": q["id"], "question": q["question"], "task": r.task.id,
                     "second": getattr(r.answer.guess, "second", None) and r.answer.guess.second.id,
                     "models": [m.name for m in r.models],
                     "papers": [{"title": p["title"], "relevance": p["relevance"]} for p in data.get("papers", [])],
                     "explainers": getattr(r.answer, "explainers", []),
                     "words": len(r.markdown.split()), "seconds": round(time.perf_counter() - start, 2),
                     "markdown": r.markdown})
        print(q["id"], r.task.id, rows[-1]["words"], "words")
    (HERE / f"answers-{args.label}.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
