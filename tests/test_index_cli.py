"""`coach index build|add|remove|status|search` through click's CliRunner (real parser, real model)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from coach.cli import cli
from coach.commands.index import bundled_dir

DOC_A = """Interview questions

1. What is dropout?

Dropout randomly disables neurons during training so the network cannot rely on any single unit.

2. What is overfitting?

Overfitting happens when a model learns the noise of its training data and generalises poorly.
"""

DOC_B = """1. What is a transformer?

A transformer relies on self-attention to process every token of a sequence in parallel.
"""


@pytest.fixture
def run(monkeypatch, embedder):
    # The real model, loaded once per session instead of once per command.
    monkeypatch.setattr("index.embedder.load_sentence_transformer", lambda settings: embedder)
    runner = CliRunner()

    def _run(*args):
        return runner.invoke(cli, ["index", *args], catch_exceptions=False)

    return _run


def test_build_add_remove_status_cycle(run, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(DOC_A, encoding="utf-8")
    res = run("build", str(docs / "a.txt"))
    assert res.exit_code == 0, res.output
    assert "Indexed 2 records" in res.stdout and "from 1 sources" in res.stdout

    res = run("status")
    assert res.exit_code == 0
    for needle in ("a.txt", "records", "chunks", "boilerplate", "sentence-transformers/all-MiniLM-L6-v2", "flat"):
        assert needle in res.stdout, needle

    (docs / "b.txt").write_text(DOC_B, encoding="utf-8")
    res = run("add", str(docs))
    assert res.exit_code == 0
    assert "added: b.txt" in res.stdout and "skipped (unchanged): a.txt" in res.stdout
    # stderr is no terminal here: one plain line per stage, no bar redrawn with "\r" (a walkthrough's log)
    assert "parse ..." in res.stderr.splitlines() and "\r" not in res.stderr and "%|" not in res.stderr, res.stderr

    (docs / "a.txt").write_text(DOC_A.replace("poorly", "badly on new data"), encoding="utf-8")
    res = run("add", str(docs / "a.txt"))
    assert res.stdout.strip() == "re-indexed (changed): a.txt"

    st = json.loads(run("status", "--json").stdout)
    assert st["records"] == 3 and {s["source"] for s in st["sources"]} == {"a.txt", "b.txt"}
    assert st["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2" and st["dim"] == 384
    assert all("boilerplate_removed" in s and s["chunks"] >= s["records"] for s in st["sources"])

    res = run("search", "self attention over tokens", "-k", "1", "--json")
    assert json.loads(res.stdout)["id"] == "b.txt:1"

    res = run("remove", "a.txt")
    assert res.stdout.strip() == "removed: a.txt"
    assert json.loads(run("status", "--json").stdout)["records"] == 1

    # a file with no question in it is indexed as passages, and says so (a user walkthrough found two lines of prose
    # later as a practice "question", unannounced); the note is for the files this run indexed, not skipped ones
    (docs / "prose.md").write_text("Just some prose about nothing.\nNo questions here at all.\n", encoding="utf-8")
    res = run("add", str(docs / "prose.md"))
    assert res.exit_code == 0 and "added: prose.md" in res.stdout
    notes = [line for line in res.stderr.splitlines() if line.startswith("note: ")]
    assert "note: prose.md: no question/answer pairs found; indexed as 1 passage that Ask can quote; too short to be " \
           "asked as a question" in notes, res.stderr
    res = run("add", str(docs / "prose.md"))  # unchanged: skipped, and not announced again
    assert "skipped (unchanged): prose.md" in res.stdout and "no question/answer pairs" not in res.stderr


def test_build_from_a_persons_files_drafts_their_rubrics(run, tmp_path):
    """`coach index build FILE` drafts the file's rubrics as `index add` does: a walkthrough built its index from its own
    files, no drafts were written, and its practice sessions showed no model answer (`:answer`, the Anki cards' backs
    were blank) and the generic hint for every question."""
    from coach.config import load_settings
    from coach.questions import GENERIC_HINT
    from coach.service import Coach

    (tmp_path / "a.txt").write_text(DOC_A, encoding="utf-8")
    res = run("build", str(tmp_path / "a.txt"))
    assert res.exit_code == 0, res.output
    assert "draft rubrics: " in res.stderr and "a-txt.yaml" in res.stderr, res.stderr
    assert "audit: " in res.stderr and "1 new or changed source(s)" in res.stderr, res.stderr
    items = {i.question: i for i in Coach(load_settings()).question_bank()}
    assert set(items) == {"What is dropout?", "What is overfitting?"}
    assert "cannot rely on any single unit" in items["What is dropout?"].model_answer
    assert "generalises poorly" in items["What is overfitting?"].model_answer
    assert all(i.hints != [GENERIC_HINT] for i in items.values()), [i.hints for i in items.values()]
    res = run("build", str(tmp_path / "a.txt"))  # the same file again: its drafts are current, nothing is redone
    assert res.exit_code == 0 and "draft rubrics: " not in res.stderr and "audit: " not in res.stderr, res.stderr


def test_user_errors_are_one_line(run, tmp_path):
    res = run("status")
    assert res.exit_code == 1 and "no index yet" in res.stderr and "coach index build" in res.stderr and "`coach index add FILE`" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    res = run("build", str(tmp_path / "missing.txt"))
    assert res.exit_code == 1 and res.stderr.startswith("Error: no such file or folder")
    res = run("remove", "a.txt")
    assert res.exit_code == 1 and "no index yet" in res.stderr
    (tmp_path / "b.txt").write_text(DOC_B, encoding="utf-8")
    assert run("build", str(tmp_path / "b.txt")).exit_code == 0
    res = run("remove", "nope.txt")
    assert res.exit_code == 1 and res.stderr.strip() == "Error: not in the index: nope.txt (see `coach index status`)"


def test_default_build_path_is_the_bundled_folder():
    path = bundled_dir()
    assert path.is_dir() and len(list(path.glob("*.txt"))) == 5


def test_bad_paths_get_one_line_each_and_the_rest_is_indexed(run, tmp_path):
    good = tmp_path / "good.md"
    good.write_text(DOC_B, encoding="utf-8")
    loop = tmp_path / "loop.md"
    loop.symlink_to(loop)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text(DOC_A, encoding="utf-8")
    (folder / "cycle").symlink_to(folder / "cycle")
    res = run("add", str(good), str(tmp_path / "missing.md"), str(loop), str(folder))
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[:2] == ["added: a.txt", "added: good.md"]
    warned = [line for line in res.stderr.splitlines() if line.startswith("Warning: skipped")]
    assert warned == [f"Warning: skipped {tmp_path / 'missing.md'}: no such file or folder",
                      f"Warning: skipped {loop}: symlink loop", f"Warning: skipped {folder / 'cycle'}: symlink loop"]
    # nothing at all could be done: non-zero, one line
    res = run("add", str(tmp_path / "missing.md"))
    assert res.exit_code == 1 and res.stderr.strip().splitlines() == [f"Error: no such file or folder: {tmp_path / 'missing.md'}"]


def test_status_shows_source_names_as_they_are(run, tmp_path):
    """Source names were read as rich markup: "notes [v2].md" was listed as "notes .md" (a name `index remove`
    then refused) and "x [/b] y.md" crashed `coach index status` with a MarkupError."""
    docs = tmp_path / "d [x]"
    docs.mkdir()
    (docs / "notes [v2].md").write_text(DOC_A, encoding="utf-8")
    (docs / "x [").mkdir()
    (docs / "x [" / "b] y.md").write_text(DOC_B, encoding="utf-8")  # named "x [/b] y.md" inside the folder
    assert run("build", str(docs)).exit_code == 0
    res = run("status")
    assert res.exit_code == 0, res.output
    assert "notes [v2].md" in res.stdout and "x [/b] y.md" in res.stdout


def test_status_lists_the_questions_read_from_a_source(run, tmp_path):
    """A walkthrough found its page's missing questions only through `coach corpus parse`: `index status --questions
    SOURCE` lists what was read, each question with its line; an unknown source is one line naming the indexed ones."""
    doc = tmp_path / "a.txt"
    doc.write_text(DOC_A, encoding="utf-8")
    assert run("build", str(doc)).exit_code == 0
    res = run("status", "--questions", "a.txt")
    assert res.exit_code == 0 and res.stdout.splitlines() == ["     3  What is dropout?", "     7  What is overfitting?"]
    assert "2 record(s) from a.txt" in res.stderr
    rows = json.loads(run("status", "--questions", "a.txt", "--json").stdout)
    assert [(r["line_start"], r["question"]) for r in rows] == [(3, "What is dropout?"), (7, "What is overfitting?")]
    res = CliRunner().invoke(cli, ["index", "status", "--questions", "nope.md"])
    assert res.exit_code == 1 and res.output.strip() == "Error: no indexed source 'nope.md'; indexed: a.txt"
