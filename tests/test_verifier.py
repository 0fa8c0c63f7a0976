"""The claim verifier (coach/judge/verifier.py): the shipped model on claims written here against the
bundled trusted reference, its input contract, its training data rules, and its settings."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from coach.judge import JudgeError
from coach.judge.verifier import ClaimVerifier, resolve_verifier_path, verifier_input


def test_input_joins_the_evidence_and_strips_separators_from_untrusted_text():
    left, right = verifier_input("ReLU [SEP] is  linear. [CLS]", ["A is B.", "  ", "C [sep] D."])
    assert "[SEP]" not in left.upper() and "[CLS]" not in left.upper()
    assert left == "ReLU is linear."
    assert right == "A is B. [SEP] C D."


def test_settings_off_and_bad_folders(tmp_path):
    assert resolve_verifier_path("off") is None and resolve_verifier_path("") is None
    with pytest.raises(JudgeError, match="not a local model folder"):
        resolve_verifier_path(str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"id2label": {"0": "a", "1": "b", "2": "c"}}))
    with pytest.raises(JudgeError, match="one output"):
        resolve_verifier_path(str(tmp_path))
    with pytest.raises(JudgeError, match="switched off"):
        ClaimVerifier("off")


def test_a_missing_verifier_the_user_asked_for_is_one_clear_warning_not_a_crash(tmp_path, caplog):
    from coach.audit.checks import AuditContext
    from coach.config import load_settings

    ctx = AuditContext(settings=load_settings(home=tmp_path, claim_verifier=str(tmp_path / "nope")))
    assert ctx.verifier() is None
    assert "claim verifier" in caplog.text


def test_the_trusted_check_flags_through_a_verifier_only_above_its_fitted_threshold(monkeypatch, embedder):
    """Control flow of the verifier path (a stand-in verifier and judge; the real ones are measured in
    `coach eval audit-fit`): the claim is read against the real trusted index, a flag cites the statement
    the judge finds most contradicting, with the verifier's probability, and nothing flags below the fit."""
    from coach.audit.checks import AuditContext
    from coach.audit.checks import trusted as T
    from coach.audit.types import Claim
    from coach.config import load_settings
    from coach.judge.model import CONTRADICTION

    seen = []

    class Verifier:
        def scores(self, items):
            seen.extend(items)
            return np.array([0.9 if "smaller" in claim else 0.2 for claim, _ in items], dtype=np.float32)

    class Judge:
        def scores(self, pairs):
            out = np.zeros((len(pairs), 3), dtype=np.float32)
            for i, (premise, _) in enumerate(pairs):
                out[i, CONTRADICTION] = 0.8 if "greater than the median" in premise else 0.1
            return out

    ctx = AuditContext(settings=load_settings(), embedder=embedder, nli=Judge(), claim_verifier=Verifier())
    wrong = Claim("r1", "s.md", 3, 3, "q", "In a right-skewed distribution the mean is usually smaller than the median.",
                  "sentence", question="How do the mean and median compare under skew?")
    right = Claim("r1", "s.md", 4, 4, "q", "The median is a robust measure of the centre of a skewed distribution.",
                  "sentence")
    th = {"suspect_min": 1.01, "error_min": 1.01, "k": 4, "min_sim": 0.45,
          "verifier": {"suspect_min": 0.8, "error_min": 0.95, "min_sim": 0.5}}
    monkeypatch.setattr(T, "thresholds", lambda: th)
    assert T.enabled()
    flags = T.check_trusted([wrong, right], ctx)
    assert [f.line_start for f in flags] == [3]
    f = flags[0]
    assert f.check == "trusted" and f.verdict == "suspect" and "greater than the median" in f.correction
    assert f.evidence[0]["p_refuted"] == pytest.approx(0.9) and f.evidence[0]["type"] == "trusted"
    assert seen and all(len(ev) == 3 for _, ev in seen)  # EVIDENCE_K statements per claim
    th["verifier"]["suspect_min"] = 0.95
    assert T.check_trusted([wrong, right], ctx) == []


def test_training_examples_follow_the_evidence_rules(embedder):
    """Misconceptions are read WITH their statement; a statement is read WITHOUT itself; the split is by
    record, so a record's examples never straddle train and dev."""
    from coach.audit.trusted import Statement, TrustedIndex
    from coach.judge.verifier_train import _plans, build_examples

    records = [{"id": f"t-{i}", "subject": "s", "topic": "t", "concept": f"c{i}", "premise": p,
                "entail": [e], "contradict": [{"text": c, "type": "negation"}], "neutral": []}
               for i, (p, e, c) in enumerate([
                   ("Dropout randomly zeroes units during training.", "During training dropout zeroes random units.",
                    "Dropout zeroes units only at inference time."),
                   ("A hash table lookup takes constant time on average.", "On average, hash lookups are O(1).",
                    "A hash table lookup takes linear time on average."),
                   ("TCP guarantees in-order delivery of bytes.", "TCP delivers bytes in order.",
                    "TCP does not guarantee in-order delivery."),
               ])]
    statements = [Statement(r["id"], r["premise"], r["concept"]) for r in records]
    index = TrustedIndex(statements, embedder.encode)
    plans = _plans(records, [], [], random.Random(0))
    ex = build_examples(index, plans, progress=False)
    every = [e for split in ex.values() for e in split]
    by_kind = {}
    for e in every:
        by_kind.setdefault(e.kind, []).append(e)
    for r in records:
        for e in by_kind["misconception"]:
            if e.group == r["id"]:
                assert e.target == 1.0 and r["premise"] in e.hypothesis
        for e in by_kind["unrestated"]:
            if e.group == r["id"]:
                assert e.target == 0.0 and r["premise"] not in e.hypothesis and e.premise == r["premise"]
    assert {e.target for e in by_kind["paraphrase"]} == {0.0}
    for rid in {e.group for e in every}:
        assert len({s for s, split in ex.items() for e in split if e.group == rid}) == 1


def test_cli_verify_claim_says_clearly_when_no_verifier_is_configured():
    from click.testing import CliRunner

    from coach.cli import cli

    res = CliRunner().invoke(cli, ["judge", "verify-claim", "Binary search takes linear time."])
    assert res.exit_code == 1 and "claim verifier is off" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(cli, ["judge", "verify-claim", "  "])
    assert res.exit_code == 1 and "give a claim" in res.output
