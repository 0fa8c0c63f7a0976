"""The answer scorer on its own (``coach eval scorer``): its predicted grade against expert grades,
beside the plain cosine baseline, on every graded set.

- ``scorer_<split>``: the held-out questions of the scorer's own training data (``coach/judge/data/
  graded``, split by question; written by the same helpers as its training questions);
- ``bundled``: the team's graded answers to the bundled questions (``--split``), each against its
  rubric's model answer;
- ``other_subject`` and ``new_sources``: the two test-only sets (networking, never in the scorer's
  data; four documents nobody had seen), against their explicit reference / the record's answer.
None of the evaluation sets' answers, references or grades are in the scorer's training data.
"""

from __future__ import annotations

import numpy as np

from evals import metrics as M
from evals.base import EvalResult, load_jsonl, select_split, without_trained_questions

TIERS = ("excellent", "good", "partial", "wrong", "off_topic")


def _rows_with_reference(grader, rows: list[dict]) -> list[tuple[dict, str]]:
    out = []
    for r in rows:
        if not str(r.get("answer", "")).strip():
            continue
        qid = r.get("question_id") or ""
        try:
            rubric = grader.resolve(r["question"], qid if ":" in qid and not r.get("reference") else None, r.get("reference"))
        except Exception:  # counted below as the rows that could not be measured
            continue
        out.append((r, rubric.model_answer))
    return out


def measure(scorer, grader, rows: list[dict]) -> dict:
    """Spearman / Pearson of the scorer (x10) and of the raw cosine vs the expert score, mean per tier."""
    pairs = _rows_with_reference(grader, rows)
    if len(pairs) < 3:
        return {"n": float(len(pairs))}
    pred = scorer.scores([(r["question"], ref, r["answer"]) for r, ref in pairs]) * 10
    cos = []
    for r, ref in pairs:
        v = grader.vecs([r["answer"], ref])
        cos.append(float(v[0] @ v[1]))
    gold = [float(r["score"]) for r, _ in pairs]
    out = {"n": float(len(pairs)), "unmeasured": float(len(rows) - len(pairs)),
           "spearman": M.spearman(list(pred), gold), "pearson": M.pearson(list(pred), gold),
           "cosine_spearman": M.spearman(cos, gold), "cosine_pearson": M.pearson(cos, gold)}
    for t in TIERS:
        vals = [p for p, (r, _) in zip(pred, pairs) if r.get("tier") == t]
        if vals:
            out[f"mean_{t}"] = float(np.mean(vals))
    # without the questions the scorer was trained on (a shared question text: not blind for it)
    out.update(without_trained_questions([r["question"] for r, _ in pairs], gold, spearman=list(pred),
                                         cosine_spearman=cos)[1])
    return out


def held_out_triples(rows: list[dict], split: str) -> list:
    """The scorer's own graded answers held out from its training, for ``--split``: "dev", "test", or
    "all" = both (never its training questions, which it has seen; "all" read the test split alone)."""
    from coach.judge.scorer_train import graded_triples

    by_split = graded_triples(rows)
    if split == "all":
        return by_split["dev"] + by_split["test"]
    return by_split["dev" if split == "dev" else "test"]


def evaluate_scorer(coach, split: str = "test", limit: int | None = None) -> EvalResult:
    from coach.errors import CoachError
    from coach.judge.scorer_train import evaluate, load_graded
    from evals.grading import GRADED_ANSWERS
    from evals.judge import NEW_SOURCE_ANSWERS, OTHER_SUBJECT
    from evals.new_sources import coach_with_new_sources

    scorer = coach.scorer
    if scorer is None:
        raise CoachError("no answer scorer: run `coach judge train-scorer` or unset COACH_ANSWER_SCORER")
    metrics: dict[str, float] = {}
    # its own held-out questions, beside the cosine baseline (each answer vs its question's reference)
    rows, _ = load_graded()
    held = held_out_triples(rows, split)[:limit]
    if held:
        pred = scorer.scores_inputs([(t.premise, t.hypothesis) for t in held])
        own = evaluate(pred, held)
        metrics.update({f"scorer_{split}_{k}": float(v) for k, v in own.items()})
        cos = [float(v[0] @ v[1]) for v in (coach.grader.vecs([t.hypothesis, t.reference]) for t in held)]
        gold = [t.target * 10 for t in held]
        metrics.update({f"scorer_{split}_cosine_spearman": M.spearman(cos, gold),
                        f"scorer_{split}_cosine_pearson": M.pearson(cos, gold)})
    sets = [("bundled", coach.grader, select_split(load_jsonl(GRADED_ANSWERS), split)[:limit])]
    if OTHER_SUBJECT.exists():
        sets.append(("other_subject", coach.grader, load_jsonl(OTHER_SUBJECT)[:limit]))
    if NEW_SOURCE_ANSWERS.exists():
        sets.append(("new_sources", coach_with_new_sources(coach.settings).grader, load_jsonl(NEW_SOURCE_ANSWERS)[:limit]))
    n = 0
    for name, grader, set_rows in sets:
        m = measure(scorer, grader, set_rows)
        n += int(m.get("n", 0))
        metrics.update({f"{name}_{k}": v for k, v in m.items()})
    return EvalResult("scorer", metrics, "bundled_spearman" if "bundled_spearman" in metrics else "bundled_n", n=n)
