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

from muselab.context import Context
from muselab.llm.backend import BackendUnavailable
from muselab.llm.prompting import messages


class OpenAIBackend:
    name: ClassVar[str] = "openai"

    def __init__(self, settings):
        self.settings = settings
        self.usage: dict = {}

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.settings.llm_api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def stream(self, context: Context) -> Iterator[str]:
        import httpx

        s = self.settings
        body = {"model": s.llm_model or "default", "messages": messages(context), "temperature": s.llm_temperature,
                "max_tokens": s.llm_max_tokens, "stream": s.llm_stream}
        url = s.llm_base_url.rstrip("/") + "/chat/completions"
        for attempt in range(s.llm_retries + 1):
            try:
                with httpx.Client(timeout=httpx.Timeout(s.llm_timeout)) as client:
                    with client.stream("POST", url, json=body, headers=self._headers()) as response:
                        if response.status_code == 429 or response.status_code >= 500:
                            raise _Retry(f"HTTP {response.status_code}")
                        if response.status_code >= 400:
                            response.read()
                            raise BackendUnavailable(f"{url} answered HTTP {response.status_code}: "
                                                     f"{_error_text(response)}")
                        if s.llm_stream and "text/event-stream" in response.headers.get("content-type", ""):
                            yield from self._events(response)
                        else:
                            data = json.loads(response.read())
                            self.usage = data.get("usage") or {}
                            yield data["choices"][0]["message"]["content"] or ""
                        return
            except httpx.TimeoutException:
                raise BackendUnavailable(f"{url} did not answer within {s.llm_timeout:g} s") from None
            except (httpx.TransportError, _Retry) as exc:
                if attempt == s.llm_retries:
                    raise BackendUnavailable(f"{url} is unreachable ({_describe(exc)}) after {s.llm_retries + 1} "
                                             f"attempt{'s' if s.llm_retries else ''}") from None
                time.sleep(s.llm_backoff * 2 ** attempt)
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


def factory(settings) -> OpenAIBackend:
    return OpenAIBackend(settings)
