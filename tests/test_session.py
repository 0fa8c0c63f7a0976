"""Session engine: control flow with a fake Coach (deterministic grades), real SQLite."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
from pathlib import Path

import pytest
from test_session_support import BANK, FakeCoach, RealFollowUps

from coach.errors import CoachError
from coach.session import Database, SessionEngine
from coach.session.db import MIGRATIONS
from coach.session.export import anki_csv, session_json_text, session_markdown
from coach.session.render import grade_md, safe
from coach.session.schedule import DAY, ReviewState, rating_for, review


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
    # automatic follow-ups off: these tests are about planning, scheduling and storage; the follow-up
    # flow (on by default in the product) has tests of its own below
    return SessionEngine(FakeCoach(), clock=clock, followups=False)


@pytest.fixture
def engine_fu(clock):
    return SessionEngine(FakeCoach(), clock=clock)


def test_a_follow_up_is_vouched_for_only_on_a_reviewed_question(clock):
    """A follow-up is graded against its gap as an explicit reference; on a question drafted from an added source
    that gap is the source's own unreviewed sentence, so the grade is told it is not one the user vouches for (no
    role-swap reading of it, the drafted-rubric note; found in a review)."""
    import dataclasses

    for reviewed in (True, False):
        coach = FakeCoach()
        coach.question_bank = lambda topics=None, difficulty=None, r=reviewed: [dataclasses.replace(BANK[0], reviewed=r)]
        engine = SessionEngine(coach, clock=clock)
        first = engine.start(length=1, seed=1)
        assert engine.info(first.session_id).plan[0].reviewed is reviewed
        fu = engine.answer(first.session_id, "it is about nothing").next
        assert fu.kind == "followup" and fu.target
        engine.answer(first.session_id, "still nothing")
        assert coach.graded[-1][2] == fu.target and coach.vouched == [True, reviewed]


def test_a_follow_ups_drafted_note_names_its_questions_source(clock):
    """A walkthrough: a follow-up on a question drafted from its own file said "Graded against key points drafted from
    an added source" (its grade, against one gap, cites nothing), so the user could not tell which file it came from.
    The note is the real grader's; the grade is a stand-in (control flow)."""
    import dataclasses

    from coach.grading.grader import drafted_note

    coach = FakeCoach()
    coach.question_bank = lambda topics=None, difficulty=None: [dataclasses.replace(BANK[0], reviewed=False)]
    fake_grade = coach.grade

    def grade(question, answer, **kw):
        g = fake_grade(question, answer, **kw)
        if kw.get("reference") is not None:
            g.notes = [drafted_note([])]  # what the grader says of a drafted rubric that cites nothing
        return g

    coach.grade = grade
    engine = SessionEngine(coach, clock=clock)
    first = engine.start(length=1, seed=1)
    assert engine.answer(first.session_id, "it is about nothing").next.kind == "followup"
    notes = engine.answer(first.session_id, "still nothing").grade.notes
    assert len(notes) == 1 and notes[0].startswith("Graded against key points drafted from a.txt, not a reviewed rubric:")
    assert notes[0][len("Graded against key points drafted from a.txt"):] == drafted_note([])[len(
        "Graded against key points drafted from an added source"):]


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


def test_the_database_and_a_home_it_makes_are_private_to_this_account(tmp_path):
    """A security review: the home was 755 and coach.sqlite3 644, every browser's answers readable by every local
    account. A home made for the database is 700, the database 600; an older database is tightened on opening."""
    home = tmp_path / "home"
    Database(home / "coach.sqlite3")
    assert (home.stat().st_mode & 0o777) == 0o700 and ((home / "coach.sqlite3").stat().st_mode & 0o777) == 0o600
    old = tmp_path / "old.sqlite3"
    Database(old)
    old.chmod(0o644)
    Database(old)
    assert (old.stat().st_mode & 0o777) == 0o600


def test_a_damaged_database_is_moved_aside_and_a_new_one_started(tmp_path, caplog):
    """A session file SQLite cannot read stopped every front end, the web UI included, with a traceback (a review)."""
    path = tmp_path / "coach.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + b"garbage" * 500)
    db = Database(path)
    assert db.moved_aside is not None and db.moved_aside.read_bytes().startswith(b"SQLite format 3\x00garbage")
    assert db.applied == [m.__name__ for m in MIGRATIONS]  # a new history, fully migrated
    assert "damaged" in caplog.text and str(db.moved_aside) in caplog.text
    assert Database(path).moved_aside is None  # the new file opens as it is


