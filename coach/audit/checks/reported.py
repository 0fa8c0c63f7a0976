"""Check ``reported``: the sentences the user reported as wrong (``coach/audit/reported.py``), each flagged as an
"error" with the user's correction. Recomputed on every run (like ``cross_source``: it reads a file of the
user's, not the source alone), so a new report takes effect at once without invalidating the cache."""

from __future__ import annotations

from coach.audit import reported
from coach.audit.types import Claim, Flag


def check_reported(claims: list[Claim], context) -> list[Flag]:
    if context.settings is None:
        return []
    reports, _ = reported.load(context.settings)
    by_source: dict[str, list[Claim]] = {}
    for c in claims:
        by_source.setdefault(c.source, []).append(c)
    out = []
    for r in reports:
        for claim in reported.matching(by_source.get(r.source, []), r.quote):
            out.append(Flag.from_claim(
                claim, verdict="error", kind="reported", severity="major", check="reported", reason=_reason(r),
                correction=r.correction,
                evidence=[{"type": "reported", "text": r.correction, "report_id": r.id}],
            ))
    return out


def _reason(r: reported.Report) -> str:
    """A sentence (the other checks' reasons are too: Ask and the reports follow it with "Correction: ...")."""
    why = f"Reported as wrong by a user on {r.added}." if r.added else "Reported as wrong by a user."
    if r.reason:
        # the user's words as typed ("Git reset --soft ..." changed a command's name: a walkthrough)
        why += " " + r.reason + ("" if r.reason[-1] in ".!?" else ".")
    return why
