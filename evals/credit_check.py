"""A blind check of what the grader credits (the credit gate, ``Calibration.credit_score_min``).

``python -m evals.credit_check sample OUT.jsonl``: grade the two test-only sets (other subject, new
sources) as `coach eval grading` does, and draw 60 credited (shown) and 60 hidden (key point, answer)
pairs (seed 13), shuffled, without saying which is which: what a blind labeller gets.
``python -m evals.credit_check summary``: the figures of the labelled sample kept in
``data/credit_check/labelled_credits.jsonl`` (datasheet: ``data/credit_check/README.md``).
``python -m evals.credit_check dev``: regrade the DEV credits labelled blind (``evals/tuning/credit_check/dev_labelled.jsonl``, the data the
credit check ``Grader._confirm_credits`` was chosen on) and print the weighted precision and recall of what is shown now.
``python -m evals.credit_check test``: regrade the test pairs of ``labelled_credits.jsonl`` and print the precision of
the credits shown now (a test read: not for choosing anything).
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter

from evals.base import DATA_DIR, load_jsonl, select_split

LABELLED = DATA_DIR / "credit_check" / "labelled_credits.jsonl"
# tuning data, kept out of evals/data: its answers are the answer scorer's dev questions (coach/judge/data/graded),
# which the data guards keep apart from every evaluation file (tests/test_scorer.py)
DEV_LABELLED = DATA_DIR.parent / "tuning" / "credit_check" / "dev_labelled.jsonl"
LABELS = ("yes", "partly", "no", "contradicts")


def unseen_sets() -> dict:
    """The two test-only grading sets, each as (its evaluator, its rows), graded as `coach eval grading` grades them."""
    from coach.config import load_settings
    from coach.service import Coach
    from evals.grading import GradingEvaluator
    from evals.judge import NEW_SOURCE_ANSWERS, OTHER_SUBJECT
    from evals.new_sources import coach_with_new_sources

    coach = Coach(load_settings())
    coach.ensure_index()
    sets = {"other_subject": (coach.grader, load_jsonl(OTHER_SUBJECT)),
            "new_sources": (coach_with_new_sources(coach.settings).grader, load_jsonl(NEW_SOURCE_ANSWERS))}
    return {name: (GradingEvaluator(grader, rows=rows, name=name), rows) for name, (grader, rows) in sets.items()}


def sample(out_path: str, n: int = 60, seed: int = 13) -> None:
    hidden, shown = [], []
    for name, (ev, rows) in unseen_sets().items():
        for r in rows:
            g = ev._grade(r)
            hidden += [(name, r, k) for k in g.unconfirmed]
            shown += [(name, r, k) for k in g.right]
    rnd = random.Random(seed)
    items = [("hidden", *x) for x in rnd.sample(hidden, min(n, len(hidden)))]
    items += [("shown", *x) for x in rnd.sample(shown, min(n, len(shown)))]
    rnd.shuffle(items)
    with open(out_path, "w", encoding="utf-8") as f:
        for i, (credit, name, r, k) in enumerate(items):
            f.write(json.dumps({"item": f"c{i:03d}", "question": r["question"], "key_point": k, "answer": r["answer"],
                                "credit": credit, "set": name, "answer_id": r.get("id"), "tier": r["tier"]},
                               ensure_ascii=False) + "\n")


def summary(rows: list[dict] | None = None) -> dict:
    """Per credit kind (shown / hidden): how many pairs, the share per label, and the share of correct
    credits (the answer states the key point: yes or partly)."""
    rows = rows if rows is not None else load_jsonl(LABELLED)
    out = {}
    for credit in ("shown", "hidden"):
        labels = Counter(r["label"] for r in rows if r["credit"] == credit)
        n = sum(labels.values())
        out[credit] = {"n": n, **{lab: labels[lab] / max(1, n) for lab in LABELS},
                       "stated": (labels["yes"] + labels["partly"]) / max(1, n)}
    return out


def stated(label: str) -> bool:
    """A correct credit: the answer states the key point (in full or a substantial part of it)."""
    return label in ("yes", "partly")


def shown_now(pairs: list[dict], grade_row) -> list[bool]:
    """Whether each labelled (answer, key point) pair is under "What you got right" now; ``grade_row(pair)`` grades
    the pair's answer (each answer graded once)."""
    grades = {}
    out = []
    for p in pairs:
        key = (p["set"], p["answer_id"])
        if key not in grades:
            grades[key] = grade_row(p)
        out.append(p["key_point"] in grades[key].right)
    return out


def dev_figures() -> dict:
    """The DEV credits' weighted precision (correct credits among those shown) and recall (of the correct credits
    shown when the sample was drawn, those still shown), graded as ``coach eval calibrate --draft`` grades them."""
    from coach.config import load_settings
    from coach.service import Coach
    from evals.calibrate import scorer_dev_rows, with_references
    from evals.grading import GRADED_ANSWERS, GradingEvaluator

    grader = Coach(load_settings()).grader
    rows = {r["id"]: r for r in scorer_dev_rows() + with_references(grader, select_split(load_jsonl(GRADED_ANSWERS), "dev"))}
    ev = GradingEvaluator(grader, rows=[], name="credit_check_dev")
    pairs = load_jsonl(DEV_LABELLED)
    # every row has its reference: graded against it, as the fit grades it
    shown = shown_now(pairs, lambda p: ev._grade(rows[p["answer_id"]]))
    w = [p["weight"] for p in pairs]
    good = [stated(p["label"]) for p in pairs]
    kept = sum(wi for wi, g, s in zip(w, good, shown) if g and s)
    return {"pairs": len(pairs), "shown": sum(shown),
            "precision": kept / max(1e-9, sum(wi for wi, s in zip(w, shown) if s)),
            "recall": kept / max(1e-9, sum(wi for wi, g in zip(w, good) if g)),
            "precision_when_drawn": sum(wi for wi, g in zip(w, good) if g) / sum(w)}


def test_figures() -> dict:
    """The test pairs' precision of the credits shown now (correct among shown), and how many are contradicted."""
    sets = {name: (ev, {r["id"]: r for r in rows}) for name, (ev, rows) in unseen_sets().items()}
    pairs = load_jsonl(LABELLED)

    def grade(p):
        ev, rows = sets[p["set"]]
        return ev._grade(rows[p["answer_id"]])

    shown = [p for p, s in zip(pairs, shown_now(pairs, grade)) if s]
    return {"pairs": len(pairs), "shown": len(shown), "correct": sum(stated(p["label"]) for p in shown),
            "precision": sum(stated(p["label"]) for p in shown) / max(1, len(shown)),
            "contradicted": sum(p["label"] == "contradicts" for p in shown)}


if __name__ == "__main__":
    if sys.argv[1:2] == ["sample"] and len(sys.argv) == 3:
        sample(sys.argv[2])
    elif sys.argv[1:] == ["summary"]:
        print(json.dumps(summary(), indent=2))
    elif sys.argv[1:] == ["dev"]:
        print(json.dumps(dev_figures(), indent=2))
    elif sys.argv[1:] == ["test"]:
        print(json.dumps(test_figures(), indent=2))
    else:
        sys.exit("usage: python -m evals.credit_check sample OUT.jsonl | summary | dev | test")
