"""Retrieval quality regression guard on the bundled sources, plus the LangChain retriever.

Thresholds sit just below what was measured on the test split (120 queries) with the real parser:
recall@5 / MRR@10 = hybrid 0.992 / 0.947, dense 0.992 / 0.948, bm25 0.917 / 0.814.
"""

from __future__ import annotations

import pytest

from coach.config import load_settings
from corpus import parse_paths
from evals.retrieval import evaluate_retrieval, load_queries
from index import CoachIndex
from index.langchain import CoachRetriever


@pytest.fixture(scope="module")
def bundled_index(tmp_path_factory, embedder, bundled_dir):
    settings = load_settings(home=tmp_path_factory.mktemp("bundled_home"))
    ix = CoachIndex(settings, model=embedder)
    ix.build(parse_paths([bundled_dir]))
    return ix


def test_every_gold_id_exists_and_all_sources_are_covered(bundled_index):
    rows = load_queries("all")
    assert len(rows) >= 170 and {r["split"] for r in rows} == {"dev", "test"}
    known = {r.id for r in bundled_index.records()}
    gold = {g for r in rows for g in r["gold"]}
    assert gold <= known, sorted(gold - known)[:5]
    assert {g.split(":")[0] for g in gold} == {s["source"] for s in bundled_index.status()["sources"]}


def test_retrieval_quality_on_test_split(bundled_index):
    result = evaluate_retrieval(bundled_index, load_queries("test"))
    m = result.metrics
    assert result.failures == 0 and result.primary == "hybrid_mrr@10"
    assert m["hybrid_recall@5"] >= 0.97 and m["hybrid_mrr@10"] >= 0.93
    assert m["dense_recall@5"] >= 0.97 and m["dense_mrr@10"] >= 0.93
    assert m["bm25_recall@5"] >= 0.90 and m["bm25_mrr@10"] >= 0.80


def test_missing_gold_is_a_counted_failure(bundled_index):
    rows = [{"id": "x", "query": "what is dropout", "gold": ["nope.txt:1"], "split": "test"}]
    result = evaluate_retrieval(bundled_index, rows, modes=("hybrid",))
    assert result.failures == 1 and result.metrics["hybrid_recall@5"] == 0.0
    assert result.details[0]["missing_gold"] == ["nope.txt:1"]


def test_langchain_retriever_returns_documents_with_provenance(bundled_index):
    retriever = CoachRetriever(index=bundled_index, k=3, source="004_db51e9162b39e910.txt")
    docs = retriever.invoke("what is a Siamese network used for")
    assert len(docs) == 3
    top = docs[0]
    assert top.metadata["id"] == "004_db51e9162b39e910.txt:370"
    assert top.metadata["source"] == "004_db51e9162b39e910.txt" and top.metadata["line_start"] == 370
    assert {"line_end", "topic", "score"} <= set(top.metadata)
    assert "Siamese" in top.page_content
    assert all(d.metadata["source"] == "004_db51e9162b39e910.txt" for d in docs)
