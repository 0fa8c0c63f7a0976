"""Session engine: control flow with a fake Coach (deterministic grades), real SQLite."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading

import pytest
from test_session_support import FakeCoach

from coach.errors import CoachError
from coach.session import Database, SessionEngine
from coach.session.db import MIGRATIONS
from coach.session.export import anki_csv, session_json_text, session_markdown
from coach.session.render import grade_md, safe
from coach.session.schedule import DAY, ReviewState, quality_from_score, review


class Clock:
    def __init__(self, t=1_700_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def engine(clock):
    return SessionEngine(FakeCoach(), clock=clock)


def test_migrations_are_named_and_applied_once(tmp_path):
    path = tmp_path / "c.sqlite3"
    first = Database(path)
    assert first.applied == [m.__name__ for m in MIGRATIONS] and len(first.applied) >= 2
    second = Database(path)
    assert second.applied == []
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM migrations ORDER BY rowid")]
        cols = [r[1] for r in db.execute("PRAGMA table_info(sessions)")]
    assert names == [m.__name__ for m in MIGRATIONS]
    assert "title" in cols  # the second migration ran after the first


def test_session_flow_grade_hint_skip_reveal_summary(engine):
    first = engine.start(topics=["dl", "python"], length=4, seed=7)
    sid = first.session_id
    info = engine.info(sid)
    assert len(info.plan) == 4 and {p.topic for p in info.plan} <= {"dl", "python"}
    assert first.question.endswith(info.plan[0].question)  # variant lead-in + the bank question

    item = info.plan[0]
    if item.hints:
        assert engine.hint(sid) == item.hints[0]
    res = engine.answer(sid, "it is about nothing")
    assert res.grade.verdict == "incorrect" and res.grade.score == 2.0
    assert res.turn.status == "answered" and res.next.position == 1
    # Grading used the bank question (not the variant phrasing) and its id.
    assert engine.coach.graded[-1][0] == item.question and engine.coach.graded[-1][2] == item.id

    fu = engine.followup(sid)
    assert fu.kind == "followup" and "Follow-up" in fu.question and engine.current(sid).id == fu.id
    res = engine.answer(sid, "partly this")
    assert res.grade.verdict == "partial" and res.next.kind == "main" and res.next.position == 1

    nxt = engine.skip(sid)
    assert nxt.position == 2
    model, nxt = engine.reveal(sid)
    assert model.model_answer and nxt.position == 3
    res = engine.answer(sid, "partly")
    assert res.finished and res.next is None and engine.info(sid).status == "finished"

    s = engine.summary(sid)
    assert (s["asked"], s["answered"], s["skipped"], s["revealed"], s["followups"]) == (4, 2, 1, 1, 1)
    assert s["average_score"] == round((2 + 0 + 0 + 5) / 4, 1)
    with pytest.raises(CoachError):
        engine.answer(sid, "too late")


def test_filters_and_bad_input(engine):
    t = engine.start(topics=["python"], difficulty=3, length=5, seed=1)
    assert [p.id for p in engine.info(t.session_id).plan] == ["q5"]  # only one matches; length shrinks
    with pytest.raises(CoachError, match="no questions"):
        engine.start(topics=["cooking"])
    with pytest.raises(CoachError, match="length"):
        engine.start(length=0)
    with pytest.raises(CoachError, match="difficulty"):
        engine.start(difficulty=7)


def test_variant_is_deterministic(engine):
    a = engine.start(length=5, seed=42)
    b = engine.start(length=5, seed=42)
    assert [p.id for p in engine.info(a.session_id).plan] == [p.id for p in engine.info(b.session_id).plan]
    assert a.question == b.question


def test_resume_after_restart(tmp_path, clock):
    coach = FakeCoach()
    e1 = SessionEngine(coach, clock=clock)
    t = e1.start(length=3, seed=3)
    e1.answer(t.session_id, "partly")
    e1.hint(t.session_id)
    del e1
    e2 = SessionEngine(FakeCoach(), clock=clock)  # a new process: same DB, fresh objects
    assert [s.id for s in e2.unfinished()] == [t.session_id]
    cur = e2.current(t.session_id)
    has_hints = bool(e2.info(t.session_id).plan[1].hints)  # a hint is only counted when one exists
    assert cur.position == 1 and cur.hints_used == int(has_hints)
    done = e2.turns(t.session_id)[0]
    assert done.grade.verdict == "partial" and done.grade.references[0].passage  # grade JSON round-trips
    e2.answer(t.session_id, "x")
    e2.answer(t.session_id, "x")
    assert e2.unfinished() == []


def test_sm2_schedule():
    s = ReviewState("q", "t")
    assert quality_from_score(None) == 0 and quality_from_score(9.0) == 4 and quality_from_score(10) == 5
    s1 = review(s, 10.0, now=0)
    s2 = review(s1, 10.0, now=DAY)
    s3 = review(s2, 10.0, now=7 * DAY)
    assert (s1.interval_days, s2.interval_days) == (1.0, 6.0)
    assert s3.interval_days == round(6.0 * s3.ease, 2) and s3.ease == pytest.approx(2.8)
    failed = review(s3, 2.0, now=8 * DAY)
    assert failed.repetitions == 0 and failed.due_at == 8 * DAY and failed.ease < s3.ease
    assert review(ReviewState("q", "t", ease=1.3), 0, now=0).ease == 1.3  # floor


def test_weak_questions_come_back_first_next_session(engine, clock):
    t = engine.start(topics=["dl", "ml"], length=3, seed=5)
    sid = t.session_id
    plan = engine.info(sid).plan
    # Get the first right, the second wrong, skip the third.
    bank = {i.id: i for i in __import__("test_session_support").BANK}
    engine.answer(sid, f"it {bank[plan[0].id].keyword}s")
    engine.answer(sid, "no idea")
    engine.skip(sid)
    due = {s.question_id for s in engine.due()}
    assert due == {plan[1].id, plan[2].id}
    clock.t += 3600
    t2 = engine.start(topics=["dl", "ml"], length=3, seed=99)
    plan2 = [p.id for p in engine.info(t2.session_id).plan]
    assert set(plan2[:2]) == {plan[1].id, plan[2].id} and plan2[2] == plan[0].id  # the known one last
    clock.t += 2 * DAY  # the correct one is due after 1 day: now all three are due, oldest due first
    assert {s.question_id for s in engine.due()} == {p.id for p in plan}


def test_mastery_over_time(engine, clock):
    t = engine.start(topics=["ml"], length=1, seed=1)
    engine.answer(t.session_id, "no")  # 2/10
    clock.t += DAY
    t = engine.start(topics=["ml"], length=1, seed=1)
    engine.answer(t.session_id, "noise")  # 9/10 -> 0.5*0.9 + 0.5*0.2
    hist = engine.mastery_history()
    assert [(p["topic"], p["mastery"]) for p in hist] == [("ml", 0.2), ("ml", 0.55)]
    assert hist[0]["date"] < hist[1]["date"]


def test_exports(engine):
    t = engine.start(topics=["dl"], length=2, seed=2)
    sid = t.session_id
    engine.answer(sid, "I do not know, <b>bold</b>")
    reply = engine.ask("What is overfitting?", session_id=sid)
    assert "".join(reply.stream) == "The answer is grounded." and reply.warnings
    engine.reveal(sid)
    md = session_markdown(engine, sid)
    assert "Score 2.0/10" in md and "incorrect" in md and "Session summary" in md
    assert "<script>" not in md and "&lt;script&gt;" in md and "&lt;b&gt;bold" in md
    assert "The answer is grounded." in md
    data = json.loads(session_json_text(engine, sid))
    assert data["turns"][0]["grade"]["score"] == 2.0 and data["summary"]["revealed"] == 1
    text = anki_csv(engine, sid)
    assert text.startswith("#separator:comma\n#html:false\n")
    rows = list(csv.reader(io.StringIO("".join(l for l in text.splitlines(True) if not l.startswith("#")))))
    plan = engine.info(sid).plan
    assert [r[0] for r in rows] == [p.question for p in plan]  # both missed (2/10 and revealed)
    assert all(len(r) == 2 for r in rows) and rows[0][1].startswith(plan[0].model_answer)
    assert "Source: a.txt lines" in rows[0][1]


def test_escaping_of_untrusted_text(engine):
    t = engine.start(topics=["ml"], length=1, seed=1)
    g = engine.answer(t.session_id, "x").grade
    md = grade_md(g)
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "Source flagged" in md and "a.txt:3-5" in md
    assert safe("[x](javascript:alert(1)) *b* `c` $m$") == "&#91;x&#93;(javascript:alert(1)) &#42;b&#42; &#96;c&#96; &#36;m&#36;"


def test_two_sessions_are_isolated_under_concurrency(engine):
    a = engine.start(topics=["dl"], length=2, seed=1).session_id
    b = engine.start(topics=["python"], length=2, seed=1).session_id
    errors = []

    def run(sid, text):
        try:
            for _ in range(2):
                engine.answer(sid, text)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a, "partly")), threading.Thread(target=run, args=(b, "nope"))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert [t.grade.verdict for t in engine.turns(a)] == ["partial", "partial"]
    assert [t.grade.verdict for t in engine.turns(b)] == ["incorrect", "incorrect"]
    assert {t.topic for t in engine.turns(a)} == {"dl"} and {t.topic for t in engine.turns(b)} == {"python"}


def test_hints_in_order_and_persisted(engine, clock):
    t = engine.start(topics=["dl"], difficulty=1, length=1, seed=1)  # only q2, which has two hints
    sid = t.session_id
    assert [engine.hint(sid) for _ in range(3)] == ["It is an activation.", "max(0, x)", "No more hints for this question."]
    assert SessionEngine(FakeCoach(), clock=clock).current(sid).hints_used == 2


def test_ask_stopped_early_sets_cancel_and_is_not_logged(engine):
    t = engine.start(topics=["ml"], length=1, seed=1)
    seen = {}
    real_ask = engine.coach.ask
    engine.coach.ask = lambda q, cancel=None: seen.setdefault("cancel", cancel) and real_ask(q, cancel)
    reply = engine.ask("What is overfitting?", session_id=t.session_id)
    assert next(reply.stream) == "The "
    reply.stream.close()
    assert seen["cancel"].is_set() and engine.asks(t.session_id) == []


def test_sessions_belong_to_their_owner(engine, clock):
    ann, bob = engine.for_owner("browser:ann"), engine.for_owner("browser:bob")
    sid = ann.start(topics=["dl"], length=2, seed=1).session_id
    ann.answer(sid, "partly")
    ann.ask("What is overfitting?", session_id=sid).stream.close()
    assert [s.id for s in ann.unfinished()] == [sid] and bob.unfinished() == [] and bob.sessions() == []
    for act in (bob.info, bob.turns, bob.current, bob.hint, bob.skip, bob.reveal, bob.followup, bob.finish,
                bob.summary, bob.asks, lambda s: bob.answer(s, "max")):
        with pytest.raises(CoachError, match="no session"):  # the same answer as for an id that does not exist
            act(sid)
    assert bob.mastery_history() == [] and bob.review_states() == [] and bob.due(clock.t + 10 * DAY) == []
    assert ann.mastery_history() and len(ann.review_states()) == 1
    assert [t.status for t in ann.turns(sid)] == ["answered", "pending"]  # bob changed nothing
    assert engine.unfinished() == []  # the terminal's own owner ("local") sees neither


def test_sessions_from_before_owners_belong_to_the_terminal(tmp_path, clock):
    from coach.session.db import migrate

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path, isolation_level=None) as db:  # a database as the previous version left it
        names = [m.__name__ for m in MIGRATIONS]
        db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
        for fn in MIGRATIONS[: names.index("m002_session_title") + 1]:
            db.execute("BEGIN")
            fn(db)
            db.execute("INSERT INTO migrations VALUES (?, 0)", (fn.__name__,))
            db.execute("COMMIT")
        db.execute("INSERT INTO sessions (id, created_at, updated_at, status, topics, length, seed, plan, title)"
                    " VALUES ('old1', 1, 1, 'active', '[]', 1, 1, '[]', 'Old')")
        db.execute("INSERT INTO reviews VALUES ('q1', 'ml', 1, 1.0, 2.5, 5, 9.0, 1)")
        assert migrate(db)  # the new migrations apply on top
    engine = SessionEngine(FakeCoach(), Database(path), clock=clock)
    assert [s.id for s in engine.unfinished()] == ["old1"] and engine.review_states()[0].question_id == "q1"
    assert engine.for_owner("browser:x").unfinished() == [] and engine.for_owner("browser:x").review_states() == []
