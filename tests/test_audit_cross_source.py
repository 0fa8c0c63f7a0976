"""Check `cross_source`: the same question answered differently by two sources is suspect on both sides."""

from __future__ import annotations

from test_audit_support import line_of, parse_simple

from coach.audit.checks import AuditContext
from coach.audit.checks.cross_source import _similarity_matrix, check_cross_source
from coach.audit.kb import load_knowledge
from coach.audit.runner import source_claims


def _claims(group: bool):
    out = []
    for name in ("cross_a.txt", "cross_b.txt"):
        ps = parse_simple(name, group=group)
        out.append(ps)
    claims = [c for ps in out for c in source_claims(ps)[0]]
    return out, claims


def _check(claims, **ctx):
    return check_cross_source(claims, AuditContext(kb=load_knowledge(), **ctx))


def test_disagreement_is_suspect_on_both_sides_with_both_as_evidence():
    (a, b), claims = _claims(group=True)
    flags = [f for f in _check(claims) if "range" in f.reason]
    sides = {(f.source, f.line_start) for f in flags}
    assert sides == {("cross_a.txt", line_of(a, "between -1 and 1")), ("cross_b.txt", line_of(b, "between 0 and 1"))}
    for f in flags:
        assert f.verdict == "suspect" and f.check == "cross_source"
        assert {e["source"] for e in f.evidence if e["type"] == "source"} == {"cross_a.txt", "cross_b.txt"}


def test_agreement_raises_nothing():
    (a, b), claims = _claims(group=True)
    lstm = [f for f in _check(claims) if "gates" in f.reason or f.line_start == line_of(a, "three gates")]
    assert lstm == []


def test_reference_decides_which_side_is_wrong():
    (a, b), claims = _claims(group=True)
    ref = [f for f in _check(claims) if f.evidence and any(e.get("ref", "").endswith("tanh_range_0_1") for e in f.evidence)]
    assert [(f.source, f.line_start) for f in ref] == [("cross_b.txt", line_of(b, "between 0 and 1"))]


def test_without_group_ids_questions_are_matched_by_embedding(embedder):
    (a, b), claims = _claims(group=False)
    flags = [f for f in _check(claims, embedder=embedder) if "range" in f.reason]
    assert len(flags) == 2
    sims = _similarity_matrix(["What is the output range of tanh?", "What is the range of the tanh function?",
                               "How does dropout work?"], AuditContext(embedder=embedder))
    assert sims[0][1] > 0.8 > sims[0][2]


def test_judged_disagreements_are_not_computed_while_the_dev_fit_turns_them_off(monkeypatch):
    """cross_min above 1 (the shipped fit: no setting was precise enough) can flag nothing, so the judge is never asked
    (it was most of an audit's time). With a reachable threshold the same claims are judged."""
    import numpy as np

    from coach.audit.checks import trusted

    class CountingJudge:  # control flow only: how often the check asks
        calls = 0

        def scores(self, pairs):
            CountingJudge.calls += 1
            return np.tile([0.0, 0.0, 1.0], (len(pairs), 1))

    _, claims = _claims(group=True)
    judge = CountingJudge()
    assert trusted.thresholds()["cross_min"] > 1  # as shipped
    assert not [f for f in _check(claims, nli=judge) if "says the opposite" in f.reason] and CountingJudge.calls == 0
    monkeypatch.setattr(trusted, "thresholds", lambda: {"cross_min": 0.97})
    assert [f for f in _check(claims, nli=judge) if "says the opposite" in f.reason] and CountingJudge.calls > 0
