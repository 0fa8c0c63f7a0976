"""The reported-errors file is changed under a lock: a report from the CLI and a withdrawal in the UI at the same
moment both take effect (a code review found the read-modify-write unguarded)."""

from __future__ import annotations

import threading

import pytest

from coach.audit import reported
from coach.config import load_settings
from coach.diskio import file_lock
from coach.errors import CoachError


def test_reports_added_and_withdrawn_at_once_are_all_kept(tmp_path):
    settings = load_settings(home=tmp_path / "home")
    first, _ = reported.add(settings, "a.md", "the zeroth sentence is wrong", "It is right.")
    barrier = threading.Barrier(9)
    errors = []

    def report(n):
        barrier.wait()
        try:
            reported.add(settings, "a.md", f"sentence number {n} is wrong here", f"Sentence {n} is right.")
        except Exception as exc:  # pragma: no cover - shown in the assertion below
            errors.append(exc)

    def withdraw():
        barrier.wait()
        reported.remove(settings, [first.id])

    threads = [threading.Thread(target=report, args=(n,)) for n in range(8)] + [threading.Thread(target=withdraw)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kept, problems = reported.load(settings)
    assert not errors and not problems
    assert sorted(r.quote for r in kept) == sorted(f"sentence number {n} is wrong here" for n in range(8))


def test_a_writer_that_never_lets_go_is_named_in_one_line(tmp_path):
    settings = load_settings(home=tmp_path / "home")
    held = threading.Event()
    release = threading.Event()

    def hold():
        with file_lock(reported.path(settings), "the reported errors"):
            held.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(10)
    try:
        with pytest.raises(CoachError, match="being changed by another process"):
            with file_lock(reported.path(settings), "the reported errors", timeout=0.2):
                pass
    finally:
        release.set()
        t.join()
    with file_lock(reported.path(settings), "the reported errors", timeout=0.2):  # free again
        pass


def test_corrections_commands_build_a_missing_index_with_a_progress_bar(monkeypatch):
    # a review: `coach corrections add` on a fresh home built the index for minutes without a word
    from types import SimpleNamespace

    from click.testing import CliRunner

    from coach.cli import cli

    seen = []

    class Fake:
        index = SimpleNamespace(exists=lambda: True)  # an index there: the first-run note is not said

        def ensure_index(self, progress=None):
            seen.append(progress)
            progress(1, 5, "embedding")

        def reported_errors(self):
            return []

        def remove_reported_errors(self, ids):
            return {"removed": [], "drafted": [], "notes": []}

    monkeypatch.setattr("coach.commands.corrections.make_coach", lambda settings: Fake())
    monkeypatch.setattr("rich.console.Console.is_terminal", property(lambda self: True))  # a terminal's stderr
    res = CliRunner().invoke(cli, ["corrections", "remove", "abcd"])
    assert res.exit_code == 0 and len(seen) == 1 and callable(seen[0])
    # listing needs no index: it never builds one (a review)
    res = CliRunner().invoke(cli, ["corrections", "list"])
    assert res.exit_code == 0 and "No reported errors" in res.output and len(seen) == 1


def test_a_file_system_without_locks_changes_the_file_without_one(tmp_path, monkeypatch, caplog):
    import errno
    import fcntl

    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    settings = load_settings(home=tmp_path / "home")
    reported.add(settings, "a.md", "the zeroth sentence is wrong", "It is right.")
    assert [r.quote for r in reported.load(settings)[0]] == ["the zeroth sentence is wrong"]
    assert "without a lock" in caplog.text
