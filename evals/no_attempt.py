"""How well "no attempt" is told from an attempt, on blind helper-written sets (``data/no_attempt/``, datasheet
``data/README_no_attempt.md``): the shipped decision (the text rule ``coach.grading.attempt.is_no_attempt``
OR the learned reading ``coach.grading.attempt_model``, as the grader makes it), beside the rule alone (the
previous version) and the first version's rule (the whole answer tiled with known "don't know" phrases).

``dev.jsonl`` - ``dev4.jsonl`` tuned the rule and train the model (``--split dev``: tuning figures; dev3 and dev4
were test sets until the twenty-fifth session); ``test.jsonl`` is test-only, written by a fifth writer blind to
everything else, and measured once for the shipped model."""

from __future__ import annotations

from evals.base import DATA_DIR, load_jsonl

NO_ATTEMPT_DIR = DATA_DIR / "no_attempt"
TEST_SETS = {"": "test.jsonl"}  # key prefix -> file
DEV_SETS = ("dev.jsonl", "dev2.jsonl", "dev3.jsonl", "dev4.jsonl")


def _rates(pred: list[bool], gold: list[bool]) -> tuple[float, float]:
    """(recall of the no-attempt answers, share of the attempts called no attempt)."""
    pos = [p for p, g in zip(pred, gold) if g]
    neg = [p for p, g in zip(pred, gold) if not g]
    return sum(pos) / max(1, len(pos)), sum(neg) / max(1, len(neg))


def decide(grader):
    """(answer, question) -> bool, as ``grader`` screens an answer (its no-attempt model, if it has one)."""
    from coach.grading.attempt import is_no_attempt

    model = getattr(grader, "attempt_model", None)

    def no_attempt(answer: str, question: str) -> bool:
        if is_no_attempt(answer, question):
            return True
        reading = model.reading(answer, grader._embed) if model is not None else None
        return reading is not None and reading >= model.threshold

    return no_attempt


def _metrics(rows: list[dict], grader, prefix: str) -> dict:
    from coach.grading.attempt import first_version, is_no_attempt

    gold = [r["label"] == "no_attempt" for r in rows]
    shipped = decide(grader)
    recall, false_rate = _rates([shipped(r["answer"], r["question"]) for r in rows], gold)
    rule_recall, rule_false = _rates([is_no_attempt(r["answer"], r["question"]) for r in rows], gold)
    base_recall, base_false = _rates([first_version(r["answer"]) for r in rows], gold)
    k = f"no_attempt_{prefix}"
    return {f"{k}n": float(len(rows)), f"{k}recall": recall, f"{k}false_rate": false_rate,
            f"{k}rule_recall": rule_recall, f"{k}rule_false_rate": rule_false,
            f"{k}baseline_recall": base_recall, f"{k}baseline_false_rate": base_false}


def no_attempt_metrics(split: str = "test", grader=None) -> dict:
    """``no_attempt_*`` metrics on ``test.jsonl``, or on the tuning sets dev - dev4 with ``split="dev"``.
    The shipped decision is measured without the grade's gate (the sets have no references to grade against). ``grader``: whose decision is measured (None: the
    text rule alone). {} for a set whose file is missing."""
    if split == "dev":
        paths = [NO_ATTEMPT_DIR / name for name in DEV_SETS]
        if not all(p.exists() for p in paths):
            return {}
        return _metrics([r for p in paths for r in load_jsonl(p)], grader, "")
    out = {}
    for prefix, name in TEST_SETS.items():
        if (NO_ATTEMPT_DIR / name).exists():
            out.update(_metrics(load_jsonl(NO_ATTEMPT_DIR / name), grader, prefix))
    return out
