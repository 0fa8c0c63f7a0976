"""Claim-level grading through the shipped judgement model, on bundled and freshly added sources.

Every wrong answer here SWAPS or REVERSES the reference while reusing its words: graded wrong, with
the candidate's own claim, the contradicting reference sentence and its citation. A correct answer in
other words is graded right. A source with an error is graded against the audit's correction."""

from __future__ import annotations

import shutil

import pytest

from coach.config import load_settings
from coach.service import Coach

SWAPS = [
    ("What is LSTM, and how does it work?",
     "An LSTM has three gates. The input gate decides what information from the previous cell state is discarded, "
     "and the forget gate selects which new information is added to the cell."),
    ("What are generative adversarial networks (GANs)?",
     "In a GAN the discriminator is used to generate new examples, while the generator classifies the examples "
     "as real or fake."),
    ("Discuss how L1 and L2 regularization terms affect the distribution of weights in a neural network model.",
     "L2 regularization pushes weights to exactly zero and creates a sparse solution, while L1 regularization only "
     "keeps the weights small but never zero."),
    ("What are the types of activation functions?",
     "Sigmoid outputs values from -1 to 1 and never saturates, while tanh outputs values between 0 and 1."),
]
CORRECT_OTHER_WORDS = (
    "What are generative adversarial networks (GANs)?",
    "Two networks play a game: one of them invents fake samples, and the other one learns to tell those fakes "
    "apart from genuine training examples. Competing pushes the first network to produce realistic data.",
)


def _with_judge(grader):
    from coach.grading import Grader
    from coach.judge import Judge

    return Grader(grader._embed, grader.bank, records=grader.records, search=grader.search, flags_for=grader.flags_for,
                  vocab=grader.vocab, nli=Judge())


@pytest.fixture(scope="module")
def graded(coach):
    return _with_judge(coach.grader)


@pytest.mark.parametrize("question,answer", [
    SWAPS[0],
    # the judge finds no contradiction here (0.00): the role-swap rule (coach/grading/swaps.py) cites the
    # reference sentence the claim crosses, on the rubric's known misconception it confirms
    SWAPS[1],
    SWAPS[2],  # the role-swap rule, not the judge
    SWAPS[3],
], ids=["lstm-gates", "gan-roles", "l1-l2", "sigmoid-tanh"])
def test_swapped_answers_are_wrong_with_the_contradicting_reference_cited(graded, question, answer):
    g = graded.grade(question, answer)
    assert g.verdict == "incorrect", (g.score, g.verdict, g.feedback)
    assert g.score <= 3.5
    judged = [w for w in g.wrong if w.get("how") == "contradicts the reference"]
    assert judged, g.wrong
    w = judged[0]
    assert w["claim"] in answer  # the candidate's own words
    assert w["evidence"]["source"] and w["evidence"]["line_start"] >= 1  # where the reference says otherwise
    assert not set(g.right) & {w["correction"] for w in g.wrong}  # nothing credited that the answer contradicts
    assert "claims" in [s.name for s in g.steps]


def test_flags_the_display_gate_hides_are_counted_in_the_claims_step_and_leave_the_score(graded):
    """A judged "wrong" claim the calibration does not list (``Calibration.shows_wrong``) is still counted
    where the step "claims" reports it, with why it is not listed; it never caps the score: with a judge
    cap far below the answer's score, hiding the flags gives the score of no cap at all."""
    import dataclasses

    from coach.grading import Grader
    from coach.judge import Judge

    def grader(cal):
        return Grader(graded._embed, graded.bank, records=graded.records, search=graded.search,
                      flags_for=graded.flags_for, vocab=graded.vocab, nli=Judge(), calibration=cal)

    def judged(g):  # the judge's own flags (a role swap's item, also "contradicts the reference", has no confidence)
        return [w for w in g.wrong if w.get("how") == "contradicts the reference" and "confidence" in w]

    shown = graded.grade(*SWAPS[0])
    assert judged(shown)
    # misc_cap 10: the stated misconception's own cap would otherwise bind first
    hidden = dataclasses.replace(graded.calibration, show_score_max=-1.0, wrong_cap=0.5, misc_cap=10.0)  # lists no judged flag
    g = grader(hidden).grade(*SWAPS[0])
    assert not judged(g)
    uncapped = grader(dataclasses.replace(hidden, wrong_cap=10.0)).grade(*SWAPS[0])
    assert uncapped.score > 0.5 and g.score == uncapped.score
    claims = next(s for s in g.steps if s.name == "claims")
    assert "not listed as wrong and not capping the score" in claims.explanation
    listed = grader(dataclasses.replace(graded.calibration, wrong_cap=0.5, misc_cap=10.0)).grade(*SWAPS[0])
    assert listed.score <= 0.5  # the same flags, listed, do cap it


PARTIAL_GAN = ("What are generative adversarial networks (GANs)?",
               "A GAN trains two networks: a generator that makes fake samples and a discriminator that tells fakes "
               "from real data.")


