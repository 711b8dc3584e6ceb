"""The backend interface: one small method that streams text; capabilities as attributes.

Every option a backend reads comes from the one Settings object (`llm_*`), so
the command line, the environment, the settings file and the Python API set
them the same way.
"""

from __future__ import annotations

from typing import ClassVar, Iterator, Protocol

from muselab.context import Context


class BackendUnavailable(Exception):
    """The backend cannot answer now (unreachable, timed out, not installed): muselab falls back."""


class Backend(Protocol):
    name: ClassVar[str]
    usage: dict  # e.g. {"completion_tokens": n} once an answer is done

    def stream(self, context: Context) -> Iterator[str]:
        """Yield the answer's text in pieces. Raise BackendUnavailable when it cannot answer."""
        ...


OFFLINE = "offline"  # the composer itself, not a registered backend: it needs no model


def backend_names() -> list[str]:
    from muselab.plugins import available

    return [OFFLINE, *sorted(available("muselab.backends"))]


def load_backend(name: str, settings) -> Backend:
    """A backend from the 'muselab.backends' entry-point group (the built-ins are registered there too)."""
    from muselab.plugins import load

    return load("muselab.backends", name)(settings)
