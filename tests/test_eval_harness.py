"""The evaluation harness's bookkeeping, with a fake grader (control flow only; the real figures are measured by
`coach eval grading` and guarded in test_eval_quick.py): what a result counts, what it claims to have measured,
and that its files are strict JSON."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import numpy as np
import pytest


class _FlakyGrader:
    """Grades each answer with a different score on every call (a nondeterministic grader)."""

    def __init__(self):
        self.calls = 0
        self.records = {}  # no source records: rows without an explicit reference get no baseline

    def grade(self, question, answer, question_id=None, reference=None):
        self.calls += 1
        return SimpleNamespace(score=float(self.calls % 10), verdict="partial", steps=[], wrong=[], right=[], unconfirmed=[])

    def resolve(self, question):
        raise KeyError(question)

    def vecs(self, texts):
        out = []
        for t in texts:
            v = np.frombuffer(hashlib.sha256(t.encode()).digest(), dtype=np.uint8).astype(float) - 127.5
            out.append(v / np.linalg.norm(v))
        return np.stack(out)


def _strict(text: str):
    def refuse(name):
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_determinism_is_reported_only_where_it_was_measured():
    from evals.grading import GradingEvaluator

    rows = [{"id": f"r{i}", "question": f"Question {i}?", "reference": f"Reference number {i}.", "answer": f"Answer {i}.",
             "tier": "partial", "score": 5.0, "split": "test"} for i in range(6)]
    dev = [{**r, "split": "dev"} for r in rows]
    twice = GradingEvaluator(_FlakyGrader(), rows, baseline_dev=dev)(split="test")
    assert twice.metrics["determinism"] == 0.0  # graded twice: the flaky grader is caught
    once = GradingEvaluator(_FlakyGrader(), rows, baseline_dev=dev, repeat=False)(split="test")
    assert "determinism" not in once.metrics  # graded once: nothing was measured, so no figure (it read 1.0)


def test_grading_result_counts_only_the_set_its_primary_figure_is_on(monkeypatch, tmp_path):
    """The other-subject and new-document sets are reported under their own keys: the result's n, failures and
    plots are the bundled set's (the report said "cases: 735" beside a Spearman on 159)."""
    import evals.grading
    import evals.new_sources
    import evals.no_attempt
    from coach.commands.eval import run_evaluators
    from evals.report import write_report

    grader = _FlakyGrader()
    monkeypatch.setattr(evals.new_sources, "coach_with_new_sources", lambda settings: SimpleNamespace(grader=_FlakyGrader()))
    monkeypatch.setattr(evals.grading, "adversarial_metrics", lambda g: {})
    monkeypatch.setattr(evals.no_attempt, "no_attempt_metrics", lambda split, grader=None: {})
    [result] = run_evaluators(SimpleNamespace(grader=grader, settings=None), ["grading"], "test", limit=12)
    assert result.n == 12 and result.metrics["n"] == 12.0
    assert result.metrics["other_subject_n"] == 12.0 and result.metrics["new_sources_n"] == 12.0
    assert result.metrics["other_subject_failures"] == 0.0 and "other_subject_determinism" not in result.metrics
    assert result.metrics["behavioural_n"] == result.metrics["behavioural_2_n"] == result.metrics["behavioural_3_n"] == 12.0
    assert all(result.metrics[f"behavioural_{n}_n"] == 12.0 for n in range(4, 8))
    assert {d.get("set") for d in result.details} == {None, "other_subject", "new_sources", "behavioural", "behavioural_2",
                                                      "behavioural_3", "behavioural_4", "behavioural_5",
                                                      "behavioural_6", "behavioural_7"}  # exports keep all rows
    path = write_report([result], tmp_path, "test")
    assert "cases: 12; failures: 0." in path.read_text()
    metrics = _strict((tmp_path / "metrics.json").read_text())  # no bare NaN
    assert metrics["grading"]["metrics"]["mean_pred_no_attempt"] is None
    # each set's figures come with their intervals (questions resampled), in the JSON and in the report
    # (the first twelve answers of each set are to two or three questions)
    for prefix in ("", "other_subject_", "new_sources_", "behavioural_", "behavioural_2_", "behavioural_3_",
                   "behavioural_4_", "behavioural_5_", "behavioural_6_", "behavioural_7_"):
        for key in ("spearman_ci95", "pearson_minus_baseline_ci95", "mean_pred_wrong_ci95"):
            lo, hi = result.metrics[prefix + key]
            assert lo <= hi
    lo, hi = result.metrics["spearman_ci95"]
    assert f"| spearman_ci95 | [{lo:.3f}, {hi:.3f}] |" in path.read_text()