def test_credits_the_gate_hides_are_listed_as_missing_and_leave_the_score(graded):
    """A key point the answer covers is listed as missing, marked as mentioned, not as right, when the
    calibration's credit gate closes for this answer (``Calibration.credit_score_min``); the step "credit"
    says why, and the score and verdict do not change. With no scorer feature a gate above 1 closes for
    every answer, except one graded "correct"."""
    import dataclasses

    from coach.grading import Grader
    from coach.judge import Judge

    def grader(cal):
        return Grader(graded._embed, graded.bank, records=graded.records, search=graded.search,
                      flags_for=graded.flags_for, vocab=graded.vocab, nli=Judge(), calibration=cal)

    closed = grader(dataclasses.replace(graded.calibration, credit_score_min=1.5))
    shown = graded.grade(*PARTIAL_GAN)
    assert shown.right and shown.verdict != "correct", (shown.verdict, shown.feedback)
    hidden = closed.grade(*PARTIAL_GAN)
    assert not hidden.right and "What you got right" not in hidden.feedback
    assert set(shown.right) | set(shown.missing) == set(hidden.missing)  # each key point once, none lost
    # marked as mentioned: the credits the gate hides, and (in both) the points covered in words the judge did not entail
    assert len(hidden.missing) == len(set(hidden.missing)) and set(hidden.unconfirmed) == set(shown.right) | set(shown.unconfirmed)
    assert not set(shown.unconfirmed) & set(shown.right) and set(shown.unconfirmed) <= set(shown.missing)
    assert "Mentioned, but not confirmed (your answer touches on these, but the grader could not confirm" in hidden.feedback
    assert (hidden.score, hidden.verdict) == (shown.score, shown.verdict)
    step = next(s for s in hidden.steps if s.name == "credit")
    assert f"{len(shown.right)} key point(s)" in step.explanation
    assert "credit" not in [s.name for s in shown.steps]
    correct = closed.grade(*CORRECT_OTHER_WORDS)  # a "correct" answer keeps its credits whatever the gate
    assert correct.verdict == "correct" and correct.right and set(correct.unconfirmed) <= set(correct.missing)
    # a missing point the answer covers in its words is in the "mentioned, but not confirmed" section, so the card agrees
    # with the coverage step
    if correct.unconfirmed:
        head, sep, said = correct.feedback.partition("Mentioned, but not confirmed")
        assert sep and all(f"- {t}" in said and f"- {t}" not in head for t in correct.unconfirmed)


def test_correct_answer_in_other_words_is_graded_right(graded):
    g = graded.grade(*CORRECT_OTHER_WORDS)
    assert g.verdict == "correct", (g.score, g.feedback)
    assert not [w for w in g.wrong if w.get("how") == "contradicts the reference"]


def test_i_dont_know_is_no_attempt(graded):
    g = graded.grade(CORRECT_OTHER_WORDS[0], "Sorry, I don't know.")
    assert g.verdict == "no_attempt" and g.score == 0


SQL_SOURCE = """# SQL interview notes

## 1. What is the difference between WHERE and HAVING?

The WHERE clause filters individual rows before they are grouped, while the HAVING clause filters groups after the GROUP BY aggregation has been computed.

## 2. What is a primary key?

A primary key can contain NULL values and duplicates, and a table can have several primary keys.
"""


def _coach_with_source(built_home, tmp_path_factory, name: str, text: str) -> Coach:
    """The bundled index plus one freshly added source ``name`` holding ``text``, in a copy of the shared home."""
    from corpus import parse_paths

    home = tmp_path_factory.mktemp(name.split(".")[0] + "_home")
    shutil.copytree(built_home, home, dirs_exist_ok=True)
    doc = home / name
    doc.write_text(text, encoding="utf-8")
    coach = Coach(load_settings(home=home, judge_grading=True))
    coach.index.add(parse_paths([doc], embedder=coach.index.embedder))
    coach._reset_derived()
    return coach


@pytest.fixture(scope="module")
def sql_coach(built_home, tmp_path_factory):
    """The bundled index plus a freshly added SQL source, in a copy of the shared home."""
    return _coach_with_source(built_home, tmp_path_factory, "sql_notes.md", SQL_SOURCE)


def test_where_having_swap_on_an_added_source(sql_coach):
    # an xfail until 2026-12-02: passes since the answer scorer runs in fp32 (README, "The answer scorer in fp32")
    g = sql_coach.grader.grade(
        "What is the difference between WHERE and HAVING?",
        "HAVING filters individual rows before they are grouped, while WHERE filters the groups after the GROUP BY aggregation.",
    )
    assert g.verdict == "incorrect", (g.score, g.feedback)
    assert any(w.get("evidence", {}).get("source") == "sql_notes.md" for w in g.wrong)
    # the candidate is told what the grade rests on: the added source's own sentences, unreviewed
    (note,) = [n for n in g.notes if n.startswith("Graded against key points drafted from")]
    assert "sql_notes.md" in note and "Note: " + note in g.feedback


def test_the_question_bank_says_which_questions_are_drafted(sql_coach):
    items = sql_coach.question_bank()
    added = [i for i in items if any(r.startswith("sql_notes.md") for r in i.record_ids)]
    bundled = [i for i in items if not any(r.startswith("sql_notes.md") for r in i.record_ids)]
    assert added and bundled and not any(i.reviewed for i in added) and all(i.reviewed for i in bundled)
    # a drafted question's difficulty is guessed from its answer's length when drafted, as for a question without a
    # rubric, and written into the drafts file, where it can be edited (every one was 2, so a walkthrough's
    # `--difficulty 3` found nothing in its own source)
    from coach.grading.draft import guess_difficulty

    records = {r.id: r for r in sql_coach.index.records()}
    assert all(i.difficulty == guess_difficulty(records[i.record_ids[0]].answer) for i in added)
    assert {i.difficulty for i in added} == {1}  # its answers are short
    assert guess_difficulty("word " * 59) == 1 and guess_difficulty("word " * 60) == 2 and guess_difficulty("w " * 150) == 3


def test_only_a_grade_on_a_drafted_rubric_says_so(coach):
    g = coach.grader
    reviewed = g.grade(*CORRECT_OTHER_WORDS)
    explicit = g.grade(*CORRECT_OTHER_WORDS, reference=GAN_REFERENCE)
    assert not any("drafted from" in n for n in reviewed.notes + explicit.notes), (reviewed.notes, explicit.notes)


@pytest.mark.xfail(strict=True, reason="measured gap since the drafted refit of 2026-12-03 (README, 'Drafted key points that "
                   "stand alone'): this answer's score is unchanged (6.6), but the refit's 'correct' threshold rose from 6.5 to 7.0")
def test_where_having_in_other_words_on_an_added_source_is_correct(sql_coach):
    good = sql_coach.grader.grade(
        "What is the difference between WHERE and HAVING?",
        "WHERE works on single rows before any grouping happens; HAVING is applied afterwards, to the aggregated groups.",
    )
    assert good.verdict == "correct", (good.score, good.feedback)


