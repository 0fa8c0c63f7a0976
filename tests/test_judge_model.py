"""The shipped judgement model: real weights, hand-written pairs of each contradiction type, label
mapping, determinism, the CLI. The pairs below were written for these tests; none is in the
training data (tests/test_judge_data.py checks that)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from coach.judge import CONTRADICTION, ENTAILMENT, Judge, JudgeError
from coach.judge.model import WEIGHTS_DIR, label_order

# (premise, contradiction that reuses its words, type, paraphrase in other words)
PAIRS = [
    ("The sigmoid function outputs values between 0 and 1, while tanh outputs values between -1 and 1.",
     "The sigmoid function outputs values between -1 and 1, while tanh outputs values between 0 and 1.", "swap",
     "Tanh maps inputs into the interval from minus one to one, whereas the logistic sigmoid squashes them into zero to one."),
    ("WHERE filters rows before grouping, while HAVING filters groups after the aggregation.",
     "HAVING filters rows before grouping, while WHERE filters groups after the aggregation.", "swap",
     "Row-level conditions go in WHERE and are applied before GROUP BY; conditions on aggregated groups go in HAVING."),
    ("L1 regularization tends to drive some weights exactly to zero, producing sparse models.",
     "L2 regularization tends to drive some weights exactly to zero, producing sparse models, unlike L1.", "swap",
     "An absolute-value penalty on the weights makes many of them become exactly zero, so the model ends up sparse."),
    ("In a GAN, the generator produces fake samples and the discriminator tries to tell real samples from fake ones.",
     "In a GAN, the discriminator produces fake samples and the generator tries to tell real samples from fake ones.", "swap",
     "One network creates synthetic examples while the other network learns to classify examples as real or generated."),
    ("In an LSTM, the forget gate decides how much of the previous cell state to keep.",
     "In an LSTM, the input gate decides how much of the previous cell state to keep, and the forget gate decides what new information to add.", "swap",
     "The LSTM's forget gate controls which parts of the old cell memory are retained."),
    ("Increasing the learning rate too much can make training diverge.",
     "Increasing the learning rate too much makes training converge more smoothly and never diverges.", "reverse",
     "If the step size is set far too high, the loss can blow up instead of going down."),
    ("Binary search on a sorted array takes O(log n) time.",
     "Binary search on a sorted array takes O(n log n) time.", "number",
     "Looking up a value in a sorted array by repeatedly halving the range needs logarithmically many steps."),
    ("A primary key cannot contain NULL values and must be unique in the table.",
     "A primary key can contain NULL values and duplicates.", "negation",
     "Every primary key value must be present and no two rows may share it."),
    ("Dropout randomly deactivates neurons during training to reduce overfitting.",
     "Dropout randomly deactivates neurons during inference to speed up prediction.", "mechanism",
     "During training, dropout switches off a random subset of units, which acts as a regulariser."),
]


@pytest.fixture(scope="module")
def judge():
    return Judge()


GAP = "measured gap of the shipped judge (dev accuracy 0.81): see README, 'The judgement model'"
# sigmoid/tanh swap, WHERE/HAVING swap, LSTM paraphrase, GAN role swap, binary-search number, primary-key
# negation, dropout paraphrase. Before 2026-12-02 torch's int8 (one activation scale per batch) got the
# WHERE/HAVING, LSTM-paraphrase and binary-search pairs right and fp32 did not (WHERE/HAVING contradiction
# 0.88 against 0.24): on single swaps like these the judge is at the level of the quantisation's noise. The
# shipped int8 now runs in ONNX Runtime one pair per run, close to fp32, and misses them like fp32.
KNOWN_MISSES = {0, 1, 4, 3, 6, 7, 8}


@pytest.mark.parametrize("premise,contra,kind,para", [
    pytest.param(*p, marks=pytest.mark.xfail(strict=True, reason=GAP)) if i in KNOWN_MISSES else p
    for i, p in enumerate(PAIRS)], ids=[p[0][:30] for p in PAIRS])
def test_contradiction_and_paraphrase(judge, premise, contra, kind, para):
    p = judge.scores([(premise, contra), (premise, para)])
    assert p[0].argmax() == CONTRADICTION, f"{kind}: {p[0]}"
    assert p[1].argmax() == ENTAILMENT, f"paraphrase: {p[1]}"


@pytest.mark.xfail(strict=True, reason="measured gap (2026-12-04): the shipped judge entails 74% of the bundled key "
                   "points from 'The sky is blue.' (p >= 0.5); a judge continued on premises about other subjects "
                   "(--extra unrelated) entails none, but raised wrong answers' grades on the test sets, so it was not "
                   "shipped (README, 'A sentence about something else proves nothing')")
def test_a_sentence_about_something_else_entails_no_key_point(judge):
    """An answer about something else must not be credited with a key point: content-free premises entail
    (almost) none of the bundled rubrics' key points. None of these premises, nor any key point, is in the
    judge's training data."""
    from coach.grading.rubrics import RubricBank

    kps = sorted({kp.text for r in RubricBank.load(warn=False).by_id.values() for kp in r.key_points})
    assert len(kps) >= 300
    for premise in ("The sky is blue.", ".", "I like pizza.", "The meeting is on Tuesday.", "Both are used a lot."):
        p = judge.scores([(premise, k) for k in kps])[:, ENTAILMENT]
        assert float(np.mean(p >= 0.5)) < 0.05, (premise, float(np.mean(p >= 0.5)))
    # ...while a key point still entails itself
    own = judge.scores([(k, k) for k in kps[:40]])[:, ENTAILMENT]
    assert float(np.mean(own >= 0.5)) > 0.9


