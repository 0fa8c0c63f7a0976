"""The records the corpus stage produces: the contract between `corpus/` and everything downstream.

A ``Record`` is one question with its full cleaned answer (``kind="qa"``) or one titled passage from a
source with no question/answer structure (``kind="passage"``, question = the passage title).
Line numbers are 1-based and refer to the ORIGINAL file as the user gave it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field


@dataclass
class Block:
    """A structured part of an answer, kept and marked: code stays verbatim."""

    type: str  # "code" | "list" | "table"
    text: str
    line_start: int
    line_end: int


@dataclass
class Record:
    id: str  # f"{source}:{line_start}" (stable while the question keeps its line)
    source: str  # the file's name as given
    question: str  # cleaned of numbering and markup
    answer: str  # full cleaned answer, boilerplate removed
    line_start: int  # first line of the question
    line_end: int  # last line of the answer
    kind: str = "qa"  # "qa" | "passage"
    topic: str = "fundamentals"
    group_id: str = ""  # shared by records asking the same question across sources
    blocks: list[Block] = field(default_factory=list)
    answer_lines: list[int] = field(default_factory=list)  # original line of each answer line (for claim spans)
    # the original line where each answer line ends, where that is below where it starts (a paragraph the corpus stage
    # joined from wrapped lines, an HTML element over several lines); empty: each ends where it starts
    answer_line_ends: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def prose(self) -> str:
        """The answer without its code blocks: what can be said in words (a drafted rubric's key points, Ask's
        sentences; a walkthrough was credited with "total = sum(1 for _ in read_lines(...)) # constant memory").
        Each code block is found in the answer by its text, as a run of whole lines, not by line number: in an HTML
        page a paragraph shares a file line with "</pre>"."""
        lines = (self.answer or "").split("\n")
        for at, n in self._code_runs(lines):
            lines = lines[:at] + lines[at + n:]
        return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", "\n".join(lines)).strip()  # one paragraph break where a block was

    def fenced_answer(self) -> str:
        """The answer with each code block fenced (```), as a Markdown source writes it: a plain-text source's indented
        snippet reaches the answer as bare lines, and a model answer built from it ran the code into its sentences
        (a walkthrough's "it looks like this: import sqlite3 conn = sqlite3.connect(...) cur = ...")."""
        lines = (self.answer or "").split("\n")
        for at, n in self._code_runs(lines):
            run = lines[at:at + n]
            if any(ln.lstrip().startswith(("```", "~~~")) for ln in run):
                continue  # fenced already, or holding a fence line: never a fence in a fence (a run may hold a bare
                # line before its fence)
            lines = lines[:at] + ["```"] + run + ["```"] + lines[at + n:]
        return "\n".join(lines)

    def _code_runs(self, lines: list[str]) -> list[tuple[int, int]]:
        """(first line, line count) of each code block in ``lines``, last first (so that each can be cut or wrapped
        without moving the ones before it)."""
        runs: list[tuple[int, int]] = []
        for b in self.blocks:
            if b.type != "code":
                continue
            run = [ln.strip() for ln in b.text.split("\n")]
            # the first place not taken by a block already found (two blocks with the same text are two runs)
            at = next((i for i in range(len(lines) - len(run) + 1)
                       if not any(a < i + len(run) and i < a + n for a, n in runs)
                       and [ln.strip() for ln in lines[i:i + len(run)]] == run), None)
            if at is not None:
                runs.append((at, len(run)))
        return sorted(runs, reverse=True)

    @classmethod
    def from_dict(cls, d: dict) -> "Record":
        d = dict(d)
        d["blocks"] = [Block(**b) for b in d.get("blocks", [])]
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class ParsedSource:
    source: str  # file name as given
    path: str  # absolute path it was read from
    sha256: str  # of the raw bytes: the key for incremental re-indexing
    records: list[Record]
    boilerplate_removed: dict[str, int] = field(default_factory=dict)  # category -> lines removed
    warnings: list[str] = field(default_factory=list)
    title: str = ""  # from the content (corpus/title.py), "" when none
    title_is_heading: bool = False  # the title is a heading of the source, not its first short line
