#!/usr/bin/env python3
"""Named-model questions: does `ask` recommend the family the question names, and hand over its workflow?

The questions (bench/named/questions.json) were written for this benchmark by the
project, without looking at muselab's catalog or code: each names a current model
family ("wan2.2", "qwen image edit 2509", "flux kontext dev", ...) and gives the
family pattern a right answer contains, the task, and whether it is a how-to
question. Questions that name a closed service (family null) are right when the
answer says the name is not in the catalog, or links it to the catalog's record
of that service.

Scores: family top-1 (the first recommended model is of the named family),
family any (one of the three is), task (the identified task is the labelled one,
or its parent), said (null-family questions handled as above), workflow (for
how-to questions whose family has a template in the catalog: the workflow handed
over runs a model of the named family).

    .venv/bin/python bench/named.py [--questions bench/named/questions.json] [--show]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _common import write_json

HERE = Path(__file__).resolve().parent


def words_of(*texts: str) -> set[str]:
    from muselab.catalog.families import words

    return {w for t in texts if t for w in words(t)}


def of_family(model, pattern: str) -> bool:
    from muselab.catalog.families import words

    return set(words(pattern)) <= words_of(model.family, model.display_name, model.name, *model.aliases)


def in_catalog(lab, pattern: str) -> bool:
    return any(of_family(m, pattern) for m in lab.store.models())


def has_template(lab, pattern: str) -> bool:
    return any(of_family(m, pattern) for m in lab.store.models() if m.templates and m.role in ("model", ""))


def workflow_runs_family(lab, result, pattern: str) -> bool:
    try:
        wf = lab.workflow_for(result)
    except Exception:  # no workflow handed over: the score says so
        return False
    names = {m.get("name") for m in wf.meta.get("models", []) if m.get("role") == "runs"}
    return any(of_family(m, pattern) for m in lab.store.models(names))


def score(lab, q: dict) -> dict:
    r = lab.ask(q["question"])
    models, fam = r.models, q["family"]
    task_ok = r.task.id == q["task"] or r.task.parent == q["task"] or q["task"] in {r.task.parent, r.task.id}
    row = {"id": q["id"], "question": q["question"], "task": r.task.id, "task_ok": task_ok,
           "models": [m.name for m in models], "linked": [l.text for l in r.retrieval.linked],
           "not_in_catalog": r.retrieval.unknown}
    if fam is None or not in_catalog(lab, fam):
        named = q["named"].lower()
        row["absent"] = True
        row["said"] = any(named in u.lower() or u.lower() in named for u in r.retrieval.unknown) or any(
            named in l.text.lower() or l.text.lower() in named for l in r.retrieval.linked)
        return row
    row["top1"] = bool(models) and of_family(models[0], fam)
    row["any"] = any(of_family(m, fam) for m in models)
    if q.get("howto") and has_template(lab, fam):
        row["workflow"] = workflow_runs_family(lab, r, fam)
    return row


def summary(rows: list[dict]) -> dict:
    def share(key):
        found = [r[key] for r in rows if key in r]
        return (sum(found), len(found))

    return {k: share(k) for k in ("top1", "any", "task_ok", "said", "workflow")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=Path, default=HERE / "named" / "questions.json")
    ap.add_argument("--show", action="store_true", help="print every miss")
    args = ap.parse_args()
    import muselab

    lab = muselab.open(progress=False)
    questions = json.loads(args.questions.read_text())["questions"]
    rows = [score(lab, q) for q in questions]
    totals = summary(rows)
    print("| measure | result |\n|---|---|")
    labels = {"top1": "first recommended model is of the named family", "any": "one of the 3 is",
              "task_ok": "task right", "said": "name outside the catalog said so (or linked)",
              "workflow": "how-to with a template: the workflow runs the named family"}
    for key, (hit, n) in totals.items():
        print(f"| {labels[key]} | {hit} / {n}" + (f" ({hit / n:.0%})" if n else "") + " |")
    if args.show:
        for r in rows:
            if not all(r.get(k, True) for k in ("top1", "task_ok", "said", "workflow")):
                print(json.dumps(r, ensure_ascii=False), file=sys.stderr)
    write_json("named.json", {"totals": totals, "rows": rows})


if __name__ == "__main__":
    main()
