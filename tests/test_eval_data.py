"""The labelled data sets in evals/data stay valid: sizes, splits, and exact links into the sources.

If a bundled source or a data file is edited, these catch the drift (a quote no longer on its lines,
a question id that no longer points at its question, a split that leaks across a question).
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from evals.base import DATA_DIR, load_jsonl


@pytest.fixture(scope="module")
def lines(bundled_dir):
    return {p.name: p.read_text(encoding="utf-8").splitlines() for p in bundled_dir.iterdir() if p.suffix == ".txt"}


def _span(lines, row):
    return "\n".join(lines[row["source"]][row["line_start"] - 1 : row["line_end"]])


def test_graded_answers_sizes_tiers_and_splits(lines):
    rows = load_jsonl(DATA_DIR / "graded_answers.jsonl")
    assert len(rows) >= 250 and len({r["id"] for r in rows}) == len(rows)
    questions = {r["question_id"] for r in rows}
    assert len(questions) >= 50
    ranges = {"excellent": (9, 10), "good": (7, 8.5), "partial": (3.5, 6.5), "wrong": (0, 3), "off_topic": (0, 1)}
    for r in rows:
        lo, hi = ranges[r["tier"]]
        assert lo <= r["score"] <= hi, r["id"]
        source, line = r["question_id"].rsplit(":", 1)
        assert source in lines, r["id"]
    split_of = defaultdict(set)
    for r in rows:
        split_of[r["question_id"]].add(r["split"])
    assert all(len(s) == 1 for s in split_of.values()), "a question's answers span both splits"
    wrong_sources = {r["question_id"] for r in rows if r["source_wrong"]}
    assert len(wrong_sources) >= 10
    assert {r["split"] for r in rows if r["source_wrong"]} == {"dev", "test"}
    styles = Counter(s for r in rows for s in r["styles"])
    for style, minimum in {"reuses_reference_words": 40, "concept_swap": 30, "paraphrase": 40, "injection": 10}.items():
        assert styles[style] >= minimum, style


def test_graded_question_ids_point_at_their_question(lines):
    import re

    def norm(t):
        return re.sub(r"[^a-z0-9]+", " ", t.lower()).strip()

    for r in load_jsonl(DATA_DIR / "graded_answers.jsonl"):
        source, line = r["question_id"].rsplit(":", 1)
        assert norm(r["question"])[:40] in norm(lines[source][int(line) - 1]), r["id"]


def test_source_error_key_quotes_are_exact(lines):
    errors = load_jsonl(DATA_DIR / "source_errors.jsonl")
    claims = load_jsonl(DATA_DIR / "correct_claims.jsonl")
    assert len(errors) >= 40 and len(claims) >= 30
    for row in errors + claims:
        assert row["quote"] in _span(lines, row), row["id"]
    assert {e["split"] for e in errors} == {"dev", "test"}
    assert sum(e["severity"] == "major" for e in errors if e["split"] == "test") >= 10


def test_retrieval_queries_have_valid_gold(lines):
    rows = load_jsonl(DATA_DIR / "retrieval_queries.jsonl")
    assert len(rows) >= 150
    for r in rows:
        assert r["gold"] and r["split"] in {"dev", "test"}
        for gid in r["gold"]:
            source, line = gid.rsplit(":", 1)
            assert source in lines and 1 <= int(line) <= len(lines[source]), (r["id"], gid)