def test_source_error_is_flagged_and_drafted_as_its_correction(sql_coach):
    # an xfail until experiment 54: the source repeats a trusted statement with its negation taken out, so the audit
    # flags it, and the draft grades against the statement
    flags = [f for f in sql_coach.audit.all_flags() if f["source"] == "sql_notes.md"]
    (flag,) = [f for f in flags if "NULL" in f["quote"]]
    assert flag["check"] == "trusted" and "cannot contain NULL" in flag["correction"], flag
    rubric = sql_coach.grader.resolve("What is a primary key?")
    assert not any("can contain NULL" in kp.text for kp in rubric.key_points)  # the error never becomes a key point
    assert any("cannot contain NULL" in kp.text for kp in rubric.key_points), rubric.key_points


@pytest.mark.xfail(strict=True, reason="measured gap: the judge reads the correct answer as contradicting the correction "
                   "it restates in other words (0.98), and half of the flagged sentence recited is not counted as stating "
                   "it (5.5 'partial'; experiment 55 failed at dev)")
def test_a_correct_answer_beats_the_recited_source_error(sql_coach):
    right = sql_coach.grader.grade("What is a primary key?",
                                   "A primary key uniquely identifies each row, so its values must be unique and can never be NULL.")
    parrot = sql_coach.grader.grade("What is a primary key?", "A primary key can contain NULL values and duplicates.")
    assert right.score >= parrot.score + 3, (right.score, parrot.score, right.feedback)
    assert parrot.verdict == "incorrect"


def test_each_grading_mode_has_its_own_calibration(coach, graded):
    """Weights fitted with the judge's features would misgrade when those features are 0 (judge off)."""
    from coach.grading.combine import CALIBRATION_PATH, JUDGE_CALIBRATION_PATH, Calibration

    from coach.grading import Grader

    from coach.grading.combine import calibration_path

    g = coach.grader
    plain = Grader(g._embed, g.bank, records=g.records, search=g.search, flags_for=g.flags_for, vocab=g.vocab)
    assert plain.calibration == Calibration.load(CALIBRATION_PATH)  # no judge, no answer scorer
    # the answer scorer (on by default) has its own fit of each mode; without it the plain fit
    assert g.scorer is not None
    without = Grader(g._embed, g.bank, records=g.records, search=g.search, flags_for=g.flags_for, vocab=g.vocab,
                     scorer=g.scorer)
    assert without.calibration == Calibration.load(calibration_path(False, scorer=True)) != plain.calibration
    judge_cal = Calibration.load(JUDGE_CALIBRATION_PATH)
    assert graded.calibration == judge_cal and judge_cal != without.calibration
    # the default: the judge grades against drafted rubrics only; reviewed rubrics keep the fit without it
    assert coach.settings.judge_grading == "drafts" and coach.grader.nli_scope == "drafts"
    assert coach.grader.calibration == without.calibration
    assert coach.grader.draft_calibration == Calibration.load(calibration_path(True, draft=True, scorer=True))
    assert judge_cal.weights[list(judge_cal.fitted_on["features"]).index("judge_support")] > 0


def test_default_mode_judges_drafted_rubrics_only(coach):
    """COACH_JUDGE_GRADING=drafts (the default): a reviewed bundled rubric is graded without the judge
    (its hand-written term groups grade better, README 'Evaluation'); the same question graded
    against an explicit reference (a drafted rubric) gets the judge's claim-level step."""
    g = coach.grader
    question, answer = CORRECT_OTHER_WORDS
    reviewed = g.grade(question, answer)
    assert g.resolve(question).origin != "draft" and "claims" not in {s.name for s in reviewed.steps}
    drafted = g.grade(question, answer, reference=GAN_REFERENCE)
    assert "claims" in {s.name for s in drafted.steps}
    assert drafted.verdict == "correct", drafted.feedback


GAN_REFERENCE = ("A GAN trains two networks against each other. The generator produces synthetic samples from "
                 "random noise, and the discriminator classifies samples as real or generated.")


def test_role_swap_against_an_explicit_reference(coach):
    """The judge entails both key points of the role-swapped answer against this one-sentence reference
    (contradiction 0.00); the role-swap rule, which reads explicit references too, lists it as wrong."""
    g = coach.grader
    right = g.grade(CORRECT_OTHER_WORDS[0], CORRECT_OTHER_WORDS[1], reference=GAN_REFERENCE)
    swapped = g.grade(SWAPS[1][0], SWAPS[1][1], reference=GAN_REFERENCE)
    assert swapped.score < right.score - 3 and swapped.verdict != "correct", swapped.feedback
    assert any("role swap" in (w.get("basis") or "") and w["claim"] in SWAPS[1][1] for w in swapped.wrong), swapped.wrong


def test_only_a_reference_passed_with_the_answer_counts_as_explicit(coach, monkeypatch):
    """An explicit reference is marked on the rubric by ``Grader.resolve``, not read from its id: a drafted rubric
    whose id happens to start with "ref-" (the grader names its drafts "draft-...", so this one is built by hand) is
    not read by the role-swap rule (README, "Role swaps") and its vectors are kept on disk."""
    from coach.grading.draft import draft_rubric
    from coach.grading.grader import _swap_checked
    from coach.grading.rubrics import Rubric

    g = coach.grader
    explicit = g.resolve(SWAPS[1][0], reference=GAN_REFERENCE)
    assert explicit.explicit and _swap_checked(explicit)
    assert explicit.model_copy(update={"misconceptions": []}).explicit  # the flag-augmented copy keeps it
    indexed = draft_rubric("ref-gan.md:1", SWAPS[1][0], [("ref-gan.md:1", GAN_REFERENCE)], [])
    assert indexed.id.startswith("ref-") and not indexed.explicit and not _swap_checked(indexed)
    # a rubric file cannot mark itself explicit
    data = {**explicit.model_dump(), "explicit": True, "_explicit": True}
    assert not Rubric.model_validate(data).explicit and "explicit" not in explicit.model_dump()
    monkeypatch.setattr(g, "resolve", lambda *a, **k: indexed)
    swapped = g.grade(SWAPS[1][0], SWAPS[1][1])
    step = next(s for s in swapped.steps if s.name == "swaps")
    assert step.explanation.startswith("not checked against a drafted rubric"), step
    assert not any("role swap" in (w.get("basis") or "") for w in swapped.wrong)


