"""Errors the user reports in a source (``coach/audit/reported.py``): the audit cannot verify every statement of
fact on a new document, so the user can say "this sentence is wrong, this is true". Real models, a real added
source; the source is written here and nothing in the code is keyed to it."""

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

A primary key can contain NULL values and duplicates, and a table can have several primary keys.
"""
WRONG = "can contain NULL values and duplicates"  # a few words of the source's sentence are enough
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


def test_a_reported_sentence_is_flagged_drafted_from_its_correction_and_withdrawn(sql):
    coach, _ = sql
    before = coach.grader.grade(Q, PARROT)
    assert not _reported_flags(coach)
    out = coach.report_error("sql_notes.md", WRONG, FIX, reason="a primary key is unique and not null")
    (flag,) = out["flagged"]
    assert (flag["source"], flag["line_start"], flag["verdict"], flag["correction"]) == ("sql_notes.md", 9, "error", FIX)
    assert flag["quote"].startswith("A primary key can contain NULL")
    assert flag["reason"].startswith("Reported as wrong by you on ") and flag["reason"].endswith(" A primary key is unique and not null.")
    assert _reported_flags(coach) == [flag]
    # the drafted rubric: the correction is the key point, the source's sentence a known misconception
    assert out["drafted"] and "reported:" in open(out["drafted"][0], encoding="utf-8").read()
    rubric = coach.grader.resolve(Q)
    assert [kp.text for kp in rubric.key_points] == [FIX]
    assert any(m.text.startswith("A primary key can contain NULL") and m.correction == FIX for m in rubric.misconceptions)
    # an answer repeating the source's error no longer passes as correct (measured: 7.2 "correct" -> 5.4 "partial")
    after = coach.grader.grade(Q, PARROT)
    assert after.score < before.score and after.verdict != "correct", (before.score, after.score, after.feedback)
    # Ask answers the source's question with the correction in the sentence's place, and says why
    answer = coach.ask(Q)
    text = "".join(answer.stream)
    assert FIX in text and "can contain NULL" not in text, text
    assert any("Reported as wrong by you" in w and FIX in w for w in answer.warnings), answer.warnings
    # the audit report shows it like any other flag; its text is the user's, escaped in the web report
    assert FIX in coach.audit_report_markdown()
    # nothing is redrafted while the reports stay the same
    assert coach.write_draft_rubrics([p for p in _parsed(coach) if p.source == "sql_notes.md"]) == []
    (row,) = coach.reported_errors()
    assert row["found"] and row["indexed"] and row["correction"] == FIX

    gone = coach.remove_reported_errors([row["id"][:6]])
    assert [r.id for r in gone["removed"]] == [row["id"]] and gone["drafted"]
    assert not _reported_flags(coach) and coach.reported_errors() == []
    assert [kp.text for kp in coach.grader.resolve(Q).key_points][0].startswith("A primary key can contain NULL")


def _parsed(coach):
    from coach.audit_link import parsed_from_index

    return parsed_from_index(coach.index)


@pytest.mark.parametrize("source,sentence,correction,message", [
    ("nope.md", WRONG, FIX, "not an indexed source"),
    ("sql_notes.md", "a foreign key references another table", FIX, "has no sentence containing"),
    ("sql_notes.md", WRONG, "   ", "correction is empty"),
    ("sql_notes.md", "NULL values", FIX, "too short"),
    ("sql_notes.md", WRONG, " Can contain NULL values and duplicates. ", "says the same"),
    ("sql_notes.md", WRONG, 42, "must be text"),
    ("sql_notes.md", WRONG, "word " * 121, "at most 120 words"),
])
def test_bad_reports_are_refused_and_nothing_is_stored(sql, source, sentence, correction, message):
    coach, _ = sql
    with pytest.raises(CoachError, match=message):
        coach.report_error(source, sentence, correction)
    assert coach.reported_errors() == []


def test_an_unreadable_report_line_is_skipped_with_a_warning(sql):
    from coach.audit import reported

    coach, _ = sql
    path = reported.path(coach.settings)
    path.write_text("{not json\n" + json.dumps({"id": "abcd1234", "source": "sql_notes.md", "quote": WRONG,
                                                 "correction": FIX}) + "\n", encoding="utf-8")
    try:
        rows, warnings = reported.load(coach.settings)
        assert [r.id for r in rows] == ["abcd1234"] and len(warnings) == 1 and "line 1" in warnings[0]
        coach._reset_derived()
        assert [f["correction"] for f in _reported_flags(coach)] == [FIX]
    finally:
        path.unlink()
        coach._reset_derived()


def test_cli_and_ui_report_list_and_withdraw(sql):
    import app
    from coach.cli import cli as main
    from coach.session import SessionEngine
    from coach.session.render import safe

    coach, _ = sql
    home = str(coach.settings.home)
    run = CliRunner().invoke
    r = run(main, ["--home", home, "corrections", "add", "sql_notes.md", WRONG, FIX])
    assert r.exit_code == 0 and "line 9: flagged as an error" in r.output, r.output
    r = run(main, ["--home", home, "corrections", "list", "--json"])
    (row,) = [json.loads(x) for x in r.output.splitlines()]
    assert row["correction"] == FIX and row["found"]
    r = run(main, ["--home", home, "corrections", "add", "nope.md", WRONG, FIX])
    assert r.exit_code != 0 and "not an indexed source" in r.output
    r = run(main, ["--home", home, "corrections", "remove", row["id"]])
    assert r.exit_code == 0 and "Withdrawn" in r.output
    assert "No reported errors" in run(main, ["--home", home, "corrections", "list"]).output

    ui = Coach(load_settings(home=home))
    h = app.Handlers(ui, SessionEngine(ui))
    status, *_, reports, withdraw = h.report_error("sql_notes.md", WRONG, "A <b>key</b> is never NULL.")
    assert status.startswith(f"✓ Reported: {safe('sql_notes.md')}, line 9 is flagged") and "<b>" not in status
    assert "&lt;b&gt;key" in status and "&lt;b&gt;key" in reports and "<b>" not in reports
    (choice,) = withdraw["choices"]
    assert h.report_error("sql_notes.md", "a foreign key references another table", FIX)[0].startswith("⚠️")
    assert h.report_error(None, WRONG, FIX)[0] == "Pick the source the sentence is in."
    status, *_, reports, withdraw = h.withdraw_reports([choice[1]])
    assert status == "Withdrawn: 1 report(s)." and reports.startswith("No sentences reported") and not withdraw["choices"]


def test_a_report_survives_a_reindex_and_says_when_its_sentence_is_gone(sql):
    coach, doc = sql
    rid = coach.report_error("sql_notes.md", WRONG, FIX)["report"].id
    again = coach.report_error("sql_notes.md", WRONG.upper(), FIX + " Keys are unique.")  # the same sentence: replaced
    assert again["report"].id == rid and len(coach.reported_errors()) == 1
    try:
        doc.write_text(SOURCE.replace("# SQL interview notes", "# SQL interview notes\n\nRevised.\n"), encoding="utf-8")
        coach.add_sources([doc])
        (flag,) = _reported_flags(coach)
        assert flag["line_start"] == 12  # three lines down: found by its words, not its old line
        doc.write_text(SOURCE.replace("can contain NULL values and duplicates", "must be unique"), encoding="utf-8")
        coach.add_sources([doc])
        assert not _reported_flags(coach)
        (row,) = coach.reported_errors()
        assert row["indexed"] and not row["found"]
    finally:  # the last test of the module: the source stays changed
        coach.remove_reported_errors([rid])


def test_the_audit_evaluation_measures_the_audit_not_the_users_reports():
    from evals.audit import AuditEvaluator

    error = {"id": "e1", "source": "a.md", "line_start": 3, "line_end": 3, "quote": "tanh outputs 0 to 1", "split": "test"}
    flag = {**error, "check": "reported"}
    assert AuditEvaluator([flag], [error], [])(split="test").metrics["recall"] == 0.0
    assert AuditEvaluator([{**flag, "check": "knowledge"}], [error], [])(split="test").metrics["recall"] == 1.0
