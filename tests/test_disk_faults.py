"""Full and read-only disks end in one clear line, keep the previous state, clean up after themselves and
finish the derived work on the next run (faults simulated portably: see tests/test_disk_support.py)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_disk_support import full_disk, read_only, snapshot
from test_session_support import FakeCoach

from coach.cli import cli
from coach.config import load_settings
from index import store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # app.py lives at the repo root

DOC_A = """1. What is dropout?

Dropout randomly disables neurons during training so the network cannot rely on any single unit.

2. What is overfitting?

Overfitting happens when a model learns the noise of its training data and generalises poorly.
"""
DOC_B = """1. What is a transformer?

A transformer relies on self-attention to process every token of a sequence in parallel.
"""


@pytest.fixture(scope="module")
def small_home(tmp_path_factory, embedder) -> Path:
    """A COACH_HOME holding an index of DOC_A only (real model): cheaper than the bundled index. Copy it."""
    from corpus import parse_paths
    from index import CoachIndex

    root = tmp_path_factory.mktemp("small")
    (root / "a.txt").write_text(DOC_A)
    CoachIndex(load_settings(home=root / "home"), model=embedder).build(parse_paths([root / "a.txt"]))
    return root / "home"


@pytest.fixture
def cli_run(monkeypatch, embedder):
    monkeypatch.setattr("index.embedder.load_sentence_transformer", lambda settings: embedder)

    def run(*args, **kwargs):
        return CliRunner().invoke(cli, list(map(str, args)), **kwargs)

    return run


def one_error_line(res, *needles) -> str:
    """Exit 1 with one "Error: ..." line last on stderr (progress bars may come before it), no traceback."""
    assert res.exit_code == 1, res.output
    assert res.exc_info is None or res.exc_info[0] is SystemExit, res.exc_info
    lines = res.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert errors == lines[-1:] and "Traceback" not in res.output, res.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def test_index_add_on_a_full_disk_keeps_the_index_and_cleans_up(cli_run, tmp_path, _isolated_home):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(DOC_A)
    b.write_text(DOC_B)
    assert cli_run("index", "add", a).exit_code == 0
    index_dir = _isolated_home / "index"
    live = store.read_current(index_dir)
    with pytest.MonkeyPatch.context() as mp:
        full_disk(mp, index_dir)
        res = cli_run("index", "add", b)
    one_error_line(res, "disk is full", "previous index is unchanged")
    assert store.read_current(index_dir) == live and not list(index_dir.glob("*.tmp"))  # own leftovers removed
    assert sorted(p.name for p in index_dir.glob("gen-*")) == [live]
    st = json.loads(cli_run("index", "status", "--json").stdout)
    assert [s["source"] for s in st["sources"]] == ["a.txt"]
    (index_dir / "gen-1-1.tmp").mkdir()  # what a writer killed mid-write leaves behind
    (index_dir / "CURRENT.tmp").write_text("gen-1-1\n")
    res = cli_run("index", "add", a)  # the next start cleans up, even with nothing to re-index
    assert res.exit_code == 0 and "skipped (unchanged): a.txt" in res.stdout
    assert not (index_dir / "gen-1-1.tmp").exists() and not (index_dir / "CURRENT.tmp").exists()


def test_drafts_lost_to_a_full_disk_are_written_on_the_next_run(cli_run, tmp_path, _isolated_home):
    notes = tmp_path / "notes.txt"
    notes.write_text(DOC_B)
    drafts = _isolated_home / "rubrics" / "drafts"
    with pytest.MonkeyPatch.context() as mp:
        full_disk(mp, _isolated_home / "rubrics")
        res = cli_run("index", "add", notes)
    one_error_line(res, "draft rubrics", "disk is full")
    assert "added: notes.txt" in res.stdout  # the index itself was switched in
    assert not drafts.exists() or not list(drafts.iterdir())  # no half-written or temporary file
    res = cli_run("index", "add", notes)
    assert res.exit_code == 0, res.output
    assert "skipped (unchanged): notes.txt" in res.stdout and f"draft rubrics: {drafts / 'notes-txt.yaml'}" in res.stderr
    assert (drafts / "notes-txt.yaml").exists()


def test_grade_and_corpus_output_on_a_full_disk(cli_run, tmp_path, small_home, monkeypatch):
    out_dir = tmp_path / "full"
    out_dir.mkdir()
    (out_dir / "records.jsonl").write_text("previous\n")
    with pytest.MonkeyPatch.context() as mp:
        full_disk(mp, out_dir)
        res = cli_run("corpus", "parse", Path(__file__).parent / "data" / "corpus" / "qnum.txt",
                      "--output", out_dir / "records.jsonl")
    one_error_line(res, "disk is full", str(out_dir / "records.jsonl"))
    assert sorted(p.name for p in out_dir.iterdir()) == ["records.jsonl"]  # no temporary file left
    assert (out_dir / "records.jsonl").read_text() == "previous\n"  # the previous output is kept

    shutil.copytree(small_home, tmp_path / "home")
    monkeypatch.setenv("COACH_HOME", str(tmp_path / "home"))
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"question": "What is dropout?", "answer": "Randomly disabling neurons."}) + "\n")
    with pytest.MonkeyPatch.context() as mp:
        full_disk(mp, out_dir)
        res = cli_run("grade", "--input", inp, "--output", out_dir / "graded.jsonl")
    one_error_line(res, "disk is full", "graded.jsonl")


def test_read_only_home(cli_run, tmp_path, small_home, monkeypatch):
    import app

    home = tmp_path / "home"
    shutil.copytree(small_home, home)
    monkeypatch.setenv("COACH_HOME", str(home))
    notes = tmp_path / "notes.txt"
    notes.write_text(DOC_B)
    before = snapshot(home)
    launched = {}
    monkeypatch.setattr(app, "launch", lambda demo, **kw: launched.update(kw, demo=demo))
    read_only(monkeypatch, home)

    one_error_line(cli_run("index", "add", notes), "read-only")
    res = cli_run("check")
    assert res.exit_code == 0 and "Traceback" not in res.output, res.output
    assert "audited 1 sources" in res.stderr and "audit cache not saved" in res.stderr  # one warning, then done
    res = cli_run("serve", "--port", "7998")
    assert res.exit_code == 0, res.output
    assert "read-only" in res.stderr and "Interview Coach UI on http://127.0.0.1:7998" in res.stdout
    texts = [getattr(b, "value", "") or "" for b in launched["demo"].blocks.values()]
    assert any("read-only" in str(t) for t in texts)  # the banner in the UI
    assert snapshot(home) == before  # nothing under the read-only home was touched


def test_read_only_ui_still_lets_you_practise(tmp_path, monkeypatch):
    import app
    from coach.session import SessionEngine

    home = tmp_path / "home"
    home.mkdir()
    read_only(monkeypatch, home)
    coach = FakeCoach(load_settings(home=home))
    coach.read_only = True
    h = app.Handlers(coach, SessionEngine(coach))
    st, chat = h.start({"sid": None, "history": []}, ["dl"], "any", 1)
    *_, (st, chat, _) = h.answer(st, "max of zero and x")
    assert "Score 9.0/10" in "\n".join(m["content"] for m in chat)
    assert not any(home.iterdir())


def test_a_full_disk_during_an_answer_is_a_readable_message(tmp_path):
    import app
    from coach.session import Database, SessionEngine

    class FullDatabase(Database):
        """SQLite's own "database or disk is full" (SQLITE_FULL): no page may be added."""

        @contextmanager
        def connect(self):
            with super().connect() as db:
                pages = db.execute("PRAGMA page_count").fetchone()[0]
                db.execute(f"PRAGMA max_page_count = {pages}")
                yield db

    coach = FakeCoach(load_settings(home=tmp_path / "home"))
    engine = SessionEngine(coach)
    h = app.Handlers(coach, engine)
    st, _ = h.start({"sid": None, "history": []}, ["dl"], "any", 1)
    engine.db = FullDatabase(engine.db.path)
    answer = "max " + "of zero and x " * 3000
    *_, (st, chat, box) = h.answer(st, answer)
    said = chat[-2]["content"]  # the error, then the open question shown again
    assert "disk is full" in said and "OperationalError" not in said and "not saved" in said
    assert "Question 1/1" in chat[-1]["content"] and box == answer.strip()  # the answer back in the box


