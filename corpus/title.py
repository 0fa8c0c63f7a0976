"""A source's title from its own content, so people see "Top 30 Deep Learning Interview Questions"
beside a file name like ``002_8b468431436e823b.txt``.

The title is the first Markdown/HTML heading (``#``) before the first question, else the first kept
(non-boilerplate) short line there. Simplified on purpose: no HTML ``<title>`` (the HTML loader drops
it with the page chrome) and no guessing from the file name; "" when nothing fits.
"""

from __future__ import annotations

import re

MAX_CHARS = 120
_BULLET = re.compile(r"^\s*([-*+•‣◦]|\d+[.)])\s")


def document_title(lines: list[str], removed: set[int], first_question: int | None = None) -> str:
    """lines: a document's repaired lines; removed: indexes of boilerplate lines."""
    title = heading_title(lines, removed, first_question)
    if title:
        return title
    end = len(lines) if first_question is None else first_question
    kept = [(i, lines[i].strip()) for i in range(min(end, len(lines))) if i not in removed and lines[i].strip()]
    for _, text in kept:
        if 3 <= len(text) <= MAX_CHARS and not _BULLET.match(text) and not text.endswith((",", ";")):
            return _clean(text)
    return ""


_UNDERLINE = re.compile(r"^\s*(?:={3,}|-{3,})\s*$")


def heading_title(lines: list[str], removed: set[int], first_question: int | None = None) -> str:
    """The first heading before the first question, cleaned: a Markdown/HTML ``#`` heading, or a line underlined
    with "===" (a setext heading, as plain-text notes write their title too), or the document's first line underlined
    with "---" (elsewhere "---" under a line of prose is a rule); "" when there is none (then ``document_title`` may
    still take a short line, which can be any prose: "Last updated: March 2024"). A walkthrough's "MLOps interview
    prep" over a "=====" line was no heading, and its questions' topic fell to "fundamentals"."""
    end = min(len(lines) if first_question is None else first_question, len(lines))
    first_text = True
    for i in range(end):
        text = lines[i].strip()
        if i in removed or not text:
            continue
        if text.startswith("#"):
            title = _clean(text.lstrip("#"))
            if title:
                return title
        under = lines[i + 1].strip() if i + 1 < end else ""
        if (_UNDERLINE.match(under) and not _UNDERLINE.match(text) and not _BULLET.match(text)
                and (under.startswith("=") or first_text)):
            title = _clean(text)
            if title:
                return title
        first_text = False
    return ""


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" #*_=")
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