@pytest.mark.parametrize("value, expected", [
    (float("nan"), None), (float("inf"), None), (1.5, 1.5), ({"a": [float("nan"), 2.0]}, {"a": [None, 2.0]}),
    (np.float32("nan"), None), (np.float64(0.25), 0.25), ("NaN", "NaN"),
])
def test_json_safe(value, expected):
    from coach.datafiles import json_safe

    assert json_safe(value) == expected
    json.dumps(json_safe(value), allow_nan=False)


def test_an_evaluation_home_is_rebuilt_when_its_documents_or_the_parser_change(tmp_path, monkeypatch):
    """`coach eval` re-uses COACH_HOME/eval-new-sources; a changed document or parser must not leave the figures
    on records an older parser made (the home was re-used whenever it held a source of the same name)."""
    import coach.service
    import corpus
    import evals.new_sources as ns

    built = []

    class FakeIndex:
        def __init__(self, home):
            self.home, self.embedder = home, None

        def exists(self):
            return (self.home / "index").is_dir()

        def status(self):
            return {"sources": [{"source": n.name} for n in (self.home / "index").iterdir()]} if self.exists() else {}

        def add(self, parsed):
            (self.home / "index").mkdir(parents=True, exist_ok=True)
            for name in parsed:
                (self.home / "index" / name).write_text("records")
                built.append(name)

    class FakeCoach:
        def __init__(self, settings):
            self.index = FakeIndex(settings.home)

        def ensure_index(self):
            pass

        def _reset_derived(self):
            pass

    monkeypatch.setattr(coach.service, "Coach", FakeCoach)
    monkeypatch.setattr(corpus, "parse_paths", lambda paths, embedder=None: [p.name for p in paths])
    code = tmp_path / "code"
    (code / "corpus").mkdir(parents=True)
    (code / "corpus" / "parser.py").write_text("RULES = 1\n")
    monkeypatch.setattr(ns, "_ROOT", code, raising=False)
    monkeypatch.setattr(ns, "_BUILD_CODE", ("corpus",), raising=False)
    doc = tmp_path / "doc.md"
    doc.write_text("Q: What is a mutex?\nA: A lock.\n")
    from coach.config import load_settings

    settings = load_settings(home=tmp_path / "home")
    for _ in range(2):
        ns.coach_with_documents(settings, [doc], "eval-x")
    assert built == ["doc.md"]  # built once, then re-used
    doc.write_text("Q: What is a mutex?\nA: A lock that one thread holds at a time.\n")
    ns.coach_with_documents(settings, [doc], "eval-x")
    (code / "corpus" / "parser.py").write_text("RULES = 2\n")
    ns.coach_with_documents(settings, [doc], "eval-x")
    ns.coach_with_documents(settings, [doc], "eval-x")
    assert built == ["doc.md"] * 3  # rebuilt after the document changed and after the parser changed, not again


def test_quadratic_kappa_rounds_halves_up():
    """Scores are rounded half up before the kappa: with Python's round (half to even) 6.5 became 6 and
    7.5 became 8, so a grader off by exactly half a point lost agreement on some halves and not others."""
    from evals.metrics import quadratic_kappa

    assert quadratic_kappa([6.5, 7.5, 2.5, 0.5, 9.5], [7, 8, 3, 1, 10]) == 1.0
    assert quadratic_kappa([6.4, 7.4, 2.4, 0.4, 9.4], [7, 8, 3, 1, 10]) < 1.0


def test_scorer_split_all_measures_its_dev_and_test_questions_never_its_training_ones():
    from coach.judge.scorer_train import load_graded, question_split
    from evals.scorer import held_out_triples

    rows, _ = load_graded()
    dev, test, both = (held_out_triples(rows, s) for s in ("dev", "test", "all"))
    assert dev and test and len(both) == len(dev) + len(test)
    assert {t.qid for t in both} == {t.qid for t in dev} | {t.qid for t in test}
    assert all(question_split(t.qid) in ("dev", "test") for t in both)


def test_cluster_bootstrap_resamples_whole_questions():
    """Answers to one question are not independent: the interval comes from resampling questions. Two
    questions, one answered 0 three times and one answered 1 three times: a resample holds the first
    twice, both, or the second twice, so the mean's 95% interval is [0, 1]; resampling single answers
    would have given a much narrower one."""
    from evals.metrics import cluster_bootstrap

    values = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    mean = lambda idx: float(np.mean([values[i] for i in idx]))  # noqa: E731
    assert cluster_bootstrap(["a", "a", "a", "b", "b", "b"], mean) == [0.0, 1.0]
    row_level = cluster_bootstrap(list(range(6)), mean)
    assert row_level[1] - row_level[0] < 0.9
    assert cluster_bootstrap(["a"] * 6, mean) is None  # one question: no interval
    assert cluster_bootstrap(["a", "b"], lambda idx: None) is None  # no resample has a value


