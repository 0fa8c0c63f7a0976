"""Scoring in named steps. Each step is a function returning a ``Step`` (value + explanation) and
the details the feedback needs; the combiner turns the step values into a score.

Signals, all deterministic:
- ``relevance``: does the answer talk about this question at all (embedding cosine to the question
  and the model answer)?
- ``coverage``: which rubric key points are covered: concept terms (any-of groups, matched at word
  starts) OR a close paraphrase (best answer sentence's cosine to the key point).
- ``misconceptions``: which known false claims are stated: a rubric regex on a non-negated sentence,
  or a sentence semantically much closer to the false claim than to its correction. Source errors
  found by the audit are misconceptions too, so parroting a wrong source costs points.
- ``specificity``: how much of the answer is on point (share of relevant sentences) and how much
  there is (length), so padding and one-word answers are told apart.

Simplified on purpose: similarities come from one small bi-encoder (all-MiniLM-L6-v2), which is weak
at negation and at swapped concepts; the term groups and regexes written in reviewed rubrics carry
that load, and drafts for new sources (no regexes) are correspondingly less strict.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np

from coach.grading.draft import STOP_WORDS, term_groups
from coach.grading.rubrics import KeyPoint, Rubric
from coach.grading.text import groups_matched, is_negated, sentences, singular, words
from coach.grading.types import Step

# Cosine thresholds for all-MiniLM-L6-v2, set on the dev split (see evals/calibrate.py).
KP_SEM_LOW, KP_SEM_HIGH = 0.35, 0.75  # key-point paraphrase similarity mapped linearly to 0..1
MISC_SEM_MIN, MISC_MARGIN = 0.78, 0.10  # sentence ~ misconception, and closer to it than to its correction
MISC_VERBATIM = 0.90  # a sentence this close to a known false claim repeats it
RELEVANT_SENT = 0.30  # a sentence this close to the question/model answer/key points is "on point"


@dataclass
class Evidence:
    """Everything the grader measured about one answer, for the combiner and for feedback."""

    steps: dict[str, Step] = field(default_factory=dict)
    features: dict[str, float] = field(default_factory=dict)
    covered: list[tuple[str, float]] = field(default_factory=list)  # (key point, strength)
    missing: list[str] = field(default_factory=list)
    stated: list[dict] = field(default_factory=list)  # {"claim", "correction", "source_error", "how", "sentence", "strength"}
    judged: dict = field(default_factory=dict)  # the judge's claim-level verdicts (coach/grading/evidence.py)
    # per key point, its best cosine with a sentence of the answer or with the answer's claims together
    point_sims: list[float] = field(default_factory=list)


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # rows are unit-normalised, so the dot product is the cosine: (n, d) @ (d, m) -> (n, m)
    return a @ b.T


def relevance(ev: Evidence, ans_vec, q_vec, ma_vec) -> None:
    rel_q = float(_cos(ans_vec[None], q_vec[None])[0, 0])
    rel_ma = float(_cos(ans_vec[None], ma_vec[None])[0, 0])
    value = max(rel_q, rel_ma)
    ev.features.update(rel_q=rel_q, rel_ma=rel_ma, relevance=value)
    ev.steps["relevance"] = Step(
        "relevance", round(value, 3), f"similarity to the question {rel_q:.2f}, to the model answer {rel_ma:.2f}"
    )


def point_terms(rubric: Rubric, kp: KeyPoint) -> list[list[str]]:
    """A key point's term groups: its own; for a point written without any on a rubric that is not drafted
    (a user's own rubric), one any-of group derived exactly as drafts derive theirs, the point's three longest
    words minus the question's own (whole words: "deleted" of a question on DELETE stays, as in drafts; a
    stricter exclusion was measured no better, README). The reviewed fit weighs term coverage most and was
    fitted on rubrics that all have terms, so a user's point without any lost its main coverage evidence
    (README, "The answer scorer reads a reviewed rubric twice, and each key point alone; key points written
    without terms", experiment 28). A drafted point without terms (a lead-in, a short reference) keeps none."""
    if kp.terms or rubric.origin == "draft":
        return kp.terms
    return term_groups(kp.text, set(words(rubric.question)))


def coverage(ev: Evidence, rubric: Rubric, answer: str, sent_vecs, kp_vecs) -> None:
    lower = answer.lower()
    sims = _cos(sent_vecs, kp_vecs).max(axis=0) if len(sent_vecs) else np.zeros(len(rubric.key_points))
    total = sum(kp.weight for kp in rubric.key_points) or 1.0
    cov = lex_cov = sem_cov = 0.0
    for kp, sim in zip(rubric.key_points, sims):
        terms = point_terms(rubric, kp)
        lex = groups_matched(terms, lower)
        sem = float(np.clip((sim - KP_SEM_LOW) / (KP_SEM_HIGH - KP_SEM_LOW), 0.0, 1.0))
        strength = max(lex, sem) if terms else sem
        cov += kp.weight * strength
        lex_cov += kp.weight * lex
        sem_cov += kp.weight * sem
        if strength >= 0.5:
            ev.covered.append((kp.text, strength))
        else:
            ev.missing.append(kp.text)
    cov, lex_cov, sem_cov = cov / total, lex_cov / total, sem_cov / total
    ev.features.update(coverage=cov, coverage_terms=lex_cov, coverage_semantic=sem_cov)
    ev.steps["coverage"] = Step(
        "coverage",
        round(cov, 3),
        # "matched", not "covered": what the card credits can differ (the judge's entailment, the credit gate), and a
        # user walkthrough read "4 of 4 key points covered" beside four points listed as missing; said as a match of
        # words and topic, since a second walkthrough read "3 of 3 key points matched" as 3 right beside "0 of 3
        # entailed" and the same points listed as wrong
        f"{len(ev.covered)} of {len(rubric.key_points)} key points share the answer's words or topic (concept terms "
        f"{lex_cov:.2f}, paraphrase {sem_cov:.2f}; a match of words, not a check of what is said: see claims)",
    )


RESTATED_SHARE = 0.6  # of a misconception's content words, a sentence that restates it says at least this share
RECITAL_MIN = 0.85  # difflib ratio of the content-word sequences: a recital, not a paraphrase


def restates(sentence: str, claim: str, correction: str) -> bool:
    """Whether ``sentence`` restates a known false ``claim`` in its words: it says most of the claim's content words
    (``RESTATED_SHARE``), some of the words that set the claim apart from its ``correction`` ("35" against "53",
    "contain ... duplicates" against "unique ... never NULL") and none of the correction's own, and it is negated exactly
    when the claim is. The bi-encoder path below misses such a recital when the correction reads almost the same as the
    claim (a source's reported error, corrected in a few words): a walkthrough's answer reciting the source's "DNS ...
    UDP port 35" after reporting it, and a primary-key answer reciting the reported sentence, were not counted."""
    seq, claimed, corrected = _sequence(sentence), _sequence(claim), _sequence(correction)
    said, false, true = set(seq), set(claimed), set(corrected)
    apart, right = false - true, true - false
    if not false or not apart or is_negated(sentence) != is_negated(claim) or _FRAMED.search(sentence):
        return False
    if not (len(said & false) >= RESTATED_SHARE * len(false) and said & apart and not said & right):
        return False
    if seq[0] != claimed[0]:  # it starts where the claim starts: no other subject before it
        return False
    to_claim = SequenceMatcher(None, seq, claimed, autojunk=False).ratio()
    return to_claim >= RECITAL_MIN and to_claim > SequenceMatcher(None, seq, corrected, autojunk=False).ratio()


_CLAUSE = re.compile(r"\s*[;,:]\s*|\s+(?:and|but|while|whereas)\s+", re.I)


def clauses(sentence: str) -> list[str]:
    """A sentence's clauses, cut at "," ";" ":" and "and" / "but" / "while" / "whereas" ([] when it has one): a known
    false claim recited as one item of a list ("numeric types are 0, boolean defaults to true, and ...") is said there,
    which ``restates`` reads from the start of a sentence only (a walkthrough's answer reciting a reported error)."""
    parts = [p for p in _CLAUSE.split(sentence) if p and p.strip()]
    return parts if len(parts) > 1 else []


REWORDED_SHARE, REWORDED_MIN = 0.5, 2  # of the words that set a false claim apart from its correction (set by hand)


def rewords(sentence: str, claim: str, correction: str, sim_claim: float, sim_correction: float) -> bool:
    """Whether ``sentence`` states a known false ``claim`` in other words: it says at least half (and two) of the words
    that set the claim apart from its ``correction`` and none of the correction's own, is negated exactly when the claim
    is, is not framed ("unlike", "says"), and reads closer to the claim than to the correction (MiniLM cosines, the
    claim's at least ``MISC_SEM_MIN``). A correction that differs from its claim only in numbers or order has no words
    of its own: only a recital (``restates``) or a pattern says such a claim. Without it the bi-encoder alone reads such
    a sentence as a soft paraphrase (strength 0.4) or not at all (margin over the correction under ``MISC_MARGIN``).
    Experiment 49 (README), which also says what it still misses: a sentence that reads closer to the correction, or
    says the claim with the other polarity ("never sent over HTTP" for "prevents it from being sent over HTTP")."""
    said, false, true = set(_sequence(sentence)), set(_sequence(claim)), set(_sequence(correction))
    apart, right = false - true, true - false
    if not apart or not right or is_negated(sentence) != is_negated(claim) or _FRAMED.search(sentence):
        return False
    return (len(said & apart) >= max(REWORDED_MIN, math.ceil(len(apart) * REWORDED_SHARE)) and not said & right
            and sim_claim >= MISC_SEM_MIN and sim_claim > sim_correction)


# a sentence that sets the claim against something else or reports it ("Hyperparameters, unlike biases, are fixed
# constants", "The notes say ... port 35": a review) does not state it
_FRAMED = re.compile(r"\b(unlike|whereas|as opposed to|says?|said|claims?|claimed|states?|stated|typo|reported|mistake|"
                     r"erroneously|supposedly|allegedly)\b", re.I)


# function words that can be all a false claim and its correction differ in ("accessed MOST recently" against "LEAST
# recently": a walkthrough's reported LRU error, recited word for word, was not counted): kept in the comparison
_MEANING = frozenset("most least more less only all no not never before after many few same other up down off over "
                     "under out first last".split())
_KEPT = STOP_WORDS - _MEANING


@lru_cache(maxsize=4096)
def _sequence(text: str) -> tuple[str, ...]:
    """A text's content words in order, the function words of ``_MEANING`` kept (a rubric's claims and corrections are
    read once per answer sentence: cached)."""
    return tuple(singular(w) for w in words(text) if w not in _KEPT)


def misconceptions(ev: Evidence, rubric: Rubric, answer_sents: list[str], sent_vecs, mis_vecs, corr_vecs) -> None:
    worst = 0.0
    for i, m in enumerate(rubric.misconceptions):
        hit = None
        # a claim that is itself negative ("X has no Y") is stated BY a negated sentence
        negative_claim = is_negated(m.text)
        for s in answer_sents:
            if (negative_claim or not is_negated(s)) and any(p.search(s) for p in m.compiled):
                hit = (s, 1.0, "pattern")
                break
        if hit is None:
            said = next((s for s in answer_sents if restates(s, m.text, m.correction)
                         or any(restates(c, m.text, m.correction) for c in clauses(s))), None)
            if said is not None:
                hit = (said, 1.0, "restated")
        if hit is None and len(sent_vecs):
            sim_m = _cos(sent_vecs, mis_vecs[i : i + 1])[:, 0]
            sim_c = _cos(sent_vecs, corr_vecs[i : i + 1])[:, 0]
            said = next((s for k, s in enumerate(answer_sents[: len(sim_m)])
                         if rewords(s, m.text, m.correction, float(sim_m[k]), float(sim_c[k]))), None)
            if said is not None:
                hit = (said, 1.0, "reworded")
        if hit is None and len(sent_vecs):
            j = int(np.argmax(sim_m - sim_c))
            if sim_m[j] >= MISC_SEM_MIN and sim_m[j] - sim_c[j] >= MISC_MARGIN and (negative_claim or not is_negated(answer_sents[j])):
                # near-verbatim (>= MISC_VERBATIM) counts fully; a looser paraphrase is a soft signal
                # below the combiner's cap threshold: the bi-encoder cannot tell a claim from its denial
                strength = 1.0 if sim_m[j] >= MISC_VERBATIM else 0.4
                hit = (answer_sents[j], strength, "paraphrase")
        if hit:
            sentence, strength, how = hit
            worst = max(worst, strength)
            ev.stated.append(
                {"claim": m.text, "correction": m.correction, "source_error": m.source_error, "how": how, "sentence": sentence,
                 "strength": strength}
            )
    ev.features["misconception"] = worst
    ev.features["misconception_count"] = float(len(ev.stated))
    names = "; ".join(s["claim"] for s in ev.stated) or "none"
    ev.steps["misconceptions"] = Step("misconceptions", round(worst, 3), f"{len(ev.stated)} stated: {names}")


def specificity(ev: Evidence, answer_sents: list[str], sent_vecs, target_vecs) -> None:
    if not len(sent_vecs):
        on_point = 0.0
    else:
        best = _cos(sent_vecs, target_vecs).max(axis=1)
        on_point = float((best >= RELEVANT_SENT).mean())
    n_words = sum(len(s.split()) for s in answer_sents)
    length = float(np.clip(np.log1p(n_words) / np.log1p(80), 0.0, 1.0))  # 80+ words -> 1.0
    ev.features.update(on_point=on_point, length=length)
    ev.steps["specificity"] = Step(
        "specificity", round(on_point, 3), f"{on_point:.0%} of {len(answer_sents)} sentences on point, {n_words} words"
    )


def split_for_grading(answer: str) -> list[str]:
    return sentences(answer)[:80]  # (S,) at most 80 sentences: a paste beyond that adds nothing