def test_hand_written_pairs_are_not_in_the_training_data():
    from coach.judge.data import load_records

    records, _ = load_records()
    norm = lambda t: " ".join(t.lower().split())  # noqa: E731
    texts = {norm(t) for r in records for t in [r["premise"], *r["entail"], *[c["text"] for c in r["contradict"]]]}
    assert not [s for p in PAIRS for s in (p[0], p[1], p[3]) if norm(s) in texts]


def test_scores_shape_probabilities_and_determinism(judge):
    pairs = [(a, b) for a, b, _, _ in PAIRS] + [("", ""), ("x" * 5000, "y")]
    p1, p2 = judge.scores(pairs), judge.scores(list(reversed(pairs)))[::-1]
    assert p1.shape == (len(pairs), 3) and p1.dtype == np.float32
    assert np.allclose(p1.sum(axis=1), 1.0, atol=1e-4)
    assert np.array_equal(p1, judge.scores(pairs))  # same input, same output
    assert np.allclose(p1, p2, atol=1e-4)  # order of the batch does not change a pair's verdict
    assert judge.scores([]).shape == (0, 3)


def _neighbour_pairs():
    pairs = [(a, b) for a, b, _, _ in PAIRS] + [(a, d) for a, _, _, d in PAIRS]
    return pairs + [(" ".join([a] * 6), b) for a, b, _, _ in PAIRS[:3]]  # long premises: batches pad a lot


def test_in_fp32_a_pairs_output_does_not_depend_on_its_batch_neighbours():
    """COACH_JUDGE_INT8=0: a pair scores the same alone, among pairs of very different lengths and at
    another batch size (to float noise)."""
    pairs = _neighbour_pairs()
    together = Judge(int8=False).scores(pairs)
    alone = np.stack([Judge(int8=False).scores([p])[0] for p in pairs[:6]])
    assert np.allclose(together[:6], alone, atol=2e-4)
    assert np.allclose(Judge(int8=False, batch_size=3).scores(pairs), together, atol=2e-4)


