"""Fit the ``trusted`` audit check's thresholds on DEV data only: the dev split of the team's key of the
bundled sources, and the audit dev set (``data/audit_dev/``: four documents with planted errors,
written by a helper who never saw the trusted reference, the checks or the test sets). Never on the
bundled test split or the new-source test documents.

1. Run every other check once per set (their flags are fixed), and the judge once over every prose
   claim's trusted candidates in both reading directions (``coach.audit.checks.trusted.score_claims``).
2. Sweep the flagging threshold ``suspect_min``, the candidates' least similarity ``min_sim`` and
   one-way vs two-way (symmetric) contradiction; keep the setting with the best mean dev F1 of the two
   sets whose false-positive rate on each set's correct claims stays <= 0.1 (or what the other checks
   already spend) and whose trusted flags are at least half right on the pooled dev sets; when none
   qualifies the check stays off (``suspect_min`` 1.01). ``error_min`` (the "error" verdict) is the
   lowest threshold of that setting whose trusted flags are >= 90% precise (else 1.01: never "error").
Deterministic. Writes ``coach/audit/trusted_thresholds.json`` with what it was fit on.
"""

from __future__ import annotations

import json

import numpy as np

from coach.audit.checks.trusted import THRESHOLDS_PATH, best_contradiction, score_claims, thresholds, verify_claims
from evals.audit import CORRECT_CLAIMS, SOURCE_ERRORS, AuditEvaluator
from evals.base import load_jsonl

MIN_SIMS = (0.45, 0.55, 0.65, 0.75, 0.85)
TS = tuple(float(t) for t in np.round(np.arange(0.30, 0.991, 0.01), 2))
MIN_TRUSTED_PRECISION = 0.5


def _set_inputs(coach, names: set[str] | None):
    """(other checks' flags, scored claims) for the coach's sources (only ``names`` when given)."""
    from coach.audit import audit_sources
    from coach.audit.checks import DEFAULT_CHECKS, AuditContext
    from coach.audit.runner import source_claims
    from coach.audit_link import parsed_from_index

    parsed = parsed_from_index(coach.index)
    if names is not None:
        parsed = [ps for ps in parsed if ps.source in names]
    ctx = AuditContext(settings=coach.settings, embedder=coach.index.embedder.model)
    others = tuple(c for c in DEFAULT_CHECKS if c not in ("trusted", "reported"))  # never a user's reports
    base = [f.to_dict() for f in audit_sources(parsed, coach.settings, checks=others, cache=False, context=ctx)]
    claims = [c for ps in parsed for c in source_claims(ps)[0]]
    return base, score_claims(claims, ctx), verify_claims(claims, ctx)


def _verifier_flags(verified, t: float, min_sim: float) -> list[dict]:
    return [{"source": c.source, "line_start": c.line_start, "line_end": c.line_end, "quote": c.quote,
             "check": "trusted"} for c, p, cands in verified if p >= t and cands[0][1] >= min_sim]


def _sweep(sets, settings_grid, flags_of) -> list[dict]:
    """One row per setting: each dev set's figures with the trusted flags added to the other checks'."""
    rows = []
    for setting in settings_grid:
        per, tp, n = {}, 0.0, 0.0
        for name, b, scored, e, c in sets:
            tf = flags_of(scored, **setting)
            m = AuditEvaluator(b + tf, e, c)(split="dev").metrics
            tm = AuditEvaluator(tf, e, c)(split="dev").metrics
            per[name] = m
            tp += tm["precision"] * tm["flags"]
            n += tm["flags"]
        rows.append({**setting, "f1": float(np.mean([m["f1"] for m in per.values()])),
                     "fpr": {k: m["false_positive_rate"] for k, m in per.items()},
                     "recall": {k: m["recall"] for k, m in per.items()},
                     "trusted_precision": tp / n if n else 0.0, "trusted_flags": n})
    return rows


def _flags(scored, t: float, symmetric: bool, min_sim: float) -> list[dict]:
    out = []
    for c, cands in scored:
        b = best_contradiction(cands, symmetric=symmetric, min_sim=min_sim)
        if b is not None and b[1] >= t:
            out.append({"source": c.source, "line_start": c.line_start, "line_end": c.line_end, "quote": c.quote,
                        "check": "trusted"})
    return out


