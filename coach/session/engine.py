"""The interview session engine: plan questions, take answers, grade, schedule reviews, persist.

Pure library code (no Gradio, no click): the web UI and `coach chat` are thin adapters over it.
All state lives in SQLite (``settings.db_path``), keyed by a session id, so one engine serves any
number of browsers and a session survives a restart (build a new engine on the same DB and keep going).

Every session, ask and review schedule belongs to an owner: ``engine.for_owner(owner)`` is a view that
lists, opens and changes only that owner's sessions; another owner's session id answers exactly like an
id that does not exist. The web UI makes one view per request from the browser's identity
(``coach.session.owners``); the terminal uses ``LOCAL_OWNER``.

Simplified on purpose:
- "phrasing may vary": a variant only adds a spoken lead-in ("Next up: ...") chosen deterministically
  from the session seed and position. The lead-in is presentation: ``Turn.question`` (stored, graded,
  exported) is the bank question itself, ``Turn.lead_in`` is shown before it, and the first question
  has none. The bank question is never rewritten (a rewrite could change what is being asked).
- a main answer with a real gap (a wrong claim, or a missing point when not correct) gets ONE follow-up
  before the next question: about the candidate's own wrong sentence or the first missing key point,
  graded against that gap (its correction or the key point); it does not change the review schedule.
  A follow-up asked for by hand on a gap-free answer is graded against the parent question's rubric. A behavioural
  question's follow-up asks for a part of the candidate's own story: its answer is graded as the story told again,
  the first answer and then this one (``SessionEngine._story_followup``).
- hints come only from the question bank's ``hints``; none are invented.
"""

from __future__ import annotations

import copy
import json
import logging
import random
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict

from coach.datafiles import without_surrogates
from coach.errors import CoachError, UnknownQuestion
from coach.session.db import Database
from coach.session.mastery import mastery_history
from coach.session.records import (
    AnswerResult,
    AskReply,
    PlannedQuestion,
    SessionInfo,
    Turn,
    grade_from_json,
    grade_to_json,
)
from coach.session.owners import LOCAL_OWNER
from coach.session.schedule import ReviewState, review

log = logging.getLogger(__name__)

LEAD_INS = ("", "Next up:", "Let's talk about {topic}.", "Here is one on {topic}:")
MAX_LENGTH = 50


def lead_in(topic: str, seed: int, position: int, kind: str = "main") -> str:
    """The spoken lead-in before a main question, picked deterministically from (seed, position).
    The first question and follow-ups have none."""
    if kind != "main" or position == 0:
        return ""
    # a topic id reads as words ("statistics_probability" -> "statistics probability", a user walkthrough)
    return LEAD_INS[random.Random(f"{seed}:{position}").randrange(len(LEAD_INS))].format(topic=topic.replace("_", " "))


_LEAD_IN_RE = re.compile(r"^(Next up: |Let's talk about [^.\n]{1,80}\. |Here is one on [^:\n]{1,80}: )")


def strip_lead_in(question: str) -> str:
    """A stored question without the lead-in older versions saved into it."""
    return _LEAD_IN_RE.sub("", question, count=1)


# said under the grade of an example given to a follow-up (``SessionEngine._example_followup``)
EXAMPLE_NOTE = ("Graded as your first answer with this example added: an example is read against the question's "
                "reference, not on its own.")


