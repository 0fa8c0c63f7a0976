"""The index benchmark runs end to end in quick mode and reports every figure (slow: ~1 min)."""

from __future__ import annotations

import json

import pytest

from coach.config import load_settings
from index.bench import ann_recall, clustered_unit_vectors


def test_ann_recall_helper_is_one_for_exact_search():
    import numpy as np

    from index.dense import build_faiss

    rng = np.random.default_rng(0)
    vecs = clustered_unit_vectors(rng, 500, 32, clusters=10)
    flat, kind = build_faiss(vecs, ann_threshold=10_000)
    assert kind == "flat" and ann_recall(flat, vecs, rng, queries=20) == 1.0


@pytest.mark.slow
def test_quick_bench_reports_all_figures():
    from index.bench import run_index_bench

    out = run_index_bench(load_settings(), quick=True)
    json.dumps(out)  # JSON-able
    assert out["throughput"]["throughput_ratio"] > 0.5
    assert out["reindex"]["reindex_ratio"] < 0.2 and out["reindex"]["updated"] == ["doc00000.txt"]
    assert out["latency_20k"]["index_type"] == "hnsw" and out["latency_20k"]["ann_recall@10_vs_exact"] > 0.9
    for key in ("latency_1k", "latency_20k"):
        assert {"hybrid", "hybrid_cached_query", "dense_cached_query"} <= set(out[key])
    assert out["peak_rss_mb"] > 0
