"""Reciprocal rank fusion (Cormack et al., 2009): score(d) = sum_i w_i / (k + rank_i(d)).

Ranks are 1-based. A document missing from a ranking simply gets no term from it.
"""

from __future__ import annotations

RRF_K = 60


def rrf(rankings: dict[str, list[str]], k: int = RRF_K, weights: dict[str, float] | None = None
        ) -> list[tuple[str, float, dict[str, int]]]:
    """Fuse ranked id lists. Returns [(id, fused_score, {ranking_name: rank})], best first.

    Ties are broken by the best single rank, then by id, so the order is deterministic.
    """
    weights = weights or {}
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    for name, ids in rankings.items():
        w = weights.get(name, 1.0)
        for pos, doc in enumerate(ids, 1):
            if name in ranks.get(doc, {}):
                continue  # a duplicate in one list counts once, at its best rank
            scores[doc] = scores.get(doc, 0.0) + w / (k + pos)
            ranks.setdefault(doc, {})[name] = pos
    return sorted(
        ((d, s, ranks[d]) for d, s in scores.items()),
        key=lambda t: (-t[1], min(t[2].values()), t[0]),
    )
