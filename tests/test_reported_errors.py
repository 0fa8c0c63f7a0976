"""Errors the user reports in a source (``coach/audit/reported.py``): the audit cannot verify every statement of
fact on a new document, so the user can say "this sentence is wrong, this is true". Real models, a real added
source; the source is written here and nothing in the code is keyed to it. The tests share one home: each one
withdraws what it reported, and the one that changes the source runs last."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from coach.config import load_settings
from coach.errors import CoachError
from coach.service import Coach

SOURCE = """# SQL interview notes

## 1. What is the difference between WHERE and HAVING?

The WHERE clause filters individual rows before they are grouped, while the HAVING clause filters groups after the GROUP BY aggregation has been computed.

## 2. What is a primary key?

A **primary key** can contain NULL values and duplicates, and a table can have several primary keys.

## 3. What is a foreign key?

A foreign key can contain NULL values and duplicates, and it refers to the primary key of another table.

## 4. What do COMMIT and ROLLBACK do?

COMMIT undoes every change of the current transaction. ROLLBACK makes every change of the current transaction permanent.
"""
WRONG = "primary key can contain NULL values"  # a few words of the sentence (its Markdown marks left out) are enough
FIX = "A primary key's values must be unique and can never be NULL, and a table has at most one primary key."
Q = "What is a primary key?"
PARROT = "A primary key can contain NULL values and duplicates."


@pytest.fixture(scope="module")
def sql(built_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("reported_home")
    shutil.copytree(built_home, home, dirs_exist_ok=True)
    doc = home / "sql_notes.md"
    doc.write_text(SOURCE, encoding="utf-8")
    coach = Coach(load_settings(home=home))
    assert coach.add_sources([doc])["drafted"]
    return coach, doc


def _reported_flags(coach):
    return [f for f in coach.audit.all_flags() if f.get("check") == "reported"]


def _withdraw_all(coach):
    ids = [r["id"] for r in coach.reported_errors()]
    if ids:
        coach.remove_reported_errors(ids)


def test_a_reported_sentence_is_flagged_drafted_from_its_correction_and_withdrawn(sql):
    from evals.audit import own_audit_flags

    coach, _ = sql
    other = Coach(coach.settings)  # another process on the same home (`coach serve` beside the CLI)
    before = other.grader.grade(Q, PARROT)
    assert not _reported_flags(coach)
    out = coach.report_error("sql_notes.md", WRONG, FIX, reason="a primary key is unique and not null")
    (flag,) = out["flagged"]
    assert (flag["source"], flag["line_start"], flag["verdict"], flag["correction"]) == ("sql_notes.md", 9, "error", FIX)
    assert flag["quote"].startswith("A **primary key** can contain NULL") and not out["notes"]
    assert flag["reason"].startswith("Reported as wrong by a user on ")
    assert flag["reason"].endswith(" a primary key is unique and not null.")  # the user's words as typed
    assert _reported_flags(coach) == [flag]
    # the drafted rubric: the correction is the key point, the source's sentence a known misconception
    assert out["drafted"] and "reported:" in open(out["drafted"][0], encoding="utf-8").read()
    for c in (coach, other):  # the other process sees it at its next grade
        rubric = c.grader.resolve(Q)
        assert [kp.text for kp in rubric.key_points] == [FIX]
        assert any(m.text.startswith("A **primary key** can contain NULL") and m.correction == FIX for m in rubric.misconceptions)
    # an answer repeating the source's error no longer passes as correct (measured: 7.2 "correct" -> 5.4 "partial")
    after = other.grader.grade(Q, PARROT)
    assert after.score < before.score and after.verdict != "correct", (before.score, after.score, after.feedback)
    # it is listed as the known misconception it states, and a follow-up asks about it first
    from coach.questions import followup_for

    whole = "A primary key can contain NULL values and duplicates, and a table can have several primary keys."
    recited = other.grader.grade(Q, whole)
    known = [w for w in recited.wrong if w.get("known_misconception")]
    assert known and known[0]["source_error"] and known[0]["correction"] == FIX, (recited.score, [str(x) for x in recited.steps], recited.wrong)
    assert followup_for(recited, whole).target == FIX
    # Ask answers the source's question with the correction in the sentence's place, and says why
    answer = other.ask(Q)
    text = "".join(answer.stream)
    assert FIX in text and "several primary keys" not in text, text
    assert any("Reported as wrong by a user" in w and FIX in w for w in answer.warnings), answer.warnings
    # ...and the note that nothing vouches for the passage does not contradict the flag (a walkthrough read "the audit
    # cannot verify its statements of fact" right under "is flagged by the source audit")
    (unreviewed,) = [w for w in answer.warnings if w.startswith("This answer quotes")]
    assert "Apart from the flagged sentence above, the source audit cannot verify" in unreviewed, unreviewed
    # ... and a question the source does not ask itself, answered from its sentences: the correction, not the
    # reported sentence (a walkthrough's Ask left the sentence out and never said the correction)
    other_words = other.ask("Can a primary key column contain NULL values?")
    text = "".join(other_words.stream)
    assert FIX in text and "can contain NULL" not in text, text
    assert FIX in coach.audit_report_markdown()
    # the audit's own evaluation never counts a user's report
    assert not [f for f in own_audit_flags(coach) if f["check"] == "reported"]
    # nothing is redrafted while the reports stay the same
    assert coach.write_draft_rubrics([p for p in _parsed(coach) if p.source == "sql_notes.md"]) == []
    (row,) = coach.reported_errors()
    assert row["found"] and row["indexed"] and row["correction"] == FIX

    gone = coach.remove_reported_errors([row["id"][:6]])
    assert [r.id for r in gone["removed"]] == [row["id"]] and gone["drafted"]
    assert not _reported_flags(coach) and coach.reported_errors() == []
    # the user's correction is gone; the audit's own flag on the sentence (experiment 54: it repeats a trusted
    # statement with its negation taken out) still keeps the error from becoming a key point
    first = [kp.text for kp in other.grader.resolve(Q).key_points][0]
    assert first != FIX and not first.startswith("A primary key can contain NULL") and "cannot contain NULL" in first


def test_an_ask_exported_or_reopened_after_a_report_marks_the_passage_it_quoted(sql, tmp_path):
    """A walkthrough exported an Ask session after reporting the sentence its answer had quoted: the export showed
    the sentence with no mark. The answer stays as it was said; the export (and the UI's reopened chat, through the
    same ``ask_citations_now``) says the passage was flagged since, with the correction."""
    from coach.session.db import Database
    from coach.session.engine import SessionEngine
    from coach.session.export import ask_citations_now, session_markdown

    coach, _ = sql
    engine = SessionEngine(coach, Database(tmp_path / "sessions.sqlite3"), followups=False)
    sid = engine.start(length=1, seed=1).session_id
    said = "".join(engine.ask(Q, session_id=sid).stream)
    before = session_markdown(engine, sid)
    assert "Flagged since this answer was given" not in before
    coach.report_error("sql_notes.md", WRONG, FIX, reason="a primary key is unique and not null")
    try:
        after = session_markdown(engine, sid)
        since = [ln for ln in after.splitlines() if "Flagged since this answer was given" in ln]
        assert len(since) == 1 and "sql_notes.md" in since[0] and "Reported as wrong by a user" in since[0], since
        assert said.strip().split("\n")[0][:60] in after  # the answer as it was said is kept
        cites, warnings = ask_citations_now(engine, engine.asks(sid)[0])
        assert warnings and any(f.get("check") == "reported" for c in cites for f in c.flags)
    finally:
        _withdraw_all(coach)
    # withdrawn: nothing new since the answer
    assert "Flagged since this answer was given" not in session_markdown(engine, sid)


def _parsed(coach):
    from coach.audit_link import parsed_from_index

    return parsed_from_index(coach.index)


@pytest.mark.parametrize("source,sentence,correction,message", [
    ("nope.md", WRONG, FIX, "not an indexed source"),
    ("sql_notes.md", "a foreign key references another table", FIX, "has no sentence with the words"),
    ("sql_notes.md", "rimary key can contain NULL valu", FIX, "has no sentence with the words"),  # whole words only
    ("sql_notes.md", "can contain NULL values and duplicates", FIX, "are in 2 sentences"),
    ("sql_notes.md", "every change of the current transaction", FIX, "are in 2 sentences"),  # two on one line
    ("sql_notes.md", WRONG, "   ", "correction is empty"),
    ("sql_notes.md", WRONG, "x", "correction is too short"),  # it became the key point (a walkthrough)
    ("sql_notes.md", "NULL values", FIX, "too short"),
    ("sql_notes.md", WRONG, " Primary key can contain NULL values. ", "says the same"),
    ("sql_notes.md", WRONG, 42, "must be text"),
    ("sql_notes.md", WRONG, "word " * 121, "at most 120 words"),
])
def test_bad_reports_are_refused_and_nothing_is_stored(sql, source, sentence, correction, message):
    coach, _ = sql
    with pytest.raises(CoachError, match=message):
        coach.report_error(source, sentence, correction)
    assert coach.reported_errors() == []


def test_the_same_sentence_reported_again_replaces_its_correction(sql):
    coach, _ = sql
    try:
        first = coach.report_error("sql_notes.md", WRONG, FIX)["report"]
        again = coach.report_error("sql_notes.md", WRONG.upper(), "A primary key is unique and never NULL.")["report"]
        assert again.id == first.id
        other_words = coach.report_error("sql_notes.md", "a table can have several primary keys", FIX)  # the same claim
        assert [r["quote"] for r in coach.reported_errors()] == ["a table can have several primary keys"]
        assert [f["correction"] for f in other_words["flagged"]] == [FIX]
        with pytest.raises(CoachError, match="give the id"):
            coach.remove_reported_errors(["  "])
        with pytest.raises(CoachError, match="no reported error with id"):
            coach.remove_reported_errors(["ffffffff"])
    finally:
        _withdraw_all(coach)


def test_two_wrong_sentences_on_one_line_get_a_flag_and_a_correction_each(sql):
    coach, _ = sql
    commit = "COMMIT makes every change of the current transaction permanent."
    rollback = "ROLLBACK undoes every change of the current transaction."
    try:
        first = coach.report_error("sql_notes.md", "COMMIT undoes every change", commit)
        second = coach.report_error("sql_notes.md", "ROLLBACK makes every change of the current transaction permanent.",
                                    rollback)
        assert not second["replaced"] and len(coach.reported_errors()) == 2
        flags = sorted(_reported_flags(coach), key=lambda f: f["quote"])
        assert [(f["line_start"], f["quote"][:8], f["correction"]) for f in flags] == [
            (17, "COMMIT u", commit), (17, "ROLLBACK", rollback)]
        assert [f["correction"] for f in first["flagged"]] == [commit]
        rubric = coach.grader.resolve("What do COMMIT and ROLLBACK do?")
        assert [kp.text for kp in rubric.key_points] == [commit, rollback]
    finally:
        _withdraw_all(coach)


def test_a_reports_file_with_an_unreadable_line_is_never_rewritten(sql):
    from coach.audit import reported

    coach, _ = sql
    path = reported.path(coach.settings)
    text = "{not json\n" + json.dumps({"id": "abcd1234", "source": "sql_notes.md", "quote": WRONG, "correction": FIX}) + "\n"
    path.write_text(text, encoding="utf-8")
    try:
        rows, problems = reported.load(coach.settings)
        assert [r.id for r in rows] == ["abcd1234"] and len(problems) == 1 and "line 1" in problems[0]
        assert [f["correction"] for f in _reported_flags(coach)] == [FIX]  # the readable line still counts
        with pytest.raises(CoachError, match="line 1 cannot be read"):
            coach.report_error("sql_notes.md", "a table can have several primary keys", FIX)
        with pytest.raises(CoachError, match="line 1 cannot be read"):
            coach.remove_reported_errors(["abcd1234"])
        assert path.read_text(encoding="utf-8") == text
    finally:
        path.unlink()
        coach._reset_derived()


def test_a_source_is_named_by_the_path_it_was_indexed_from_too(sql, tmp_path):
    # a walkthrough's first report named the file as it had indexed it ("src/python-interview.md") and was refused
    coach, doc = sql
    out = coach.report_error(str(doc), WRONG, FIX)
    assert out["report"].source == "sql_notes.md" and out["flagged"]
    _withdraw_all(coach)
    other = tmp_path / "sql_notes.md"  # another file of that name is not the indexed source
    other.write_text(SOURCE, encoding="utf-8")
    with pytest.raises(CoachError, match="is not an indexed source"):
        coach.report_error(str(other), WRONG, FIX)


def test_cli_and_ui_report_list_and_withdraw(sql):
    import app
    from coach.cli import cli
    from coach.session import SessionEngine
    from coach.session.render import safe

    coach, _ = sql
    home = str(coach.settings.home)
    run = CliRunner().invoke
    r = run(cli, ["--home", home, "corrections", "add", "sql_notes.md", WRONG, FIX])
    assert r.exit_code == 0 and "line 9: flagged as an error" in r.output, r.output
    r = run(cli, ["--home", home, "corrections", "list", "--json"])
    (row,) = [json.loads(x) for x in r.output.splitlines()]
    assert row["correction"] == FIX and row["found"]
    r = run(cli, ["--home", home, "corrections", "add", "sql_notes.md", WRONG, FIX, "--reason", "keys are unique"])
    assert f"    correct: {FIX}\n    why: keys are unique" in run(cli, ["--home", home, "corrections", "list"]).output
    r = run(cli, ["--home", home, "corrections", "add", "nope.md", WRONG, FIX])
    assert r.exit_code != 0 and "not an indexed source" in r.output
    r = run(cli, ["--home", home, "corrections", "remove", row["id"]])
    assert r.exit_code == 0 and "Withdrawn" in r.output
    # untrusted text reaches the terminal without control characters (an ANSI escape in a correction)
    r = run(cli, ["--home", home, "corrections", "add", "sql_notes.md", WRONG, "A key is \x1b[31mnever NULL."])
    listed = run(cli, ["--home", home, "corrections", "list"]).output
    assert r.exit_code == 0 and "\x1b" not in r.output + listed and "A key is [31mnever NULL." in listed
    run(cli, ["--home", home, "corrections", "remove", json.loads(run(cli, ["--home", home, "corrections", "list",
                                                                            "--json"]).output)["id"]])
    assert "No reported errors" in run(cli, ["--home", home, "corrections", "list"]).output

    ui = Coach(load_settings(home=home))
    h = app.Handlers(ui, SessionEngine(ui))
    status, *_, reports, withdraw = h.report_error("sql_notes.md", WRONG, "A <b>key</b> is never NULL.")
    assert status.startswith(f"✓ Reported: {safe('sql_notes.md')}, line 9 is flagged") and "<b>" not in status
    assert "&lt;b&gt;key" in status and "&lt;b&gt;key" in reports and "<b>" not in reports
    (choice,) = withdraw["choices"]
    failed = h.report_error("sql_notes.md", "a foreign key references another table", FIX)
    # the source stays picked for the next try (a failed report cleared it: a walkthrough)
    assert failed[0].startswith("⚠️") and failed[5]["value"] == "sql_notes.md"
    assert h.report_error(None, WRONG, FIX)[0] == "Pick the source the sentence is in."
    status, *_, reports, withdraw = h.withdraw_reports([choice[1]])
    assert status == "Withdrawn: 1 report(s)." and reports.startswith("No sentences reported") and not withdraw["choices"]


def test_every_added_source_asking_the_question_is_redrafted(sql):
    coach, _ = sql
    keys = coach.settings.home / "keys.md"
    keys.write_text("# Keys\n\n## What is a primary key?\n\nA primary key identifies each row of a table.\n\n"
                    "## What is a candidate key?\n\nA candidate key is a minimal set of columns that identifies each row.\n",
                    encoding="utf-8")
    try:
        coach.add_sources([keys])
        out = coach.report_error("sql_notes.md", WRONG, FIX)
        assert sorted(p.rsplit("/", 1)[-1] for p in out["drafted"]) == ["keys-md.yaml", "sql-notes-md.yaml"]
    finally:
        _withdraw_all(coach)
        coach.remove_sources(["keys.md"])


def test_a_report_survives_a_reindex_and_says_when_its_sentence_is_gone(sql):
    coach, doc = sql
    rid = coach.report_error("sql_notes.md", WRONG, FIX)["report"].id
    try:
        doc.write_text(SOURCE.replace("# SQL interview notes", "# SQL interview notes\n\nRevised.\n"), encoding="utf-8")
        coach.add_sources([doc])
        (flag,) = _reported_flags(coach)
        assert flag["line_start"] == 12  # three lines down: found by its words, not its old line
        doc.write_text(SOURCE.replace("can contain NULL values and duplicates, and a table", "must be unique, and a table"),
                       encoding="utf-8")
        coach.add_sources([doc])
        assert not _reported_flags(coach)
        (row,) = coach.reported_errors()
        assert row["indexed"] and not row["found"]
    finally:  # the last test of the module: the source stays changed
        coach.remove_reported_errors([rid])
