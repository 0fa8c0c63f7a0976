"""`coach sessions list|export` through click's CliRunner, over the real session engine and a fake Coach
(the fake only stands in for grading: the export formats and the session store are the real ones)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from test_anki_export import read_apkg
from test_session_support import FakeCoach

from coach.cli import cli
from coach.session import SessionEngine


class EvidenceCoach(FakeCoach):
    """Grades as FakeCoach, and a wrong answer carries a wrong claim with its correction and cited lines."""

    def grade(self, question, answer, **kw):
        grade = super().grade(question, answer, **kw)
        if grade.verdict == "incorrect":
            grade.wrong = [{"said": answer, "correction": "The reference says the opposite.",
                            "evidence": {"source": "a.txt", "line_start": 7, "line_end": 8,
                                          "text": "What the source states."}}]
        return grade


@pytest.fixture
def fake(monkeypatch):
    coach = EvidenceCoach()
    monkeypatch.setattr("coach.commands.chat.make_coach", lambda settings: coach)
    monkeypatch.setattr("coach.commands.sessions.make_coach", lambda settings: coach)
    return coach


def cli_run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def a_session(fake) -> str:
    """A two-question terminal session: one wrong answer, one skip; returns its id."""
    result = cli_run("chat", "--topics", "dl", "--length", "2", "--seed", "1", input="it is a guess\n:skip\n:skip\n")
    assert result.exit_code == 0, result.output
    return SessionEngine(fake).history()[0]["id"]


def test_list_shows_the_terminal_sessions_and_not_other_owners(fake):
    assert "No sessions yet" in cli_run("sessions", "list").output
    sid = a_session(fake)
    SessionEngine(fake).for_owner("browser-visitor").start(topics=["dl"], length=1, seed=2)  # someone else's
    out = cli_run("sessions", "list").output
    assert sid in out and "finished" in out and "1/2 answered" in out and "mean  2.0/10" in out
    rows = [json.loads(line) for line in cli_run("sessions", "list", "--json").output.splitlines()]
    assert [r["id"] for r in rows] == [sid] and rows[0]["mean_score"] == 2.0


def test_export_markdown_and_json_carry_the_claim_level_evidence(fake, tmp_path):
    sid = a_session(fake)
    md = cli_run("sessions", "export", "last")
    assert md.exit_code == 0, md.output
    assert md.output.startswith(f"# Interview session {sid}")
    assert "✗ it is a guess → The reference says the opposite." in md.output
    assert "a.txt" in md.output and "7" in md.output and "What the source states." in md.output
    # a folder that does not exist is an error, never made (a walkthrough's typo made /nonexistent-dir at the root)
    for fmt in ("json", "anki"):
        missing = tmp_path / "deep" / "s.json"
        result = cli_run("sessions", "export", sid, "--format", fmt, "--output", str(missing))
        assert result.exit_code == 1 and result.output.strip() == f"Error: cannot write {missing}: its folder does not exist"
        assert not (tmp_path / "deep").exists()
    out = tmp_path / "s.json"
    result = cli_run("sessions", "export", sid, "--format", "json", "--output", str(out))
    assert result.exit_code == 0 and f"Wrote session {sid} (json)" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    graded = [t for t in data["turns"] if t["grade"]]
    assert data["session"]["id"] == sid and graded[0]["grade"]["wrong"][0]["evidence"]["line_start"] == 7
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]  # written through a rename


def test_export_missed_questions_for_anki(fake, tmp_path):
    sid = a_session(fake)
    rows = list(csv.reader(io.StringIO(cli_run("sessions", "export", sid, "--format", "anki-csv").output)))
    assert rows[:2] == [["#separator:comma"], ["#html:false"]] and len(rows) == 4  # wrong + skipped
    deck = tmp_path / "missed.apkg"
    result = cli_run("sessions", "export", sid, "--format", "anki", "-o", str(deck))
    assert result.exit_code == 0 and "Wrote 2 missed question(s)" in result.output
    notes, n_cards, _, _ = read_apkg(deck, tmp_path)
    assert len(notes) == 2 and n_cards == 2
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


@pytest.mark.parametrize("args, message", [
    (["export", "nope"], "Error: no session 'nope'"),
    (["export", "last"], "Error: no sessions yet"),
    (["export", "last", "--format", "anki"], "Error: no sessions yet"),
])
def test_bad_requests_are_one_line(fake, args, message):
    result = cli_run("sessions", *args)
    assert result.exit_code == 1 and result.output.strip().startswith(message)
    assert len(result.output.strip().splitlines()) == 1


def test_an_anki_deck_needs_a_file(fake):
    a_session(fake)
    result = cli_run("sessions", "export", "last", "--format", "anki")
    assert result.exit_code == 1 and result.output.strip() == "Error: an Anki deck is a binary file: give --output FILE.apkg"


def test_another_owners_session_is_unknown(fake):
    other = SessionEngine(fake).for_owner("browser-visitor").start(topics=["dl"], length=1, seed=2).session_id
    result = cli_run("sessions", "export", other)
    assert result.exit_code == 1 and f"no session '{other}'" in result.output


def test_a_session_is_named_by_the_start_of_its_id(fake):
    sid = a_session(fake)
    result = cli_run("sessions", "export", sid[:6], "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output)["session"]["id"] == sid
    assert cli_run("sessions", "export", sid[:3]).output.strip() == f"Error: no session '{sid[:3]}'"  # too short


def test_study_cards_take_the_model_answer_as_its_rubric_reads_now(fake):
    """A walkthrough's Anki deck, exported after it reported a source's errors, still taught them: a session keeps
    the model answer of its start, and the cards took that one."""
    from types import SimpleNamespace

    sid = a_session(fake)
    before = cli_run("sessions", "export", sid, "--format", "anki-csv").output
    assert "### Model answer now" not in cli_run("sessions", "export", sid).output  # nothing changed yet
    missed = {row[0] for row in csv.reader(io.StringIO(before)) if not row[0].startswith("#")}
    from test_session_support import BANK

    questions = {i.id: i.question for i in BANK}
    fake.rubrics = SimpleNamespace(get=lambda qid: SimpleNamespace(question=questions[qid],
                                                                  model_answer=f"The corrected answer to {qid}."))
    rows = list(csv.reader(io.StringIO(cli_run("sessions", "export", sid, "--format", "anki-csv").output)))[2:]
    by_question = {q: i for i, q in questions.items()}
    assert {r[0] for r in rows} == missed
    assert all(r[1].startswith(f"The corrected answer to {by_question[r[0]]}.") for r in rows)
    md = cli_run("sessions", "export", sid).output  # the Markdown record says what the answer reads now, beside it
    assert md.count("### Model answer now") == len(missed) and "The corrected answer to" in md
    # a rubric that now asks another question under that id (its source changed) is not taken (a review)
    fake.rubrics = SimpleNamespace(get=lambda qid: SimpleNamespace(question="Another question?", model_answer="Other."))
    again = cli_run("sessions", "export", sid, "--format", "anki-csv").output
    assert again == before and "Other." not in again
    assert "### Model answer now" not in cli_run("sessions", "export", sid).output


def test_an_anki_deck_gets_the_mode_of_a_new_file_and_the_csv_holds_no_code_fences(fake, tmp_path):
    """A walkthrough: the deck was written 0600 while every other export was 0644 (mkstemp's mode), and the CSV, a
    plain-text file (``#html:false``), showed "```java" on its cards."""
    import os
    import stat

    from coach.session.export import _unfenced

    sid = a_session(fake)
    deck = tmp_path / "missed.apkg"
    old = os.umask(0o022)
    try:
        assert cli_run("sessions", "export", sid, "--format", "anki", "-o", str(deck)).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(deck.stat().st_mode) == 0o644
    assert _unfenced("Use a loop:\n```java\nfor (int i = 0; i < n; i++) {}\n```\nDone.") == \
        "Use a loop:\nfor (int i = 0; i < n; i++) {}\nDone."
