"""Plain records of the session engine and their JSON round-trip (the DB stores grades as JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from coach.grading.types import Citation, Grade, Step


@dataclass
class PlannedQuestion:
    """A question-bank item frozen into a session plan, so a resumed session asks the same thing
    even if the bank changed meanwhile."""

    id: str
    question: str
    topic: str
    difficulty: int = 1
    record_ids: list[str] = field(default_factory=list)
    model_answer: str = ""
    hints: list[str] = field(default_factory=list)
    reviewed: bool = True  # graded against a reviewed rubric (not one drafted from an added source)

    @classmethod
    def from_item(cls, item: Any) -> "PlannedQuestion":
        return cls(
            id=str(item.id),
            question=item.question,
            topic=item.topic or "general",
            difficulty=int(item.difficulty or 1),
            record_ids=list(item.record_ids or []),
            model_answer=item.model_answer or "",
            hints=list(item.hints or []),
            reviewed=bool(getattr(item, "reviewed", True)),
        )


@dataclass
class Turn:
    """One question put to the user (a main question or a follow-up) and what became of it."""

    id: int
    session_id: str
    position: int  # index into the plan; a follow-up shares its parent's
    kind: str  # main | followup
    question_id: str
    topic: str
    question: str  # the question itself (no lead-in: see ``lead_in``)
    status: str  # pending | answered | skipped | revealed
    hints_used: int = 0
    answer: str | None = None
    grade: Grade | None = None
    asked_at: float = 0.0
    answered_at: float | None = None
    lead_in: str = ""  # spoken lead-in shown before the question ("Next up:"), never stored or exported
    target: str | None = None  # a follow-up's gap: what its answer is graded against (None: the parent's rubric)

    @property
    def score(self) -> float | None:
        return self.grade.score if self.grade else None


@dataclass
class SessionInfo:
    id: str
    status: str  # active | finished
    title: str
    topics: list[str]
    difficulty: int | None
    length: int
    seed: int
    created_at: float
    updated_at: float
    plan: list[PlannedQuestion]


@dataclass
class AnswerResult:
    turn: Turn  # the turn just graded
    grade: Grade
    next: Turn | None  # the question to show now (None: the session is over)
    finished: bool


@dataclass
class AskReply:
    """A grounded answer: iterate ``stream`` for text deltas; citations and warnings are known upfront."""

    stream: Any  # Iterator[str]
    citations: list[Citation]
    warnings: list[str]


def grade_to_json(grade: Grade) -> str:
    return json.dumps(asdict(grade), ensure_ascii=False)


def grade_from_dict(data: dict) -> Grade:
    data = dict(data)
    data["references"] = [Citation(**c) for c in data.get("references", [])]
    data["steps"] = [Step(**s) for s in data.get("steps", [])]
    return Grade(**data)


def grade_from_json(text: str | None) -> Grade | None:
    return grade_from_dict(json.loads(text)) if text else None


def citation_to_dict(c: Citation) -> dict:
    return asdict(c)
