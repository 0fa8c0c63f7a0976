"""How well "no attempt" is told from an attempt (``coach.grading.attempt.is_no_attempt``), beside the
first version's rule (the whole answer tiled with known "don't know" phrases and fillers), on three blind
helper-written sets (``data/no_attempt/``, datasheet ``data/README_no_attempt.md``): ``dev.jsonl`` and
``dev2.jsonl`` (the rule was tuned on both: ``dev``) and ``test.jsonl`` (other subjects, measured once, never
tuned on)."""

from __future__ import annotations

from evals.base import DATA_DIR, load_jsonl

NO_ATTEMPT_DIR = DATA_DIR / "no_attempt"


def _rates(pred: list[bool], gold: list[bool]) -> tuple[float, float]:
    """(recall of the no-attempt answers, share of the attempts called no attempt)."""
    pos = [p for p, g in zip(pred, gold) if g]
    neg = [p for p, g in zip(pred, gold) if not g]
    return sum(pos) / max(1, len(pos)), sum(neg) / max(1, len(neg))


def no_attempt_metrics(split: str = "test") -> dict:
    """``no_attempt_*`` metrics on the split's set (``test`` for "all"); {} when the file is missing."""
    from coach.grading.attempt import first_version, is_no_attempt

    paths = [NO_ATTEMPT_DIR / name for name in (("dev.jsonl", "dev2.jsonl") if split == "dev" else ("test.jsonl",))]
    if not all(p.exists() for p in paths):
        return {}
    rows = [r for p in paths for r in load_jsonl(p)]
    gold = [r["label"] == "no_attempt" for r in rows]
    recall, false_rate = _rates([is_no_attempt(r["answer"], r["question"]) for r in rows], gold)
    base_recall, base_false = _rates([first_version(r["answer"]) for r in rows], gold)
    return {"no_attempt_n": float(len(rows)), "no_attempt_recall": recall, "no_attempt_false_rate": false_rate,
            "no_attempt_baseline_recall": base_recall, "no_attempt_baseline_false_rate": base_false}
