"""Named audit checks. Each is ``check_<name>(claims, context) -> list[Flag]`` in ``checks/<name>.py``.

Per-source checks (``code``, ``arithmetic``, ``knowledge``, ``trusted``, ``llm``) see one source's claims at a time and
are cached by the source's sha256; ``cross_source`` (every source's claims) and ``reported`` (the errors the user
reported, ``coach/audit/reported.py``) are recomputed on every run.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

PER_SOURCE = ("code", "arithmetic", "knowledge", "trusted", "llm")
CROSS_SOURCE = ("cross_source",)
EVERY_RUN = CROSS_SOURCE + ("reported",)  # not cached per source: they read more than one source's text (the
# cross-source check is cached under every source together, ``coach.audit.runner``)
ALL_CHECKS = PER_SOURCE + EVERY_RUN
# "trusted" runs by default but flags only where its dev fit (coach/audit/trusted_thresholds.json,
# `coach eval audit-fit`) found a setting whose flags are at least half right with a false-positive rate
# <= 0.1; otherwise it is a no-op that costs nothing
DEFAULT_CHECKS = ("code", "arithmetic", "knowledge", "trusted", "cross_source", "llm", "reported")
# the user's own report wins a tie: its correction is the one shown and drafted from
PRIORITY = {name: i for i, name in enumerate(("reported", "code", "arithmetic", "knowledge", "trusted", "llm", "cross_source"))}


@dataclass
class AuditContext:
    """What a check may use besides the claims: settings, the knowledge base, records, an embedder."""

    settings: Any = None
    kb: Any = None
    records: dict = field(default_factory=dict)  # record_id -> Record
    embedder: Any = None  # a SentenceTransformer-like object with .encode, or None (loaded lazily when needed)
    llm: Any = None  # an object with .generate(prompt) (tests), else loaded from settings when trusted
    nli: Any = None  # a coach.judge.Judge, else loaded from settings on first use
    trusted: Any = None  # a coach.audit.trusted.TrustedIndex, else built on first use
    claim_verifier: Any = None  # a coach.judge.verifier.ClaimVerifier, else loaded from settings on first use

    def judge(self):
        """The judgement model, or None (with a warning) when it cannot be loaded."""
        if self.nli is None:
            from coach.judge import JudgeError, load_judge

            try:
                self.nli = load_judge(self.settings)
            except JudgeError as exc:
                import logging

                logging.getLogger(__name__).warning("audit without the judgement model: %s", exc)
                self.nli = False
        return self.nli or None

    def verifier(self):
        """The claim verifier, or None (with a warning when the configured one cannot be loaded)."""
        if self.claim_verifier is None:
            from coach.judge import JudgeError
            from coach.judge.verifier import load_verifier

            try:
                self.claim_verifier = load_verifier(self.settings) or False
            except JudgeError as exc:
                import logging

                logging.getLogger(__name__).warning("audit without the claim verifier: %s", exc)
                self.claim_verifier = False
        return self.claim_verifier or None

    def trusted_index(self):
        """The trusted reference's retrieval index (built once per context)."""
        if self.trusted is None:
            from coach.audit.trusted import build_trusted_index

            if self.embedder is None:
                from coach.models import embedding_model_path
                from sentence_transformers import SentenceTransformer

                self.embedder = SentenceTransformer(embedding_model_path(self.settings), device="cpu")
            self.trusted = build_trusted_index(self.settings, self.embedder.encode)
        return self.trusted


FACTS_NOT_VERIFIED = "statements of fact are not verified"  # how not_verified's first note begins


def not_verified(checks=DEFAULT_CHECKS, settings=None, web: bool = False) -> list[str]:
    """One line per selected check that cannot flag anything as configured: what an audit with few or no flags
    did not verify (said by `coach check`, `coach index add` and in every audit report). ``web``: said to a web UI
    user, without the commands and settings a terminal user acts on (a walkthrough read "refit with `coach eval
    audit-fit`" and "COACH_LLM_TRUSTED=1" in the web UI as developer wording)."""
    out = []
    if "trusted" in checks:
        from coach.audit.checks.trusted import enabled

        if not enabled():
            # what it means for the user first (a walkthrough read only the fit's jargon), then why
            out.append(FACTS_NOT_VERIFIED + ": the audit checks code, arithmetic, known error patterns and sentences "
                       "that repeat a trusted statement with one fact changed, so any other wrong sentence in a source "
                       "is taken as true until you report it " + (
                           "(Report a wrong sentence in a source, below)" if web else
                           "(`coach corrections add`, or Report a wrong sentence in the web UI's Sources tab); the "
                           "`trusted` check's judge reading flags nothing, since no setting of its dev fit was precise "
                           "enough (refit with `coach eval audit-fit`)"))
    if "llm" in checks:
        from coach.audit.checks.llm import configured

        if not configured(settings):
            out.append("no language model checks facts: the bundled one cannot judge them" if web else
                       "the `llm` check is off: no trusted LLM is configured (COACH_LLM_TRUSTED=1 with a model other "
                       "than the bundled SmolLM2, which cannot judge facts)")
    return out


def get_check(name: str):
    if name not in ALL_CHECKS:
        raise KeyError(name)
    module = importlib.import_module(f"coach.audit.checks.{name}")
    return getattr(module, f"check_{name}")
