"""Sources parsed by an earlier version of the corpus code are re-parsed: an upgrade's parsing fixes reach an
existing home (real model; the parser's "new version" is a monkeypatched fingerprint)."""

from __future__ import annotations

import pytest

from coach.config import load_settings
from coach.service import Coach

A = "1. What is a mutex?\n\nA mutex is a lock that one thread holds at a time.\n\n2. What is a semaphore?\n\nA counter of permits.\n"
B = "1. What is a pipe?\n\nA one-way byte stream between two processes.\n\n2. What is a socket?\n\nAn endpoint for network communication.\n"


@pytest.fixture
def home(tmp_path, monkeypatch, embedder):
    from corpus import parse_paths
    from index import CoachIndex

    monkeypatch.setattr("index.embedder.load_sentence_transformer", lambda settings: embedder)
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_text(A, encoding="utf-8")
    (src / "b.md").write_text(B, encoding="utf-8")
    settings = load_settings(home=tmp_path / "home")
    CoachIndex(settings).build(parse_paths([src / "a.md", src / "b.md"]))
    return settings, src


def parsers(settings) -> dict[str, str]:
    from index import CoachIndex

    return {s["source"]: s["parser"] for s in CoachIndex(settings).status()["sources"]}


def test_a_newer_parser_reparses_unchanged_files_at_start_and_leaves_edited_ones(home, monkeypatch):
    settings, src = home
    before = parsers(settings)
    assert set(before) == {"a.md", "b.md"} and len(set(before.values())) == 1
    import yaml

    Coach(settings).add_sources([src / "a.md", src / "b.md"])  # drafts written by this parser
    drafts = settings.home / "rubrics" / "drafts" / "a-md.yaml"
    assert yaml.safe_load(drafts.read_text())["parser"] == before["a.md"]
    (src / "b.md").write_text(B + "\n3. What is a signal?\n\nAn asynchronous notification.\n", encoding="utf-8")
    monkeypatch.setattr("corpus.version._default", lambda: "newer-parser")
    coach = Coach(settings)
    coach.ensure_index()
    after = parsers(settings)
    assert yaml.safe_load(drafts.read_text())["parser"] == "newer-parser"  # redrafted from the re-parsed records
    # a.md is unchanged: re-parsed; b.md was edited since it was indexed: the user's to re-add, left as it was
    assert after == {"a.md": "newer-parser", "b.md": before["b.md"]}
    assert [r.question for r in coach.index.records() if r.source == "b.md"] == ["What is a pipe?", "What is a socket?"]
    assert coach._reparse_stale() == []  # b.md is still edited: nothing to do, and nothing fails


def test_index_add_of_an_unchanged_file_reparses_it_after_a_parser_change(home, monkeypatch):
    from corpus import parse_paths
    from index import CoachIndex

    settings, src = home
    assert CoachIndex(settings).add(parse_paths([src / "a.md"]))["unchanged"] == ["a.md"]
    monkeypatch.setattr("corpus.version._default", lambda: "newer-parser")
    assert CoachIndex(settings).add(parse_paths([src / "a.md"]))["updated"] == ["a.md"]
    assert CoachIndex(settings).add(parse_paths([src / "a.md"]))["unchanged"] == ["a.md"]


def test_index_status_names_the_sources_an_earlier_parser_made(home, monkeypatch):
    from click.testing import CliRunner

    from coach.cli import cli

    settings, _ = home
    monkeypatch.setenv("COACH_HOME", str(settings.home))
    res = CliRunner().invoke(cli, ["index", "status"])
    assert res.exit_code == 0 and "earlier version" not in res.output
    monkeypatch.setattr("corpus.version._default", lambda: "newer-parser")
    res = CliRunner().invoke(cli, ["index", "status"])
    assert res.exit_code == 0, res.output
    assert "note: 2 source(s) parsed by an earlier version of the coach: a.md, b.md." in res.output


def test_a_bundled_source_whose_installation_moved_is_found_by_its_name(tmp_path, monkeypatch, embedder, bundled_dir):
    import shutil

    from corpus import parse_paths
    from index import CoachIndex

    monkeypatch.setattr("index.embedder.load_sentence_transformer", lambda settings: embedder)
    name = sorted(p.name for p in bundled_dir.iterdir() if p.is_file())[0]
    old_install = tmp_path / "old-install"
    old_install.mkdir()
    shutil.copy(bundled_dir / name, old_install / name)
    settings = load_settings(home=tmp_path / "home")
    CoachIndex(settings).build(parse_paths([old_install / name]))
    shutil.rmtree(old_install)  # the installation the index was built from is gone
    monkeypatch.setattr("corpus.version._default", lambda: "newer-parser")
    Coach(settings).ensure_index()
    assert parsers(settings) == {name: "newer-parser"}


def test_a_reparse_asked_for_by_grading_does_not_hold_the_coachs_lock(home, monkeypatch):
    """A review: when grading was the first thing a Coach was asked for, the re-parse ran under the Coach's lock and
    every other user of it waited minutes. Control flow only: the re-parse itself is the test above."""
    settings, _ = home
    coach = Coach(settings)
    held = []
    monkeypatch.setattr(Coach, "_reparse_stale", lambda self, progress=None: held.append(self._lock._is_owned()) or [])
    coach.grader
    assert held == [False]
    coach.grader  # once per Coach
    assert held == [False]
