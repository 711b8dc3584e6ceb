"""The backend interface: one small method that streams text; capabilities as attributes."""

from __future__ import annotations

from typing import ClassVar, Iterator, Protocol

from pydantic import BaseModel, Field

from muselab.answer.context import Context


class BackendUnavailable(Exception):
    """The backend cannot answer now (unreachable, timed out, not installed): muselab falls back."""


class Options(BaseModel):
    """Options every backend understands; backends add their own fields."""

    model: str | None = Field(None, description="Model name (OpenAI-compatible) or GGUF path (local).")
    temperature: float = Field(0.2, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(900, ge=16, le=8192, description="Longest answer, in tokens.")


class Backend(Protocol):
    name: ClassVar[str]
    is_llm: ClassVar[bool]  # False for the offline composer: its text needs no repair
    streams: ClassVar[bool]

    def stream(self, context: Context, prompt: str) -> Iterator[str]:
        """Yield the answer's text in pieces. Raise BackendUnavailable when it cannot answer."""
        ...


def load_backend(name: str, settings, store=None, **overrides):
    """A backend from the 'muselab.backends' entry-point group (the built-ins are registered there too)."""
    from muselab.plugins import load

    factory = load("muselab.backends", name)
    return factory(settings=settings, store=store, **{k: v for k, v in overrides.items() if v is not None})
