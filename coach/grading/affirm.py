"""A follow-up answer that says "yes" to the candidate's own wrong sentence (experiment 77b, README).

A correction follow-up asks "you said “X”. Is that right? Explain why or why not." and its answer is graded against
the correction alone. That reading ignored the answer's yes or no: "Yes, that's right: bagging builds models
sequentially, ..." (the candidate defending the swapped sentence) scored 8.1 "correct". An answer whose first clause
says yes, with no word of rejection in it, says X again: X is listed as wrong, nothing is credited, and the score is
capped at the judge's cap for a contradicted claim.

Simplified on purpose: only the first clause is read, only for an opener of the list below; "Yes, but ..." and any
clause holding a negation or a rejection word is left to the grade as it is, and an answer without a yes or no is
graded as before.
"""

from __future__ import annotations

import re

from coach.grading.types import Grade, Step

# an opener that says yes to the question "Is that right?" (not "right", "true", "sure" or "it is" alone: they open
# rejections too, "Right, it's the other way round")
_YES = re.compile(r"^\W*(?:yes|yeah|yep|yup|correct|exactly|indeed|absolutely|definitely"
                  r"|(?:that['’]?s|that\s+is|you['’]?re|you\s+are|i['’]?m|i\s+am|it['’]?s|it\s+is)\s+(?:right|correct|true)"
                  r"|i\s+stand\s+by)\b", re.I)
# the first clause: up to the first sentence or clause mark, or "because"
_CLAUSE_END = re.compile(r"[.;:!?]|\bbecause\b", re.I)
_REJECTS = re.compile(r"\b(?:no|not|never|wrong|incorrect|false|mistake|mistaken|but|however|although|partly|partially"
                      r"|other\s+way|opposite|actually|instead)\b|n['’]t\b", re.I)
CAP = 2.0  # the shipped fits' ``wrong_cap``: a claim the judge finds contradicting the reference caps the score here
BASIS = "you said yes when asked whether it is right"


def affirmation(answer: str) -> str | None:
    """The answer's first clause when it says yes without rejecting anything ("Yes, that's right"), else None."""
    text = (answer or "").strip()
    yes = _YES.match(text)
    if not yes:
        return None
    end = _CLAUSE_END.search(text, yes.end())
    clause = text[: end.start()] if end else text
    return None if _REJECTS.search(clause) else clause.strip()


def affirmed(grade: Grade, claim: str, answer: str, correction: str, cap: float = CAP) -> Grade:
    """``grade`` of a follow-up on the candidate's wrong sentence ``claim``: unchanged unless ``answer`` says yes to it;
    then ``claim`` is what is wrong (with ``correction``), nothing is credited and the score is at most ``cap``."""
    from coach.grading.feedback import build_feedback
    from coach.grading.grader import NOTHING_PINNED

    said = affirmation(answer)
    if said is None or not (claim or "").strip():
        return grade
    grade.wrong = [{"claim": claim, "said": f"{said}: {claim}", "correction": correction, "source_error": False,
                    "basis": BASIS}] + [w for w in grade.wrong if w.get("claim") != claim]
    grade.missing = list(dict.fromkeys([*grade.right, *grade.missing]))
    grade.right = []
    grade.score = min(grade.score, cap)
    grade.verdict = "incorrect"
    grade.notes = [n for n in grade.notes if n != NOTHING_PINNED]
    grade.steps = [*grade.steps, Step("affirmed", 0.0, f"capped at {cap:g}: the answer says yes to “{claim}”, the "
                                                        "sentence the follow-up asked about")]
    grade.feedback = build_feedback(grade)
    return grade
