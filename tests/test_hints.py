"""Hints: one sentence per key point, naming whole-word concepts, never the rubric's stems or the point."""

from __future__ import annotations

import re

from coach.grading.rubrics import KeyPoint, bundled_rubric_paths, load_rubric_file
from coach.questions import GENERIC_HINT, _hints, hint_for


def test_hint_expands_stems_to_whole_words_and_skips_what_the_question_says():
    kp = KeyPoint(text="Remedies include more data/augmentation, regularization, dropout or early stopping.",
                  terms=[["regulari", "dropout", "early stop"], ["more data", "augment"]])
    assert hint_for(kp, "How do you fix overfitting?") == "A strong answer says something about “regularization” and “more data”."
    # "overfit" is in the question: the next concept of the group is used instead
    kp = KeyPoint(text="It reduces overfitting by regularizing.", terms=[["overfit", "regulari"]])
    assert hint_for(kp, "Why does dropout reduce overfitting?") == "A strong answer says something about “regularizing”."
    assert hint_for(KeyPoint(text="x", terms=[["zzz"]])) is None  # nothing nameable: no hint from this point


def test_bundled_hints_are_sentences_of_whole_words():
    rubrics = [r for p in bundled_rubric_paths() for r in load_rubric_file(p, "bundled")]
    assert len(rubrics) > 100
    for r in rubrics:
        hints = _hints(r)
        assert hints and len(hints) == len(set(hints))
        texts = " ".join([kp.text for kp in r.key_points] + [r.model_answer]).lower()
        for h in hints:
            if h == GENERIC_HINT:
                continue
            assert h.startswith("A strong answer says something about “") and h.endswith("”."), h
            for concept in re.findall(r"“([^”]+)”", h):
                # a whole word of the rubric's own text, never a stem like "regulari"
                assert re.search(r"(?<![\w-])" + re.escape(concept.lower()) + r"(?![\w])", texts), (r.id, concept)
            assert not any(kp.text.lower().rstrip(".") in h.lower() for kp in r.key_points)


def test_an_explain_question_keeps_acronyms_in_its_title():
    """A passage titled "CNN architectures" was asked as "Explain cNN architectures ..." ("sQL", "lSTM")."""
    from corpus.records import Record

    from coach.questions import _passage_item

    body = " ".join(["word"] * 30)
    asked = {t: _passage_item(Record(id="n.md:1", source="n.md", question=t, answer=body, line_start=1,
                                     line_end=2, kind="passage")).question
             for t in ("CNN architectures", "Transformers in NLP", "PyTorch basics")}
    assert asked == {"CNN architectures": "Explain CNN architectures as you would in an interview.",
                     "Transformers in NLP": "Explain transformers in NLP as you would in an interview.",
                     "PyTorch basics": "Explain PyTorch basics as you would in an interview."}


def test_a_passage_titled_with_a_question_is_asked_as_that_question_and_not_announced_as_prose():
    """A user walkthrough: a file with one "## What does ARP do?" heading over its answer is indexed as a passage; it
    was announced as having "no question/answer pairs" and would have been asked "Explain what does ARP do? ..."."""
    from types import SimpleNamespace

    from corpus.records import Record

    from coach.questions import _passage_item, passages_only_notes

    body = " ".join(["word"] * 30)
    rec = Record(id="arp.md:1", source="arp.md", question="What does ARP do?", answer=body, line_start=1, line_end=3,
                 kind="passage")
    assert _passage_item(rec).question == "What does ARP do?"
    assert passages_only_notes([SimpleNamespace(source="arp.md", records=[rec])]) == []
    prose = Record(id="p.md:1", source="p.md", question="Some prose", answer=body, line_start=1, line_end=3,
                   kind="passage")
    assert passages_only_notes([SimpleNamespace(source="p.md", records=[prose])]) == [
        "p.md: no question/answer pairs found; indexed as 1 passage that Ask can quote; asked as \"Explain ...\" "
        "questions: 1 of 1"]


def test_a_drafted_key_points_hint_names_its_concepts_as_phrases():
    """Drafted key points' terms are their longest words, and hints named one of them: "A strong answer says something
    about “allowed”", "... “alternatively”" (a walkthrough: "A single word from the model answer is not a hint").
    A drafted point's hint names the phrases it uses for its concepts, never the question's own words."""
    from coach.grading.rubrics import Rubric

    points = ["A load balancer spreads incoming requests across several backend servers, and health checks remove a "
              "failed server from the pool.",
              "TCP is connection-oriented: the three-way handshake (SYN, SYN-ACK, ACK) opens a connection before any "
              "data is sent.",
              "Alternatively, the forget gate decides how much of the old cell state is kept."]
    rubric = Rubric(id="d1", question="What does a load balancer do?", model_answer=" ".join(points), origin="draft",
                    key_points=[KeyPoint(text=p, terms=[["alternatively", "connection-oriented"]]) for p in points])
    hints = _hints(rubric)
    assert hints[0] == "A strong answer says something about “backend servers” and “health checks”." or \
        "“backend servers”" in hints[0], hints
    assert "“three-way handshake”" in hints[1] and "“old cell state”" in hints[2], hints
    joined = " ".join(hints)
    for word in ("alternatively", "load balancer", "decides", "opens", "“data”"):
        assert word not in joined.lower(), hints


def test_a_hint_keeps_a_dunder_name_whole():
    # a walkthrough's hint read "calling eq__"
    from coach.questions import concept_phrases

    phrases = concept_phrases("The == operator compares values by calling __eq__, while is checks identity.",
                              "What is the difference between is and ==?")
    assert "calling __eq__" in phrases and not any(p.startswith("eq__") or " eq__" in p for p in phrases), phrases


def test_a_lead_in_joined_with_its_list_is_not_what_the_hint_names():
    # a walkthrough's hint named "backend code", from the lead-in of a drafted list point
    from coach.questions import phrase_hint

    hint = phrase_hint("Some exceptions come up again and again in backend code: KeyError: a missing dictionary key; "
                       "TypeError: an operation on the wrong type.", "Which exceptions do you see most often?")
    assert "backend code" not in hint and "missing dictionary key" in hint, hint


def test_a_hint_names_no_one_letter_option_or_example_hash():
    """A walkthrough's Git hints named "switch c new-branch" and "checkout a1b2c3d" (an option's letter, an example's
    commit hash)."""
    from coach.questions import concept_phrases

    phrases = concept_phrases("Use git switch -c new-branch to keep the commits made in a detached HEAD state.",
                              "What is a detached HEAD?")
    assert "new-branch" in phrases and not any(p.split()[-1] == "c" or " c " in f" {p} " for p in phrases), phrases
    assert concept_phrases("Run git checkout a1b2c3d to look at an old commit.") == ["git checkout", "old commit"]
    assert "C code" in concept_phrases("A C compiler translates C code.", "What is a compiler?")  # a name stays
