"""The calibrated, deterministic combiner: named signal values -> a 0-10 score and a verdict.

A linear model over the signal features (sign-constrained least squares fit on the DEV split of the
team's labelled answers by ``evals/calibrate.py``, never on the test split: more coverage or
relevance can never lower a score, a stated misconception can never raise it), an optional
monotone stretch onto the expert scale, then two explainable caps: a stated misconception caps the score, and an off-topic answer (low relevance) caps it lower.
The fitted numbers live in ``calibration.json`` next to this file, with what they were fit on.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

CALIBRATION_PATH = Path(__file__).resolve().parent / "calibration.json"  # grading without the judge
JUDGE_CALIBRATION_PATH = Path(__file__).resolve().parent / "calibration_judge.json"  # with the judge's step "claims"


def calibration_path(with_judge: bool, draft: bool = False, scorer: bool = False) -> Path:
    """Each grading mode has its own fit: the judge's features are 0 when it is off, so weights fitted
    with them would misgrade without them. ``draft``: the fit for rubrics drafted from a reference
    (new sources, an explicit ``reference``), whose key points carry no hand-written term groups, so
    the same signals mean something else (``calibration_draft.json``, ``calibration_judge_draft.json``).
    ``scorer``: the fit that also weighs the answer scorer (``..._scorer.json``); without that file the
    grader uses the mode's plain fit, which gives the scorer no weight."""
    path = JUDGE_CALIBRATION_PATH if with_judge else CALIBRATION_PATH
    path = path.with_name(path.stem + "_draft.json") if draft else path
    return path.with_name(path.stem + "_scorer.json") if scorer else path


def load_for_mode(with_judge: bool, draft: bool, scorer: bool, fallback: Path | None = None) -> "Calibration":
    """The calibration of a grading mode: the scorer's fit when the scorer runs and one exists, else the
    plain fit of the mode, else ``fallback`` (when given), else the hand-set defaults."""
    for path in ([calibration_path(with_judge, draft, True)] if scorer else []) + [calibration_path(with_judge, draft)]:
        if path.exists():
            return Calibration.load(path)
    return Calibration.load(fallback) if fallback is not None else Calibration()


FEATURES = (
    "coverage",
    "coverage_terms",
    "coverage_semantic",
    "rel_ma",
    "misconception",
    "cov_x_nomisc",  # coverage * (1 - misconception): a covered answer that also states an error
    "on_point",
    "length",
    "judge_coverage",  # share of key points the answer entails (coach/grading/evidence.py)
    "judge_support",  # mean over reference sentences of the best support a claim gets from it
    "judge_wrong",  # the judge's confidence that some claim contradicts the reference
    "answer_score",  # the answer scorer's expected grade / 10 (coach/judge/scorer.py), 0 when it is off
    "answer_score_points",  # its mean reading against each key point alone (reviewed rubrics; 0 for drafted or off)
)


def feature_vector(features: dict[str, float]) -> np.ndarray:
    f = dict(features)
    f["cov_x_nomisc"] = f.get("coverage", 0.0) * (1.0 - f.get("misconception", 0.0))
    return np.array([f.get(name, 0.0) for name in FEATURES], dtype=np.float64)


