"""Quick evaluations in every test run: regression guards set just below the figures measured on
the current code (a guard, not a wish). The full evaluation is `coach eval all` (see README).

Measured 2026-11-21 on the test split: grading (first 80 answers) Spearman 0.864, wrong-tier mean
2.85, excellent-tier mean 8.73; full test split Spearman 0.824, cosine baseline 0.089. Audit on the test split: precision
0.84, recall 0.68, recall on major errors 1.0, false-positive rate 0.0. Retrieval guards live in
tests/test_index_quality.py.
"""

from __future__ import annotations

import pytest

from evals.audit import AuditEvaluator

# measured 2026-11-30 with the shipped judge: in-subject test 0.785, out-of-subject (networking) 0.791
JUDGE_TEST_ACC, JUDGE_OOS_ACC = 0.77, 0.77
from evals.grading import GradingEvaluator


@pytest.fixture(scope="module")
def grading(coach):
    return GradingEvaluator(coach.grader)(split="test", limit=80)


def test_grading_quality_guard(grading):
    m = grading.metrics
    assert grading.failures == 0
    assert m["determinism"] == 1.0
    assert m["spearman"] >= 0.83, m
    assert m["spearman"] > m["baseline_spearman"] + 0.4, m
    assert m["mean_pred_wrong"] <= 3.1, m
    assert m["mean_pred_excellent"] >= 8.4, m


def test_audit_quality_guard(coach):
    result = AuditEvaluator(coach.audit.all_flags())(split="test")
    m = result.metrics
    assert m["precision"] >= 0.78, m
    assert m["recall"] >= 0.62, m
    assert m["recall_major"] >= 0.9, m
    assert m["false_positive_rate"] <= 0.1, m


def test_report_renders(grading, tmp_path):
    from evals.report import write_report

    path = write_report([grading], tmp_path, "test")
    text = path.read_text()
    assert "Primary metric: `spearman`" in text
    for png in ("grading_scatter.png", "grading_tiers.png", "grading_confusion.png"):
        assert (tmp_path / png).stat().st_size > 5_000
    assert (tmp_path / "metrics.json").exists()


def test_judge_quality_guard():
    """The shipped judge on its held-out pairs: in-subject test split and the never-trained subject."""
    import numpy as np

    from coach.judge import Judge
    from coach.judge.data import build_pairs, load_records

    splits = build_pairs(load_records()[0])
    judge = Judge()
    for name, floor in (("test", JUDGE_TEST_ACC), ("oos", JUDGE_OOS_ACC)):
        pairs = splits[name]
        pred = judge.scores([(p.premise, p.hypothesis) for p in pairs]).argmax(1)
        acc = float(np.mean(pred == np.array([p.label for p in pairs])))
        assert acc >= floor, (name, acc)


def test_scorer_eval_quality_guard(coach, monkeypatch):
    """`coach eval scorer` on the first 80 answers of each set, beside cosine (measured 2026-12-01: own
    held-out questions Spearman 0.771 vs cosine 0.292; other subject 0.713 vs 0.170; bundled 0.618).
    The new-source set is left out here only because it needs its own index of four documents (the full
    command measures it)."""
    import evals.judge
    from evals.scorer import evaluate_scorer

    monkeypatch.setattr(evals.judge, "NEW_SOURCE_ANSWERS", evals.judge.NEW_SOURCE_ANSWERS.with_name("absent.jsonl"))
    m = evaluate_scorer(coach, "test", 80).metrics
    assert m["scorer_test_n"] == 80 and m["bundled_n"] == 80 and m["other_subject_n"] == 80
    assert "new_sources_n" not in m
    assert m["scorer_test_spearman"] >= 0.74 and m["scorer_test_spearman"] > m["scorer_test_cosine_spearman"] + 0.3, m
    assert m["other_subject_spearman"] >= 0.68 and m["other_subject_spearman"] > m["other_subject_cosine_spearman"] + 0.4, m
    assert m["scorer_test_mean_excellent"] > m["scorer_test_mean_wrong"] + 5, m
