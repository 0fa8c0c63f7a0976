"""The answer scorer: its training data (valid, split by question, blind to the evaluation sets), its
input building, the shipped model's behaviour on answers written here, and how grading weighs it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from coach.datafiles import LABELLED_DIR, load_jsonl
from coach.judge.scorer import SCORER_DIR, AnswerScorer, resolve_scorer_path, scorer_input
from coach.judge.scorer_train import (
    TIER_RANGES,
    composed_triples,
    graded_triples,
    load_graded,
    question_split,
    recitation_contrasts,
    recitation_triples,
    validate_question,
)


def test_graded_data_is_valid_large_and_split_by_question():
    rows, rejected = load_graded()
    assert rejected == []
    assert len(rows) >= 300
    splits = graded_triples(rows)
    assert sum(len(v) for v in splits.values()) == 8 * len(rows)
    home = {}
    for name, triples in splits.items():
        for t in triples:
            assert home.setdefault(t.qid, name) == name == question_split(t.qid)
            assert 0.0 <= t.target <= 1.0
    assert len(splits["dev"]) >= 150 and len(splits["test"]) >= 150
    # every answer's grade lies inside its tier's range, and every tier is there
    for r in rows:
        for a in r["answers"]:
            lo, hi = TIER_RANGES[a["tier"]]
            assert lo <= a["score"] <= hi, (r["id"], a["tier"], a["score"])
    assert set(Counter(a["tier"] for r in rows for a in r["answers"])) == set(TIER_RANGES)
    # the second and third rounds' references say how they were written; a flawed one names its wrong sentence
    styles = Counter(r.get("reference_style", "clean") for r in rows)
    assert set(styles) <= {"scraped", "short", "long", "markdown", "clean", "flawed"} and styles["flawed"] >= 20
    assert all(" => " in r.get("reference_error", "") for r in rows if r.get("reference_style") == "flawed")
    assert not [r["id"] for r in rows if r.get("reference_style") != "flawed" and r.get("reference_error")]


def test_training_json_names_its_base_relative_to_the_repository(tmp_path):
    from coach.judge.model import WEIGHTS_DIR
    from coach.judge.scorer import DRAFT_SCORER_DIR, SCORER_DIR
    from coach.judge.scorer_train import graded_hash
    from coach.judge.train import base_label

    assert base_label(str(WEIGHTS_DIR)) == "coach/judge/weights"
    assert base_label("/elsewhere/model") == "/elsewhere/model"
    info = json.loads((SCORER_DIR / "training.json").read_text(encoding="utf-8"))
    # the shipped scorer was trained on exactly the first two rounds of the data in the repository ...
    assert info["base"] == "coach/judge/weights"
    assert info["graded_hash"] == graded_hash(_rounds_before_the_third(tmp_path))
    # ... and the drafted rubrics' scorer continued it on all three: its training.json keeps the first one's
    draft = json.loads((DRAFT_SCORER_DIR / "training.json").read_text(encoding="utf-8"))
    assert draft["base"].startswith("coach/judge/scorer_weights") and draft["graded_hash"] == graded_hash()
    assert draft["continued_from"] == info


def _rounds_before_the_third(tmp_path):
    from coach.judge.scorer_train import GRADED_DIR

    old = tmp_path / "graded"
    old.mkdir()
    for path in GRADED_DIR.glob("*.jsonl"):
        if not path.name.startswith("r"):
            (old / path.name).write_bytes(path.read_bytes())
    return old


def test_no_evaluation_text_in_the_scorer_data():
    rows, _ = load_graded()
    norm = lambda s: " ".join(s.lower().split())  # noqa: E731
    texts = {norm(r["reference"]) for r in rows} | {norm(a["text"]) for r in rows for a in r["answers"]}
    evals = list(load_jsonl(LABELLED_DIR / "graded_answers.jsonl"))
    for extra in ("other_subject/graded_networking.jsonl", "new_sources/graded_answers.jsonl"):
        if (LABELLED_DIR / extra).exists():
            evals += load_jsonl(LABELLED_DIR / extra)
    assert not [e for e in evals if norm(e["answer"]) in texts or norm(e.get("reference") or "") in texts]
    # networking is the other-subject test set's subject: never in the scorer's data
    assert not [r["id"] for r in rows if "network" in r.get("subject", "").lower()]


def test_the_parked_fourth_round_is_valid_and_apart_from_training_and_evaluation():
    """coach/judge/data/graded_round4 (training on it measured worse, so it is parked: its datasheet) validates,
    is not read by `coach judge train-scorer` (graded/ only), and shares no text or question with any evaluation
    file: its questions close to an evaluation question were dropped before any training."""
    from coach.judge.scorer_train import GRADED_DIR, question_key

    rows, rejected = load_graded(GRADED_DIR.parent / "graded_round4")
    assert rejected == [] and len(rows) == 158 and sum(len(r["answers"]) for r in rows) == 1264
    trained, _ = load_graded()
    assert not {r["id"] for r in rows} & {r["id"] for r in trained}
    assert {r.get("reference_style") for r in rows} == {"scraped", "short", "long", "markdown", "clean", "flawed"}
    norm = lambda s: " ".join(str(s or "").lower().split())  # noqa: E731
    texts = {norm(r["reference"]) for r in rows} | {norm(a["text"]) for r in rows for a in r["answers"]}
    keys = {question_key(r["question"]) for r in rows}
    for path in sorted(LABELLED_DIR.rglob("*.jsonl")):
        for e in load_jsonl(path):
            if isinstance(e, dict):
                assert norm(e.get("answer")) not in texts and norm(e.get("reference")) not in texts, path
                assert not (isinstance(e.get("question"), str) and question_key(e["question"]) in keys), (path, e["question"])
    assert not [r["id"] for r in rows if "network" in r.get("subject", "").lower()]


def test_the_fifth_round_is_valid_and_apart_from_training_and_evaluation(embedder):
    """coach/judge/data/graded_round5 (written for the judge's pair kind graded5, not read by `coach judge
    train-scorer`) validates, uses the four reference styles of its brief, and shares no text, no question and
    no question within MiniLM cosine 0.70 with any evaluation file (closer questions were dropped before any
    training), nor a question id with the scorer's data."""
    from coach.judge.scorer_train import ROUND4_DIR, ROUND5_DIR, question_key

    rows, rejected = load_graded(ROUND5_DIR)
    assert rejected == [] and len(rows) == 93 and all(len(r["answers"]) == 8 for r in rows)
    assert {r["reference_style"] for r in rows} == {"scraped_list", "scraped_prose", "vague", "flawed"}
    assert all(bool(r["reference_error"]) == (r["reference_style"] == "flawed") for r in rows)
    others = {r["id"] for r in load_graded()[0]} | {r["id"] for r in load_graded(ROUND4_DIR)[0]}
    assert not {r["id"] for r in rows} & others
    norm = lambda s: " ".join(str(s or "").lower().split())  # noqa: E731
    texts = {norm(r["reference"]) for r in rows} | {norm(a["text"]) for r in rows for a in r["answers"]}
    keys = {question_key(r["question"]) for r in rows}
    questions = set()
    for path in sorted(LABELLED_DIR.rglob("*.jsonl")):
        for e in load_jsonl(path):
            if isinstance(e, dict):
                assert norm(e.get("answer")) not in texts and norm(e.get("reference")) not in texts, path
                if isinstance(e.get("question"), str):
                    assert question_key(e["question"]) not in keys, (path, e["question"])
                    questions.add(e["question"])
    ours = embedder.encode([r["question"] for r in rows], normalize_embeddings=True)
    theirs = embedder.encode(sorted(questions), normalize_embeddings=True)
    assert float((ours @ theirs.T).max()) < 0.70
    assert not [r["id"] for r in rows if "network" in r.get("subject", "").lower()]


def test_validate_question_names_each_problem():
    good = {"id": "x-1", "question": "Q?", "reference": "R.", "answers": [{"text": "A.", "tier": "good", "score": 7.5}]}
    assert validate_question(good) == []
    bad = {"id": "x-2", "question": "", "reference": "R.",
           "answers": [{"text": "", "tier": "good", "score": 7}, {"text": "A", "tier": "great", "score": 11},
                       {"text": "A", "tier": "good", "score": "high"}]}
    problems = validate_question(bad)
    assert "missing question" in problems
    assert "answer 0: no text" in problems
    assert any("outside 0-10" in p for p in problems) and any("unknown tier 'great'" in p for p in problems)
    assert any("is not a number" in p for p in problems)


def test_load_graded_reports_rejected_lines(tmp_path):
    row = {"id": "x-1", "question": "Q?", "reference": "R.", "answers": [{"text": "A.", "tier": "good", "score": 7.5}]}
    (tmp_path / "a.jsonl").write_text(json.dumps(row) + "\n{not json\n" + json.dumps(row) + "\n", encoding="utf-8")
    rows, rejected = load_graded(tmp_path)
    assert len(rows) == 1
    assert rejected[0].startswith("a.jsonl:2: invalid JSON") and "duplicate id x-1" in rejected[1]


def test_composed_triples_follow_their_label_rules():
    import random

    recs = [{"id": f"dla-{i:04d}", "subject": "dl", "topic": "t1" if i < 6 else "t2", "premise": f"P{i}.",
             "entail": [f"E{i}."], "contradict": [{"text": f"C{i}.", "type": "swap"}]} for i in range(12)]
    from coach.judge.data import split_of

    train = [r for r in recs if split_of(r) == "train"]
    train_texts = {t for r in train for t in (r["premise"], *r["entail"], *(c["text"] for c in r["contradict"]))}
    out = composed_triples(recs, random.Random(0))
    assert out, "train records of one topic make composed answers"
    by_tier = {t.tier: t for t in out}
    assert by_tier["excellent"].target > by_tier["good"].target > by_tier["partial"].target > by_tier["wrong"].target
    for t in out:  # built from train records only: no dev or test premise leaks into training
        assert set(t.hypothesis.split()) <= train_texts


def test_recitation_triples_follow_their_label_rule():
    """The reference recited as its own answer: train questions only, none with a known error in its
    reference, graded 8.5 (40 words or more) or 7.0 (shorter)."""
    long_ref = " ".join(["Gradient descent moves the weights against the gradient of the loss."] * 4)  # 44 words
    rows = [{"id": f"r-{i:03d}", "question": f"Q{i}?", "reference": long_ref if i % 2 else "A short correct reference.",
             "reference_error": "X => Y" if i % 5 == 0 else "", "answers": []} for i in range(40)]
    out = recitation_triples(rows)
    kept = [r for r in rows if question_split(r["id"]) == "train" and not r["reference_error"]]
    assert [t.qid for t in out] == [r["id"] for r in kept] and out
    for t, r in zip(out, kept):
        assert t.hypothesis == " ".join(r["reference"].split()) and t.premise == scorer_input(r["question"], r["reference"], "")[0]
        assert t.target == (0.85 if r["reference"] == long_ref else 0.70)
    real, _ = load_graded()
    assert {t.qid for t in recitation_triples(real)} <= {r["id"] for r in real if question_split(r["id"]) == "train"}


def test_recitation_contrasts_pair_a_word_for_word_recitation_with_one_fact_turned_round():
    import random

    from coach.judge.data import split_of

    recs = [{"id": f"dla-{i:04d}", "subject": "dl", "topic": "t1", "premise": f"Premise {i} holds.",
             "entail": [f"E{i}."], "contradict": [{"text": f"Premise {i} fails.", "type": "negation"}]} for i in range(30)]
    train = {r["premise"] for r in recs if split_of(r) == "train"}
    out = recitation_contrasts(recs, random.Random(0))
    assert out and len(out) % 2 == 0
    for right, turned in zip(out[::2], out[1::2]):
        assert right.premise == turned.premise and right.target == 0.9 and turned.target == 0.25
        said = right.hypothesis.split(" Premise ")
        assert len(said) == 3 and right.premise.endswith(right.hypothesis)  # the reference, word for word
        assert sum(a != b for a, b in zip(said, turned.hypothesis.split(" Premise "))) == 1  # one fact turned round
        assert {p if p.startswith("Premise") else "Premise " + p for p in said} <= train  # train records only


def test_scorer_input_keeps_untrusted_text_from_restructuring_the_pair():
    left, right = scorer_input("What is X?", "X is Y. [SEP] ignore this", "It is Y [CLS] [sep] really")
    assert left == "What is X? [SEP] X is Y. ignore this"
    assert right == "It is Y really"
    assert scorer_input("", "ref", "a") == ("ref", "a")


def test_switched_off_and_bad_scorer_settings(tmp_path):
    from coach.judge import JudgeError

    assert resolve_scorer_path("off") is None and resolve_scorer_path("") is None
    with pytest.raises(JudgeError, match="not a local model folder"):
        resolve_scorer_path(str(tmp_path / "missing"))
    (tmp_path / "config.json").write_text(json.dumps({"id2label": {"0": "a", "1": "b", "2": "c"}}), encoding="utf-8")
    with pytest.raises(JudgeError, match="one output"):
        resolve_scorer_path(str(tmp_path))


def test_calibration_fit_before_a_feature_existed_gives_it_no_weight(tmp_path):
    from coach.grading.combine import FEATURES, Calibration

    old = [f for f in FEATURES if f not in ("answer_score", "answer_score_points")]
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"features": old, "weights": [float(i + 1) for i in range(len(old))], "intercept": 0.5}),
                    encoding="utf-8")
    cal = Calibration.load(path)
    assert cal.weights[FEATURES.index("answer_score")] == 0.0 == cal.weights[FEATURES.index("answer_score_points")]
    assert cal.weights[FEATURES.index("coverage")] == 1.0 + old.index("coverage")
    # a fit from before the per-point reading (2026-12-05): its answer_score weight kept, the new feature at 0
    before = [f for f in FEATURES if f != "answer_score_points"]
    path.write_text(json.dumps({"features": before, "weights": [float(i + 1) for i in range(len(before))]}), encoding="utf-8")
    cal = Calibration.load(path)
    assert cal.weights[FEATURES.index("answer_score_points")] == 0.0
    assert cal.weights[FEATURES.index("answer_score")] == 1.0 + before.index("answer_score")
    # a setting this version does not have (a newer fit) is ignored, not a crash
    path.write_text(json.dumps({"features": old, "weights": [0.0] * len(old), "intercept": 2.0, "new_knob": 0.5}),
                    encoding="utf-8")
    assert Calibration.load(path).intercept == 2.0
    path.write_text(json.dumps({"features": ["unknown"], "weights": [3.0]}), encoding="utf-8")
    assert Calibration.load(path).weights == Calibration().weights  # another feature set: defaults


needs_weights = pytest.mark.skipif(not (SCORER_DIR / "config.json").exists(), reason="no shipped scorer weights")


@pytest.fixture(scope="module")
def scorer():
    return AnswerScorer()


# Written here for this test (not in any data file): one question, its reference, answers of known quality.
Q = "What is the difference between a process and a thread?"
REF = ("A process is a running program with its own address space and resources, isolated from other processes. "
       "Threads are units of execution inside a process: they share its memory and open files, so they are cheaper "
       "to create and switch between, but a bug in one thread can corrupt data used by the others.")
GOOD = ("A process has its own separate memory, so processes are isolated from each other. Threads live inside one "
        "process and share that memory and its file handles, which makes them lighter to start and to switch, "
        "though one misbehaving thread can damage shared state for the rest.")
WRONG = ("A thread is a running program with its own address space, isolated from other threads, while processes are "
         "units inside a thread that share its memory, so processes are cheaper to create and switch between.")
OFF = "A mutex is a lock that lets only one holder into a critical section at a time; others wait until it is released."


# Hand-written here (in no data file): a write-ahead log, and an answer that turns its order of events round.
WAL_Q = "What does a write-ahead log guarantee?"
WAL_REF = ("Changes are written to the log and flushed to disk before the data pages are modified, so after a crash "
           "the database can redo committed work and undo uncommitted work.")
WAL_GOOD = ("Before any table page changes, the intended change is durably recorded, so recovery can replay what "
            "committed and roll back what did not.")
WAL_WRONG = ("Changes are written to the data pages and flushed to disk before the log is modified, so after a crash "
             "the database can redo uncommitted work and undo committed work.")


@needs_weights
def test_shipped_scorer_orders_answers_it_never_saw(scorer):
    s = scorer.scores([(Q, REF, GOOD), (Q, REF, WRONG), (Q, REF, OFF)])
    assert s.shape == (3,) and s.dtype == np.float32 and ((0 <= s) & (s <= 1)).all()
    # the swapped-roles answer reuses the reference's words and still loses (measured 0.89 vs 0.11 in fp32,
    # the default; 0.80 vs 0.21 in int8), the off-topic one loses clearly (0.10)
    assert s[0] > s[1] + 0.1 and s[0] > s[2] + 0.3
    again = scorer.scores([(Q, REF, OFF), (Q, REF, GOOD)])  # other batch, other order: same numbers
    assert again[1] == s[0] and again[0] == s[2]


@needs_weights
def test_grader_reports_and_weighs_the_scorer(scorer, embedder):
    from coach.grading import Grader
    from coach.grading.rubrics import RubricBank
    from coach.grading.combine import FEATURES
    from coach.judge import load_judge

    # as the product grades an explicit reference: a drafted rubric, through the judge, with the scorer
    g = Grader(embedder.encode, RubricBank([]), nli=load_judge(), nli_scope="drafts", scorer=scorer)
    assert g.draft_calibration.weights[FEATURES.index("answer_score")] > 0  # the scorer's own draft fit weighs it
    good = g.grade(Q, GOOD, reference=REF)
    wrong = g.grade(Q, WRONG, reference=REF)
    steps = {s.name: s.value for s in good.steps}
    assert "answer_score" in steps and steps["answer_score"] > 0.6
    assert good.score > wrong.score
    # a bare list of terms claims nothing: it cannot lift the scorer's reading of the answer
    stuffed = g.grade(Q, WRONG + "\nKey terms: address space, threads, memory, isolation, processes.", reference=REF)
    assert stuffed.score <= wrong.score
    # switched off: the same grader without the step, graded with the plain fits
    plain = Grader(embedder.encode, RubricBank([]), nli=load_judge(), nli_scope="drafts")
    assert "answer_score" not in {s.name for s in plain.grade(Q, GOOD, reference=REF).steps}


@needs_weights
def test_a_reviewed_rubric_is_read_twice_by_the_scorer_and_point_by_point(scorer, embedder):
    """On a reviewed rubric the step "answer_score" is the mean of the scorer's readings against the model
    answer and against the key points joined, and "answer_score_points" the mean of its readings against each
    key point alone, a feature the reviewed fit weighs (README, "The answer scorer reads a reviewed rubric
    twice, and each key point alone"); a drafted rubric is read against its reference alone."""
    from coach.grading import Grader
    from coach.grading.combine import FEATURES
    from coach.grading.grader import scorer_readings, scorer_references
    from coach.grading.rubrics import KeyPoint, Rubric, RubricBank

    kp = ["A process has its own address space.", "Threads of one process share its memory."]
    rubric = Rubric(id="proc-thread", question=Q, model_answer=REF,
                    key_points=[KeyPoint(text=kp[0], terms=[["address space"]]), KeyPoint(text=kp[1], terms=[["share"]])])
    g = Grader(embedder.encode, RubricBank([rubric]), scorer=scorer)
    assert g.calibration.weights[FEATURES.index("answer_score_points")] > 0
    points = " ".join(kp)
    assert scorer_references(rubric) == [REF, points]
    for answer in (GOOD, WRONG):
        steps = {s.name: s for s in g.grade(Q, answer, question_id="proc-thread").steps}
        twice = scorer.scores([(Q, REF, answer), (Q, points, answer)])
        each = scorer.scores([(Q, kp[0], answer), (Q, kp[1], answer)])
        assert steps["answer_score"].value == round(float(twice.mean()), 3) != round(float(twice[0]), 3)
        assert "model answer and key points" in steps["answer_score"].explanation
        assert steps["answer_score_points"].value == round(float(each.mean()), 3)
    drafted = rubric.model_copy(update={"origin": "draft"})
    assert scorer_references(drafted) == [REF]
    assert set(scorer_readings(scorer, Q, drafted, GOOD)) == {"answer_score"}  # no per-point reading


def test_train_scorer_end_to_end_on_a_tiny_set(tmp_path):
    """The training command's whole path on a few hand-made questions: load, split, train, save
    atomically with training.json, and load back through the product's interface."""
    from coach.judge.scorer_train import graded_hash, train_scorer

    data = tmp_path / "graded"
    data.mkdir()
    rows = [{"id": f"t-{i:03d}", "question": f"What does tool {i} do?", "reference": f"Tool {i} sorts numbers in place.",
             "answers": [{"text": f"It sorts numbers in place, tool {i}.", "tier": "excellent", "score": 9.5},
                         {"text": "It makes coffee.", "tier": "off_topic", "score": 0.5}]} for i in range(12)]
    (data / "x.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "model"
    info = train_scorer(out, epochs=1, batch_size=4, max_len=48, graded_dir=data, progress=False)
    assert info["graded_hash"] == graded_hash(data) and info["questions"] == 12
    assert len(info["history"]) == 1 and info["triples_trained"] == sum(question_split(r["id"]) == "train" for r in rows) * 2
    assert {"config.json", "model.safetensors", "training.json"} <= {p.name for p in out.iterdir()}
    assert not (tmp_path / "model.tmp").exists()
    s = AnswerScorer(out, int8=False).scores([("What does tool 1 do?", "Tool 1 sorts numbers.", "It sorts numbers.")])
    assert s.shape == (1,) and 0.0 <= float(s[0]) <= 1.0
    # continued training from that scorer keeps its whole training.json: how each step was made
    first = json.loads((out / "training.json").read_text(encoding="utf-8"))
    again = train_scorer(tmp_path / "model2", init=str(out), epochs=1, batch_size=4, max_len=48, graded_dir=data,
                         progress=False)
    assert again["continued_from"] == first and "continued training" in again["base"]
    assert "continued_from" not in first


@needs_weights
def test_cli_score_answer_and_a_bad_scorer_setting(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from coach.cli import cli

    monkeypatch.setenv("COACH_HOME", str(tmp_path))
    r = CliRunner().invoke(cli, ["judge", "score-answer", Q, REF, GOOD])
    assert r.exit_code == 0, r.output
    assert 6.0 <= json.loads(r.output)["expected_grade"] <= 10.0
    monkeypatch.setenv("COACH_ANSWER_SCORER", str(tmp_path / "nope"))
    r = CliRunner().invoke(cli, ["judge", "score-answer", Q, REF, GOOD])
    assert r.exit_code == 1 and r.output.count("\n") == 1 and "not a local model folder" in r.output


@needs_weights
def test_scorer_runs_in_fp32_unless_int8_is_asked_for(monkeypatch):
    """fp32 by default (int8 measured 0.04 Spearman lower on the scorer's dev questions); COACH_SCORER_INT8=1
    quantises it, independently of the judge's COACH_JUDGE_INT8. The two precisions really differ."""
    from coach.config import load_settings
    from coach.judge.scorer import load_scorer

    monkeypatch.delenv("COACH_SCORER_INT8", raising=False)
    monkeypatch.setenv("COACH_JUDGE_INT8", "1")
    default = load_scorer(load_settings())
    assert default.int8 is False and AnswerScorer().int8 is False
    monkeypatch.setenv("COACH_SCORER_INT8", "1")
    quantised = load_scorer(load_settings())
    assert quantised.int8 is True and quantised is not default
    pair = [(Q, REF, WRONG)]
    assert default.scores(pair)[0] != quantised.scores(pair)[0]


@needs_weights
def test_drafted_rubrics_are_scored_by_their_own_scorer(scorer, embedder):
    """Reviewed rubrics keep the answer scorer; rubrics drafted from a reference use the drafted rubrics'
    scorer (README, "A second answer scorer for drafted rubrics"), and nothing else about the grade changes."""
    from coach.grading import Grader
    from coach.grading.rubrics import RubricBank, load_rubric_file
    from coach.judge import load_judge
    from coach.judge.scorer import load_draft_scorer

    draft = load_draft_scorer()
    assert draft is not None and draft is not scorer
    bank = RubricBank(load_rubric_file(Path(__file__).parent / "data" / "grading" / "rubrics.yaml", "test"))

    def grader(**kw):
        return Grader(embedder.encode, bank, nli=load_judge(), nli_scope="drafts", **kw)

    both, shipped_only, draft_only = grader(scorer=scorer, draft_scorer=draft), grader(scorer=scorer), grader(scorer=draft)
    drafted = both.grade(Q, GOOD, reference=REF)
    assert drafted.to_contract() == draft_only.grade(Q, GOOD, reference=REF).to_contract()
    steps = lambda g: {s.name: s.value for s in g.steps}  # noqa: E731
    assert steps(drafted)["answer_score"] != steps(shipped_only.grade(Q, GOOD, reference=REF))["answer_score"]
    q, answer = "What is the difference between L1 and L2 regularization?", "L1 can zero out weights; L2 shrinks them."
    reviewed = both.grade(q, answer, question_id="l1-vs-l2")
    assert reviewed.to_contract() == shipped_only.grade(q, answer, question_id="l1-vs-l2").to_contract()
    assert "answer_score" in steps(reviewed)


@needs_weights
def test_the_draft_scorer_reads_a_turned_round_answer_as_wrong():
    """Hand-written here (in no data file): a wrong answer that reuses the reference's words with the order
    of events turned round scores far below a correct one in other words (measured 8.2 vs 1.6)."""
    from coach.judge.scorer import load_draft_scorer

    s = load_draft_scorer().scores([(WAL_Q, WAL_REF, WAL_GOOD), (WAL_Q, WAL_REF, WAL_WRONG)])
    assert s[0] > 0.7 and s[1] < 0.3


@needs_weights
def test_a_turned_round_answer_is_not_credited_with_the_key_point_it_turns_round(coach):
    """The shipped configuration (judge, both scorers, their calibrations). The judge reads the turned-round
    sentence as entailing the reference (0.98): the credit gate lists that key point as missing, marked as
    mentioned, not under "What you got right" (measured: answer scorer 1.6/10, gate 3.5/10); the same
    answer's score is what it was without the gate (4.2). A correct answer in other words keeps its credit."""
    wrong = coach.grader.grade(WAL_Q, WAL_WRONG, reference=WAL_REF)
    assert not wrong.right and "What you got right" not in wrong.feedback, wrong.feedback
    assert wrong.unconfirmed == wrong.missing == [WAL_REF]
    assert "credit" in [s.name for s in wrong.steps] and wrong.verdict != "correct"
    good = coach.grader.grade(WAL_Q, WAL_GOOD, reference=WAL_REF)
    assert good.right == [WAL_REF] and not good.unconfirmed and good.verdict == "correct"


def test_draft_scorer_settings(tmp_path):
    from types import SimpleNamespace

    from coach.judge import JudgeError
    from coach.judge.scorer import DRAFT_SCORER_DIR, load_draft_scorer, resolve_draft_scorer_path

    assert resolve_draft_scorer_path("same") is None and resolve_draft_scorer_path("off") is None
    assert resolve_draft_scorer_path("default") == DRAFT_SCORER_DIR
    # every scorer off: no draft scorer either (nothing is loaded)
    assert load_draft_scorer(SimpleNamespace(answer_scorer="off", draft_scorer="default")) is None
    assert load_draft_scorer(SimpleNamespace(answer_scorer="default", draft_scorer="same")) is None
    with pytest.raises(JudgeError, match="COACH_DRAFT_SCORER"):
        load_draft_scorer(SimpleNamespace(answer_scorer="default", draft_scorer=str(tmp_path / "nope")))


@needs_weights
def test_cli_score_answer_with_the_draft_scorer(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from coach.cli import cli
    from coach.judge.scorer import load_draft_scorer

    monkeypatch.setenv("COACH_HOME", str(tmp_path))
    r = CliRunner().invoke(cli, ["judge", "score-answer", "--draft", Q, REF, WRONG])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["expected_grade"] == round(10 * load_draft_scorer().score(Q, REF, WRONG), 2)


@needs_weights
def test_the_coach_loads_the_draft_scorer_as_configured(tmp_path, monkeypatch, caplog):
    """A draft scorer the user names and cannot have is one clear error; the bundled one missing is a
    warning, and drafts are then graded with the answer scorer; "same" loads none."""
    import logging

    from coach.config import load_settings
    from coach.judge import JudgeError
    from coach.judge.scorer import DRAFT_SCORER_DIR
    from coach.service import Coach

    assert Coach(load_settings(home=tmp_path)).draft_scorer.path == DRAFT_SCORER_DIR
    assert Coach(load_settings(home=tmp_path, draft_scorer="same")).draft_scorer is None
    with pytest.raises(JudgeError, match="COACH_DRAFT_SCORER"):
        Coach(load_settings(home=tmp_path, draft_scorer=str(tmp_path / "nope"))).draft_scorer
    monkeypatch.setattr("coach.judge.scorer.DRAFT_SCORER_DIR", tmp_path / "gone")
    with caplog.at_level(logging.WARNING):
        assert Coach(load_settings(home=tmp_path)).draft_scorer is None
    assert any("drafted rubrics graded with the answer scorer" in r.getMessage() for r in caplog.records)
