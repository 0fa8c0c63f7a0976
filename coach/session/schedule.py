"""Spaced repetition: when should a question come back? FSRS (the ``fsrs`` package, the scheduler
Anki ships), keyed by question id.

A grade becomes one of FSRS's four ratings (``rating_for``): no answer (skipped or revealed) or a
score below 4 is Again, below 6.5 Hard, below 8.5 Good, else Easy. FSRS then sets the question's
stability (days until recall drops to 90%) and difficulty (1..10), and the due date from them.

Simplified on purpose:
- no same-day learning steps (``learning_steps=()``, ``relearning_steps=()``): an interview question
  is practised once per session, so the shortest interval is a day, never "in 1 minute";
- fuzzing is off, so the schedule is deterministic (tests and resumed sessions agree);
- FSRS's default parameters; no per-user optimisation of them.
States written by the older SM-2 schedule are converted by the migration ``m004_fsrs_review_states``
(``from_sm2``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

DAY = 86_400.0  # seconds
START_EASE = 2.5  # the SM-2 ease column is kept (read by ``from_sm2``), no longer updated

# score thresholds (0..10) -> fsrs.Rating value; checked in order
RATING_BELOW = ((4.0, 1), (6.5, 2), (8.5, 3))  # Again, Hard, Good; otherwise Easy (4)
RATING_NAMES = {1: "again", 2: "hard", 3: "good", 4: "easy"}


@dataclass
class ReviewState:
    question_id: str
    topic: str
    repetitions: int = 0  # reviews rated Good or Easy in a row
    interval_days: float = 0.0  # from this review to the due date
    ease: float = START_EASE  # SM-2 legacy, kept for old rows
    due_at: float = 0.0  # unix seconds
    last_score: float | None = None
    reviewed_at: float = 0.0
    stability: float | None = None  # FSRS: days until recall probability falls to 90%
    difficulty: float | None = None  # FSRS: 1 (easy) .. 10 (hard)
    fsrs_state: int | None = None  # fsrs.State: 1 learning, 2 review, 3 relearning; None = never reviewed
    last_rating: int | None = None  # fsrs.Rating of the last review: 1 again .. 4 easy


def rating_for(score: float | None) -> int:
    """0..10 grade score (None: skipped or revealed) -> fsrs.Rating value 1..4."""
    if score is None:
        return 1
    for below, rating in RATING_BELOW:
        if score < below:
            return rating
    return 4


def _scheduler():
    from fsrs import Scheduler

    return Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def review(state: ReviewState, score: float | None, now: float) -> ReviewState:
    """The state after one review at time ``now`` (unix seconds) with this grade score."""
    from fsrs import Card, Rating, State

    if state.fsrs_state is None:
        card = Card(card_id=1, due=_utc(now))  # a new card
    else:
        card = Card(card_id=1, state=State(state.fsrs_state), step=None if state.fsrs_state == 2 else 0,
                    stability=state.stability, difficulty=state.difficulty, due=_utc(state.due_at),
                    last_review=_utc(state.reviewed_at) if state.reviewed_at else None)
    rating = rating_for(score)
    card, _ = _scheduler().review_card(card, Rating(rating), review_datetime=_utc(now))
    due = card.due.timestamp()
    return replace(
        state,
        repetitions=state.repetitions + 1 if rating >= 3 else 0,
        interval_days=round((due - now) / DAY, 2),
        due_at=due,
        last_score=score,
        reviewed_at=now,
        stability=round(card.stability, 4),
        difficulty=round(card.difficulty, 4),
        fsrs_state=int(card.state),
        last_rating=rating,
    )


def from_sm2(repetitions: int, interval_days: float, ease: float) -> tuple[float, float, int]:
    """An SM-2 state as FSRS (stability, difficulty, state), keeping its due date.
    Stability = the SM-2 interval (at FSRS's 90% retention the interval equals the stability), at least
    half a day for a question failed last time (interval 0); difficulty maps ease 2.5 (SM-2's start)
    to 5 and the floor 1.3 to 10, linearly, clamped to 1..10; the state is Review (2)."""
    stability = interval_days if interval_days > 0 else 0.5
    difficulty = min(10.0, max(1.0, 5.0 + (START_EASE - ease) * (5.0 / 1.2)))
    return round(stability, 4), round(difficulty, 4), 2
