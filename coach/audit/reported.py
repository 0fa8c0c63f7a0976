"""Errors the user reports in a source: a sentence the audit did not flag, and its correction.

The audit's checks cannot verify every statement of fact (README, "How the source audit works"). When the
user knows a source is wrong, they say so once: ``coach corrections add SOURCE "the wrong sentence" "the
correction"`` or the Sources tab's "Report a wrong sentence". From then on the sentence is a flag like any
other (check ``reported``, verdict "error", the user's correction as its correction and evidence): Ask warns
beside it, the audit report lists it, and the drafted rubrics of its question take the correction as the key
point instead of the sentence.

Stored in ``COACH_HOME/reported_errors.jsonl``, one JSON object per line: ``id``, ``source``, ``quote`` (the words
the user copied), ``correction``, ``reason`` (optional), ``added`` (ISO date). A report is matched to the source's
claims by whole words (case, spacing, typographic quotes and dashes, mojibake and inline Markdown marks such as
``**`` ignored), not by line numbers, so it survives a re-index; one whose words are no longer in the source flags
nothing and is listed as not found. A file with a line that cannot be read is never rewritten (adding or
withdrawing a report is refused, naming the line), so a hand edit is never lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from coach.audit.sourcefile import contains_run, match_words as words
from coach.errors import CoachError

log = logging.getLogger(__name__)

FILE_NAME = "reported_errors.jsonl"
MIN_QUOTE_WORDS = 3
MIN_CORRECTION_WORDS = 3  # a correction becomes a key point: a sentence, not a word
MAX_WORDS = 120
_ID = re.compile(r"^[0-9a-f]{6,40}$")


@dataclass
class Report:
    id: str
    source: str
    quote: str
    correction: str
    reason: str = ""
    added: str = ""


def path(settings) -> Path:
    return Path(settings.home) / FILE_NAME


def load(settings) -> tuple[list[Report], list[str]]:
    """The user's reports, and one problem per line that cannot be used (skipped here; ``add`` and ``remove``
    refuse to rewrite a file with problems)."""
    p = path(settings)
    if not p.exists():
        return [], []
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{p} could not be read: {exc}"]
    out, problems = [], []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            r = Report(**{k: str(row[k]) for k in ("id", "source", "quote", "correction")},
                       reason=str(row.get("reason") or ""), added=str(row.get("added") or ""))
            if not _ID.match(r.id) or len(words(r.quote)) < MIN_QUOTE_WORDS or not r.correction.strip():
                raise ValueError("needs a hex id, a quote of at least 3 words and a correction")
            out.append(r)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"{p} line {n} skipped: {exc}")
    for w in problems:
        log.warning(w)
    return out, problems


def _writable_reports(settings) -> list[Report]:
    reports, problems = load(settings)
    if problems:
        raise CoachError(f"{problems[0].replace(' skipped', ' cannot be read')}: fix or delete that line first "
                         "(the file is not rewritten, so nothing in it is lost)")
    return reports


def fingerprint(reports: list[Report]) -> str:
    """A short hash of reports (source, quote and correction): what drafted rubrics were written with."""
    if not reports:
        return ""
    h = hashlib.sha256()
    for r in sorted(reports, key=lambda r: (r.source, r.quote, r.correction)):
        h.update(f"{r.source}\x00{r.quote}\x00{r.correction}\x00".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:16]


def _save(settings, reports: list[Report]) -> None:
    from coach.datafiles import dumps_line
    from coach.diskio import write_text_atomic, writing

    with writing(f"save reported errors to {path(settings)}", kept="the reports saved before are unchanged"):
        write_text_atomic(path(settings), "".join(dumps_line(asdict(r)) for r in reports))


def _clean(text, what: str) -> str:
    if not isinstance(text, str):
        raise CoachError(f"the {what} must be text")
    from coach.grading.text import normalise

    text = normalise(text)
    if not text:
        raise CoachError(f"the {what} is empty")
    if len(text.split()) > MAX_WORDS:
        raise CoachError(f"the {what} has {len(text.split())} words: report one sentence (at most {MAX_WORDS} words)")
    return text


def add(settings, source: str, quote: str, correction: str, reason: str = "", claims=None) -> tuple[Report, list[Report]]:
    """Validate and store one report; returns it and the earlier reports it replaces (those of the same sentence:
    the same words, or words found in the same claim). ``claims``: the source's claims
    (``coach.audit.types.Claim``), to check that the words are in the source, in one sentence (or a run of whole
    sentences); the caller (``Coach.report_error``) passes them."""
    quote = _clean(quote, "wrong sentence")
    correction = _clean(correction, "correction")
    reason = _clean(reason, "reason") if isinstance(reason, str) and reason.strip() else ""
    if len(words(quote)) < MIN_QUOTE_WORDS:
        raise CoachError(f"the wrong sentence is too short to find reliably: copy at least {MIN_QUOTE_WORDS} words "
                         "of it as they read in the source")
    if len(words(correction)) < MIN_CORRECTION_WORDS:  # "x" became the key point answers were graded against
        raise CoachError(f"the correction is too short: say what is true in a sentence of at least {MIN_CORRECTION_WORDS} "
                         "words (it becomes the key point answers are graded against)")
    if words(quote) == words(correction):
        raise CoachError("the correction says the same as the wrong sentence")
    with _locked(settings):  # a report from the CLI and a withdrawal in the UI at once: neither is lost
        return _add(settings, source, quote, correction, reason, claims)


def _locked(settings):
    from coach.diskio import file_lock

    return file_lock(path(settings), f"the reported errors ({path(settings)})")


def _add(settings, source, quote, correction, reason, claims) -> tuple[Report, list[Report]]:
    reports = _writable_reports(settings)
    hit = []
    if claims is not None:
        hit = matching(claims, quote)
        if not hit:
            raise CoachError(f"{source} has no sentence with the words {quote!r}: copy them as they read in the source "
                             "(the audit report quotes its lines: the Sources tab, or `coach check --report FILE`)")
        inside = matching(claims, quote, spanning=False)  # sentences that hold all of the words
        if len(inside) > 1 or len({c.record_id for c in hit}) > 1:
            shown = inside if len(inside) > 1 else hit
            where = "; ".join(f"line {c.line_start}: {c.quote[:60]!r}" for c in shown[:3])
            raise CoachError(f"the words {quote!r} are in {len(shown)} sentences of {source} ({where}): copy more of "
                             "the one you mean")
    rid = hashlib.sha256(f"{source}\x00{' '.join(words(quote))}".encode("utf-8", "surrogatepass")).hexdigest()[:10]
    ident = lambda c: (c.record_id, c.line_start, c.line_end, c.quote)  # noqa: E731 - one claim, not one line
    mine = {ident(c) for c in hit}
    same = [r for r in reports if r.source == source and (r.id == rid or mine & {
        ident(c) for c in matching(claims or [], r.quote)})]
    report = Report(id=rid, source=source, quote=quote, correction=correction, reason=reason,
                    added=time.strftime("%Y-%m-%d"))
    _save(settings, [r for r in reports if r not in same] + [report])
    return report, same


def remove(settings, ids: list[str]) -> list[Report]:
    """Remove the reports with these ids (or unambiguous id prefixes of at least 4 characters); returns them."""
    wanted = [i.strip() for i in ids if isinstance(i, str) and i.strip()]
    if not wanted:
        raise CoachError("give the id of a report to withdraw (the list of reports shows them)")
    short = [i for i in wanted if len(i) < 4]
    if short:
        raise CoachError(f"report id {short[0]!r} is too short: give at least 4 characters")
    with _locked(settings):
        return _remove(settings, wanted)


def _remove(settings, wanted: list[str]) -> list[Report]:
    reports = _writable_reports(settings)
    gone = []
    for i in wanted:
        found = [r for r in reports if r.id.startswith(i)]
        if not found:
            raise CoachError(f"no reported error with id {i!r} (the list of reports shows them)")
        if len(found) > 1:
            raise CoachError(f"id {i!r} names {len(found)} reports ({', '.join(r.id for r in found)}): give more of it")
        gone += [r for r in found if r not in gone]
    _save(settings, [r for r in reports if r not in gone])
    return gone


def matching(claims, quote: str, *, spanning: bool = True) -> list:
    """The claims whose words contain the report's words as a run of whole words, and (``spanning``), for a report
    that spans more than one claim, the claims of at least 3 words whose words are a run inside the report's."""
    key = words(quote)
    if len(key) < MIN_QUOTE_WORDS:
        return []
    out = []
    for c in claims:
        for w in {words(c.quote), words(c.text)}:
            if contains_run(w, key) or (spanning and len(w) >= MIN_QUOTE_WORDS and contains_run(key, w)):
                out.append(c)
                break
    return out
