"""The audit as the rest of the coach sees it: flags for the indexed sources, by record and source.

Flags are computed on first use for whatever the index holds and cached per source hash by the
audit's own cache (``COACH_HOME/audit``), so re-indexing one source re-audits only that source
(and compares the sources again: the cross-source check is cached under all of them together).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict

from corpus.records import ParsedSource

log = logging.getLogger(__name__)


def parsed_from_index(index) -> list[ParsedSource]:
    """Rebuild ParsedSource objects (records + hash + path) from what the index stores."""
    by_source = defaultdict(list)
    for rec in index.records():
        by_source[rec.source].append(rec)
    parsed = []
    for s in index.status().get("sources", []):
        name = s.get("source")
        parsed.append(
            ParsedSource(
                source=name,
                path=s.get("path", ""),
                sha256=s.get("sha256", ""),
                records=sorted(by_source.get(name, []), key=lambda r: r.line_start),
                boilerplate_removed=s.get("boilerplate_removed", {}),
            )
        )
    return parsed


class _OnFirstEncode:
    """An embedding model loaded on its first ``encode``."""

    def __init__(self, load):
        self._load = load

    def encode(self, *args, **kwargs):
        return self._load().encode(*args, **kwargs)


class AuditView:
    def __init__(self, settings, index):
        self.settings = settings
        self.index = index
        self._flags: list[dict] | None = None
        self._lock = threading.Lock()

    def all_flags(self, use_cache: bool = True, progress=None) -> list[dict]:
        """Flags for every indexed source; ``progress(done, total, "audit")`` while a new audit runs."""
        with self._lock:
            if self._flags is None or not use_cache:
                from coach.audit import audit_sources
                from coach.audit.checks import AuditContext

                parsed = parsed_from_index(self.index) if self.index.exists() else []
                # share the index's embedding model with the checks, loaded only when one embeds something: an audit
                # read from its cache embeds nothing (a walkthrough's `coach sessions export` waited 7 s for the model,
                # to look up the flags of the passages its session quoted)
                ctx = AuditContext(settings=self.settings, embedder=_OnFirstEncode(lambda: self.index.embedder.model))
                flags = audit_sources(parsed, self.settings, cache=use_cache, context=ctx, progress=progress)
                self._flags = [f.to_dict() if hasattr(f, "to_dict") else dict(f) for f in flags]
                log.info("source audit: %d flags", len(self._flags))
            return self._flags

    def flags_for(self, record_id: str) -> list[dict]:
        try:
            flags = self.all_flags()
        except Exception as exc:  # the audit must never stop grading
            log.warning("source audit unavailable: %s", exc)
            return []
        rec = self.index.get(record_id) if self.index.exists() else None
        out = []
        for f in flags:
            if f.get("record_id") == record_id:
                out.append(f)
            elif rec is not None and f.get("source") == rec.source and f["line_start"] <= rec.line_end and rec.line_start <= f["line_end"]:
                out.append(f)
        return out

    def counts_by_source(self) -> dict[str, int]:
        try:
            return dict(Counter(f["source"] for f in self.all_flags()))
        except Exception as exc:
            log.warning("source audit unavailable: %s", exc)
            return {}

    def _scope(self, web: bool = False) -> tuple[list[str], list[str]]:
        """(the indexed sources' names, what the default checks cannot verify as configured; ``web``: said to a web
        user, ``not_verified``)."""
        from coach.audit.checks import not_verified

        sources = [s.get("source") for s in self.index.status().get("sources", [])] if self.index.exists() else []
        return [s for s in sources if s], not_verified(settings=self.settings, web=web)

    def report_markdown(self, titles: dict[str, str] | None = None) -> str:
        from coach.audit import Flag, render_report

        flags = [Flag.from_dict(f) for f in self.all_flags()]
        audited, notes = self._scope()
        return render_report(flags, titles=titles, audited=audited, notes=notes)

    def report_html(self, titles: dict[str, str] | None = None) -> str:
        """The report for the web UI: one collapsed section per source (``render_report_html``)."""
        from coach.audit import Flag
        from coach.audit.report import render_report_html

        flags = [Flag.from_dict(f) for f in self.all_flags()]
        audited, notes = self._scope(web=True)
        return render_report_html(flags, titles, audited=audited, notes=notes)
