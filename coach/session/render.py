"""Grades, questions and summaries as text: HTML-safe Markdown for the web UI, plain text for the
terminal (Markdown files for export are written by ``markdown.py``, with Markdown escaping only).

Everything that comes from a source document or a model is untrusted. ``safe()`` escapes HTML *and*
the Markdown characters that could turn text into links, images, emphasis, tables or maths, using
HTML entities (they work both in Markdown and inside the ``<details>`` HTML blocks used for citations).
A source line ``<script>alert(1)</script>`` therefore shows as that text, never as markup.
"""

from __future__ import annotations

import html
import re

from coach.grading.feedback import DRAFTED_FROM, UNCONFIRMED_NOTE
from coach.grading.types import Citation, Grade, Step
from coach.grading.text import table_grid, table_spans, text_and_code
from coach.session.card import SECTION_TITLES, Evidence, grade_card, span_label
from coach.session.records import Turn
from corpus.blocks import is_delimiter_row

_MD_ENTITIES = {c: f"&#{ord(c)};" for c in "\\`*_[]|~#$!{}"}


def safe(text: object) -> str:
    """Untrusted text -> Markdown/HTML that displays exactly that text."""
    # quote=False: never used inside an attribute, and the chatbot showed "&#x27;" literally for "'"
    # one line: a line break in a list item or a heading would let the text start its own Markdown block
    # (a heading, a code block); safe_block keeps the breaks, as <br>
    escaped = html.escape(" ".join(str(text or "").splitlines()), quote=False)
    return "".join(_MD_ENTITIES.get(c, c) for c in escaped)


def safe_block(text: object) -> str:
    """Like ``safe`` but keeps line breaks inside HTML blocks, and shows a fenced code block as code
    (``code_html``)."""
    return blocks_html(text, safe, code_html)


def blocks_html(text: object, line_html, code_block) -> str:
    """Untrusted text as HTML: each prose line through ``line_html``, lines joined by ``<br>``, each fenced code block
    through ``code_block`` (a ``<pre>``, which needs no break around it). The web UI's and the Anki cards' escaping."""
    out = ""
    for chunk, language in text_and_code(text):
        if language is not None:
            out += code_block(chunk)
            continue
        for lines, is_table in table_spans(chunk):
            # a table as Markdown writes one: a delimiter row under its header ("|x| is the absolute value" over
            # "|y| ..." is two lines with bars, not a table: a review)
            if is_table and len(lines) > 2 and is_delimiter_row(lines[1]) and len(table_grid(lines)) > 1:
                out += table_html(lines, line_html)
            else:
                out += ("<br>" if out and not out.endswith(("</pre>", "</table>")) else "") + "<br>".join(line_html(ln) for ln in lines)
    return out


def table_html(lines: list[str], cell_html) -> str:
    """A Markdown table as an HTML table, its first row the header, every cell through ``cell_html`` (escaped): a
    walkthrough's cited table showed as escaped bars, "&#124; Strategy &#124; Write latency &#124; ...". One line, so
    it stays inside the HTML block it sits in."""
    head, *rows = table_grid(lines)
    cells = lambda row, tag: "".join(f"<{tag}>{cell_html(c)}</{tag}>" for c in row)  # noqa: E731
    return ("<table><thead><tr>" + cells(head, "th") + "</tr></thead><tbody>"
            + "".join("<tr>" + cells(r, "td") + "</tr>" for r in rows) + "</tbody></table>")


def code_html(code: str) -> str:
    """A code block as ``<pre><code>``, escaped like ``safe``, its lines joined by the entity for a line break so
    that the block is one Markdown line (a blank line in the code would otherwise end the HTML block it sits in, and
    a paragraph drops a line's leading spaces): the lines and their indentation show as written."""
    return "<pre><code>" + "&#10;".join(safe(ln) for ln in code.split("\n")) + "</code></pre>"


def span(c: Citation, titles: dict[str, str] | None = None) -> str:
    """ "Its Title · file.txt:3-5": the source's title (from its content) beside the file name."""
    return span_label(c.source, c.line_start, c.line_end, titles)


NOT_QUOTED = "related, not quoted"  # a retrieved passage an Ask answer lists but does not quote


def quoted_numbers(answer: str) -> set[int] | None:
    """The citation numbers an Ask answer refers to ("[1]"), or None when it refers to none (nothing to tell apart).
    The other listed passages were retrieved beside it; a walkthrough read an unreferenced "[2]" as a source of the
    answer."""
    found = {int(n) for n in re.findall(r"\[(\d{1,2})\]", answer or "")}
    return found or None


