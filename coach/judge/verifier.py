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

from pathlib import Path

import numpy as np

from coach.judge.model import JudgeError
from coach.judge.scorer import OneOutputModel, _clean, cached_model, resolve_one_output

VERIFIER_DIR = Path(__file__).resolve().parent / "verifier_weights"
MAX_TOKENS = 192  # word pieces per (claim, evidence) input; the longer side is cut first
EVIDENCE_K = 3  # trusted statements read with each claim (the nearest by the audit's retrieval)


def verifier_input(claim: str, evidence: list[str]) -> tuple[str, str]:
    """The text pair the verifier reads: the claim, and the evidence statements joined by the
    separator token (untrusted text cannot insert separators of its own). One function, so training
    and the audit build inputs the same way."""
    return _clean(claim), " [SEP] ".join(_clean(e) for e in evidence if _clean(e))


def resolve_verifier_path(spec: str = "default") -> Path | None:
    """The verifier's folder; None when switched off ("off"/"none"/"")."""
    return resolve_one_output(spec, VERIFIER_DIR, setting="COACH_CLAIM_VERIFIER", what="claim verifier",
                              missing=f"no claim verifier in {VERIFIER_DIR} (none is shipped): train one with "
                                      "`coach judge train-verifier`, or set COACH_CLAIM_VERIFIER=off")


class ClaimVerifier(OneOutputModel):
    """The claim verifier: (claim, trusted evidence statements) -> P(the evidence refutes the claim)."""

    max_tokens = MAX_TOKENS

    def __init__(self, path: str | Path = "default", *, batch_size: int = 1, int8: bool = True):
        resolved = resolve_verifier_path(str(path))
        if resolved is None:
            raise JudgeError("the claim verifier is switched off")
        super().__init__(resolved, batch_size=batch_size, int8=int8)

    def scores(self, items: list[tuple[str, list[str]]]) -> np.ndarray:
        """(N,) float32 in 0..1: P(the evidence refutes the claim) for each (claim, evidence statements)."""
        return self.scores_inputs([verifier_input(c, ev) for c, ev in items])


_CACHE: dict[tuple[str, bool], ClaimVerifier] = {}


def load_verifier(settings=None) -> ClaimVerifier | None:
    """The configured claim verifier (``COACH_CLAIM_VERIFIER``), one per process; None when it is off."""
    spec = str(getattr(settings, "claim_verifier", "off")) if settings is not None else "off"
    int8 = bool(getattr(settings, "judge_int8", True)) if settings is not None else True
    return cached_model(_CACHE, (spec, int8),
                        lambda: ClaimVerifier(spec, int8=int8) if resolve_verifier_path(spec) is not None else None)
