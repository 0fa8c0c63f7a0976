"""Retrieval quality: paraphrased questions against the indexed bundled sources.

Each row of ``evals/data/retrieval_queries.jsonl`` is ``{"id", "query", "gold": [record ids], "split"}``
where gold lists every bundled record asking the question the query paraphrases. A query is a hit at k
when ANY gold record is in the top k. Metrics per mode: recall@k for each k, MRR@10 (reciprocal rank of
the first gold record within 10). Primary metric: hybrid MRR@10.

Failures are counted, never dropped: a gold id missing from the index (e.g. the parser put the question
on another line) makes that query a miss in every mode and adds one to ``failures``; a search that raises
is a miss and a failure too.
"""

from __future__ import annotations

import logging

from evals.base import DATA_DIR, EvalResult, load_jsonl, select_split

log = logging.getLogger(__name__)

QUERIES_PATH = DATA_DIR / "retrieval_queries.jsonl"
MRR_AT = 10


def load_queries(split: str = "test") -> list[dict]:
    return select_split(load_jsonl(QUERIES_PATH), split)


def evaluate_retrieval(index, rows, k_values=(1, 5, 10), modes=("dense", "bm25", "hybrid")) -> EvalResult:
    depth = max(max(k_values), MRR_AT)
    known = {r.id for r in index.records()}
    sums = {f"{m}_{name}": 0.0 for m in modes for name in [*(f"recall@{k}" for k in k_values), f"mrr@{MRR_AT}"]}
    failures, details = 0, []
    if rows and any(m != "bm25" for m in modes) and hasattr(index, "embed"):
        index.embed([row["query"] for row in rows])  # one batched encode fills the index's query cache
    for row in rows:
        gold = set(row["gold"])
        missing = sorted(gold - known)
        detail = {"id": row["id"], "query": row["query"], "gold": row["gold"], "missing_gold": missing}
        failed = bool(missing)
        for mode in modes:
            rank = None
            if not missing:
                try:
                    hits = index.search(row["query"], k=depth, mode=mode)
                    ids = [h.record.id for h in hits]
                    rank = next((i for i, rid in enumerate(ids, 1) if rid in gold), None)
                    detail[f"{mode}_top"] = ids[:3]
                except Exception as exc:  # noqa: BLE001 - counted as a failure, reported per row
                    log.warning("query %s failed in %s mode: %s", row["id"], mode, exc)
                    detail[f"{mode}_error"] = str(exc)
                    failed = True
            detail[f"{mode}_rank"] = rank
            for k in k_values:
                sums[f"{mode}_recall@{k}"] += 1.0 if rank is not None and rank <= k else 0.0
            sums[f"{mode}_mrr@{MRR_AT}"] += 1.0 / rank if rank is not None and rank <= MRR_AT else 0.0
        failures += failed
        details.append(detail)
    n = len(rows)
    metrics = {name: (total / n if n else 0.0) for name, total in sums.items()}
    metrics["failures"] = float(failures)
    primary = f"hybrid_mrr@{MRR_AT}" if "hybrid" in modes else f"{modes[0]}_mrr@{MRR_AT}"
    return EvalResult(name="retrieval", metrics=metrics, primary=primary, n=n, failures=failures, details=details)
