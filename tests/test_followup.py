"""The follow-up question: about the candidate's own wrong sentence or the first missing point, graded
against that gap, never stating the missing point itself."""

from __future__ import annotations

from coach.grading.types import Grade
from coach.questions import FollowUp, followup_for


def grade(**kw) -> Grade:
    base = dict(score=3.0, verdict="partial", feedback="", question="What does dropout do?")
    return Grade(**{**base, **kw})


def test_a_wrong_claim_is_asked_about_in_the_candidates_words_and_graded_against_its_correction():
    g = grade(wrong=[{"claim": "Dropout doubles the learning rate.", "said": "I think dropout doubles the learning rate",
                      "correction": "Dropout randomly zeroes units during training."}])
    f = followup_for(g)
    assert "“I think dropout doubles the learning rate”" in f.question and "Is that right?" in f.question
    assert f.target == "Dropout randomly zeroes units during training."


def test_a_missing_point_is_not_given_away():
    point = "At inference all units are kept and activations are scaled by the keep probability."
    f = followup_for(grade(missing=[point]))
    assert f.target == point and point.rstrip(".").lower() not in f.question.lower()
    assert "left out an important point" in f.question


def test_nothing_missing_asks_for_an_example_graded_on_the_parent_rubric():
    assert followup_for(grade(verdict="correct", score=9.0)) == FollowUp(
        "Follow-up: can you give a concrete example from a project where this mattered?", None)


def test_the_nudge_names_words_as_a_reader_would():
    """Found in a walkthrough: "Think about “commit's” and “records”." The nudge drops a possessive."""
    point = "A commit's tree records the snapshot of every tracked file."
    f = followup_for(grade(question="What is inside a Git commit?", missing=[point]))
    assert "“commit's”" not in f.question and "’s”" not in f.question, f.question
    assert "“snapshot”" in f.question or "“tracked”" in f.question or "“records”" in f.question, f.question


def test_the_nudge_never_names_a_word_the_answer_used_or_a_word_that_names_no_concept():
    """Found in a user walkthrough: an answer naming the registers was nudged with "Think about “registers” and
    “restores”", and another with "Think about “resource” and “another”"."""
    point = ("A context switch is when the kernel saves the state of the running thread (registers, program counter, "
             "stack pointer) and restores the state of another one.")
    g = grade(question="What is a context switch?", missing=[point])
    answer = "The kernel saves the registers, program counter and stack pointer of the running thread."
    f = followup_for(g, answer)
    nudged = f.question.split("Think about", 1)[1]
    # the point's six longest words: registers, restores, another, context (the question's), counter, pointer
    for word in ("registers", "another", "counter", "pointer"):
        assert f"“{word}”" not in nudged, f.question
    assert "“restores”" in nudged, f.question
    assert "“registers”" in followup_for(g).question  # without the answer, as before
    # a word said in another form counts as said
    inflected = followup_for(g, "It saves the register, the program counters and the stack pointers.")
    assert "“registers”" not in inflected.question and "“pointer”" not in inflected.question, inflected.question


def test_the_nudge_never_names_an_adverb():
    """A walkthrough's follow-up said "Think about “deliberately” and “functions”": an adverb names no concept."""
    point = "Both are deliberately slow, salted password hashing functions with a tunable work factor."
    f = followup_for(grade(question="What is the difference between bcrypt and Argon2?", missing=[point]))
    assert "“deliberately”" not in f.question and "Think about" in f.question, f.question


def test_the_nudge_names_no_instruction_to_the_grader_and_no_concept_twice():
    """The follow-ups on the bundled rubrics' key points (experiment 77's items) said "Think about “mentions” and
    “variants”", "“schedules” and “remedy”" and "“penalises” and “penalty”": a reviewed key point's words for the
    grader ("Mentions ...", "Remedy - ...") name no concept, and two forms of one word name one."""
    asked = "What are the trade-offs of this activation function?"
    for point, gone in (("Mentions variants or trade-offs (PReLU learns the slope, ELU/GELU).", "mentions"),
                        ("Remedy - tune it / LR range test / schedules (warm-up, decay).", "remedy"),
                        ("Definition f(x) = x * sigmoid(x) (self-gated, the input gates itself), a.k.a. SiLU.",
                         "definition")):
        f = followup_for(grade(question=asked, missing=[point]))
        assert "Think about" in f.question and f"“{gone}”" not in f.question.lower(), f.question
    f = followup_for(grade(question=asked, missing=["Penalises large weights / shrinks weights toward zero (L2 penalty)."]))
    nudged = f.question.split("Think about", 1)[1]
    assert nudged.count("“penal") == 1 and nudged.count("“") == 2, f.question


def test_the_nudge_never_names_a_piece_of_a_word():
    """The drafting's word splitter knows only ASCII letters: "nächsten" came out as "chsten" (review)."""
    point = "Der Scheduler wählt den nächsten Thread aus der Warteschlange."
    f = followup_for(grade(question="Was macht ein Scheduler?", missing=[point]))
    assert "chsten" not in f.question and "hlt" not in f.question, f.question


def test_the_follow_up_asks_about_the_missing_point_closest_to_the_question():
    # a drafted rubric's first point was the source's aside, and the follow-up asked about it ("Think about
    # “classic” and “writing”", a walkthrough)
    aside = "Writing def append_item(item, bucket=[]) is a classic trap."
    core = "Default argument values are evaluated only once, when the def statement runs."
    f = followup_for(grade(question="What is the problem with mutable default arguments?", missing=[aside, core]))
    assert f.target == core
    # no point shares a word with the question: the rubric's order stands
    f = followup_for(grade(question="Why?", missing=[aside, core]))
    assert f.target == aside