def test_in_int8_a_pairs_output_does_not_depend_on_its_batch_neighbours(judge):
    """The shipped int8 judge runs in ONNX Runtime one pair per run, so a pair's probabilities are the
    same alone, among pairs of very different lengths, in any order and at any batch size, exactly."""
    pairs = _neighbour_pairs()
    assert judge.int8 and judge.backend == "onnxruntime-int8"
    together = judge.scores(pairs)
    alone = np.stack([judge.scores([p])[0] for p in pairs])
    assert np.array_equal(together, alone)
    assert np.array_equal(Judge(batch_size=3).scores(pairs), together)
    assert np.array_equal(judge.scores(pairs[::-1])[::-1], together)


def _reference_run(model, feed):
    """ONNX's own evaluator: numpy, exact integer products, the same on every CPU. It implements
    DequantizeLinear from opset 19 on; the judge's export (opset 17) uses none of 18-19's changes."""
    import onnx
    from onnx.reference import ReferenceEvaluator

    model = onnx.ModelProto.FromString(model.SerializeToString())
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = max(opset.version, 19)
    return ReferenceEvaluator(model).run(None, feed)[0]


def test_onnx_int8_output_is_the_exports_exact_arithmetic_on_any_cpu(judge):
    """The int8 judge's ONNX Runtime logits equal ONNX's reference (numpy) evaluation of the same export.
    With the weights stored signed, ONNX Runtime's kernel on a CPU without VNNI (AVX2 only) saturated
    16-bit sums and moved a logit by up to 0.53 (measured on an AMD EPYC, 2026-12-03), so grades depended
    on the CPU; the export now stores them unsigned, offset by 128, which every CPU computes exactly."""
    import onnx

    from coach.judge.model import _weights_key, onnx_cache_dir

    judge.load()
    export = onnx_cache_dir() / f"{judge.path.name}-{_weights_key(judge.path)}.onnx"
    model = onnx.load(str(export))
    weights = {t.name: t.data_type for t in model.graph.initializer}
    matmuls = [n for n in model.graph.node if n.op_type == "MatMulInteger"]
    assert matmuls and all(weights[n.input[1]] == onnx.TensorProto.UINT8 for n in matmuls)
    names = sorted(judge._inputs)
    exact, moved = 0, []
    for premise, contra, _kind, para in PAIRS:
        for hyp in (contra, para):
            enc = judge._tok([premise], [hyp])
            feed = {k: np.asarray(enc[k], dtype=np.int64) for k in names}
            got, ref = judge._session.run(None, feed)[0][0], _reference_run(model, feed)[0]
            exact += bool(np.abs(got - ref).max() < 1e-4)
            moved.append(float(np.abs(_softmax(got) - _softmax(ref)).max()))
    # Exact products: most pairs agree to the last digit; in the others one activation rounds to the
    # next int8 step (float32 in ONNX Runtime, float64 in numpy), a probability moving by <= 0.03. The
    # signed export on the AVX2 CPU: 0 of these 18 pairs agreed, probabilities moved by up to 0.12.
    assert exact >= len(moved) // 2, (exact, moved)
    assert max(moved) < 0.05, moved


def _softmax(z):
    z = np.exp(z - z.max())
    return z / z.sum()


