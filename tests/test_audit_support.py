"""Helpers for the audit tests: build Records by hand from the small sources in tests/data/audit.

Format of those sources: a line "Q: ..." starts a record (its line number is the record's line), and
every following line up to the next "Q:" is its answer. Kept independent of ``corpus/`` on purpose so the
audit's unit tests do not depend on the corpus stage.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from corpus.records import ParsedSource, Record

DATA = Path(__file__).resolve().parent / "data" / "audit"


def parse_simple(name: str, group: bool = False, folder: Path = DATA) -> ParsedSource:
    path = folder / name
    raw = path.read_bytes()
    lines = raw.decode("utf-8").split("\n")
    records: list[Record] = []
    starts = [i + 1 for i, line in enumerate(lines) if line.startswith("Q: ")]
    for k, start in enumerate(starts):
        end = (starts[k + 1] - 1) if k + 1 < len(starts) else len(lines)
        while end > start and not lines[end - 1].strip():
            end -= 1
        question = lines[start - 1][3:].strip()
        answer_lines = [ln for ln in range(start + 1, end + 1)]
        records.append(Record(
            id=f"{name}:{start}", source=name, question=question,
            answer="\n".join(lines[ln - 1] for ln in answer_lines), line_start=start, line_end=end,
            group_id=re.sub(r"\W+", "-", question.lower()) if group else "", answer_lines=answer_lines))
    return ParsedSource(source=name, path=str(path), sha256=hashlib.sha256(raw).hexdigest(), records=records)


def original_span(ps: ParsedSource, line_start: int, line_end: int) -> str:
    lines = Path(ps.path).read_text(encoding="utf-8").split("\n")
    return "\n".join(lines[line_start - 1 : line_end])


def line_of(ps: ParsedSource, needle: str) -> int:
    for i, line in enumerate(Path(ps.path).read_text(encoding="utf-8").split("\n"), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {ps.source}")
