"""Source audit: find factual errors, broken code and bad arithmetic in ANY source, with evidence.

Public API::

    audit_sources(parsed: list[ParsedSource], settings=None, checks=None, *, cache=True, context=None,
                  stats=None) -> list[Flag]
    AuditCache(settings)            # per-source flags in COACH_HOME/audit/<sha256>.jsonl; .flags_for(record_id)
    flags_for(record_id, flags=None, settings=None) -> list[Flag]
    flags_overlapping(source, line_start, line_end, flags) -> list[Flag]
    write_report(flags, path) -> Path   # Markdown grouped by source, everything escaped
    Flag, Claim                       # coach.audit.types

Checks (``coach/audit/checks/<name>.py``, each ``check_<name>(claims, context) -> list[Flag]``):
``code``, ``arithmetic``, ``knowledge``, ``cross_source``, ``llm`` (only with a trusted LLM).
The trusted reference is data: ``coach/knowledge/*.yaml``.
"""

from __future__ import annotations

from coach.audit.cache import AuditCache
from coach.audit.report import render_report, write_report
from coach.audit.runner import audit_sources
from coach.audit.types import Claim, Flag


def flags_for(record_id: str, flags: list[Flag] | None = None, settings=None) -> list[Flag]:
    """Flags on one record: from ``flags`` when given, else from the latest audit saved in COACH_HOME."""
    if flags is None:
        if settings is None:
            from coach.config import load_settings

            settings = load_settings()
        flags = AuditCache(settings).latest()
    return [f for f in flags if f.record_id == record_id]


def flags_overlapping(source: str, line_start: int, line_end: int, flags: list[Flag]) -> list[Flag]:
    """Flags in ``source`` whose span intersects [line_start, line_end] (for citations)."""
    return [f for f in flags if f.source == source and f.line_start <= line_end and line_start <= f.line_end]


__all__ = ["AuditCache", "Claim", "Flag", "audit_sources", "flags_for", "flags_overlapping", "render_report",
           "write_report"]