PK_REFERENCE = ("A primary key uniquely identifies each row of a table. Its values must be unique and can never be NULL, "
                "and a table has at most one primary key.")


@pytest.mark.xfail(strict=True, reason="measured gap: the judge gives the three-way reversal below 0.67 entailment "
                   "and 0.29 contradiction against the reference sentence it reverses")
def test_reversed_answer_against_an_explicit_reference_is_not_correct(coach):
    g = coach.grader.grade("What is a primary key?",
                           "A primary key can contain NULL values and duplicates, and a table can have several primary keys.",
                           reference=PK_REFERENCE)
    assert g.verdict != "correct" and g.wrong, g.feedback


def _graded_in_full(grader, question, answer, reference):
    g = grader.grade(question, answer, reference=reference)
    return g.score, g.verdict, g.feedback, [(s.name, s.value, s.explanation) for s in g.steps], g.wrong, g.right


def test_models_run_side_by_side_give_the_grades_they_give_one_after_another(coach, monkeypatch):
    """The grader runs the answer scorer and the judge beside the embedding model (``Grader.parallel``):
    score, steps and feedback are exactly those of running them in turn, also while several users grade
    at once (the shipped models, a drafted rubric, so all three models run)."""
    from concurrent.futures import ThreadPoolExecutor

    grader = coach.grader
    assert grader.parallel and grader.scorer is not None and grader.nli is not None
    question = "What are generative adversarial networks (GANs)?"
    answers = [SWAPS[1][1], CORRECT_OTHER_WORDS[1], "GANs are two networks.",
               "The generator makes fakes from noise and the discriminator tells real from fake."]
    side_by_side = [_graded_in_full(grader, question, a, GAN_REFERENCE) for a in answers]
    with ThreadPoolExecutor(3) as pool:
        at_once = list(pool.map(lambda a: _graded_in_full(grader, question, a, GAN_REFERENCE), answers * 2))
    monkeypatch.setattr(grader, "parallel", False)
    in_turn = [_graded_in_full(grader, question, a, GAN_REFERENCE) for a in answers]
    steps = {name for _, _, _, st, _, _ in in_turn for name, _, _ in st}
    assert {"claims", "answer_score"} <= steps  # both side models really ran
    assert side_by_side == in_turn
    assert at_once == in_turn * 2
    assert in_turn[0][1] != "correct" and in_turn[1][0] > in_turn[0][0]  # the grades are real ones


def test_a_failing_side_model_fails_the_grade_with_its_own_error(coach, monkeypatch):
    """An error in the judge's thread reaches the caller as itself (not a hang, not a silent grade without
    the judge), run side by side or in turn."""
    grader = coach.grader

    def broken(pairs):
        raise RuntimeError("judge exploded")

    monkeypatch.setattr(grader.nli, "scores", broken)
    for parallel in (True, False):
        monkeypatch.setattr(grader, "parallel", parallel)
        with pytest.raises(RuntimeError, match="judge exploded"):
            grader.grade("What are generative adversarial networks (GANs)?", CORRECT_OTHER_WORDS[1],
                         reference=GAN_REFERENCE)


def test_a_key_point_the_reference_contradicts_is_never_credited_whatever_its_row():
    """judge_claims finds each key point's own reference row by its text (reference_sentences keeps each
    sentence once, so row k need not be key point k). Fixed probabilities, no model: the answer entails
    every key point, and its claim contradicts only the row of key point B."""
    import numpy as np

    from coach.grading.evidence import claim_pairs, judge_claims, reference_sentences
    from coach.grading.rubrics import KeyPoint, Rubric
    from coach.judge.model import CONTRADICTION, ENTAILMENT

    class Ev:
        features: dict = {}
        judged = None

    # built without validation: a repeat in another case is what made the rows shift
    rubric = Rubric.model_construct(id="r", question="q", records=[], topic="t", difficulty=2, model_answer="",
                                    reference="", origin="user", misconceptions=[],
                                    key_points=[KeyPoint(text="Alpha holds."), KeyPoint(text="alpha holds."),
                                                KeyPoint(text="Beta holds.")])
    refs = reference_sentences(rubric, [])
    assert [r.text for r in refs] == ["Alpha holds.", "Beta holds."]
    answer = "Alpha holds and beta fails."
    pairs = claim_pairs(rubric, answer, refs)
    probs = np.zeros((len(pairs), 3), dtype=np.float32)
    for i, (premise, hypothesis) in enumerate(pairs):
        if premise == "Beta holds." and hypothesis == answer:  # the (reference row, claim) pair of B
            probs[i, CONTRADICTION] = 0.95
        elif hypothesis.endswith("holds."):  # (claim, key point): every point "entailed"
            probs[i, ENTAILMENT] = 0.9
        else:
            probs[i, ENTAILMENT] = 0.5
    ev = Ev()
    ev.features = {}
    judge_claims(ev, None, rubric, answer, refs, probs)
    covered = [t for t, _ in ev.judged["covered"]]
    assert "Beta holds." not in covered and "Beta holds." in ev.judged["missing"]
    assert "Alpha holds." in covered


