"""The grade card as data: the sections of a grade, built once and rendered by every front end.

``grade_card(grade)`` turns a ``Grade`` into titled sections ("What you got right", "What is missing",
"What is wrong", "Model answer", "Why this score"); ``render.py`` draws them HTML-safe for the web UI,
``markdown.py`` as plain Markdown for exports and ``render.grade_text`` as terminal text. No escaping
happens here: every string is still untrusted.

Simplified on purpose:
- a wrong claim is "the same" as another when their words match after case and punctuation are
  dropped; the first one (and its evidence) is kept.
- the grader's ``feedback`` restates the sections as text (``build_feedback``); when it does, the
  card shows the sections only, otherwise (a rephrased or hand-written feedback) the text too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.grading.feedback import (
    OLD_UNCONFIRMED_NOTE,
    OLD_UNCONFIRMED_TITLE,
    UNCONFIRMED_NOTE,
    UNCONFIRMED_TITLE,
    VERDICT_WORDS,
    build_feedback,
    judged_basis,
    point_key,
    source_error_note,
    split_missing,
)
from coach.grading.types import Citation, Grade, Step

SECTION_TITLES = {
    "right": "What you got right",
    "missing": "What is missing",
    "unconfirmed": UNCONFIRMED_TITLE,
    "wrong": "What is wrong",
    "model_answer": "Model answer",
    "steps": "Why this score",
    "references": "Citations",
}
_STRUCTURED_LINES = ("What you got right:", "What is missing:", f"{UNCONFIRMED_TITLE} ({UNCONFIRMED_NOTE}):",
                     f"{OLD_UNCONFIRMED_TITLE} ({OLD_UNCONFIRMED_NOTE}):", "What is wrong:", "Model answer:")


def source_label(source: str, titles: dict[str, str] | None = None) -> str:
    """A source as people know it: "Its Title (file.txt)", or the file name when it has no title."""
    title = (titles or {}).get(source)
    return f"{title} ({source})" if title else source


def span_label(source: str, line_start, line_end, titles: dict[str, str] | None = None) -> str:
    """ "Its Title · file.txt:3-5" (or "file.txt:3-5")."""
    where = f"{source}:{line_start}" if not line_end or line_end == line_start else f"{source}:{line_start}-{line_end}"
    if not line_start:
        where = source
    title = (titles or {}).get(source)
    return f"{title} · {where}" if title else where


def verdict_label(verdict: str) -> str:
    """'no_attempt' -> 'No attempt'; unknown verdicts read as words too."""
    return VERDICT_WORDS.get(verdict) or str(verdict or "").replace("_", " ").capitalize()


@dataclass
class Evidence:
    """Where the correction of a wrong claim comes from: a cited span of a source."""

    source: str
    line_start: int | None = None
    line_end: int | None = None
    text: str = ""
    corrects: bool = False  # ``text`` is a flag's correction of what the span states, not the span's words

    def span(self, titles: dict[str, str] | None = None) -> str:
        return span_label(self.source, self.line_start, self.line_end, titles)

    def label(self, titles: dict[str, str] | None = None) -> str:
        """How the evidence is introduced: a span whose own words are wrong is named as what the correction fixes."""
        return (f"a correction of {self.span(titles)}, which the source states wrongly (flagged)" if self.corrects
                else self.span(titles))


@dataclass
class WrongClaim:
    claim: str  # in the candidate's own words
    correction: str
    source_error: bool = False  # a cited source states the same error
    evidence: list[Evidence] = field(default_factory=list)
    basis: str = ""  # who says it is wrong, when it is the judgement model: "judgement model: contradicts the reference, 0.93"
    source_at: Evidence | None = None  # where a source states the same error (the audit's flag), when known

    def source_note(self, titles: dict[str, str] | None = None) -> str:
        """" (a cited source states this error too: <where>)", or "" when no source states it."""
        if not self.source_error:
            return ""
        return source_error_note(self.source_at.span(titles) if self.source_at else "")


@dataclass
class Card:
    score: float  # 0..10
    verdict: str  # the label ("Partly correct"), not the code
    feedback: str  # extra feedback text not already shown as sections ("" when none)
    right: list[str]
    missing: list[str]
    wrong: list[WrongClaim]
    model_answer: str
    steps: list[Step]
    notes: list[str]
    references: list[Citation]
    unconfirmed: list[str] = field(default_factory=list)  # of ``missing``: mentioned, but not credited

    @property
    def absent(self) -> list[str]:
        """The missing key points the answer does not mention (the "What is missing" section)."""
        return split_missing(self.missing, self.unconfirmed)[0]

    @property
    def said_unconfirmed(self) -> list[str]:
        """The missing key points the answer mentions without credit (their own section, ``UNCONFIRMED_TITLE``)."""
        return split_missing(self.missing, self.unconfirmed)[1]



def _evidence(raw) -> list[Evidence]:
    items = raw if isinstance(raw, list) else [raw] if raw else []
    out = []
    for e in items:
        if isinstance(e, dict) and e.get("source"):
            corrects = bool(e.get("corrects"))
            out.append(Evidence(str(e["source"]), _int(e.get("line_start")), _int(e.get("line_end")),
                                "" if corrects else str(e.get("text") or ""), corrects))
    return out


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def wrong_claims(wrong: list[dict]) -> list[WrongClaim]:
    """Each wrong claim once (see the module docstring for "the same")."""
    seen: set[str] = set()
    out = []
    for w in wrong or []:
        # the candidate's own words ("said") when the grade has them; "claim" may be the rubric's
        # wording of the misconception the sentence matched
        said = w.get("said") or w.get("claim")
        key = point_key(said)
        if not key or key in seen:
            continue
        seen.add(key)
        at = _evidence(w.get("source_at"))
        out.append(WrongClaim(str(said or ""), str(w.get("correction") or ""), bool(w.get("source_error")),
                              _evidence(w.get("evidence")), judged_basis(w), at[0] if at else None))
    return out


def feedback_extra(grade: Grade) -> str:
    """The feedback text the sections do not already say ("" for the grader's structured text)."""
    text = (grade.feedback or "").strip()
    if not text or text == build_feedback(grade).strip():
        return ""
    if any(line.strip() in _STRUCTURED_LINES or line.strip().startswith("Model answer:") for line in text.splitlines()):
        return ""  # an older structured text: the sections below say the same
    return text


def _unique(items: list[str]) -> list[str]:
    seen, out = set(), []
    for p in items or []:
        if p and point_key(p) not in seen:
            seen.add(point_key(p))
            out.append(p)
    return out


def grade_card(grade: Grade) -> Card:
    return Card(
        score=float(grade.score),
        verdict=verdict_label(grade.verdict),
        feedback=feedback_extra(grade),
        right=_unique(grade.right),
        missing=_unique(grade.missing),
        wrong=wrong_claims(grade.wrong),
        model_answer=(grade.model_answer or "").strip(),
        steps=list(grade.steps),
        notes=_unique(grade.notes),
        references=list(grade.references),
        unconfirmed=_unique(getattr(grade, "unconfirmed", None) or []),
    )
