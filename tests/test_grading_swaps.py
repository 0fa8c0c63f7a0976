"""Role swaps (coach/grading/swaps.py): a claim that gives one thing what the reference says of another, and
the reverse, is a wrong claim with the reference sentence as its correction, on any subject, against a
reviewed reference (the bundled rubrics and the user's own)."""

from __future__ import annotations

from coach.grading.swaps import role_swaps

OS_REF = ["A process has its own address space and its own resources.",
          "A thread shares memory and open files with the other threads."]


def test_a_parallel_swap_is_found_with_the_words_that_crossed():
    claims = ["A thread has its own address space and its own resources, while a process shares memory and open "
              "files with the other processes."]
    (sw,) = role_swaps(claims, OS_REF)
    assert sw.terms == ("process", "thread") and sw.said_of in {("thread", "process"), ("process", "thread")}
    assert sw.claim == 0 and sw.reference in (0, 1) and sw.references == [0, 1]
    assert {"own", "resourc", "memory", "shar"} <= set(sw.crossed)


def test_the_same_roles_in_other_clauses_and_other_words_are_not_swaps():
    assert role_swaps(["A process owns a separate address space. Threads share the memory of their process."], OS_REF) == []
    assert role_swaps(["Each process has its own address space; a thread shares memory with the other threads."], OS_REF) == []
    # another subject, no shared entity: nothing to compare
    assert role_swaps(["WHERE filters rows before grouping."], OS_REF) == []


def test_one_direction_is_not_enough():
    """Giving only one of the two things an attribute the reference gives the other can be a loose but
    correct sentence ("the generator makes fake samples that look real"): both directions must cross."""
    ref = ["The generator creates synthetic samples from random noise.",
           "The discriminator classifies samples as real or fake."]
    assert role_swaps(["The generator produces fake samples that look real. The discriminator is a classifier."], ref) == []
    swapped = ["The generator classifies samples as real or fake, and the discriminator creates synthetic samples from noise."]
    (sw,) = role_swaps(swapped, ref)
    assert sw.terms == ("discriminator", "generator")


def test_a_negated_clause_is_not_read_as_a_claim():
    ref = ["L1 drives many weights to exactly zero.", "L2 shrinks weights toward small values."]
    assert role_swaps(["L2 does not drive weights to exactly zero; L1 does not merely shrink them toward small values."], ref) == []
    (sw,) = role_swaps(["L2 drives many weights to exactly zero, while L1 shrinks weights toward small values."], ref)
    assert sw.terms == ("l1", "l2")
    # the claim's "L1 shrinks weights toward small values" crosses the reference's L2 sentence most (four
    # words against three): that sentence is the correction
    assert sw.said_of == ("l1", "l2") and sw.reference == 1


def test_an_incidental_shared_word_does_not_clear_a_swap_of_two_terms_the_question_names():
    """The question names the contrast ("L1 and L2"): a swap stands unless the answer's own-side words are at
    least as many as the crossed ones in one direction. Here "toward" (one word the reference gives only to
    L2) no longer clears "L2 pushes the weights toward exactly zero and gives a sparse model"; without the
    question the first version's strict check applies, and one own-side word clears it."""
    from coach.grading.swaps import _vetoed

    ref = ["L1 pushes many weights to exactly zero and gives a sparse model.",
           "L2 shrinks the weights toward small values."]
    claims = ["L2 pushes the weights toward exactly zero and gives a sparse model, while L1 shrinks weights to small values."]
    (sw,) = role_swaps(claims, ref, "How do L1 and L2 regularization differ?")
    assert sw.terms == ("l1", "l2") and {"spars", "exact", "shrink"} <= set(sw.crossed)
    assert role_swaps(claims, ref) == []  # no question: strict
    assert role_swaps(claims, ref, "What is regularization?") == []  # the question names neither term
    # as many own-side words as crossed ones clears it, in either direction; none never does
    assert _vetoed({"toward", "small"}, {"exact", "spars"}, set(), {"shrink"}, asked=True)
    assert _vetoed(set(), {"exact"}, {"toward"}, {"shrink"}, asked=True)
    assert not _vetoed({"toward"}, {"exact", "spars"}, set(), {"shrink"}, asked=True)
    assert _vetoed({"toward"}, {"exact", "spars"}, set(), {"shrink"}, asked=False)


def test_a_pair_the_question_does_not_name_keeps_the_strict_check():
    """Two words the reference does not contrast ("process" and "program" in an answer about virtual memory)
    must not read as a swap because of one incidental crossed word: only pairs the question names get the
    majority check."""
    ref = ["Each process gets its own virtual address space in RAM.", "A program uses virtual addresses that the MMU maps."]
    claims = ["A process uses virtual addresses the MMU maps to RAM; every program gets its own address space "
              "and virtual memory layout."]
    assert role_swaps(claims, ref, "What is virtual memory?") == []  # "RAM" (process only) clears it
    # the same words under a question that names both: the one own-side word is outnumbered
    (sw,) = role_swaps(claims, ref, "How does a process differ from a program?")
    assert sw.terms == ("process", "program")