def test_exact_weights_rewrite_keeps_the_products_and_stores_an_implied_zero_point(tmp_path):
    """``exact_integer_weights`` on a MatMulInteger with signed weights and no weight zero point: the integers
    it computes are unchanged (checked by the reference evaluator), the weights are stored unsigned, and
    a file rewritten already is left as it is, not shifted twice."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from coach.judge.model import exact_integer_weights

    rng = np.random.default_rng(7)
    w = rng.integers(-128, 128, size=(16, 5), dtype=np.int8)
    a = rng.integers(0, 256, size=(3, 16), dtype=np.uint8)
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "w", "a_zero"], ["y"])], "g",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [3, 16])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [3, 5])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.uint8(3), "a_zero")])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    assert exact_integer_weights(path) == 2  # the weights and the zero point it stored
    rewritten = onnx.load(str(path))
    assert {t.name: t.data_type for t in rewritten.graph.initializer}["w"] == TensorProto.UINT8
    got = _reference_run(rewritten, {"a": a})
    assert np.array_equal(got, (a.astype(np.int64) - 3) @ w.astype(np.int64))
    import onnxruntime as ort

    assert np.array_equal(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"a": a})[0], got)
    assert exact_integer_weights(path) == 0  # unsigned already: nothing shifted twice
    assert np.array_equal(_reference_run(onnx.load(str(path)), {"a": a}), got)


def test_pairs_spread_over_threads_score_exactly_as_on_one(judge):
    """ONNX Runtime runs a call's pairs on one thread per core: the output is the same, exactly, with
    one worker, with more workers than pairs, and when several callers share the judge at once."""
    from concurrent.futures import ThreadPoolExecutor

    pairs = _neighbour_pairs()
    one = Judge(threads=1).scores(pairs)
    assert judge.workers >= 1 and np.array_equal(judge.scores(pairs), one)
    many = Judge(threads=len(pairs) + 2)
    assert np.array_equal(many.scores(pairs), one) and np.array_equal(many.scores(pairs[:1]), one[:1])
    with ThreadPoolExecutor(3) as pool:
        calls = [pool.submit(many.scores, pairs[i:]) for i in range(3)]
        for i, call in enumerate(calls):
            assert np.array_equal(call.result(), one[i:])


def test_a_pair_asked_twice_in_one_call_runs_once_and_gets_the_same_output(judge):
    """Repeated pairs (one-claim answers ask "claim entails key point" and "answer entails key point"
    alike) are run once and copied, in the caller's order; no output changes."""
    pairs = _neighbour_pairs()
    alone = judge.scores(pairs)
    asked = [pairs[3], pairs[0], pairs[3], *pairs, pairs[0]]
    j = Judge(threads=2)
    j.load()
    real, runs = j._session, []

    class Counting:
        def run(self, names, feeds):
            runs.append(tuple(feeds["input_ids"][0]))
            return real.run(names, feeds)

    j._session = Counting()
    got = j.scores(asked)
    assert len(runs) == len(set(runs)) == len(set(pairs))  # every distinct pair once
    assert np.array_equal(got, np.concatenate([alone[[3, 0, 3]], alone, alone[[0]]]))


def test_a_pair_that_fails_on_a_worker_thread_fails_the_call():
    """Control flow only: a run that raises on another thread is raised to the caller, not lost, and the
    caller's thread stops taking pairs."""
    import threading
    import time

    j = Judge(threads=2)
    j.load()
    real, on_caller = j._session, []

    class Failing:
        def run(self, names, feeds):
            if threading.current_thread().name.startswith("coach-judge"):
                raise RuntimeError("run failed")
            on_caller.append(1)
            time.sleep(0.2)  # the caller's thread is slow, so the worker surely takes a pair
            return real.run(names, feeds)

    j._session = Failing()
    pairs = [(a, b) for a, b, _, _ in PAIRS]
    with pytest.raises(RuntimeError, match="run failed"):
        j.scores(pairs)
    assert len(on_caller) <= 2 < len(pairs)  # not every pair: the failure stopped the caller too


def test_torch_int8_shares_a_scale_over_the_batch_and_stays_selectable(judge):
    """COACH_JUDGE_RUNTIME=torch keeps torch's dynamic int8, whose one activation scale per batch makes a
    pair's output move with its neighbours: the reason the default runs each pair alone."""
    pairs = _neighbour_pairs()
    torch_judge = Judge(runtime="torch")
    assert torch_judge.backend == "torch-int8"
    batched = torch_judge.scores(pairs)
    alone = np.stack([torch_judge.scores([p])[0] for p in pairs])
    assert np.abs(batched - alone).max() > 0.02
    # both int8 runtimes quantise the same weights: on the clear reversal they agree
    reversal = [(PAIRS[5][0], PAIRS[5][1])]
    assert torch_judge.scores(reversal)[0, CONTRADICTION] > 0.5 and judge.scores(reversal)[0, CONTRADICTION] > 0.5


