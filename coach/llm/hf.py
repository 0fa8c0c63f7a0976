"""transformers backend: any causal LM by HF id (already in the local cache), local folder, or GGUF file.

Simplified on purpose:
- Offline only: ``local_files_only=True`` always; a model that is not on disk is a CoachError naming
  COACH_LLM_MODEL, never a download.
- Device: CUDA when present (bf16/fp16), else CPU in float32. A GGUF file is de-quantised to float32 by
  transformers, so it is ~6x slower than llama.cpp on CPU (see ``coach bench``): this backend exists for
  models that have no GGUF, not for speed.
- One generation at a time per model (a lock): ``generate`` runs in a worker thread that feeds a
  ``TextIteratorStreamer``; cancellation, the deadline and an abandoned stream all stop the worker
  through a stopping criterion checked after every token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

from coach.errors import CoachError
from coach.llm.base import DEFAULT_SEED, LLM, Limits

logger = logging.getLogger(__name__)


def split_gguf(model: str, gguf_file: str = "") -> tuple[str, str | None]:
    """``("dir/x.gguf", "")`` -> ``("dir", "x.gguf")``; an HF id/folder keeps an explicit gguf_file."""
    if model.endswith(".gguf"):
        path = Path(model)
        return str(path.parent), path.name
    return model, (gguf_file or None)


def pick_device():
    """(device, dtype): CUDA in half precision when available, else CPU float32."""
    import torch

    if torch.cuda.is_available():
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return "cuda", dtype
    return "cpu", torch.float32


class TransformersLLM(LLM):
    """A causal LM run by transformers, with the tokenizer's own chat template."""

    def __init__(
        self,
        model: str,
        *,
        gguf_file: str = "",
        context_tokens: int = 2048,
        max_tokens: int = 256,
        timeout_s: float | None = 60.0,
        seed: int = DEFAULT_SEED,
    ):
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise CoachError(f"the transformers backend needs transformers and torch: pip install interview-coach ({exc})") from None
        source, gguf = split_gguf(str(model), gguf_file)
        kwargs = {"local_files_only": True}
        if gguf:
            kwargs["gguf_file"] = gguf
        self.device, dtype = pick_device()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            self.model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **kwargs).to(self.device)
        except (OSError, ValueError, ImportError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CoachError(
                f"transformers cannot load model {model!r} offline ({first}): change COACH_LLM_MODEL "
                "(an HF id already in the local cache, a local folder or a .gguf file)"
            ) from None
        self.model.eval()
        if not getattr(self.tokenizer, "chat_template", None):
            raise CoachError(f"model {model!r} has no chat template: use an instruct/chat model in COACH_LLM_MODEL")
        trained = int(getattr(self.model.config, "max_position_embeddings", 0) or 0)
        self.context_window = min(int(context_tokens), trained) if trained else int(context_tokens)
        self.default_max_tokens = max_tokens
        self.default_timeout_s = timeout_s
        self.seed = seed
        self.name = f"transformers:{gguf or source}"
        self._lock = threading.Lock()
        logger.info("loaded %s on %s (%s)", self.name, self.device, dtype)

    def count_tokens(self, text: str) -> int:
        if not text:
            return 0
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _prompt(self, messages: list[dict]):
        return self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )

    def count_message_tokens(self, messages: list[dict]) -> int:
        return int(self._prompt(messages)["input_ids"].shape[1])

    def _stream(
        self, messages: list[dict], *, max_tokens: int, temperature: float, stop: list[str], limits: Limits
    ) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        abandon = threading.Event()  # set when the consumer stops reading

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return abandon.is_set() or limits.should_stop()

        inputs = {k: v.to(self.device) for k, v in self._prompt(messages).items()}
        remaining = limits.remaining_s()
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=remaining)
        gen_kwargs = dict(
            **inputs,
            max_new_tokens=max_tokens,
            streamer=streamer,
            stopping_criteria=StoppingCriteriaList([_Stop()]),
            pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        )
        if temperature and temperature > 0:
            gen_kwargs.update(do_sample=True, temperature=float(temperature))
        else:
            gen_kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        result: dict = {}

        def work():
            try:
                torch.manual_seed(self.seed)
                with torch.inference_mode():
                    out = self.model.generate(**gen_kwargs)
                result["new_tokens"] = int(out.shape[1] - inputs["input_ids"].shape[1])
            except BaseException as exc:  # surfaced in the consumer thread below
                result["error"] = exc
                streamer.end()

        with self._lock:
            worker = threading.Thread(target=work, name="coach-hf-generate", daemon=True)
            worker.start()
            try:
                for text in streamer:
                    if text:
                        yield text
            except Exception:  # queue.Empty: the streamer timed out, i.e. the deadline passed
                if not limits.should_stop():
                    raise
            finally:
                abandon.set()
                worker.join()
        if "error" in result:
            raise CoachError(f"{self.name} failed while generating: {result['error']}")
        if limits.reason is None:
            limits.finish_reason = "length" if result.get("new_tokens", 0) >= max_tokens else "stop"
