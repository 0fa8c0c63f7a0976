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
from evals.base import DATA_DIR, EvalResult, load_jsonl, select_split, without_trained_questions

log = logging.getLogger(__name__)
GRADED_ANSWERS = DATA_DIR / "graded_answers.jsonl"
TIERS = ("excellent", "good", "partial", "wrong", "off_topic", "no_attempt")


def _reference_text(grader, r: dict) -> str | None:
    """The text the cosine baseline compares with: the explicit reference, else the source record's
    answer (found by id, else by the grader's own question matching)."""
    if r.get("reference"):
        return r["reference"]
    rec = grader.records.get(r.get("question_id") or "")
    if rec is None:
        try:
            rubric = grader.resolve(r["question"])
            rec = next((grader.records[i] for i in rubric.records if i in grader.records), None)
        except Exception:
            rec = None
    return rec.answer if rec is not None else None


def cosine_baseline(grader, rows: list[dict]) -> list[float | None]:
    """Raw cosine between each answer and its reference text (None when there is none)."""
    out = []
    for r in rows:
        ref = _reference_text(grader, r)
        if ref is None or not r["answer"].strip():
            out.append(None if ref is None else 0.0)
            continue
        v = grader.vecs([r["answer"], ref])
        out.append(float(v[0] @ v[1]))
    return out


class GradingEvaluator:
    name = "grading"

    def __init__(self, grader, rows: list[dict] | None = None, *, name: str = "grading", baseline_dev: list[dict] | None = None,
                 repeat: bool = True):
        self.grader = grader
        self.repeat = repeat  # grade every answer twice to measure determinism
        self.rows = rows if rows is not None else load_jsonl(GRADED_ANSWERS)
        self.name = name
        # the cosine baseline's linear map is fit on the team's DEV answers (never on a test set)
        self.baseline_dev = baseline_dev

    def _grade(self, r: dict):
        """As `coach grade` would: an explicit reference when the row has one, else the record id
        (``source:line``) when the row has one, else the index finds the question."""
        qid = r.get("question_id") or ""
        return self.grader.grade(r["question"], r["answer"], question_id=qid if ":" in qid and not r.get("reference") else None,
                                 reference=r.get("reference"))

    def __call__(self, *, split: str = "test", limit: int | None = None) -> EvalResult:
        rows = select_split(self.rows, split)[:limit]
        dev = self.baseline_dev if self.baseline_dev is not None else select_split(self.rows, "dev")
        base_dev = cosine_baseline(self.grader, dev)
        pairs = [(b, r["score"]) for b, r in zip(base_dev, dev) if b is not None]
        a, b0 = M.fit_linear([p[0] for p in pairs], [p[1] for p in pairs])
        base_raw = cosine_baseline(self.grader, rows)

        details, failures, nondeterministic = [], 0, 0
        for r, braw in zip(rows, base_raw):
            row = {k: r.get(k) for k in ("id", "question_id", "question", "tier", "score", "styles", "source_wrong")}
            row["styles"] = list(row.get("styles") or []) + (["source_wrong_parrot"] if "parrots_source_error" in (row.get("styles") or []) else [])
            try:
                g1 = self._grade(r)
                g2 = self._grade(r) if self.repeat else g1
                row.update(pred=g1.score, verdict=g1.verdict, steps={s.name: s.value for s in g1.steps},
                           n_wrong=len(g1.wrong), n_right=len(g1.right),
                           n_unconfirmed=len(g1.unconfirmed))
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
            "baseline_spearman": M.spearman(base, gold),
            "baseline_pearson": M.pearson(base, gold),
            "baseline_qwk": M.quadratic_kappa(base, gold),
            "baseline_mae": M.mae(base, gold),
        }
        if self.repeat:  # graded once (repeat=False): nothing was measured, so no figure
            out["determinism"] = 1.0 - nondeterministic / max(1, len(details))
        wrong = [d for d in details if d["tier"] == "wrong"]
        out["wrong_called_correct"] = sum(d["verdict"] == "correct" for d in wrong) / max(1, len(wrong))
        by_tier = defaultdict(list)
        base_tier = defaultdict(list)
        for d in details:
            by_tier[d["tier"]].append(d["pred"])
            base_tier[d["tier"]].append(d["baseline"])
        for t in TIERS:
            out[f"mean_pred_{t}"] = float(np.mean(by_tier[t])) if by_tier[t] else float("nan")
            out[f"baseline_mean_{t}"] = float(np.mean(base_tier[t])) if base_tier[t] else float("nan")
            # share of answers whose feedback lists something under "what is wrong": hits on wrong
            # answers, false alarms on excellent and good ones
            shown = [d.get("n_wrong", 0) > 0 for d in details if d["tier"] == t]
            out[f"shown_wrong_{t}"] = float(np.mean(shown)) if shown else float("nan")
            # share whose feedback lists a key point under "what you got right" (on wrong answers mostly
            # a credit for a claim stated backwards)
            right = [d.get("n_right", 0) > 0 for d in details if d["tier"] == t]
            out[f"shown_right_{t}"] = float(np.mean(right)) if right else float("nan")
            # ...and what it would have been without the credit gate (Calibration.credit_score_min)
            credited = [d.get("n_right", 0) + d.get("n_unconfirmed", 0) > 0 for d in details if d["tier"] == t]
            out[f"shown_right_without_credit_gate_{t}"] = float(np.mean(credited)) if credited else float("nan")
        for style in ("source_wrong_correct", "source_wrong_parrot", "reuses_reference_words", "concept_swap", "paraphrase", "injection"):
            vals = [d["pred"] for d in details if style in (d.get("styles") or [])]
            if vals:
                out[f"mean_pred_{style}"] = float(np.mean(vals))
        out.update(intervals(details, pred, gold, base))
        # the same figures without the questions the answer scorer was trained on
        shared, unseen = without_trained_questions([d.get("question") for d in details], gold, spearman=pred,
                                                   baseline_spearman=base)
        out["scorer_trained_questions_n"] = float(shared)
        out.update(unseen)
        out["confusion"] = M.confusion(verdicts, gold_verdicts)  # type: ignore[assignment]
        return EvalResult(self.name, out, "spearman", n=len(details), failures=failures, details=details)


