"""Deduplicate overlapping flags from different checks: keep the strongest, merge the evidence.

Strength: verdict (error > suspect), then severity (major > minor), then check priority
(reported > code > arithmetic > knowledge > trusted > llm > cross_source: the user's own report wins). Two flags overlap when they are in the same source
and their line spans intersect; a user's report overlaps only a flag on the same claim (``_merges``).
"""

from __future__ import annotations

from coach.audit.checks import PRIORITY
from coach.audit.types import Flag


def _key(f: Flag):
    v, s = f.strength()
    return (-v, -s, PRIORITY.get(f.check, 99), f.line_start, f.line_end)


def _same_claim(a: Flag, b: Flag) -> bool:
    """Two flags on one claim: the words of one quote are a run inside the other's."""
    from coach.audit.sourcefile import match_words, runs_overlap

    return runs_overlap(match_words(a.quote), match_words(b.quote))


def _merges(k: Flag, f: Flag) -> bool:
    """Whether ``f`` folds into the kept flag ``k``: overlapping lines, and, where a user's report is one of them,
    the same claim (two sentences reported on one line are two errors with two corrections)."""
    if k.source != f.source or not (k.line_start <= f.line_end and f.line_start <= k.line_end):
        return False
    return "reported" not in (k.check, f.check) or _same_claim(k, f)


def dedupe(flags: list[Flag]) -> list[Flag]:
    kept: list[Flag] = []
    for f in sorted(flags, key=_key):
        host = next((k for k in kept if _merges(k, f)), None)
        if host is None:
            kept.append(Flag.from_dict(f.to_dict()))
            continue
        texts = {(e.get("type"), e.get("text")) for e in host.evidence}
        for e in f.evidence:
            if (e.get("type"), e.get("text")) not in texts:
                host.evidence.append({**e, "via": f.check})
                texts.add((e.get("type"), e.get("text")))
        if f.check != host.check and f.reason not in host.reason:
            kind = {"code": "parser", "arithmetic": "computation", "cross_source": "source"}.get(f.check, "knowledge")
            host.evidence.append({"type": kind, "text": f"{f.check}: {f.reason}", "via": f.check})
    return sorted(kept, key=lambda f: (f.source, f.line_start, f.line_end))