def test_a_source_removed_by_another_process_is_not_graded_against(built_home, tmp_path):
    """`coach serve` keeps running while `coach index remove` runs in another process: the server's grader
    held the records and rubrics it loaded first, so it could still cite the removed source."""
    import shutil

    from coach.config import load_settings
    from coach.service import Coach

    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    server, other = Coach(load_settings(home=home)), Coach(load_settings(home=home))
    before = server.grader
    gone = sorted({r.source for r in before.records.values()})[0]
    assert any(r.source == gone for r in before.records.values())
    other.remove_sources([gone])
    after = server.grader
    assert after is not before and not any(r.source == gone for r in after.records.values())
    assert server.grader is after  # rebuilt once, not on every grade


def test_a_wrong_sentence_said_twice_is_one_claim_listed_once(graded):
    """Repeating a sentence adds no claim: the judge reads it once and "What is wrong" lists it once (it
    was listed once per repetition, and the claim counts grew with it)."""
    from coach.grading.evidence import claims_of

    assert claims_of("A is B. C is D.  a is  b. E is F.") == ["A is B.", "C is D.", "E is F."]
    question, answer = SWAPS[0]
    once, twice = graded.grade(question, answer), graded.grade(question, f"{answer} {answer}")
    said = [w["claim"] for w in twice.wrong]
    assert said and len(said) == len(set(said)), said
    assert sorted(said) == sorted(w["claim"] for w in once.wrong)


def test_an_answer_graded_correct_never_lists_every_key_point_as_missing(coach):
    """Found in a walkthrough on a new document: a correct restatement with a file name in it ("app.3f9a1c.js")
    was graded "Correct" while the judge entailed neither key point, so the card listed both as missing. The
    key points the answer covers in terms or a close paraphrase are credited then (none a listed wrong claim
    contradicts)."""
    q = "What is cache busting?"
    ref = ("Cache busting means putting a version or a content hash in the file name of a static asset, such as "
           "app.3f9a1c.js. Because the URL changes whenever the content changes, the asset can be cached with a very "
           "long max-age and the immutable directive without serving stale files.")
    ans = ("Cache busting is the practice of embedding a version number or a hash of the file contents into the URL of a "
           "static asset, for example app.3f9a1c.js instead of app.js. Since the URL changes every time the content "
           "changes, browsers and CDNs can be told to keep the file for a year with Cache-Control: max-age=31536000, "
           "immutable, and users still never see stale files after a deploy.")
    g = coach.grader.grade(q, ans, reference=ref)
    assert g.verdict == "correct", (g.score, g.verdict)
    assert len(g.right) == 2 and not g.missing, (g.right, g.missing)
    assert "What you got right" in g.feedback and "What is missing" not in g.feedback


def test_an_off_topic_answer_is_not_said_to_mention_a_key_point(coach):
    """Found in a walkthrough: an answer about B-tree indexes to a caching question was graded off topic and yet
    told that it mentions a key point ("mentioned, but not credited"). An off-topic answer lists the key points as
    missing, nothing more."""
    q = "What is stale-while-revalidate?"
    ref = ("The stale-while-revalidate directive lets a cache serve a stale response immediately while it revalidates "
           "the response in the background. This hides the latency of revalidation from the user for a bounded "
           "window of seconds.")
    g = coach.grader.grade(q, "A B-tree index keeps keys sorted so range scans are efficient.", reference=ref)
    assert g.verdict == "off_topic" and not g.right and not g.unconfirmed, (g.verdict, g.right, g.unconfirmed)
    assert len(g.missing) == 2 and "mentioned" not in g.feedback
    claims = [st.explanation for st in g.steps if st.name == "claims"]
    assert claims and claims[0].startswith("not counted, the answer is off topic (judge: "), g.steps


def test_a_pasted_reference_keeps_its_page_furniture_out_of_the_key_points(coach):
    """A reference pasted from a web page (a ``reference`` field of a `coach grade` line) never goes through the corpus stage: its
    "Click here for more!", ad and footer lines became key points listed as missing. They are stripped first."""
    ref = ("Optimistic locking checks a version column at commit time and fails if another transaction changed the "
           "row. Pessimistic locking takes a lock when the row is read.\nClick here for more!\n"
           "Advertisement - Try DBPro free for 30 days!\nWas this helpful? Share it with your friends.\n"
           "(c) 2024 DBPrep. All rights reserved.")
    g = coach.grader.grade("What is the difference between optimistic and pessimistic locking?",
                           "Optimistic locking does not lock.", reference=ref)
    points = g.right + g.missing
    assert len(points) == 2 and all("lock" in p.lower() for p in points), points
    assert not any(w in g.feedback for w in ("Click here", "Advertisement", "All rights reserved", "helpful"))


def test_an_answer_graded_off_topic_lists_nothing_as_right(coach):
    """Found in a second walkthrough: "Soft, mixed and hard." to "What are the three modes of git reset?" was graded
    off topic while "What you got right" listed key points. An off-topic card lists every key point as missing."""
    q = "What are the three modes of git reset?"
    ref = ("git reset has three modes. --soft moves the branch ref only and keeps the index and the working tree. "
           "--mixed, the default, also resets the index but keeps the working tree. --hard resets the index and the "
           "working tree too, discarding uncommitted changes.")
    g = coach.grader.grade(q, "A B-tree keeps keys sorted so range scans are fast.", reference=ref)
    assert g.verdict == "off_topic" and g.score <= 1.0, (g.score, g.verdict)
    assert not g.right and not g.unconfirmed and any(m.startswith("--hard") for m in g.missing), (g.right, g.missing)
    assert "What you got right" not in g.feedback
    # the walkthrough's own answer names the three modes: since the drafted fit's off-topic rule reads the answer scorer
    # (experiment 74d, README) it is partial credit, no longer "off topic" (it shares no word with the reference)
    g = coach.grader.grade(q, "Soft, mixed and hard.", reference=ref)
    assert g.verdict == "partial" and 3.0 <= g.score < 7.0, (g.score, g.verdict)
    # ...and it says nothing of what --hard does: the judge entails that key point, but it is not credited, only
    # marked as mentioned (experiment 75, README; a walkthrough's card credited it)
    hard = next(m for m in g.missing if m.startswith("--hard"))
    assert not g.right and hard in g.unconfirmed, (g.right, g.unconfirmed)
    assert any(s.name == "confirm" for s in g.steps) and "What you got right" not in g.feedback


