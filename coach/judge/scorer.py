"""``AnswerScorer``: (question, reference answer, candidate answer) -> the expected grade, 0..1.

A second small model kind beside the NLI judge: a cross-encoder with one regression output, trained
on team-written graded answers (``coach/judge/data/graded/``, ``coach judge train-scorer``). It reads
the whole answer against the whole reference, so it can weigh what a claim-by-claim judge cannot (how
much of the reference is there, whether the answer's main point is the wrong one). Grading uses its
output as one more signal (``answer_score``) in the calibrated combiner, never as the grade alone.

Same contract as ``Judge``: loaded once, lazily; deterministic (eval mode, one input per forward pass,
outputs rounded to 1e-5), so an answer's score never depends on what it was batched with. fp32 by
default (``COACH_SCORER_INT8=1`` quantises it: faster, but 0.04 Spearman lower on its dev questions),
run in ONNX Runtime when it is installed (``COACH_FP32_RUNTIME``, coach/onnx_models.py: the same scores,
faster beside the other models of a grade).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np

from coach.config import physical_cores
from coach.judge.model import MODEL_LOAD_LOCK, JudgeError, _fp32_model, _quantize, strip_special_tokens
from coach.onnx_models import cached_session, export_fp32, one_line, use_onnxruntime

log = logging.getLogger(__name__)

SCORER_DIR = Path(__file__).resolve().parent / "scorer_weights"
DRAFT_SCORER_DIR = Path(__file__).resolve().parent / "scorer_draft_weights"
MAX_TOKENS = 320  # word pieces per (question + reference, answer) input; the reference side is cut first


def _clean(text: str) -> str:
    # the tokenizer reads "[SEP]" in raw text as its separator: untrusted text must not restructure the input
    return " ".join(strip_special_tokens(text).split())


def scorer_input(question: str, reference: str, answer: str) -> tuple[str, str]:
    """The text pair the scorer reads: the question and its reference on one side (joined by the
    separator token), the answer on the other. One function, so training and grading build the
    inputs the same way."""
    left = " [SEP] ".join(x for x in (_clean(question), _clean(reference)) if x)
    return left, _clean(answer)


def resolve_one_output(spec: str, default_dir: Path, *, setting: str, what: str, missing: str) -> Path | None:
    """A one-output model's folder from its setting: None when switched off ("off"/"none"/""), the
    bundled ``default_dir`` for "default" (``missing`` says what to do when it is not there), else a
    local folder; a model with more than one output is refused with one clear line."""
    spec = str(spec or "").strip()
    if spec.lower() in ("", "off", "none", "0", "false"):
        return None
    path = default_dir if spec == "default" else Path(spec).expanduser()
    if not (path / "config.json").exists():
        if spec == "default":
            raise JudgeError(missing)
        raise JudgeError(f"{setting}={spec!r} is not a local model folder with a config.json")
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    if int(config.get("num_labels", len(config.get("id2label") or {}))) != 1:
        raise JudgeError(f"{what} {path}: needs a model with one output, "
                         f"this one has {len(config.get('id2label') or {})} labels")
    return path


def resolve_scorer_path(spec: str = "default") -> Path | None:
    """The scorer's folder; None when switched off ("off"/"none"/"")."""
    return resolve_one_output(spec, SCORER_DIR, setting="COACH_ANSWER_SCORER", what="answer scorer",
                              missing=f"the bundled answer scorer is missing from {SCORER_DIR}: run "
                                      "`coach judge train-scorer` or set COACH_ANSWER_SCORER=off")


