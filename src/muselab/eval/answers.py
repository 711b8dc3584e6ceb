"""`muselab eval answers`: what each backend's answers would leak, and what verification leaves."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from muselab.answer.verify import verify
from muselab.context import Context, parse_prompt, read_text_file
from muselab.errors import BadInput

LEAKS = ("links", "arxiv", "outside-model")


def read_prompts(prompts_dir: Path, max_bytes: int) -> list[tuple[str, Context]]:
    """The seed-format prompts of a folder (other files, such as a link page, are skipped)."""
    folder = Path(prompts_dir)
    files = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    contexts = []
    for f in files:
        try:
            contexts.append((f.name, parse_prompt(read_text_file(f, max_bytes), origin=str(f))))
        except BadInput:
            continue
    if not contexts:
        raise BadInput(f"no seed-format prompts in {prompts_dir}")
    return contexts


def eval_answers(contexts: list[tuple[str, Context]], backends: list[str], answer: Callable,
                 model_names) -> list[dict]:
    """`answer(context, backend)` gives a verified Answer; per backend, the leaks the repair removed and any
    left after it (always 0 unless repair is broken), parts filled, unavailability and speed."""
    return [_one_backend(contexts, backend, answer, model_names) for backend in backends]


def _one_backend(contexts, backend: str, answer: Callable, model_names) -> dict:
    row = {"backend": backend, "prompts": len(contexts), "leaks_before": 0, "leaks_after": 0,
           "prompts_with_missing_part": 0, "unavailable": 0, "mean_latency_s": 0.0, "tokens_per_s": None,
           "per_prompt": []}
    tokens = seconds = 0.0
    for name, ctx in contexts:
        t0 = time.perf_counter()
        result = answer(ctx, backend)
        elapsed = time.perf_counter() - t0
        after = [v for v in verify(result.markdown, ctx, model_names) if v.rule in LEAKS]
        report = result.repair or {}
        unavailable = result.unavailable is not None
        row["leaks_before"] += report.get("leaks_before", 0)
        row["leaks_after"] += len(after)
        row["prompts_with_missing_part"] += bool(report.get("filled"))
        row["unavailable"] += unavailable
        row["mean_latency_s"] += elapsed / len(contexts)
        if result.stats:
            tokens += result.stats["tokens"]
            seconds += result.stats["seconds"]
        row["per_prompt"].append({"prompt": name, "seconds": round(elapsed, 3), "repair": report,
                                  "unavailable": unavailable})
    row["tokens_per_s"] = round(tokens / seconds, 2) if seconds else None
    row["mean_latency_s"] = round(row["mean_latency_s"], 3)
    return row
