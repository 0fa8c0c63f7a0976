"""The LLM benchmark end to end (quick mode: one prompt per backend, ~45 s, mostly the transformers load)."""

from __future__ import annotations

import pytest

from coach.config import load_settings
from coach.llm.bench import run_llm_bench

pytest.importorskip("llama_cpp")


@pytest.mark.slow
def test_quick_bench_reports_every_backend():
    out = run_llm_bench(load_settings(), quick=True)
    assert out["failures"] == 0, out
    assert {"llamacpp", "transformers_gguf", "openai_http"} <= set(out["backends"])
    for name, r in out["backends"].items():
        assert r["tokens"] > 0 and r["tokens_per_s"] > 0 and r["ttft_s"] > 0 and r["load_s"] > 0, name
    assert out["default_backend"] == "llamacpp" and 0 < out["default_vs_llamacpp_tokens_per_s"] <= 1.0
    machine = out["machine"]
    if max(machine["load_avg_1m_start"], machine["load_avg_1m_end"]) < machine["physical_cores"]:
        # The reason llama.cpp is the default: on an idle machine it is clearly faster than transformers
        # on the same GGUF (~100 vs ~20 tokens/s here). Under heavy CPU contention llama.cpp's thread
        # barrier collapses (see coach/llm/llamacpp.py), so the comparison is only asserted when idle.
        assert out["backends"]["llamacpp"]["tokens_per_s"] > 2 * out["backends"]["transformers_gguf"]["tokens_per_s"]
