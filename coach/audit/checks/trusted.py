"""Check ``trusted``: each prose claim against the closest trusted statements, by the judgement model.

For every sentence / list item / table cell, retrieve the nearest trusted statements (dense + concept
name, ``coach/audit/trusted.py``) and ask the judge whether the statement CONTRADICTS the claim. The
claim is read with its question when it is short or starts with a pronoun, so "It outputs values
from -1 to 1" is judged as an answer to "What does tanh do?". A contradiction at or above
``ERROR_MIN`` is an "error" (trusted evidence, confident judge), at or above ``SUSPECT_MIN`` a
"suspect"; the statement is the evidence and the correction. Thresholds are fit on dev data only (the
dev split of the team's source-error key and the audit dev set, ``evals/audit_fit.py``) and stored in
``trusted_thresholds.json``; when no setting was precise enough there, ``suspect_min`` is above 1 and
the judge reading is a no-op (``enabled()``), which is the case today.

Then, whichever model reads (the judge, a claim verifier, or none while no dev fit qualifies), the check flags a claim
that repeats one of its nearest statements with one fact changed, as a suspect (``edit_flags``, no model: experiment
54, README), unless the model already flagged that claim.

Simplified on purpose: one claim is judged against one statement at a time (no multi-hop), and a
claim no trusted statement is close to is never flagged: recall is bounded by the reference's breadth.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np

from coach.audit.types import Claim, Flag
from coach.judge.model import CONTRADICTION, ENTAILMENT

log = logging.getLogger(__name__)
THRESHOLDS_PATH = Path(__file__).resolve().parent.parent / "trusted_thresholds.json"
_PROSE = ("sentence", "list_item", "table_cell")
# the edit reading (``edit_flags``, experiment 54): R picked on dev from 0.4 / 0.5, K from 4 / 10 (README)
EDIT_RATIO = 0.4
EDIT_K = 4
EDIT_MIN_SIM = 0.45
_PRONOUN = re.compile(r"^(?:it|this|they|these|that|those|its|their|such|here|which)\b", re.I)


def thresholds() -> dict:
    defaults = {"error_min": 0.9, "suspect_min": 0.7, "k": 4, "min_sim": 0.45}
    if THRESHOLDS_PATH.exists():
        defaults.update(json.loads(THRESHOLDS_PATH.read_text(encoding="utf-8")).get("thresholds", {}))
    return defaults


def claim_text(claim: Claim) -> str:
    """What the judge reads for a claim: the claim, led by its question when it cannot stand alone."""
    text = claim.text.strip()
    if claim.question and (len(text.split()) < 7 or _PRONOUN.match(text)):
        return f"{claim.question.strip()} {text}"
    return text


def score_claims(claims: list[Claim], context, *, backward: bool = True, th: dict | None = None
                 ) -> list[tuple[Claim, list[tuple[int, float, float, float, float]]]]:
    """[(claim, [(statement index, cosine, p_contradiction forward, p_contradiction backward,
    p_entailment forward), ...])] for every prose claim that has candidates: the raw material that
    ``judge_claims`` thresholds (and ``evals/audit_fit.py`` fits on). Forward = statement as premise;
    ``backward=False`` skips the second reading direction (its probability is then the forward one)."""
    index, judge = context.trusted_index(), context.judge()
    prose = [c for c in claims if c.kind in _PROSE and len(c.text.split()) >= 4]
    if not prose or index is None or judge is None:
        return []
    th = th or thresholds()
    texts = [claim_text(c) for c in prose]
    cands = index.candidates(texts, k=int(th["k"]), min_sim=float(th.get("retrieve_min_sim", th["min_sim"])))
    pairs, owner = [], []
    for ci, (text, cs) in enumerate(zip(texts, cands)):
        for si, sim in cs:
            pairs.append((index.statements[si].text, text))
            owner.append((ci, si, sim))
    if not pairs:
        return []
    fwd = judge.scores(pairs)
    back = judge.scores([(h, p) for p, h in pairs]) if backward else fwd
    per: dict[int, list] = {}
    for (ci, si, sim), f, b in zip(owner, fwd, back):
        per.setdefault(ci, []).append((si, float(sim), float(f[CONTRADICTION]), float(b[CONTRADICTION]), float(f[ENTAILMENT])))
    return [(prose[ci], per[ci]) for ci in sorted(per)]


def best_contradiction(cands, *, symmetric: bool, min_sim: float) -> tuple[int, float, float] | None:
    """(statement index, p_contradiction, p_entailment) of the most contradicting candidate at cosine
    >= ``min_sim``; ``symmetric``: the contradiction must hold in both reading directions (the lower
    probability counts), so a claim that merely says MORE than the statement is not one."""
    best = None
    for si, sim, pf, pb, pe in cands:
        if sim < min_sim:
            continue
        p = min(pf, pb) if symmetric else pf
        if best is None or p > best[1]:
            best = (si, p, pe)
    return best


def judge_claims(claims: list[Claim], context, symmetric: bool | None = None, th: dict | None = None
                 ) -> list[tuple[Claim, int, float, float]]:
    """[(claim, statement index, p_contradiction, p_entailment)] for the best-contradicting statement
    of each prose claim that has candidates at the fitted similarity (the backward reading is judged
    only when the contradiction must be symmetric)."""
    th = th or thresholds()
    sym = symmetric if symmetric is not None else bool(th.get("symmetric", False))
    out = []
    for claim, cands in score_claims(claims, context, backward=sym, th=th):
        b = best_contradiction(cands, symmetric=sym, min_sim=float(th["min_sim"]))
        if b is not None:
            out.append((claim, *b))
    return out


def judge_enabled(th: dict | None = None) -> bool:
    """Whether the dev fit found a judge-pair setting precise enough to flag anything."""
    return float((th or thresholds())["suspect_min"]) <= 1.0


def enabled(th: dict | None = None) -> bool:
    """Whether the dev fit found a setting precise enough to flag anything, by the claim verifier or by
    the judge's pairwise contradictions (else the check is a no-op)."""
    th = th or thresholds()
    return judge_enabled(th) or float(verifier_thresholds(th)["suspect_min"]) <= 1.0