def test_the_follow_up_asks_about_a_point_the_answer_did_not_mention():
    said = "Default argument values are evaluated only once, when the def statement runs."
    unsaid = "Use None as the default and build the list inside the function body."
    g = grade(question="What is the problem with mutable default arguments?", missing=[said, unsaid])
    g.unconfirmed = [said]  # in the answer's words, not credited: no gap to ask about
    assert followup_for(g).target == unsaid
    # every missing point said in the answer's words: no gap to follow up (a review found the follow-up still asked)
    from coach.session.engine import _has_gap

    g.missing, g.unconfirmed = [said], [said]
    assert followup_for(g).target is None and not _has_gap(g)


def test_the_follow_up_asks_about_a_known_misconception_before_the_judges_other_flags():
    """A walkthrough: the answer stated the source's reported error ("DNS queries are normally sent over UDP port 35")
    beside a correct sentence the judge flagged first, and the follow-up asked "Is that right?" about the correct one."""
    g = grade(question="What happens during DNS resolution?")
    g.wrong = [
        {"claim": "The client checks its cache first.", "correction": "The client first checks its local cache.",
         "source_error": False, "how": "contradicts the reference", "confidence": 0.97},
        {"claim": "DNS uses UDP port 35.", "correction": "DNS uses UDP port 53.", "source_error": True,
         "how": "contradicts the reference", "confidence": 0.96, "known_misconception": True},
    ]
    f = followup_for(g)
    assert f.target == "DNS uses UDP port 53." and "port 35" in f.question
    # without a known misconception: the judge's most confident flag
    g.wrong[1].pop("known_misconception")
    g.wrong[0]["confidence"] = 0.5
    assert followup_for(g).target == "DNS uses UDP port 53."


def test_the_nudge_never_names_a_word_the_answer_wrote_in_two():
    """A Kubernetes walkthrough's answer named "the API server" and was nudged with "Think about “apiserver”"."""
    point = "The kube-apiserver is the front end that every component and kubectl talks to."
    g = grade(question="What are the components of the Kubernetes control plane?", missing=[point])
    assert "apiserver" in followup_for(g).question  # without the answer, the point's own word
    f = followup_for(g, "The API server is the front end, and etcd stores the cluster state.")
    assert "apiserver" not in f.question, f.question


def test_a_yes_is_read_only_when_it_rejects_nothing():
    from coach.grading.affirm import affirmation

    assert affirmation("Yes, that's right: boosting trains models in parallel.") == "Yes, that's right"
    assert affirmation("Correct, it only updates the output layer.") == "Correct, it only updates the output layer"
    assert affirmation("Yeah, I stand by it because it is faster.") == "Yeah, I stand by it"
    for rejecting in ("No, it is the other way round.", "Yes, but only for the output layer.",
                      "Yes it is wrong: both layers are updated.", "Right, it's the other way round.",
                      "It is the other way round.", "Not quite: bagging is parallel.", "Exactly the opposite is true."):
        assert affirmation(rejecting) is None, rejecting


def test_a_correction_follow_up_answered_yes_is_graded_as_the_wrong_sentence_again(coach):
    """Experiment 77b (README): asked "you said “Bagging models are trained sequentially and boosting models in
    parallel”. Is that right?" about a known misconception, a candidate defending it ("Yes, that's right: ...", words
    close to the correction's) was graded 8.1 "correct" against the correction; a "No, ..." answer is graded as before,
    and so is a yes when the follow-up quotes no known error (a judge's flag, often a false alarm: a walkthrough's
    correct "Yes, ... GIN stands for Generalized Inverted Index" was capped at 2)."""
    from coach.questions import CORRECTION_FOLLOWUP, said_in_followup

    question = "What is the meaning of bagging and boosting in Deep Learning?"
    said = "Bagging models are trained sequentially and boosting models in parallel"
    asked = CORRECTION_FOLLOWUP.format(said=said)
    target = "It is the other way round; bagging trains independent models in parallel, boosting builds them sequentially."
    assert said_in_followup(asked) == said and said_in_followup("Follow-up: can you give an example?") is None
    yes = ("Yes, that's right: bagging builds models sequentially, each fixing the previous one's errors, and boosting "
           "trains independent models in parallel.")
    g = coach.grade_followup(question, yes, target, known_wrong=said)
    assert g.verdict == "incorrect" and g.score <= 2.0 and not g.right, (g.score, g.verdict, g.right)
    assert g.wrong[0]["claim"] == said and g.wrong[0]["correction"] == target
    assert f"“{said}”" in next(s.explanation for s in g.steps if s.name == "affirmed")
    assert "What is wrong:" in g.feedback and said in g.feedback
    plain = coach.grade(question, yes, reference=target).to_contract()
    assert plain["verdict"] != "incorrect"  # what the yes was graded before: the follow-up quoted no known error
    assert coach.grade_followup(question, yes, target).to_contract() == plain
    no = "No, it's the other way round: bagging trains independent models in parallel, boosting builds them one after another."
    assert coach.grade_followup(question, no, target, known_wrong=said).to_contract() == \
        coach.grade(question, no, reference=target).to_contract()
