"""The labelled data sets in evals/data stay valid: sizes, splits, and exact links into the sources.

If a bundled source or a data file is edited, these catch the drift (a quote no longer on its lines,
a question id that no longer points at its question, a split that leaks across a question).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest

from evals.base import DATA_DIR, load_jsonl


@pytest.fixture(scope="module")
def lines(bundled_dir):
    return {p.name: p.read_text(encoding="utf-8").splitlines() for p in bundled_dir.iterdir() if p.suffix == ".txt"}


def _span(lines, row):
    return "\n".join(lines[row["source"]][row["line_start"] - 1 : row["line_end"]])


def test_graded_answers_sizes_tiers_and_splits(lines):
    rows = load_jsonl(DATA_DIR / "graded_answers.jsonl")
    assert len(rows) >= 250 and len({r["id"] for r in rows}) == len(rows)
    questions = {r["question_id"] for r in rows}
    assert len(questions) >= 50
    ranges = {"excellent": (9, 10), "good": (7, 8.5), "partial": (3.5, 6.5), "wrong": (0, 3), "off_topic": (0, 1)}
    for r in rows:
        lo, hi = ranges[r["tier"]]
        assert lo <= r["score"] <= hi, r["id"]
        source, line = r["question_id"].rsplit(":", 1)
        assert source in lines, r["id"]
    split_of = defaultdict(set)
    for r in rows:
        split_of[r["question_id"]].add(r["split"])
    assert all(len(s) == 1 for s in split_of.values()), "a question's answers span both splits"
    wrong_sources = {r["question_id"] for r in rows if r["source_wrong"]}
    assert len(wrong_sources) >= 10
    assert {r["split"] for r in rows if r["source_wrong"]} == {"dev", "test"}
    styles = Counter(s for r in rows for s in r["styles"])
    for style, minimum in {"reuses_reference_words": 40, "concept_swap": 30, "paraphrase": 40, "injection": 10}.items():
        assert styles[style] >= minimum, style


def test_graded_question_ids_point_at_their_question(lines):
    import re

    def norm(t):
        return re.sub(r"[^a-z0-9]+", " ", t.lower()).strip()

    for r in load_jsonl(DATA_DIR / "graded_answers.jsonl"):
        source, line = r["question_id"].rsplit(":", 1)
        assert norm(r["question"])[:40] in norm(lines[source][int(line) - 1]), r["id"]


def test_source_error_key_quotes_are_exact(lines):
    errors = load_jsonl(DATA_DIR / "source_errors.jsonl")
    claims = load_jsonl(DATA_DIR / "correct_claims.jsonl")
    assert len(errors) >= 40 and len(claims) >= 30
    for row in errors + claims:
        assert row["quote"] in _span(lines, row), row["id"]
    assert {e["split"] for e in errors} == {"dev", "test"}
    assert sum(e["severity"] == "major" for e in errors if e["split"] == "test") >= 10


def test_retrieval_queries_have_valid_gold(lines):
    rows = load_jsonl(DATA_DIR / "retrieval_queries.jsonl")
    assert len(rows) >= 150
    for r in rows:
        assert r["gold"] and r["split"] in {"dev", "test"}
        for gid in r["gold"]:
            source, line = gid.rsplit(":", 1)
            assert source in lines and 1 <= int(line) <= len(lines[source]), (r["id"], gid)


@pytest.mark.parametrize("folder, split, min_errors", [("audit_dev", "dev", 60), ("new_sources", "test", 60)])
def test_document_set_audit_keys_are_exact_and_one_split(folder, split, min_errors):
    """Each key row's quote sits verbatim on its stated line of its document; the sets are one split
    each (the dev set is tuned on, the new-source set never is)."""
    d = DATA_DIR / folder
    errors, correct = load_jsonl(d / "audit_key.jsonl"), load_jsonl(d / "correct_claims.jsonl")
    assert len(errors) >= min_errors and len(correct) >= min_errors
    texts = {}
    for row in errors + correct:
        assert row["split"] == split, row["id"]
        name = row["source"]
        path = d / (name.replace(".pdf", ".source.txt") if name.endswith(".pdf") else name)
        lines = texts.setdefault(name, path.read_text(encoding="utf-8").splitlines())
        assert row["quote"] in "\n".join(lines[row["line_start"] - 1 : row["line_end"]]), row["id"]
    assert len({e["kind"] for e in errors}) >= 5
    assert len({r["source"] for r in errors}) >= 4


def test_audit_match_needs_the_same_sentence_on_a_shared_line():
    """A scraped paragraph is one line: a flag on its correct sentence is not a hit on its wrong one."""
    from evals.audit import AuditEvaluator

    row = {"source": "a.md", "line_start": 3, "line_end": 3, "split": "dev"}
    error = {**row, "id": "e", "quote": "DFS finds the shortest path in an unweighted graph.", "severity": "major"}
    fine = {**row, "id": "c", "quote": "BFS explores the graph level by level from the start vertex."}
    on_fine = [{**row, "quote": fine["quote"], "check": "trusted"}]
    on_error = [{**row, "quote": "DFS finds the shortest path in an unweighted graph", "check": "trusted"}]
    m = AuditEvaluator(on_fine, [error], [fine])(split="dev").metrics
    assert m["recall"] == 0.0 and m["false_positive_rate"] == 1.0 and m["precision"] == 0.0
    m = AuditEvaluator(on_error, [error], [fine])(split="dev").metrics
    assert m["recall"] == 1.0 and m["false_positive_rate"] == 0.0 and m["precision"] == 1.0
    block = [{**row, "line_end": 5, "quote": "def f(:", "check": "code"}]  # a block: the span decides
    assert AuditEvaluator(block, [error], [])(split="dev").metrics["recall"] == 1.0


def test_evaluation_questions_stay_out_of_the_answer_scorers_training():
    """No question of the bundled or other-subject sets is among the answer scorer's training questions,
    and the new-source set keeps the 9 shared questions found on 2026-12-01 and no more (its figures are
    also reported without them: ``unseen_questions_*`` in `coach eval grading` and `coach eval scorer`)."""
    from coach.judge.scorer_train import question_key, trained_questions

    trained = trained_questions()
    assert len(trained) > 400 and question_key("What is  a MUTEX?") == "what is a mutex"
    shared = {}
    for name in ("graded_answers.jsonl", "other_subject/graded_networking.jsonl", "new_sources/graded_answers.jsonl",
                 "behavioural/graded_behavioural.jsonl"):
        shared[name] = {question_key(r["question"]) for r in load_jsonl(DATA_DIR / name)} & trained
    assert not shared["graded_answers.jsonl"] and not shared["other_subject/graded_networking.jsonl"], shared
    assert not shared["behavioural/graded_behavioural.jsonl"], shared
    assert len(shared["new_sources/graded_answers.jsonl"]) == 9, shared


def test_the_blind_credit_check_is_complete_and_balanced():
    """evals/data/credit_check: 60 shown and 60 hidden credits, each with one blind label (its datasheet)."""
    from evals.credit_check import LABELLED, LABELS, summary

    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    assert len({r["item"] for r in rows}) == len(rows) == 120
    assert all(r["label"] in LABELS and r["credit"] in ("shown", "hidden") and r["key_point"] and r["answer"] for r in rows)
    s = summary(rows)
    assert s["shown"]["n"] == s["hidden"]["n"] == 60
    assert s["hidden"]["stated"] < s["shown"]["stated"]  # what the gate hides is mostly not stated correctly


def test_the_followup_sets_are_complete_and_apart():
    """evals/tuning/followups (dev, tuning data) and evals/data/followups (test-only): five graded answers per item, one of
    each tier, to follow-ups on bundled questions; the dev items come from the graded set's dev questions and the test
    items from its test questions, so no question is in both (experiment 77; datasheet evals/data/followups/README.md)."""
    from evals.followups import TIERS, load

    split_of = {r["question"]: r["split"] for r in load_jsonl(DATA_DIR / "graded_answers.jsonl")}
    for split, items in (("dev", 54), ("test", 41)):
        rows = load(split)
        assert len(rows) == 5 * items and len({r["item"] for r in rows}) == items
        assert all(sorted(r["tier"] for r in rows if r["item"] == i) == sorted(TIERS) for i in {r["item"] for r in rows})
        assert all(0 <= r["score"] <= 10 and r["answer"].strip() and r["target"].strip() for r in rows)
        assert {split_of[r["question"]] for r in rows} == {split}


@pytest.mark.parametrize("path, n, questions, split", [
    ("behavioural/graded_behavioural.jsonl", 96, 12, "test"),
    ("behavioural_2/graded_behavioural_2.jsonl", 96, 12, "test"),
    ("behavioural_3/graded_behavioural_3.jsonl", 96, 12, "test"),
    ("behavioural_4/graded_behavioural_4.jsonl", 96, 12, "test"),
    ("behavioural_5/graded_behavioural_5.jsonl", 96, 12, "test"),
    ("behavioural_6/graded_behavioural_6.jsonl", 96, 12, "test"),
    ("behavioural_7/graded_behavioural_7.jsonl", 96, 12, "test"),
    ("behavioural_dev/graded_behavioural_dev_a.jsonl", 90, 10, "dev"),
    ("behavioural_dev/graded_behavioural_dev_b.jsonl", 90, 10, "dev"),
    ("behavioural_dev/graded_behavioural_dev_c.jsonl", 90, 10, "dev"),
])
def test_the_behavioural_sets_are_complete(path, n, questions, split):
    """Blind helpers' behavioural sets (datasheets beside them): graded answers to behavioural questions, one sample
    story per question as the reference; the test sets test-only, the dev sets what the story model is fit on. No
    question is shared between a dev set and a test set."""
    rows = load_jsonl(DATA_DIR / path)
    assert len(rows) == n and len({r["id"] for r in rows}) == n
    by_q = {}
    for r in rows:
        by_q.setdefault(r["question_id"], set()).add(r["reference"])
        assert r["split"] == split and 0 <= r["score"] <= 10 and r["answer"].strip()
        assert r["tier"] in {"excellent", "good", "partial", "wrong", "off_topic", "no_attempt"}
    assert len(by_q) == questions and all(len(refs) == 1 for refs in by_q.values())
    if split == "dev" or path.startswith(("behavioural/", "behavioural_2/", "behavioural_4/")):
        # the story model's training data (`coach judge train-story`: the dev sets, sets 1-2 since experiment 45 and set
        # 4 since experiment 46) shares nothing with the later sets (set 3 and the decision sets 5, 6 and 7)
        tests = [r for p in ("behavioural_3", "behavioural_5", "behavioural_6", "behavioural_7")
                 for f in (DATA_DIR / p).glob("*.jsonl") for r in load_jsonl(f)]
        assert not {r["question"] for r in rows} & {r["question"] for r in tests}
        assert not {r["answer"] for r in rows} & {r["answer"] for r in tests}


def test_the_recital_set_is_complete_and_balanced():
    """evals/data/new_sources/recital_answers.jsonl (datasheet README_recital.md): 4 answers on each of 16 questions of
    the new-source documents, right and wrong in the source's own words; 3 of its questions are among the answer
    scorer's training questions (reported apart by ``evals.recital``) and no more."""
    from collections import Counter

    from coach.judge.scorer_train import question_key, trained_questions
    from evals.new_sources import documents
    from evals.recital import RECITAL

    rows = load_jsonl(RECITAL)
    assert len(rows) == 64 and len({r["id"] for r in rows}) == 64
    kinds = {"verbatim", "near_recital", "partial_recital", "recital_one_fact_wrong"}
    assert all(set(r) >= {"id", "source", "question", "answer", "score", "tier", "kind", "rationale"} for r in rows)
    assert all(r["kind"] in kinds and r["tier"] in {"excellent", "good", "partial", "wrong"} for r in rows)
    per_question = Counter(r["question"] for r in rows)
    assert len(per_question) == 16 and set(per_question.values()) == {4}
    assert {r["source"] for r in rows} <= {d.name for d in documents()}
    wrong = [r for r in rows if r["kind"] == "recital_one_fact_wrong"]
    assert len(wrong) == 16 and all(r["score"] <= 5 for r in wrong)
    assert len({question_key(r["question"]) for r in rows} & trained_questions()) == 3