def verifier_thresholds(th: dict | None = None) -> dict:
    """The verifier's fitted setting (``suspect_min`` above 1: the verifier flags nothing)."""
    out = {"suspect_min": 1.01, "error_min": 1.01, "min_sim": 0.45}
    out.update((th or thresholds()).get("verifier", {}))
    return out


def verify_claims(claims: list[Claim], context) -> list[tuple[Claim, float, list[tuple[int, float]]]]:
    """[(claim, P(refuted), [(statement index, cosine), ...])] for every prose claim: the claim read by the
    claim verifier against its ``EVIDENCE_K`` nearest trusted statements. Empty without a verifier."""
    from coach.judge.verifier import EVIDENCE_K

    verifier = context.verifier()
    index = context.trusted_index() if verifier is not None else None
    prose = [c for c in claims if c.kind in _PROSE and len(c.text.split()) >= 4]
    if not prose or index is None or not len(index.statements):
        return []
    texts = [claim_text(c) for c in prose]
    cands = index.candidates(texts, k=EVIDENCE_K, min_sim=-1.0, max_keyword=0)
    p = verifier.scores([(t, [index.statements[si].text for si, _ in cs]) for t, cs in zip(texts, cands)])
    return [(c, float(pi), cs) for c, pi, cs in zip(prose, p, cands) if cs]


def _correction(claim: Claim, cands: list[tuple[int, float]], context) -> tuple[int, float | None]:
    """Which of the evidence statements the flag cites: the one the judge finds most contradicting
    (the verifier reads them together), else the nearest."""
    index, judge = context.trusted_index(), context.judge()
    if judge is None or len(cands) == 1:
        return cands[0][0], None
    probs = judge.scores([(index.statements[si].text, claim_text(claim)) for si, _ in cands])
    best = int(np.argmax([float(pr[CONTRADICTION]) for pr in probs]))
    return cands[best][0], float(probs[best][CONTRADICTION])