@dataclass
class Calibration:
    weights: list[float] = field(default_factory=lambda: [4.0, 2.0, 1.0, 3.0, -2.0, 3.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0])
    intercept: float = -1.5
    misc_cap: float = 4.0  # a stated misconception (strength >= misc_min) caps the score here
    misc_min: float = 0.5
    wrong_cap: float = 10.0  # a claim the judge finds contradicting the reference caps the score here
    wrong_min: float = 0.5  # ...when the judge's confidence reaches this
    # The judge's contradictions count (cap the score, are listed under "what is wrong") only in an
    # answer whose overall support from the reference (judge_support) is at most this: in well-supported
    # answers they were measured to be mostly false alarms (README, Evaluation). 1 = always count.
    wrong_support_max: float = 1.0
    show_wrong_min: float = 0.5  # a judged claim at this confidence is listed under "what is wrong"
    # ...and only in an answer the answer scorer expects at most this much of (0..1; its feature
    # answer_score): the scorer reads the whole answer, and a "wrong" flag in an answer it rates well
    # was measured to be mostly a false alarm. The judge's cap (wrong_cap) binds only when its flag is
    # shown, so a capped score always lists the claim that capped it.
    # 1 = no such gate (older calibration files; no scorer configured).
    show_score_max: float = 1.0
    # A key point the answer covers is listed under "what you got right" only in an answer the answer
    # scorer expects at least this much of (0..1): the judge reads one claim against one key point and
    # was measured to "entail" a key point from a claim that turns its order round, while the scorer
    # reads the whole answer. Below it the key point is listed as missing, except in an answer graded
    # "correct". What is SHOWN only: the score does not change. 0 = no such gate (older calibration
    # files; no scorer configured).
    credit_score_min: float = 0.0
    offtopic_relevance: float = 0.25  # below this relevance the answer is off topic
    # ...and so is one that covers almost nothing while being only loosely related (evasive,
    # answers a neighbouring question): coverage < offtopic_coverage and relevance < offtopic_relevance2
    offtopic_coverage: float = 0.0
    offtopic_relevance2: float = 0.0
    # ...but never an answer the answer scorer rates at least this much of (0..1): that rule reads words (coverage,
    # relevance) and caps the score at ``offtopic_cap``, and a correct answer in other words than its reference shares
    # few of them ("Two networks play a game: one of them invents fake samples, ..." for a GAN, scored 8.7/10 by the
    # scorer, was capped at 1 "off topic"). 1 = no such guard (older calibration files; no scorer configured).
    offtopic_score_max: float = 1.0
    offtopic_cap: float = 1.0
    # monotone map of the linear score onto the expert scale (isotonic fit on dev), as knots
    iso_x: list[float] = field(default_factory=list)
    iso_y: list[float] = field(default_factory=list)
    correct_at: float = 6.75  # score >= this -> "correct"
    partial_at: float = 3.25  # score >= this -> "partial", else "incorrect"
    fitted_on: dict = field(default_factory=lambda: {"note": "hand-set defaults, not fitted"})

    @classmethod
    def load(cls, path: Path = CALIBRATION_PATH) -> "Calibration":
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        names = data.pop("features", None) or []
        if not set(names) <= set(FEATURES) or len(names) != len(data.get("weights", [])):
            return cls()  # fitted for another feature set: fall back rather than misuse weights
        # a fit made before a feature existed gives that feature no weight (it was not part of the fit)
        by_name = dict(zip(names, data["weights"]))
        data["weights"] = [float(by_name.get(name, 0.0)) for name in FEATURES]
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})  # a setting this version lacks is ignored

    def save(self, path: Path = CALIBRATION_PATH) -> None:
        from coach.diskio import write_text_atomic

        # written whole, then renamed over the old fit: a crash mid-write never leaves a fit that cannot load
        write_text_atomic(path, json.dumps({"features": list(FEATURES), **asdict(self)}, indent=2) + "\n")

    def raw_score(self, features: dict[str, float]) -> float:
        return float(self.intercept + feature_vector(features) @ np.asarray(self.weights))

    def off_topic(self, features: dict[str, float]) -> bool:
        rel = features.get("relevance", 1.0)
        if rel < self.offtopic_relevance:
            return True
        if self.offtopic_score_max < 1.0 and features.get("answer_score", 0.0) >= self.offtopic_score_max:
            return False
        return features.get("coverage", 1.0) < self.offtopic_coverage and rel < self.offtopic_relevance2

    def score(self, features: dict[str, float]) -> tuple[float, list[str]]:
        """Score 0..10 (one decimal) and the caps that applied, as explanations."""
        s = self.raw_score(features)
        if self.iso_x:
            s = float(np.interp(s, self.iso_x, self.iso_y))
        return self.cap(float(np.clip(s, 0.0, 10.0)), features)

    def cap(self, s: float, features: dict[str, float]) -> tuple[float, list[str]]:
        """``s`` under the caps that bind for these features (a stated misconception, a contradicting
        claim the judge's gate counts, an off-topic answer), and those caps as explanations. Applied to
        the calibrated score and again to any score blended in later, so no blend lifts a capped grade."""
        applied, judged = [], features.get("judge_wrong", 0.0)
        # each cap on its own: when both bind, the lower one holds (a drafted fit's judge cap sits below
        # its misconception cap, and a stated misconception must never lift a score)
        if features.get("misconception", 0.0) >= self.misc_min and s > self.misc_cap:
            s = self.misc_cap
            applied.append(f"capped at {self.misc_cap:g} because a misconception is stated")
        if judged >= self.wrong_min and s > self.wrong_cap and self.shows_wrong(judged, features):
            s = self.wrong_cap
            applied.append(f"capped at {self.wrong_cap:g} because a claim contradicts the reference")
        if self.off_topic(features) and s > self.offtopic_cap:
            s = self.offtopic_cap
            applied.append(f"capped at {self.offtopic_cap:g} because the answer is off topic")
        return round(s, 1), applied

    def judge_counts(self, features: dict[str, float]) -> bool:
        """Whether the judge's contradiction flags count for this answer (see ``wrong_support_max``)."""
        return features.get("judge_support", 0.0) <= self.wrong_support_max

    def shows_wrong(self, confidence: float, features: dict[str, float]) -> bool:
        """Whether a claim the judge found wrong with this confidence is reported to the candidate."""
        return (confidence >= self.show_wrong_min and self.judge_counts(features)
                and features.get("answer_score", 0.0) <= self.show_score_max)

    def shows_credit(self, features: dict[str, float], verdict: str | None = None) -> bool:
        """Whether the key points this answer covers are listed as right (see ``credit_score_min``). An
        answer graded "correct" always is: a card never says "Correct" while crediting nothing."""
        return verdict == "correct" or features.get("answer_score", 1.0) >= self.credit_score_min

    def verdict(self, score: float, features: dict[str, float]) -> str:
        if self.off_topic(features):
            return "off_topic"
        if score >= self.correct_at:
            return "correct"
        if score >= self.partial_at:
            return "partial"
        return "incorrect"