def test_a_read_only_home_shows_sessions_still_in_the_write_ahead_log(tmp_path, clock):
    """Sessions saved before a crash stay in the -wal file until the next writer folds them in: opened read-only
    (``immutable``), SQLite ignored that file and the sessions did not show (a review)."""
    import shutil

    live = tmp_path / "live"
    live.mkdir()
    path = live / "coach.sqlite3"
    db = Database(path)
    holder = sqlite3.connect(path)  # a connection left open, as in a process killed mid-run: no checkpoint at close
    try:
        holder.execute("SELECT count(*) FROM sessions").fetchone()
        engine = SessionEngine(FakeCoach(), db, clock=clock, followups=False)
        t = engine.start(length=2, seed=1)
        engine.answer(t.session_id, "partly")
        assert Path(f"{path}-wal").stat().st_size > 0
        crashed = tmp_path / "crashed"
        crashed.mkdir()
        for suffix in ("", "-wal"):
            shutil.copyfile(f"{path}{suffix}", f"{crashed / path.name}{suffix}")
    finally:
        holder.close()
    before = sorted(p.name for p in crashed.iterdir())
    reader = SessionEngine(FakeCoach(), Database(crashed / path.name, read_only=True), clock=clock, followups=False)
    assert [s.id for s in reader.unfinished()] == [t.session_id]
    assert sorted(p.name for p in crashed.iterdir()) == before  # nothing written beside a read-only file


def test_session_flow_grade_hint_skip_reveal_summary(engine_fu):
    engine = engine_fu
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
    # Grading used the bank question (not the variant phrasing) and its id.
    assert engine.coach.graded[-1][0] == item.question and engine.coach.graded[-1][2] == item.id
    # a gap: the follow-up on it is asked BEFORE the next question (one open question at a time)
    fu = res.next
    assert res.turn.status == "answered" and fu.kind == "followup" and fu.position == 0
    kw = next(i.keyword for i in BANK if i.id == item.id)
    assert fu.target == f"the {kw} part" and [t.status for t in engine.turns(sid)] == ["answered", "pending"]
    assert engine.followup(sid).id == fu.id  # asking again gives the same follow-up, not a second one
    res = engine.answer(sid, f"it is the {kw} part")
    assert engine.coach.graded[-1][2] == fu.target  # graded against the gap, not the whole rubric
    # ... under the parent question: "Is that right? Explain why" names no topic, and a repair on the parent's topic
    # was graded "off topic" against it (a walkthrough)
    assert engine.coach.graded[-1][0] == item.question
    assert res.grade.verdict == "correct" and res.next.kind == "main" and res.next.position == 1
    # one follow-up per question: asked again (a resumed chat's ":followup" while question 2 waits), it is refused,
    # not a second follow-up on question 1 that takes the answer meant for question 2 (a walkthrough)
    with pytest.raises(CoachError, match="question 1 already had its follow-up: answer question 2"):
        SessionEngine(engine.coach, clock=engine.clock).followup(sid)
    assert engine.current(sid).position == 1 and engine.current(sid).kind == "main"

    nxt = engine.skip(sid)
    assert nxt.position == 2
    model, nxt = engine.reveal(sid)
    assert model.model_answer and nxt.position == 3
    res = engine.answer(sid, "partly")
    assert res.next.kind == "followup" and not res.finished  # the last answer's gap is asked about too
    assert engine.skip(sid) is None and engine.info(sid).status == "finished"

    s = engine.summary(sid)
    assert (s["asked"], s["answered"], s["skipped"], s["revealed"], s["followups"]) == (4, 2, 1, 1, 1)
    assert s["average_score"] == round((2 + 5) / 2, 1)  # skipped and revealed are not 0/10 answers
    assert [u["status"] for u in s["unanswered"]] == ["skipped", "revealed"]
    # the first question's gap was answered correctly in its follow-up: not listed to work on; the last one's was
    # skipped: listed (a walkthrough's summary listed a point just given in a follow-up)
    last_kw = next(i.keyword for i in BANK if i.id == info.plan[3].id)
    assert [g.get("missing") for g in s["gaps"]] == [f"the {last_kw} part"], s["gaps"]
    with pytest.raises(CoachError, match="this session is finished: open it from the history"):  # no follow-up offered
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
    assert [t.lead_in for t in engine.turns(a.session_id)] == [t.lead_in for t in engine.turns(b.session_id)]


def test_lead_ins_are_shown_not_stored_or_exported(engine):
    from coach.session.engine import LEAD_INS, lead_in

    leads = {lead_in("dl", seed, 1) for seed in range(40)}
    assert leads == {lead.format(topic="dl") for lead in LEAD_INS}  # every phrasing happens
    assert all(lead_in("dl", seed, 0) == "" for seed in range(40))  # never before the first question
    assert "Let's talk about statistics probability." in {lead_in("statistics_probability", s, 1) for s in range(40)}
    seed = next(s for s in range(100) if lead_in("ml", s, 1) == "Next up:" and lead_in("ml", s, 2))
    sid = engine.start(length=3, seed=seed).session_id
    engine.skip(sid)
    engine.skip(sid)
    turns, plan = engine.turns(sid), engine.info(sid).plan
    assert [t.question for t in turns] == [p.question for p in plan]  # stored as the bank asks it
    assert turns[0].lead_in == "" and turns[1].lead_in == "Next up:" and turns[2].lead_in
    md = session_markdown(engine, sid)
    assert "Next up" not in md and "Let's talk about" not in md and "Here is one on" not in md
    from coach.session.render import question_md

    assert "Next up: What" in question_md(turns[1].question, 2, 3, turns[1].topic, "main", turns[1].lead_in)