def test_the_recital_dev_set_is_complete_and_apart_from_the_test_set():
    """evals/data/recital_dev (datasheet README_recital_dev.md, tuning data): 4 answers of the recital kinds on each of
    20 questions of its four documents, none of them a question or an answer of the recital test set."""
    from collections import Counter

    from evals.new_sources import recital_dev_documents
    from evals.recital import RECITAL, RECITAL_DEV

    rows = load_jsonl(RECITAL_DEV)
    assert len(rows) == 80 and len({r["id"] for r in rows}) == 80
    assert {r["kind"] for r in rows} == {"verbatim", "near_recital", "partial_recital", "recital_one_fact_wrong"}
    per_question = Counter(r["question"] for r in rows)
    assert len(per_question) == 20 and set(per_question.values()) == {4}
    assert {r["source"] for r in rows} == {d.name for d in recital_dev_documents()} == {
        "k8s.html", "git.md", "websec.html", "dataeng.html"}
    test = load_jsonl(RECITAL)
    assert not {r["question"] for r in rows} & {r["question"] for r in test}
    assert not {r["answer"] for r in rows} & {r["answer"] for r in test}
    assert all(r["score"] <= 5 for r in rows if r["kind"] == "recital_one_fact_wrong")


def test_the_java_recital_check_set_is_complete():
    """evals/data/recital_java (README_recital_java.md): 4 answers of the recital kinds on each of 10 questions of its page."""
    from collections import Counter

    from evals.new_sources import RECITAL_JAVA_DIR, recital_dev_documents
    from evals.recital import RECITAL_JAVA

    rows = load_jsonl(RECITAL_JAVA)
    assert len(rows) == 40 and len({r["id"] for r in rows}) == 40
    assert set(Counter(r["question"] for r in rows).values()) == {4} and len({r["question"] for r in rows}) == 10
    assert [d.name for d in recital_dev_documents(RECITAL_JAVA_DIR)] == ["java_oop.html"]
    assert {r["source"] for r in rows} == {"java_oop.html"}


