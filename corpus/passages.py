"""Titled passages for sources with no question/answer structure (a textbook chapter, a reference page).

The text (boilerplate already removed) is cut into sections at headings (markdown ``#`` lines, or short
title-like lines standing alone), and each section into passages of whole paragraphs of about
``TARGET_WORDS`` words. A passage's ``question`` is its section title (``"Title (continued)"`` for later
parts) or, without a title, its first sentence. ``line_start`` is the title's line for a section's first
passage, otherwise the passage's first line.

Simplified on purpose: paragraphs are never split mid-paragraph unless one alone exceeds
``MAX_WORDS`` (then it is cut at line boundaries); code/list/table blocks are marked like in answers.
"""

from __future__ import annotations

import re

from corpus import blocks as B
from corpus.records import Record
from corpus.segment import _RULE

TARGET_WORDS = 180
MAX_WORDS = 400
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+(?=\S)")


def _is_title(lines: list[str], i: int, code: set[int]) -> bool:
    s = lines[i].strip()
    words = s.split()
    alone = (i == 0 or not lines[i - 1].strip()) and (i + 1 >= len(lines) or not lines[i + 1].strip())
    if alone and i not in code and len(words) <= 25 and _NUMBERED.match(s) and s.endswith("?"):
        return True  # "1. What is a Kubernetes pod?" over its answer: a one-question page's numbered question
    if not s or i in code or B.is_list_item(s) or B.is_table_row(s):
        return False
    if s.startswith("#"):
        return True
    return alone and len(words) <= 12 and not s.endswith((".", ",", ";", ":", "!", "?")) and s[:1].isupper()


def _first_sentence(text: str, limit: int = 15) -> str:
    # a leading "1. " is a number, not a sentence (an untitled passage was asked as the question "1.")
    first = _SENTENCE_END.split(_NUMBERED.sub("", text.strip()), maxsplit=1)[0]
    words = first.split()
    return " ".join(words[:limit]) + (" ..." if len(words) > limit else "")


def build_passages(source: str, lines: list[str], removed: set[int], code: set[int]) -> list[Record]:
    # a thematic break ("---") outside code is no text, as in a question/answer page (a one-question Markdown file,
    # read as passages, kept its closing "---" as the answer's last line)
    eff = ["" if i in removed or (i not in code and _RULE.match(ln)) else ln for i, ln in enumerate(lines)]
    # paragraphs: (title_line or None, title, [line indices])
    sections: list[tuple[int | None, str, list[list[int]]]] = [(None, "", [])]
    para: list[int] = []

    def end_para():
        nonlocal para
        if para:
            sections[-1][2].append(para)
            para = []

    for i, ln in enumerate(eff):
        if not ln.strip():
            if i not in code:
                end_para()
            continue
        if _is_title(eff, i, code):
            end_para()
            # "## 1. How do TCP and UDP differ?" is the question "How do TCP and UDP differ?" (a one-question page is
            # read as passages, and its number was kept in the question)
            title = _NUMBERED.sub("", ln.strip().lstrip("#").strip())
            sections.append((i, title, []))
            continue
        para.append(i)
        if sum(len(eff[j].split()) for j in para) > MAX_WORDS:
            end_para()
    end_para()

    records: list[Record] = []
    for title_line, title, paras in sections:
        chunk: list[int] = []
        part = 0

        def emit():
            nonlocal chunk, part
            if not chunk:
                return
            items = [(j + 1, eff[j].rstrip() if j in code else B.normalise_bullet(eff[j].strip()),
                      B.kind_of(eff[j], j in code)) for j in chunk]
            text = "\n".join(t for _, t, _ in items)
            if part == 0 and title_line is not None:
                start, question = title_line + 1, title
            else:
                start = chunk[0] + 1
                question = f"{title} (continued)" if title else _first_sentence(text)
            records.append(Record(
                id=f"{source}:{start}", source=source, question=question, answer=text, line_start=start,
                line_end=chunk[-1] + 1, kind="passage", blocks=B.build_blocks(items),
                answer_lines=[num for num, _, _ in items],
            ))
            chunk, part = [], part + 1

        for p in paras:
            chunk.extend(p)
            if sum(len(eff[j].split()) for j in chunk) >= TARGET_WORDS:
                emit()
        emit()
    return records
