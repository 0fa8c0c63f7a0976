"""One fact changed in a copied sentence (coach/grading/edits.py, experiment 53): a claim that repeats a reference
sentence nearly word for word with a number, a negation, an opposite or two of its terms changed is graded wrong with
the sentence it copies cited; a rewording (synonyms, "rather than" for "not", a clause added) is not."""

from __future__ import annotations

from coach.grading.edits import copies, edit_basis, fact_changes

REF = ["The kernel saves the registers of the current process in its PCB and loads the saved state of the next one.",
       "A 32-bit address space holds 4 GB.",
       "Authentication verifies who a user is, usually with a password.",
       "Authorization decides what an authenticated user is allowed to do."]


def _kinds(claims, refs=REF):
    return {c: change[0] for c, (_, change) in fact_changes(claims, refs).items()}


def test_each_kind_of_changed_fact_is_found_with_its_words():
    swapped = "The kernel saves the registers of the next process in its PCB and loads the saved state of the current one."
    assert fact_changes([swapped], REF) == {0: (0, ("exchange", "current", "next"))}
    assert fact_changes(["A 32-bit address space holds 16 GB."], REF) == {0: (1, ("number", "4", "16"))}
    assert _kinds(["The payload is not encrypted, so anyone can read it."],
                  ["The payload is encrypted, so anyone can read it."]) == {0: "negation"}
    assert _kinds(["A higher learning rate decreases the step size of every update."],
                  ["A higher learning rate increases the step size of every update."]) == {0: "opposite"}
    # two definitions given to each other, one per sentence: an exchange across two claims
    crossed = ["Authorization verifies who a user is, usually with a password.",
               "Authentication decides what an authenticated user is allowed to do."]
    assert _kinds(crossed) == {0: "exchange", 1: "exchange"}


def test_rewordings_are_not_changes_of_fact():
    same = [
        # the sentence itself, a synonym, a clause added, coordination turned round, "rather than" for "not"
        "The kernel saves the registers of the current process in its PCB and loads the saved state of the next one.",
        "The kernel stores the registers of the current process in its PCB and loads the saved state of the next one.",
        "A 32-bit address space holds 4 GB, which is why larger machines moved to 64 bits.",
        "Authentication verifies who a user is, usually with a password or a passkey.",
    ]
    assert fact_changes(same, REF) == {}
    assert fact_changes(["It uses both unlabelled data and labelled data during training."],
                        ["It uses both labelled data and unlabelled data during training."]) == {}
    assert fact_changes(["The payload is merely encoded rather than encrypted, so anyone can read it."],
                        ["The payload is merely encoded, not encrypted, so anyone can read it."]) == {}
    # "instead" is no negation (the first test read's false flag), and a condition added with "without" is no denial
    assert fact_changes(["At inference it uses running averages instead."],
                        ["At inference it uses running averages of those statistics."]) == {}
    assert fact_changes(["When the result depends on the timing of threads accessing shared data without locks."],
                        ["When the result depends on the timing of threads accessing shared data."]) == {}
    # a sentence about something else is not a copy, whatever it says
    assert fact_changes(["Paging splits memory into fixed-size pages of 16 KB."], REF) == {}
    assert copies("Short one.", REF[1]) == 0.0 and fact_changes([], REF) == {} and fact_changes(["x y z a b c"], []) == {}


def test_the_basis_says_what_changed():
    assert edit_basis("number", "4", "16") == \
        'copies the reference sentence with a number changed: "16" where it says "4"'
    assert edit_basis("negation", "", "not").endswith('adds "not"')
    # each word as the texts write it (the words are read in lower case)
    assert edit_basis("exchange", "stringbuilder", "stringbuffer", "StringBuilder is fast.", "StringBuffer is fast.") \
        .endswith('"StringBuffer" where it says "StringBuilder"')


def test_a_recited_answer_with_one_fact_changed_is_graded_wrong_with_the_sentence_it_copies(coach):
    """The recital sets' failure: a source answer recited with one fact turned round scored like the recital itself
    (4.8 against 5.4 on the test set). The copied sentence is the evidence, with its words."""
    ref = ("A context switch is when the CPU stops running one process and starts running another. The kernel saves "
           "the registers and program counter of the current process in its PCB and loads the saved state of the next "
           "one. Context switches are pure overhead, because no useful work is done while they happen.")
    q = "What is a context switch?"
    wrong = coach.grader.grade(q, ref.replace("of the current process", "of the NEXT process").replace(
        "of the next one", "of the current one").replace("NEXT", "next"), reference=ref)
    right = coach.grader.grade(q, ref, reference=ref)
    (item,) = [w for w in wrong.wrong if "exchanged" in (w.get("basis") or "")]
    assert "saves the registers" in item["claim"] and "of the current process" in item["correction"]
    assert item["evidence"]["text"] == item["correction"] and wrong.verdict == "incorrect"
    assert wrong.score < right.score and not any("exchanged" in (w.get("basis") or "") for w in right.wrong)


