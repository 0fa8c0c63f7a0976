"""Follow-up answers graded as the session grades them (experiment 77, README).

A follow-up asks for one gap of a graded answer: the correction of the candidate's wrong sentence, or one missing key
point (``coach.questions.followup_for``), and its answer is graded against that gap alone
(``SessionEngine.answer``: ``Coach.grade_followup``). Items: one missing-point follow-up per
bundled reviewed question of the graded set, and one correction follow-up where its rubric has a misconception that
is not a source error; two helpers, blind to the code, the grader and each other, wrote five answers per item
(own words, brief, partial, wrong reusing the target's words, off topic or "I don't know") and graded each 0-10.

``python -m evals.followups dev``: the dev items (the graded set's dev questions; tuning data, ``evals/tuning``).
``python -m evals.followups test``: the test items (its test questions; ``evals/data/followups``, test-only: read
once per change, after its dev gate). Datasheet: ``evals/data/followups/README.md``.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

from evals.base import DATA_DIR, load_jsonl
from evals.metrics import pearson, spearman

FOLDERS = {"dev": DATA_DIR.parent / "tuning" / "followups", "test": DATA_DIR / "followups"}
TIERS = ("own_words", "brief", "partial", "wrong", "off")


def load(split: str) -> list[dict]:
    """The split's answers, each with its item's question, kind and target."""
    folder = FOLDERS[split]
    items = {r["item"]: r for r in load_jsonl(folder / "items.jsonl")}
    return [{**a, **{k: items[a["item"]][k] for k in ("question", "followup", "kind", "target")}}
            for a in load_jsonl(folder / "answers.jsonl")]


def figures(rows: list[dict], scores: list[float], verdicts: list[str]) -> dict:
    gold = [float(r["score"]) for r in rows]
    tiers = defaultdict(list)
    for r, s in zip(rows, scores):
        tiers[r["tier"]].append(s)
    return {
        "n": len(rows),
        "spearman": round(spearman(scores, gold), 4),
        "pearson": round(pearson(scores, gold), 4),
        **{f"mean_{t}": round(sum(tiers[t]) / len(tiers[t]), 2) for t in TIERS if tiers[t]},
        # answers the expert graded 3 or less that the grader calls "correct"
        "low_called_correct": sum(g <= 3 and v == "correct" for g, v in zip(gold, verdicts)),
        "high_called_correct": f"{sum(g >= 8 and v == 'correct' for g, v in zip(gold, verdicts))}/"
                               f"{sum(g >= 8 for g in gold)}",
    }


def run(split: str) -> dict:
    from coach.config import load_settings
    from coach.questions import said_in_followup
    from coach.service import Coach
    from evals.grading import cosine_baseline

    rows = load(split)
    coach = Coach(load_settings())
    coach.ensure_index()
    # every correction item quotes a rubric's known misconception (the items are made so)
    grades = [coach.grade_followup(r["question"], r["answer"], r["target"], known_wrong=said_in_followup(r["followup"]))
              for r in rows]
    cosine = cosine_baseline(coach.grader, [{"answer": r["answer"], "reference": r["target"]} for r in rows])
    gold = [float(r["score"]) for r in rows]
    return {"split": split, "grader": figures(rows, [g.score for g in grades], [g.verdict for g in grades]),
            "cosine_baseline": {"spearman": round(spearman(cosine, gold), 4), "pearson": round(pearson(cosine, gold), 4)}}


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in FOLDERS:
        sys.exit("usage: python -m evals.followups dev|test")
    print(json.dumps(run(sys.argv[1]), indent=2))
