"""Markdown for files people open in an editor (session exports): Markdown escaping only.

The web UI escapes with HTML entities (``render.safe``) because its text lands inside HTML blocks;
an exported ``.md`` file must read well as text too, so here untrusted text is escaped with
CommonMark backslash escapes only: ``\\*`` instead of ``&#42;``. A backslash-escaped ``<`` is never
raw HTML, so a source line ``<script>`` renders as that text in any CommonMark renderer.

Simplified on purpose: ``_`` is escaped only at a word boundary (``004_db51.txt`` stays readable;
intraword ``_`` never starts emphasis in CommonMark), and ``$`` is left alone (maths is not
CommonMark).
"""

from __future__ import annotations

import re

from coach.grading.feedback import UNCONFIRMED_NOTE
from coach.grading.types import Citation, Grade
from coach.grading.text import fenced, table_grid, table_spans, text_and_code
from coach.session.card import SECTION_TITLES, Evidence, grade_card, span_label

# Characters that mean something anywhere in a line; "&" only where it would start an entity.
_INLINE = re.compile(r"[\\`*\[\]<|~]|&(?=#?\w+;)|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_LIST_NUMBER = re.compile(r"^(\d+)([.)])")


def _line(line: str) -> str:
    line = _INLINE.sub(lambda m: "\\" + m.group(0), line.strip())
    if line and line[0] in "-+=#>":  # would start a list, a heading, a quote or underline a heading
        line = "\\" + line
    return _LIST_NUMBER.sub(r"\1\\\2", line)  # "1." would start a numbered list: "1\."


def md_inline(text: object) -> str:
    """Untrusted text -> one line of Markdown that shows exactly that text (line breaks become spaces)."""
    return " ".join(_line(ln) for ln in str(text or "").splitlines() if ln.strip())


def md_block(text: object) -> str:
    """Untrusted text -> Markdown paragraphs (blank lines kept as paragraph breaks), a fenced code block as one."""
    out = []
    for chunk, language in text_and_code(text):
        if language is not None:
            out.append(fenced(chunk, language))
        else:
            out += [md_inline(p) for p in re.split(r"\n\s*\n", chunk) if p.strip()]
    return "\n\n".join(out)


def md_passage(text: object, indent: str = "") -> str:
    """A source passage as a blockquote that keeps its lines (a list's items, a table's rows: ``md_block`` joins the
    lines of a paragraph, and a walkthrough's exported citation read "\\- 1xx: informational \\- 2xx ..."), a code
    block as one."""
    out: list[str | None] = []  # None: an empty quote line between blocks
    for chunk, language in text_and_code(text):
        if out:
            out.append(None)
        if language is not None:
            out += fenced(chunk, language).split("\n")
            continue
        for k, (span, is_table) in enumerate(table_spans(chunk)):
            if k and out and out[-1] is not None:
                out.append(None)
            if is_table:  # a table as a table (its rows were lines of escaped bars: a walkthrough's export)
                out += md_table(span)
                continue
            paragraphs = [[md_inline(ln) for ln in p.split("\n") if ln.strip()]
                          for p in re.split(r"\n\s*\n", "\n".join(span))]
            for j, lines in enumerate(p for p in paragraphs if p):
                if j:
                    out.append(None)
                # a backslash at a line's end is a hard line break: each source line stays a line
                out += [ln + "\\" for ln in lines[:-1]] + lines[-1:]
    return "\n".join(indent + (">" if ln is None else "> " + ln) for ln in out)


def md_table(lines: list[str]) -> list[str]:
    """A source table's lines as a Markdown table: the header row, a delimiter row, the rows; each cell shown as it
    reads (``md_inline``: a bar in a cell escaped)."""
    rows = [[md_inline(c) for c in r] for r in table_grid(lines)]
    out = ["| " + " | ".join(r) + " |" for r in rows]
    return out[:1] + ["|" + "---|" * len(rows[0])] + out[1:] if rows else []


def md_quote(text: object) -> str:
    """A blockquote of untrusted text (the user's answer)."""
    body = md_block(text)
    return "\n".join(">" + (" " + ln if ln else "") for ln in body.split("\n")) if body else "> (empty)"


def span_md(source: str, line_start, line_end, titles: dict[str, str] | None = None) -> str:
    return md_inline(span_label(source, line_start, line_end, titles))


def evidence_md(e: Evidence, titles: dict[str, str] | None = None) -> str:
    text = f": “{md_inline(e.text)}”" if e.text else ""
    return f"evidence {md_inline(e.label(titles))}{text}"


def citation_markdown(c: Citation, index: int, titles: dict[str, str] | None = None) -> str:
    head = f"{index}. {span_md(c.source, c.line_start, c.line_end, titles)}"
    if c.question:
        head += f" ({md_inline(c.question)})"
    lines = [head]
    if c.passage:
        lines.append(md_passage(c.passage, "   "))
    for f in c.flags:
        fix = f" Correction: {md_inline(f.get('correction'))}" if f.get("correction") else ""
        reason = md_inline(str(f.get("reason") or f.get("quote") or "").rstrip(". "))
        lines.append(f"   - ⚠️ **Source flagged ({md_inline(f.get('verdict', 'suspect'))})**: {reason}.{fix}")
    return "\n".join(lines)


def grade_markdown(grade: Grade, titles: dict[str, str] | None = None, level: int = 3) -> str:
    """A grade as Markdown sections, each with its own heading (``level`` sets the heading depth)."""
    card, h = grade_card(grade), "#" * level
    out = [f"**Score {card.score:.1f}/10 · {md_inline(card.verdict)}**"]
    if card.feedback:
        out += ["", md_block(card.feedback)]
    if card.notes:
        out += ["", "_Notes:_ " + md_inline(" ".join(card.notes))]  # sentences: "; " read ".;"
    if card.right:
        out += ["", f"{h} {SECTION_TITLES['right']}", ""] + [f"- ✓ {md_inline(p)}" for p in card.right]
    if card.absent:
        out += ["", f"{h} {SECTION_TITLES['missing']}", ""] + [f"- {md_inline(p)}" for p in card.absent]
    if card.said_unconfirmed:
        out += ["", f"{h} {SECTION_TITLES['unconfirmed']}", "", f"_{md_inline(UNCONFIRMED_NOTE)}:_", ""]
        out += [f"- {md_inline(p)}" for p in card.said_unconfirmed]
    if card.wrong:
        out += ["", f"{h} {SECTION_TITLES['wrong']}", ""]
        for w in card.wrong:
            note = w.source_note(titles)
            note = " " + md_inline(note) if note else ""  # md_inline strips the note's leading space
            basis = f" _({md_inline(w.basis)})_" if w.basis else ""
            out.append(f"- ✗ {md_inline(w.claim)} → {md_inline(w.correction)}{note}{basis}")
            out += [f"  - {evidence_md(e, titles)}" for e in w.evidence]
    if card.model_answer:
        out += ["", f"{h} {SECTION_TITLES['model_answer']}", "", md_block(card.model_answer)]
    if card.steps:
        out += ["", f"{h} {SECTION_TITLES['steps']}", ""]
        out += [f"- **{md_inline(s.name)}** {s.value:.2f}: {md_inline(s.explanation)}" for s in card.steps]
    if card.references:
        out += ["", f"{h} {SECTION_TITLES['references']}", ""]
        out += [citation_markdown(c, i + 1, titles) for i, c in enumerate(card.references)]
    return "\n".join(out)
