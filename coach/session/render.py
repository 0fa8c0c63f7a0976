"""Grades, questions and summaries as text: escaped Markdown for the web UI and Markdown exports,
plain text for the terminal.

Everything that comes from a source document or a model is untrusted. ``safe()`` escapes HTML *and*
the Markdown characters that could turn text into links, images, emphasis, tables or maths, using
HTML entities (they work both in Markdown and inside the ``<details>`` HTML blocks used for citations).
A source line ``<script>alert(1)</script>`` therefore shows as that text, never as markup.
"""

from __future__ import annotations

import html

from coach.grading.types import Citation, Grade

_MD_ENTITIES = {c: f"&#{ord(c)};" for c in "\\`*_[]|~#$!{}"}


def safe(text: object) -> str:
    """Untrusted text -> Markdown/HTML that displays exactly that text."""
    # quote=False: never used inside an attribute, and the chatbot showed "&#x27;" literally for "'"
    escaped = html.escape(str(text or ""), quote=False)
    return "".join(_MD_ENTITIES.get(c, c) for c in escaped)


def safe_block(text: object) -> str:
    """Like ``safe`` but keeps line breaks inside HTML blocks."""
    return safe(text).replace("\n", "<br>")


def span(c: Citation) -> str:
    return f"{c.source}:{c.line_start}-{c.line_end}" if c.line_end != c.line_start else f"{c.source}:{c.line_start}"


def citation_md(c: Citation, index: int) -> str:
    """One expandable citation: the line span in the summary, the passage on demand."""
    warn = ""
    for f in c.flags:
        verdict = f.get("verdict", "suspect")
        fix = f" Correction: {safe(f.get('correction'))}" if f.get("correction") else ""
        reason = str(f.get("reason") or f.get("quote") or "").rstrip(". ")
        warn += f"<br>⚠️ <b>Source flagged ({safe(verdict)})</b>: {safe(reason)}.{fix}"
    title = f" ({safe(c.question)})" if c.question else ""
    return (f"<details><summary>[{index}] {safe(span(c))}{title}{' ⚠️' if c.flags else ''}</summary>"
            f"{safe_block(c.passage) or '(no passage)'}{warn}</details>")


def _not_in(items: list[str], feedback: str) -> list[str]:
    # The grader's feedback may already spell out some points; do not print them twice.
    return [p for p in items if p and p not in feedback]


def grade_md(grade: Grade) -> str:
    lines = [f"**Score {grade.score:.1f}/10 · {safe(grade.verdict)}**", "", safe(grade.feedback)]
    right, missing = _not_in(grade.right, grade.feedback), _not_in(grade.missing, grade.feedback)
    if right:
        lines += ["", "**Right:**"] + [f"- ✓ {safe(p)}" for p in right]
    if missing:
        lines += ["", "**Missing:**"] + [f"- {safe(p)}" for p in missing]
    if grade.wrong:
        lines += ["", "**Wrong:**"]
        for w in grade.wrong:
            note = " (the source itself is wrong here)" if w.get("source_error") else ""
            lines.append(f"- ✗ {safe(w.get('claim'))} → {safe(w.get('correction'))}{note}")
    if grade.notes:
        lines += ["", "_Notes:_ " + safe("; ".join(grade.notes))]
    if grade.model_answer and grade.model_answer.strip() not in grade.feedback:
        lines += ["", f"<details><summary>Model answer</summary>{safe_block(grade.model_answer)}</details>"]
    if grade.references:
        lines += ["", "**Citations:**", ""] + [citation_md(c, i + 1) for i, c in enumerate(grade.references)]
    return "\n".join(lines)


def question_md(question: str, number: int, total: int, topic: str, kind: str = "main") -> str:
    label = "Follow-up" if kind == "followup" else f"Question {number}/{total}"
    return f"**{label}** · _{safe(topic)}_\n\n{safe(question)}"


def citations_md(citations: list[Citation]) -> str:
    return "\n".join(citation_md(c, i + 1) for i, c in enumerate(citations))


def summary_md(summary: dict) -> str:
    avg = summary["average_score"]
    lines = [
        f"### Session summary: {safe(summary['title'])}",
        f"Average score **{avg if avg is not None else '-'}**/10 over {summary['asked']} question(s): "
        f"{summary['answered']} answered, {summary['skipped']} skipped, {summary['revealed']} revealed, "
        f"{summary['followups']} follow-up(s).",
    ]
    if summary["by_topic"]:
        lines += ["", "| Topic | Average |", "|---|---|"]
        lines += [f"| {safe(t)} | {s} |" for t, s in summary["by_topic"].items()]
    if summary["gaps"]:
        lines += ["", "**To work on:**"]
        for g in summary["gaps"][:8]:
            what = f"missing: {safe(g['missing'])}" if "missing" in g else f"wrong: {safe(g['wrong'])} → {safe(g['correction'])}"
            lines.append(f"- {what} _({safe(g['question'])})_")
    if summary["next_reviews"]:
        lines += ["", "**Next reviews:**"] + [f"- {safe(r['due'])}: {safe(r['question'])}" for r in summary["next_reviews"][:8]]
    return "\n".join(lines)


# ---- plain text (terminal) --------------------------------------------------------------------
_CONTROL = {c: None for c in range(32) if c not in (9, 10)} | {c: None for c in range(127, 160)}


def plain(text: object) -> str:
    """Untrusted text for a terminal: control characters (ANSI escapes included) removed."""
    return str(text or "").translate(_CONTROL)


def summary_text(summary: dict) -> str:
    avg = summary["average_score"]
    lines = [f"Session summary: {summary['title']}",
             f"Average score {avg if avg is not None else '-'}/10 over {summary['asked']} question(s): "
             f"{summary['answered']} answered, {summary['skipped']} skipped, {summary['revealed']} revealed."]
    lines += [f"  {t}: {s}/10" for t, s in summary["by_topic"].items()]
    for g in summary["gaps"][:8]:
        lines.append(f"  to work on: {g.get('missing') or g.get('wrong')} ({g['question']})")
    lines += [f"  next review {r['due']}: {r['question']}" for r in summary["next_reviews"][:8]]
    return plain("\n".join(lines))


def grade_text(grade: Grade) -> str:
    lines = [f"Score {grade.score:.1f}/10 ({grade.verdict})", grade.feedback]
    lines += [f"  + {p}" for p in _not_in(grade.right, grade.feedback)]
    lines += [f"  - missing: {p}" for p in _not_in(grade.missing, grade.feedback)]
    lines += [f"  x {w.get('claim')} -> {w.get('correction')}" for w in grade.wrong]
    if grade.model_answer and grade.model_answer.strip() not in grade.feedback:
        lines += ["Model answer:", "  " + grade.model_answer.strip().replace("\n", "\n  ")]
    lines += [citation_text(c, i + 1) for i, c in enumerate(grade.references)]
    return plain("\n".join(lines))


def citation_text(c: Citation, index: int) -> str:
    flags = "".join(f"\n      ! source flagged ({f.get('verdict')}): {f.get('reason') or f.get('quote')}"
                    + (f" Correction: {f['correction']}" if f.get("correction") else "") for f in c.flags)
    return plain(f"  [{index}] {span(c)} {c.question}{flags}")
