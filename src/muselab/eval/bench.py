"""`muselab eval papers` and `muselab eval tasks`."""

from __future__ import annotations

import json
import time
from pathlib import Path

from muselab.catalog.taxonomy import label_of
from muselab.errors import BadInput
from muselab.eval.metrics import mean, ranking_metrics
from muselab.progress import bar


def load_bench(path: Path, key: str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"benchmark file not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"benchmark file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise BadInput(f"benchmark file {path} has no '{key}' list (see ../shared/data/bench/)")
    return data


def eval_papers(store, search, prepare, bench: dict, mode: str, progress: bool = True) -> dict:
    """`prepare(question)` gives the search's keyword arguments in task mode (the task, the mechanisms)."""
    queries = bench["queries"]
    rows, by_voice, latency, missing = [], {}, [], 0
    with bar(total=len(queries), desc=f"eval papers ({mode})", unit=" queries", enabled=progress) as pbar:
        for q in queries:
            for key in ("question", "relevant"):
                if key not in q:
                    raise BadInput(f"benchmark query {q.get('qid', '?')} has no '{key}'")
            missing += sum(1 for r in q["relevant"] if store.paper(r) is None)
            t0 = time.perf_counter()
            extra = prepare(q["question"]) if mode == "task" else {}
            hits = search.search(q["question"], mode=mode, k=100, **extra)
            latency.append(time.perf_counter() - t0)
            m = ranking_metrics([h.id for h in hits], q["relevant"])
            rows.append(m)
            by_voice.setdefault(q.get("voice", "all"), []).append(m)
            pbar.update(1)
    latency.sort()
    return {**mean(rows), "mode": mode, "by_voice": {v: mean(r) for v, r in sorted(by_voice.items())},
            "relevant_missing_from_store": missing,
            "latency_ms_p50": round(1000 * latency[len(latency) // 2], 1) if latency else None}


def eval_tasks(tasks, identify_fn, bench: dict, progress: bool = True) -> dict:
    labels = set((bench.get("taxonomy") or {}).keys())
    ours = {label_of(t, tasks) for t in tasks.values()}
    if labels and not labels <= ours:
        raise BadInput(f"muselab's taxonomy has no task for the label(s): {', '.join(sorted(labels - ours))}")
    hits = hits_alt = 0
    wrong = []
    questions = bench["questions"]
    with bar(total=len(questions), desc="eval tasks", unit=" questions", enabled=progress) as pbar:
        for q in questions:
            guess = identify_fn(q["question"])
            label = label_of(guess.task, tasks)
            ok = label == q["task"]
            ok_alt = ok or label == q.get("alt_task")
            hits += ok
            hits_alt += ok_alt
            if not ok_alt:
                wrong.append({"question": q["question"], "label": q["task"], "got": label, "task": guess.task.id})
            pbar.update(1)
    n = len(questions)
    return {"accuracy": round(hits / n, 4) if n else 0.0, "accuracy_alt": round(hits_alt / n, 4) if n else 0.0,
            "n": n, "wrong": wrong}