def test_onnx_export_is_cached_by_the_weights_and_refused_in_one_line_when_it_cannot_run(tmp_path, monkeypatch):
    from coach.judge import model as judge_model

    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "copy"
    shutil.copytree(WEIGHTS_DIR, copy)
    Judge(copy).scores([(PAIRS[5][0], PAIRS[5][1])])
    exported = sorted((tmp_path / "cache" / "judge").glob("*.onnx"))
    assert len(exported) == 1 and not list((tmp_path / "cache" / "judge").glob(".export-*"))
    calls = []
    real = judge_model.export_onnx_int8
    monkeypatch.setattr(judge_model, "export_onnx_int8", lambda *a: calls.append(a) or real(*a))
    Judge(copy).scores([("a", "b")])
    assert calls == []  # the same weights: the cached export is reused
    exported[0].write_bytes(b"cut short by a crash")
    assert Judge(copy).scores([(PAIRS[5][0], PAIRS[5][1])])[0, CONTRADICTION] > 0.5
    assert len(calls) == 1 and exported[0].stat().st_size > 1_000_000  # a damaged export is made again
    calls.clear()
    (copy / "README.txt").write_text("retrained")
    Judge(copy).scores([("a", "b")])
    assert len(calls) == 1  # changed files: exported again, beside the old one
    assert len(list((tmp_path / "cache" / "judge").glob("*.onnx"))) == 2

    def broken(*a):
        raise OSError("read-only file system:\n /nowhere")

    monkeypatch.setattr(judge_model, "export_onnx_int8", broken)
    (copy / "README.txt").write_text("retrained again")
    with pytest.raises(JudgeError) as exc:
        Judge(copy, runtime="onnxruntime").scores([("a", "b")])
    assert "\n" not in str(exc.value) and "ONNX Runtime" in str(exc.value)
    fallback = Judge(copy)  # auto: torch int8 instead, with a warning
    assert fallback.scores([("a", "b")]).shape == (1, 3) and fallback.backend == "torch-int8"


def test_label_order_is_read_from_the_config(tmp_path, judge):
    """A copy whose head rows AND id2label are permuted must give the same probabilities."""
    import torch
    from safetensors.torch import load_file, save_file

    copy = tmp_path / "permuted"
    shutil.copytree(WEIGHTS_DIR, copy)
    cfg = json.loads((copy / "config.json").read_text())
    perm = [2, 0, 1]  # new index i holds old class perm[i]
    old = {int(k): v for k, v in cfg["id2label"].items()}
    cfg["id2label"] = {str(i): old[perm[i]].upper() for i in range(3)}
    cfg["label2id"] = {v: int(k) for k, v in cfg["id2label"].items()}
    (copy / "config.json").write_text(json.dumps(cfg))
    sd = load_file(str(copy / "model.safetensors"))
    for name in ("classifier.weight", "classifier.bias"):
        sd[name] = sd[name][torch.tensor(perm)].contiguous()
    save_file(sd, str(copy / "model.safetensors"), metadata={"format": "pt"})
    pairs = [(a, b) for a, b, _, _ in PAIRS[:3]]
    assert np.allclose(Judge(copy, int8=False).scores(pairs), Judge(WEIGHTS_DIR, int8=False).scores(pairs), atol=1e-3)