def test_cluster_bootstrap_interval_holds_the_figure_and_is_deterministic():
    from evals.metrics import cluster_bootstrap, spearman

    rng = np.random.default_rng(5)
    gold = rng.uniform(0, 10, 200)
    pred = gold + rng.normal(0, 2.5, 200)
    clusters = [i // 5 for i in range(200)]  # 40 questions, five answers each
    stat = lambda idx: spearman(list(pred[idx]), list(gold[idx]))  # noqa: E731
    lo, hi = cluster_bootstrap(clusters, stat)
    assert lo < spearman(list(pred), list(gold)) < hi
    assert 0.02 < hi - lo < 0.3
    assert cluster_bootstrap(clusters, stat) == [lo, hi]  # same seed, same interval
    assert cluster_bootstrap(clusters, stat, seed=1) != [lo, hi]


def test_judge_gates_auc_counts_good_answers_above_wrong_ones_and_ties_as_half():
    """evals/judge_gates.py: the AUC a retraining rule gates on (the Mann-Whitney statistic over tiers)."""
    from evals.judge_gates import tier_auc, tier_means

    tiers = ["excellent", "good", "wrong", "wrong", "partial"]
    assert tier_auc([0.9, 0.4, 0.5, 0.1, 0.0], tiers) == 0.75  # 3 of 4 (good, wrong) pairs ordered right
    assert tier_auc([0.5, 0.5, 0.5, 0.5, 0.9], tiers) == 0.5  # all tied; partial answers take no part
    assert tier_auc([0.1, 0.2], ["partial", "wrong"]) is None  # no good or excellent answer
    assert tier_means([1.0, 0.0, 0.5], ["good", "good", "wrong"]) == {"good": 0.5, "wrong": 0.5}


def test_ask_citation_markers_are_not_sentences_that_state_a_flag():
    # "[1]", cut off as a sentence, matched a flagged code line holding "Dense(1, ...)": 3 of 73 test replies were
    # counted as stating a flagged sentence
    from coach.grading.types import Citation
    from evals.ask import states_flagged

    code = {"quote": "tf.keras.layers.Dense(1, activation='sigmoid')", "kind": "code", "correction": "Close it."}
    cite = Citation("a.md:1", "a.md", 1, 3, "q", passage="p", flags=[code])
    assert not states_flagged("RNNs suffer from vanishing gradients on long sequences. [1]", [cite])
    wrong = {"quote": "RNNs never suffer from vanishing gradients", "kind": "fact", "correction": "They do."}
    assert states_flagged("RNNs never suffer from vanishing gradients. [1]", [Citation("a.md:1", "a.md", 1, 3, "q", flags=[wrong])])


def test_cross_writer_metrics_count_each_label_and_keep_the_judges_training_premises_apart():
    """Control flow only (a fake judge: the pair's contradiction probability is given in the row)."""
    import numpy as np

    from evals.judge import cross_writer_metrics

    class Fake:
        def scores(self, pairs):
            return np.array([[0.0, 1.0 - float(h.split()[-1]), float(h.split()[-1])] for _, h in pairs])

    rows = [{"premise": "A", "hypothesis": "a 0.9", "label": "not_contradiction", "premise_source": "judge_train"},
            {"premise": "A", "hypothesis": "b 0.2", "label": "contradiction", "premise_source": "judge_train"},
            {"premise": "B", "hypothesis": "c 0.1", "label": "not_contradiction", "premise_source": "reference_only"},
            {"premise": "B", "hypothesis": "d 0.8", "label": "contradiction", "premise_source": "reference_only"}]
    embed = lambda texts: np.eye(len(texts), 4)  # noqa: E731
    m = cross_writer_metrics(Fake(), embed, rows)
    assert m["cross_writer_pairs"] == 4 and m["cross_writer_unseen_pairs"] == 2
    assert m["cross_writer_correct_called_contradiction"] == 0.5 and m["cross_writer_wrong_called_contradiction"] == 0.5
    assert m["cross_writer_auc"] == 0.5 and m["cross_writer_unseen_auc"] == 1.0
    assert m["cross_writer_unseen_correct_called_contradiction"] == 0.0