def test_migration_strips_stored_lead_ins(tmp_path):
    from coach.session.db import migrate

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
        db.execute("BEGIN")
        for fn in MIGRATIONS[:2]:
            fn(db)
            db.execute("INSERT INTO migrations VALUES (?, 0)", (fn.__name__,))
        db.execute("INSERT INTO sessions (id, created_at, updated_at, status, topics, length, seed, plan) VALUES ('s', 0, 0, 'active', '[]', 2, 1, '[]')")
        for q in ("Next up: What is a ReLU?", "Here is one on dl: What is dropout?", "Let's talk about ml. Why?"):
            db.execute("INSERT INTO turns (session_id, position, kind, question_id, topic, question, status, asked_at)"
                       " VALUES ('s', 0, 'main', 'q', 'dl', ?, 'pending', 0)", (q,))
        db.execute("COMMIT")
        assert "m003_strip_lead_ins" in migrate(db)
        assert [r[0] for r in db.execute("SELECT question FROM turns ORDER BY id")] == ["What is a ReLU?", "What is dropout?", "Why?"]


def test_resume_after_restart(tmp_path, clock):
    coach = FakeCoach()
    e1 = SessionEngine(coach, clock=clock, followups=False)
    t = e1.start(length=3, seed=3)
    e1.answer(t.session_id, "partly")
    e1.hint(t.session_id)
    del e1
    e2 = SessionEngine(FakeCoach(), clock=clock, followups=False)  # a new process: same DB, fresh objects
    assert [s.id for s in e2.unfinished()] == [t.session_id]
    cur = e2.current(t.session_id)
    has_hints = bool(e2.info(t.session_id).plan[1].hints)  # a hint is only counted when one exists
    assert cur.position == 1 and cur.hints_used == int(has_hints)
    done = e2.turns(t.session_id)[0]
    assert done.grade.verdict == "partial" and done.grade.references[0].passage  # grade JSON round-trips
    e2.answer(t.session_id, "x")
    e2.answer(t.session_id, "x")
    assert e2.unfinished() == []


def test_fsrs_schedule():
    assert [rating_for(x) for x in (None, 0, 3.9, 4.0, 6.4, 6.5, 8.4, 8.5, 10)] == [1, 1, 1, 2, 2, 3, 3, 4, 4]
    s = ReviewState("q", "t")
    easy = review(s, 9.0, now=0)
    assert easy.fsrs_state == 2 and easy.last_rating == 4 and easy.interval_days >= 1
    again = review(s, None, now=0)  # skipped: Again, but back tomorrow at the earliest, never "now"
    assert again.interval_days == 1.0 and again.due_at == DAY and again.repetitions == 0
    second = review(easy, 9.0, now=easy.due_at)
    assert second.interval_days > easy.interval_days and second.repetitions == 2  # intervals grow
    lapse = review(second, 2.0, now=second.due_at)
    assert 1 <= lapse.interval_days < second.interval_days and lapse.difficulty > second.difficulty
    assert review(easy, 9.0, now=easy.due_at) == second  # deterministic: no fuzzing


def test_weak_questions_come_back_first_next_session(engine, clock):
    t = engine.start(topics=["dl", "ml"], length=3, seed=5)
    sid = t.session_id
    plan = engine.info(sid).plan
    # Get the first right, the second wrong, skip the third.
    bank = {i.id: i for i in __import__("test_session_support").BANK}
    engine.answer(sid, f"it {bank[plan[0].id].keyword}s")
    engine.answer(sid, "no idea")
    engine.skip(sid)
    assert engine.due() == []  # nothing comes back within the hour (FSRS has no same-day steps here)
    clock.t += 3600
    t2 = engine.start(topics=["dl", "ml"], length=3, seed=99)
    plan2 = [p.id for p in engine.info(t2.session_id).plan]
    assert set(plan2[:2]) == {plan[1].id, plan[2].id} and plan2[2] == plan[0].id  # soonest due first, the known one last
    clock.t += 2 * DAY  # the missed ones are due after a day, the easy one much later
    assert {s.question_id for s in engine.due()} == {plan[1].id, plan[2].id}


def test_migration_turns_sm2_states_into_fsrs_cards(tmp_path):
    from coach.session.db import migrate

    path = tmp_path / "sm2.sqlite3"
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
        db.execute("BEGIN")
        for fn in MIGRATIONS[:3]:
            fn(db)
            db.execute("INSERT INTO migrations VALUES (?, 0)", (fn.__name__,))
        db.execute("INSERT INTO reviews VALUES ('known', 'dl', 3, 15.0, 2.8, 2000.0, 9.0, 1000.0)")
        db.execute("INSERT INTO reviews VALUES ('failed', 'dl', 0, 0.0, 1.3, 1000.0, 2.0, 1000.0)")
        db.execute("COMMIT")
        assert migrate(db)[:2] == ["m004_fsrs_review_states", "m005_owners"]  # the old states become the terminal's
    engine = SessionEngine(FakeCoach(), Database(path))
    states = {s.question_id: s for s in engine.review_states()}
    known, failed = states["known"], states["failed"]
    assert (known.stability, known.fsrs_state, known.due_at) == (15.0, 2, 2000.0)  # due date kept
    assert failed.stability == 0.5 and failed.difficulty == 10.0 and known.difficulty < 5.0
    after = review(known, 9.0, now=known.due_at)
    assert after.interval_days > 15  # reviewed on time and right: the interval grows from the SM-2 one


