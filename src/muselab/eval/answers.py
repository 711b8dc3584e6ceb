"""`muselab eval answers`: what each backend's answers would leak, and what verification leaves."""

from __future__ import annotations

import time
from pathlib import Path

from muselab.answer.context import parse_prompt, read_text_file
from muselab.answer.verify import verify
from muselab.errors import BadInput

LEAKS = ("links", "arxiv", "outside-model")


def eval_answers(store, settings, prompts_dir: Path, backends: list[str], model=None, base_url=None) -> list[dict]:
    from muselab.answer.pipeline import answer_context

    files = sorted(p for p in Path(prompts_dir).glob("*") if p.is_file()) if Path(prompts_dir).is_dir() else []
    contexts = []
    for f in files:
        try:
            contexts.append((f, parse_prompt(read_text_file(f, settings.max_prompt_bytes), origin=str(f))))
        except BadInput:
            continue  # not a seed-format prompt (e.g. a link page in the same folder)
    if not contexts:
        raise BadInput(f"no seed-format prompts in {prompts_dir}")
    results = []
    for backend in backends:
        row = {"backend": backend, "prompts": len(contexts), "leaks_before": 0, "leaks_after": 0,
               "prompts_with_missing_part": 0, "unavailable": 0, "mean_latency_s": 0.0, "tokens_per_s": None,
               "per_prompt": []}
        tokens = seconds = 0.0
        overrides = {"model": model, **({"base_url": base_url} if backend == "openai" else {})}
        for f, ctx in contexts:
            t0 = time.perf_counter()
            answer = answer_context(ctx, store, backend=backend, settings=settings, **overrides)
            elapsed = time.perf_counter() - t0
            after = [v for v in verify(answer.markdown(), ctx, store.model_names()) if v.rule in LEAKS]
            report = answer.repair or {}
            unavailable = backend != "offline" and answer.text is None
            row["leaks_before"] += report.get("leaks_before", 0)
            row["leaks_after"] += len(after)
            row["prompts_with_missing_part"] += bool(report.get("filled"))
            row["unavailable"] += unavailable
            row["mean_latency_s"] += elapsed / len(contexts)
            if answer.stats:
                tokens += answer.stats["tokens"]
                seconds += answer.stats["seconds"]
            row["per_prompt"].append({"prompt": f.name, "seconds": round(elapsed, 3), "repair": report,
                                      "unavailable": unavailable})
        row["tokens_per_s"] = round(tokens / seconds, 2) if seconds else None
        row["mean_latency_s"] = round(row["mean_latency_s"], 3)
        results.append(row)
    return results