def test_a_word_derived_from_the_other_terms_name_crosses():
    """"The discriminator generates" gives the discriminator what the generator is named for, even where the
    reference also says "generated" of the discriminator's inputs; such words alone never make a swap, and an
    adverb ("still") names no entity."""
    ref = ["The generator creates synthetic samples from random noise.",
           "The discriminator classifies samples as real or fake; it tells real samples from generated ones."]
    swapped = ["The discriminator is used to generate new examples, while the generator classifies the examples as "
               "real or fake."]
    (sw,) = role_swaps(swapped, ref)
    assert sw.terms == ("discriminator", "generator") and "gener" in sw.crossed
    # words derived from the names never make a swap on their own: correct answers that say what each side
    # receives from the other
    tcp = ["The sender transmits numbered segments and waits for acknowledgements.",
           "The receiver reorders segments and acknowledges each one."]
    assert role_swaps(["The sender pushes packets and receives ACKs. The receiver sends an ACK for every packet it "
                       "gets."], tcp) == []
    ae = ["The encoder compresses the input into a small latent code.",
          "The decoder reconstructs the input from the latent code."]
    assert role_swaps(["The encoder squeezes the data into a small vector that can later be decoded. The decoder "
                       "takes the encoded vector and rebuilds the original data."], ae) == []
    # ...but they add to real crossed words
    (sw,) = role_swaps(["The decoder compresses the input into a small latent code, while the encoder reconstructs "
                        "the input from the latent code."], ae)
    assert sw.terms == ("decoder", "encoder")
    zombie = ["A zombie is a child that has terminated but whose parent has not yet called wait() to collect its exit "
              "status.", "An orphan is a process whose parent has exited while it is still running."]
    assert role_swaps(["A zombie has already finished running.", "An orphan is the opposite situation: the child is "
                       "still alive but its parent died first."], zombie) == []
    # an adverb is never an entity, but stays an attribute: "first" and "last" cross here
    fifo = ["A queue removes the element that was added first.", "A stack removes the element that was added last."]
    (sw,) = role_swaps(["A queue removes the element that was added last, while a stack removes the element that "
                        "was added first."], fifo)
    assert sw.terms == ("queue", "stack") and {"first", "last"} <= set(sw.crossed)


def test_empty_and_odd_inputs():
    assert role_swaps([], OS_REF) == [] and role_swaps(["A thread has its own address space."], []) == []
    assert role_swaps(["", "   ", "!!!"], ["", "?"]) == []
    claims = ["A thread has its own address space and its own resources, while a process shares memory and open "
              "files with the other processes."]
    assert role_swaps(claims, OS_REF) == role_swaps(list(claims), list(OS_REF))  # deterministic


SQL_REF = ("DELETE removes rows one at a time and logs each deleted row, so it can be rolled back row by row. "
           "TRUNCATE deallocates the table's data pages at once, which makes it much faster on large tables.")


def _sql_grader(coach):
    """A grader over one rubric the user wrote (origin "user": a reviewed reference) on another subject."""
    from coach.grading import Grader, RubricBank
    from coach.grading.rubrics import KeyPoint, Rubric

    first, second = SQL_REF.split(". ", 1)
    rubric = Rubric(id="sql-delete-truncate", question="What is the difference between DELETE and TRUNCATE?",
                    model_answer=SQL_REF, key_points=[KeyPoint(text=first + "."), KeyPoint(text=second)], origin="user")
    g = coach.grader
    return Grader(g._embed, RubricBank([rubric]), vocab=g.vocab, scorer=g.scorer, nli=g.nli, nli_scope=g.nli_scope), rubric


def test_a_swap_on_another_subject_is_graded_wrong_with_the_reference_cited(coach):
    """A rubric the user wrote on SQL (no term groups, no misconceptions): the swapped answer is wrong, its
    own sentence shown with the reference sentence as the correction, and the swapped key points are not
    credited. The same roles in other words are not a swap."""
    grader, rubric = _sql_grader(coach)
    q = rubric.question
    swapped = ("TRUNCATE removes rows one at a time and logs each deleted row. DELETE deallocates the data pages at "
               "once, so it is much faster on large tables.")
    g = grader.grade(q, swapped, question_id=rubric.id)
    step = next(s for s in g.steps if s.name == "swaps")
    assert step.value == 1.0 and "delete / truncate" in step.explanation, step
    swaps = [w for w in g.wrong if "role swap" in (w.get("basis") or "")]
    assert len(swaps) == 1 and swaps[0]["said"] in swapped and swaps[0]["how"] == "contradicts the reference"
    assert swaps[0]["correction"] in SQL_REF
    assert g.verdict == "incorrect", (g.score, g.feedback)
    assert g.right == [] and len(g.missing) == 2  # both swapped key points, not credited
    assert "role swap" in g.feedback

    right = ("DELETE works row by row and logs every deleted row, while TRUNCATE drops the data pages in one go and "
             "is much faster.")
    ok = grader.grade(q, right, question_id=rubric.id)
    assert next(s for s in ok.steps if s.name == "swaps").value == 0.0
    assert not [w for w in ok.wrong if "role swap" in (w.get("basis") or "")]
    assert ok.score > g.score + 2