def test_mastery_over_time(engine, clock):
    t = engine.start(topics=["ml"], length=1, seed=1)
    engine.answer(t.session_id, "no")  # 2/10
    clock.t += DAY
    t = engine.start(topics=["ml"], length=1, seed=1)
    engine.answer(t.session_id, "noise")  # 9/10 -> 0.5*9 + 0.5*2
    hist = engine.mastery_history()
    assert [(p["topic"], p["mastery"]) for p in hist] == [("ml", 2.0), ("ml", 5.5)]  # the scores' 0-10 scale
    assert hist[0]["date"] < hist[1]["date"]


def test_a_session_finished_early_says_so_in_its_summary(engine, clock):
    """A summary's "1 answered question(s) of 1 asked" read as a whole session after Finish on question 1 of 3."""
    from coach.session.render import summary_md, summary_text

    sid = engine.start(topics=["python"], length=2, seed=1).session_id
    engine.answer(sid, "partly")
    s = engine.finish(sid)  # on question 2 of 2: it was never asked
    assert s["planned"] == 2 and s["asked"] == 1
    assert "of 1 asked (finished early: 1 of the 2 planned);" in summary_md(s)
    assert "of 1 (finished early: 1 of the 2 planned);" in summary_text(s)


def test_a_skipped_follow_up_is_counted_as_asked_not_answered(engine_fu, clock):
    """A walkthrough's summary said "0 follow-up(s)" after a follow-up was asked and skipped."""
    from coach.session.render import summary_md

    sid = engine_fu.start(topics=["python"], length=1, seed=1).session_id
    res = engine_fu.answer(sid, "partly")
    assert res.next is not None and res.next.kind == "followup"
    engine_fu.skip(sid)
    s = engine_fu.summary(sid)
    assert (s["followups"], s["followups_asked"]) == (0, 1) and "0 of 1 follow-up(s) answered" in summary_md(s)


def test_skipped_questions_are_apart_from_answers(engine, clock):
    from coach.session.render import summary_md, summary_text

    sid = engine.start(topics=["python"], length=2, seed=1).session_id
    engine.answer(sid, "partly")  # 5/10
    engine.skip(sid)
    s = engine.summary(sid)
    assert s["average_score"] == 5.0 and s["by_topic"] == {"python": 5.0} and s["skipped"] == 1
    assert len(s["unanswered"]) == 1 and s["unanswered"][0]["status"] == "skipped"
    assert "over 1 answered question(s) of 2 asked" in summary_md(s) and "skipped: What is" in summary_text(s)
    assert "finished early" not in summary_md(s) + summary_text(s)  # the whole plan was asked
    (point,) = engine.mastery_history()
    assert (point["mastery"], point["answers"], point["skipped"]) == (5.0, 1, 1)
    only_skips = engine.start(topics=["dl"], length=1, seed=1).session_id
    engine.skip(only_skips)
    dl = [p for p in engine.mastery_history() if p["topic"] == "dl"]
    assert dl == [{"date": dl[0]["date"], "topic": "dl", "mastery": None, "answers": 0, "skipped": 1}]


def test_exports(engine):
    t = engine.start(topics=["dl"], length=2, seed=2)
    sid = t.session_id
    engine.answer(sid, "I do not know, <b>bold</b>")
    reply = engine.ask("What is overfitting?", session_id=sid)
    assert "".join(reply.stream) == "The answer is grounded." and reply.warnings
    engine.reveal(sid)
    md = session_markdown(engine, sid)
    assert "Score 2.0/10 · Incorrect" in md and "Session summary" in md
    # Markdown escaping only (no entities): "<" is backslash-escaped, so it is never raw HTML
    assert "&#" not in md and "&lt;" not in md and "\\<script>" in md and "\\<b>bold" in md
    assert "The answer is grounded." in md
    data = json.loads(session_json_text(engine, sid))
    assert data["turns"][0]["grade"]["score"] == 2.0 and data["summary"]["revealed"] == 1
    text = anki_csv(engine, sid)
    assert text.startswith("#separator:comma\n#html:false\n")
    rows = list(csv.reader(io.StringIO("".join(l for l in text.splitlines(True) if not l.startswith("#")))))
    plan = engine.info(sid).plan
    assert [r[0] for r in rows] == [p.question for p in plan]  # both missed (2/10 and revealed)
    assert all(len(r) == 2 for r in rows) and rows[0][1].startswith(plan[0].model_answer)
    assert "Source: Notes on <ML> (a.txt) lines" in rows[0][1]  # the source's title beside its file name


