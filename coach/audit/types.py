"""The audit's records: a checkable ``Claim`` cut from a source, and the ``Flag`` a check raises on it.

``Flag`` serialises to the `coach check` line of CONTRACTS.md (source, line_start, line_end, quote,
verdict, kind, reason, correction, evidence) plus ``check``, ``record_id`` and ``severity``.
Line numbers are 1-based and refer to the ORIGINAL source file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

VERDICT_RANK = {"error": 2, "suspect": 1}
SEVERITY_RANK = {"major": 2, "minor": 1}


@dataclass
class Claim:
    """One checkable unit: a sentence, list item, table cell, formula or code block."""

    record_id: str
    source: str
    line_start: int
    line_end: int
    quote: str  # exactly as it reads in the original file (a substring of lines line_start..line_end)
    text: str  # repaired for matching (mojibake fixed, quotes straightened); never shown as the quote
    kind: str  # "sentence" | "list_item" | "table_cell" | "formula" | "code"
    question: str = ""  # the record's question: what the claim is about
    context: str = ""  # the previous sentences of the same paragraph (for "it"/"this" references)
    header: str = ""  # for list items / table cells: the sentence that introduces the list
    group_id: str = ""


@dataclass
class Flag:
    source: str
    line_start: int
    line_end: int
    quote: str
    verdict: str  # "error" | "suspect"
    kind: str
    reason: str
    correction: str
    evidence: list[dict] = field(default_factory=list)
    check: str = ""
    record_id: str = ""
    severity: str = "major"  # "major" | "minor"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Flag":
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})

    def strength(self) -> tuple[int, int]:
        return (VERDICT_RANK.get(self.verdict, 0), SEVERITY_RANK.get(self.severity, 0))

    @classmethod
    def from_claim(cls, claim: Claim, **kw) -> "Flag":
        return cls(
            source=claim.source,
            line_start=claim.line_start,
            line_end=claim.line_end,
            quote=claim.quote,
            record_id=claim.record_id,
            **kw,
        )