@pytest.mark.parametrize("labels", [
    {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"},
    {"0": "entailment", "1": "not_entailment"},
    {"0": "entailment", "1": "entailment", "2": "contradiction"},
])
def test_unmappable_labels_are_refused_in_one_line(labels):
    with pytest.raises(JudgeError) as exc:
        label_order({"id2label": labels})
    assert "\n" not in str(exc.value)


def test_cli_score_and_bad_model_setting(tmp_path, monkeypatch):
    from coach.cli import cli

    out = CliRunner().invoke(cli, ["judge", "score", PAIRS[5][0], PAIRS[5][1]])  # a reversal it reads right
    assert out.exit_code == 0, out.output
    probs = json.loads(out.output)
    assert set(probs) == {"entailment", "neutral", "contradiction"} and probs["contradiction"] > 0.5

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text(json.dumps({"id2label": {"0": "LABEL_0", "1": "LABEL_1"}}))
    monkeypatch.setenv("COACH_JUDGE_MODEL", str(bad))
    out = CliRunner().invoke(cli, ["judge", "score", "a", "b"])
    assert out.exit_code == 1
    assert out.output.count("\n") == 1 and "labels" in out.output


def test_special_tokens_in_untrusted_text_do_not_restructure_the_pair(judge):
    """An answer ending in "[SEP] [CLS]" made the tokenizer read those as its own control tokens (a claim's
    entailment moved 0.75 -> 0.38); they are read as spaces, so the pair scores as without them."""
    p, h = PAIRS[0][0], PAIRS[0][3]
    plain = judge.scores([(p, h)])
    assert np.array_equal(judge.scores([(p + " [SEP] [CLS]", h)]), plain)
    assert np.array_equal(judge.scores([(p, "[cls] " + h + " [PAD][MASK]")]), plain)


def test_the_export_cache_key_reads_every_file_of_the_model_folder(tmp_path):
    """A folder whose weights are a torch ``pytorch_model.bin`` retrained in place got the old export (the
    key hashed only .json, .safetensors and .txt files)."""
    from coach.judge.model import _weights_key

    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"weights one")
    first = _weights_key(tmp_path)
    (tmp_path / "pytorch_model.bin").write_bytes(b"weights two")
    assert _weights_key(tmp_path) != first


def test_a_judge_loading_on_one_thread_is_never_half_seen_by_another(monkeypatch):
    """A second caller arriving while the first was still loading the tokenizer found the session already
    set, skipped the lock and ran with no tokenizer (TypeError). The session is published last."""
    import threading
    import time

    import coach.judge.model as jm

    real = jm._tokenizer

    def slow_tokenizer(path):
        time.sleep(1.0)
        return real(path)

    monkeypatch.setattr(jm, "_tokenizer", slow_tokenizer)
    j = Judge(threads=1)
    pairs = [(a, b) for a, b, _, _ in PAIRS[:2]]
    results, errors = {}, []

    def call(name):
        try:
            results[name] = j.scores(pairs)
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            errors.append(exc)

    first = threading.Thread(target=call, args=("first",))
    first.start()
    deadline = time.monotonic() + 60
    while j._session is None and j._tok is None and time.monotonic() < deadline and first.is_alive():
        time.sleep(0.005)
    call("second")  # as soon as anything is visible: the old order showed the session without a tokenizer
    first.join(60)
    assert not errors, errors
    assert np.array_equal(results["first"], results["second"])


def test_a_forked_child_scores_with_threads_of_its_own():
    """A process forked after the judge ran (a worker server, multiprocessing) inherited the judge's thread
    pool without its threads: its first multi-pair call waited forever."""
    import os
    import signal
    import time

    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    j = Judge(threads=2)
    pairs = [(a, b) for a, b, _, _ in PAIRS[:3]]
    parent = j.scores(pairs)
    pid = os.fork()
    if pid == 0:  # the child: exit 0 when it scores the same, 1 otherwise, killed by the alarm if it hangs
        signal.alarm(60)
        try:
            os._exit(0 if np.array_equal(j.scores(pairs), parent) else 1)
        except BaseException:
            os._exit(2)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child never finished scoring")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