class SessionEngine:
    def __init__(self, coach, db: Database | None = None, *, clock=time.time, owner: str = LOCAL_OWNER,
                 followups: bool = True):
        self.coach = coach
        self.followups = followups  # ask a follow-up on each main answer's gap before moving on
        self.db = db or Database(coach.settings.db_path, read_only=getattr(coach, "read_only", False))
        self.clock = clock
        self.owner = owner
        self._lock = threading.Lock()  # serialises read-modify-write of one engine's sessions

    def for_owner(self, owner: str) -> "SessionEngine":
        """A view of this engine (same database, lock and coach) that sees only ``owner``'s sessions."""
        if not owner:
            raise CoachError("no owner identity: reload the page")
        view = copy.copy(self)
        view.owner = owner
        return view

    # ---- planning -------------------------------------------------------------------------
    def topics(self) -> list[str]:
        return sorted({item.topic for item in self.coach.question_bank() if item.topic})

    def _plan(self, bank: list, length: int, seed: int, now: float) -> list[PlannedQuestion]:
        """Due reviews first (oldest due first), then unseen questions (shuffled by seed), then
        seen-but-not-due ones (soonest due first)."""
        states = {s.question_id: s for s in self.review_states()}
        items = [PlannedQuestion.from_item(i) for i in bank]
        due = sorted((i for i in items if i.id in states and states[i.id].due_at <= now), key=lambda i: states[i.id].due_at)
        unseen = [i for i in items if i.id not in states]
        random.Random(seed).shuffle(unseen)
        later = sorted((i for i in items if i.id in states and states[i.id].due_at > now), key=lambda i: states[i.id].due_at)
        return (due + unseen + later)[:length]

    def start(self, topics: list[str] | None = None, difficulty: int | None = None, length: int = 5,
              seed: int | None = None) -> Turn:
        """Start a session and return its first question."""
        if not 1 <= int(length) <= MAX_LENGTH:
            raise CoachError(f"session length must be between 1 and {MAX_LENGTH}, got {length}")
        if difficulty is not None and difficulty not in (1, 2, 3):
            raise CoachError(f"difficulty must be 1, 2 or 3, got {difficulty}")
        topics = [t for t in (topics or []) if t]
        bank = self.coach.question_bank(topics or None, difficulty)
        if not bank:
            raise CoachError(self._no_questions(topics, difficulty))
        now = self.clock()
        seed = random.randrange(2**31) if seed is None else int(seed)
        plan = self._plan(bank, int(length), seed, now)
        sid = uuid.uuid4().hex[:12]
        title = f"{', '.join(topics) or 'All topics'} - {len(plan)} question{'s' if len(plan) > 1 else ''}"
        with self.db.transaction() as db:
            db.execute(
                "INSERT INTO sessions (id, created_at, updated_at, status, topics, difficulty, length, seed, plan, title, owner)"
                " VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?)",
                (sid, now, now, json.dumps(topics), difficulty, len(plan), seed,
                 json.dumps([asdict(p) for p in plan], ensure_ascii=False), title, self.owner),
            )
            self._ask_main(db, sid, plan, seed, 0, now)
        log.info("session %s started: %d questions", sid, len(plan))
        return self.current(sid)

    def _no_questions(self, topics: list[str], difficulty: int | None) -> str:
        """Why a session cannot start, with what the sources do have (a walkthrough guessed at topics and
        difficulties: every question of its source was at difficulty 2)."""
        wanted = ", ".join(topics) or "any topic"
        head = f"no questions for {wanted} at difficulty {difficulty or 'any'}"
        everything = self.coach.question_bank(None, None)
        if not everything:
            return f"{head}: index some sources first (`coach index add FILE`)"
        lower = {t.lower() for t in topics}
        on_topic = [q for q in everything if not lower or q.topic.lower() in lower]
        if not on_topic:
            counts = Counter(q.topic for q in everything)
            return f"{head}: the sources have questions on " + ", ".join(f"{t} ({n})" for t, n in sorted(counts.items()))
        levels = Counter(q.difficulty for q in on_topic)
        whose = f"{wanted}'s questions are" if len(topics) == 1 else f"the questions on {wanted} are"
        return f"{head}: {whose} at difficulty " + ", ".join(f"{d} ({n})" for d, n in sorted(levels.items()))

    def _ask_main(self, db, sid: str, plan: list[PlannedQuestion], seed: int, position: int, now: float) -> None:
        item = plan[position]
        db.execute(
            "INSERT INTO turns (session_id, position, kind, question_id, topic, question, status, asked_at)"
            " VALUES (?, ?, 'main', ?, ?, ?, 'pending', ?)",
            (sid, position, item.id, item.topic, item.question, now),
        )

    def _advance(self, db, info: SessionInfo, now: float) -> None:
        """After a turn is resolved: ask the next planned question, or finish the session."""
        if db.execute("SELECT 1 FROM turns WHERE session_id=? AND status='pending'", (info.id,)).fetchone():
            return
        last = db.execute("SELECT MAX(position) FROM turns WHERE session_id=? AND kind='main'", (info.id,)).fetchone()[0]
        nxt = 0 if last is None else last + 1
        if nxt < len(info.plan):
            self._ask_main(db, info.id, info.plan, info.seed, nxt, now)
            db.execute("UPDATE sessions SET updated_at=?, status='active' WHERE id=?", (now, info.id))
        else:
            db.execute("UPDATE sessions SET updated_at=?, status='finished' WHERE id=?", (now, info.id))

    # ---- reading state -------------------------------------------------------------------
    def info(self, sid: str) -> SessionInfo:
        """The session, if it is this owner's (another owner's id reads like an unknown one)."""
        with self.db.connect() as db:
            row = db.execute("SELECT * FROM sessions WHERE id=? AND owner=?", (sid, self.owner)).fetchone()
        if row is None:
            raise CoachError(f"no session {sid!r}")
        return SessionInfo(
            id=row["id"], status=row["status"], title=row["title"], topics=json.loads(row["topics"]),
            difficulty=row["difficulty"], length=row["length"], seed=row["seed"],
            created_at=row["created_at"], updated_at=row["updated_at"],
            plan=[PlannedQuestion(**p) for p in json.loads(row["plan"])],
        )

    def turns(self, sid: str) -> list[Turn]:
        self.info(sid)  # this owner's, or "no session"
        with self.db.connect() as db:
            rows = db.execute("SELECT * FROM turns WHERE session_id=? ORDER BY id", (sid,)).fetchall()
            seed = db.execute("SELECT seed FROM sessions WHERE id=?", (sid,)).fetchone()
        turns = [_turn(r) for r in rows]
        for t in turns:
            t.lead_in = lead_in(t.topic, seed[0] if seed else 0, t.position, t.kind)
        return turns

    def current(self, sid: str) -> Turn | None:
        """The question waiting for an answer: the newest pending turn (a follow-up goes first)."""
        pending = [t for t in self.turns(sid) if t.status == "pending"]
        return pending[-1] if pending else None

    def sessions(self, status: str | None = None) -> list[SessionInfo]:
        with self.db.connect() as db:
            ids = [r[0] for r in db.execute(
                "SELECT id FROM sessions WHERE owner=? AND (? IS NULL OR status=?) ORDER BY updated_at DESC",
                (self.owner, status, status))]
        return [self.info(i) for i in ids]

    def history(self) -> list[dict]:
        """Every session of this owner, newest first, for the history view: id, created/updated (unix
        seconds), title, topics, status, planned/answered/skipped counts and the mean score of the
        graded main answers (None when nothing was graded)."""
        with self.db.connect() as db:
            rows = db.execute(
                "SELECT s.id, s.created_at, s.updated_at, s.title, s.topics, s.status, s.length,"
                " SUM(t.kind='main' AND t.score IS NOT NULL) AS answered,"
                " SUM(t.kind='main' AND t.status='skipped') AS skipped,"
                " AVG(CASE WHEN t.kind='main' THEN t.score END) AS mean"
                " FROM sessions s LEFT JOIN turns t ON t.session_id = s.id"
                " WHERE s.owner=? GROUP BY s.id ORDER BY s.updated_at DESC", (self.owner,)).fetchall()
        out = []
        for r in rows:
            try:
                topics = json.loads(r["topics"]) if r["topics"] else []
            except (TypeError, ValueError):
                topics = []
            out.append({"id": r["id"], "created_at": r["created_at"], "updated_at": r["updated_at"],
                        "title": r["title"], "topics": topics, "status": r["status"], "planned": r["length"],
                        "answered": int(r["answered"] or 0), "skipped": int(r["skipped"] or 0),
                        "mean_score": None if r["mean"] is None else round(float(r["mean"]), 1)})
        return out

    def unfinished(self) -> list[SessionInfo]:
        """Sessions that can be resumed (newest first)."""
        return self.sessions("active")

    def item(self, sid: str, turn: Turn) -> PlannedQuestion:
        return self.info(sid).plan[turn.position]

    def _pending(self, sid: str, turn_id: int | None = None) -> tuple[SessionInfo, Turn]:
        """The session and its open question; ``turn_id``: the question the user was shown, refused when another is
        open now (a review: another tab's Follow-up made an answer typed for question 2 the follow-up's answer)."""
        info = self.info(sid)
        turn = self.current(sid)
        if turn is None:  # a finished session takes no follow-up either (a walkthrough was told to ask for one)
            raise CoachError(FINISHED if info.status == "finished" else
                             "this session has no open question: start a new session or ask for a follow-up")
        if turn_id is not None and turn.id != turn_id:
            raise CoachError(QUESTION_CHANGED)
        return info, turn

    # ---- acting on the current question ---------------------------------------------------
    def answer(self, sid: str, text: str, turn_id: int | None = None) -> AnswerResult:
        """Grade the answer to the current question (``turn_id``: the one the user was shown, see ``_pending``),
        update the schedule, move on."""
        text = kept_answer(without_surrogates(text))  # storable: an undecodable byte failed the save after grading
        info, turn = self._pending(sid, turn_id)
        item = info.plan[turn.position]
        # a follow-up is graded under its parent question: "Is that right? Explain why or why not." names no topic, and
        # a repair on the parent's topic ("DNS uses port 53") was graded "off topic" against it (a walkthrough); an
        # example follow-up without a gap is graded against the parent's rubric by its id, with the parent's text
        try:
            told = (self._story_followup(sid, turn, item, text) or self._example_followup(sid, turn, item, text)
                    if turn.kind == "followup" and not turn.target else None)
        except UnknownQuestion:  # its source was removed meanwhile: said as for a main question below (a review)
            raise CoachError(REMOVED_SOURCE) from None
        if told is not None:
            grade = told
        elif turn.kind == "followup" and turn.target:
            # graded against the gap it asks about, not the parent question's whole rubric; a gap taken from a rubric
            # drafted from an added source is that source's unreviewed sentence, not a reference the user vouches for
            grade = self.coach.grade_followup(item.question, text, turn.target, vouched=item.reviewed,  # slow: unlocked
                                              known_wrong=self._known_wrong(sid, turn))
            grade = self._other_gap(sid, turn, item, text, grade)
            from coach.grading.feedback import with_sources

            grade.notes = with_sources(grade.notes, item.record_ids)  # the gap's source named, not "an added source"
        else:
            try:
                grade = self.coach.grade(item.question, text, question_id=item.id)  # slow: outside the lock
            except UnknownQuestion:
                # its source was removed meanwhile (a walkthrough's second browser did it): "unknown question id
                # 'draft-git-md-100'" said nothing a user could act on
                raise CoachError(REMOVED_SOURCE) from None
        follow = self._followup_for(grade, text) if self.followups and turn.kind == "main" and _has_gap(grade) else None
        with self._lock, self.db.transaction() as db:
            now = self.clock()
            # another tab or process may have answered, skipped or finished meanwhile (grading ran unlocked)
            row = db.execute("SELECT status FROM turns WHERE id=?", (turn.id,)).fetchone()
            if row is None and turn.kind == "main":
                # taken back by a follow-up asked meanwhile (another window: ``followup``); it is asked again after it
                raise CoachError("a follow-up was asked meanwhile (in another window?), so this question was put after "
                                 "it: your answer was not saved; answer the follow-up, then this question comes back")
            if row is None or row[0] != "pending":
                raise CoachError("this question was already answered, skipped or ended meanwhile (another tab?): "
                                 "your answer was not saved")
            db.execute(
                "UPDATE turns SET status='answered', answer=?, grade=?, score=?, verdict=?, answered_at=? WHERE id=?",
                (text, grade_to_json(grade), grade.score, grade.verdict, now, turn.id),
            )
            if turn.kind == "main":
                self._schedule(db, item, grade.score, now)
            if follow is not None:  # asked before moving on: the next main question waits for it
                self._insert_followup(db, sid, turn, follow, now)
            self._advance(db, info, now)
        graded = next(t for t in self.turns(sid) if t.id == turn.id)
        nxt = self.current(sid)
        return AnswerResult(turn=graded, grade=grade, next=nxt, finished=nxt is None)

    def _resolve_without_grade(self, sid: str, status: str, turn_id: int | None = None) -> tuple[Turn, Turn | None]:
        with self._lock:
            info, turn = self._pending(sid, turn_id)
            with self.db.transaction() as db:
                now = self.clock()
                # checked again inside the transaction: another process may have answered it since
                done = db.execute("UPDATE turns SET status=?, answered_at=? WHERE id=? AND status='pending'",
                                  (status, now, turn.id))
                if done.rowcount != 1:
                    raise CoachError("this question was already answered or ended meanwhile (another tab?)")
                if turn.kind == "main":
                    self._schedule(db, info.plan[turn.position], None, now)
                self._advance(db, info, now)
        return turn, self.current(sid)

    def skip(self, sid: str, turn_id: int | None = None) -> Turn | None:
        """Skip the current question (it comes back in a later session). Returns the next one."""
        return self._resolve_without_grade(sid, "skipped", turn_id)[1]

    def reveal(self, sid: str, turn_id: int | None = None) -> tuple[PlannedQuestion, Turn | None]:
        """"Show answer": the model answer of the current question (counted as missed) and the next one."""
        turn, nxt = self._resolve_without_grade(sid, "revealed", turn_id)
        return self.info(sid).plan[turn.position], nxt

    def hint(self, sid: str) -> str:
        """The next unused hint of the current question."""
        with self._lock:
            info, turn = self._pending(sid)
            hints = had = info.plan[turn.position].hints
            if turn.kind == "followup":
                # a follow-up shares its question's hints: those the question already gave are not given again (a
                # review: the follow-up's first hint was the one shown under question 1)
                parent = self._main_turn(sid, turn)
                hints = hints[parent.hints_used:] if parent is not None else hints
            if turn.hints_used >= len(hints):
                return "No more hints for this question." if had else "No hint is available for this question."
            with self.db.transaction() as db:
                # counted and read in one transaction: two processes pressing Hint at once each get their own hint
                # (read before it, both showed the first and counted two: a review)
                counted = db.execute("UPDATE turns SET hints_used=hints_used+1 WHERE id=? AND hints_used<?",
                                     (turn.id, len(hints))).rowcount
                used = db.execute("SELECT hints_used FROM turns WHERE id=?", (turn.id,)).fetchone()[0]
            return hints[used - 1] if counted else "No more hints for this question."

    def followup(self, sid: str) -> Turn:
        """Ask a follow-up on the last graded main question, targeting its biggest gap."""
        graded = [t for t in self.turns(sid) if t.kind == "main" and t.grade is not None]  # checks the owner
        if self.info(sid).status == "finished":
            raise CoachError(FINISHED)
        if not graded:
            raise CoachError("answer a question first: a follow-up targets the gaps in a graded answer")
        parent = graded[-1]
        waiting = self.current(sid)
        if waiting is not None and waiting.kind == "followup":
            return waiting  # one follow-up at a time: the one already asked
        if any(t.kind == "followup" and t.position == parent.position for t in self.turns(sid)):
            # one follow-up per question: a resumed chat's ":followup" asked question 1's again while question 2
            # waited, and the answer meant for question 2 was graded against question 1's gap (a walkthrough)
            raise CoachError(f"question {parent.position + 1} already had its follow-up"
                             + (f": answer question {waiting.position + 1}" if waiting is not None else ""))
        follow = self._followup_for(parent.grade, parent.answer or "")  # slow (it may ask the LLM): outside the lock
        with self._lock, self.db.transaction() as db:
            # checked again inside the transaction: another tab or process may have finished the session or
            # asked a follow-up meanwhile
            if db.execute("SELECT status FROM sessions WHERE id=?", (sid,)).fetchone()[0] == "finished":
                raise CoachError("this session was finished meanwhile (another tab?)")
            # one follow-up at a time, and one per question: another request may have asked (and the candidate
            # answered) one while this one's follow-up was being written (a review)
            if db.execute("SELECT 1 FROM turns WHERE session_id=? AND kind='followup' AND (status='pending' OR position=?)",
                          (sid, parent.position)).fetchone() is None:
                # the next question, already asked and untouched, is taken back and asked again after the follow-up:
                # asked by hand (after a "no attempt", say), the follow-up came after it in the chat, the export and a
                # reopened session, and the open question was far up the page (a review). One with a hint used stays.
                db.execute("DELETE FROM turns WHERE session_id=? AND kind='main' AND status='pending' AND position>?"
                           " AND hints_used=0", (sid, parent.position))
                self._insert_followup(db, sid, parent, follow, self.clock())
        return self.current(sid)

    def _main_turn(self, sid: str, turn: Turn, has: str = "") -> Turn | None:
        """The main question's turn a follow-up ``turn`` belongs to (its position's), with ``has`` ("grade", "answer")
        set when given."""
        return next((t for t in self.turns(sid) if t.kind == "main" and t.position == turn.position
                     and (not has or getattr(t, has))), None)

    def _known_wrong(self, sid: str, turn: Turn) -> str | None:
        """The known misconception a correction follow-up quotes ("you said “...”. Is that right?"), from its question's
        grade; None when it quotes the judge's flag (often a false alarm) or asks something else."""
        from coach.grading.feedback import is_known_error
        from coach.questions import quoted_wrong, said_in_followup

        said = said_in_followup(turn.question or "")
        parent = self._main_turn(sid, turn, "grade") if said else None
        known = [w for w in (parent.grade.wrong if parent else []) if is_known_error(w) and quoted_wrong(w) == said]
        return known[0]["claim"] if known else None

    def _other_gap(self, sid: str, turn: Turn, item, text: str, grade):
        """A follow-up that asks "What else would you add?" is answered by any point the parent answer left out: a
        walkthrough named two other missing points and was graded 1.0 "off topic" against the one the nudge hinted at.
        Below "correct", the answer is graded against the parent's other unsaid missing points too (at most
        ``OTHER_GAPS``), and the best grade is kept, with a note saying which point it was graded against."""
        from coach.grading.feedback import unsaid_missing
        from coach.questions import ASKS_MORE

        if grade.verdict == "correct" or ASKS_MORE not in (turn.question or ""):
            return grade
        parent = self._main_turn(sid, turn, "grade")
        others = [p for p in (unsaid_missing(parent.grade) if parent else []) if p.strip() != turn.target.strip()]
        best = grade
        for point in others[:OTHER_GAPS]:
            g = self.coach.grade(item.question, text, reference=point, vouched=item.reviewed)  # slow: outside the lock
            if g.score > best.score:
                best = g
        if best is not grade:
            best.notes.append("Graded against the missing point your answer speaks to, not the one the follow-up "
                              "hinted at.")
        return best

    def _example_followup(self, sid: str, turn: Turn, item, text: str):
        """A technical question's follow-up without a gap ("can you give a concrete example from a project where this
        mattered?") asks for an example, and an example read alone against the question's reference is "off topic" (a
        walkthrough's good ``fetchJson<T>(url): Promise<T>`` example was graded 1.0). It is graded as the first answer
        with the example added, and says so. None (graded alone, as before) for an answer that only says the candidate
        does not know, or when there is no first answer."""
        from coach.grading.attempt import is_no_attempt
        from coach.grading.feedback import build_feedback
        from coach.grading.text import MAX_ANSWER_CHARS

        if not text.strip() or is_no_attempt(text, turn.question or ""):
            return None
        parent = self._main_turn(sid, turn, "answer")
        if parent is None:
            return None
        reply = text.strip()
        first = parent.answer.strip()[:max(0, MAX_ANSWER_CHARS - len(reply) - 2)]  # the example is what is read
        grade = self.coach.grade(item.question, f"{first}\n\n{reply}" if first else reply, question_id=item.id)
        grade.notes.append(EXAMPLE_NOTE)
        grade.feedback = build_feedback(grade)
        return grade

    def _story_followup(self, sid: str, turn: Turn, item, text: str):
        """A behavioural question's follow-up ("what did you do yourself, step by step?", "what did you learn?") asks
        for a part of the candidate's own story, and its answer is that part, not a story of its own: graded alone
        against the question, "I would involve our manager earlier." was 0.0 "no attempt" (a walkthrough). Such an
        answer is graded as the story told again with it: the first answer, then this one; a follow-up about a red
        flag asks how the candidate would handle that part now, so the sentence it quotes gives way to the answer.
        None (graded as before) for a technical question, or an answer that only says the candidate does not know."""
        from coach.grading.attempt import is_no_attempt
        from coach.grading.story import REFLECTION, STORY_NOTE
        from coach.grading.text import MAX_ANSWER_CHARS, sentences
        from coach.questions import LOOKING_BACK, STORY_FOLLOWUPS
        from corpus.behavioural import behavioural

        if not text.strip() or is_no_attempt(text, turn.question or ""):
            return None
        parent = self._main_turn(sid, turn, "answer")
        # a prompt known by its phrasing, or one the story model read by its meaning (its grade says so)
        if parent is None or not (behavioural(item.question) or (parent.grade and STORY_NOTE in parent.grade.notes)):
            return None
        story = parent.answer.strip()
        replaced = False
        if parent.grade is not None and parent.grade.wrong and LOOKING_BACK in (turn.question or ""):
            # the sentence the follow-up quotes (the grade's first red flag) gives way, once, found as the story
            # reader split and normalised it (typographic apostrophes, runs of spaces: a review)
            said = _plain(parent.grade.wrong[0].get("said") or "")
            kept = sentences(story)
            hit = next((i for i, sent in enumerate(kept) if said and _plain(sent) == said), None)
            if hit is not None:
                story, replaced = " ".join(kept[:hit] + kept[hit + 1:]), True
        reply = text.strip()
        read_as = ""
        asks_lesson = LOOKING_BACK in (turn.question or "") or turn.question == STORY_FOLLOWUPS[REFLECTION]
        if asks_lesson and _HYPOTHETICAL.match(reply):
            # "I would involve our manager earlier", said to "what would you do differently next time?", means "next
            # time I would ...": read alone, a story reader takes "I would" for habit talk, not for a lesson
            read_as = "Looking back" if LOOKING_BACK in turn.question else "Next time"
            reply = f"{read_as}, {reply}"
        # the reply is what is graded: a first answer near the length cut would push it out of what is read (a review)
        room = max(0, MAX_ANSWER_CHARS - len(reply) - 2)
        cut = len(story) > room
        story = story[:room]
        grade = self.coach.grade(item.question, f"{story}\n\n{reply}" if story else reply, question_id=item.id)
        grade.notes.append("Graded as your story told again with this answer: your first answer"
                           + (" without the part the follow-up asked about" if replaced else "")
                           + (", shortened to leave room for this one" if cut else "")
                           + ", then this one" + (f" (read as \u201c{read_as}, ...\u201d)" if read_as else "") + ".")
        return grade

    def _followup_for(self, grade, answer: str = ""):
        from coach.questions import FollowUp

        f = self.coach.followup(grade, answer)
        return f if isinstance(f, FollowUp) else FollowUp(str(f))

    def _insert_followup(self, db, sid: str, parent: Turn, follow, now: float) -> None:
        db.execute(
            "INSERT INTO turns (session_id, position, kind, question_id, topic, question, status, asked_at, target)"
            " VALUES (?, ?, 'followup', ?, ?, ?, 'pending', ?, ?)",
            (sid, parent.position, parent.question_id, parent.topic, follow.question, now, follow.target),
        )
        db.execute("UPDATE sessions SET status='active', updated_at=? WHERE id=?", (now, sid))

    def discard_if_untouched(self, sid: str) -> bool:
        """Delete a session nothing was done in (no question answered, skipped or revealed, no hint, no Ask): a
        walkthrough's `:help` then `:quit` left an "active 0/8" session in the history for good. Returns whether it
        was deleted; a session with anything in it is kept, resumable."""
        self.info(sid)  # this owner's, or "no session"
        with self._lock, self.db.transaction() as db:
            used = db.execute("SELECT 1 FROM turns WHERE session_id=? AND (status!='pending' OR hints_used>0) LIMIT 1",
                              (sid,)).fetchone() or db.execute("SELECT 1 FROM asks WHERE session_id=? LIMIT 1",
                                                               (sid,)).fetchone()
            if used:
                return False
            db.execute("DELETE FROM turns WHERE session_id=?", (sid,))
            db.execute("DELETE FROM sessions WHERE id=? AND owner=?", (sid, self.owner))
        return True

    def finish(self, sid: str) -> dict:
        """End the session now (unanswered questions stay unasked) and return its summary. A finished session
        is left as it is (read-only: not even its place in the history moves)."""
        self.info(sid)  # this owner's, or "no session"
        with self._lock, self.db.transaction() as db:
            now = self.clock()
            status = db.execute("SELECT status FROM sessions WHERE id=?", (sid,)).fetchone()
            if status is not None and status[0] != "finished":
                db.execute("DELETE FROM turns WHERE session_id=? AND status='pending'", (sid,))
                db.execute("UPDATE sessions SET status='finished', updated_at=? WHERE id=?", (now, sid))
        return self.summary(sid)

    # ---- ask the coach ---------------------------------------------------------------------
    def ask(self, question: str, session_id: str | None = None, cancel: threading.Event | None = None) -> AskReply:
        """A grounded answer to the user's own question; logged once the stream is consumed."""
        question = without_surrogates(question)
        if not question.strip():
            raise CoachError("type a question to ask the coach")
        if session_id is not None and self.info(session_id).status == "finished":  # this owner's session only
            session_id = None  # a finished session is read-only: the question is logged outside it
        cancel = cancel or threading.Event()
        result = self.coach.ask(question, cancel=cancel, hold_back=self._held_back(session_id))

        def stream():
            parts = []
            try:
                for delta in result.stream:
                    parts.append(delta)
                    yield delta
            except GeneratorExit:  # the reader stopped early (UI "Stop", closed tab): stop generating
                cancel.set()
                # what was shown is kept, marked (a review: a stopped answer vanished from the chat and the export)
                try:
                    self._log_ask(session_id, question, "".join(parts).rstrip() + " " + STOPPED, result)
                except CoachError as exc:
                    log.warning("%s", exc)
                raise
            try:
                self._log_ask(session_id, question, "".join(parts), result)
            except CoachError as exc:  # the answer was shown; only its log entry is lost (a full disk)
                log.warning("%s", exc)

        return AskReply(stream=stream(), citations=list(result.citations), warnings=list(result.warnings))

    def _held_back(self, session_id: str | None) -> tuple[str, ...]:
        """The records Ask does not answer from now: those of the session's open question (a follow-up's too), so that
        asking does not show the answer being practised; none outside a session or after its last answer."""
        if session_id is None:
            return ()
        turn = self.current(session_id)
        return tuple(self.info(session_id).plan[turn.position].record_ids) if turn is not None else ()

    def _log_ask(self, session_id, question: str, answer: str, result) -> None:
        with self.db.transaction() as db:
            db.execute(
                "INSERT INTO asks (session_id, question, answer, citations, warnings, created_at, owner)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, question, answer,
                 json.dumps([asdict(c) for c in result.citations], ensure_ascii=False),
                 json.dumps(list(result.warnings), ensure_ascii=False), self.clock(), self.owner),
            )

    def asks(self, sid: str) -> list[dict]:
        self.info(sid)
        with self.db.connect() as db:
            rows = db.execute("SELECT * FROM asks WHERE session_id=? AND owner=? ORDER BY id", (sid, self.owner)).fetchall()
        return [{"question": r["question"], "answer": r["answer"], "citations": json.loads(r["citations"]),
                 "warnings": json.loads(r["warnings"]), "created_at": r["created_at"]} for r in rows]

    # ---- spaced repetition and progress ----------------------------------------------------
    def _schedule(self, db, item: PlannedQuestion, score: float | None, now: float) -> None:
        row = db.execute("SELECT * FROM reviews WHERE owner=? AND question_id=?", (self.owner, item.id)).fetchone()
        state = _review(row) if row else ReviewState(question_id=item.id, topic=item.topic)
        new = review(state, score, now)
        columns = [f for f in new.__dataclass_fields__]
        db.execute(f"INSERT OR REPLACE INTO reviews (owner, {', '.join(columns)}) VALUES (?, {', '.join('?' for _ in columns)})",
                   [self.owner] + [getattr(new, c) for c in columns])

    def review_states(self) -> list[ReviewState]:
        with self.db.connect() as db:
            return [_review(r) for r in db.execute("SELECT * FROM reviews WHERE owner=? ORDER BY due_at", (self.owner,))]

    def due(self, now: float | None = None) -> list[ReviewState]:
        now = self.clock() if now is None else now
        return [s for s in self.review_states() if s.due_at <= now]

    def mastery_history(self) -> list[dict]:
        """Per-topic mastery over time: [{"date", "topic", "mastery" 0..10 or None, "answers", "skipped"}]."""
        with self.db.connect() as db:
            rows = db.execute(
                "SELECT t.topic, t.score, t.answered_at FROM turns t JOIN sessions s ON s.id = t.session_id"
                " WHERE s.owner=? AND t.kind='main' AND t.status!='pending' AND t.answered_at IS NOT NULL"
                " ORDER BY t.answered_at, t.id", (self.owner,)).fetchall()
        return mastery_history([(r["topic"], r["score"], r["answered_at"]) for r in rows])

    def model_answer_now(self, question_id: str, question: str) -> str | None:
        """The question's model answer as its rubric reads now (None: no rubric, a rubric of another question, or a
        coach without rubrics). A
        session keeps the model answer of its start; study cards take this one, so an error reported since
        (the drafted rubric rewritten with the correction) is not taught (a walkthrough's Anki deck was)."""
        bank = getattr(self.coach, "rubrics", None)
        rubric = bank.get(question_id) if bank is not None and hasattr(bank, "get") else None
        if rubric is None or not rubric.model_answer.strip():
            return None
        # an id made from a line number may name another question after its source changed (a review): only the
        # same question's answer is taken
        if not _same_question(rubric.question, question):
            return None
        shown = getattr(self.coach, "shown_model_answer", None)  # a drafted one: its source's answer, code and all
        if shown is not None and rubric.origin == "draft":
            return (shown(rubric) or rubric.model_answer).strip()
        return rubric.model_answer.strip()

    def flags_now(self, record_id: str) -> list[dict] | None:
        """The source audit's flags on a record as they are now (reported errors included), for what a stored
        session quoted from it; None when this coach has no audit or it cannot be read (the stored flags stand)."""
        audit = getattr(self.coach, "audit", None)
        if audit is None or not hasattr(audit, "flags_for"):
            return None
        try:
            return [dict(f) for f in audit.flags_for(record_id)]
        except Exception as exc:  # a courtesy: never lose an export over it
            log.warning("source audit unavailable: %s", exc)
            return None

    def source_titles(self) -> dict[str, str]:
        """{file name: title from its content}, for naming sources in every front end ({} when unknown)."""
        try:
            return dict(self.coach.source_titles())
        except Exception as exc:  # titles are a courtesy: never lose a page over them
            log.warning("source titles unavailable: %s", exc)
            return {}

    def summary(self, sid: str) -> dict:
        from coach.session.summary import session_summary

        return session_summary(self.info(sid), self.turns(sid), {s.question_id: s for s in self.review_states()})


