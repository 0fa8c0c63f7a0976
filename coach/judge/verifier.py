"""``ClaimVerifier``: (claim, trusted evidence statements) -> probability that the evidence REFUTES the claim.

A third small model kind beside the NLI judge and the answer scorer, made for the source audit: a
cross-encoder with one output, trained (``coach judge train-verifier``, ``coach/judge/verifier_train.py``)
on the team's trusted statements and the misconceptions written against them, each claim read against
the statements the audit's own retrieval finds for it. Unlike the pairwise judge it sees the evidence
the way the audit has it (the k nearest statements, most of them about something else) and is trained
to say "not refuted" for a correct claim that no statement restates, which is most of a document.

Same contract as the other two: loaded once, lazily; deterministic (eval mode, one input per forward
pass, outputs rounded to 1e-5); int8 dynamic quantisation on CPU by default.

Status (measured 2026-12-01): NOT shipped and off by default (``COACH_CLAIM_VERIFIER=off``). Two
trainings reached ROC AUC 0.92 and 0.88 on their own held-out records but 0.535 and 0.506 on the
audit dev set's planted errors vs its correct claims, i.e. chance, like the judge (datasheet:
``coach/judge/data/README.md``, "The claim verifier"). The interface, training and dev fit are kept so
a better verifier (a bigger encoder, more varied data) drops in: train it, point the setting at it,
run ``coach eval audit-fit``; it flags only where that fit qualifies.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from coach.judge.model import JudgeError, _quantize
from coach.judge.scorer import _clean

VERIFIER_DIR = Path(__file__).resolve().parent / "verifier_weights"
MAX_TOKENS = 192  # word pieces per (claim, evidence) input; the longer side is cut first
EVIDENCE_K = 3  # trusted statements read with each claim (the nearest by the audit's retrieval)


def verifier_input(claim: str, evidence: list[str]) -> tuple[str, str]:
    """The text pair the verifier reads: the claim, and the evidence statements joined by the
    separator token (untrusted text cannot insert separators of its own). One function, so training
    and the audit build inputs the same way."""
    return _clean(claim), " [SEP] ".join(_clean(e) for e in evidence if _clean(e))


def resolve_verifier_path(spec: str = "default") -> Path | None:
    """The verifier's folder; None when switched off ("off"/"none"/"") or, for "default", not bundled."""
    spec = str(spec or "").strip()
    if spec.lower() in ("", "off", "none", "0", "false"):
        return None
    path = VERIFIER_DIR if spec == "default" else Path(spec).expanduser()
    if not (path / "config.json").exists():
        if spec == "default":
            raise JudgeError(f"no claim verifier in {path} (none is shipped): train one with "
                             "`coach judge train-verifier`, or set COACH_CLAIM_VERIFIER=off")
        raise JudgeError(f"COACH_CLAIM_VERIFIER={spec!r} is not a local model folder with a config.json")
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    if int(config.get("num_labels", len(config.get("id2label") or {}))) != 1:
        raise JudgeError(f"claim verifier {path}: needs a model with one output, "
                         f"this one has {len(config.get('id2label') or {})} labels")
    return path


class ClaimVerifier:
    """A cross-encoder with one logit (refuted), loaded lazily once. Thread-safe."""

    def __init__(self, path: str | Path = "default", *, batch_size: int = 1, int8: bool = True):
        resolved = resolve_verifier_path(str(path))
        if resolved is None:
            raise JudgeError("the claim verifier is switched off")
        self.path = resolved
        # one input per forward pass: int8 dynamic quantisation scales activations per batch (see scorer.py)
        self.batch_size = batch_size
        self.int8 = int8
        self._model = None
        self._tok = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    import torch
                    from transformers import AutoModelForSequenceClassification, AutoTokenizer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                    tok = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
                    model = AutoModelForSequenceClassification.from_pretrained(
                        str(self.path), local_files_only=True, dtype=torch.float32
                    )
                    model.eval()
                    self._tok, self._model = tok, (_quantize(model) if self.int8 else model)
        return self._tok, self._model

    def scores(self, items: list[tuple[str, list[str]]]) -> np.ndarray:
        """(N,) float32 in 0..1: P(the evidence refutes the claim) for each (claim, evidence statements)."""
        return self.scores_inputs([verifier_input(c, ev) for c, ev in items])

    def scores_inputs(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        import torch

        if not pairs:
            return np.zeros(0, dtype=np.float32)
        tok, model = self._load()
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out = np.zeros(len(pairs), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = tok([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], padding=True,
                          truncation="longest_first", max_length=MAX_TOKENS, return_tensors="pt")
                out[idx] = torch.sigmoid(model(**enc).logits.float()[:, 0]).numpy()
        return np.round(out, 5).astype(np.float32)


_CACHE: dict[tuple[str, bool], ClaimVerifier] = {}
_CACHE_LOCK = threading.Lock()


def load_verifier(settings=None) -> ClaimVerifier | None:
    """The configured claim verifier (``COACH_CLAIM_VERIFIER``), one per process; None when it is off."""
    spec = str(getattr(settings, "claim_verifier", "off")) if settings is not None else "off"
    int8 = bool(getattr(settings, "judge_int8", True)) if settings is not None else True
    with _CACHE_LOCK:
        if (spec, int8) not in _CACHE:
            if resolve_verifier_path(spec) is None:
                return None
            _CACHE[(spec, int8)] = ClaimVerifier(spec, int8=int8)
        return _CACHE[(spec, int8)]