def test_a_negation_moved_within_the_sentence_is_no_change():
    """A walkthrough's correct answer, "... and don't need to be declared", was read as taking out the "not" of "...
    need not be declared": a negation taken out and one put back a word or two away is moved, not changed."""
    ref = ["Unchecked exceptions (RuntimeException and its subclasses, such as NullPointerException, plus Error) need "
           "not be declared."]
    for said in ("and don't have to be declared.", "and don't need to be declared."):
        assert fact_changes(["Unchecked ones are RuntimeException and its subclasses, like NullPointerException, plus "
                             "Errors, " + said], ref) == {}, said
    # one taken out here and another put in there: two changes, not a move (a blind check's wrong answer)
    final = ["Note that a final reference does not make the object immutable: you cannot point it at another object, "
             "but you can still change the object's fields."]
    assert _kinds(["Note that a final reference also makes the object immutable: you cannot point it at another "
                   "object, and you cannot change the object's fields either."], final) == {0: "negation"}
    assert _kinds(["Unchecked exceptions (RuntimeException and its subclasses, such as NullPointerException, plus "
                   "Error) need to be declared."], ref) == {0: "negation"}


def test_the_audits_aligned_reading_of_numbers():
    """The audit's reading (``aligned``): a source and a trusted statement written apart say "one" and "1", "1x1" and
    "1×1", and hold numbers about different things in parts that do not match; only a number replaced in place is
    a change. Grading's reading, too, reads "-1 to 1" as "minus one to one" (it read a number changed, 54c)."""
    stated = "The Pearson correlation coefficient measures the strength of a linear relationship and ranges from minus one to one."
    same = "The Pearson correlation coefficient measures the strength of a linear relationship and ranges from -1 to 1."
    assert not fact_changes([same], [stated]) and not fact_changes([same], [stated], aligned=True)
    conv = "A 1x1 convolution mixes information across channels at each position."
    assert not fact_changes([conv], ["A 1×1 convolution mixes information across channels at each position."], aligned=True)
    far = ("The chi-square test of independence compares observed and expected counts in a contingency table; a "
           "common rule of thumb is that every expected count should be at least 5.")
    df = ("A chi-square test of independence compares observed and expected counts in a contingency table, with "
          "(r - 1)(c - 1) degrees of freedom.")
    assert not fact_changes([far], [df], ratio=0.4, aligned=True)
    wrong = "He initialisation uses a weight variance of 1/fan_in, compensating for ReLU zeroing half of the inputs."
    right = "He initialisation uses a weight variance of 2/fan_in, compensating for ReLU zeroing half of the inputs."
    assert fact_changes([wrong], [right], aligned=True) == {0: (0, ("number", "2", "1"))}
    f1 = "F1 is the harmonic mean of precision and recall: 2PR / (P + R)."
    got = fact_changes(["F1 is the arithmetic mean of precision and accuracy: (P + A) / 2."], [f1])
    assert got[0][1][0] == "number"  # grading reads a token as written: "2pr" is no "2" (54c lost this catch)
    half = "A bfloat16 tensor takes half the memory of the same tensor stored in float32."
    assert fact_changes([half.replace("half", "twice")], [half]) == {0: (0, ("number", "half", "twice"))}



def test_a_word_spelt_apart_is_no_change():
    """A correct test source's "Without non-linear activations, ..." was flagged against the trusted "Without nonlinear
    activations, ...": "nonlinear" replaced by "non" "linear" read as a word turned into its opposite."""
    said = "Without nonlinear activations, stacked linear layers collapse into a single linear transformation."
    assert not fact_changes([said.replace("nonlinear", "non-linear")], [said])
    assert not fact_changes([said.replace("nonlinear", "non-linear")], [said], ratio=0.4, aligned=True)
    assert fact_changes([said.replace("nonlinear", "linear")], [said])[0][1][0] == "opposite"


def test_a_non_prefix_is_a_negation():
    """Experiment 65: a walkthrough's planted "Two-phase commit is non-blocking: ..." was read against the trusted "Two-phase
    commit is a blocking protocol: ..." as no change ("non" was no negation word), in the audit and in grading alike."""
    trusted = "Two-phase commit is a blocking protocol: if the coordinator crashes after participants vote yes, they may hold locks."
    planted = "Two-phase commit is non-blocking: if the coordinator crashes after participants vote yes, they may hold locks."
    assert _kinds([planted], [trusted]) == {0: "negation"}
    assert fact_changes([planted], [trusted], ratio=0.4, aligned=True)[0][1][0] == "negation"
    assert _kinds(["A semaphore count is always a non-negative integer in this design."],
                  ["A semaphore count is always a negative integer in this design."]) == {0: "negation"}


