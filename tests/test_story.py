"""Behavioural answers read as stories (coach/grading/story.py) with the real embedding model: the features an
interviewer listens for, the red-flag and off-topic readings, the shipped model and the grade it gives through the
grader (a behavioural page added as a source, and an explicit sample answer)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from coach.grading.story import (ACTIONS, FEATURES, MODEL_FILE, REFLECTION, RESULT, SITUATION, STORY_NOTE, StoryModel,
                                 StoryReader, elements, is_story_prompt, train_story_model)

Q = "Tell me about a time you disagreed with a teammate."
STORY = ("Last year at my previous job I disagreed with our tech lead about rewriting the billing service. I booked a "
         "half hour with her, listened to her reasons and proposed we port one endpoint first. As a result we shipped "
         "the port in two weeks with no incidents, and I learned to test an idea small before arguing for it.")
GENERIC = "I'm a team player and I always try to listen to everyone. I believe communication is key in any team."
BLAME = ("It was completely his fault. I told the whole team at stand-up that his code broke the build, and after that "
         "he never argued with me again.")
OTHER_QUESTION = "My greatest strength is that I'm very organised: I plan my week on Monday and I never miss a deadline."


@pytest.fixture(scope="module")
def story_coach(built_home):
    """A real Coach over the shared built index with the story model on (COACH_STORY_MODEL=on; off by default)."""
    from coach.config import load_settings
    from coach.service import Coach

    return Coach(load_settings(home=built_home, story_model="on"))


@pytest.fixture(scope="module")
def reader(coach):
    return StoryReader(coach.index.embedder.encode_grouped)  # what the grader reads with


def test_a_story_has_its_parts_and_platitudes_do_not(reader):
    story, generic = reader.read(Q, STORY).features, reader.read(Q, GENERIC).features
    assert set(story) | {"red_lr"} == set(FEATURES)  # the model adds red_lr (StoryModel.features)
    assert story["i_past"] > generic["i_past"] and story["time"] >= 1 and story["reflection"] >= 1
    assert story["numbers"] >= 1 and story["result"] >= 1
    assert generic["generic"] > story["generic"] and generic["time"] == 0 and generic["reflection"] == 0
    parts = elements(story)
    assert all(parts.values()), parts
    assert not any(elements(generic)[p] for p in (SITUATION, ACTIONS, REFLECTION))


def test_we_stories_show_less_ownership(reader):
    we = reader.read(Q, "Last year we disagreed about the release plan, so we had a meeting and we agreed to wait.")
    assert we.features["we_share"] > 0.7 and not elements(we.features)[ACTIONS]


def test_a_blaming_sentence_reads_as_the_likeliest_red_flag(reader):
    blame, story = reader.read(Q, BLAME), reader.read(Q, STORY)
    assert blame.features["red_margin"] > story.features["red_margin"]
    assert blame.flags[0]["kind"] in ("blames others", "humiliates or retaliates")


def test_an_answer_to_another_interview_question_is_closer_to_it(reader):
    other, story = reader.read(Q, OTHER_QUESTION), reader.read(Q, STORY)
    assert other.features["q_margin"] < story.features["q_margin"]
    assert "strength" in other.other_prompt


def test_reading_is_deterministic(reader):
    assert reader.read(Q, STORY).features == reader.read(Q, STORY).features


def test_story_prompts_and_prompts_about_motives():
    assert is_story_prompt(Q) and is_story_prompt("Describe a time you took a calculated risk.")
    assert not is_story_prompt("Why do you want to work here?")
    assert not is_story_prompt("What is your greatest weakness?")
    assert not is_story_prompt("What kind of working environment helps you do your best work?")  # a preference
    assert is_story_prompt("Describe a time when accuracy was critical in your work.")


def test_the_shipped_model_reads_the_default_embedding_model(story_coach, coach):
    model = StoryModel.for_embedder(coach.index.embedder.model_id)
    assert model is not None and story_coach.grader.story_model is not None
    assert coach.grader.story_model is None  # off by default (README, "Behavioural answers read as stories")
    assert np.array_equal(story_coach.grader.story_model.weights, model.weights)
    assert model.red_weights.shape == (coach.index.embedder.dim,)
    held = model.info["leave_one_question_out"]
    # fit on the development sets; these figures hold each question out (the README has the test set's)
    assert held["spearman"] > 0.6 and held["mean_by_tier"]["excellent"] > held["mean_by_tier"]["wrong"] + 2
    assert StoryModel.for_embedder("another/model") is None


def test_a_bad_model_file_is_refused_with_a_warning(tmp_path, caplog):
    raw = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    for broken in ({**raw, "features": raw["features"][:-1]}, {**raw, "weights": raw["weights"][:3]},
                   {**raw, "red_min": "nan"}, {**raw, "format": 9}):
        path = tmp_path / "m.json"
        path.write_text(json.dumps(broken), encoding="utf-8")
        with caplog.at_level("WARNING"):
            assert StoryModel.for_embedder(raw["embedding_model"], path) is None
    assert "story model unusable" in caplog.text
    assert StoryModel.for_embedder(raw["embedding_model"], tmp_path / "none.json") is None


def test_an_explicit_sample_answer_grades_a_behavioural_answer_as_a_story(story_coach, coach):
    from coach.grading.story import STORY_NOTE

    sample = ("Situation: two senior engineers disagreed about a migration. Task: I had to keep the release on time. "
              "Action: I proposed a one-week spike. Result: we shipped on time, and I learned to prototype first.")
    g = story_coach.grader.grade(Q, STORY, reference=sample)
    # a compact good story: all four parts, a middling-to-good score (compact excellent answers score low: README)
    assert STORY_NOTE in g.notes and g.score >= 5.5 and set(g.right) == {SITUATION, ACTIONS, RESULT, REFLECTION}
    assert g.verdict in ("correct", "partial") and not g.wrong
    assert g.model_answer.startswith("Situation: two senior")
    assert STORY_NOTE not in coach.grader.grade(Q, STORY, reference=sample).notes  # off by default
    # a reviewed bundled question is graded as before
    bundled = story_coach.grader.grade("What is overfitting?", "The model memorises the training data and fails on new data.")
    assert STORY_NOTE not in bundled.notes


def test_the_story_model_is_switched_on_and_off(built_home, monkeypatch):
    from coach.config import load_settings
    from coach.config import ConfigError
    from coach.service import Coach

    assert Coach(load_settings(home=built_home)).grader.story_model is None  # the default
    monkeypatch.setenv("COACH_STORY_MODEL", "on")
    assert Coach(load_settings(home=built_home)).grader.story_model is not None
    monkeypatch.setenv("COACH_STORY_MODEL", "off")
    assert Coach(load_settings(home=built_home)).grader.story_model is None
    monkeypatch.setenv("COACH_STORY_MODEL", "maybe")
    with pytest.raises(ConfigError, match="COACH_STORY_MODEL"):
        load_settings(home=built_home)


def test_train_story_fits_a_model_that_loads(tmp_path):
    """`coach judge train-story` on two questions of the development data: a model file the grader can read."""
    from click.testing import CliRunner

    from coach.cli import cli
    from coach.commands.judge import STORY_DATA
    from coach.datafiles import load_jsonl

    root = Path(__file__).resolve().parents[1]
    rows = load_jsonl(root / STORY_DATA[0])
    keep = sorted({r["question_id"] for r in rows})[:3]
    data = tmp_path / "small.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows if r["question_id"] in keep), encoding="utf-8")
    out = tmp_path / "story.json"
    res = CliRunner().invoke(cli, ["judge", "train-story", "--data", str(data), "--output", str(out)])
    assert res.exit_code != 0 and "give two or more --data files, or --stretch-by question" in res.output
    res = CliRunner().invoke(cli, ["judge", "train-story", "--data", str(data), "--stretch-by", "question",
                                   "--output", str(out)])
    assert res.exit_code == 0, res.output
    model = StoryModel.load(out)
    assert model.info["n"] == 27 and model.info["questions"] == 3 and 0 < model.red_min <= 1
    assert "stretch_by" not in model.info
    # two files, two writers: the stretch holds out each (the shipped recipe)
    other = tmp_path / "other.jsonl"
    rows_b = load_jsonl(root / STORY_DATA[1])
    keep_b = sorted({r["question_id"] for r in rows_b})[:2]
    other.write_text("".join(json.dumps(r) + "\n" for r in rows_b if r["question_id"] in keep_b), encoding="utf-8")
    res = CliRunner().invoke(cli, ["judge", "train-story", "--data", str(data), "--data", str(other), "--output", str(out)])
    assert res.exit_code == 0, res.output
    model = StoryModel.load(out)
    assert model.info["n"] == 45 and model.info["stretch_by"] == "writer" and model.info["stretch"] >= 1
    bad = tmp_path / "bad.jsonl"
    for row in ({"question": "Q?", "answer": "", "score": 3}, {"question": "Q?", "answer": "A story.", "score": float("nan")},
                {"question": "Q?", "answer": "A story.", "score": 11}):
        bad.write_text(json.dumps(row) + "\n", encoding="utf-8")
        res = CliRunner().invoke(cli, ["judge", "train-story", "--data", str(bad), "--output", str(out)])
        assert res.exit_code != 0 and "lack a question, an answer or a score from 0 to 10" in res.output


def test_training_needs_red_flag_answers_from_two_questions(coach):
    rows = [{"question": Q, "answer": STORY, "score": 9, "tier": "excellent", "question_id": "q1"}] * 3
    with pytest.raises(ValueError, match="needs answers tiered wrong"):
        train_story_model(rows, StoryReader(coach.index.embedder.encode_grouped), "m")


def test_a_red_flag_is_shown_escaped_with_its_basis_on_the_card(story_coach):
    from coach.session.render import grade_md

    sample = "Situation: a build broke before a release. Action: I found the cause and fixed it. Result: we shipped."
    g = story_coach.grader.grade(Q, "Last year a colleague broke the build. It was completely his fault <script>x</script>, "
                                    "so I told the whole team at stand-up that his code was the problem.", reference=sample)
    assert g.verdict == "incorrect" and g.wrong and g.wrong[0]["how"] == "red flag"
    md = grade_md(g)
    assert "<script>" not in md and "red-flag reading" in md and "An interviewer may stop here" in md


GOOD_BASE = ("Last spring at my previous job my lead wanted to rewrite our billing service in Go. I thought the risk was "
             "too high, so I wrote a one-page comparison and suggested we port one endpoint first. We did it in two "
             "weeks and the port ran 30% slower, so we kept Python, and I learned to test an idea small before arguing.")


@pytest.mark.parametrize("extra", [  # a review's ordinary sentences that a first list of red-flag phrasings flagged
    "Before that I went over the numbers with her.",
    "I presented the comparison in front of the whole team.",
    "She didn't know the old billing code, so I walked her through it.",
    "I didn't raise my voice; I asked questions.",
    "The old benchmarks were useless, so I wrote new ones.",
    "It wasn't their fault, it was mine.",
])
def test_ordinary_sentences_in_a_good_story_are_no_red_flags(story_coach, extra):
    from coach.grading.story import RED_CUES

    assert not RED_CUES.search(extra)
    g = story_coach.grader.grade(Q, GOOD_BASE + " " + extra, reference=STORY)
    assert g.verdict != "incorrect" and not g.wrong and g.score > 5, g.steps


def test_typographic_apostrophes_read_like_plain_ones(reader):
    plain = reader.read(Q, "Honestly, the delay wasn't my fault. I didn't tell my manager.").features
    curly = reader.read(Q, "Honestly, the delay wasn’t my fault. I didn’t tell my manager.").features
    assert plain["red_cues"] == curly["red_cues"] == 2


def test_a_question_about_motives_is_no_story(story_coach):
    from coach.questions import EXAMPLE_FOLLOWUP, followup_for

    sample = "I have used your product for two years, and your engineering blog's posts on reliability are why I applied."
    g = story_coach.grader.grade("Why do you want to work here?", "I like your product and the team, and I want to "
                                 "work on developer tools because I spend my day in them.", reference=sample)
    assert g.verdict != "no_attempt" and not g.right and not g.missing  # no story parts to list
    assert followup_for(g).question == EXAMPLE_FOLLOWUP


def test_numbers_alone_are_no_result(reader):
    assert not elements(reader.read(Q, "1234 5678 9012 and 42.").features)[RESULT]


def test_a_story_answer_to_a_question_about_a_trait_is_not_off_topic(story_coach):
    """A walkthrough's good weakness answer told as a story read "closer to 'Tell me about a time you showed
    leadership'" and was capped at 1.5 off topic: a trait question's answers are compared with trait prompts only."""
    sample = ("My weakness is delegating. I used to keep tasks myself; now I hand off work with a clear brief and check in "
              "weekly, and my team delivered two projects early last quarter.")
    g = story_coach.grader.grade("What is your greatest weakness?",
                                 "Honestly, delegating. As a new team lead last year I kept the hardest tickets myself and "
                                 "worked late for weeks. My manager pointed it out, so I started handing work over with a "
                                 "written brief and a weekly check-in. Now my team ships more and I rarely work late.",
                                 reference=sample)
    assert g.verdict != "off_topic" and g.score > 1.5, g.steps  # not capped; its score is low (README: still missing)


def test_story_follow_ups_and_low_verdicts(story_coach):
    from coach.questions import DEEPER_FOLLOWUP, followup_for

    full = story_coach.grader.grade(Q, STORY, reference=STORY)
    assert not full.missing and followup_for(full).question == DEEPER_FOLLOWUP  # not a question it has answered
    empty = story_coach.grader.grade(Q, "   ", reference=STORY)
    assert empty.verdict == "no_attempt" and not empty.missing  # the sample's sentences are no gaps of one's story
    low = story_coach.grader.grade(Q, "Public speaking.", reference=STORY)
    assert low.score >= 2.0 or low.verdict in ("incorrect", "off_topic", "no_attempt")


PAGE = """# Behavioural questions