def _verifier_flags(claims: list[Claim], context, th: dict) -> list[Flag]:
    vt = verifier_thresholds(th)
    if float(vt["suspect_min"]) > 1.0:
        return []
    index, flags = context.trusted_index(), []
    for claim, p, cands in verify_claims(claims, context):
        if p < vt["suspect_min"] or cands[0][1] < vt["min_sim"]:
            continue
        si, p_contra = _correction(claim, cands, context)
        st = index.statements[si]
        verdict = "error" if p >= vt["error_min"] else "suspect"
        evidence = [{"type": "trusted", "text": st.text, "ref": f"{st.origin}#{st.id}", "concept": st.concept,
                     "p_refuted": round(p, 4)}]
        if p_contra is not None:
            evidence[0]["p_contradiction"] = round(p_contra, 4)
        flags.append(Flag.from_claim(
            claim, verdict=verdict, kind="contradiction", severity="major" if verdict == "error" else "minor",
            check="trusted",
            reason=f"the trusted statements on {st.concept or st.topic or 'this concept'} refute it "
                   f"(claim verifier {p:.2f})",
            correction=st.text, evidence=evidence,
        ))
    return flags


def edit_flags(claims: list[Claim], context) -> list[Flag]:
    """A claim that copies one of its nearest trusted statements with one fact changed (a number, a negation, a word
    for its opposite, two terms exchanged: ``coach/grading/edits.py``, the reading that finds the same slips in an
    answer) is a suspect, the statement its evidence and correction. No model reads the pair: the change is plain
    when the two are laid side by side, and a claim in other words than every statement is never read."""
    from coach.grading.edits import MIN_WORDS, edit_basis, fact_changes

    index = context.trusted_index()
    prose = [c for c in claims if c.kind in _PROSE and len(c.text.split()) >= MIN_WORDS]
    if not prose or index is None or not len(index.statements):
        return []
    cands = index.candidates([c.text for c in prose], k=EDIT_K, min_sim=EDIT_MIN_SIM)
    flags = []
    for claim, cs in zip(prose, cands):
        said = [index.statements[si] for si, _ in cs]
        got = fact_changes([claim.text], [st.text for st in said], ratio=EDIT_RATIO, aligned=True)
        if 0 not in got:
            continue
        j, (kind, old, new) = got[0]
        st = said[j]
        basis = edit_basis(kind, old, new, st.text, claim.text, copied="a trusted statement")
        flags.append(Flag.from_claim(
            claim, verdict="suspect", kind="contradiction", severity="minor", check="trusted",
            reason=f"{basis} (on {st.concept or st.topic or 'this concept'})",
            correction=st.text,
            evidence=[{"type": "trusted", "text": st.text, "ref": f"{st.origin}#{st.id}", "concept": st.concept,
                       "edit": kind}],
        ))
    return flags


def check_trusted(claims: list[Claim], context) -> list[Flag]:
    th = thresholds()
    if float(verifier_thresholds(th)["suspect_min"]) <= 1.0 and context.verifier() is not None:
        return _with_edit_flags(_verifier_flags(claims, context, th), claims, context)
    if not judge_enabled(th):
        return edit_flags(claims, context)
    return _with_edit_flags(_judge_flags(claims, context, th), claims, context)


def _with_edit_flags(flags: list[Flag], claims: list[Claim], context) -> list[Flag]:
    """``flags`` (a model's reading) and the edit reading's flags on the claims they leave unflagged: the edit reading
    needs no model and reads what a model misses. A qualified judge setting replaced it, and a dev run lost both of a
    walkthrough dev set's "one fact changed" flags with it (experiment 70, README)."""
    said = {(f.source, f.line_start, f.line_end, f.quote) for f in flags}
    return flags + [f for f in edit_flags(claims, context) if (f.source, f.line_start, f.line_end, f.quote) not in said]


def _judge_flags(claims: list[Claim], context, th: dict) -> list[Flag]:
    index = context.trusted_index()
    flags = []
    for claim, si, p_contra, _ in judge_claims(claims, context, th=th):
        if p_contra < th["suspect_min"]:
            continue
        st = index.statements[si]
        verdict = "error" if p_contra >= th["error_min"] else "suspect"
        flags.append(Flag.from_claim(
            claim, verdict=verdict, kind="contradiction", severity="major" if verdict == "error" else "minor",
            check="trusted",
            reason=f"contradicts the trusted statement on {st.concept or st.topic or 'this concept'} "
                   f"(judge confidence {p_contra:.2f})",
            correction=st.text,
            evidence=[{"type": "trusted", "text": st.text, "ref": f"{st.origin}#{st.id}",
                       "concept": st.concept, "p_contradiction": round(float(np.round(p_contra, 4)), 4)}],
        ))
    return flags
