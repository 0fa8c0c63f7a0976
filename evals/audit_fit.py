"""Fit the ``trusted`` audit check's thresholds on the DEV split of the team's source-error key
(never on its test split, never on the new-source documents).

1. Run every other check once (their flags are fixed), and the judge once over every prose claim's
   best trusted statement (``coach.audit.checks.trusted.judge_claims``): raw contradiction scores.
2. Sweep ``suspect_min`` (the flagging threshold), for one-way and two-way (symmetric) contradiction,
   and keep the one with the best dev F1 whose false-positive rate on the dev correct claims stays
   <= 0.1; ``error_min`` (the "error" verdict) is the lowest threshold whose trusted flags are >= 90%
   precise on dev (else 0.99).
Deterministic. Writes ``coach/audit/trusted_thresholds.json`` with what it was fit on.
"""

from __future__ import annotations

import json

import numpy as np

from coach.audit.checks.trusted import THRESHOLDS_PATH, judge_claims, thresholds
from evals.audit import CORRECT_CLAIMS, SOURCE_ERRORS, AuditEvaluator
from evals.base import load_jsonl


def fit(coach) -> dict:
    from coach.audit import audit_sources
    from coach.audit.checks import DEFAULT_CHECKS, AuditContext
    from coach.audit.runner import source_claims
    from coach.audit_link import parsed_from_index

    parsed = parsed_from_index(coach.index)
    ctx = AuditContext(settings=coach.settings, embedder=coach.index.embedder.model)
    others = [c for c in DEFAULT_CHECKS if c != "trusted"]
    base_flags = [f.to_dict() for f in audit_sources(parsed, coach.settings, checks=tuple(others), cache=False, context=ctx)]
    claims = [c for ps in parsed for c in source_claims(ps)[0]]
    errors, correct = load_jsonl(SOURCE_ERRORS), load_jsonl(CORRECT_CLAIMS)
    # judged cross-source disagreements stay on only where they are precise on dev (>= 0.5)
    judged = [f for f in base_flags if f["check"] == "cross_source" and "says the opposite" in f["reason"]]
    judged_m = AuditEvaluator(judged, errors, correct)(split="dev").metrics if judged else {"precision": 0.0, "flags": 0.0}
    cross_min = thresholds().get("cross_min", 0.97) if judged and judged_m["precision"] >= 0.5 else 1.01
    if cross_min > 1:
        base_flags = [f for f in base_flags if f not in judged]
    base = AuditEvaluator(base_flags, errors, correct)(split="dev").metrics

    rows = []
    for symmetric in (False, True):
        scored = judge_claims(claims, ctx, symmetric=symmetric)
        for t in np.round(np.arange(0.30, 0.991, 0.01), 2):
            tf = [{"source": c.source, "line_start": c.line_start, "line_end": c.line_end, "check": "trusted"}
                  for c, _, p, _ in scored if p >= t]
            m = AuditEvaluator(base_flags + tf, errors, correct)(split="dev").metrics
            tm = AuditEvaluator(tf, errors, correct)(split="dev").metrics
            rows.append((float(t), m["f1"], m["false_positive_rate"], tm["precision"], m["recall"], symmetric))
    # the false-positive budget is the target's (0.1) minus what the other checks already spend
    ok = [r for r in rows if r[2] <= max(0.1, base["false_positive_rate"])] or rows
    best = max(ok, key=lambda r: (r[1], r[0]))
    precise = [r[0] for r in rows if r[5] == best[5] and r[3] >= 0.9 and r[0] >= best[0]]
    th = dict(thresholds())
    th.update(suspect_min=best[0], error_min=min(precise) if precise else 0.99, symmetric=best[5], cross_min=cross_min)
    out = {
        "thresholds": th,
        "fitted_on": {"data": "evals/data/source_errors.jsonl + correct_claims.jsonl", "split": "dev",
                      "dev_judged_cross_source_precision": round(judged_m["precision"], 4),
                      "dev_judged_cross_source_flags": judged_m["flags"],
                      "dev_other_checks_f1": round(base["f1"], 4), "dev_other_checks_false_positive_rate": round(base["false_positive_rate"], 4),
                      "dev_f1": round(best[1], 4), "dev_false_positive_rate": round(best[2], 4),
                      "dev_recall": round(best[4], 4), "claims": len(claims)},
        "sweep": [{"t": r[0], "symmetric": r[5], "f1": round(r[1], 4), "fpr": round(r[2], 4), "trusted_precision": round(r[3], 4)}
                  for r in rows],
    }
    return out


def save(result: dict) -> None:
    THRESHOLDS_PATH.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
