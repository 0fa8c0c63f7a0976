"""One small interface for every LLM backend: ``generate``, ``stream``, ``count_tokens``.

A backend implements only ``_stream`` (raw text deltas from its engine, honouring ``max_tokens`` and
checking ``limits`` between tokens) and ``count_tokens``. This base class adds, identically for every
backend: stop strings, the wall-clock deadline, cancellation and the bookkeeping of why a generation
ended (``Generation.finish_reason``).

Simplified on purpose:
- Messages are plain OpenAI-style dicts ``{"role": "system|user|assistant", "content": str}``; no tool
  calls, images or logprobs.
- A generation that hits its wall-clock limit or is cancelled is not an error: it ends early and returns
  the text produced so far, with ``finish_reason`` "timeout" or "cancelled" (a warning is logged for a
  timeout). Callers that need a complete answer check ``complete(...).finish_reason``.
- Decoding is greedy (temperature 0) with a fixed seed unless a caller asks otherwise, so everything
  that feeds a grade or a flag is reproducible on the same machine and build.
- Stop strings are applied to the decoded text here (and also passed to engines that support them):
  the stop string itself is never returned.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

DEFAULT_SEED = 0
ROLES = ("system", "user", "assistant")


@dataclass
class Limits:
    """What a running generation must respect. Backends call ``should_stop()`` between tokens."""

    max_tokens: int
    deadline: float | None = None  # time.monotonic() value; None = no wall-clock limit
    cancel: threading.Event | None = None
    reason: str | None = None  # set by should_stop(): "timeout" | "cancelled"
    finish_reason: str | None = None  # set by the backend when its engine ends: "stop" | "length"

    def remaining_s(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def should_stop(self) -> bool:
        if self.cancel is not None and self.cancel.is_set():
            self.reason = "cancelled"
            return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.reason = "timeout"
            return True
        return False


@dataclass
class Generation:
    """The result of one generation. ``finish_reason``: stop | length | timeout | cancelled."""

    text: str
    finish_reason: str
    seconds: float
    first_token_s: float | None = None
    deltas: int = 0  # number of deltas the engine produced (about one per token for local engines)
    meta: dict = field(default_factory=dict)


def validate_messages(messages: list[dict]) -> list[dict]:
    """Return clean ``{"role", "content"}`` dicts, or raise ValueError on a malformed message."""
    if not messages:
        raise ValueError("messages must be a non-empty list of {'role', 'content'} dicts")
    out = []
    for m in messages:
        role, content = m.get("role"), m.get("content")
        if role not in ROLES or not isinstance(content, str):
            raise ValueError(f"bad chat message {m!r}: role must be one of {ROLES}, content a str")
        out.append({"role": role, "content": content})
    return out


class _StopFilter:
    """Cut the text at the first stop string, holding back a tail that could start one."""

    def __init__(self, stops: list[str]):
        self.stops = [s for s in stops if s]
        self.hold = max((len(s) for s in self.stops), default=1) - 1
        self.buffer = ""
        self.stopped = False

    def feed(self, delta: str) -> str:
        if not self.stops:
            return delta
        self.buffer += delta
        cuts = [i for i in (self.buffer.find(s) for s in self.stops) if i >= 0]
        if cuts:
            out, self.buffer, self.stopped = self.buffer[: min(cuts)], "", True
            return out
        if self.hold == 0:
            out, self.buffer = self.buffer, ""
            return out
        out, self.buffer = self.buffer[: -self.hold], self.buffer[-self.hold :]
        return out

    def flush(self) -> str:
        out, self.buffer = self.buffer, ""
        return out


class LLM(ABC):
    """A chat model. Subclasses set ``name`` and ``context_window`` and implement two methods."""

    name: str = "llm"
    context_window: int = 2048
    default_max_tokens: int = 256
    default_timeout_s: float | None = 60.0
    seed: int = DEFAULT_SEED

    # ---- what a backend implements -------------------------------------------------------------
    @abstractmethod
    def _stream(
        self, messages: list[dict], *, max_tokens: int, temperature: float, stop: list[str], limits: Limits
    ) -> Iterator[str]:
        """Yield raw text deltas. Must stop after ``max_tokens`` tokens and when ``limits.should_stop()``."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` takes in this model's tokenizer (no BOS/EOS added)."""

    def count_message_tokens(self, messages: list[dict]) -> int:
        """Tokens a chat prompt takes. Default: contents plus a small per-message template overhead."""
        return sum(self.count_tokens(m["content"]) + 6 for m in messages) + 3

    # ---- the public interface --------------------------------------------------------------------
    def complete(
        self,
        messages: list[dict],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        timeout_s: float | None = None,
        cancel: threading.Event | None = None,
    ) -> Generation:
        """Generate a whole reply and say why it ended. ``generate`` is this without the metadata."""
        start = time.monotonic()
        parts: list[str] = []
        first = None
        gen = Generation(text="", finish_reason="stop", seconds=0.0)
        for delta in self._limited(messages, max_tokens, temperature, stop, timeout_s, cancel, gen):
            if first is None:
                first = time.monotonic() - start
            parts.append(delta)
        gen.text, gen.seconds, gen.first_token_s = "".join(parts), time.monotonic() - start, first
        return gen

    def generate(
        self,
        messages: list[dict],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        timeout_s: float | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        return self.complete(
            messages, max_tokens=max_tokens, temperature=temperature, stop=stop, timeout_s=timeout_s, cancel=cancel
        ).text

    def stream(
        self,
        messages: list[dict],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        timeout_s: float | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield text deltas; ``"".join(stream(...)) == generate(...)`` for the same arguments."""
        yield from self._limited(messages, max_tokens, temperature, stop, timeout_s, cancel, None)

    def _limited(self, messages, max_tokens, temperature, stop, timeout_s, cancel, gen: Generation | None):
        messages = validate_messages(messages)
        max_tokens = self.default_max_tokens if max_tokens is None else int(max_tokens)
        if max_tokens < 1:
            raise ValueError("max_tokens must be >= 1")
        timeout_s = self.default_timeout_s if timeout_s is None else timeout_s
        limits = Limits(
            max_tokens=max_tokens,
            deadline=None if timeout_s is None else time.monotonic() + float(timeout_s),
            cancel=cancel,
        )
        stops = list(stop or [])
        stop_filter = _StopFilter(stops)
        reason = "length"
        deltas = 0
        raw = self._stream(messages, max_tokens=max_tokens, temperature=temperature, stop=stops, limits=limits)
        try:
            for delta in raw:
                deltas += 1
                out = stop_filter.feed(delta)
                if out:
                    yield out
                if stop_filter.stopped:
                    reason = "stop"
                    break
                if limits.should_stop():
                    break
            else:
                reason = limits.finish_reason or "stop"
        finally:
            close = getattr(raw, "close", None)
            if close is not None:
                close()  # stop the engine now, not when the generator is garbage-collected
        if not stop_filter.stopped:
            tail = stop_filter.flush()
            if tail:
                yield tail
        if limits.reason is not None:
            reason = limits.reason
            if reason == "timeout":
                logger.warning("%s: generation stopped at its %.1f s wall-clock limit", self.name, timeout_s)
        elif reason not in ("stop", "length"):
            reason = "stop"
        if gen is not None:
            gen.finish_reason, gen.deltas = reason, deltas

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} ctx={self.context_window}>"
