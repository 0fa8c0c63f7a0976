"""A blind check of what the grader credits (the credit gate, ``Calibration.credit_score_min``).

``python -m evals.credit_check sample OUT.jsonl``: grade the two test-only sets (other subject, new
sources) as `coach eval grading` does, and draw 60 credited (shown) and 60 hidden (key point, answer)
pairs (seed 13), shuffled, without saying which is which: what a blind labeller gets.
``python -m evals.credit_check summary``: the figures of the labelled sample kept in
``data/credit_check/labelled_credits.jsonl`` (datasheet: ``data/credit_check/README.md``).
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter

from evals.base import DATA_DIR, load_jsonl

LABELLED = DATA_DIR / "credit_check" / "labelled_credits.jsonl"
LABELS = ("yes", "partly", "no", "contradicts")


def sample(out_path: str, n: int = 60, seed: int = 13) -> None:
    from coach.config import load_settings
    from coach.service import Coach
    from evals.grading import GradingEvaluator
    from evals.judge import NEW_SOURCE_ANSWERS, OTHER_SUBJECT
    from evals.new_sources import coach_with_new_sources

    coach = Coach(load_settings())
    coach.ensure_index()
    hidden, shown = [], []
    for name, grader, rows in (("other_subject", coach.grader, load_jsonl(OTHER_SUBJECT)),
                               ("new_sources", coach_with_new_sources(coach.settings).grader, load_jsonl(NEW_SOURCE_ANSWERS))):
        ev = GradingEvaluator(grader, rows=rows, name=name)
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


if __name__ == "__main__":
    if sys.argv[1:2] == ["sample"] and len(sys.argv) == 3:
        sample(sys.argv[2])
    elif sys.argv[1:] == ["summary"]:
        print(json.dumps(summary(), indent=2))
    else:
        sys.exit("usage: python -m evals.credit_check sample OUT.jsonl | summary")