def citation_md(c: Citation, index: int, titles: dict[str, str] | None = None, quoted: set[int] | None = None) -> str:
    """One expandable citation: the line span in the summary, the passage on demand. ``quoted``: the numbers the
    answer refers to (``quoted_numbers``); another one is marked as related, not quoted."""
    warn = ""
    for f in c.flags:
        verdict = f.get("verdict", "suspect")
        fix = f" Correction: {safe(f.get('correction'))}" if f.get("correction") else ""
        reason = str(f.get("reason") or f.get("quote") or "").rstrip(". ")
        warn += f"<br>⚠️ <b>Source flagged ({safe(verdict)})</b>: {safe(reason)}.{fix}"
    title = f" ({safe(c.question)})" if c.question else ""
    title += f" <i>({NOT_QUOTED})</i>" if quoted is not None and index not in quoted else ""  # HTML: no Markdown in <summary>
    return (f"<details><summary>[{index}] {safe(span(c, titles))}{title}{' ⚠️' if c.flags else ''}</summary>"
            f"{safe_block(c.passage) or '(no passage)'}{warn}</details>")


def _evidence_html(e: Evidence, titles: dict[str, str] | None = None) -> str:
    text = f": “{safe(e.text)}”" if e.text else ""
    return f"<br><small>Evidence: {safe(e.label(titles))}{text}</small>"


def steps_html(steps: list[Step]) -> str:
    """The named scoring steps as an expandable "Why this score" (HTML: it sits inside <details>)."""
    items = "".join(f"<li><b>{safe(s.name)}</b> {s.value:.2f}: {safe(s.explanation)}</li>" for s in steps)
    return f"<details><summary>{SECTION_TITLES['steps']}</summary><ul>{items}</ul></details>"


def notes_shown_before(turns: list[Turn], turn_id: int) -> set[str]:
    """The notes of a session's grades before turn ``turn_id``: a note already shown is shortened
    (``repeated_note``) rather than printed again in full under every answer."""
    return {n for t in turns if t.id < turn_id and t.grade is not None for n in t.grade.notes}


def repeated_note(note: str) -> str:
    """A note the candidate has already read in this session, shortened to its first clause (a walkthrough read
    the same three-line "Graded against key points drafted from ..." note under every answer)."""
    head, sep, _ = note.partition(": ")
    return f"{head} (see the note above)." if sep and len(head) <= 160 else note


def _note_kind(note: str) -> str:
    """A note, or what it says in general: the drafted-rubric note names its sources, which differ from question to
    question (and a grade that cites nothing says "an added source"); a walkthrough read the full note again under
    every follow-up."""
    return DRAFTED_FROM if note.startswith(DRAFTED_FROM) else note


def _notes(card, shown: set[str] | frozenset[str]) -> list[str]:
    seen = {_note_kind(n) for n in shown}
    return [repeated_note(n) if _note_kind(n) in seen else n for n in card.notes]


def grade_md(grade: Grade, titles: dict[str, str] | None = None, shown_notes: set[str] | frozenset[str] = frozenset()) -> str:
    """The web UI's grade card: one heading and list per section, every text HTML-safe. ``shown_notes``: notes the
    session has already shown in full (``notes_shown_before``), now shortened."""
    card = grade_card(grade)
    lines = [f"**Score {card.score:.1f}/10 · {safe(card.verdict)}**"]
    if card.feedback:
        lines += ["", safe_block(card.feedback)]
    if card.notes:
        lines += ["", "_Notes:_ " + safe(" ".join(_notes(card, shown_notes)))]  # sentences: "; " read ".;"
    if card.right:
        lines += ["", f"#### {SECTION_TITLES['right']}", ""] + [f"- ✓ {safe(p)}" for p in card.right]
    if card.absent:
        lines += ["", f"#### {SECTION_TITLES['missing']}", ""] + [f"- {safe(p)}" for p in card.absent]
    if card.said_unconfirmed:
        lines += ["", f"#### {SECTION_TITLES['unconfirmed']}", "", f"_{safe(UNCONFIRMED_NOTE)}:_", ""]
        lines += [f"- {safe(p)}" for p in card.said_unconfirmed]
    if card.wrong:
        lines += ["", f"#### {SECTION_TITLES['wrong']}", ""]
        for w in card.wrong:
            note = safe(w.source_note(titles))
            basis = f" <small>({safe(w.basis)})</small>" if w.basis else ""
            lines.append(f"- ✗ {safe(w.claim)} → {safe(w.correction)}{note}{basis}" + "".join(_evidence_html(e, titles) for e in w.evidence))
    if card.model_answer:
        lines += ["", f"#### {SECTION_TITLES['model_answer']}", "", safe_block(card.model_answer)]
    if card.steps:
        lines += ["", steps_html(card.steps)]
    if card.references:
        lines += ["", f"#### {SECTION_TITLES['references']}", ""] + [citation_md(c, i + 1, titles) for i, c in enumerate(card.references)]
    return "\n".join(lines)