def test_the_audit_reads_no_change_in_a_sentence_about_another_subject():
    """Experiment 56b: a test source's correct "A foreign key can contain NULL values and duplicates" was flagged against
    the trusted "Primary key columns cannot hold NULL" (a negation taken out). In the audit's reading a term exchanged for
    another at the start of both sentences is another subject; one inflected ("key"/"keys") or exchanged later is not."""
    pk = "Primary key columns cannot hold NULL, because the primary key must uniquely identify every row of the table."
    fk = "A foreign key can contain NULL values and duplicates, and it refers to the primary key of another table."
    assert not fact_changes([fk], [pk], ratio=0.4, aligned=True)
    assert fact_changes([fk.replace("A foreign", "A primary")], [pk], ratio=0.4, aligned=True)[0][1][0] == "negation"
    # grading's reading is unchanged: an answer said about another subject is still read against the key point
    assert fact_changes([fk], [pk], ratio=0.4)
    several = "A primary key can contain NULL values and duplicates, and a table can have several primary keys."
    one = ("A primary key uniquely identifies each row of a table, cannot contain NULL values, and each table can have "
           "at most one primary key.")
    assert fact_changes([several], [one], ratio=0.4, aligned=True)[0][1][0] == "negation"  # "keys" is no other term
    # a second substitution later in the sentence is a rewording (the He initialisation catch of the audit dev set)
    right = "He initialisation uses a weight variance of 2/fan_in, compensating for ReLU zeroing half of the inputs."
    wrong = "He initialisation uses a weight variance of 1/fan_in, compensating for ReLU setting half of the inputs to zero."
    assert fact_changes([wrong], [right], ratio=0.4, aligned=True) == {0: (0, ("number", "2", "1"))}


def test_an_exchange_is_read_through_a_plural():
    """Experiment 61: a walkthrough's role swap "You can start many images from the same container." (against "You can
    start many containers from the same image.") was credited, nothing wrong: its two replacements differ from mirrored
    ones by a plural. A plural alone ("container" for "containers") is no change."""
    said = "You can start many containers from the same image."
    assert fact_changes(["You can start many images from the same container."], [said]) == \
        {0: (0, ("exchange", "containers", "images"))}
    assert not fact_changes(["You can start many container from the same image."], [said])
    assert not fact_changes(["You can start many containers from one image."], [said])


def test_a_sentence_said_again_is_a_restatement_and_nothing_else_is():
    """Experiment 62: filler words and the lexicon's synonyms (one word or a phrase) change no fact; a number, a
    negation, a quantifier or any other word does."""
    from coach.grading.edits import restates

    s = "docker kill sends SIGKILL to the main process immediately and does not wait for it."
    assert restates(s, s)
    assert restates("docker kill sends SIGKILL to the main process right away and does not wait for it.", s)
    assert restates("Docker kill sends the SIGKILL to the main process immediately, and also does not wait for it.", s)
    for changed in ("docker stop sends SIGKILL to the main process immediately and does not wait for it.",
                    "docker kill sends SIGKILL to the main process immediately and does wait for it.",
                    "docker kill sends SIGKILL to every process immediately and does not wait for it.",
                    "docker kill sends SIGKILL to the main process after 10 seconds and does not wait for it.",
                    "docker kill may send SIGKILL to the main process immediately and does not wait for it."):
        assert not restates(changed, s), changed
    assert not restates("docker kill is fast.", "docker kill is fast.")  # too short to read as a copy
    # a lexicon phrase that opens with a filler word ("a lot of" / "many") is a synonym too (it was never matched)
    many = "Gradient clipping helps when many layers are stacked in the network."
    assert restates("Gradient clipping helps when a lot of layers are stacked in the network.", many)
    assert not restates("Gradient clipping helps when a few layers are stacked in the network.", many)


def test_a_comparison_recited_word_for_word_does_not_contradict_itself(coach):
    """The recital sets' verbatim answers: each key point entailed by the answer's own copy of it (0.97) was
    "contradicted" (0.98) by the answer's sentence on the other half of the comparison, and so never credited
    ("0 of 2 key points entailed")."""
    ref = ("A process has its own address space and resources. A thread runs inside a process and shares its memory "
           "with the other threads of that process.")
    grade = coach.grader.grade("What is the difference between a process and a thread?", ref, reference=ref)
    (claims,) = [st for st in grade.steps if st.name == "claims"]
    assert claims.explanation.startswith("judge: 2 of 2 key points entailed, 0 claim(s) contradict"), claims.explanation
    assert not grade.wrong