def test_a_user_rubric_written_without_terms_grades_on_derived_terms(coach):
    """A user's rubric with no term groups (the SQL one above): each key point gets one any-of group derived as
    drafts derive theirs, never the question's own words (whole words, as in drafts), so a correct answer in other words is graded correct
    (2.8 "incorrect" before, 2026-12-05: the reviewed fit weighs term coverage most); a wrong one stays low."""
    from coach.grading.signals import point_terms

    grader, rubric = _sql_grader(coach)
    groups = point_terms(rubric, rubric.key_points[0])
    assert len(groups) == 1 and 0 < len(groups[0]) <= 3
    assert not {"delete", "truncate", "difference"} & set(groups[0])  # the question's own words are no evidence
    drafted = rubric.model_copy(update={"origin": "draft"})
    assert point_terms(drafted, rubric.key_points[0]) == []  # a drafted point keeps what drafting gave it
    from coach.questions import GENERIC_HINT, _hints

    hints = _hints(rubric)  # the practice card's hints come from the derived terms too
    assert GENERIC_HINT not in hints and len(hints) == 2, hints
    q = rubric.question
    right = grader.grade(q, "DELETE works row by row and logs every deleted row, while TRUNCATE drops the data pages "
                            "in one go and is much faster.", question_id=rubric.id)
    assert right.verdict == "correct", (right.score, right.feedback)
    wrong = grader.grade(q, "DELETE drops the whole table with its definition, and TRUNCATE only hides the rows until "
                            "the next commit.", question_id=rubric.id)
    assert wrong.score < right.score - 3 and wrong.verdict != "correct", (wrong.score, wrong.feedback)


DELETE_Q = "What is the difference between DELETE and TRUNCATE?"
DELETE_SWAPPED = ("TRUNCATE removes rows one at a time and logs each deleted row. DELETE deallocates the data pages "
                  "at once, so it is much faster on large tables.")


def test_a_rubric_drafted_from_an_indexed_source_is_not_checked_for_swaps(coach, monkeypatch):
    """A rubric drafted from an indexed source rests on an unreviewed, scraped text, which may state a swap
    itself: the step says it did not check, and nothing is listed as a role swap. (The rubric is drafted here
    from the same reference text under a source draft's id: a fake for control flow.)"""
    from coach.grading.draft import draft_rubric

    grader = coach.grader
    drafted = draft_rubric("draft-sql-notes-delete", DELETE_Q, [("sql_notes.md#4", SQL_REF)], [])
    monkeypatch.setattr(grader, "resolve", lambda *a, **k: drafted)
    g = grader.grade(DELETE_Q, DELETE_SWAPPED)
    step = next(s for s in g.steps if s.name == "swaps")
    assert step.value == 0.0 and "not checked against a drafted rubric" in step.explanation
    assert not [w for w in g.wrong if "role swap" in (w.get("basis") or "")]


def test_an_explicit_reference_is_checked_for_swaps(coach):
    """A reference the user brings (a `reference` field of a `coach grade` line) is vouched for by the user: a swap against it
    is listed as wrong with the sentence it crosses (experiment 30, README "Role swaps")."""
    g = coach.grader.grade(DELETE_Q, DELETE_SWAPPED, reference=SQL_REF)
    step = next(s for s in g.steps if s.name == "swaps")
    assert step.value == 1.0, step.explanation
    assert g.verdict == "incorrect" and g.score <= 3.5, (g.score, g.feedback)
    # each swapped claim is listed once (here the judge reads them as contradictions too), corrected by the
    # reference sentence it crosses
    wrong = {w["claim"]: w["correction"] for w in g.wrong}
    assert len(wrong) == len(g.wrong) and wrong, g.wrong
    assert all(c in SQL_REF and w in DELETE_SWAPPED for w, c in wrong.items()), wrong


def test_a_swap_on_a_reviewed_rubric_is_cited_without_the_judge(coach):
    """The bundled questions' reviewed rubrics, graded the default way (no judge on reviewed rubrics): the
    L1/L2 swap is wrong, with the source and lines of the reference sentence it crosses."""
    q = "Discuss how L1 and L2 regularization terms affect the distribution of weights in a neural network model."
    a = ("L2 regularization pushes weights to exactly zero and creates a sparse solution, while L1 regularization "
         "only keeps the weights small but never zero.")
    g = coach.grader.grade(q, a)
    assert g.verdict == "incorrect" and g.score <= 3.5, (g.score, g.feedback)
    (w,) = [w for w in g.wrong if "role swap" in (w.get("basis") or "")]
    assert w["said"] == a and w["evidence"]["source"] and w["evidence"]["line_start"] >= 1
    assert w["basis"].startswith('role swap: says of "l2" what the reference says of "l1"'), w["basis"]
    assert w["correction"] not in g.right
