"""Run the audit: claims per source, per-source checks (cached by sha256), cross-source checks, dedupe.

Every flag's quote is verified against the original file lines before it is returned; a quote that is
not found verbatim is replaced by the full original lines of its span (and logged), so a quote is always
something the reader can find in the file.
"""

from __future__ import annotations

import hashlib
import logging
import time

from coach.audit.cache import AuditCache
from coach.audit.checks import CROSS_SOURCE, DEFAULT_CHECKS, EVERY_RUN, PER_SOURCE, AuditContext, get_check
from coach.audit.claims import claims_for_record
from coach.audit.kb import load_knowledge
from coach.audit.merge import dedupe
from coach.audit.sourcefile import read_lines, wrapped_spans
from coach.audit.types import Claim, Flag
from coach.errors import CoachError

log = logging.getLogger(__name__)


_CROSS = "(every source)"  # the cross-source cache entry's source name
_CROSS_PREFIX = "cross-"


def _cross_key(parsed, settings) -> str | None:
    """The cross-source check's cache key: every source's name and bytes, and the embedding model it compares them
    with; None when a source's bytes are unknown."""
    if any(not ps.sha256 for ps in parsed):
        return None
    h = hashlib.sha256(str(getattr(settings, "embedding_model", "")).encode())
    for name, sha in sorted((ps.source, ps.sha256) for ps in parsed):
        h.update(f"{name}\x00{sha}\x00".encode("utf-8", "surrogatepass"))
    return _CROSS_PREFIX + h.hexdigest()[:24]


def source_claims(ps) -> tuple[list[Claim], list[str] | None]:
    lines = read_lines(ps.path, getattr(ps, "sha256", None)) if ps.path else None
    spans = wrapped_spans(ps.path, lines) if lines is not None else {}
    claims: list[Claim] = []
    for rec in ps.records:
        claims.extend(claims_for_record(rec, lines, spans))
    return claims, lines


def _verify_quotes(flags: list[Flag], lines: list[str] | None) -> None:
    if lines is None:
        return
    for f in flags:
        span = "\n".join(lines[f.line_start - 1 : f.line_end])
        if f.quote and f.quote in span:
            continue
        log.warning("quote of %s:%s not found verbatim; using the original lines", f.source, f.line_start)
        f.quote = span


def audit_sources(parsed, settings=None, checks: tuple[str, ...] | None = None, *, cache: AuditCache | bool = True,
                  context: AuditContext | None = None, stats: dict | None = None, progress=None) -> list[Flag]:
    """Audit parsed sources; returns deduplicated flags sorted by source and line.

    ``progress(done, total, "audit")`` (optional) is called once per source and once more after the
    cross-source checks (``total`` = sources + 1).

    ``cache``: True (use ``AuditCache(settings)``), False (no cache) or an ``AuditCache``.
    ``stats`` (optional dict) receives counts and timings: per-check flag counts, seconds, cache hits.
    """
    if settings is None:
        from coach.config import load_settings

        settings = load_settings()
    checks = tuple(checks) if checks else DEFAULT_CHECKS
    unknown = [c for c in checks if c not in PER_SOURCE + EVERY_RUN]
    if unknown:
        raise CoachError(f"unknown check(s) {', '.join(unknown)}: choose from {', '.join(PER_SOURCE + EVERY_RUN)}")
    ctx = context or AuditContext(settings=settings)
    ctx.settings = ctx.settings or settings
    ctx.kb = ctx.kb or load_knowledge()
    store = AuditCache(settings) if cache is True else (cache or None)
    per_source = tuple(c for c in checks if c in PER_SOURCE)
    stats = stats if stats is not None else {}
    stats.update({"sources": len(parsed), "cache_hits": 0, "claims": 0, "by_check": {}, "seconds": {}})
    t0 = time.perf_counter()

    all_claims: list[Claim] = []
    raw: list[Flag] = []
    lines_by_source: dict[str, list[str] | None] = {}
    total = len(parsed) + 1
    tick = progress or (lambda done, total, stage: None)
    tick(0, total, "audit")
    for done, ps in enumerate(parsed, 1):
        for rec in ps.records:
            ctx.records[rec.id] = rec
        claims, lines = source_claims(ps)
        lines_by_source[ps.source] = lines
        all_claims.extend(claims)
        stats["claims"] += len(claims)
        cached = store.get(ps.sha256, ps.source, per_source) if store and ps.sha256 else None
        if cached is not None:
            stats["cache_hits"] += 1
            raw.extend(cached)
        else:
            flags: list[Flag] = []
            for name in per_source:
                t = time.perf_counter()
                flags.extend(get_check(name)(claims, ctx))
                stats["seconds"][name] = stats["seconds"].get(name, 0.0) + time.perf_counter() - t
            _verify_quotes(flags, lines)
            if store and ps.sha256:
                store.put(ps.sha256, ps.source, per_source, flags)
            raw.extend(flags)
        tick(done, total, "audit")
    for name in (c for c in checks if c in EVERY_RUN):
        t = time.perf_counter()
        # the cross-source check reads every source at once: cached under all of them together (a walkthrough's
        # `coach sessions export`, which looks up today's flags, loaded the embedding model to run it again, 7 s)
        key = _cross_key(parsed, ctx.settings) if store and name in CROSS_SOURCE else None
        cross = store.get(key, _CROSS, (name,)) if key else None
        if cross is None:
            cross = get_check(name)(all_claims, ctx)
            for src in {f.source for f in cross}:
                _verify_quotes([f for f in cross if f.source == src], lines_by_source.get(src))
            if key and getattr(ctx, "embedder", None) is not None:  # not a word-overlap fallback's (no model loaded)
                store.put(key, _CROSS, (name,), cross)
                store.drop_other(key, prefix=_CROSS_PREFIX)
        else:
            stats["cache_hits"] += 1
        stats["seconds"][name] = time.perf_counter() - t
        raw.extend(cross)
    tick(total, total, "audit")
    for f in raw:
        stats["by_check"][f.check] = stats["by_check"].get(f.check, 0) + 1
    flags = dedupe(raw)
    stats["flags"] = len(flags)
    stats["flags_by_check_after_dedupe"] = {}
    for f in flags:
        stats["flags_by_check_after_dedupe"][f.check] = stats["flags_by_check_after_dedupe"].get(f.check, 0) + 1
    stats["seconds"]["total"] = time.perf_counter() - t0
    if store:
        store.write_latest(flags)
    log.info("audit: %d sources, %d claims, %d flags in %.1fs", len(parsed), stats["claims"], len(flags),
             stats["seconds"]["total"])
    return flags
