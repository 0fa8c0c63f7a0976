"""Rubric vectors kept on disk (coach/grading/vector_store.py): a rubric is embedded once, the grade is the
same from disk as from the model, and a damaged file or an unwritable folder never costs a grade."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from coach.grading import Grader, RubricBank
from coach.grading.rubrics import load_rubric_file
from coach.grading.vector_store import RubricVectorStore

DATA = Path(__file__).parent / "data" / "grading"
Q = "What is the difference between L1 and L2 regularization?"
ANSWER = ("L1 adds the absolute values of the weights to the loss and drives some of them to exactly zero; "
          "L2 adds their squares and shrinks them all without making them zero.")


class Counting:
    """The real embedding model, counting the texts it is asked to embed (control flow only)."""

    def __init__(self, embedder):
        self.embedder, self.texts = embedder, []

    def __call__(self, texts):
        self.texts.extend(texts)
        return self.embedder.encode(list(texts), normalize_embeddings=True)


def _grader(embedder, store):
    bank = RubricBank(load_rubric_file(DATA / "rubrics.yaml", "test"))
    embed = Counting(embedder)
    return Grader(embed, bank, vector_store=store), embed


def _rubric_texts(grader):
    rubric = grader.resolve(Q, "l1-vs-l2")
    return {rubric.model_answer, *(kp.text for kp in rubric.key_points)}


def test_a_rubric_is_embedded_once_and_graded_the_same_from_disk(embedder, tmp_path):
    store = RubricVectorStore(tmp_path / "cache", "test-model")
    first, embed1 = _grader(embedder, store)
    grade1 = first.grade(Q, ANSWER, question_id="l1-vs-l2")
    assert _rubric_texts(first) <= set(embed1.texts)
    assert len(list(store.dir.glob("*.npy"))) == 1

    again, embed2 = _grader(embedder, RubricVectorStore(tmp_path / "cache", "test-model"))  # a later run
    grade2 = again.grade(Q, ANSWER, question_id="l1-vs-l2")
    assert not (_rubric_texts(again) & set(embed2.texts))  # only the answer was embedded
    assert grade2.score == grade1.score and grade2.to_contract() == grade1.to_contract()

    plain, _ = _grader(embedder, None)  # no store: the same grade, bit for bit
    assert plain.grade(Q, ANSWER, question_id="l1-vs-l2").to_contract() == grade1.to_contract()

    other, embed3 = _grader(embedder, RubricVectorStore(tmp_path / "cache", "another-model"))
    other.grade(Q, ANSWER, question_id="l1-vs-l2")
    assert _rubric_texts(other) <= set(embed3.texts)  # another embedding model never reads these vectors
    torch_run, embed4 = _grader(embedder, RubricVectorStore(tmp_path / "cache", "test-model", "torch"))
    torch_run.grade(Q, ANSWER, question_id="l1-vs-l2")
    assert _rubric_texts(torch_run) <= set(embed4.texts)  # nor does another runtime (close, not bit for bit)


@pytest.mark.parametrize("damage", ["truncated", "wrong shape", "pickled object"])
def test_a_damaged_vectors_file_is_embedded_again(embedder, tmp_path, damage):
    store = RubricVectorStore(tmp_path / "cache", "test-model")
    first, _ = _grader(embedder, store)
    expected = first.grade(Q, ANSWER, question_id="l1-vs-l2").to_contract()
    (path,) = store.dir.glob("*.npy")
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "wrong shape":
        np.save(path, np.zeros((2, 384), dtype=np.float32))
    else:
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    again, embed = _grader(embedder, RubricVectorStore(tmp_path / "cache", "test-model"))
    assert again.grade(Q, ANSWER, question_id="l1-vs-l2").to_contract() == expected
    assert _rubric_texts(again) <= set(embed.texts)
    assert np.load(path, allow_pickle=False).dtype == np.float32  # written again, readable


def test_an_unwritable_cache_folder_warns_once_and_grades(embedder, tmp_path, caplog):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be")
    grader, _ = _grader(embedder, RubricVectorStore(blocker, "test-model"))
    with caplog.at_level(logging.WARNING):
        grade = grader.grade(Q, ANSWER, question_id="l1-vs-l2")
        grader._vec_cache.clear()
        assert grader.grade(Q, ANSWER, question_id="l1-vs-l2").to_contract() == grade.to_contract()
    assert grade.verdict == "correct"
    assert sum("rubric vectors not saved" in r.getMessage() for r in caplog.records) == 1


def test_the_coach_keeps_rubric_vectors_in_its_home(coach):
    store = coach.grader.vector_store
    assert store is not None and store.dir.is_relative_to(Path(coach.settings.home) / "cache")


def test_a_rubric_drafted_from_an_explicit_reference_is_not_kept_on_disk(embedder, tmp_path):
    """An explicit reference (a ``reference`` field of a `coach grade` line) is ad hoc: the folder must not grow with each one."""
    store = RubricVectorStore(tmp_path / "cache", "test-model")
    grader, _ = _grader(embedder, store)
    reference = "L1 penalises absolute weights and makes them sparse; L2 penalises squared weights."
    grader.grade(Q, ANSWER, reference=reference)
    assert not store.dir.exists() or not list(store.dir.glob("*.npy"))
    grader.grade(Q, ANSWER, question_id="l1-vs-l2")
    assert len(list(store.dir.glob("*.npy"))) == 1


def test_rubrics_in_memory_are_bounded_and_an_evicted_one_grades_the_same(embedder, tmp_path):
    """Each explicit reference makes a new rubric: a long-lived server keeps only the most recent ones, and
    one pushed out is rebuilt to the same grade."""
    from coach.grading.grader import _LRU

    grader, _ = _grader(embedder, None)
    grader._vec_cache, grader._augmented = _LRU(2), _LRU(2)
    refs = [f"L1 penalises absolute weights (variant {i}) and makes them sparse; L2 penalises squared weights."
            for i in range(4)]
    first = grader.grade(Q, ANSWER, reference=refs[0]).to_contract()
    for ref in refs[1:]:
        grader.grade(Q, ANSWER, reference=ref)
    assert len(grader._vec_cache) == 2 and len(grader._augmented) <= 2
    assert grader.grade(Q, ANSWER, reference=refs[0]).to_contract() == first
