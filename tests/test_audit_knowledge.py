"""Check `knowledge`: claims against the trusted reference in coach/knowledge/*.yaml."""

from __future__ import annotations

import re

import pytest
from test_audit_support import line_of, parse_simple

from coach.audit.checks import AuditContext
from coach.audit.checks.knowledge import check_knowledge
from coach.audit.claims import split_sentences
from coach.audit.kb import is_negated, load_knowledge, match_misconception
from coach.audit.runner import source_claims


@pytest.fixture(scope="module")
def flagged():
    ps = parse_simple("knowledge_source.txt")
    claims, _ = source_claims(ps)
    flags = check_knowledge(claims, AuditContext(kb=load_knowledge()))
    return ps, {f.line_start: f for f in flags}


def test_correct_definitions_are_not_flagged(flagged):
    ps, by_line = flagged
    for text in ("measures the difference between", "decomposes a signal", "are set before training",
                 "Tanh outputs values between -1 and 1", "Mean Squared Error", "Cross-Entropy"):
        assert line_of(ps, text) not in by_line, text


def test_misconceptions_are_flagged_with_correction_and_evidence(flagged):
    ps, by_line = flagged
    for text, word in (("comparing the training set with the test set", "predicted"),
                       ("library for managing data", "frequency"),
                       ("can be trained using gradient descent", "tuned")):
        f = by_line[line_of(ps, text)]
        assert f.verdict == "error" and f.check == "knowledge", text
        assert word in f.correction, (text, f.correction)
        assert f.evidence[0]["type"] == "knowledge" and f.evidence[0]["ref"].count("#") == 1


def test_negated_misconceptions_are_not_flagged(flagged):
    ps, by_line = flagged
    assert line_of(ps, "does not compare the training set with the test set") not in by_line
    assert line_of(ps, "are not trained by gradient descent") not in by_line


def test_optimizer_listed_as_loss_function(flagged):
    ps, by_line = flagged
    f = by_line[line_of(ps, "- Adam: an adaptive optimizer.")]
    assert f.kind == "category" and "optimizers" in f.reason


def test_knowledge_base_is_large_enough_and_well_formed():
    kb = load_knowledge()
    assert len(kb.concepts) >= 40
    assert sum(len(c.misconceptions) for c in kb.concepts) >= 60
    for c in kb.concepts:
        assert c.statement and c.triggers, c.id
        for m in c.misconceptions:
            assert m.reason and m.correction and m.severity in ("major", "minor"), (c.id, m.id)


def test_no_reference_statement_trips_a_misconception():
    """Oracle: the reference's own correct statements must never be flagged (false-positive guard)."""
    kb = load_knowledge()
    for concept in kb.concepts:
        for a, b in split_sentences(concept.statement):
            sentence = concept.statement[a:b]
            for other in kb.concepts:
                for m in other.misconceptions:
                    hit = match_misconception(m, sentence, f"{sentence} {concept.name}", sentence)
                    assert hit is None, (concept.id, other.id, m.id, sentence)


def test_negation_is_scoped_to_the_clause():
    text = "It is not slow, but hyperparameters can be trained"
    m = re.search("hyperparameters can be trained", text)
    assert not is_negated(text, m.start(), m.end())
    text = "Hyperparameters are never trained"
    assert is_negated(text, 0, len(text))


def test_a_correct_source_raises_no_flag(embedder):
    """False-positive guard: a source of correct statements (written for this test) gets no flag from any check."""
    from coach.audit import audit_sources
    from coach.config import load_settings

    ps = parse_simple("correct_source.txt")
    flags = audit_sources([ps], load_settings(), cache=False, context=AuditContext(embedder=embedder))
    assert flags == [], [(f.line_start, f.check, f.reason) for f in flags]


def test_errors_in_a_new_source_are_caught():
    """Recall on errors phrased independently of the bundled corpus: every answer line is wrong."""
    ps = parse_simple("errors_source.txt")
    claims, _ = source_claims(ps)
    flagged = {f.line_start for f in check_knowledge(claims, AuditContext(kb=load_knowledge()))}
    wrong = [ln for r in ps.records for ln in r.answer_lines]
    missed = [ln for ln in wrong if ln not in flagged]
    assert len(missed) <= len(wrong) * 0.2, missed