## Tell me about a time you failed.

Sample answer: As a project lead I underestimated a database migration and we missed the deadline by two weeks. I told
my manager at once, took responsibility and re-planned the work with daily check-ins. We finished with zero data loss,
and since then I add a buffer for unknowns to every estimate.

## What is your greatest weakness?

Sample answer: I used to struggle with delegating. As a team lead I now hand whole features to people and review them
weekly, and two engineers grew into senior roles.
"""


def test_a_story_follow_up_is_graded_as_the_story_told_again(built_home, tmp_path):
    """A story follow-up asks for a part of the candidate's own story; graded alone against the question, the
    walkthrough's "I would involve our manager earlier." was 0.0 "no attempt". It is graded as the story told again
    with the reply (a red flag the follow-up asks about gives way to it); "I don't know" is still no attempt."""
    import shutil

    from coach.config import load_settings
    from coach.questions import LOOKING_BACK, STORY_FOLLOWUPS
    from coach.service import Coach
    from coach.session.engine import SessionEngine

    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    (tmp_path / "prep.md").write_text(PAGE, encoding="utf-8")
    coach = Coach(load_settings(home=home, story_model="on"))
    coach.add_sources([tmp_path / "prep.md"])
    engine = SessionEngine(coach)

    def first_and_reply(answer, reply):
        turn = engine.start(topics=["behavioural"], length=2, seed=0)
        sid = turn.session_id
        if "failed" not in turn.question:
            turn = engine.skip(sid)
        assert turn.question == "Tell me about a time you failed."
        first = engine.answer(sid, answer)
        assert first.next is not None and first.next.kind == "followup", first.grade
        return first, engine.answer(sid, reply), first.next.question

    no_lesson = "Last year I missed a deadline on a client report because I planned it badly. We delivered it a week late."
    first, reply, asked = first_and_reply(no_lesson, "I would involve our manager earlier.")
    assert asked == STORY_FOLLOWUPS[REFLECTION] and REFLECTION in first.grade.missing
    assert reply.grade.verdict != "no_attempt" and REFLECTION in reply.grade.right, reply.grade
    assert reply.grade.score > first.grade.score
    assert any("your first answer, then this one" in n for n in reply.grade.notes)

    _, dunno, _ = first_and_reply(no_lesson, "I don't know.")
    assert dunno.grade.verdict == "no_attempt"

    flagged = ("Last year a release slipped. It was his fault, so I told the whole team at stand-up that his code broke "
               "the build, and he stopped arguing with me after that.")
    first, reply, asked = first_and_reply(flagged, "I would talk to him privately first and listen to his reasons, "
                                                   "because shaming him in public hurt the team's trust.")
    assert first.grade.wrong and LOOKING_BACK in asked
    assert not reply.grade.wrong and reply.grade.score > first.grade.score, reply.grade
    assert any("without the part the follow-up asked about" in n for n in reply.grade.notes)
    # typographic apostrophes and runs of spaces: the flagged sentence is still found (a review: it stayed and was
    # flagged again)
    curly = flagged.replace("It was his fault", "It wasn\u2019t my fault, it was his").replace(" at stand-up", "  at stand-up")
    first, reply, _ = first_and_reply(curly, "I'd talk to him privately first and listen to his reasons.")
    assert first.grade.wrong and not reply.grade.wrong, reply.grade
    assert any("without the part the follow-up asked about" in n and "Looking back" in n for n in reply.grade.notes)
    # a first answer near the length cut leaves room for the reply (a review: the reply was cut off, unread)
    long_story = flagged + " " + " ".join(f"On day {i} I checked the {i}th ledger line by hand." for i in range(1, 140))
    assert len(long_story) > 6000
    first, reply, _ = first_and_reply(long_story, "Since then I learned to talk to people privately first.")
    assert any("shortened to leave room" in n for n in reply.grade.notes), reply.grade.notes
    assert REFLECTION in reply.grade.right, reply.grade


def test_why_this_score_says_what_raised_and_lowered_it_in_words(story_coach):
    """"Why this score" listed the model's raw features ("q_sim 0.19, q_margin -0.25, ...", a walkthrough): it names
    the features that raised and lowered the score most, in words, with their share of it."""
    from coach.grading.story import FEATURE_WORDS, FEATURES

    for answer in (STORY, GENERIC):
        grade = story_coach.grader.grade(Q, answer, reference=STORY)
        why = next(s.explanation for s in grade.steps if s.name == "story")
        assert "raised most by" in why or "lowered most by" in why, why
        assert not re.search(r"\b(?:q_sim|q_margin|ref_sim|log_words|i_past|we_share|red_\w+) ", why), why  # no raw names
        assert not re.search(r"\b[a-z_]+ -?\d+\.\d\d\b", why), why  # nor "name 0.19" readings
        assert any(FEATURE_WORDS[f] in why for f in FEATURES)
    assert set(FEATURE_WORDS) == set(FEATURES)