def test_a_correction_cut_at_a_semicolon_is_shown_whole():
    """The model answer's sentences are cut at ";" for the judge; a wrong claim whose strongest contradiction is
    such a clause is corrected with the key point that holds it whole, and the candidate's quote loses its
    trailing ";" (user walkthrough). Fixed probabilities, no model."""
    import numpy as np

    from coach.grading.evidence import claim_pairs, judge_claims, reference_sentences
    from coach.grading.rubrics import KeyPoint, Rubric
    from coach.judge.model import CONTRADICTION

    class Ev:
        features: dict = {}
        judged = None

    whole = "A semaphore is a counter; wait() decrements it and post() increments it."
    rubric = Rubric.model_construct(id="r", question="q", records=[], topic="t", difficulty=2, model_answer=whole,
                                    reference="", origin="draft", misconceptions=[], key_points=[KeyPoint(text=whole)])
    refs = reference_sentences(rubric, [])
    assert [r.kind for r in refs] == ["key_point", "reference", "reference"]
    answer = "A mutex is a counter; it has an owner."
    pairs = claim_pairs(rubric, answer, refs)
    probs = np.zeros((len(pairs), 3), dtype=np.float32)
    for i, (premise, hypothesis) in enumerate(pairs):
        if premise == "A semaphore is a counter;" and hypothesis == "A mutex is a counter;":
            probs[i, CONTRADICTION] = 0.9
    ev = Ev()
    ev.features = {}
    judge_claims(ev, None, rubric, answer, refs, probs)
    (w,) = ev.judged["wrong"]
    assert w["correction"] == whole and w["evidence"]["text"] == whole
    assert w["said"] == "A mutex is a counter" and w["claim"] == "A mutex is a counter;"
    # a clause of a long list joined under its lead-in is shown alone, without its ";"; of a key point with several
    # sentences, only the sentence that holds it
    from coach.grading.evidence import RefSentence, whole

    listed = RefSentence("Layers of four kinds: " + "; ".join(f"kind {i} does thing {i} to the input" for i in range(8))
                         + ".", "key_point")
    assert whole(RefSentence("kind 3 does thing 3 to the input;", "reference"), [listed]).text == \
        "kind 3 does thing 3 to the input"
    two = RefSentence("Data flows forward, e.g. from input to output. It never flows back; there is no feedback.",
                      "key_point")
    assert whole(RefSentence("It never flows back;", "reference"), [two]).text == \
        "It never flows back; there is no feedback."
    # found only as a clause: not inside a word ("lockfree"), not in the middle of another clause (review)
    other = [RefSentence("A mutex is a lockfree queue used by one thread.", "key_point"),
             RefSentence("Keys and eyes; both matter.", "key_point"),
             RefSentence("A mutex is a lock; only its owner unlocks it.", "key_point")]
    assert whole(RefSentence("A mutex is a lock;", "reference"), other).text == "A mutex is a lock; only its owner unlocks it."
    assert whole(RefSentence("eyes;", "reference"), other).text == "eyes"
    node = [RefSentence("Node.js is single threaded; it uses an event loop.", "key_point")]
    assert whole(RefSentence("Node.js is single threaded;", "reference"), node).text == node[0].text


SEMAPHORES = ("A mutex is a lock with an owner: only the thread that locked it may unlock it, and only one thread can "
              "hold it at a time. A semaphore is a counter that allows up to N threads to proceed; wait() decrements "
              "it and blocks at zero, and post() increments it.")
SEMAPHORE_SWAP = ("A semaphore is a lock with an owner: only the thread that locked it may unlock it. A mutex is a counter "
                  "that allows up to N threads to proceed; post() decrements it and blocks at zero, and wait() increments it.")


def test_a_swap_against_a_reference_with_semicolons_is_corrected_in_whole_sentences(coach):
    """The same with the shipped judge, on a reference of the user's own (walkthrough: "Correction: A semaphore is a
    counter that allows up to N threads to proceed;")."""
    g = _with_judge(coach.grader).grade("What is the difference between a mutex and a semaphore?", SEMAPHORE_SWAP,
                                        reference=SEMAPHORES)
    assert g.verdict == "incorrect" and g.wrong, (g.score, g.feedback)
    assert not any(w["correction"].endswith(";") or w["said"].endswith(";") for w in g.wrong), g.wrong
    whole_sentence = ("A semaphore is a counter that allows up to N threads to proceed; wait() decrements it and blocks "
                      "at zero, and post() increments it.")
    assert any(w["correction"] == whole_sentence for w in g.wrong), g.wrong


def test_a_role_swap_is_corrected_in_whole_sentences_too(coach):
    """The role-swap check reads the same clauses (on reviewed rubrics and explicit references, with or without the
    judge); its items are shown whole as well (review: the walkthrough's output stayed on that path)."""
    from coach.grading import Grader

    grader = coach.grader
    no_judge = Grader(grader._embed, grader.bank, records=grader.records, search=grader.search,
                      flags_for=grader.flags_for, vocab=grader.vocab, nli=None)
    g = no_judge.grade("What is the difference between a mutex and a semaphore?", SEMAPHORE_SWAP, reference=SEMAPHORES)
    swapped = [w for w in g.wrong if "counter" in w["said"]]
    assert swapped, (g.score, g.feedback)
    assert not any(w["correction"].endswith(";") or w["said"].endswith(";") for w in g.wrong), g.wrong


