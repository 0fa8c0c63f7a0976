"""The fp32 models in ONNX Runtime (coach/onnx_models.py): the embedding model and the answer scorer give
the numbers torch gives, are exported once and cached by their weights, and fall back to torch (or refuse
in one line) as ``COACH_FP32_RUNTIME`` says."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from coach.config import ConfigError, load_settings
from coach.errors import CoachError
from coach.judge.model import JudgeError
from coach.judge.scorer import SCORER_DIR, AnswerScorer

# Written here for this test: texts of very different lengths (padding in one batch), one with
# untrusted separator tokens and spacing, one empty-ish.
TEXTS = [
    "WHERE filters rows before they are grouped.",
    "A much longer sentence about gradient descent, learning rates and how momentum smooths the updates "
    "over many steps, so that the optimiser does not oscillate across a narrow valley. " * 3,
    "x",
    "  padded   spacing\tand a [SEP] token inside  ",
    "Ünïcödé text: naïve café – “quotes”",
]

TRIPLES = [
    ("What is a mutex?", "A lock that lets one thread at a time into a critical section.",
     "It is a lock: only one thread can hold it, the others wait."),
    ("What is a mutex?", "A lock that lets one thread at a time into a critical section.",
     "A mutex lets every thread into the critical section at once."),
    ("What does HAVING do?", "HAVING filters groups after GROUP BY; WHERE filters rows before grouping.",
     "I don't know."),
]


@pytest.fixture(scope="module")
def onnx_embedder():
    from index.embedder import load_sentence_transformer

    model = load_sentence_transformer(load_settings(fp32_runtime="onnxruntime"))
    assert type(model).__name__ == "OnnxSentenceModel"
    return model


def test_the_onnx_embedder_gives_torchs_vectors(onnx_embedder):
    torch_model = onnx_embedder.st
    for batch in (64, 2):  # one batch, and several (the order is restored)
        a = torch_model.encode(TEXTS, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True,
                               show_progress_bar=False)
        b = onnx_embedder.encode(TEXTS, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)
        assert b.shape == a.shape == (len(TEXTS), 384) and b.dtype == np.float32
        assert np.abs(a - b).max() < 1e-5
        assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    one = onnx_embedder.encode(TEXTS[0])
    assert one.shape == (384,) and np.abs(one - a[0]).max() < 1e-5
    assert onnx_embedder.encode([]).shape == (0, 384)


def test_the_coach_embeds_in_onnx_by_default_and_in_torch_when_asked(onnx_embedder):
    from index.embedder import load_sentence_transformer

    assert type(load_sentence_transformer(load_settings())).__name__ == "OnnxSentenceModel"
    assert type(load_sentence_transformer(load_settings(fp32_runtime="torch"))).__name__ == "SentenceTransformer"
    with pytest.raises(ConfigError) as exc:
        load_settings(fp32_runtime="gpu")
    assert "COACH_FP32_RUNTIME" in str(exc.value) and "\n" not in str(exc.value)


def test_a_layout_the_export_does_not_cover_stays_in_torch(onnx_embedder, caplog):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules.pooling import Pooling

    from index.embedder import OnnxSentenceModel

    cls_pooled = SentenceTransformer(modules=[onnx_embedder.st[0], Pooling(384, "cls")], device="cpu")
    with pytest.raises(CoachError) as exc:
        OnnxSentenceModel(cls_pooled, SCORER_DIR)
    assert "mean pooling" in str(exc.value)


def test_the_onnx_scorer_gives_torchs_scores():
    torch_scorer = AnswerScorer(runtime="torch")
    onnx_scorer = AnswerScorer(runtime="onnxruntime")
    assert (torch_scorer.backend, onnx_scorer.backend) == ("torch-fp32", "onnxruntime-fp32")
    a, b = torch_scorer.scores(TRIPLES), onnx_scorer.scores(TRIPLES)
    assert b.shape == (3,) and b.dtype == np.float32
    assert np.abs(a - b).max() <= 2e-5  # rounded to 1e-5: at most one step at a rounding boundary
    assert b[0] > b[1]  # and it still reads: the correct answer above the turned-round one
    assert AnswerScorer(int8=True, runtime="onnxruntime").backend == "torch-int8"  # int8 stays in torch


def test_the_scorer_export_is_cached_remade_when_damaged_and_refused_in_one_line(tmp_path, monkeypatch, caplog):
    from coach.judge import scorer as scorer_module

    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "scorer"
    shutil.copytree(SCORER_DIR, copy)
    first = AnswerScorer(copy, runtime="onnxruntime").scores(TRIPLES[:1])
    exported = sorted((tmp_path / "cache" / "fp32").glob("scorer-*.onnx"))
    assert len(exported) == 1 and not list((tmp_path / "cache" / "fp32").glob(".export-*"))
    calls = []
    real = scorer_module.export_fp32
    monkeypatch.setattr(scorer_module, "export_fp32", lambda *a: calls.append(a) or real(*a))
    assert AnswerScorer(copy, runtime="onnxruntime").scores(TRIPLES[:1]) == pytest.approx(first)
    assert calls == []  # the same weights: the cached export is reused
    exported[0].write_bytes(b"cut short by a crash")
    with caplog.at_level(logging.WARNING):
        assert AnswerScorer(copy, runtime="onnxruntime").scores(TRIPLES[:1]) == pytest.approx(first)
    assert len(calls) == 1 and exported[0].stat().st_size > 1_000_000 and "exporting it again" in caplog.text

    def broken(*a):
        raise OSError("read-only file system:\n /nowhere")

    monkeypatch.setattr(scorer_module, "export_fp32", broken)
    (copy / "README.txt").write_text("retrained")
    with pytest.raises(JudgeError) as exc:
        AnswerScorer(copy, runtime="onnxruntime").scores(TRIPLES[:1])
    assert "ONNX Runtime" in str(exc.value) and "\n" not in str(exc.value)
    fallback = AnswerScorer(copy)  # auto: torch instead, with a warning, and the same score
    assert fallback.scores(TRIPLES[:1]) == pytest.approx(first, abs=2e-5)
    assert fallback.backend == "torch-fp32"


def test_the_embedder_export_is_reused(onnx_embedder, monkeypatch):
    from coach import onnx_models
    from index.embedder import load_sentence_transformer

    calls = []
    monkeypatch.setattr(onnx_models, "cpu_session", lambda *a, real=onnx_models.cpu_session: calls.append(a) or real(*a))
    model = load_sentence_transformer(load_settings(fp32_runtime="onnxruntime"))
    assert len(calls) == 1 and calls[0][0].exists()  # opened from the cache, not exported again
    assert np.abs(model.encode(TEXTS) - onnx_embedder.encode(TEXTS)).max() == 0.0


def test_the_export_key_reads_subfolders_so_two_models_never_share_an_export(tmp_path):
    from coach.onnx_models import weights_key

    for name in ("a", "b"):  # the same files at the top, weights in a module subfolder (0_Transformer/)
        (tmp_path / name / "0_Transformer").mkdir(parents=True)
        (tmp_path / name / "modules.json").write_text("[]")
        (tmp_path / name / "0_Transformer" / "model.safetensors").write_bytes(name.encode() * 100)
    assert weights_key(tmp_path / "a", "f") != weights_key(tmp_path / "b", "f")
    before = weights_key(tmp_path / "a", "f")
    (tmp_path / "a" / "__pycache__").mkdir()  # not the model's: does not change the key
    (tmp_path / "a" / "__pycache__" / "x.pyc").write_bytes(b"1")
    assert weights_key(tmp_path / "a", "f") == before


def test_the_embedder_keeps_torchs_behaviour_for_what_it_does_not_export(onnx_embedder):
    from sentence_transformers import SentenceTransformer

    from coach.models import embedding_model_path
    from index.embedder import OnnxSentenceModel

    with pytest.raises(ValueError):  # as sentence-transformers: not embedded as the text "None"
        onnx_embedder.encode([None, "x"])
    # options the export does not cover go to the torch model (same result as asking it directly)
    short = onnx_embedder.encode(TEXTS[:2], truncate_dim=8)
    assert short.shape == (2, 8)
    assert np.abs(short - onnx_embedder.st.encode(TEXTS[:2], truncate_dim=8)).max() < 1e-6
    prompted = SentenceTransformer(embedding_model_path(load_settings()), device="cpu",
                                   prompts={"query": "query: "}, default_prompt_name="query")
    with pytest.raises(CoachError) as exc:  # a default prompt changes every vector: stays in torch
        OnnxSentenceModel(prompted, SCORER_DIR)
    assert "prompt" in str(exc.value)


def test_a_hub_id_is_read_from_its_local_snapshot(monkeypatch, tmp_path):
    import huggingface_hub

    from index.embedder import _local_folder

    assert _local_folder(str(tmp_path)) == tmp_path
    asked = []
    monkeypatch.setattr(huggingface_hub, "snapshot_download",
                        lambda repo, **kw: asked.append((repo, kw)) or str(tmp_path))
    assert _local_folder("sentence-transformers/all-MiniLM-L6-v2") == tmp_path
    assert asked == [("sentence-transformers/all-MiniLM-L6-v2", {"local_files_only": True})]  # never the network


def test_exports_are_readable_by_other_users_and_killed_exports_are_cleaned(tmp_path):
    import os
    import time

    import torch

    from coach.onnx_models import export_fp32, remove_stale_exports

    mask = os.umask(0o022)
    try:
        target = export_fp32(torch.nn.Linear(4, 2), {"input": torch.zeros(1, 3, 4)}, "y", tmp_path / "lin.onnx")
    finally:
        os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o644 and not list(tmp_path.glob(".export-*"))
    old, new = tmp_path / ".export-old", tmp_path / ".export-new"
    old.mkdir()
    (old / "model.onnx").write_bytes(b"half")
    new.mkdir()
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    unused = tmp_path / "scorer-x-oldkey.onnx"  # weights replaced since: no process opened it for 40 days
    unused.write_bytes(b"old")
    forty_days_ago = time.time() - 40 * 86400
    os.utime(unused, (forty_days_ago, forty_days_ago))
    os.utime(target, (forty_days_ago, forty_days_ago))
    assert remove_stale_exports(tmp_path, keep=target) == 2
    assert not old.exists() and not unused.exists()
    assert new.exists() and target.exists()  # someone's export in progress is kept, and the one asked for


def test_opening_a_cached_export_marks_it_used(tmp_path, monkeypatch):
    import os
    import time

    from coach.onnx_models import cache_dir, cached_session

    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path))
    copy = tmp_path / "scorer"
    shutil.copytree(SCORER_DIR, copy)
    AnswerScorer(copy, runtime="onnxruntime").load()
    (export,) = cache_dir("fp32").glob("scorer-*.onnx")
    long_ago = time.time() - 40 * 86400
    os.utime(export, (long_ago, long_ago))
    cached_session(copy, "scorer", lambda target: pytest.fail("exported again"), 1)
    assert time.time() - export.stat().st_mtime < 600


def test_warm_up_loads_the_graders_models_before_the_first_answer(built_home, tmp_path, monkeypatch):
    """`coach serve` warms up before it serves: the scorers' one-time export and load happen then, not in the
    first answer's grade."""
    from types import SimpleNamespace

    from coach.judge.scorer import DRAFT_SCORER_DIR
    from coach.service import Coach

    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copytree(SCORER_DIR, tmp_path / "scorer")  # models of this test's own (the process caches the shipped ones)
    shutil.copytree(DRAFT_SCORER_DIR, tmp_path / "draft")
    coach = Coach(load_settings(home=built_home, answer_scorer=str(tmp_path / "scorer"),
                                draft_scorer=str(tmp_path / "draft")))
    coach._audit = SimpleNamespace(all_flags=lambda: [], flags_for=lambda *a, **k: [])  # the shared home stays as it is
    scorers = [coach.grader.scorer, coach.grader.draft_scorer]
    assert [s.path.name for s in scorers] == ["scorer", "draft"]
    assert all(s._session is None and s._model is None for s in scorers)
    coach.warm_up()
    assert all(s._session is not None for s in scorers)  # loaded, in ONNX Runtime
    assert len(list((tmp_path / "cache" / "fp32").glob("scorer-*.onnx"))) == 2
