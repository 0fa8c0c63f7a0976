"""`coach index remove` removes a source and everything derived from it: no grade cites it afterwards, and
its draft rubric file is retired (real model, a copy of the shared built index)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from coach.cli import cli

REMOVED = "001_ab552e0b46fc54ef.txt"
NOTES = """1. What is a Kubernetes pod?

A pod is the smallest deployable unit in Kubernetes: one or more containers sharing network and storage.
"""


@pytest.fixture
def home(built_home, tmp_path, monkeypatch, embedder):
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    monkeypatch.setenv("COACH_HOME", str(home))
    monkeypatch.setattr("index.embedder.load_sentence_transformer", lambda settings: embedder)
    return home


def grade(tmp_path, *rows) -> list[dict]:
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = CliRunner().invoke(cli, ["grade", "--input", str(inp), "--output", str(out)])
    got = [json.loads(line) for line in out.read_text().splitlines()]
    # non-zero exactly when no line could be graded (CONTRACTS.md), each line's error in the output
    assert res.exit_code == (1 if all("error" in r["grade"] for r in got) else 0), res.output
    return got


def cited(row) -> set[str]:
    return {ref["source"] for ref in row["grade"].get("references", [])}


def test_grades_never_cite_a_removed_source(home, tmp_path):
    answer = "A perceptron is a single neuron: a weighted sum of the inputs plus a bias, then a step function."
    asked = [{"question": "What is a perceptron?", "answer": answer},
             {"question": "What is a perceptron?", "answer": answer, "question_id": "perceptron"}]
    before = grade(tmp_path, *asked)
    assert all(REMOVED in cited(r) for r in before)  # the bundled rubric cites two sources
    res = CliRunner().invoke(cli, ["index", "remove", REMOVED])
    assert res.exit_code == 0 and res.stdout.strip() == f"removed: {REMOVED}"
    after = grade(tmp_path, *asked)
    for row in after:
        assert "score" in row["grade"] and cited(row) == {"000_89ca2624adfbc5ce.txt"}, row["grade"]


def test_removing_an_added_source_retires_its_draft_rubrics(home, tmp_path):
    notes = tmp_path / "k8s_notes.txt"
    notes.write_text(NOTES, encoding="utf-8")
    res = CliRunner().invoke(cli, ["index", "add", str(notes)])
    assert res.exit_code == 0, res.output
    # the audit of the new source is reported, with what it cannot verify (found in a user walkthrough)
    assert "audit: 0 flags in 1 new or changed source(s)" in res.stderr, res.stderr
    assert "note: statements of fact are not verified" in res.stderr
    draft = home / "rubrics" / "drafts" / "k8s-notes-txt.yaml"
    assert draft.exists()
    res = CliRunner().invoke(cli, ["index", "remove", "k8s_notes.txt"])
    assert res.exit_code == 0, res.output
    assert not draft.exists() and draft.with_name(draft.name + ".bak").exists()  # kept aside, never loaded
    (row,) = grade(tmp_path, {"question": "What is a Kubernetes pod?", "answer": "The smallest deployable unit."})
    assert "k8s_notes.txt" not in cited(row) and "error" in row["grade"], row["grade"]


def test_an_uploaded_source_is_indexed_from_a_copy_that_outlives_the_upload(home, tmp_path):
    """A browser upload is a temporary file that Gradio's cache cleaning (or the system's /tmp cleaning)
    deletes, while the index keeps its path for later audits: the UI indexes a copy kept under
    COACH_HOME/uploads instead, and removing the source removes that copy (never a file of the user's)."""
    from coach.config import load_settings
    from coach.service import Coach

    upload = tmp_path / "gradio-tmp" / "k8s notes.md"
    upload.parent.mkdir()
    upload.write_text(NOTES, encoding="utf-8")
    coach = Coach(load_settings())
    assert coach.add_sources([upload], keep_copies=True)["added"] == ["k8s notes.md"]
    shutil.rmtree(upload.parent)  # the temporary upload is cleaned away
    kept = {s["source"]: s["path"] for s in coach.index.status()["sources"]}["k8s notes.md"]
    assert kept.startswith(str(home / "uploads")) and (home / "uploads").exists()
    from coach.audit.sourcefile import read_lines

    assert read_lines(kept)[0] == "1. What is a Kubernetes pod?"  # the audit can still quote its lines
    upload.parent.mkdir()
    upload.write_text(NOTES.replace("smallest", "smallest schedulable"), encoding="utf-8")  # uploaded again, changed
    assert coach.add_sources([upload], keep_copies=True)["updated"] == ["k8s notes.md"]
    assert [p.read_text(encoding="utf-8") for p in (home / "uploads").rglob("*.md")] == [upload.read_text(encoding="utf-8")]
    assert coach.remove_sources(["k8s notes.md"]) == ["k8s notes.md"]
    assert not list((home / "uploads").rglob("*.md"))
    # a file of the user's own (the CLI's `coach index add PATH`) is indexed where it is and never removed
    mine = tmp_path / "mine.md"
    mine.write_text(NOTES, encoding="utf-8")
    coach.add_sources([mine])
    coach.remove_sources(["mine.md"])
    assert mine.exists()


def test_an_upload_that_cannot_be_indexed_is_named_as_uploaded_and_its_copy_is_not_kept(home, tmp_path):
    """A user walkthrough uploaded a binary file renamed .md: the error named the copy under COACH_HOME/uploads, and
    the copy stayed there (an empty upload left an empty folder)."""
    from coach.config import load_settings
    from coach.errors import CoachError
    from coach.service import Coach

    upload = tmp_path / "gradio-tmp" / "binary.md"
    upload.parent.mkdir()
    upload.write_bytes(bytes(range(256)) * 16)
    coach = Coach(load_settings())
    with pytest.raises(CoachError) as err:
        coach.add_sources([upload], keep_copies=True)
    assert "binary.md" in str(err.value) and str(home / "uploads") not in str(err.value), err.value
    empty = tmp_path / "gradio-tmp" / "empty.md"
    empty.write_bytes(b"")
    good = tmp_path / "gradio-tmp" / "k8s notes.md"
    good.write_text(NOTES, encoding="utf-8")
    with pytest.raises(CoachError) as err:  # both at once: each named, with why (was "2 paths skipped", a walkthrough)
        coach.add_sources([upload, empty], keep_copies=True)
    assert "binary.md (binary file" in str(err.value) and "empty.md (empty file" in str(err.value), err.value
    assert str(home / "uploads") not in str(err.value)
    report = coach.add_sources([upload, empty, good], keep_copies=True)
    assert report["added"] == ["k8s notes.md"] and len(report["skipped"]) == 2, report
    assert [p.name for p in (home / "uploads").rglob("*") if p.is_file()] == ["k8s notes.md"]
    assert len([p for p in (home / "uploads").iterdir()]) == 1  # no folder left for the skipped ones
    assert all((d.stat().st_mode & 0o777) == 0o700 for d in [home / "uploads", *(home / "uploads").iterdir()])  # private
    # a file too large to be copied keeps its temporary path: the error names the file, never the server's folder
    # (a security review's oversized upload was answered with ".../gradio-tmp/0123abcd/notes.md")
    big = tmp_path / "gradio-tmp" / "0123abcd" / "big notes.md"
    big.parent.mkdir()
    big.write_bytes(b"# Q\n\nWhat is X?\n\n" + b"X is y. " * (load_settings().max_source_bytes // 8 + 10))
    with pytest.raises(CoachError) as err:
        coach.add_sources([big], keep_copies=True)
    assert "big notes.md" in str(err.value) and str(tmp_path) not in str(err.value), err.value
    assert "bytes > " in str(err.value)  # "5.0 MB > 5.0 MB limit" said nothing: a size this close is said in bytes


def test_answering_a_question_whose_source_was_removed_says_so(home, tmp_path):
    """A walkthrough's second browser removed the source of the first one's session: each answer then got only
    "unknown question id 'draft-git-md-100'"."""
    from coach.config import load_settings
    from coach.errors import CoachError
    from coach.service import Coach
    from coach.session import Database, SessionEngine

    notes = tmp_path / "k8s_notes.txt"
    notes.write_text(NOTES.strip() + " Pods are ephemeral: a controller such as a Deployment replaces a failed pod with a "
                     "new one, which gets a new IP address.\n", encoding="utf-8")
    coach = Coach(load_settings())
    coach.add_sources([notes])
    engine = SessionEngine(coach, Database(tmp_path / "s.sqlite3"), followups=False)
    topic = next(r.topic for r in coach.index.records() if r.source == "k8s_notes.txt")
    turn = engine.start([topic], None, 50, seed=1)
    while "pod" not in turn.question.lower():
        turn = engine.skip(turn.session_id)
    coach.remove_sources(["k8s_notes.txt"])
    with pytest.raises(CoachError, match="source is no longer indexed .* skip the question, or add the source again"):
        engine.answer(turn.session_id, "The smallest deployable unit.")
    engine.skip(turn.session_id)  # and the session goes on