def test_a_recital_of_a_known_false_claim_is_read_as_stating_it_and_nothing_looser_is():
    """A walkthrough reported a source's "DNS ... UDP port 35" and then recited it: the bi-encoder path did not count
    it, since the correction reads almost the same as the claim. A recital (the claim's words in its order, with the
    words that set it apart from the correction and none of the correction's) counts; a paraphrase, a part of it, a
    denial, a copy of the correction and the same words in another order do not (those were tried: README)."""
    from coach.grading.signals import restates

    claim = "DNS queries are normally sent over UDP port 35, and TCP is used for zone transfers and large responses."
    fix = "DNS queries are normally sent over UDP port 53, and TCP port 53 is used for zone transfers and large responses."
    assert restates("DNS queries are normally sent over UDP port 35, and TCP is used for zone transfers.", claim, fix)
    assert restates("DNS queries are usually sent over UDP port 35 and TCP is used for zone transfers and large "
                    "responses.", claim, fix)
    assert not restates("DNS queries are normally sent over UDP port 53, and TCP is used for zone transfers.", claim, fix)
    assert not restates("DNS runs on port 35.", claim, fix)  # a paraphrase: the other signals' to read
    # a claim and its correction that differ only in a function word ("most" / "least": a walkthrough's LRU report)
    lru = "LRU (least recently used) evicts the entry that was accessed most recently when the cache is full."
    lru_fix = ("LRU (least recently used) evicts the entry that was accessed least recently, the one unused for the "
               "longest time, when the cache is full.")
    assert restates(lru, lru, lru_fix)
    assert not restates("LRU evicts the entry that was accessed least recently when the cache is full.", lru, lru_fix)
    assert not restates("DNS queries are not sent over UDP port 35, and TCP is used for zone transfers.", claim, fix)
    # the claim said of another subject, or reported as the source's (a review)
    for framed in ("The notes say " + claim[0].lower() + claim[1:],
                   "It's a typo that " + claim[0].lower() + claim[1:]):
        assert not restates(framed, claim, fix), framed
    assert not restates("Hyperparameters, unlike biases, are fixed constants set before training.",
                        "Biases are fixed constants set before training.", "Biases are learned during training.")
    swapped = "Discriminative models learn the joint distribution P(x, y) and generative models learn P(y|x)."
    assert not restates("Generative models learn the joint distribution P(x, y) and discriminative models learn P(y|x).",
                        swapped, "Discriminative models learn P(y|x); generative models learn the joint P(x, y).")


def test_a_claim_asked_as_a_question_is_never_listed_as_wrong(graded):
    """A walkthrough's hedge "I'm not sure, maybe it has something to do with isolation?" was listed as stating a known
    misconception, and the follow-up asked "Is that right?" of it: a question asserts nothing."""
    question, answer = SWAPS[3]
    stated = graded.grade(question, answer)
    assert any(w["claim"] in answer for w in stated.wrong), stated.wrong  # said as a statement: wrong
    hedged = graded.grade(question, "I'm not sure. Maybe " + answer[0].lower() + answer[1:].rstrip(".") + "?")
    assert hedged.wrong == [], hedged.wrong  # nor is "I'm not sure." (it was, contradicting the reference)
    curly = graded.grade(question, "I\u2019m not sure. Maybe " + answer[0].lower() + answer[1:].rstrip(".") + "?")
    assert curly.wrong == [], curly.wrong  # a phone's apostrophe (a review)
    # a tag question states its claim: "..., right?" is read as the claim it asks agreement with (a review)
    tagged = graded.grade(question, answer.rstrip(".") + ", right?")
    assert any(w["claim"].endswith("right?") for w in tagged.wrong), tagged.wrong


BEHAVIOURAL_SOURCE = """# Top behavioral interview questions

## 1. What is the STAR method?

STAR stands for Situation, Task, Action and Result. Spend most of the answer on the actions you took yourself.

## 2. Tell me about a time you disagreed with a teammate.

**Sample answer:** A senior teammate wanted to ship a new caching layer before the holiday freeze (Situation). I had to
keep the on-call rotation sane while two people were on parental leave (Task). I proposed a feature flag and a staged
rollout (Action). We shipped a week later with no incidents (Result).

## 3. Why do you want to work here?

I have used your product for two years and I like how your engineering blog writes about reliability.
"""


@pytest.fixture(scope="module")
def behavioural_coach(built_home, tmp_path_factory):
    """The bundled index plus an added page of behavioural questions (a walkthrough's kind of source)."""
    return _coach_with_source(built_home, tmp_path_factory, "behavioral.md", BEHAVIOURAL_SOURCE)


def test_a_behavioural_question_is_graded_as_a_story_of_ones_own(behavioural_coach, monkeypatch):
    """With the story model (COACH_STORY_MODEL=on; coach/grading/story.py) a behavioural question drafted from a source
    is graded as a story: the story's parts as right or missing, never the sample's details; a red-flag sentence under
    "What is wrong"; follow-ups on the story's own gaps."""
    from coach.grading.story import ACTIONS, REFLECTION, RESULT, SITUATION, STORY_NOTE, StoryModel
    from coach.questions import STORY_FOLLOWUPS, followup_for

    g = behavioural_coach.grader
    assert g.story_model is None  # off by default
    monkeypatch.setattr(g, "story_model", StoryModel.load())
    q = "Tell me about a time you disagreed with a teammate."
    good = g.grade(q, "Last spring at my previous job my lead wanted to rewrite our billing service in Go. I thought the "
                      "risk was too high, so I wrote a one-page comparison, booked half an hour with her and suggested we "
                      "port one endpoint first. We did it in two weeks, the port ran 30% slower, so we kept Python, and I "
                      "learned to test an idea small before arguing about it.")
    assert STORY_NOTE in good.notes and good.verdict == "correct" and good.score >= 6.5, good.steps
    assert set(good.right) == {SITUATION, ACTIONS, RESULT, REFLECTION} and not good.wrong
    assert "on-call rotation" not in good.feedback.split("Model answer:")[0]  # the sample's details are no points
    assert "on-call rotation" in good.model_answer
    thin = g.grade(q, "My lead wanted to rewrite our billing service in Go. I thought the risk was too high, so I wrote a "
                      "one-page comparison and suggested we port one endpoint first.")
    assert thin.score < good.score and REFLECTION in thin.missing
    assert followup_for(thin).question == STORY_FOLLOWUPS[[p for p in thin.missing if p in STORY_FOLLOWUPS][0]]
    flag = g.grade(q, "Last year a colleague pushed a change that broke the build. It was completely his fault, so I "
                      "told the whole team at stand-up that his code was the problem, and after that he never argued "
                      "with me again.")
    assert flag.verdict == "incorrect" and flag.score <= 3.0, flag.steps
    assert flag.wrong and "his fault" in flag.wrong[0]["said"]
    assert flag.wrong[0]["correction"].startswith("An interviewer may stop here: this reads as")
    assert any(w in flag.wrong[0]["correction"] for w in ("blaming", "humiliating"))
    assert "You said: \"" in flag.feedback and any(s.name == "red_flag" for s in flag.steps)
    assert followup_for(flag).question.startswith("Follow-up: you said “" + flag.wrong[0]["said"].rstrip("."))
    other = g.grade(q, "My greatest strength is that I'm very organised: I plan my whole week every Monday morning, "
                       "keep a detailed to-do list and I have never missed a deadline in my career.")
    assert other.verdict == "off_topic" and other.score <= 1.5 and not other.right, other.steps
    assert g.grade(q, "Hmm, sorry, I can't think of one right now, can we move on?").verdict == "no_attempt"
    assert g.grade(q, good_text := "Last spring I disagreed with my lead about a rewrite and I wrote a comparison.").score \
        == g.grade(q, good_text).score  # deterministic
    # a question about the STAR method on the same page is a technical question
    factual = g.grade("What is the STAR method?", "Situation, task, action and result: most of it on your own actions.")
    assert STORY_NOTE not in factual.notes


