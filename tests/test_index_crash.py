"""Crash safety: a writer killed (SIGKILL) at any moment leaves the previous index fully usable.

The writer is a real subprocess. Deterministic kills use the COACH_INDEX_CRASH_AT hook (the writer
SIGKILLs itself at a named step); random kills come from the parent after a random short delay while
the child rewrites the index in a loop and the parent keeps reading it. The child embeds with the
hand-checkable word-length fake: this test is about control flow, and loading the real model in every
child would cost seconds per kill.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_index_support import WordLengthModel, all_sources

from coach.config import load_settings
from index import CoachIndex, store

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

CHILD = r"""
import sys
from coach.config import load_settings
from corpus.records import ParsedSource, Record
from index import CoachIndex
from test_index_support import WordLengthModel, all_sources

def big(i):
    n = 300 + i % 7
    recs = [Record(id=f"big.txt:{j}", source="big.txt", question=f"Question {j} of round {i}?",
                   answer=" ".join(["word"] * (j % 50)) + f" round {i}", line_start=j, line_end=j)
            for j in range(1, n + 1)]
    return ParsedSource("big.txt", "/data/big.txt", f"sha-{i}", recs)

ix = CoachIndex(load_settings(), model=WordLengthModel())
if sys.argv[1] == "once":
    ix.build(all_sources("v2") + [big(1)])
