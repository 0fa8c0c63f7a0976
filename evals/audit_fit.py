"""Fit the ``trusted`` audit check's thresholds on the DEV split of the team's source-error key
(never on its test split, never on the new-source documents).

1. Run every other check once (their flags are fixed), and the judge once over every prose claim's
   best trusted statement (``coach.audit.checks.trusted.judge_claims``): raw contradiction scores.
2. Sweep ``suspect_min`` (the flagging threshold) and keep the one with the best dev F1 whose
   false-positive rate on the dev correct claims stays <= 0.1; ``error_min`` (the "error" verdict) is
   the lowest threshold whose trusted flags are >= 90% precise on dev (else 0.99).
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
    scored = judge_claims(claims, ctx)
    errors, correct = load_jsonl(SOURCE_ERRORS), load_jsonl(CORRECT_CLAIMS)

    def flags_at(t: float) -> list[dict]:
        return [{"source": c.source, "line_start": c.line_start, "line_end": c.line_end, "check": "trusted"}
                for c, _, p, _ in scored if p >= t]

    rows = []
    for t in np.round(np.arange(0.30, 0.991, 0.02), 2):
        m = AuditEvaluator(base_flags + flags_at(float(t)), errors, correct)(split="dev").metrics
        tf = flags_at(float(t))
        tm = AuditEvaluator(tf, errors, correct)(split="dev").metrics
        rows.append((float(t), m["f1"], m["false_positive_rate"], tm["precision"], m["recall"]))
    ok = [r for r in rows if r[2] <= 0.1] or rows
    best = max(ok, key=lambda r: (r[1], r[0]))
    precise = [r[0] for r in rows if r[3] >= 0.9 and r[0] >= best[0]]
    th = dict(thresholds())
    th.update(suspect_min=best[0], error_min=min(precise) if precise else 0.99)
    out = {
        "thresholds": th,
        "fitted_on": {"data": "evals/data/source_errors.jsonl + correct_claims.jsonl", "split": "dev",
                      "dev_f1": round(best[1], 4), "dev_false_positive_rate": round(best[2], 4),
                      "dev_recall": round(best[4], 4), "claims_scored": len(scored)},
        "sweep": [{"t": r[0], "f1": round(r[1], 4), "fpr": round(r[2], 4), "trusted_precision": round(r[3], 4)} for r in rows],
    }
    return out


def save(result: dict) -> None:
    THRESHOLDS_PATH.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
