"""Telling "no attempt" from an attempt (coach/grading/attempt.py): admissions in the candidate's own words are
no attempt, however they name the topic; any content makes an attempt, however hedged."""

from __future__ import annotations

import pytest

from coach.grading.attempt import clause_kinds, first_version, is_no_attempt


Q = "What is a page fault, and what is the GIL in Python?"


@pytest.mark.parametrize("answer", [
    "I don't know what a mutex is.",
    "Honestly I've never worked with HAVING clauses, so I can't say.",
    "Page faults... I really have no idea, sorry.",
    "What's the GIL? Never heard of it.",
    "window functions?? never used them, no idea",
    "I'd have to look that up.",
    "Deadlocks weren't covered in my course, so I can't answer.",
    "I've heard the term before but I couldn't tell you what it is. Skip please.",
    "Can't answer this one.",
    "TLS is out of my depth, I'm afraid.",
    "I forget.",
    # an experience denied, in a walkthrough's words (graded 2.6 "incorrect")
    "Honestly I've never had to build a warehouse pipeline myself, so I couldn't tell you how those two differ.",
    "I've never built one myself, no idea.",
    # a deferral with nothing after it (a walkthrough's was graded off topic 1.0)
    "I'm not sure, I'd have to check.",
    "Not sure, I would need to verify that.",
])
def test_admissions_are_no_attempt(answer):
    assert is_no_attempt(answer, Q + " What are window functions?"), clause_kinds(answer.lower(), Q)


@pytest.mark.parametrize("answer", [
    "I'm not sure, but I think a mutex is a lock that only one thread can hold.",
    "I forget the details, but it lets each process think it has its own memory.",
    "I don't know what the D stands for, but A is atomicity.",
    "SYN, SYN-ACK, ACK. I don't know more than that.",
    "I'd guess O(log n), not certain.",
    "I know it's a lock, but I can't explain more.",
    "I'm not sure, I'd check the page table first.",  # says what they would check
    "It is a lock held by the interpreter; I'd verify that.",
    # the words of an admission inside content
    "Skip connections help the gradient flow back through deep networks.",
    "We apply dropout in the forward pass.",
    "The forget gate decides what to drop from the cell state.",
    "The model does not know the labels of the unlabelled data.",
    "You pass the gradient backwards through the graph.",
    # one word, one line, wrong: attempts
    "A lock.", "Chaining.", "The p-value is the probability that the null hypothesis is true.",
    # a plan, a guess asked back, a denial of use beside content (found by a review, 2026-12-03)
    "Not sure, I'd use a hash map.", "I don't know the formal name, I'd use two pointers.",
    "I don't know, maybe two pointers?", "I can't remember, linear?", "I never use global variables.",
    "I don't use ORMs, I write SQL.", "I'll skip nodes already visited.", "Please pass it by const reference.",
    "We forget old state through the forget gate.", "Google developed BERT.", "Never use eval on user input.",
    "um I don't know the exact reason, maybe so that two users with the same password don't get the same hash?",
    "I never build indexes on small tables, not sure why.",  # a practice stated, not an experience denied
    # an experience denied that goes on to say something (a review of the first version)
    "I'm not sure, we never needed to rebuild one unless fragmentation was above 30 percent.",
    "Not sure, we never had to run it manually as autovacuum reclaims dead tuples on its own.",
])
def test_content_makes_an_attempt(answer):
    assert not is_no_attempt(answer, Q), clause_kinds(answer.lower(), Q)


def test_the_topic_is_read_from_the_question():
    """Naming the question's topic says nothing; naming something else is a guess."""
    assert is_no_attempt("Page faults? No idea.", "What is a page fault?")
    assert not is_no_attempt("Thrashing? No idea.", "What is a page fault?")
    assert not is_no_attempt("Page faults? No idea.")  # no question: a named thing may be the answer