def test_a_behavioural_question_says_its_grade_compares_with_a_sample_story(behavioural_coach):
    """Without the story model (COACH_STORY_MODEL=off, the default): a walkthrough's good stories of its own, different from the
    page's sample, scored from 1.0 "off topic" to 8.9, and the hints named the sample's details ("on-call rotation",
    "parental leave"): the grade says it compares with a sample story."""
    from coach.grading.grader import BEHAVIOURAL_NOTE
    from coach.questions import STAR_HINTS, _hints

    g = behavioural_coach.grader
    assert g.story_model is None  # the default
    story = g.grade("Tell me about a time you disagreed with a teammate.",
                    "My lead wanted to rewrite our billing service in Go. I thought the risk was too high, so I wrote a "
                    "one-page comparison and suggested we port one endpoint first. We did, it took two weeks, and we "
                    "kept Python.")
    assert BEHAVIOURAL_NOTE in story.notes and BEHAVIOURAL_NOTE in story.feedback
    assert not (story.right or story.missing or story.wrong or story.unconfirmed)  # no sample detail as a point
    assert "on-call rotation" in story.model_answer
    # its follow-up asks about the candidate's own story, never about the sample's details
    from coach.questions import STAR_FOLLOWUP, followup_for
    assert followup_for(story, "My lead wanted to rewrite our billing service in Go.").question == STAR_FOLLOWUP
    assert _hints(g.resolve("Tell me about a time you disagreed with a teammate.")) == STAR_HINTS
    factual = g.grade("What is the STAR method?", "Situation, task, action and result: most of it on your own actions.")
    assert BEHAVIOURAL_NOTE not in factual.notes and followup_for(factual).question != STAR_FOLLOWUP
    assert factual.right or factual.missing
    assert _hints(g.resolve("What is the STAR method?")) != STAR_HINTS
    # the sample's "Sample answer:" label is not part of what the answer is graded against
    assert not g.resolve("Tell me about a time you disagreed with a teammate.").model_answer.startswith("Sample")


def test_a_known_false_claim_recited_as_one_clause_of_a_list_is_stated():
    """A walkthrough reported its source's "boolean defaults to true", then pasted the source's answer, which lists every
    default in one sentence ("... char is '\\u0000', boolean defaults to true, and object references are null."): 8.2
    "correct", nothing stated. A recital is read in each clause too; a clause that says the correction is not one."""
    from coach.grading.signals import clauses, restates

    claim, fix = "boolean defaults to true.", "An uninitialised boolean field defaults to false."
    listed = "Fields get defaults: numbers are 0, char is '\\u0000', boolean defaults to true, and references are null."
    assert not restates(listed, claim, fix) and any(restates(c, claim, fix) for c in clauses(listed))
    right = "Fields get defaults: numbers are 0, char is '\\u0000', boolean defaults to false, and references are null."
    assert not any(restates(c, claim, fix) for c in clauses(right))
    assert clauses("One claim only.") == []


def test_a_hedged_guess_at_the_topic_is_not_listed_as_wrong(coach):
    """A walkthrough: "I think it is about memory safety, but I'm not sure." to a Copy/Clone question was listed under
    "What is wrong" as contradicting "Copy types are duplicated implicitly on assignment" (the judge, 0.88), and the
    session summary repeated that "correction". A guess at the topic states no fact a reference could contradict."""
    q = "What is the difference between Copy and Clone in Rust?"
    ref = ("Copy types are duplicated implicitly on assignment, so the original stays usable. Clone is an explicit, "
           "possibly expensive deep copy made by calling .clone(). Every Copy type is also Clone.")
    for answer in ("I think it is about memory safety, but I'm not sure.", "It's about copying, I think."):
        g = coach.grader.grade(q, answer, reference=ref)
        assert not g.wrong and "What is wrong" not in g.feedback, (answer, g.wrong)
    # a claim said without a hedge, or an amount, still takes a side
    from coach.grading.evidence import _asserts_nothing

    assert _asserts_nothing("Something to do with speed.") and _asserts_nothing("Maybe it is related to the GIL.")
    for claim in ("It's about minimising the margin.", "It is about 40 bytes, I think.", "They are about twice as "
                  "fast, I think.", "Raft is about leader election, I think."):
        assert not _asserts_nothing(claim), claim