else:
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        ix.build(all_sources() + [big(i)])
"""


def _env(home: Path, crash_at: str | None = None) -> dict:
    env = dict(os.environ, COACH_HOME=str(home), PYTHONPATH=os.pathsep.join([str(ROOT), str(TESTS)]))
    env.pop(store.CRASH_ENV, None)
    if crash_at:
        env[store.CRASH_ENV] = crash_at
    return env


def _check_usable(settings) -> dict:
    """Load the live index from scratch and use it; returns its status."""
    ix = CoachIndex(settings, model=WordLengthModel())
    st = ix.status()
    assert st["exists"]
    records = ix.records()
    assert len(records) == st["records"] == sum(s["records"] for s in st["sources"])
    assert len({r.id for r in records}) == len(records)
    assert ix.search("What is dropout?", k=3, mode="hybrid")
    assert ix.search("dropout", k=3, mode="bm25")[0].record.id == "ml.txt:4"
    return st


@pytest.mark.parametrize("point", ["chunks_written", "vectors_written", "before_rename", "before_switch"])
def test_kill_at_each_write_step_keeps_previous_index(point, _isolated_home):
    settings = load_settings()
    CoachIndex(settings, model=WordLengthModel()).build(all_sources())
    before = _check_usable(settings)
    proc = subprocess.run([sys.executable, "-c", CHILD, "once"], env=_env(_isolated_home, point), cwd=ROOT,
                          capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    after = _check_usable(settings)
    assert after["generation"] == before["generation"] and after["records"] == before["records"]
    # The next writer cleans up and succeeds (flock died with the killed process).
    CoachIndex(settings, model=WordLengthModel()).add(all_sources("v3"))
    assert not list(settings.index_dir.glob("*.tmp"))
    assert _check_usable(settings)["generation"] != before["generation"]


def test_kill_right_after_switch_leaves_the_new_index(_isolated_home):
    settings = load_settings()
    CoachIndex(settings, model=WordLengthModel()).build(all_sources())
    proc = subprocess.run([sys.executable, "-c", CHILD, "once"], env=_env(_isolated_home, "after_switch"),
                          cwd=ROOT, capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    st = _check_usable(settings)
    assert "big.txt" in {s["source"] for s in st["sources"]}


def test_collection_after_a_failed_switch_keeps_the_previous_live_generation(_isolated_home):
    """A generation written but never switched in (killed before the switch) is an orphan: the next
    writer collects it and keeps the generation that really was live before its own."""
    settings = load_settings()
    CoachIndex(settings, model=WordLengthModel()).build(all_sources())
    CoachIndex(settings, model=WordLengthModel()).add(all_sources("v2"))
    previous = store.read_current(settings.index_dir)
    proc = subprocess.run([sys.executable, "-c", CHILD, "once"], env=_env(_isolated_home, "before_switch"), cwd=ROOT,
                          capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    orphan = {p.name for p in settings.index_dir.glob("gen-*")} - {previous}
    assert store.read_current(settings.index_dir) == previous and len(orphan) == 2  # the older one and the orphan
    CoachIndex(settings, model=WordLengthModel()).add(all_sources("v3"))
    live = store.read_current(settings.index_dir)
    assert {p.name for p in settings.index_dir.glob("gen-*")} == {previous, live}


def test_random_kills_while_readers_read(_isolated_home):
    settings = load_settings()
    CoachIndex(settings, model=WordLengthModel()).build(all_sources())
    rng = random.Random(7)
    generations = set()
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", CHILD, "loop"], env=_env(_isolated_home), cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert proc.stdout.readline().strip() == b"ready"
            deadline = time.monotonic() + rng.uniform(0.3, 1.5)
            reader = CoachIndex(settings, model=WordLengthModel())
            while time.monotonic() < deadline:  # a concurrent reader never sees a half-written index
                assert reader.search("dropout", k=1, mode="bm25")[0].record.id == "ml.txt:4"
                generations.add(reader.status()["generation"])
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        _check_usable(settings)
    assert len(generations) > 2  # the readers really saw the writer switch generations
    CoachIndex(settings, model=WordLengthModel()).add(all_sources("v9"))
    assert len(list(settings.index_dir.glob("gen-*"))) == store.KEEP_GENERATIONS


def test_a_damaged_current_pointer_never_costs_the_complete_generations(_isolated_home):
    """CURRENT naming a generation that is gone (restored from an older backup, edited by hand): taking the
    write lock collected every complete generation (the only copies of the index), then the write failed."""
    settings = load_settings()
    CoachIndex(settings, model=WordLengthModel()).build(all_sources())
    CoachIndex(settings, model=WordLengthModel()).add(all_sources("v2"))
    complete = {p.name for p in settings.index_dir.glob("gen-*")}
    assert len(complete) == 2
    (settings.index_dir / store.CURRENT).write_text("gen-999-1\n", encoding="utf-8")
    (settings.index_dir / "gen-5-5.tmp").mkdir()  # a killed writer's leftover is still collected
    with store.WriteLock(settings.index_dir):
        pass
    assert {p.name for p in settings.index_dir.glob("gen-*")} == complete


@pytest.mark.parametrize("damage", ["meta_list", "meta_without_sources", "binary_pointer"])
def test_damaged_index_metadata_is_one_line_and_a_build_replaces_it(damage, _isolated_home):
    """A hand-edited or corrupted meta.json or CURRENT was a traceback, and `coach index build`, the advised way out,
    crashed too, in the write lock's clean-up (a review): the user had to delete the index by hand."""
    from coach.errors import CoachError

    settings = load_settings()
    CoachIndex(settings, model=WordLengthModel()).build(all_sources())
    live = settings.index_dir / store.read_current(settings.index_dir)
    if damage == "meta_list":
        (live / "meta.json").write_text("[]", encoding="utf-8")
    elif damage == "meta_without_sources":
        (live / "meta.json").write_text('{"format": 1}', encoding="utf-8")
    else:
        (settings.index_dir / store.CURRENT).write_bytes(b"\xff\xfe\x00")
    ix = CoachIndex(settings, model=WordLengthModel())
    with pytest.raises(CoachError, match="unreadable .*run `coach index build`"):
        ix.status()
    complete = {p.name for p in settings.index_dir.glob("gen-*")}
    with pytest.raises(CoachError, match="unreadable"):  # an add never replaces what it cannot read with its file alone
        CoachIndex(settings, model=WordLengthModel()).add(all_sources("v2")[:1])
    assert {p.name for p in settings.index_dir.glob("gen-*")} == complete
    CoachIndex(settings, model=WordLengthModel()).build(all_sources())
    _check_usable(settings)