def test_escaping_of_untrusted_text(engine):
    t = engine.start(topics=["ml"], length=1, seed=1)
    g = engine.answer(t.session_id, "x").grade
    md = grade_md(g, engine.source_titles())
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "Source flagged" in md and "Notes on &lt;ML&gt; · a.txt:3-5" in md
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


def test_two_processes_pressing_hint_at_once_get_each_their_own_hint(engine, clock):
    """The count was read before the transaction that raised it: two processes on one home both showed the first
    hint and counted two (a review). Replayed here: the second process read the turn before the first one's hint."""
    sid = engine.start(topics=["dl"], difficulty=1, length=1, seed=1).session_id
    other = SessionEngine(FakeCoach(), clock=clock)  # another process: its own lock, the same database
    stale = other._pending(sid)
    assert engine.hint(sid) == "It is an activation."
    other._pending = lambda s: stale
    assert other.hint(sid) == "max(0, x)"
    assert other.hint(sid) == "No more hints for this question."
    assert engine.current(sid).hints_used == 2


def test_ask_stopped_early_sets_cancel_and_is_kept_marked_stopped(engine):
    # kept as far as it was shown, marked (a review: a stopped answer vanished from the chat and the export)
    t = engine.start(topics=["ml"], length=1, seed=1)
    seen = {}
    real_ask = engine.coach.ask
    engine.coach.ask = lambda q, cancel=None, hold_back=(): seen.setdefault("cancel", cancel) and real_ask(q, cancel)
    reply = engine.ask("What is overfitting?", session_id=t.session_id)
    assert next(reply.stream) == "The "
    reply.stream.close()
    assert seen["cancel"].is_set() and [a["answer"] for a in engine.asks(t.session_id)] == ["The [stopped]"]


def test_ask_holds_back_the_open_questions_records(engine):
    """A walkthrough: ":ask How many hash slots does Redis Cluster have?" during "How does Redis Cluster distribute
    keys?" quoted that question's whole answer. The engine asks the coach not to answer from the open question's
    records; outside a session, or once it is answered, nothing is held back. (Control flow; the retrieval side is
    tests/test_ask.py.)"""
    t = engine.start(topics=["ml"], length=1, seed=1)
    item = engine.info(t.session_id).plan[0]
    "".join(engine.ask("What is overfitting?", session_id=t.session_id).stream)
    assert engine.coach.held_back == tuple(item.record_ids) and item.record_ids
    "".join(engine.ask("What is overfitting?").stream)
    assert engine.coach.held_back == ()
    engine.answer(t.session_id, "noise")
    "".join(engine.ask("What is overfitting?", session_id=t.session_id).stream)
    assert engine.coach.held_back == ()


def test_sessions_belong_to_their_owner(engine, clock):
    ann, bob = engine.for_owner("browser:ann"), engine.for_owner("browser:bob")
    sid = ann.start(topics=["dl"], length=2, seed=1).session_id
    ann.answer(sid, "partly")
    ann.ask("What is overfitting?", session_id=sid).stream.close()
    assert [s.id for s in ann.unfinished()] == [sid] and bob.unfinished() == [] and bob.sessions() == []
    assert [h["id"] for h in ann.history()] == [sid] and bob.history() == []
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


# ---- two tabs or two terminals on one session (found by a review, 2026-12-03) ------------------------------
def test_a_skip_from_a_second_process_never_overwrites_an_answer(engine):
    """Two `coach chat --resume` processes (two engines, two locks): B reads the open question, A answers it,
    then B's skip must fail instead of marking A's graded answer skipped (it vanished from the export)."""
    other = SessionEngine(engine.coach, clock=engine.clock, followups=False)
    sid = engine.start(["ml", "dl"], None, 2, seed=1).session_id
    pending = SessionEngine._pending

    def pending_then_the_other_answers(sid_, turn_id=None):
        found = pending(other, sid_, turn_id)
        engine.answer(sid_, "it fits noise")  # the first terminal commits meanwhile
        return found

    other._pending = pending_then_the_other_answers
    with pytest.raises(CoachError, match="already answered"):
        other.skip(sid)
    first = engine.turns(sid)[0]
    assert first.status == "answered" and first.answer == "it fits noise"
    assert "it fits noise" in session_markdown(engine, sid)


def test_finishing_while_an_answer_is_graded_is_a_message_not_a_traceback(engine):
    sid = engine.start(["ml"], None, 1, seed=1).session_id
    grade = engine.coach.grade

    def grade_while_finished_elsewhere(*a, **k):
        engine.finish(sid)  # Finish pressed in another tab while the answer was graded
        return grade(*a, **k)

    engine.coach.grade = grade_while_finished_elsewhere
    with pytest.raises(CoachError, match="not saved"):
        engine.answer(sid, "it fits noise")