def test_the_cross_writer_pairs_are_complete_and_their_premises_are_bundled_statements():
    """Each pair reads a bundled statement (a judge premise or a reference-only trusted statement) against another
    writer's correct statement of the same fact or one of its two wrong versions."""
    from coach.audit.trusted import bundled_rows

    rows = load_jsonl(DATA_DIR / "cross_writer" / "cross_writer_pairs.jsonl")
    assert len(rows) >= 1500 and len({r["id"] for r in rows}) == len(rows)
    by_fact = defaultdict(list)
    for r in rows:
        by_fact[r["fact"]].append(r)
    assert all(Counter(x["label"] for x in g) == {"not_contradiction": 1, "contradiction": 2} for g in by_fact.values())
    bundled = {(r.get("id"), r.get("statement") or r.get("text")) for r in bundled_rows()}
    assert all((r["premise_id"], r["premise"]) in bundled for r in rows)
    assert {r["premise_source"] for r in rows} <= {"reference_only", "judge_train", "judge_dev", "judge_test", "judge_oos"}
    # the facts of the judge's `cross` pair kind (train) and the half it never reads (heldout) never mix
    assert all(len({x["split"] for x in g}) == 1 for g in by_fact.values())
    assert {r["split"] for r in rows} == {"train", "heldout"}
