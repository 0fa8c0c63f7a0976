"""The question bank: what the coach can ask, built from rubrics and the indexed records.

One item per distinct question: a reviewed rubric when there is one (it already groups the same
question across sources), otherwise one item per record group of the indexed sources; titled
passages of sources without Q/A structure become "Explain <title>" questions graded against a
draft rubric built from the passage. Hints come
from the rubric's concept terms, so they point at a key point without giving the answer away.
Simplified on purpose: difficulty of questions without a rubric is a guess from the answer length.
"""

from __future__ import annotations

import re

from coach.grading.rubrics import RubricBank
from coach.grading.types import Grade
from coach.service import QuestionItem


def _hints(rubric) -> list[str]:
    hints = []
    for kp in rubric.key_points:
        if kp.terms and kp.terms[0]:
            hints.append("Think about: " + ", ".join(g[0] for g in kp.terms if g))
    return hints or ["Start from the definition, then say why it matters and give an example."]


def question_bank(records, bank: RubricBank, topics: list[str] | None = None, difficulty: int | None = None) -> list[QuestionItem]:
    items: dict[str, QuestionItem] = {}
    seen_groups: set[str] = set()
    for rec in records:
        if rec.kind == "passage":
            item = _passage_item(rec)
            if item is not None:
                items[rec.id] = item
            continue
        rubric = bank.for_record(rec.id)
        if rubric is not None:
            if rubric.id not in items:
                items[rubric.id] = QuestionItem(
                    id=rubric.id,
                    question=rubric.question,
                    topic=rubric.topic,
                    difficulty=rubric.difficulty,
                    record_ids=[r for r in rubric.records],
                    model_answer=rubric.model_answer,
                    hints=_hints(rubric),
                )
            continue
        group = rec.group_id or rec.id
        if group in seen_groups:
            continue
        seen_groups.add(group)
        n_words = len(rec.answer.split())
        items[rec.id] = QuestionItem(
            id=rec.id,
            question=rec.question,
            topic=rec.topic,
            difficulty=1 if n_words < 60 else 2 if n_words < 150 else 3,
            record_ids=[rec.id],
            model_answer="",
            hints=["Start from the definition, then say why it matters and give an example."],
        )
    out = list(items.values())
    if topics:
        wanted = {t.lower() for t in topics}
        out = [q for q in out if q.topic.lower() in wanted]
    if difficulty:
        out = [q for q in out if q.difficulty == difficulty]
    return sorted(out, key=lambda q: q.id)


def _passage_item(rec) -> QuestionItem | None:
    """A titled passage (a source with no Q/A structure) asked back as an explain-question.
    Simplified on purpose: a template over the title, no LLM; passages too short to grade against
    (under 25 words) are not asked."""
    title = rec.question.strip().rstrip(".:")
    if len(rec.answer.split()) < 25 or not title:
        return None
    title = re.sub(r"^(chapter|section|part)\s+[\w.]+\s*[:.-]\s*", "", title, flags=re.I) or title
    return QuestionItem(
        id=rec.id,
        question=f"Explain {title[0].lower() + title[1:]} as you would in an interview.",
        topic=rec.topic,
        difficulty=2,
        record_ids=[rec.id],
        hints=["Start from the definition, then say why it matters and give an example."],
    )


def followup_question(grade: Grade) -> str:
    """A follow-up aimed at the biggest gap: a stated error first, then the first missing point."""
    if grade.wrong:
        claim = grade.wrong[0]["claim"].rstrip(".")
        return f"Follow-up: is it true that {claim[0].lower() + claim[1:]}? Explain why or why not."
    if grade.missing:
        point = grade.missing[0].rstrip(".")
        return f"Follow-up: can you expand on this part — {point[0].lower() + point[1:]}?"
    return "Follow-up: can you give a concrete example from a project where this mattered?"
