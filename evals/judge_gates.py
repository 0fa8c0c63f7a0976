"""Dev-only figures for a candidate judge, the ones a retraining rule gates on (README, "A sentence about
something else proves nothing").

``python -m evals.judge_gates [--judge DIR]`` (default: the shipped judge; DIR as ``COACH_JUDGE_MODEL``) prints
one JSON object:

- ``pairs``: accuracy on the judge's dev pair kinds (``dev`` synthetic, ``unrelated_dev``, ``true_dev`` and
  ``graded_dev``, ``graded4_dev`` and ``graded5_dev``'s "not a contradiction" pairs counted right unless called contradiction, ``close_dev``);
- ``content_free``: for a few premises that say nothing about them, the share of the bundled rubrics' key points
  the judge entails at p >= 0.5 (none of them is in the judge's training data);
- ``grading``: on the bundled dev answers graded against their source's reference (drafted rubrics) and on the
  answer scorer's dev questions, the grader's judge features (``judge_support``, ``judge_wrong``): their mean per
  tier and the AUC of good and excellent answers against wrong ones (support should separate them upwards).

Dev splits only: no test set is read. ``coach eval calibrate --draft --dry-run`` gives the grading objective
beside it (the same judge through ``COACH_JUDGE_MODEL``).
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

CONTENT_FREE = ("The sky is blue.", ".", "I like pizza.", "Python is a programming language.", "The meeting is on Tuesday.")
GOOD = ("excellent", "good")


def tier_auc(values, tiers, positive=GOOD, negative=("wrong",)) -> float | None:
    """AUC of ``values`` for telling ``positive`` tiers (label 1) from ``negative`` ones (label 0), ties a half
    (``coach.judge.evaluate.auc``); None when either side is empty."""
    from coach.judge.evaluate import auc

    pos = [float(v) for v, t in zip(values, tiers) if t in positive]
    neg = [float(v) for v, t in zip(values, tiers) if t in negative]
    return auc(pos, neg) if pos and neg else None


def tier_means(values, tiers) -> dict[str, float]:
    out: dict[str, list[float]] = {}
    for v, t in zip(values, tiers):
        out.setdefault(t, []).append(float(v))
    return {t: round(float(np.mean(vs)), 3) for t, vs in sorted(out.items())}


def pair_accuracy(judge, pairs) -> float:
    from coach.judge.train import accuracy

    return accuracy(judge.scores([(p.premise, p.hypothesis) for p in pairs]), pairs)


def bundled_key_points() -> list[str]:
    from coach.grading.rubrics import RubricBank

    return [kp.text for r in RubricBank.load(warn=False).by_id.values() for kp in r.key_points]


def judge_figures(judge) -> dict:
    from coach.judge.data import build_pairs, load_records
    from coach.judge.model import ENTAILMENT

    splits = build_pairs(load_records()[0])
    pairs = {name: round(pair_accuracy(judge, splits[name]), 4)
             for name in ("dev", "unrelated_dev", "true_dev", "graded_dev", "graded4_dev", "graded5_dev", "close_dev") if splits.get(name)}
    kps = bundled_key_points()
    free = {}
    for premise in CONTENT_FREE:
        e = judge.scores([(premise, k) for k in kps])[:, ENTAILMENT]
        free[premise] = round(float(np.mean(e >= 0.5)), 3)
    return {"pairs": pairs, "content_free": free, "key_points": len(kps)}


def grading_figures(grader) -> dict:
    from evals.base import load_jsonl, select_split
    from evals.calibrate import collect, scorer_dev_rows, with_references
    from evals.grading import GRADED_ANSWERS

    sets = {"bundled_dev_drafted": with_references(grader, select_split(load_jsonl(GRADED_ANSWERS), "dev")),
            "scorer_dev": scorer_dev_rows()}
    out = {}
    for name, rows in sets.items():
        kept = [(f, r["tier"]) for f, r in zip(collect(grader, rows), rows) if f is not None]
        tiers = [t for _, t in kept]
        out[name] = {"answers": len(kept)}
        for feature in ("judge_support", "judge_wrong"):
            vals = [f.get(feature, 0.0) for f, _ in kept]
            auc = tier_auc(vals, tiers)
            out[name][feature] = {"auc_good_vs_wrong": None if auc is None else round(auc, 3), "mean_by_tier": tier_means(vals, tiers)}
    return out


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m evals.judge_gates", description=__doc__.split("\n\n")[0])
    ap.add_argument("--judge", help="a judge model folder (default: the shipped judge, or COACH_JUDGE_MODEL)")
    args = ap.parse_args(argv)
    if args.judge:
        if not os.path.isfile(os.path.join(args.judge, "config.json")):
            ap.error(f"--judge {args.judge!r}: not a model folder with a config.json")
        os.environ["COACH_JUDGE_MODEL"] = os.path.abspath(args.judge)
    from coach.config import load_settings
    from coach.judge import load_judge
    from coach.service import Coach

    settings = load_settings()
    coach = Coach(settings)
    coach.ensure_index()
    report = {"judge": os.environ.get("COACH_JUDGE_MODEL", "shipped"), **judge_figures(load_judge(settings)),
              "grading": grading_figures(coach.grader)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
