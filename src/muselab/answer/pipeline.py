"""Compose, then verify: the one path every answer takes before it is shown."""

from __future__ import annotations

from muselab.answer.compose import Answer, compose
from muselab.answer.context import Context
from muselab.answer.verify import verify
from muselab.errors import MuselabError


def answer_context(ctx: Context, store, guess=None) -> Answer:
    tasks = store.tasks()
    result = compose(ctx, store, tasks, guess=guess)
    violations = verify(result.markdown(), ctx, store.model_names())
    if violations:
        # the offline composer writes only given sources; a violation here is a bug, not bad input
        raise MuselabError(
            "the composed answer failed grounding verification: " + "; ".join(v.message for v in violations),
            exit_code=1,
        )
    return result