def test_a_short_write_of_the_index_vectors_carries_its_errno(tmp_path):
    """numpy writes an array to a real file in C (``tofile``): a full disk came back as an OSError without an errno
    ("166656 requested and 139232 written"), which no disk message recognises, so ``coach index add`` ended in a
    traceback (a review, on a real full tmpfs). A file-size limit makes the same short write portably: the vectors'
    writer must surface it with its errno (EFBIG here, ENOSPC on a full disk)."""
    script = (
        "import errno, resource, signal, sys, numpy as np\n"
        "from coach.diskio import write_npy\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))\n"
        f"fh = open({str(tmp_path / 'v.npy')!r}, 'wb')\n"
        "try:\n"
        "    write_npy(fh, np.ones((200, 384)))\n"
        "    fh.flush()\n"
        "except OSError as exc:\n"
        "    print('errno', exc.errno)\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=root, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert out.stdout.strip() == f"errno {errno.EFBIG}", out.stderr


def test_an_atomic_write_keeps_permissions_and_writes_through_a_link(tmp_path):
    """Exports (`coach sessions export -o`), reports and drafts are written through a temporary file and a rename:
    every file came out 0600 whatever the umask or the old file's mode, and a symbolic link at the path was replaced
    by a file while its target kept the old text (a review)."""
    from coach.diskio import write_text_atomic

    old = os.umask(0o022)
    try:
        fresh = tmp_path / "new.md"
        write_text_atomic(fresh, "one")
        assert fresh.stat().st_mode & 0o777 == 0o644
        shared = tmp_path / "shared.md"
        shared.write_text("old")
        shared.chmod(0o664)
        link = tmp_path / "link.md"
        link.symlink_to(shared)
        write_text_atomic(link, "two")
        assert link.is_symlink() and shared.read_text() == "two" and shared.stat().st_mode & 0o777 == 0o664
        assert sorted(p.name for p in tmp_path.iterdir()) == ["link.md", "new.md", "shared.md"]  # no temporary left
    finally:
        os.umask(old)


def test_a_session_database_locked_past_the_wait_is_one_line(tmp_path, monkeypatch):
    """SQLite's "database is locked" after its 30 s wait was a traceback in the CLI (a review); an OSError that merely
    carries EBUSY is not called a database lock."""
    import sqlite3

    from coach.diskio import disk_error

    err = disk_error(sqlite3.OperationalError("database is locked"), "finish `coach chat`")
    assert err is not None and "another coach process kept it locked" in str(err) and "Wait a moment" in str(err)
    assert disk_error(OSError(errno.EBUSY, "Device or resource busy"), "write x") is None