def intervals(details: list[dict], pred: list[float], gold: list[float], base: list[float]) -> dict:
    """95% intervals (``<figure>_ci95``: [lo, hi]) of the figures the grading targets are stated in, with
    whole questions resampled (``metrics.cluster_bootstrap``): how far a figure could move on another draw
    of questions like these. The ``*_minus_baseline`` ones are paired (grader and cosine on the same
    resample): above 0 at both ends means the grader beats cosine on more than this draw of questions."""
    clusters = [d.get("question_id") or d.get("question") or d.get("id") for d in details]

    def on(f, xs):
        return lambda idx: f([xs[i] for i in idx], [gold[i] for i in idx])

    def tier_mean(tier):
        def stat(idx):
            vals = [pred[i] for i in idx if details[i]["tier"] == tier]
            return float(np.mean(vals)) if vals else None
        return stat

    def called_correct(idx):
        wrong = [details[i]["verdict"] == "correct" for i in idx if details[i]["tier"] == "wrong"]
        return float(np.mean(wrong)) if wrong else None

    def gap(f):
        return lambda idx: on(f, pred)(idx) - on(f, base)(idx)

    stats = {"spearman": on(M.spearman, pred), "pearson": on(M.pearson, pred),
             "spearman_minus_baseline": gap(M.spearman), "pearson_minus_baseline": gap(M.pearson),
             "mean_pred_excellent": tier_mean("excellent"), "mean_pred_wrong": tier_mean("wrong"),
             "wrong_called_correct": called_correct}
    return {f"{k}_ci95": M.cluster_bootstrap(clusters, stat) for k, stat in stats.items()}


ADVERSARIAL = DATA_DIR / "adversarial.jsonl"


def adversarial_metrics(grader, rows: list[dict] | None = None, clean_rows: list[dict] | None = None) -> dict:
    """Injection and keyword-stuffing answers against their clean versions (targets: no increase),
    and how often a CLEAN answer is treated as an injection (target 0)."""
    rows = rows if rows is not None else (load_jsonl(ADVERSARIAL) if ADVERSARIAL.exists() else [])
    # clean answers: the test split's genuine attempts (excellent, good, partial). The off-topic and wrong
    # tiers include answers the helper wrote AS grader injections; flagging those is right, not false
    clean_rows = clean_rows if clean_rows is not None else [
        r for r in select_split(load_jsonl(GRADED_ANSWERS), "test") if r["tier"] in ("excellent", "good", "partial")]
    cache: dict[tuple, object] = {}

    def grade(q, a, qid):
        if (qid, a) not in cache:
            cache[(qid, a)] = grader.grade(q, a, question_id=qid)
        return cache[(qid, a)]

    deltas = defaultdict(list)
    flips = 0
    for r in rows:
        c, a = grade(r["question"], r["clean"], r["question_id"]), grade(r["question"], r["answer"], r["question_id"])
        deltas[r["kind"]].append(a.score - c.score)
        flips += (c.verdict != "correct" and a.verdict == "correct")
    false_injection = sum(
        any("Instructions addressed to the grader" in n for n in grade(r["question"], r["answer"], r["question_id"]).notes)
        for r in clean_rows
    )
    out = {
        "adversarial_rows": float(len(rows)),
        "adversarial_max_increase": max([d for v in deltas.values() for d in v], default=0.0),
        "adversarial_raised": float(sum(d > 0.05 for v in deltas.values() for d in v)),
        "adversarial_verdict_flips_to_correct": float(flips),
        "false_injection_rate": false_injection / max(1, len(clean_rows)),
    }
    for kind, v in sorted(deltas.items()):
        out[f"adversarial_max_increase_{kind}"] = max(v)
    return out
