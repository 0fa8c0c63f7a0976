"""Errors the user reports in a source: a sentence the audit did not flag, and its correction.

The audit's checks cannot verify every statement of fact (README, "How the source audit works"). When the
user knows a source is wrong, they say so once: ``coach corrections add SOURCE "the wrong sentence" "the
correction"`` or the Sources tab's "Report a wrong sentence". From then on the sentence is a flag like any
other (check ``reported``, verdict "error", the user's correction as its correction and evidence): Ask warns
beside it, the audit report lists it, and the source's drafted rubrics take the correction as the key point
instead of the sentence, so a correct answer is graded against the correction.

Stored in ``COACH_HOME/reported_errors.jsonl``, one JSON object per line: ``id``, ``source``, ``quote`` (as it
reads in the source), ``correction``, ``reason`` (optional), ``added`` (ISO date). A report is matched to the
source's claims by its words (case, spacing and typographic quotes ignored), not by line numbers, so it
survives a re-index of the source; one whose sentence is no longer in the source flags nothing and is listed
as not found (``unmatched``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from coach.errors import CoachError

log = logging.getLogger(__name__)

FILE_NAME = "reported_errors.jsonl"
MIN_QUOTE_WORDS = 3
MAX_WORDS = 120
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


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


def words_key(text: str) -> str:
    """What a report and a claim are matched on: lowercase words, typographic quotes and dashes straightened,
    whitespace collapsed, trailing punctuation dropped."""
    text = unicodedata.normalize("NFKC", str(text)).translate(_QUOTES).lower()
    return re.sub(r"\s+", " ", text).strip().rstrip(".;:!?,").strip()


def load(settings) -> tuple[list[Report], list[str]]:
    """The user's reports, and one warning per line that cannot be read (skipped, never fatal)."""
    p = path(settings)
    if not p.exists():
        return [], []
    out, warnings = [], []
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"reported errors file {p} could not be read: {exc}"]
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(Report(**{k: str(row[k]) for k in ("id", "source", "quote", "correction")},
                              reason=str(row.get("reason", "")), added=str(row.get("added", ""))))
        except (ValueError, KeyError, TypeError) as exc:
            warnings.append(f"{p} line {n} skipped: {exc}")
    for w in warnings:
        log.warning(w)
    return out, warnings


def for_source(settings, source: str) -> list[Report]:
    return [r for r in load(settings)[0] if r.source == source]


def fingerprint(reports: list[Report]) -> str:
    """A short hash of reports (quote and correction): what a source's drafted rubrics were written with."""
    if not reports:
        return ""
    h = hashlib.sha256()
    for r in sorted(reports, key=lambda r: (r.quote, r.correction)):
        h.update(f"{r.quote}\x00{r.correction}\x00".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:16]


def _save(settings, reports: list[Report]) -> None:
    from coach.diskio import write_text_atomic, writing

    with writing(f"save reported errors to {path(settings)}", kept="the reports saved before are unchanged"):
        Path(settings.home).mkdir(parents=True, exist_ok=True)
        write_text_atomic(path(settings), "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in reports))


def _clean(text, what: str) -> str:
    if not isinstance(text, str):
        raise CoachError(f"the {what} must be text")
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise CoachError(f"the {what} is empty")
    if len(text.split()) > MAX_WORDS:
        raise CoachError(f"the {what} has {len(text.split())} words: report one sentence (at most {MAX_WORDS} words)")
    return text


def add(settings, source: str, quote: str, correction: str, reason: str = "", claims=None) -> Report:
    """Validate and store one report. ``claims``: the source's claims (``coach.audit.types.Claim``), to check
    that the sentence is in the source; the caller (``Coach.report_error``) passes them."""
    quote = _clean(quote, "wrong sentence")
    correction = _clean(correction, "correction")
    reason = re.sub(r"\s+", " ", reason).strip() if isinstance(reason, str) else ""
    if len(words_key(quote).split()) < MIN_QUOTE_WORDS:
        raise CoachError(f"the wrong sentence is too short to find reliably: copy at least {MIN_QUOTE_WORDS} words "
                         "of it as they read in the source")
    if words_key(quote) == words_key(correction):
        raise CoachError("the correction says the same as the wrong sentence")
    if claims is not None and not matching(claims, quote):
        raise CoachError(f"{source} has no sentence containing {quote!r}: copy it as it reads in the source "
                         "(the Ask answers and the audit report quote the source's lines)")
    reports, _ = load(settings)
    rid = hashlib.sha256(f"{source}\x00{words_key(quote)}".encode("utf-8", "surrogatepass")).hexdigest()[:10]
    report = Report(id=rid, source=source, quote=quote, correction=correction, reason=reason,
                    added=time.strftime("%Y-%m-%d"))
    # reporting the same sentence again replaces its correction
    _save(settings, [r for r in reports if r.id != rid] + [report])
    return report


def remove(settings, ids: list[str]) -> list[Report]:
    """Remove the reports with these ids (or id prefixes of at least 4 characters); returns those removed."""
    reports, _ = load(settings)
    wanted = [i.strip() for i in ids if i and i.strip()]
    short = [i for i in wanted if len(i) < 4]
    if short:
        raise CoachError(f"report id {short[0]!r} is too short: give at least 4 characters (`coach corrections list`)")
    gone = [r for r in reports if any(r.id.startswith(i) for i in wanted)]
    missing = [i for i in wanted if not any(r.id.startswith(i) for r in reports)]
    if missing:
        raise CoachError(f"no reported error with id {missing[0]!r} (`coach corrections list` shows them)")
    _save(settings, [r for r in reports if r not in gone])
    return gone


def matching(claims, quote: str) -> list:
    """The claims whose words contain the report's words (or are contained in them, for a report that
    spans a claim and its end)."""
    key = words_key(quote)
    out = []
    for c in claims:
        texts = {words_key(c.quote), words_key(c.text)}
        if any(key in t or (len(t.split()) >= MIN_QUOTE_WORDS and t in key) for t in texts if t):
            out.append(c)
    return out
