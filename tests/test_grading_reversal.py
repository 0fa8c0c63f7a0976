"""A claim that says a reference sentence's contrast or comparison the other way round (coach/grading/reversal.py)."""

import pytest

from coach.grading.reversal import reversal, reverses, sides

GEN_REF = ("A generator is a function that uses yield instead of return. It produces values lazily, one at a time, and "
           "keeps its state between calls.")


@pytest.mark.parametrize("claim, sentence", [
    ("A generator is a function that uses return instead of yield.", "A generator uses yield instead of return."),
    ("UDP is slower than TCP.", "TCP is slower than UDP because it retransmits lost segments."),
    ("A hash index is more memory-efficient than a B-tree.", "A B-tree is more memory-efficient than a hash index."),
    ("Bagging trains its models sequentially rather than in parallel.", "Bagging trains models in parallel rather than sequentially."),
])
def test_a_reversal_is_found(claim, sentence):
    assert reverses(claim, sentence)


@pytest.mark.parametrize("claim, sentence", [
    ("A generator uses yield instead of return, so it is lazy.", "A generator uses yield instead of return."),
    ("TCP is slower than UDP.", "TCP is slower than UDP because it retransmits lost segments."),
    ("UDP is faster than TCP.", "TCP is slower than UDP."),  # the same fact in other words: left to the judge
    ("Rather than copying, Python passes references.", "Python never copies an argument."),
    ("It is more than that.", "Other than that, nothing."),
    ("", ""),
])
def test_the_same_order_or_no_pair_is_no_reversal(claim, sentence):
    assert not reverses(claim, sentence)


def test_sides_name_the_connective_and_both_words():
    assert sides("A generator uses yield instead of return.") == {("instead of", "yield", "return")}
    assert reversal("A generator uses return instead of yield.", "A generator uses yield instead of return.") == \
        ("instead of", "yield", "return")


def test_a_reversal_against_an_explicit_reference_is_wrong_and_cited(coach):
    """A walkthrough's card credited "uses yield instead of return" to "A generator is a function that uses return
    instead of yield" (5.5 partial): the judge read the reversal as entailing the sentence it reverses."""
    g = coach.grader.grade("What is a generator in Python?", "A generator is a function that uses return instead of yield.",
                           reference=GEN_REF)
    (w,) = [w for w in g.wrong if (w.get("basis") or "").startswith("reversal")]
    assert w["correction"] == "A generator is a function that uses yield instead of return."
    assert '"instead of"' in w["basis"] and g.verdict == "incorrect", (g.score, g.feedback)
    assert not any("yield instead of return" in t for t in g.right)


def test_a_reversed_key_point_of_an_indexed_source_is_not_credited(coach, monkeypatch):
    """A rubric drafted from an indexed source is not checked for swaps (its source may state one itself), but a key
    point the answer says the other way round is never listed as right."""
    from coach.grading.draft import draft_rubric

    grader = coach.grader
    drafted = draft_rubric("draft-python-md-gen", "What is a generator in Python?", [("python.md#4", GEN_REF)], [])
    monkeypatch.setattr(grader, "resolve", lambda *a, **k: drafted)
    # without the rule this answer was 5.6 "partial" with "uses yield instead of return" under "What you got right"
    g = grader.grade("What is a generator in Python?", "A generator is a function that uses return instead of yield. "
                     "It produces values lazily, one at a time, and keeps its state between calls.")
    assert not any("yield instead of return" in t for t in g.right), g.feedback
    assert not any((w.get("basis") or "").startswith("reversal") for w in g.wrong)
