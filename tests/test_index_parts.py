"""Pure parts of the index: RRF fusion (hand-checked), chunk windows, BM25 tokenizer, HNSW vs flat oracle."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.records import Record
from index.chunking import chunk_record, windows
from index.dense import build_faiss, search
from index.fusion import rrf
from index.keyword import KeywordIndex, tokenize


def test_rrf_hand_checked_toy_example():
    # k = 60. dense: a b c ; bm25: c a d
    # a: 1/61 + 1/62 = 0.032522 ; c: 1/63 + 1/61 = 0.032266 ; b: 1/62 = 0.016129 ; d: 1/63 = 0.015873
    fused = rrf({"dense": ["a", "b", "c"], "bm25": ["c", "a", "d"]})
    assert [d for d, _, _ in fused] == ["a", "c", "b", "d"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[1][1] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[0][2] == {"dense": 1, "bm25": 2} and fused[3][2] == {"bm25": 3}
    # Weights scale each list's contribution: bm25 x 0 leaves the dense order.
    assert [d for d, _, _ in rrf({"dense": ["a", "b"], "bm25": ["b"]}, weights={"bm25": 0.0})] == ["a", "b"]
    # Ties: equal fused scores are ordered by best single rank, then id.
    assert [d for d, _, _ in rrf({"x": ["p", "q"], "y": ["q", "p"]})] == ["p", "q"]


def test_windows_overlap_and_cover_everything():
    words = [str(i) for i in range(250)]
    wins = windows(words, size=100, overlap=20)
    assert [w[0] for w in wins] == ["0", "80", "160"] and wins[-1][-1] == "249"
    assert all(len(w) <= 100 for w in wins) and wins[0][-20:] == wins[1][:20]
    assert windows(words[:5], 100, 20) == [words[:5]]


def test_chunk_record_title_and_bodies_know_their_record():
    r = Record(id="s.txt:3", source="s.txt", question="What is X?", answer=" ".join(["w"] * 300),
               line_start=3, line_end=9, topic="t")
    chunks = chunk_record(r)
    assert chunks[0].text == "What is X?" and chunks[0].kind == "title"
    assert len(chunks) == 1 + 3 and all(c.record_id == "s.txt:3" and c.text.startswith("What is X?\n")
                                        for c in chunks[1:])
    assert len({c.hash for c in chunks}) == 2  # identical windows share one hash (one embedding)


def test_tokenizer_folds_plurals_and_spelling_variants():
    assert tokenize("What are Neural Networks?") == ["neural", "network"]
    assert tokenize("normalisation") == tokenize("normalization")
    kw = KeywordIndex(["batch normalization layers", "dropout regularization", ""])
    scores = kw.scores("Batch normalisation")
    assert scores[0] > 0 and scores[1] == 0 and scores[2] == 0
    assert not kw.scores("zebra").any()


def test_hnsw_recall_at_10_matches_flat_oracle():
    rng = np.random.default_rng(0)
    # Clustered unit vectors (real embeddings are clustered, uniform random ones are the worst case).
    centers = rng.standard_normal((50, 64))
    data = centers[rng.integers(0, 50, 6000)] + 0.5 * rng.standard_normal((6000, 64))
    data = (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)
    queries = data[rng.choice(6000, 100, replace=False)] + 0.05 * rng.standard_normal((100, 64)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    flat, kind_flat = build_faiss(data, ann_threshold=10_000)
    hnsw, kind_hnsw = build_faiss(data, ann_threshold=1_000)
    assert (kind_flat, kind_hnsw) == ("flat", "hnsw")
    recall = []
    for q in queries:
        exact, _ = search(flat, data, q, 10)
        approx, _ = search(hnsw, data, q, 10)
        recall.append(len(set(exact) & set(approx)) / 10)
    assert np.mean(recall) > 0.95
    # Brute force agrees with the flat index, and a mask restricts results exactly.
    q = queries[0]
    exact, scores = search(flat, data, q, 5)
    assert list(exact) == list(np.argsort(-(data @ q))[:5])
    mask = np.zeros(6000, dtype=bool)
    mask[::7] = True
    rows, _ = search(hnsw, data, q, 5, allowed=mask)
    assert all(r % 7 == 0 for r in rows) and list(rows) == list(np.flatnonzero(mask)[np.argsort(-(data[mask] @ q))[:5]])
