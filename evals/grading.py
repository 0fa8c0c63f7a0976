"""Grading evaluator: the grader against the team's expert-labelled answers.

Metrics (all on the chosen split): Spearman and Pearson against the expert score, quadratic weighted
kappa on rounded scores, MAE, mean predicted score per tier, verdict macro-F1, determinism (every
answer graded twice; share identical), and the same correlation figures for the plain cosine
baseline (answer vs the source's reference answer, linearly mapped to 0..10 on the DEV split), so
progress is visible as a gap. A case the grader cannot grade is a failure: counted, scored 0 with
verdict "error", never dropped.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import numpy as np

from evals import metrics as M
from evals.base import DATA_DIR, EvalResult, load_jsonl, select_split

log = logging.getLogger(__name__)
GRADED_ANSWERS = DATA_DIR / "graded_answers.jsonl"
TIERS = ("excellent", "good", "partial", "wrong", "off_topic")


def cosine_baseline(grader, rows: list[dict]) -> list[float | None]:
    """Raw cosine between each answer and its source record's answer (None when no record)."""
    out = []
    for r in rows:
        rec = grader.records.get(r["question_id"])
        if rec is None or not r["answer"].strip():
            out.append(None if rec is None else 0.0)
            continue
        v = grader.vecs([r["answer"], rec.answer])
        out.append(float(v[0] @ v[1]))
    return out


class GradingEvaluator:
    name = "grading"

    def __init__(self, grader, rows: list[dict] | None = None):
        self.grader = grader
        self.rows = rows if rows is not None else load_jsonl(GRADED_ANSWERS)

    def __call__(self, *, split: str = "test", limit: int | None = None) -> EvalResult:
        rows = select_split(self.rows, split)[:limit]
        dev = select_split(self.rows, "dev")
        base_dev = cosine_baseline(self.grader, dev)
        pairs = [(b, r["score"]) for b, r in zip(base_dev, dev) if b is not None]
        a, b0 = M.fit_linear([p[0] for p in pairs], [p[1] for p in pairs])
        base_raw = cosine_baseline(self.grader, rows)

        details, failures, nondeterministic = [], 0, 0
        for r, braw in zip(rows, base_raw):
            row = {k: r.get(k) for k in ("id", "question_id", "tier", "score", "styles", "source_wrong")}
            try:
                g1 = self.grader.grade(r["question"], r["answer"], question_id=r["question_id"])
                g2 = self.grader.grade(r["question"], r["answer"], question_id=r["question_id"])
                row.update(pred=g1.score, verdict=g1.verdict, steps={s.name: s.value for s in g1.steps})
                if (g1.score, g1.verdict) != (g2.score, g2.verdict):
                    nondeterministic += 1
            except Exception as exc:  # counted, not dropped
                failures += 1
                row.update(pred=0.0, verdict="error", error=f"{type(exc).__name__}: {exc}")
                log.warning("grading failed for %s: %s", r.get("id"), exc)
            row["baseline"] = float(np.clip(a * braw + b0, 0, 10)) if braw is not None else 0.0
            details.append(row)

        pred = [d["pred"] for d in details]
        gold = [float(d["score"]) for d in details]
        base = [d["baseline"] for d in details]
        verdicts = [d["verdict"] for d in details]
        gold_verdicts = [M.TIER_TO_VERDICT[d["tier"]] for d in details]
        out = {
            "n": float(len(details)),
            "spearman": M.spearman(pred, gold),
            "pearson": M.pearson(pred, gold),
            "qwk": M.quadratic_kappa(pred, gold),
            "mae": M.mae(pred, gold),
            "verdict_macro_f1": M.macro_f1(verdicts, gold_verdicts),
            "determinism": 1.0 - nondeterministic / max(1, len(details)),
            "baseline_spearman": M.spearman(base, gold),
            "baseline_pearson": M.pearson(base, gold),
            "baseline_qwk": M.quadratic_kappa(base, gold),
            "baseline_mae": M.mae(base, gold),
        }
        by_tier = defaultdict(list)
        base_tier = defaultdict(list)
        for d in details:
            by_tier[d["tier"]].append(d["pred"])
            base_tier[d["tier"]].append(d["baseline"])
        for t in TIERS:
            out[f"mean_pred_{t}"] = float(np.mean(by_tier[t])) if by_tier[t] else float("nan")
            out[f"baseline_mean_{t}"] = float(np.mean(base_tier[t])) if base_tier[t] else float("nan")
        for style in ("source_wrong_correct", "source_wrong_parrot", "reuses_reference_words", "concept_swap", "paraphrase", "injection"):
            vals = [d["pred"] for d in details if style in (d.get("styles") or [])]
            if vals:
                out[f"mean_pred_{style}"] = float(np.mean(vals))
        out["confusion"] = M.confusion(verdicts, gold_verdicts)  # type: ignore[assignment]
        return EvalResult(self.name, out, "spearman", n=len(details), failures=failures, details=details)