FINISHED = "this session is finished: open it from the history to read or export it, or start a new one"


STOPPED = "[stopped]"  # the end of an Ask answer the user stopped
QUESTION_CHANGED = ("the open question changed (in another tab or window?): nothing was done with this one; "
                    "the open question is shown below")
# what is kept of an answer: grading reads its first 6,000 characters; a 2.5 MB paste was stored, shown and exported
# whole, and the chat holding it was sent to the browser again on every later click (a review)
MAX_KEPT_ANSWER = 20_000


def kept_answer(text: str) -> str:
    """The answer as stored and shown: at most ``MAX_KEPT_ANSWER`` characters, the rest counted."""
    if len(text) <= MAX_KEPT_ANSWER:
        return text
    return f"{text[:MAX_KEPT_ANSWER]}\n[... {len(text) - MAX_KEPT_ANSWER:,} more characters not kept]"


REMOVED_SOURCE = ("this question's source is no longer indexed (it was removed, here or by another user of this coach), so "
                  "the answer cannot be graded: skip the question, or add the source again")
# a reply in the conditional ("I would ...", "I wouldn't ...", "I'd have ...", "I'll ..."): to "what would you do
# differently?", a lesson
_HYPOTHETICAL = re.compile(r"I(?:\s+would(?:n['\u2019]t)?|\s+will|['\u2019]d|['\u2019]ll)(?:\b|(?<=t))")


