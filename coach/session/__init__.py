"""Interview sessions: planning, answering, grading, spaced repetition, progress and exports.

- ``engine.py``   SessionEngine: the state machine over SQLite (start, answer, hint, skip, reveal,
                  follow-up, ask, finish, resume by id)
- ``db.py``       the SQLite file and its named migrations
- ``schedule.py`` SM-2-like review intervals keyed by question id
- ``mastery.py``  per-topic mastery over time
- ``summary.py``  the end-of-session summary
- ``render.py``   escaped Markdown (web) and plain text (terminal) renderings
- ``export.py``   Markdown / JSON session exports, Anki CSV of missed questions
"""

from coach.session.db import Database
from coach.session.engine import SessionEngine
from coach.session.records import AnswerResult, AskReply, PlannedQuestion, SessionInfo, Turn

__all__ = ["AnswerResult", "AskReply", "Database", "PlannedQuestion", "SessionEngine", "SessionInfo", "Turn"]