def fit(coach) -> dict:
    from evals.new_sources import AUDIT_DEV_DIR, audit_dev_documents, coach_with_audit_dev

    sets, vsets = [], []
    base, scored, verified = _set_inputs(coach, None)
    # judged cross-source disagreements stay on only where they are precise on dev (>= 0.5)
    errors, correct = load_jsonl(SOURCE_ERRORS), load_jsonl(CORRECT_CLAIMS)
    judged = [f for f in base if f["check"] == "cross_source" and "says the opposite" in f["reason"]]
    judged_m = AuditEvaluator(judged, errors, correct)(split="dev").metrics if judged else {"precision": 0.0, "flags": 0.0}
    cross_min = thresholds().get("cross_min", 0.97) if judged and judged_m["precision"] >= 0.5 else 1.01
    if cross_min > 1:
        base = [f for f in base if f not in judged]
    sets.append(("bundled_dev", base, scored, errors, correct))
    vsets.append(("bundled_dev", base, verified, errors, correct))
    docs = audit_dev_documents()
    if docs:
        names = {d.name for d in docs}
        dev_base, dev_scored, dev_verified = _set_inputs(coach_with_audit_dev(coach.settings), names)
        dev_base = [f for f in dev_base if f["source"] in names]
        key = load_jsonl(AUDIT_DEV_DIR / "audit_key.jsonl"), load_jsonl(AUDIT_DEV_DIR / "correct_claims.jsonl")
        sets.append(("audit_dev", dev_base, dev_scored, *key))
        vsets.append(("audit_dev", dev_base, [v for v in dev_verified if v[0].source in names], *key))

    baseline = {name: AuditEvaluator(b, e, c)(split="dev").metrics for name, b, _, e, c in sets}
    rows = _sweep(sets, [{"t": t, "symmetric": sym, "min_sim": ms} for sym in (False, True) for ms in MIN_SIMS for t in TS],
                  lambda sc, t, symmetric, min_sim: _flags(sc, t, symmetric, min_sim))
    vrows = _sweep(vsets, [{"t": t, "min_sim": ms} for ms in MIN_SIMS for t in TS],
                   lambda sc, t, min_sim: _verifier_flags(sc, t, min_sim)) if any(v[2] for v in vsets) else []

    def choose(rs, family):
        """The best qualifying row by mean dev F1 and the lowest threshold of its family (same other
        settings) whose trusted flags are >= 90% precise (the "error" verdict), or (None, 1.01)."""
        ok = [r for r in rs if all(r["fpr"][k] <= max(0.1, baseline[k]["false_positive_rate"]) for k in r["fpr"])
              and r["trusted_flags"] > 0 and r["trusted_precision"] >= MIN_TRUSTED_PRECISION]
        if not ok:
            return None, 1.01
        best = max(ok, key=lambda r: (r["f1"], r["t"]))
        precise = [r["t"] for r in rs if all(r[f] == best[f] for f in family) and r["t"] >= best["t"]
                   and r["trusted_flags"] > 0 and r["trusted_precision"] >= 0.9]
        return best, min(precise) if precise else 1.01

    th = dict(thresholds())
    th.update(cross_min=cross_min)
    best, error_min = choose(rows, ("symmetric", "min_sim"))
    if best is not None:
        th.update(suspect_min=best["t"], error_min=error_min, symmetric=best["symmetric"], min_sim=best["min_sim"])
    else:
        th.update(suspect_min=1.01, error_min=1.01)
    th["retrieve_min_sim"] = min(MIN_SIMS)
    vbest, verror_min = choose(vrows, ("min_sim",))
    th["verifier"] = ({"suspect_min": vbest["t"], "error_min": verror_min, "min_sim": vbest["min_sim"]}
                      if vbest is not None else {"suspect_min": 1.01, "error_min": 1.01, "min_sim": 0.45})
    r3 = lambda x: round(float(x), 4)  # noqa: E731

    def summary(b):
        return None if b is None else {
            "mean_f1": r3(b["f1"]), "recall": {k: r3(v) for k, v in b["recall"].items()},
            "false_positive_rate": {k: r3(v) for k, v in b["fpr"].items()},
            "trusted_precision": r3(b["trusted_precision"]), "trusted_flags": b["trusted_flags"]}

    def rounded(rs, b):
        return [{**r, "f1": r3(r["f1"]), "trusted_precision": r3(r["trusted_precision"]),
                 "fpr": {k: r3(v) for k, v in r["fpr"].items()}, "recall": {k: r3(v) for k, v in r["recall"].items()}}
                for r in rs if r["t"] in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99) or r is b]

    notes = []
    if best is None:
        notes.append("judge pairs: no setting met the false-positive and precision bars")
    if vbest is None:
        notes.append("claim verifier: no setting met the bars" if vrows else "claim verifier: not available")
    return {
        "thresholds": th,
        "fitted_on": {
            "data": "dev split of evals/data/source_errors.jsonl + correct_claims.jsonl; evals/data/audit_dev (all dev)",
            "other_checks": {k: {"f1": r3(m["f1"]), "recall": r3(m["recall"]), "false_positive_rate": r3(m["false_positive_rate"])}
                             for k, m in baseline.items()},
            "dev_judged_cross_source_precision": r3(judged_m["precision"]),
            "chosen": summary(best),
            "chosen_verifier": summary(vbest),
            "note": "; ".join(notes),
        },
        "sweep": rounded(rows, best),
        "sweep_verifier": rounded(vrows, vbest),
    }


def save(result: dict) -> None:
    THRESHOLDS_PATH.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
