"""The offline composer as a backend (the default): no model, the catalog's knowledge and the given sources."""

from __future__ import annotations

from typing import ClassVar, Iterator

from muselab.answer.compose import compose
from muselab.answer.context import Context


class OfflineBackend:
    name: ClassVar[str] = "offline"
    is_llm: ClassVar[bool] = False
    streams: ClassVar[bool] = False

    def __init__(self, settings=None, store=None, guess=None, **_):
        self.store, self.guess = store, guess

    def stream(self, context: Context, prompt: str = "") -> Iterator[str]:
        yield compose(context, self.store, self.store.tasks(), guess=self.guess).markdown()


def factory(settings=None, store=None, **kw) -> OfflineBackend:
    return OfflineBackend(settings, store, **kw)
