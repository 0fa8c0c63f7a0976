"""Spaced repetition: when should a question come back? An SM-2-like schedule keyed by question id.

SM-2 (Wozniak, 1987) with two simplifications on purpose:
- the 0..5 recall quality is derived from the grade (``round(score / 2)``); a skipped or revealed
  question counts as quality 0;
- a failed question (quality < 3) is due again *immediately*, so it comes back first in the next
  session, instead of SM-2's "tomorrow". Passed questions follow SM-2: 1 day, 6 days, then
  ``interval * ease``.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86_400.0  # seconds
MIN_EASE = 1.3
START_EASE = 2.5


@dataclass
class ReviewState:
    question_id: str
    topic: str
    repetitions: int = 0
    interval_days: float = 0.0
    ease: float = START_EASE
    due_at: float = 0.0
    last_score: float | None = None
    reviewed_at: float = 0.0


def quality_from_score(score: float | None) -> int:
    """0..10 grade score -> SM-2 quality 0..5 (None: skipped or revealed -> 0)."""
    if score is None:
        return 0
    return max(0, min(5, round(score / 2)))


def review(state: ReviewState, score: float | None, now: float) -> ReviewState:
    """The state after one review at time ``now`` (unix seconds) with this grade score."""
    q = quality_from_score(score)
    ease = max(MIN_EASE, state.ease + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02))
    if q < 3:
        repetitions, interval = 0, 0.0
    else:
        repetitions = state.repetitions + 1
        if repetitions == 1:
            interval = 1.0
        elif repetitions == 2:
            interval = 6.0
        else:
            interval = round(state.interval_days * ease, 2)
    return ReviewState(
        question_id=state.question_id,
        topic=state.topic,
        repetitions=repetitions,
        interval_days=interval,
        ease=round(ease, 3),
        due_at=now + interval * DAY,
        last_score=score,
        reviewed_at=now,
    )
