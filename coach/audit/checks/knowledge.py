"""Check ``knowledge``: claims compared against the trusted reference in ``coach/knowledge/*.yaml``.

For every claim and every concept the claim's surroundings mention (a trigger regex over claim +
paragraph + list header + question), each misconception regex of that concept is tried with its gates and
negation handling (``coach.audit.kb.match_misconception``). A list whose header names one category
("loss functions include:") but whose item belongs to a disjoint one (an optimizer) is flagged too.

Simplified on purpose: pattern matching, not entailment. It finds the phrasings experts wrote down and
nothing else; the embedding model is not used here (triggers are cheap and explainable), so a paraphrase
that avoids every pattern is missed rather than guessed at.
"""

from __future__ import annotations

import re

from coach.audit.kb import load_knowledge, match_misconception
from coach.audit.types import Claim, Flag

_PROSE_KINDS = ("sentence", "list_item", "table_cell", "formula")


def context_text(claim: Claim) -> str:
    return " ".join(x for x in (claim.text, claim.context, claim.header, claim.question) if x)


def check_knowledge(claims: list[Claim], context) -> list[Flag]:
    kb = getattr(context, "kb", None) or load_knowledge()
    flags: list[Flag] = []
    for claim in claims:
        if claim.kind not in _PROSE_KINDS:
            continue
        wide = context_text(claim)
        near = f"{claim.context} {claim.text}".strip()
        for concept in kb.concepts:
            if not concept.is_about(wide):
                continue
            for mis in concept.misconceptions:
                hit = match_misconception(mis, claim.text, wide, near)
                if hit is None:
                    continue
                flags.append(Flag.from_claim(
                    claim, verdict="error", kind=mis.kind, severity=mis.severity, check="knowledge",
                    reason=mis.reason.strip(), correction=mis.correction.strip(),
                    evidence=[{"type": "knowledge", "text": concept.statement,
                               "ref": f"{concept.source}#{concept.id}/{mis.id}", "matched": hit.group(0)}]))
        if claim.kind == "list_item" and claim.header:
            flags.extend(_category_flags(claim, kb))
    return flags


def _item_name(text: str) -> str:
    name = text.split(":", 1)[0] if ":" in text[:60] else text
    return re.sub(r"[*_`“”\"]", "", name).strip()


def _category_flags(claim: Claim, kb) -> list[Flag]:
    name = _item_name(claim.text)
    out = []
    header_cats = [c for c, rx in kb.category_headers.items() if rx.search(claim.header)]
    if len(header_cats) == 1:
        said = header_cats[0]
        in_said = any(rx.search(name) for rx in kb.categories[said])
        actual = [c for c, members in kb.categories.items() if c != said and any(rx.search(name) for rx in members)]
        if actual and not in_said:
            pretty = lambda c: c.replace("_", " ")  # noqa: E731
            out.append(Flag.from_claim(
                claim, verdict="error", kind="category", severity="major", check="knowledge",
                reason=f"'{name}' is listed under {pretty(said)}, but it is one of the {pretty(actual[0])}, not a {pretty(said)[:-1]}.",
                correction=f"List '{name}' under {pretty(actual[0])}; keep the {pretty(said)} list to actual {pretty(said)}.",
                evidence=[{"type": "knowledge", "text": f"{name}: member of {pretty(actual[0])}", "ref": "categories.yaml"},
                          {"type": "source", "text": claim.header, "source": claim.source}]))
    for rule in kb.list_rules:
        if rule["header"].search(claim.header) and rule["item"].search(name):
            out.append(Flag.from_claim(
                claim, verdict=rule.get("verdict", "suspect"), kind=rule.get("kind", "factual"),
                severity=rule.get("severity", "minor"), check="knowledge", reason=rule["reason"],
                correction=rule["correction"],
                evidence=[{"type": "knowledge", "text": rule["reason"], "ref": "categories.yaml#list_rules"}]))
    return out