def test_the_first_versions_phrasings_still_count_and_long_answers_never_do():
    assert first_version("Sorry, I don't know.") and is_no_attempt("Sorry, I don't know.")
    assert not first_version("I don't know what a mutex is.")  # what this version adds
    assert not is_no_attempt("I don't know. " + "A mutex is a lock held by one thread. " * 10)
    assert not is_no_attempt("I don't know " * 40)  # over MAX_WORDS: graded, not screened
    assert not is_no_attempt("") and not is_no_attempt("?!") and not is_no_attempt("sorry")


def test_the_blind_sets_figures():
    """The text rule alone on the tuning sets (dev - dev4; dev3 and dev4 were its blind test sets until they
    became the model's training data) and on the blind test set (measured once, never tuned on): no attempt is
    ever called no attempt; recall as measured (README, "No attempt"), the first version far below. The rule with
    the model is measured in tests/test_attempt_model.py."""
    from evals.no_attempt import no_attempt_metrics

    dev, test = no_attempt_metrics("dev"), no_attempt_metrics("test")
    assert dev["no_attempt_n"] == 750 and test["no_attempt_n"] == 240
    assert dev["no_attempt_false_rate"] == 0 and test["no_attempt_false_rate"] == 0
    assert dev["no_attempt_recall"] >= 0.5 and test["no_attempt_recall"] >= 0.15
    assert dev["no_attempt_recall"] > dev["no_attempt_baseline_recall"] + 0.4


def test_more_ways_of_not_knowing_and_their_look_alikes():
    """The second version's phrasings (tuned on dev2), each beside an attempt that shares its words."""
    q = "What is eventual consistency?"
    assert is_no_attempt("I'm so sorry, my mind has gone completely blank on this. Could we please come back to it?", q)
    assert is_no_attempt("I have no experience with it, so I'd only be guessing, and I'd rather not guess.", q)
    assert is_no_attempt("eventual consistency is... hmm. it's... no, I'm not going to be able to explain it. sorry", q)
    assert is_no_attempt("Eventual consistency, no idea.", q) and is_no_attempt("nah", q)
    assert not is_no_attempt("It's... replicas converge eventually if no new writes arrive", q)
    assert not is_no_attempt("Not sure it's a lock", "What is a mutex?")  # a false alarm of the first clause rule
    assert not is_no_attempt("My mind has gone blank... a function that captures variables from its scope",
                             "What is a closure?")
    # "no" is an answer to a yes/no question, and naming one option answers a question that offers a choice
    assert not is_no_attempt("No.", "Does Python have tail call optimisation?")
    assert not is_no_attempt("TCP, I think", "Is TCP or UDP connection-oriented?")
    assert not is_no_attempt("I'd check the docs, but it's a reference to another table's primary key",
                             "What is a foreign key?")


def test_never_having_looked_into_it_is_not_knowing():
    """A walkthrough's "No idea, sorry - I've never looked at how those two work." was graded off topic: "never
    looked at / into / under the hood", "never thought about", "never read up on" admit not knowing when the
    candidate says them; said of something else, or beside a statement, they are content."""
    q = "How do a mutex and a semaphore differ?"
    assert is_no_attempt("No idea, sorry - I've never looked at how those two work.", q)
    assert is_no_attempt("Sorry, I have never looked under the hood.", q)
    assert is_no_attempt("Honestly I have not thought about it.", q)
    assert is_no_attempt("I never read up on it.", q)
    assert not is_no_attempt("The scheduler never looked at the flag, so both threads ran.", q)
    assert not is_no_attempt("I looked at the docs once: a mutex has an owner.", q)
    assert not is_no_attempt("We never looked into it; a mutex is a lock that one thread holds.", q)


def test_a_graded_admission_is_no_attempt_with_score_zero(coach):
    g = coach.grader.grade("What is LSTM, and how does it work?", "Honestly, I never studied LSTMs, so I can't explain them. Sorry!")
    assert g.verdict == "no_attempt" and g.score == 0
    hedged = coach.grader.grade("What is LSTM, and how does it work?",
                                "Not sure, but I think an LSTM is a recurrent network with gates that control a cell state.")
    assert hedged.verdict != "no_attempt" and hedged.score > 0
