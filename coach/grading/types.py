"""What a grade is: the record every front end renders and `coach grade` serialises."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

VERDICTS = ("correct", "partial", "incorrect", "off_topic", "no_attempt")


def lines_of(line_start, line_end) -> str:
    """ "line 4", "lines 4-6", or "" when the start is not known: how feedback, Ask and exports name a place."""
    if not line_start:
        return ""
    return f"line {line_start}" if line_end in (None, line_start) else f"lines {line_start}-{line_end}"


@dataclass
class Citation:
    record_id: str
    source: str
    line_start: int
    line_end: int
    question: str = ""
    passage: str = ""  # the cited answer text, shown on demand
    flags: list[dict] = field(default_factory=list)  # source-audit flags overlapping this passage
    answer_lines: list[int] = field(default_factory=list)  # the source line of each line of ``passage``
    answer_line_ends: list[int] = field(default_factory=list)  # ...and where it ends, when below (``Record``)

    def to_contract(self) -> dict:
        return {"source": self.source, "line_start": self.line_start, "line_end": self.line_end}


@dataclass
class Step:
    """One named scoring signal, shown in the grade's explanation."""

    name: str
    value: float  # 0..1 unless stated
    explanation: str


@dataclass
class Grade:
    score: float  # 0..10, one decimal
    verdict: str  # one of VERDICTS
    feedback: str  # human-readable, built from rubric facts only
    question: str = ""
    question_id: str = ""  # rubric / record id the answer was graded against
    right: list[str] = field(default_factory=list)  # key points covered
    missing: list[str] = field(default_factory=list)  # key points not covered
    # of ``missing``: key points the answer mentions that are not credited, because the answer as a whole
    # does not read as stating them correctly (Calibration.credit_score_min), or because the judge does not
    # entail a point the answer covers in its words
    unconfirmed: list[str] = field(default_factory=list)
    wrong: list[dict] = field(default_factory=list)  # {"claim", "correction", "source_error": bool}
    model_answer: str = ""
    references: list[Citation] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    # what the grade rests on or ignored: bad input ("empty answer", "instructions ignored"...), "no attempt", a rubric
    # drafted from an indexed source
    notes: list[str] = field(default_factory=list)

    def to_contract(self) -> dict:
        """The `grade` object of CONTRACTS.md, plus extra fields (extensions are allowed)."""
        return {
            "score": self.score,
            "verdict": self.verdict,
            "feedback": self.feedback,
            "references": [c.to_contract() for c in self.references],
            "question_id": self.question_id,
            "right": self.right,
            "missing": self.missing,
            "unconfirmed": self.unconfirmed,
            "wrong": self.wrong,
            "model_answer": self.model_answer,
            "steps": [asdict(s) for s in self.steps],
            "notes": self.notes,
        }
