"""Large sources: a documented size limit refused with one line, progress from every stage of indexing,
and the time/memory figure `coach bench` states (real model)."""

from __future__ import annotations

import random

import pytest
from click.testing import CliRunner

from coach.cli import cli
from coach.config import load_settings

WORDS = "network layer neuron weight bias gradient descent loss dropout batch epoch attention token".split()


def qa_text(kb: float, seed: int = 0) -> str:
    """A Q&A file of about ``kb`` kilobytes: numbered questions, two-to-four-sentence answers."""
    rng, parts, size, n = random.Random(seed), [], 0, 0
    while size < kb * 1024:
        n += 1
        q = f"{n}. What is the {' '.join(rng.choices(WORDS, k=4))}?\n\n"
        a = " ".join(" ".join(rng.choices(WORDS, k=10)).capitalize() + "." for _ in range(rng.randint(2, 4))) + "\n\n"
        parts.append(q + a)
        size += len(q) + len(a)
    return "".join(parts)


@pytest.fixture
def run(monkeypatch, embedder):
    monkeypatch.setattr("index.embedder.load_sentence_transformer", lambda settings: embedder)
    return lambda *args: CliRunner().invoke(cli, ["index", *map(str, args)])


def test_a_source_over_the_limit_is_refused_with_one_line(run, tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_MAX_SOURCE_MB", "0.05")  # 51.2 KB
    big, small = tmp_path / "big.md", tmp_path / "small.md"
    big.write_text(qa_text(60))
    small.write_text(qa_text(2, seed=1))
    res = run("add", big, small)
    assert res.exit_code == 0, res.output
    assert "added: small.md" in res.stdout and "big.md" not in res.stdout
    warned = [line for line in res.stderr.splitlines() if "big.md" in line]
    assert len(warned) == 1 and "too large" in warned[0] and "COACH_MAX_SOURCE_MB" in warned[0], res.stderr
    res = run("add", big)  # nothing else to do: non-zero, one line
    assert res.exit_code == 1 and res.stderr.strip().splitlines()[-1].startswith("Error: too large")


def test_every_stage_reports_progress(tmp_path, embedder):
    from corpus import parse_batch
    from index import CoachIndex

    for i in range(3):
        (tmp_path / f"f{i}.md").write_text(qa_text(8, seed=i))
    seen: list[tuple[int, int, str]] = []
    batch = parse_batch([tmp_path], embedder=embedder, progress=lambda d, t, s: seen.append((d, t, s)))
    parse = [(d, t) for d, t, s in seen if s == "parse"]
    group = [(d, t) for d, t, s in seen if s == "group"]
    assert parse[0] == (0, 3) and parse[-1] == (3, 3) and len(parse) >= 4  # one step per file
    n_questions = sum(len(ps.records) for ps in batch.sources)
    assert group[-1] == (n_questions, n_questions)
    seen.clear()
    CoachIndex(load_settings(home=tmp_path / "home"), model=embedder).build(batch.sources, progress=lambda d, t, s: seen.append((d, t, s)))
    assert [s for s in dict.fromkeys(s for _, _, s in seen)] == ["chunk", "embed", "index", "write"]


def test_bench_states_time_and_memory_for_a_large_source(embedder):
    from index.bench import bench_large_source

    out = bench_large_source(load_settings(), embedder, mb=0.05)
    assert out["mb"] == 0.05 and out["records"] > 20 and out["chunks"] >= out["records"]
    assert out["seconds"] > 0 and out["peak_rss_mb"] >= out["rss_growth_mb"] >= 0
    assert 0 <= out["longest_silence_s"] <= out["seconds"] and out["limit_mb"] == load_settings().max_source_mb


def test_the_audit_reports_progress_per_source_then_cross_source(tmp_path):
    from coach.audit import audit_sources
    from corpus import parse_batch

    for i in range(2):
        (tmp_path / f"f{i}.md").write_text(qa_text(2, seed=i))
    parsed = parse_batch([tmp_path]).sources
    seen: list[tuple[int, int, str]] = []
    audit_sources(parsed, load_settings(home=tmp_path / "home"), checks=("code", "arithmetic"), cache=False,
                  progress=lambda d, t, s: seen.append((d, t, s)))
    assert seen == [(0, 3, "audit"), (1, 3, "audit"), (2, 3, "audit"), (3, 3, "audit")]


def test_bench_audits_one_added_twenty_page_document(coach):
    """`coach bench --only audit` states the audit time of one added ~20-page document (real parse and
    checks; the figure itself is a benchmark, not asserted here)."""
    from coach.bench import bench_added_document

    out = bench_added_document(coach, words=2_000)
    assert 2_000 <= out["audit_added_doc_words"] < 2_400 and out["audit_added_doc_records"] >= 5
    assert out["audit_added_doc_s"] >= 0 and out["audit_added_doc_flags"] >= 0
    assert out["audit_added_doc_target_s"] == 30
