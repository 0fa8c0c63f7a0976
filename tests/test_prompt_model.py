"""Behavioural prompts read by meaning (coach/grading/prompts.py), with the real embedding model: prompts worded in
ways the phrasings miss are read as prompts, technical questions that open like them are not, a question that does
not address the candidate never is, and only the story model consults it."""

from __future__ import annotations

import json

import pytest

from coach.grading.prompts import ADDRESSED, MODEL_FILE, PromptModel
from corpus.behavioural import behavioural

# written for this test, not in any training list: each missed by the phrasings
UNSEEN_PROMPTS = [
    "Walk me through a time you had to win back a customer's trust.",
    "Have you ever had to tell your boss that a plan would not work?",
    "Can you think of a time you had to learn a new system in a hurry?",
    "When was the last time you helped a new starter settle in?",
    "What's a decision at work you would make differently today?",
]
TECHNICAL = [
    "Walk me through how a hash join works.",
    "Have you ever used a bloom filter, and what is its false-positive rate?",
    "When would you choose a linked list over an array?",
    "Can you think of a reason a TCP connection stays in TIME_WAIT?",
    "How do you build a confidence interval for a mean?",
]


@pytest.fixture(scope="module")
def prompts(coach):
    model = PromptModel.for_embedder(coach.index.embedder.model_id)
    assert model is not None
    return model


def test_prompts_in_new_words_are_read_and_technical_questions_are_not(prompts, coach):
    embed = coach.index.embedder.encode
    assert not any(behavioural(q) for q in UNSEEN_PROMPTS)  # the phrasings miss them all
    read = [q for q in UNSEEN_PROMPTS if prompts.reads(q, embed)]
    assert len(read) >= 4, read
    assert not [q for q in TECHNICAL if prompts.reads(q, embed)]


def test_a_question_that_does_not_address_the_candidate_is_never_a_prompt(prompts, coach):
    q = "How should a candidate answer 'what is the greatest weakness' in an interview?"
    assert not ADDRESSED.search(q) and not prompts.reads(q, coach.index.embedder.encode)


def test_only_the_story_model_reads_prompts_by_meaning(coach):
    """The default grade never consults it: a prompt the phrasings miss is graded like any other question there."""
    from coach.config import load_settings
    from coach.service import Coach

    q, story = UNSEEN_PROMPTS[0], ("Last spring a client cancelled after a late delivery. I called her myself, "
                                   "apologised and delivered the next order a day early; she renewed for a year.")
    default = coach.grader.grade(q, story, reference=story)
    assert not any(s.name == "story" for s in default.steps)
    on = Coach(load_settings(home=coach.settings.home, story_model="on"))
    graded = on.grader.grade(q, story, reference=story)
    assert any(s.name == "story" for s in graded.steps), graded.steps


def test_train_prompts_reproduces_the_shipped_model(tmp_path):
    from click.testing import CliRunner

    from coach.cli import cli

    out = tmp_path / "prompts.json"
    res = CliRunner().invoke(cli, ["judge", "train-prompts", "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text()) == json.loads(MODEL_FILE.read_text())


def test_a_bad_model_file_is_refused(tmp_path, caplog):
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"format": 1, "embedding_model": "m", "weights": [], "bias": 0, "threshold": 0.9}))
    assert PromptModel.for_embedder("m", bad) is None and "unusable" in caplog.text
    assert PromptModel.for_embedder("m", tmp_path / "missing.json") is None


def test_a_copy_with_another_threshold_reads_afresh(prompts, coach):
    """dataclasses.replace copied the reading cache: a stricter copy answered from its original's cache (a review)."""
    import dataclasses

    embed = coach.index.embedder.encode
    q = UNSEEN_PROMPTS[3]
    assert prompts.reads(q, embed)
    assert not dataclasses.replace(prompts, threshold=0.9999).reads(q, embed)
