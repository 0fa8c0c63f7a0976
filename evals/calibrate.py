"""Fit the grading combiner on the DEV split of the labelled answers (never on test).

1. Measure every dev answer's signals with the real grader (screened inputs such as empty answers
   are scored 0 by rule and only take part in step 3).
2. Ridge regression of the expert score on the signal features (closed form, fixed alpha).
3. Grid search of the explainable caps and verdict thresholds, maximising
   Spearman + verdict macro-F1 - MAE/10 on dev.
Deterministic: same data and grader -> the same calibration.json.
"""

from __future__ import annotations

import hashlib
import itertools
import json

import numpy as np

from coach.grading.combine import FEATURES, Calibration, feature_vector
from evals import metrics as M
from evals.base import load_jsonl, select_split
from evals.grading import GRADED_ANSWERS

ALPHA = 1.0


def collect(grader, rows: list[dict]) -> list[dict | None]:
    """Signal features per row (None for answers the input screen scores by rule)."""
    out = []
    for r in rows:
        _, ev = grader.analyse(r["question"], r["answer"], question_id=r["question_id"])
        out.append(None if ev is None else ev.features)
    return out


def _objective(cal: Calibration, feats, gold, gold_verdicts) -> float:
    pred, verd = [], []
    for f in feats:
        if f is None:
            pred.append(0.0)
            verd.append("off_topic")
        else:
            s, _ = cal.score(f)
            pred.append(s)
            verd.append(cal.verdict(s, f))
    return M.spearman(pred, gold) + M.macro_f1(verd, gold_verdicts) - M.mae(pred, gold) / 10


def fit(grader, rows: list[dict] | None = None) -> Calibration:
    rows = select_split(rows if rows is not None else load_jsonl(GRADED_ANSWERS), "dev")
    feats = collect(grader, rows)
    gold = [float(r["score"]) for r in rows]
    gold_verdicts = [M.TIER_TO_VERDICT[r["tier"]] for r in rows]
    idx = [i for i, f in enumerate(feats) if f is not None]
    X = np.stack([feature_vector(feats[i]) for i in idx])  # (n, F)
    y = np.asarray([gold[i] for i in idx])  # (n,)
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = (X - mu) / sd
    w = np.linalg.solve(Z.T @ Z + ALPHA * np.eye(Z.shape[1]), Z.T @ (y - y.mean()))
    weights = w / sd  # back to raw feature units
    intercept = float(y.mean() - (mu / sd) @ w)

    best, best_obj = None, -1e9
    grid = itertools.product(
        (2.5, 3.0, 3.5, 4.0, 5.0, 10.0),  # misc_cap (10 = no cap)
        (0.5, 0.9),  # misc_min
        (0.10, 0.15, 0.20, 0.25, 0.30, 0.35),  # offtopic_relevance
        (6.0, 6.5, 7.0),  # correct_at
        (3.0, 3.5, 4.0),  # partial_at
    )
    for cap, mmin, off, c_at, p_at in grid:
        cal = Calibration(
            weights=[float(x) for x in weights], intercept=intercept, misc_cap=cap, misc_min=mmin,
            offtopic_relevance=off, correct_at=c_at, partial_at=p_at,
        )
        obj = _objective(cal, feats, gold, gold_verdicts)
        if obj > best_obj + 1e-9:
            best, best_obj = cal, obj
    digest = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]
    best.fitted_on = {
        "data": "evals/data/graded_answers.jsonl",
        "split": "dev",
        "n": len(rows),
        "n_regression": len(idx),
        "data_sha256_16": digest,
        "objective": round(best_obj, 4),
        "features": list(FEATURES),
    }
    return best