def turn_label(kind: str, number: int, total: int | None = None) -> str:
    """"Question 2/5", or for a follow-up the question it follows up on ("Follow-up on question 1"): a
    follow-up is asked after the next question was already shown, so it says which one it is about."""
    if kind == "followup":
        return f"Follow-up on question {number}"
    return f"Question {number}/{total}" if total else f"Question {number}"


def skip_note(kind: str) -> str:
    """What skipping says: a main question comes back in a later session (it is scheduled as missed); a
    follow-up does not (its question was answered and scheduled from that answer), and says so."""
    if kind == "followup":
        return "Follow-up skipped: it does not come back; its question is already scheduled from your answer."
    return "Skipped: it will come back in a later session."


def question_md(question: str, number: int, total: int, topic: str, kind: str = "main", lead_in: str = "") -> str:
    lead = f"{safe(lead_in)} " if lead_in else ""
    text = f"**{turn_label(kind, number, total)}** · _{safe(topic)}_\n\n{lead}{safe(question)}"
    if kind == "followup" and number < total:
        text += f"\n\n_Answer this follow-up first; question {number + 1} follows._"
    return text


def citations_md(citations: list[Citation], titles: dict[str, str] | None = None, quoted: set[int] | None = None) -> str:
    return "\n".join(citation_md(c, i + 1, titles, quoted) for i, c in enumerate(citations))


def _followups(summary: dict) -> str:
    """"2 follow-up(s) answered", or "1 of 2 follow-up(s) answered" (a follow-up asked and skipped was "0 follow-up(s)"
    in a walkthrough's summary)."""
    answered, asked = summary["followups"], summary.get("followups_asked", summary["followups"])
    return f"{answered} follow-up(s) answered" if asked == answered else f"{answered} of {asked} follow-up(s) answered"


def summary_md(summary: dict, esc=None, all_gaps: bool = False) -> str:
    """The end-of-session summary; ``esc`` escapes untrusted text (default: HTML-safe for the web UI)."""
    safe_ = esc or safe
    avg = summary["average_score"]
    lines = [
        f"### Session summary: {safe_(summary['title'])}",
        f"Average score **{avg if avg is not None else '-'}**/10 over {summary['answered']} answered question(s) "
        f"of {summary['asked']} asked{_early(summary)}; {summary['skipped']} skipped and {summary['revealed']} revealed "
        f"(not in the average), {_followups(summary)}.",
    ]
    if summary["by_topic"]:
        lines += ["", "| Topic | Average |", "|---|---|"]
        lines += [f"| {safe_(t)} | {s} |" for t, s in summary["by_topic"].items()]
    if summary.get("unanswered"):
        lines += ["", "**Skipped or revealed (they come back in a later session):**", ""]
        lines += [f"- {safe_(u['question'])} _({safe_(u['status'])})_" for u in summary["unanswered"]]
    if summary["gaps"]:
        lines += ["", "**To work on:**", ""]
        shown = summary["gaps"] if all_gaps else summary["gaps"][:SHOWN_GAPS]
        lines += [f"- {gap_text(g, safe_)} _({safe_(g['question'])})_" for g in shown]
        if len(summary["gaps"]) > len(shown):
            lines.append(f"- _{safe_(more_gaps(summary))}_")
    if summary["next_reviews"]:
        lines += ["", "**Next reviews:**", ""] + [f"- {safe_(r['due'])}: {safe_(r['question'])}" for r in summary["next_reviews"][:8]]
    return "\n".join(lines)


SHOWN_GAPS = 8  # gaps a summary lists (errors first); the export has them all


def more_gaps(summary: dict) -> str:
    n = len(summary["gaps"]) - SHOWN_GAPS
    return f"... and {n} more to work on: the session's export lists every one"


def gap_text(gap: dict, esc=str) -> str:
    """One gap of the summary: a missing point as the point to learn; a wrong claim as what was said AND its
    correction (a walkthrough's terminal summary listed the candidate's wrong sentence alone, as if it were a point
    to study)."""
    if "missing" in gap:
        return f"missing: {esc(gap['missing'])}"
    if not gap.get("correction"):
        return f"you said: \"{esc(gap['wrong'])}\" (wrong)"
    return f"you said: \"{esc(gap['wrong'])}\" → correct: {esc(gap['correction'])}"