def test_a_finished_session_stays_as_it_was(engine, clock):
    """Finish on a finished session and Ask beside it change nothing: its place in the history and its
    export stay the same; the question asked is logged outside it."""
    old = engine.start(["ml"], None, 1, seed=1).session_id
    engine.answer(old, "it fits noise")  # the only question: finished
    clock.t += 60
    engine.start(["dl"], None, 1, seed=2)
    before = [s["id"] for s in engine.history()], session_markdown(engine, old)
    clock.t += 60
    engine.finish(old)
    reply = engine.ask("What is overfitting?", session_id=old)
    "".join(reply.stream)
    assert ([s["id"] for s in engine.history()], session_markdown(engine, old)) == before
    assert engine.asks(old) == []


def test_an_undecodable_answer_is_stored_not_lost(engine):
    """A byte the terminal could not decode reaches Python as a lone surrogate, which SQLite cannot store: the
    answer was graded, then lost with a traceback. Now it is stored with U+FFFD in its place."""
    sid = engine.start(["ml"], None, 1, seed=1).session_id
    res = engine.answer(sid, "caf\udce9 noise")
    assert res.turn.status == "answered" and res.turn.answer == "caf\ufffd noise"


def test_two_processes_opening_a_new_database_at_once(tmp_path):
    """Both read the list of applied migrations before either applied one: the second failed with "table
    sessions already exists". A migration is now checked again inside its transaction."""
    import coach.session.db as dbmod

    path = tmp_path / "c.sqlite3"
    real = dbmod.migrate

    class RivalFirst:  # the other process applies every migration just before this one's first BEGIN
        def __init__(self, db):
            self.db, self.raced = db, False

        def execute(self, sql, *args):
            if sql == "BEGIN IMMEDIATE" and not self.raced:
                self.raced = True
                real(sqlite3.connect(path, isolation_level=None))
            return self.db.execute(sql, *args)

    dbmod.migrate = lambda db: real(RivalFirst(db))
    try:
        second = Database(path)
    finally:
        dbmod.migrate = real
    assert second.applied == []
    with sqlite3.connect(path) as db:
        assert [r[0] for r in db.execute("SELECT name FROM migrations ORDER BY rowid")] == [m.__name__ for m in MIGRATIONS]


def test_summary_lists_a_wrong_claim_with_its_correction():
    # A walkthrough's terminal summary said "to work on: <the candidate's wrong sentence>" with no correction, as if
    # the wrong sentence were a point to study.
    from coach.session.render import summary_md, summary_text

    s = {"title": "t", "average_score": 2.0, "answered": 1, "asked": 1, "skipped": 0, "revealed": 0, "followups": 0,
         "by_topic": {}, "unanswered": [], "next_reviews": [],
         "gaps": [{"question": "What is a Type II error?", "wrong": "A Type II error is rejecting a true null.",
                   "correction": "A Type II error is failing to reject a false null."},
                  {"question": "What is a p-value?", "missing": "It is computed assuming the null is true."}]}
    text = summary_text(s)
    assert ('to work on: you said: "A Type II error is rejecting a true null." → correct: A Type II error is failing '
            'to reject a false null. (What is a Type II error?)') in text
    assert "to work on: missing: It is computed assuming the null is true. (What is a p-value?)" in text
    md = summary_md(s)
    assert '- you said: "A Type II error is rejecting a true null." → correct: A Type II error is failing' in md


def test_the_summary_does_not_send_the_candidate_to_learn_what_they_said(engine, monkeypatch):
    # a walkthrough's summary said "to work on: missing: ..." for points its answers had stated (not credited)
    from coach.grading.types import Grade

    said, unsaid = "The point the answer made in its words.", "The point nobody mentioned."
    monkeypatch.setattr(engine.coach, "grade", lambda *a, **k: Grade(
        score=3.0, verdict="incorrect", feedback="", missing=[said, unsaid], unconfirmed=[said]))
    sid = engine.start(length=1, seed=1).session_id
    engine.answer(sid, "an answer")
    assert [g.get("missing") for g in engine.summary(sid)["gaps"]] == [unsaid]


def test_the_summary_lists_a_wrong_sentence_said_in_a_follow_up(engine_fu, monkeypatch):
    """A walkthrough's follow-up answer "VACUUM also rebuilds every index ..." was graded 2.0 with it under "What is
    wrong", and the session summary did not list it: only main answers' gaps were read. A follow-up repeating its
    question's wrong sentence lists it once. The grades are stand-ins (control flow)."""
    from coach.grading.types import Grade

    main_wrong = {"claim": "VACUUM deletes the table.", "correction": "VACUUM removes dead row versions."}
    fu_wrong = {"claim": "VACUUM rebuilds every index.", "correction": "VACUUM updates the visibility map."}

    def grade(question, answer, **kw):
        if kw.get("reference") is None:
            return Grade(score=2.0, verdict="incorrect", feedback="", question=question, wrong=[dict(main_wrong)],
                         missing=["the gap"])
        return Grade(score=2.0, verdict="incorrect", feedback="", question=question, missing=[kw["reference"]],
                     wrong=[dict(fu_wrong), dict(main_wrong)])

    monkeypatch.setattr(engine_fu.coach, "grade", grade)
    sid = engine_fu.start(length=1, seed=1).session_id
    assert engine_fu.answer(sid, "an answer").next.kind == "followup"
    engine_fu.answer(sid, "a wrong follow-up answer")
    wrong = [g["wrong"] for g in engine_fu.summary(sid)["gaps"] if "wrong" in g]
    assert wrong == [main_wrong["claim"], fu_wrong["claim"]], wrong


