"""The LLM runtime: pick a backend from the settings, load it once, and hand out the ``LLM`` interface.

    from coach.llm import load_llm
    llm = load_llm(settings)                      # cached per (backend, model) in this process
    text = llm.generate(prompts.render("ask", question=q, passages=ps), max_tokens=200)

Backends (``COACH_LLM_BACKEND``):
- ``auto`` (default): ``openai`` when ``COACH_LLM_BASE_URL`` is set; else ``llamacpp`` for a GGUF model
  when llama-cpp-python imports; else ``transformers``. Chosen by measurement (``coach bench``): on the
  bundled SmolLM2-135M GGUF llama.cpp is ~6x faster than transformers on this CPU.
- ``llamacpp``, ``transformers``, ``openai``: forced; ``none``: no LLM (``load_llm`` raises
  ``LLMDisabled``; ``optional_llm`` returns None so callers can degrade gracefully).

Heavy imports (llama_cpp, torch, transformers) happen only inside the chosen backend's module.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path

from coach.errors import CoachError
from coach.llm.base import LLM, Generation, Limits
from coach.llm.context import context_budget, fit_context

logger = logging.getLogger(__name__)

__all__ = [
    "LLM", "Generation", "Limits", "LLMDisabled", "load_llm", "optional_llm", "resolve_backend",
    "clear_llm_cache", "fit_context", "context_budget", "llama_cpp_available",
]  # fmt: skip

_CACHE: dict[tuple, LLM] = {}
_CACHE_LOCK = threading.Lock()


class LLMDisabled(CoachError):
    """COACH_LLM_BACKEND=none."""


def llama_cpp_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def _resolve_model(settings) -> str:
    from coach.models import ModelNotFound, llm_model_path

    try:
        return llm_model_path(settings)
    except ModelNotFound as exc:
        raise CoachError(str(exc)) from None


def _gguf_file(model: str, gguf_file: str) -> str | None:
    """The GGUF file a model setting points at, or None when it is not a GGUF model."""
    if model.endswith(".gguf"):
        return model
    if not gguf_file:
        return None
    folder = Path(model)
    if not folder.is_dir():  # a cached HF id: find its snapshot folder offline
        try:
            from huggingface_hub import snapshot_download

            folder = Path(snapshot_download(model, local_files_only=True))
        except Exception:
            return None
    candidate = folder / gguf_file
    return str(candidate) if candidate.is_file() else None


def resolve_backend(settings) -> tuple[str, str]:
    """(backend, model) that ``load_llm`` would use: backend in llamacpp|transformers|openai|none."""
    backend = settings.llm_backend
    if backend == "none":
        return "none", ""
    if backend == "openai" or (backend == "auto" and settings.llm_base_url):
        if not settings.llm_base_url:
            raise CoachError("COACH_LLM_BACKEND=openai needs COACH_LLM_BASE_URL (e.g. http://127.0.0.1:8000/v1)")
        return "openai", settings.llm_model
    model = _resolve_model(settings)
    gguf = _gguf_file(model, settings.llm_gguf_file)
    if backend == "llamacpp":
        if gguf is None:
            raise CoachError(
                f"the llama.cpp backend needs a .gguf file: set COACH_LLM_MODEL to one (or COACH_LLM_GGUF_FILE), not {model!r}"
            )
        return "llamacpp", gguf
    if backend == "transformers":
        return "transformers", model
    # auto
    if gguf is not None and llama_cpp_available():
        return "llamacpp", gguf
    if gguf is not None:
        logger.info("llama-cpp-python is not installed: running %s with transformers (slower)", gguf)
    return "transformers", model


def _build(backend: str, model: str, settings) -> LLM:
    common = dict(
        context_tokens=settings.llm_context_tokens, max_tokens=settings.llm_max_tokens, timeout_s=settings.llm_timeout_s
    )
    if backend == "llamacpp":
        from coach.llm.llamacpp import LlamaCppLLM

        # 0 / absent = default_threads(). Settings has no llm_threads field yet (see coach/llm/llamacpp.py).
        return LlamaCppLLM(model, n_threads=int(getattr(settings, "llm_threads", 0) or 0) or None, **common)
    if backend == "transformers":
        from coach.llm.hf import TransformersLLM

        return TransformersLLM(model, gguf_file=settings.llm_gguf_file, **common)
    if backend == "openai":
        from coach.llm.openai_http import OpenAIHTTPLLM

        return OpenAIHTTPLLM(settings.llm_base_url, model, api_key_env=settings.llm_api_key_env, **common)
    raise CoachError(f"unknown LLM backend {backend!r}")


def load_llm(settings) -> LLM:
    """The configured LLM, loaded once per (backend, model, options) in this process."""
    backend, model = resolve_backend(settings)
    if backend == "none":
        raise LLMDisabled("no LLM is configured (COACH_LLM_BACKEND=none)")
    key = (backend, model, settings.llm_gguf_file, settings.llm_base_url, settings.llm_context_tokens,
           settings.llm_max_tokens, settings.llm_timeout_s, getattr(settings, "llm_threads", 0))  # fmt: skip
    with _CACHE_LOCK:
        if key not in _CACHE:
            logger.info("loading LLM backend=%s model=%s", backend, model)
            _CACHE[key] = _build(backend, model, settings)
        return _CACHE[key]


def optional_llm(settings) -> LLM | None:
    """Like ``load_llm`` but None when the LLM is disabled (errors loading a configured LLM still raise)."""
    try:
        return load_llm(settings)
    except LLMDisabled:
        return None


def clear_llm_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
