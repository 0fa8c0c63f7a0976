"""Query one loaded generation: dense, BM25 or hybrid (RRF), best chunk per record, optional rerank.

Each retriever ranks *chunks*; a record takes the rank and score of its best chunk. Hybrid fuses the
two record rankings with reciprocal rank fusion (``index.fusion``). Filters (source, topic) are
applied before ranking, so ``k`` filtered results come back whenever that many exist.
Simplified on purpose: ``depth`` chunks are fetched per retriever (enough for k records unless one
record has hundreds of chunks); the reranker scores the top ``RERANK_DEPTH`` fused records only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from corpus.records import Record
from index import dense
from index.fusion import rrf

RERANK_DEPTH = 20
# Hybrid fusion: RRF constant and per-retriever weights, tuned on the dev split of
# evals/data/retrieval_queries.jsonl only (BM25 helps on exact terms but is weaker on paraphrases).
FUSION_K = 20
FUSION_WEIGHTS = {"dense": 1.0, "bm25": 0.3}


@dataclass
class Hit:
    record: Record
    score: float  # cosine (dense), BM25 (bm25), RRF (hybrid) or cross-encoder score (reranked)
    chunk_text: str  # the best-matching chunk
    ranks: dict = field(default_factory=dict)  # {"dense": 1, "bm25": 3, "rerank": 1}: 1-based


class SearchState:
    """A loaded generation plus lazily built lookup structures."""

    def __init__(self, gen):
        self.gen = gen
        self.records = {d["id"]: Record.from_dict(d) for d in gen.records}
        self.chunk_record = [c["record_id"] for c in gen.chunks]
        self._keyword = None

    @property
    def keyword(self):
        if self._keyword is None:
            from index.keyword import KeywordIndex

            self._keyword = KeywordIndex([c["text"] for c in self.gen.chunks])
        return self._keyword

    def mask(self, source, topic) -> np.ndarray | None:
        """Bool mask over chunks for the filters, or None when unfiltered."""
        if source is None and topic is None:
            return None
        sources = {source} if isinstance(source, str) else set(source or [])
        topics = {topic} if isinstance(topic, str) else set(topic or [])
        return np.array(
            [(not sources or c["source"] in sources) and (not topics or c["topic"] in topics) for c in self.gen.chunks],
            dtype=bool,
        )


def _best_per_record(state: SearchState, rows, scores) -> list[tuple[str, float, int]]:
    """[(record_id, score, chunk_row)] keeping each record's first (best) chunk."""
    seen, out = set(), []
    for row, score in zip(rows, scores):
        rid = state.chunk_record[int(row)]
        if rid not in seen:
            seen.add(rid)
            out.append((rid, float(score), int(row)))
    return out


def dense_ranking(index, state, query: str, depth: int, mask):
    qvec = index.embed([query])[0]
    rows, scores = dense.search(state.gen.faiss_index, state.gen.vectors, qvec, depth, mask)
    return _best_per_record(state, rows, scores)


def bm25_ranking(state, query: str, depth: int, mask):
    scores = state.keyword.scores(query)
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    positive = np.flatnonzero(scores > 0)  # a chunk sharing no term with the query is not a match
    if len(positive) > depth:
        positive = positive[np.argpartition(-scores[positive], depth - 1)[:depth]]
    order = positive[np.argsort(-scores[positive], kind="stable")]
    return _best_per_record(state, order, scores[order])


def run_search(index, state: SearchState, query: str, k: int, mode: str, source, topic) -> list[Hit]:
    if k <= 0 or not state.gen.chunks or not query.strip():
        return []
    mask = state.mask(source, topic)
    depth = max(100, 20 * k)
    lists = {}
    if mode in ("dense", "hybrid"):
        lists["dense"] = dense_ranking(index, state, query, depth, mask)
    if mode in ("bm25", "hybrid"):
        lists["bm25"] = bm25_ranking(state, query, depth, mask)
    chunk_of = {}
    for name in ("bm25", "dense"):  # dense's best chunk wins when both have one
        for rid, _, row in lists.get(name, []):
            chunk_of[rid] = row
    if mode == "hybrid":
        fused = rrf({n: [rid for rid, _, _ in lst] for n, lst in lists.items()}, k=FUSION_K, weights=FUSION_WEIGHTS)
    else:
        (name, lst), = lists.items()
        fused = [(rid, score, {name: pos}) for pos, (rid, score, _) in enumerate(lst, 1)]
    reranker = index.reranker()
    if reranker is not None and fused:
        top = fused[:max(k, RERANK_DEPTH)]
        pairs = [(query, state.gen.chunks[chunk_of[rid]]["text"]) for rid, _, _ in top]
        scores = np.asarray(reranker.predict(pairs, show_progress_bar=False), dtype=np.float32).reshape(-1)
        order = np.argsort(-scores, kind="stable")
        fused = [(top[i][0], float(scores[i]), {**top[i][2], "rerank": pos}) for pos, i in enumerate(order, 1)]
    return [
        Hit(state.records[rid], float(score), state.gen.chunks[chunk_of[rid]]["text"], dict(ranks))
        for rid, score, ranks in fused[:k]
    ]
