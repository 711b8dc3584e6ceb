"""Compose, then verify: the one path every answer takes before it is shown.

The offline composer's answer is verified; an LLM backend's answer is verified,
repaired (outside sources removed, stray text dropped, missing parts filled
from the offline answer) and verified again. A backend that cannot answer
leaves the offline answer, with a notice (or a refusal with --strict).
"""

from __future__ import annotations

import time
from dataclasses import replace

from muselab.answer.compose import compose
from muselab.answer.repair import repair
from muselab.answer.result import Answer
from muselab.answer.verify import verify
from muselab.context import Context
from muselab.errors import MuselabError
from muselab.llm.backend import OFFLINE, BackendUnavailable, load_backend

REFUSED = 3  # exit code of --strict refusals


def answer_context(ctx: Context, store, settings, guess=None, strict: bool = False, named=None, hints=None,
                   detail: str = "short") -> Answer:
    """The answer of the backend `settings.llm`, verified (and, for an LLM, repaired). `hints`: what `ask`'s
    retrieval found (mechanisms, paper closeness); `detail`: "short" or "full"."""
    # 1. the offline answer: the answer itself, or what an LLM's answer is repaired from
    offline = compose(ctx, store, store.tasks(), guess=guess, named=named, hints=hints, detail=detail)
    checked(offline.markdown, ctx, store)
    if settings.llm == OFFLINE:
        return offline
    # 2. the LLM's text, collected in full before anything is shown
    llm = load_backend(settings.llm, settings)
    start = time.perf_counter()
    try:
        text = collect(llm.stream(ctx), settings.progress, settings.llm)
    except BackendUnavailable as exc:
        if strict:
            raise MuselabError(f"the {settings.llm} backend could not answer: {exc}; refused (--strict)",
                               exit_code=REFUSED) from None
        offline.unavailable = f"The {settings.llm} backend could not answer ({exc}); this is muselab's offline answer."
        offline.notices.append(offline.unavailable)
        return offline
    seconds = time.perf_counter() - start
    # 3. repaired, then verified again
    fixed, report = repair(text, ctx, offline.parts, store.model_names())
    if strict and report.leaks_before:
        raise MuselabError(f"the {settings.llm} answer cited {report.leaks_before} source(s) outside the given ones; "
                           "refused (--strict)", exit_code=REFUSED)
    tokens = (llm.usage or {}).get("completion_tokens") or max(1, len(text) // 4)
    answer = replace(offline, text=fixed, backend=settings.llm, notices=report.notices(settings.llm),
                     repair=report.to_dict(),
                     stats={"seconds": round(seconds, 3), "tokens": tokens,
                            "tokens_per_s": round(tokens / seconds, 2) if seconds else None})
    checked(answer.markdown, ctx, store)
    return answer


def checked(text: str, ctx: Context, store) -> None:
    violations = verify(text, ctx, store.model_names())
    if violations:
        # what muselab writes itself only holds given sources; a violation here is a bug, not bad input
        raise MuselabError("the answer failed grounding verification: " + "; ".join(v.message for v in violations),
                           exit_code=1)


def collect(pieces, progress: bool, name: str) -> str:
    """The streamed text, with a progress bar of the pieces as they arrive (the text is shown once verified)."""
    from muselab.progress import bar

    out = []
    with bar(desc=f"{name} answering", unit=" tokens", enabled=progress) as pbar:
        for piece in pieces:
            out.append(piece)
            pbar.update(1)
    return "".join(out)