class OneOutputModel:
    """A cross-encoder with one logit read through a sigmoid (the answer scorer, the claim verifier),
    loaded lazily once. Thread-safe. One input per forward pass by default: int8 dynamic quantisation
    scales activations per batch, so in a batch an input's score would depend on its neighbours
    (measured on the scorer: 0.798 alone vs 0.819)."""

    max_tokens = MAX_TOKENS  # word pieces per input pair; the longer side is cut first

    def __init__(self, path: Path, *, batch_size: int = 1, int8: bool = True, runtime: str = "torch"):
        self.path = path
        self.batch_size = batch_size
        self.int8 = int8
        # fp32 can run in ONNX Runtime (``COACH_FP32_RUNTIME``, coach/onnx_models.py): the same outputs,
        # faster beside the other models. int8 stays in torch (its dynamic quantisation is what was measured).
        self.runtime = "torch" if int8 else runtime
        self._model = None
        self._tok = None
        self._session = None

    @property
    def backend(self) -> str:
        """Where the inputs run: "onnxruntime-fp32", "torch-fp32" or "torch-int8"."""
        if self.int8:
            return "torch-int8"
        return "onnxruntime-fp32" if use_onnxruntime(self.runtime) else "torch-fp32"

    def load(self) -> None:
        """Load the weights now (otherwise on first use)."""
        self._load()

    def _load(self):
        if self._model is None and self._session is None:
            with MODEL_LOAD_LOCK:
                if self._model is None and self._session is None:
                    from transformers import AutoTokenizer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                    tok = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
                    if self.backend == "onnxruntime-fp32":
                        try:
                            session = cached_session(self.path, "scorer", lambda target: self._export(tok, target),
                                                     physical_cores())
                            self._tok, self._names = tok, [i.name for i in session.get_inputs()]
                            self._session = session  # published last: a caller that sees it finds the rest
                            return self._tok, self._session
                        except Exception as exc:  # noqa: BLE001 - export, cache folder or runtime failure
                            if self.runtime == "onnxruntime":
                                raise JudgeError(f"{self.path.name} cannot run in ONNX Runtime: {one_line(exc)}") from exc
                            log.warning("%s: cannot run in ONNX Runtime (%s); running in torch", self.path.name, one_line(exc))
                            self.runtime = "torch"
                    model = self._torch_model()
                    self._tok, self._model = tok, (_quantize(model) if self.int8 else model)
        return self._tok, (self._session if self._session is not None else self._model)

    def _torch_model(self):
        return _fp32_model(self.path)

    def _export(self, tok, target: Path) -> None:
        enc = tok(["a question"] * 2, ["an answer"] * 2, return_tensors="pt", padding=True)
        export_fp32(self._torch_model(), {k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc},
                    "logits", target)

    def scores_inputs(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """(N,) float32 in 0..1 for input pairs already built (``scorer_input`` / ``verifier_input``)."""
        import torch

        if not pairs:
            return np.zeros(0, dtype=np.float32)
        tok, model = self._load()
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out = np.zeros(len(pairs), dtype=np.float32)
        if self._session is not None:  # one input per run, as in torch's default batch of 1: no padding
            for i in order:
                enc = tok([pairs[i][0]], [pairs[i][1]], truncation="longest_first", max_length=self.max_tokens,
                          return_tensors="np")
                logit = self._session.run(None, {k: enc[k].astype(np.int64) for k in self._names})[0][0, 0]
                out[i] = 1.0 / (1.0 + np.exp(-np.float64(logit)))
            return np.round(out, 5).astype(np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = tok([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], padding=True,
                          truncation="longest_first", max_length=self.max_tokens, return_tensors="pt")
                out[idx] = torch.sigmoid(model(**enc).logits.float()[:, 0]).numpy()
        return np.round(out, 5).astype(np.float32)


class AnswerScorer(OneOutputModel):
    """The answer scorer: (question, reference, answer) -> the expected grade / 10."""

    def __init__(self, path: str | Path = "default", *, batch_size: int = 1, int8: bool = False,
                 runtime: str = "auto"):
        resolved = resolve_scorer_path(str(path))
        if resolved is None:
            raise JudgeError("the answer scorer is switched off")
        super().__init__(resolved, batch_size=batch_size, int8=int8, runtime=runtime)

    def scores(self, triples: list[tuple[str, str, str]]) -> np.ndarray:
        """(N,) float32 in 0..1: the expected grade / 10 for each (question, reference, answer)."""
        return self.scores_inputs([scorer_input(*t) for t in triples])

    def score(self, question: str, reference: str, answer: str) -> float:
        return float(self.scores([(question, reference, answer)])[0])


def cached_model(cache: dict, key: tuple, make):
    """One model per process and key (thread-safe); ``make()`` returns None when the model is off."""
    with _CACHE_LOCK:
        if key not in cache:
            model = make()
            if model is None:
                return None
            cache[key] = model
        return cache[key]


_CACHE: dict[tuple[str, bool, str], AnswerScorer] = {}
_CACHE_LOCK = threading.Lock()


def resolve_draft_scorer_path(spec: str = "default") -> Path | None:
    """The drafted rubrics' scorer folder (``COACH_DRAFT_SCORER``); None for "same" (or off): the answer
    scorer grades drafts too."""
    if str(spec or "").strip().lower() == "same":
        return None
    return resolve_one_output(spec, DRAFT_SCORER_DIR, setting="COACH_DRAFT_SCORER", what="draft answer scorer",
                              missing=f"the bundled draft answer scorer is missing from {DRAFT_SCORER_DIR}: "
                                      "set COACH_DRAFT_SCORER=same to grade drafts with the answer scorer")


def load_scorer(settings=None) -> AnswerScorer | None:
    """The configured answer scorer (``COACH_ANSWER_SCORER``), one per process; None when it is off."""
    spec, int8, runtime = str(getattr(settings, "answer_scorer", "default")), _int8(settings), _runtime(settings)
    return cached_model(_CACHE, (spec, int8, runtime),
                        lambda: AnswerScorer(spec, int8=int8, runtime=runtime) if resolve_scorer_path(spec) is not None else None)


def load_draft_scorer(settings=None) -> AnswerScorer | None:
    """The scorer for drafted rubrics (``COACH_DRAFT_SCORER``), one per process; None when the answer
    scorer grades drafts too ("same") or every scorer is off (``COACH_ANSWER_SCORER=off``)."""
    if resolve_scorer_path(str(getattr(settings, "answer_scorer", "default"))) is None:
        return None
    path = resolve_draft_scorer_path(str(getattr(settings, "draft_scorer", "default")))
    if path is None:
        return None
    int8, runtime = _int8(settings), _runtime(settings)
    return cached_model(_CACHE, ("draft:" + str(path), int8, runtime), lambda: AnswerScorer(path, int8=int8, runtime=runtime))


def _runtime(settings) -> str:
    """``COACH_FP32_RUNTIME`` (settings may be None: the default, "auto")."""
    return str(getattr(settings, "fp32_runtime", "auto"))


def _int8(settings) -> bool:
    """``COACH_SCORER_INT8`` (settings may be None: the defaults)."""
    return bool(getattr(settings, "scorer_int8", False))
