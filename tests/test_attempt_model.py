"""The learned "no attempt" reading (coach/grading/attempt_model.py) with the real embedding model and the real
grader: admissions in words the text rule does not know become "no attempt" when the grade finds nothing, and
an answer with content keeps its grade however it hedges (the gate)."""

from __future__ import annotations

import dataclasses
import json
import logging

import numpy as np
import pytest

from coach.grading.attempt import is_no_attempt
from coach.grading.attempt_model import MODEL_FILE, AttemptModel, read_labelled, train_attempt_model

Q = "What is the difference between L1 and L2 regularization?"

UNKNOWN_TO_THE_RULE = [
    "My mind went blank, that was in a course years ago.",
    "Honestly not my area, I'm more of a frontend person.",
    "That never came up in my job, so I can't help here.",
    "Our platform team always handled that, I never had to touch it.",
]


def test_the_shipped_model_reads_the_default_embedding_model(coach):
    model = AttemptModel.for_embedder(coach.index.embedder.model_id)
    assert model is not None and np.array_equal(coach.grader.attempt_model.weights, model.weights)
    assert model.weights.shape == (coach.index.embedder.dim,) and 0.5 <= model.threshold < 1
    info = model.info["leave_one_writer_out"]
    assert info["recall"] > info["rule_recall"] + 0.2 and info["false_alarms"] <= 0.01


@pytest.mark.parametrize("answer", UNKNOWN_TO_THE_RULE)
def test_admissions_the_rule_misses_are_no_attempt(coach, answer):
    assert not is_no_attempt(answer, Q)  # what the model adds
    grade = coach.grader.grade(Q, answer)
    assert grade.verdict == "no_attempt" and grade.score == 0, grade.steps
    step = next(s for s in grade.steps if s.name == "no_attempt")
    assert "found nothing in it" in step.explanation and step.value >= coach.grader.attempt_model.threshold
    assert grade.right == [] and len(grade.missing) >= 2 and "No attempt" in grade.feedback


@pytest.mark.parametrize("answer", [
    "I'm not sure, I never used it, but I think L1 pushes weights to exactly zero and L2 just shrinks them.",
    "L1 adds the absolute values of the weights to the loss, L2 the squares; L1 gives sparse weights.",
    "No idea really, but L2 makes weights sparse and L1 keeps all of them small.",  # a wrong guess is an attempt
])
def test_answers_with_content_are_graded_however_they_hedge(coach, answer):
    grade = coach.grader.grade(Q, answer)
    assert grade.verdict != "no_attempt" and not any(s.name == "no_attempt" for s in grade.steps)


def test_the_gate_keeps_a_grade_that_found_something(coach, monkeypatch):
    """Even a reading of 1.0 never turns an answer with a credited point or a wrong claim into no attempt."""
    grader = coach.grader
    always = dataclasses.replace(grader.attempt_model, weights=np.zeros_like(grader.attempt_model.weights), bias=50.0)
    monkeypatch.setattr(grader, "attempt_model", always)
    right = grader.grade(Q, "L1 adds the absolute values of the weights to the loss, L2 the squares; L1 gives sparse weights.")
    assert right.verdict == "correct" and right.score >= 2.5
    unrelated = grader.grade(Q, "A bottleneck layer has fewer units than the layers around it.")
    assert unrelated.verdict == "no_attempt" and unrelated.score == 0  # nothing found: the reading decides
    monkeypatch.setattr(grader, "attempt_model", None)  # off: the rule alone
    assert grader.grade(Q, UNKNOWN_TO_THE_RULE[0]).verdict != "no_attempt"


def test_the_blind_test_set_with_the_model(coach):
    """The rule with the model (no gate: the set has no references) on the blind test set, measured once before
    this test was written (2026-12-04): recall 0.17 -> 0.57, no attempt called no attempt."""
    from evals.no_attempt import no_attempt_metrics

    m = no_attempt_metrics("test", coach.grader)
    assert m["no_attempt_n"] == 240 and m["no_attempt_false_rate"] == 0
    assert m["no_attempt_recall"] >= 0.55 and m["no_attempt_recall"] > m["no_attempt_rule_recall"] + 0.35


def test_the_model_is_used_only_with_its_embedding_model(tmp_path, caplog):
    assert AttemptModel.for_embedder("another/model") is None
    assert AttemptModel.for_embedder("x", tmp_path / "missing.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": 1, "embedding_model": "x", "threshold": 2, "bias": 0, "weights": [1.0]}))
    with caplog.at_level(logging.WARNING):
        assert AttemptModel.for_embedder("x", bad) is None
    assert "no-attempt model unusable" in caplog.text
    shipped = json.loads(MODEL_FILE.read_text())
    assert AttemptModel.for_embedder(shipped["embedding_model"]) is not None


def test_an_answer_too_long_or_empty_is_not_read(coach):
    model = coach.grader.attempt_model
    assert model.reading("I don't know " * 40, coach.grader._embed) is None
    assert model.reading("  ", coach.grader._embed) is None


def test_training_picks_a_threshold_by_leave_one_writer_out(coach, tmp_path):
    """The trainer on two small writer groups of the tuning sets (the real embedding model): a threshold on its
    grid, figures per writer, a saved model that loads back; impossible limits are an error, not a model."""
    from evals.no_attempt import NO_ATTEMPT_DIR

    groups = {name: read_labelled(NO_ATTEMPT_DIR / f"{name}.jsonl")[:60] for name in ("dev", "dev2")}
    attempts = ["A mutex is a lock only one thread holds at a time.", "Dropout zeroes random units during training."]
    embed = coach.index.embedder.encode
    model = train_attempt_model(groups, attempts, embed, "m", Cs=(1.0, 5.0))
    assert 0.5 <= model.threshold < 1 and model.info["C"] in (1.0, 5.0)
    assert set(model.info["leave_one_writer_out"]["false_alarms_by_group"]) == {"dev", "dev2"}
    model.save(tmp_path / "m.json")
    assert AttemptModel.load(tmp_path / "m.json").threshold == model.threshold
    with pytest.raises(ValueError, match="no threshold"):
        train_attempt_model(groups, attempts, embed, "m", max_false_alarms=-1)
    with pytest.raises(ValueError, match="two groups"):
        train_attempt_model({"dev": groups["dev"]}, attempts, embed, "m")
    (tmp_path / "x.jsonl").write_text('{"answer": "a", "label": "maybe"}\n')
    with pytest.raises(ValueError, match="x.jsonl:1"):
        read_labelled(tmp_path / "x.jsonl")


def test_switched_off(monkeypatch):
    from coach.config import load_settings
    from coach.service import Coach

    monkeypatch.setenv("COACH_ATTEMPT_MODEL", "off")
    assert Coach(load_settings())._attempt_model() is None


def test_train_attempt_reads_the_graded_answers_the_shipped_model_was_fitted_with():
    """Later rounds of graded answers (``graded_round5/``, written for the judge) are not read, so
    ``coach judge train-attempt`` still reproduces the shipped model's false-alarm check."""
    from coach.commands.judge import graded_attempt_texts

    shipped = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    texts = graded_attempt_texts()
    assert len(texts) == shipped["info"]["graded_attempts"] == 8384 and all(t.strip() for t in texts)
