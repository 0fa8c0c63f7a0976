"""`coach check`: audit the indexed sources (or the given PATHs, or the bundled corpus) for factual errors.

Writes one JSON flag per line (CONTRACTS.md) to --output or stdout, an optional Markdown --report, and a
one-line summary on stderr. Which sources: PATHs when given; else the built index (records plus the
recorded path/sha256 of each source); else the bundled sources shipped in ``corpus/bundled``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from coach.diskio import writing
from coach.errors import CoachError

log = logging.getLogger(__name__)


def bundled_paths() -> list[Path]:
    import corpus

    folder = Path(corpus.__file__).resolve().parent / "bundled"
    paths = sorted(p for p in folder.iterdir() if p.is_file())
    if not paths:
        raise CoachError(f"no bundled sources found in {folder}")
    return paths


def _from_index(settings):
    """ParsedSource objects rebuilt from the index (records + per-source path/sha256), or None."""
    try:
        from index import CoachIndex
    except ImportError:
        return None
    try:
        idx = CoachIndex(settings)
        if not idx.exists():
            return None
        status = idx.status()
        records = idx.records()
    except Exception as exc:  # an unreadable index falls back to parsing; the reason is logged
        log.warning("cannot read the index (%s); auditing the bundled sources instead", exc)
        return None
    from corpus.records import ParsedSource

    by_source: dict[str, list] = {}
    for r in records:
        by_source.setdefault(r.source, []).append(r)
    infos = {s["source"]: s for s in status.get("sources", [])}
    return [ParsedSource(source=name, path=infos.get(name, {}).get("path", ""), sha256=infos.get(name, {}).get("sha256", ""),
                         records=sorted(recs, key=lambda r: r.line_start)) for name, recs in sorted(by_source.items())]


def _parse(paths):
    from corpus import parse_batch

    batch = parse_batch([Path(p) for p in paths], log_skipped=False)
    warnings, error = batch.outcome(paths)
    for line in warnings:
        click.echo(f"Warning: {line}", err=True)
    if error:
        raise CoachError(error)
    return batch.sources


@click.command("check")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="Write flags as JSONL here (default: stdout).")
@click.option("--report", type=click.Path(dir_okay=False), default=None, help="Also write a Markdown report.")
@click.option("--checks", default=None, help="Comma-separated checks: code,arithmetic,knowledge,trusted,cross_source,llm,reported (default: all; trusted flags only where its dev fit qualified; reported: the sentences you reported, `coach corrections`).")
@click.option("--no-cache", is_flag=True, help="Recompute every source (ignore COACH_HOME/audit).")
@click.argument("paths", nargs=-1, type=click.Path())
@click.pass_obj
def check(settings, output, report, checks, no_cache, paths):
    """Audit the indexed sources (or PATHs) for factual errors, broken code and wrong arithmetic."""
    from coach.audit import audit_sources, write_report

    from coach.audit.checks import DEFAULT_CHECKS, FACTS_NOT_VERIFIED, not_verified

    chosen = tuple(c.strip() for c in checks.split(",") if c.strip()) if checks else None
    # what this run cannot flag, said every time: "0 flags" must not read as "nothing wrong"
    unverified = not_verified(chosen or DEFAULT_CHECKS, settings)
    if paths:
        parsed = _parse(paths)
    else:
        parsed = _from_index(settings) or _parse(bundled_paths())
    stats: dict = {}
    flags = audit_sources(parsed, settings, chosen, cache=not no_cache, stats=stats)
    lines = "".join(json.dumps(f.to_dict(), ensure_ascii=False) + "\n" for f in flags)
    if output:
        with writing(f"write the flags to {output}"):
            Path(output).parent.mkdir(parents=True, exist_ok=True)
            Path(output).write_text(lines, encoding="utf-8")
    else:
        click.echo(lines, nl=False)
    if report:
        with writing(f"write the report to {report}"):
            write_report(flags, report, audited=[p.source for p in parsed], notes=unverified)
    errors = sum(f.verdict == "error" for f in flags)
    # the caveat on the totals' own line too: "0 flags" read as a clean bill in a walkthrough (the notes below it
    # say what was not checked)
    caveat = "; statements of fact not verified (see the notes)" if any(
        line.startswith(FACTS_NOT_VERIFIED) for line in unverified) else ""
    click.echo(f"audited {len(parsed)} sources, {stats.get('claims', 0)} claims: {len(flags)} flags "
               f"({errors} errors, {len(flags) - errors} suspect) in {stats['seconds']['total']:.1f}s{caveat}", err=True)
    for line in unverified:
        click.echo(f"note: {line}", err=True)