def _plain(text: str) -> str:
    """A sentence as the story reader compares it: plain apostrophes, single spaces."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split())


OTHER_GAPS = 3  # the parent's other missing points such a follow-up's answer is also graded against


def _has_gap(grade) -> bool:
    """A graded main answer worth a follow-up: something wrong, or not correct with a point missing that the answer
    does not mention (one it says in its words is no gap to ask about: a review)."""
    from coach.grading.feedback import unsaid_missing

    return bool(grade.wrong) or (grade.verdict not in ("correct", "no_attempt", "off_topic") and bool(unsaid_missing(grade)))


def _turn(row) -> Turn:
    return Turn(
        id=row["id"], session_id=row["session_id"], position=row["position"], kind=row["kind"],
        question_id=row["question_id"], topic=row["topic"], question=row["question"], status=row["status"],
        hints_used=row["hints_used"], answer=row["answer"], grade=grade_from_json(row["grade"]),
        asked_at=row["asked_at"], answered_at=row["answered_at"],
        target=row["target"] if "target" in row.keys() else None,
    )


def _review(row) -> ReviewState:
    known = ReviewState.__dataclass_fields__
    return ReviewState(**{k: row[k] for k in row.keys() if k in known})


def _same_question(a: str, b: str) -> bool:
    from coach.grading.text import normalise

    return normalise(a).lower() == normalise(b).lower()