def test_the_summary_lists_known_misconceptions_first_and_says_how_many_more(engine, monkeypatch):
    """A walkthrough: the summary showed its first eight gaps in question order, so the session's two stated
    misconceptions (the last questions) were not among them; the export lists every gap."""
    from coach.grading.types import Grade
    from coach.session.export import session_markdown
    from coach.session.render import summary_md, summary_text

    grades = iter([
        Grade(score=5.0, verdict="partial", feedback="", missing=[f"Point {i} of the first answer." for i in range(2)],
              wrong=[{"claim": "A correct sentence the judge flagged.", "correction": "Its key point.",
                      "confidence": 0.9}]),
        Grade(score=2.0, verdict="incorrect", feedback="", missing=["Point of the second answer."],
              wrong=[{"claim": "The judge's other flag.", "correction": "Another key point.", "confidence": 0.97},
                     {"claim": "DNS uses port 35.", "correction": "DNS uses port 53.", "confidence": 0.5,
                      "known_misconception": True}]),
    ])
    monkeypatch.setattr(engine.coach, "grade", lambda *a, **k: next(grades))
    engine.followups = False
    sid = engine.start(length=2, seed=1).session_id
    engine.answer(sid, "first")
    engine.answer(sid, "second")
    gaps = engine.summary(sid)["gaps"]
    assert [g.get("wrong") or g.get("missing") for g in gaps] == [
        "DNS uses port 35.", "The judge's other flag.", "A correct sentence the judge flagged.",
        "Point of the second answer.", "Point 0 of the first answer.", "Point 1 of the first answer."]
    s = engine.summary(sid)
    s["gaps"] = s["gaps"] * 2  # 12: four more than a summary lists
    assert "... and 4 more to work on: the session's export lists every one" in summary_text(s)
    assert "and 4 more to work on" in summary_md(s) and "more to work on" not in summary_md(s, all_gaps=True)
    assert "and 4 more" not in session_markdown(engine, sid)  # 6 gaps: all listed


def test_a_follow_up_asking_what_else_is_graded_against_any_point_left_out(clock):
    """A walkthrough answered "What else would you add?" with two other points its answer had left out and was graded
    1.0 "off topic" against the one point the nudge hinted at. (Control flow: the fake grades a gap as right when the
    answer names it.)"""
    from coach.questions import ASKS_MORE

    def two_gaps(g):
        if g.verdict == "partial":
            g.missing = ["the scheduler picks a node", "the controller manager reconciles"]

    coach = RealFollowUps(two_gaps)
    engine = SessionEngine(coach, clock=clock)
    sid = engine.start(topics=["python"], length=1, seed=1).session_id
    fu = engine.answer(sid, "partly").next
    assert fu.kind == "followup" and ASKS_MORE in fu.question
    other = next(p for p in ["the scheduler picks a node", "the controller manager reconciles"] if p != fu.target)
    res = engine.answer(sid, f"Also {other}.")
    assert res.grade.verdict == "correct" and coach.graded[-1][2] == other, coach.graded[-3:]
    assert "Graded against the missing point your answer speaks to" in res.grade.notes[-1]


def test_a_home_the_coach_makes_is_private(tmp_path):
    """A review: the index's first write created COACH_HOME with the default umask (755) before the session database
    could make it private; the coach makes it 700 when it creates it."""
    from coach.config import load_settings
    from coach.service import Coach

    home = tmp_path / "new" / "home"
    Coach(load_settings(home=home))
    assert (home.stat().st_mode & 0o777) == 0o700


def test_a_follow_up_asked_by_hand_comes_before_the_next_question(engine_fu):
    """A review: a follow-up asked by hand once the next question was on screen (after a correct answer, or a "no
    attempt") came after that question in the chat, the export and a reopened session. The next question, untouched,
    is taken back and asked again after the follow-up; one whose hint was used stays where it is."""
    engine = engine_fu
    sid = engine.start(length=3, seed=7).session_id
    kw = lambda pos: next(i.keyword for i in BANK if i.id == engine.info(sid).plan[pos].id)  # noqa: E731
    res = engine.answer(sid, f"it is the {kw(0)} part")
    assert res.grade.verdict == "correct" and res.next.kind == "main" and res.next.position == 1
    fu = engine.followup(sid)
    assert fu.kind == "followup" and fu.position == 0 and engine.current(sid).id == fu.id
    assert [(t.kind, t.position, t.status) for t in engine.turns(sid)] == [("main", 0, "answered"),
                                                                            ("followup", 0, "pending")]
    res = engine.answer(sid, "some more detail")
    assert res.next.kind == "main" and res.next.position == 1  # question 2 asked again, after the follow-up
    assert [(t.kind, t.position) for t in engine.turns(sid)] == [("main", 0), ("followup", 0), ("main", 1)]
    assert "Follow-up" in session_markdown(engine, sid).split("Question 2")[0]  # the export in that order too
    # with a hint used on the next question, it is kept where it is (its hint count stays with it)
    res = engine.answer(sid, f"it is the {kw(1)} part")
    assert res.next.position == 2
    assert engine.info(sid).plan[2].hints  # seed 7: question 3 has hints
    engine.hint(sid)
    fu2 = engine.followup(sid)
    assert [(t.kind, t.position) for t in engine.turns(sid)][-2:] == [("main", 2), ("followup", 1)]
    assert engine.current(sid).id == fu2.id


