"""llama.cpp backend (llama-cpp-python) for GGUF files: the fastest way to run the bundled model on CPU.

Simplified on purpose:
- One ``Llama`` object per model, used by one generation at a time (a lock serialises callers):
  llama.cpp contexts are not thread-safe and two cores gain nothing from parallel decoding.
- The chat template is the one stored in the GGUF metadata (``tokenizer.chat_template``), which
  llama-cpp-python selects by itself; we never hand-write a template.
- Threads: ``max(1, physical cores - 1)`` by default, for prompt and generation alike (a core is left to
  the embedder, the UI and other processes). Measured on this 2-core machine (``coach bench --only llm``,
  SmolLM2-135M, 3 prompts x 128 tokens): with the load average at ~3, 1 thread 113 tokens/s vs 2 threads
  80; at ~8, 1 thread 50-67 vs 2 threads 7-9 (llama.cpp's spinning thread barrier collapses when the
  cores are shared). Greedy output is identical for any thread count (tested). ``n_threads`` overrides.
- Prompt evaluation cannot be interrupted; cancellation and the wall-clock limit are checked between
  generated tokens (one token of the bundled model takes ~8 ms here).
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

from coach.config import physical_cores
from coach.errors import CoachError
from coach.llm.base import DEFAULT_SEED, LLM, Limits

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'interview-coach[llama]'"

# Models still alive at exit are closed while llama_cpp's module globals exist; otherwise
# Llama.__del__ runs during interpreter teardown and prints "TypeError: 'NoneType' object is not callable".
_LIVE: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for llm in list(_LIVE):
        llm.close()


def import_llama_cpp():
    """Import llama_cpp or raise a CoachError naming the extra to install."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise CoachError(f"the llama.cpp backend needs llama-cpp-python: {INSTALL_HINT} ({exc})") from None
    return llama_cpp


def default_threads() -> int:
    """Physical cores minus one (at least 1): see the module docstring for the measurements."""
    return max(1, physical_cores() - 1)


class LlamaCppLLM(LLM):
    """A GGUF model run in-process by llama.cpp."""

    def __init__(
        self,
        model_path: str | Path,
        *,
        context_tokens: int = 2048,
        max_tokens: int = 256,
        timeout_s: float | None = 60.0,
        seed: int = DEFAULT_SEED,
        n_threads: int | None = None,
    ):
        llama_cpp = import_llama_cpp()
        path = Path(model_path)
        if not path.is_file():
            raise CoachError(f"GGUF file {str(path)!r} does not exist: change COACH_LLM_MODEL")
        self.model_path = path
        self.seed = seed
        self.default_max_tokens = max_tokens
        self.default_timeout_s = timeout_s
        self._lock = threading.Lock()
        self.n_threads = n_threads or default_threads()
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=int(context_tokens),
                n_threads=self.n_threads,
                # prompt processing is batched matmul and scales with cores: measured on 2 idle cores,
                # a 410-token prompt took 1.89 s with 1 batch thread and 0.98 s with 2 (generation
                # stays on n_threads, where 1 thread was faster)
                n_threads_batch=max(self.n_threads, physical_cores()),
                seed=seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise CoachError(f"llama.cpp cannot load {path.name} ({exc}): change COACH_LLM_MODEL") from None
        trained = int(self._llm.metadata.get(f"{self._llm.metadata.get('general.architecture', 'llama')}.context_length", 0) or 0)
        self.context_window = min(self._llm.n_ctx(), trained) if trained else self._llm.n_ctx()
        self.name = f"llamacpp:{path.name}"
        self._formatter = self._make_formatter()
        _LIVE.add(self)
        logger.info("loaded %s (ctx=%d, chat format %s)", self.name, self.context_window, self._llm.chat_format)

    def _make_formatter(self):
        """The GGUF's own chat template, used only to count prompt tokens exactly."""
        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            return None
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        def token_text(key: str) -> str:
            tid = int(self._llm.metadata.get(key, -1))
            return self._llm._model.token_get_text(tid) if tid >= 0 else ""

        return Jinja2ChatFormatter(
            template=template,
            eos_token=token_text("tokenizer.ggml.eos_token_id"),
            bos_token=token_text("tokenizer.ggml.bos_token_id"),
        )

    def close(self) -> None:
        """Free the model now (it is unusable afterwards)."""
        with self._lock:
            llm, self._llm = getattr(self, "_llm", None), None
        if llm is not None:
            llm.close()

    def count_tokens(self, text: str) -> int:
        if not text:
            return 0
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def count_message_tokens(self, messages: list[dict]) -> int:
        if self._formatter is None:
            return super().count_message_tokens(messages)
        prompt = self._formatter(messages=messages).prompt
        return len(self._llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True))

    def _stream(
        self, messages: list[dict], *, max_tokens: int, temperature: float, stop: list[str], limits: Limits
    ) -> Iterator[str]:
        with self._lock:
            self._llm.reset()  # no KV-cache reuse across calls: same input -> same output
            chunks = self._llm.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=temperature,
                stop=stop or [],
                seed=self.seed,
                stream=True,
            )
            try:
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    text = choice.get("delta", {}).get("content")
                    if text:
                        yield text
                    if choice.get("finish_reason"):
                        limits.finish_reason = choice["finish_reason"]
                    if limits.should_stop():
                        return
            finally:
                chunks.close()
