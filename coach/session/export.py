"""Exports: a session as Markdown (``markdown.py``: no HTML entities) or JSON, missed questions for Anki.

The Anki CSV starts with Anki's file headers (``#separator:comma``, ``#html:false``: fields are
plain text, so source text can never become markup in Anki), then one ``front,back`` row per
missed question, every field quoted. "Missed" = skipped, revealed, or graded below MISSED_BELOW.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict

from coach.session.card import source_label
from coach.session.markdown import grade_markdown, md_block, md_inline, md_quote
from coach.session.render import summary_md

MISSED_BELOW = 6.0


def session_json(engine, sid: str) -> dict:
    info = engine.info(sid)
    return {
        "session": {k: v for k, v in asdict(info).items() if k != "plan"},
        "plan": [asdict(p) for p in info.plan],
        "turns": [{**asdict(t), "grade": asdict(t.grade) if t.grade else None} for t in engine.turns(sid)],
        "asks": engine.asks(sid),
        "summary": engine.summary(sid),
    }


def session_json_text(engine, sid: str) -> str:
    return json.dumps(session_json(engine, sid), ensure_ascii=False, indent=2)


def session_markdown(engine, sid: str) -> str:
    """The session as a Markdown file: Markdown escaping only, so it reads well in an editor too."""
    info, titles = engine.info(sid), engine.source_titles()
    when = dt.datetime.fromtimestamp(info.created_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"# Interview session {md_inline(info.id)}", "", f"{md_inline(info.title)} · started {when} · {info.status}", ""]
    for t in engine.turns(sid):
        label = "Follow-up" if t.kind == "followup" else f"Question {t.position + 1}"
        out += [f"## {label} ({md_inline(t.topic)})", "", md_block(t.question), ""]
        if t.status == "pending":
            out += ["_Not answered yet._", ""]
            continue
        if t.status in ("skipped", "revealed"):
            out += [f"_{t.status.capitalize()}._", "", "### Model answer", "",
                    md_block(info.plan[t.position].model_answer) or "(none)", ""]
            continue
        out += ["### Your answer", "", md_quote(t.answer), "", grade_markdown(t.grade, titles), ""]
    for a in engine.asks(sid):
        out += ["## You asked", "", md_block(a["question"]), "", md_block(a["answer"]), ""]
    out += [summary_md(engine.summary(sid), esc=md_inline), ""]
    return "\n".join(out)


def missed_rows(engine, sid: str | None = None) -> list[tuple[str, str]]:
    """(front, back) for each missed main question, in one session or all of them; latest attempt wins."""
    sids = [sid] if sid else [s.id for s in reversed(engine.sessions())]
    rows: dict[str, tuple[str, str]] = {}
    titles = engine.source_titles()
    for s in sids:
        plan = engine.info(s).plan
        for t in engine.turns(s):
            if t.kind != "main" or t.status == "pending":
                continue
            item = plan[t.position]
            missed = t.status in ("skipped", "revealed") or (t.grade is not None and t.grade.score < MISSED_BELOW)
            if not missed:
                rows.pop(item.id, None)
                continue
            back = item.model_answer.strip()
            if t.grade and t.grade.references:
                c = t.grade.references[0]
                back += f"\n\nSource: {source_label(c.source, titles)} lines {c.line_start}-{c.line_end}"
            rows[item.id] = (item.question, back)
    return list(rows.values())


def anki_csv(engine, sid: str | None = None) -> str:
    buf = io.StringIO()
    buf.write("#separator:comma\n#html:false\n")
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for front, back in missed_rows(engine, sid):
        writer.writerow([front, back])
    return buf.getvalue()
