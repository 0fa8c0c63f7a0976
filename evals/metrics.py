"""Metric functions shared by the evaluators. Pure: lists in, floats out.

Degenerate inputs (fewer than two cases, constant predictions) give 0.0 rather than NaN, so a
broken grader shows up as a bad number instead of a crash or a silently missing metric.
"""

from __future__ import annotations

import math

import numpy as np

from coach.datafiles import spearman  # noqa: F401  (re-exported)

TIER_TO_VERDICT = {
    "excellent": "correct",
    "good": "correct",
    "partial": "partial",
    "wrong": "incorrect",
    "off_topic": "off_topic",
    "no_attempt": "no_attempt",
}
VERDICTS = ("correct", "partial", "incorrect", "off_topic", "no_attempt")


def _finite(x: float) -> float:
    return float(x) if x is not None and math.isfinite(x) else 0.0


def pearson(pred: list[float], gold: list[float]) -> float:
    from scipy.stats import pearsonr

    if len(pred) < 2 or len(set(pred)) < 2:
        return 0.0
    return _finite(pearsonr(pred, gold).statistic)


def quadratic_kappa(pred: list[float], gold: list[float]) -> float:
    """Quadratic weighted kappa on scores rounded half up to integers 0..10 (Python's ``round`` rounds
    half to even: 6.5 -> 6 but 7.5 -> 8, so equal halves landed on different sides)."""
    from sklearn.metrics import cohen_kappa_score

    p = [int(np.clip(np.floor(x + 0.5), 0, 10)) for x in pred]
    g = [int(np.clip(np.floor(x + 0.5), 0, 10)) for x in gold]
    if len(set(p)) < 2 and len(set(g)) < 2:
        return 0.0
    return _finite(cohen_kappa_score(g, p, weights="quadratic", labels=list(range(11))))


def mae(pred: list[float], gold: list[float]) -> float:
    if not pred:
        return 0.0
    return float(np.mean(np.abs(np.asarray(pred) - np.asarray(gold))))


def macro_f1(pred: list[str], gold: list[str], labels=VERDICTS) -> float:
    from sklearn.metrics import f1_score

    if not pred:
        return 0.0
    present = [lab for lab in labels if lab in set(gold) | set(pred)]  # a verdict no row has or gets is not averaged in
    return float(f1_score(gold, pred, labels=present, average="macro", zero_division=0))


def confusion(pred: list[str], gold: list[str], labels=VERDICTS) -> list[list[int]]:
    """rows = gold label, columns = predicted label, in ``labels`` order."""
    idx = {lab: i for i, lab in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for p, g in zip(pred, gold):
        if p in idx and g in idx:
            m[idx[g]][idx[p]] += 1
    return m


def fit_linear(x: list[float], y: list[float]) -> tuple[float, float]:
    """Least-squares y ~ a*x + b (for mapping a baseline's raw similarity onto 0..10 on dev)."""
    if len(x) < 2 or len(set(x)) < 2:
        return 0.0, float(np.mean(y)) if y else 0.0
    a, b = np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)
    return float(a), float(b)


BOOTSTRAP_RESAMPLES = 1000


def cluster_bootstrap(clusters: list, stat, n: int = BOOTSTRAP_RESAMPLES, seed: int = 0,
                      level: float = 0.95) -> list[float] | None:
    """Percentile interval [lo, hi] of ``stat(indices)`` over ``n`` resamples that draw whole clusters
    with replacement. ``clusters``: one key per row (the question: answers to the same question are not
    independent, so resampling single answers would give too narrow an interval); ``stat``: a function of
    a list of row indices (repeats included) returning a float, or None when it has no value on that
    resample (those resamples are left out). Deterministic for a seed. None when fewer than two clusters
    or no resample has a value."""
    keys = sorted(set(clusters), key=str)
    if len(keys) < 2:
        return None
    members = {k: [] for k in keys}
    for i, k in enumerate(clusters):
        members[k].append(i)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n):
        picked = rng.integers(0, len(keys), size=len(keys))
        idx = [i for j in picked for i in members[keys[j]]]
        v = stat(idx)
        if v is not None and math.isfinite(v):
            values.append(float(v))
    if not values:
        return None
    tail = (1.0 - level) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return [float(lo), float(hi)]
