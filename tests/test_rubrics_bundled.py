"""The reviewed rubrics of the bundled corpus: complete, valid, and not contradicting themselves."""

from __future__ import annotations

from collections import Counter

import pytest

from coach.grading.rubrics import RubricBank
from coach.grading.text import is_negated, sentences


@pytest.fixture(scope="module")
def bank():
    return RubricBank.load()


def test_every_bundled_question_has_a_reviewed_rubric(bank, bundled_dir):
    from corpus import parse_paths

    records = [r for ps in parse_paths([bundled_dir]) for r in ps.records if r.kind == "qa"]
    assert Counter(r.source[:3] for r in records) == {"000": 81, "001": 20, "002": 30, "003": 9, "004": 65}
    missing = [r.id for r in records if bank.for_record(r.id) is None]
    assert not missing
    assert all(bank.for_record(r.id).origin == "reviewed" for r in records)


def test_rubric_shape(bank):
    assert len(bank) >= 120
    assert bank.problems == []  # a bundled file is never skipped (a bad one would only warn at run time)
    for r in bank.by_id.values():
        assert 1 <= len(r.key_points) <= 6, r.id
        assert r.model_answer.strip() and r.question.strip(), r.id
        for m in r.misconceptions:
            assert m.correction.strip(), (r.id, m.text)
            if m.source_error:
                assert m.record, (r.id, m.text)


def test_no_pattern_fires_on_correct_text(bank):
    """A misconception pattern must never match a model answer, key point or correction (of any rubric)."""
    correct = [s for r in bank.by_id.values() for t in [r.model_answer, *(k.text for k in r.key_points), *(m.correction for m in r.misconceptions)] for s in sentences(t)]
    for r in bank.by_id.values():
        for m in r.misconceptions:
            for p in m.compiled:
                hits = [s for s in correct if p.search(s) and (is_negated(m.text) or not is_negated(s))]
                assert not hits, (r.id, p.pattern, hits[:2])
