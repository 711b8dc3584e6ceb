"""Any OpenAI-compatible chat-completions endpoint: vLLM, llama.cpp's server, Ollama, LM Studio, hosted APIs.

The API key is read from an environment variable (never logged, never stored,
never part of an answer). Connection failures, HTTP 429 and 5xx are retried
with exponential backoff; a timeout or an exhausted retry budget makes the
backend unavailable, and muselab falls back to its offline answer.
"""

from __future__ import annotations

import json
import os
import time
from typing import ClassVar, Iterator

from pydantic import Field

from muselab.answer.context import Context
from muselab.llm.backend import BackendUnavailable, Options
from muselab.llm.prompting import messages


class OpenAIOptions(Options):
    base_url: str = Field("http://127.0.0.1:8080/v1", description="The server's OpenAI-compatible base URL.")
    api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable holding the API key (may be unset "
                                                          "for local servers).")
    timeout: float = Field(60.0, gt=0, description="Seconds to wait for the server (per read while streaming).")
    retries: int = Field(2, ge=0, le=10, description="Retries after a connection error, 429 or 5xx.")
    backoff: float = Field(0.5, ge=0, description="First retry delay in seconds; doubles each time.")
    stream: bool = Field(True, description="Ask for a streamed (server-sent events) response.")


class OpenAIBackend:
    name: ClassVar[str] = "openai"
    is_llm: ClassVar[bool] = True
    streams: ClassVar[bool] = True

    def __init__(self, options: OpenAIOptions):
        self.options = options
        self.usage: dict = {}

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.options.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def stream(self, context: Context, prompt: str = "") -> Iterator[str]:
        import httpx

        o = self.options
        body = {"model": o.model or "default", "messages": messages(context), "temperature": o.temperature,
                "max_tokens": o.max_tokens, "stream": o.stream}
        url = o.base_url.rstrip("/") + "/chat/completions"
        for attempt in range(o.retries + 1):
            try:
                with httpx.Client(timeout=httpx.Timeout(o.timeout)) as client:
                    with client.stream("POST", url, json=body, headers=self._headers()) as response:
                        if response.status_code == 429 or response.status_code >= 500:
                            raise _Retry(f"HTTP {response.status_code}")
                        if response.status_code >= 400:
                            response.read()
                            raise BackendUnavailable(f"{url} answered HTTP {response.status_code}: "
                                                     f"{_error_text(response)}")
                        if o.stream and "text/event-stream" in response.headers.get("content-type", ""):
                            yield from self._events(response)
                        else:
                            data = json.loads(response.read())
                            self.usage = data.get("usage") or {}
                            yield data["choices"][0]["message"]["content"] or ""
                        return
            except httpx.TimeoutException:
                raise BackendUnavailable(f"{url} did not answer within {o.timeout:g} s") from None
            except (httpx.TransportError, _Retry) as exc:
                if attempt == o.retries:
                    raise BackendUnavailable(f"{url} is unreachable ({_describe(exc)}) after {o.retries + 1} "
                                             f"attempt{'s' if o.retries else ''}") from None
                time.sleep(o.backoff * 2 ** attempt)
            except (KeyError, IndexError, ValueError) as exc:
                raise BackendUnavailable(f"{url} sent a reply that is not a chat completion ({exc})") from None

    def _events(self, response) -> Iterator[str]:
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            event = json.loads(data)
            if event.get("usage"):
                self.usage = event["usage"]
            for choice in event.get("choices", []):
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    yield piece


class _Retry(Exception):
    pass


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:120]


def _error_text(response) -> str:
    try:
        return str(response.json().get("error", {}).get("message", ""))[:160] or response.text[:160]
    except ValueError:
        return response.text[:160]


def factory(settings=None, store=None, **overrides) -> OpenAIBackend:
    values = {}
    if settings is not None:
        values = {"model": settings.llm_model, "base_url": settings.llm_base_url, "api_key_env": settings.llm_api_key_env,
                  "timeout": settings.llm_timeout, "retries": settings.llm_retries,
                  "max_tokens": settings.llm_max_tokens, "temperature": settings.llm_temperature}
    values.update(overrides)
    return OpenAIBackend(OpenAIOptions(**{k: v for k, v in values.items() if v is not None}))