def models_md(models: dict) -> str:
    """The footer line: model names only. Install paths (``*_path``, a venv's site-packages) are
    internal details, so path-like values show as their last part."""
    shown = {k: _last_part(v) for k, v in models.items() if not str(k).endswith("_path")}
    # No code spans here: entities from safe() are not decoded inside backticks.
    return "Active models: " + " · ".join(f"{safe(k.replace('_', ' '))}: **{safe(v)}**" for k, v in shown.items())


def _last_part(value: object) -> str:
    text = str(value)
    return text.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] if "/" in text or "\\" in text else text


# ---- plain text (terminal) --------------------------------------------------------------------
_CONTROL = {c: None for c in range(32) if c not in (9, 10)} | {c: None for c in range(127, 160)}


def plain(text: object) -> str:
    """Untrusted text for a terminal: control characters (ANSI escapes included) removed."""
    return str(text or "").translate(_CONTROL)


def _early(summary: dict) -> str:
    """ " (finished early: 2 of the 5 planned)" for a session finished before its plan ran out ("2 answered of 2 asked"
    read as a whole session)."""
    planned, asked = summary.get("planned") or 0, summary["asked"]
    return f" (finished early: {asked} of the {planned} planned)" if summary.get("status") == "finished" and asked < planned else ""


def summary_text(summary: dict) -> str:
    avg = summary["average_score"]
    lines = [f"Session summary: {summary['title']}",
             f"Average score {avg if avg is not None else '-'}/10 over {summary['answered']} answered question(s) "
             f"of {summary['asked']}{_early(summary)}; {summary['skipped']} skipped, {summary['revealed']} revealed "
             "(not in the average)."]
    lines += [f"  {t}: {s}/10" for t, s in summary["by_topic"].items()]
    lines += [f"  {u['status']}: {u['question']}" for u in summary.get("unanswered", [])]
    lines += [f"  to work on: {gap_text(g)} ({g['question']})" for g in summary["gaps"][:SHOWN_GAPS]]
    if len(summary["gaps"]) > SHOWN_GAPS:
        lines.append(f"  {more_gaps(summary)}")
    lines += [f"  next review {r['due']}: {r['question']}" for r in summary["next_reviews"][:8]]
    return plain("\n".join(lines))


def grade_text(grade: Grade, titles: dict[str, str] | None = None, shown_notes: set[str] | frozenset[str] = frozenset()) -> str:
    card = grade_card(grade)
    lines = [f"Score {card.score:.1f}/10 ({card.verdict})"]
    if card.feedback:
        lines.append(card.feedback)
    lines += [f"Note: {n}" for n in _notes(card, shown_notes)]
    for key, items in (("right", [f"  + {p}" for p in card.right]), ("missing", [f"  - {p}" for p in card.absent]),
                       ("unconfirmed", [f"  ({UNCONFIRMED_NOTE})"] + [f"  ? {p}" for p in card.said_unconfirmed]
                        if card.said_unconfirmed else []),
                       ("wrong", [f"  x {w.claim} -> {w.correction}" + (f" ({w.basis})" if w.basis else "") + "".join(f"\n      evidence {e.label(titles)}" for e in w.evidence)
                                  for w in card.wrong])):
        if items:
            lines += [SECTION_TITLES[key] + ":"] + items
    if card.model_answer:
        lines += [SECTION_TITLES["model_answer"] + ":", "  " + card.model_answer.replace("\n", "\n  ")]
    if card.steps:
        lines += [SECTION_TITLES["steps"] + ":"] + [f"  {s.name} {s.value:.2f}: {s.explanation}" for s in card.steps]
    lines += [citation_text(c, i + 1, titles) for i, c in enumerate(card.references)]
    return plain("\n".join(lines))


def citation_text(c: Citation, index: int, titles: dict[str, str] | None = None, quoted: set[int] | None = None,
                  flags_said: bool = False) -> str:
    """One citation line; its flags below it, unless ``flags_said`` (a warning under the answer says them)."""
    flags = "" if flags_said else "".join(f"\n      ! source flagged ({f.get('verdict')}): {f.get('reason') or f.get('quote')}"
                    + (f" Correction: {f['correction']}" if f.get("correction") else "") for f in c.flags)
    note = f" ({NOT_QUOTED})" if quoted is not None and index not in quoted else ""
    return plain(f"  [{index}] {span(c, titles)} {c.question}{note}{flags}")
