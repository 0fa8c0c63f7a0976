"""OpenAI-compatible HTTP backend (vLLM, llama.cpp server, llama-cpp-python server, Ollama, TGI) over httpx.

Simplified on purpose:
- Only ``POST {base}/chat/completions`` (streamed with server-sent events) plus an optional tokenizer
  endpoint. ``base`` is the URL up to and including ``/v1``; a bare ``http://host:port`` gets ``/v1``.
- Retries (exponential backoff) cover connection errors, read timeouts before the first byte and 5xx
  answers; a 4xx answer is the caller's fault and fails at once. A stream that breaks half-way is not
  retried (the caller already holds part of the text).
- Token counts come from the server when it exposes a tokenizer (``/extras/tokenize/count`` on
  llama-cpp-python, ``/tokenize`` on vLLM and the llama.cpp server); otherwise a documented estimate
  (4 characters per token) is used and a warning is logged once.
- The API key is read from the environment variable named by ``llm_api_key_env``; it is never logged.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from coach.errors import CoachError
from coach.llm.base import DEFAULT_SEED, LLM, Limits

logger = logging.getLogger(__name__)

RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.WriteError)


class ServerError(Exception):
    """A 5xx answer (retryable)."""


def normalise_base_url(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CoachError(f"COACH_LLM_BASE_URL={url!r} is not an http(s) URL")
    if parts.path in ("", "/"):
        url += "/v1"
    return url


class OpenAIHTTPLLM(LLM):
    """A model served behind an OpenAI-compatible chat-completions endpoint."""

    def __init__(
        self,
        base_url: str,
        model: str = "default",
        *,
        api_key_env: str = "OPENAI_API_KEY",
        context_tokens: int = 2048,
        max_tokens: int = 256,
        timeout_s: float | None = 60.0,
        connect_timeout_s: float = 5.0,
        max_retries: int = 3,
        backoff_s: float = 0.25,
        seed: int = DEFAULT_SEED,
    ):
        self.base_url = normalise_base_url(base_url)
        self.model = model or "default"
        self.name = f"openai:{self.model}@{self.base_url}"
        self.context_window = int(context_tokens)
        self.default_max_tokens = max_tokens
        self.default_timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.seed = seed
        headers = {"Accept": "text/event-stream"}
        key = os.environ.get(api_key_env, "") if api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s))
        self._tokenize_route: str | None = None  # discovered on first count_tokens
        self._warned_estimate = False
        self._bos_overhead: int | None = None
        self._model_checked = False

    # ---- requests with retries -------------------------------------------------------------------
    def _timeout(self, limits: Limits | None) -> httpx.Timeout:
        remaining = limits.remaining_s() if limits else None
        total = self.default_timeout_s if remaining is None else remaining
        return httpx.Timeout(total, connect=min(self.connect_timeout_s, total) if total else self.connect_timeout_s)

    def _with_retries(self, attempt, limits: Limits | None = None):
        """Run ``attempt()``; retry connection errors and 5xx with backoff, within the deadline.

        Returns None when the deadline passes or ``limits.cancel`` is set while failing/waiting."""
        last: Exception | None = None
        for i in range(self.max_retries + 1):
            try:
                return attempt()
            except (*RETRYABLE, ServerError) as exc:
                last = exc
                if limits is not None and limits.should_stop():
                    return None  # the deadline (or a cancel) came first: not a server failure
                delay = self.backoff_s * (2**i)
                remaining = limits.remaining_s() if limits else None
                if i == self.max_retries or (remaining is not None and remaining <= delay):
                    break
                logger.info("%s: %s, retry %d/%d in %.2f s", self.name, type(exc).__name__, i + 1, self.max_retries, delay)
                time.sleep(delay)
        if isinstance(last, ServerError):
            raise CoachError(f"the LLM server at {self.base_url} keeps failing ({last}): check the server logs") from None
        raise CoachError(
            f"cannot reach the LLM server at {self.base_url} ({type(last).__name__}): "
            "start it or change COACH_LLM_BASE_URL"
        ) from None

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.status_code >= 500:
            response.read()
            raise ServerError(f"HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            response.read()
            raise CoachError(
                f"the LLM server refused the request (HTTP {response.status_code}: {response.text[:200].strip()}); "
                "check COACH_LLM_MODEL and the API key variable named by COACH_LLM_API_KEY_ENV"
            )

    # ---- generation ------------------------------------------------------------------------------
    def _stream(
        self, messages: list[dict], *, max_tokens: int, temperature: float, stop: list[str], limits: Limits
    ) -> Iterator[str]:
        body = {
            "model": self.served_model(),
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": self.seed,
            "stream": True,
        }
        if stop:
            body["stop"] = stop[:4]  # the OpenAI API accepts at most 4; the base class applies all of them

        def open_stream():
            req = self._client.build_request(
                "POST", f"{self.base_url}/chat/completions", json=body, timeout=self._timeout(limits)
            )
            resp = self._client.send(req, stream=True)
            try:
                self._check(resp)
            except BaseException:
                resp.close()
                raise
            return resp

        if limits.should_stop():
            return
        response = self._with_retries(open_stream, limits)
        if response is None:
            return
        try:
            for line in response.iter_lines():
                if limits.should_stop():
                    return
                if not line.startswith("data:"):
                    continue
                data = line[len("data:") :].strip()
                if data == "[DONE]":
                    return
                try:
                    event = json.loads(data)
                except json.JSONDecodeError:
                    logger.warning("%s: skipping a malformed SSE event", self.name)
                    continue
                if "error" in event:
                    raise CoachError(f"the LLM server reported an error: {str(event['error'])[:200]}")
                for choice in event.get("choices", [])[:1]:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        yield text
                    if choice.get("finish_reason"):
                        limits.finish_reason = choice["finish_reason"]
        except httpx.ReadTimeout:
            if not limits.should_stop():
                raise CoachError(f"the LLM server at {self.base_url} stopped answering mid-stream") from None
        finally:
            response.close()

    def served_model(self) -> str:
        """The model name to send. "default" means: the first model the server lists (once)."""
        if self.model == "default" and not self._model_checked:
            self._model_checked = True
            try:
                listed = self._client.get(f"{self.base_url}/models", timeout=self.connect_timeout_s).json()["data"]
                if listed:
                    self.model = str(listed[0]["id"])
                    logger.info("%s: the server serves %r", self.base_url, self.model)
            except (httpx.HTTPError, ValueError, KeyError, TypeError, IndexError):
                pass  # servers that do not list models accept any name (llama.cpp) or will say 4xx
        return self.model

    # ---- tokens ----------------------------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        if not text:
            return 0
        routes = [self._tokenize_route] if self._tokenize_route else ["llama-cpp-python", "vllm", "llama.cpp"]
        for route in routes:
            count = self._count_via(route, text)
            if count is not None:
                self._tokenize_route = route
                return count
        if not self._warned_estimate:
            logger.warning("%s exposes no tokenizer: token counts are estimated (4 characters per token)", self.name)
            self._warned_estimate = True
        self._tokenize_route = "estimate"
        return math.ceil(len(text) / 4)

    def _count_via(self, route: str, text: str) -> int | None:
        root = self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url
        try:
            if route == "llama-cpp-python":
                url, body = f"{root}/extras/tokenize", {"input": text, "model": self.model}
                r = self._client.post(url, json=body)
                if r.status_code != 200:
                    return None
                # that endpoint adds BOS when the model wants one: subtract what an empty text costs
                if self._bos_overhead is None:
                    self._bos_overhead = len(self._client.post(url, json={**body, "input": ""}).json()["tokens"])
                return max(0, len(r.json()["tokens"]) - self._bos_overhead)
            if route == "vllm":
                r = self._client.post(f"{root}/tokenize", json={"model": self.model, "prompt": text, "add_special_tokens": False})
                return int(r.json()["count"]) if r.status_code == 200 and "count" in r.json() else None
            if route == "llama.cpp":
                r = self._client.post(f"{root}/tokenize", json={"content": text})
                return len(r.json()["tokens"]) if r.status_code == 200 and "tokens" in r.json() else None
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return None
        return None

    def close(self) -> None:
        self._client.close()
