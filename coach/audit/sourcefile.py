"""Reading the ORIGINAL source file lines, so quotes are exactly what the user's file says.

Simplified on purpose: the file is decoded as the corpus stage decodes it (``corpus.text.decode``) and split on
``\\n`` / ``\\r\\n`` / ``\\r`` only, which is how the corpus stage numbers lines. Non-text sources
(PDF, HTML) have no faithful "original line"; for those the caller falls back to the record's cleaned
answer text and the quote is the cleaned text.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import ftfy

log = logging.getLogger(__name__)

_TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".rst", ".text", ""}
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                         "\u2212": "-", "\u00a0": " ", "\u00d7": "x"})


def read_lines(path: str | Path, sha256: str | None = None) -> list[str] | None:
    """The file's lines (index 0 is line 1), or None when it is not a plain-text file we can quote, or, with
    ``sha256`` (the indexed bytes' hash), when the file no longer holds the bytes that were indexed: a source edited
    and not re-added is still taught from its indexed text, and reading the new file at the indexed records' line
    numbers checked text the coach does not hold (its errors went unflagged, reports landed on other lines: a
    review). The caller then reads the records' own text."""
    p = Path(path)
    if p.suffix.lower() not in _TEXT_SUFFIXES or not p.is_file():
        return None
    raw = p.read_bytes()
    if sha256 and hashlib.sha256(raw).hexdigest() != sha256:
        log.warning("%s changed since it was indexed: the audit reads the indexed text; run `coach index add %s` to "
                    "index the new text", p.name, p)
        return None
    from corpus.text import DecodeError, decode

    try:  # the corpus stage's own decoding (BOMs, UTF-16 without a BOM, code pages), so the lines are the ones indexed
        text = decode(raw)
    except DecodeError:
        return None
    return re.split(r"\r\n|\n|\r", text)


def wrapped_spans(path: str | Path, lines: list[str] | None) -> dict[int, int]:
    """For a plain-text or Markdown file whose wrapped lines the corpus stage joined back into sentences
    (``corpus.loaders.load_document``): the first line of each joined paragraph -> its last line. The records name a
    joined paragraph by its first line only, and the audit, which reads the file's own lines, read only that line (a
    walkthrough: a planted error on the third line of a paragraph was never read, and could not be reported)."""
    if lines is None:
        return {}
    from corpus.loaders import fmt_of
    from corpus.pdf import unwrap
    from corpus.text import clean_lines

    fmt = fmt_of(Path(path))
    if fmt not in ("text", "markdown"):
        return {}
    cleaned = clean_lines("\n".join(lines))
    # read_lines keeps an empty last line after the file's closing line break, so the cleaned lines may be one fewer;
    # more would be another reading of the file than the index's
    if len(cleaned) > len(lines):
        return {}
    joined = unwrap([(ln, i + 1) for i, ln in enumerate(cleaned)], plain=True, markdown=fmt == "markdown")
    return {a: b for _, a, b in joined if b > a}


def normalize(text: str) -> str:
    """Repair mojibake and straighten quotes/dashes for matching; the quote itself is never changed."""
    fixed = ftfy.fix_text(text) if any(ord(c) > 127 for c in text) else text
    return fixed.translate(_QUOTES)


_WORD = re.compile(r"[\w'.+-]*\w", re.UNICODE)  # "key's", "3.5", "c++" stay one word; "**" and "`" are not words


def match_words(text: str) -> tuple[str, ...]:
    """The lowercase words of a text as matching sees them: quotes, dashes and mojibake repaired (``normalize``),
    Markdown marks and punctuation between words dropped ("A **primary key**, ..." -> a, primary, key, ...). For
    comparing a quote of the ORIGINAL lines with the cleaned text the records hold, and a user's copy of either."""
    return tuple(_WORD.findall(normalize(str(text)).lower()))


def contains_run(long: tuple[str, ...], short: tuple[str, ...]) -> bool:
    """Whether ``short`` (non-empty) occurs in ``long`` as a run of whole words."""
    n = len(short)
    return 0 < n <= len(long) and any(long[i:i + n] == short for i in range(len(long) - n + 1))


def runs_overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether one word tuple is a run inside the other (a flagged quote and the sentence it was cut from, either
    side the longer): how drafting, Ask and the flag merge tell that a quote and a sentence are one claim."""
    return contains_run(a, b) or contains_run(b, a)