def test_a_follow_up_does_not_give_the_hints_its_question_gave(engine_fu):
    """A review: the follow-up's first hint was the one already shown under its question."""
    engine = engine_fu
    sid = engine.start(length=3, seed=5).session_id  # q1, q2, q4: each has hints
    hints = engine.info(sid).plan[0].hints
    first = engine.hint(sid)
    assert first == hints[0]
    res = engine.answer(sid, "no clue at all")
    assert res.next.kind == "followup"
    later = [engine.hint(sid) for _ in range(len(hints))]
    assert first not in later and later[: len(hints) - 1] == hints[1:]
    assert later[-1] == "No more hints for this question."


def test_an_answer_to_a_question_a_follow_up_took_back_says_so(engine_fu):
    """A review: another window's follow-up took back the question being answered here; the refusal said "already
    answered, skipped or ended"."""
    engine = engine_fu
    other = SessionEngine(engine.coach, clock=engine.clock)
    sid = engine.start(length=3, seed=7).session_id
    kw = next(i.keyword for i in BANK if i.id == engine.info(sid).plan[0].id)
    engine.answer(sid, f"it is the {kw} part")
    grade = engine.coach.grade

    def follow_up_meanwhile(*a, **k):
        other.followup(sid)
        return grade(*a, **k)

    engine.coach.grade = follow_up_meanwhile
    with pytest.raises(CoachError, match="a follow-up was asked meanwhile"):
        engine.answer(sid, "an answer typed for question 2")
    assert engine.current(sid).kind == "followup"


def test_a_yes_to_the_known_error_a_follow_up_quotes_is_graded_as_that_error(clock):
    """The engine tells ``Coach.grade_followup`` which known misconception a correction follow-up quotes, from its
    question's grade, so an answer that says yes to it is graded as saying it (experiment 77b); a follow-up quoting the
    judge's flag (often a false alarm) tells none, so a yes to it is graded as any answer (a walkthrough's correct "Yes,
    ..." to a flagged correct sentence was capped at 2). The real grader's reading: tests/test_followup.py. The grades
    under it are stand-ins (control flow)."""
    said = "the GIL runs threads in parallel"
    for how, known in (({"how": "states a known misconception", "known_misconception": True}, True),
                       ({"how": "contradicts the reference", "confidence": 0.97}, False)):
        coach = RealFollowUps(lambda g, how=how: setattr(
            g, "wrong", [{"claim": said, "said": said + ".", "correction": "the lock part", **how}]))
        engine = SessionEngine(coach, clock=clock)
        sid = engine.start(topics=["python"], length=1, seed=1).session_id
        fu = engine.answer(sid, "partly").next
        assert fu.kind == "followup" and f"“{said}”. Is that right?" in fu.question
        g = engine.answer(sid, "Yes, that's right: the lock part is what makes them parallel.").grade
        assert coach.known_wrong == (said if known else None)
        if known:
            assert g.verdict == "incorrect" and g.score <= 2.0 and g.wrong[0]["claim"] == said
            assert engine.turns(sid)[-1].grade.verdict == "incorrect"  # stored as graded
        else:
            assert g.verdict == "correct" and not g.wrong  # the stand-in's grade for naming the gap


def test_an_example_given_to_a_follow_up_is_graded_with_the_first_answer(engine_fu):
    """A walkthrough answered "can you give a concrete example ...?" with a good example and was graded 1.0 "off topic":
    read alone against the question's reference, an example is about something else. It is graded as the first answer
    with the example added, and says so; "I don't know" is graded alone (control flow: the grades are stand-ins)."""
    from coach.session.engine import EXAMPLE_NOTE

    for reply, joined in (("In one project this mattered when the cache filled up.", True), ("I don't know.", False)):
        first = engine_fu.start(topics=["python"], length=2, seed=1)
        sid = first.session_id
        answer = f"It is a {BANK[[i.id for i in BANK].index(first.question_id)].keyword} thing."
        assert engine_fu.answer(sid, answer).grade.verdict == "correct"
        fu = engine_fu.followup(sid)
        assert fu.kind == "followup" and not fu.target
        g = engine_fu.answer(sid, reply).grade
        graded = engine_fu.coach.graded[-1][1]
        if joined:
            assert graded == f"{answer}\n\n{reply}" and EXAMPLE_NOTE in g.notes and g.verdict == "correct"
        else:
            assert graded == reply and EXAMPLE_NOTE not in g.notes
