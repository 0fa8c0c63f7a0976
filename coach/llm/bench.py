"""LLM speed and memory benchmark: the same prompts through every available backend.

For each backend (llama.cpp in-process with the default thread count and, when different, on all
physical cores; transformers on the same GGUF, the OpenAI-compatible HTTP client
against a locally started ``llama_cpp.server``): load time, time to first token, tokens/s and resident
memory. Tokens are counted with one tokenizer (the bundled model's, via llama.cpp when available) so
the backends are compared on the same text measure.

Simplified on purpose:
- tokens/s = generated tokens / wall time of the whole generation (prompt evaluation included), greedy,
  fixed ``max_tokens``; one warm-up generation per backend is not timed.
- RSS is the resident-set growth of this process while loading (in-process backends; allocator caches
  make it approximate), or the server process's RSS (HTTP backend).
- A backend that cannot run here is reported with ``{"error": ...}`` and counted, never dropped.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import time

import psutil

from coach.config import physical_cores
from coach.errors import CoachError
from coach.llm import llama_cpp_available, resolve_backend
from coach.llm.llamacpp import default_threads

logger = logging.getLogger(__name__)

PROMPTS = [
    "What is the difference between a list and a tuple in Python?",
    "Explain what a database index is and when it slows writes down.",
    "What does the HTTP status code 404 mean?",
]
QUICK_PROMPTS = PROMPTS[:1]


def _rss() -> int:
    return psutil.Process().memory_info().rss


def _measure(make, prompts: list[str], max_tokens: int, counter=None) -> dict:
    """Load with ``make()``, warm up, then time each prompt. ``counter`` counts tokens (default: the LLM)."""
    gc.collect()
    rss0, t0 = _rss(), time.perf_counter()
    llm = make()
    load_s = time.perf_counter() - t0
    rss_delta = _rss() - rss0
    count = counter or llm.count_tokens
    llm.generate([{"role": "user", "content": "Hi"}], max_tokens=4)  # warm-up, not timed
    tokens, seconds, ttfts = 0, 0.0, []
    for p in prompts:
        gen = llm.complete([{"role": "user", "content": p}], max_tokens=max_tokens, timeout_s=120)
        tokens += count(gen.text)
        seconds += gen.seconds
        if gen.first_token_s is not None:
            ttfts.append(gen.first_token_s)
    return {
        "model": llm.name,
        "load_s": round(load_s, 3),
        "ttft_s": round(sum(ttfts) / len(ttfts), 4) if ttfts else None,
        "tokens": tokens,
        "generation_s": round(seconds, 3),
        "tokens_per_s": round(tokens / seconds, 2) if seconds else None,
        "rss_mb": round(rss_delta / 2**20, 1),
        "_llm": llm,
    }


def run_llm_bench(settings, quick: bool = False) -> dict:
    """Benchmark every available backend on the bundled/configured GGUF. Returns a dict of named metrics."""
    from coach.llm.hf import TransformersLLM
    from coach.models import default_gguf_path

    load_start = os.getloadavg()[0]
    prompts = QUICK_PROMPTS if quick else PROMPTS
    max_tokens = 32 if quick else 128
    gguf = settings.llm_model if settings.llm_model.endswith(".gguf") else str(default_gguf_path())
    ctx, results = settings.llm_context_tokens, {}
    counter = None

    if llama_cpp_available():
        from coach.llm.llamacpp import LlamaCppLLM

        try:
            r = _measure(lambda: LlamaCppLLM(gguf, context_tokens=ctx), prompts, max_tokens)
            counter = r.pop("_llm").count_tokens  # keep it: it is the shared token counter
            results["llamacpp"] = r
        except Exception as exc:  # reported, not dropped
            results["llamacpp"] = {"error": f"{type(exc).__name__}: {exc}"}
        if default_threads() != physical_cores():  # llama.cpp on every physical core, for reference
            try:
                r = _measure(lambda: LlamaCppLLM(gguf, context_tokens=ctx, n_threads=physical_cores()), prompts, max_tokens, counter)
                r.pop("_llm").close()
                results["llamacpp_all_cores"] = r
            except Exception as exc:
                results["llamacpp_all_cores"] = {"error": f"{type(exc).__name__}: {exc}"}
    else:
        results["llamacpp"] = {"error": "llama-cpp-python is not installed: pip install 'interview-coach[llama]'"}

    try:
        r = _measure(lambda: TransformersLLM(gguf, context_tokens=ctx), prompts, max_tokens, counter)
        del r["_llm"]
        results["transformers_gguf"] = r
    except Exception as exc:
        results["transformers_gguf"] = {"error": f"{type(exc).__name__}: {exc}"}
    gc.collect()

    if llama_cpp_available():
        from coach.llm.openai_http import OpenAIHTTPLLM
        from coach.llm.server import LocalLlamaServer

        try:
            t0 = time.perf_counter()
            with LocalLlamaServer(gguf, context_tokens=ctx) as server:
                start_s = time.perf_counter() - t0
                r = _measure(lambda: OpenAIHTTPLLM(server.base_url), prompts, max_tokens, counter)
                r.pop("_llm").close()
                r["load_s"] = round(start_s, 3)  # server start-up to ready, model load included
                r["rss_mb"] = round(psutil.Process(server.process.pid).memory_info().rss / 2**20, 1)
            results["openai_http"] = r
        except Exception as exc:
            results["openai_http"] = {"error": f"{type(exc).__name__}: {exc}"}
    else:
        results["openai_http"] = {"error": "needs llama-cpp-python[server] to start a local server"}

    default_settings = dataclasses.replace(settings, llm_model=gguf, llm_base_url="", llm_backend="auto")
    try:
        default_backend = {"llamacpp": "llamacpp", "transformers": "transformers_gguf"}[resolve_backend(default_settings)[0]]
    except (CoachError, KeyError):
        default_backend = None
    # Reference: the best llama.cpp configuration measured (default threads or all cores).
    base = max((results.get(k, {}).get("tokens_per_s") or 0 for k in ("llamacpp", "llamacpp_all_cores")), default=0)
    chosen = results.get(default_backend, {}).get("tokens_per_s") if default_backend else None
    ratio = round(chosen / base, 3) if base and chosen else None
    return {
        "primary_metric": "default_vs_llamacpp_tokens_per_s",
        "default_vs_llamacpp_tokens_per_s": ratio,
        "default_backend": default_backend,
        "target_ratio": 0.8,
        "meets_target": ratio is not None and ratio >= 0.8,
        "model": gguf,
        "max_tokens": max_tokens,
        "prompts": len(prompts),
        "backends": results,
        "failures": sum(1 for r in results.values() if "error" in r),
        # llama.cpp slows down sharply when other processes keep the cores busy: record how busy we were.
        "machine": {
            "physical_cores": physical_cores(),
            "llamacpp_default_threads": default_threads(),
            "load_avg_1m_start": round(load_start, 2),
            "load_avg_1m_end": round(os.getloadavg()[0], 2),
        },
    }
