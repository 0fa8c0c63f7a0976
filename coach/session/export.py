"""Exports: a session as Markdown (``markdown.py``: no HTML entities) or JSON, missed questions for Anki
as an ``.apkg`` deck (genanki; ``anki_apkg``) or a CSV.

The Anki CSV starts with Anki's file headers (``#separator:comma``, ``#html:false``: fields are
plain text, so source text can never become markup in Anki), then one ``front,back`` row per
missed question, every field quoted. "Missed" = skipped, revealed, or graded below MISSED_BELOW.
"""

from __future__ import annotations

import csv
import html
import datetime as dt
import io
import json
from dataclasses import asdict

from coach.grading.types import Citation, lines_of
from coach.session.card import source_label
from coach.session.markdown import citation_markdown, grade_markdown, md_block, md_inline, md_quote
from coach.session.render import blocks_html, summary_md, turn_label

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
        label = turn_label(t.kind, t.position + 1)
        out += [f"## {label} ({md_inline(t.topic)})", "", md_block(t.question), ""]
        if t.status == "pending":
            out += ["_Not answered yet._", ""]
            continue
        item = info.plan[t.position]
        if t.status in ("skipped", "revealed"):
            out += [f"_{t.status.capitalize()}._", "", "### Model answer", "", md_block(item.model_answer) or "(none)", ""]
            shown = item.model_answer
        else:
            out += ["### Your answer", "", md_quote(t.answer), "", grade_markdown(t.grade, titles), ""]
            shown = t.grade.model_answer if t.grade else ""
        now = engine.model_answer_now(item.id, item.question) if t.kind == "main" else None
        # the record keeps what was shown; a reader must not re-learn an error reported since (nothing shown then:
        # nothing to set right)
        if now and shown and _norm(now) != _norm(shown):
            out += ["### Model answer now", "", "_It differs from the one this session showed (an error reported in its "
                    "source since, or the source edited):_", "", md_block(now), ""]
    for a in engine.asks(sid):
        out += ["## You asked", "", md_block(a["question"]), "", md_block(a["answer"]), ""]
        cites, since = ask_citations_now(engine, a)
        warns = list(a.get("warnings") or []) + since
        out += [f"_{md_inline(w)}_" for w in warns] + ([""] if warns else [])
        if cites:  # the "[1]" of the answer names one of these (it was left without them)
            out += [citation_markdown(c, i + 1, titles) for i, c in enumerate(cites)] + [""]
    out += [summary_md(engine.summary(sid), esc=md_inline, all_gaps=True), ""]
    return "\n".join(out)


def missed_cards(engine, sid: str | None = None) -> list[dict]:
    """{"id", "question", "model_answer", "citation"} for each missed main question, in one session or
    all of them; the latest attempt wins (a question answered well later is no longer missed)."""
    sids = [sid] if sid else [s.id for s in reversed(engine.sessions())]
    cards: dict[str, dict] = {}
    titles = engine.source_titles()
    for s in sids:
        plan = engine.info(s).plan
        for t in engine.turns(s):
            if t.kind != "main" or t.status == "pending":
                continue
            item = plan[t.position]
            missed = t.status in ("skipped", "revealed") or (t.grade is not None and t.grade.score < MISSED_BELOW)
            if not missed:
                cards.pop(item.id, None)
                continue
            citation = ""
            if t.grade and t.grade.references:
                c = t.grade.references[0]
                citation = f"{source_label(c.source, titles)} {lines_of(c.line_start, c.line_end)}".rstrip()
            elif item.record_ids:  # skipped or revealed: no grade cites it, its record does ("source:line", its id)
                source, _, line = item.record_ids[0].rpartition(":")
                if source and line.isdigit():
                    citation = f"{source_label(source, titles)} {lines_of(int(line), None)}"
            answer = engine.model_answer_now(item.id, item.question) or item.model_answer.strip()
            cards[item.id] = {"id": item.id, "question": item.question, "model_answer": answer, "citation": citation}
    return list(cards.values())


def missed_rows(engine, sid: str | None = None) -> list[tuple[str, str]]:
    """(front, back) for each missed main question: the back is the model answer, then its source."""
    return [(c["question"], c["model_answer"] + (f"\n\nSource: {c['citation']}" if c["citation"] else ""))
            for c in missed_cards(engine, sid)]


def anki_csv(engine, sid: str | None = None) -> str:
    buf = io.StringIO()
    buf.write("#separator:comma\n#html:false\n")
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for front, back in missed_rows(engine, sid):
        writer.writerow([front, _unfenced(back)])
    return buf.getvalue()


def _unfenced(text: str) -> str:
    """Plain text has no code fences: a code block's lines are kept and its ``` lines dropped (a walkthrough's cards
    showed "```java" in Anki, the file being ``#html:false``)."""
    return "\n".join(line for line in text.split("\n") if not line.strip().startswith("```"))


# Fixed ids: Anki recognises the deck and note type on every import (random ids would duplicate them).
ANKI_DECK_ID = 1_904_311_015
ANKI_MODEL_ID = 1_904_311_016


def _anki_model():
    import genanki

    return genanki.Model(
        ANKI_MODEL_ID, "Interview Coach question",
        fields=[{"name": "Question"}, {"name": "Model answer"}, {"name": "Source"}],
        templates=[{"name": "Card 1", "qfmt": "{{Question}}",
                    "afmt": "{{FrontSide}}<hr id=answer>{{Model answer}}<br><br><small>{{Source}}</small>"}],
    )


def anki_apkg(engine, path, sid: str | None = None) -> int:
    """Write the missed questions as an Anki deck (``.apkg``, genanki): question on the front, the model
    answer and the citation on the back. Anki fields are HTML, so every text is HTML-escaped. Notes
    keep a stable guid per question id, so importing again updates them. Returns the number of notes."""
    import genanki

    deck = genanki.Deck(ANKI_DECK_ID, "Interview Coach::Missed questions")
    model = _anki_model()
    cards = missed_cards(engine, sid)
    for c in cards:
        fields = [_anki_html(c["question"]), _anki_html(c["model_answer"]), _anki_html(c["citation"])]
        deck.add_note(genanki.Note(model=model, fields=fields, guid=genanki.guid_for("interview-coach", c["id"])))
    genanki.Package(deck).write_to_file(str(path))
    return len(cards)


def _anki_html(text: str) -> str:
    """Escaped text for an Anki field (HTML); a fenced code block as ``<pre>`` with its lines and indentation."""
    return blocks_html(text, lambda line: html.escape(line, quote=False),
                       lambda code: "<pre><code>" + html.escape(code, quote=False) + "</code></pre>")


def ask_citations(ask: dict) -> list[Citation]:
    """An Ask exchange's citations as stored (``SessionEngine.asks``: dicts), as citations again."""
    return [Citation(**c) for c in ask.get("citations") or [] if isinstance(c, dict)]


def _flag_key(flag: dict) -> tuple:
    return tuple(str(flag.get(k) or "") for k in ("quote", "verdict", "correction", "line_start", "line_end"))


def ask_citations_now(engine, ask: dict) -> tuple[list[Citation], list[str]]:
    """An Ask exchange's citations with their source-audit flags as they are NOW, and a warning for each flag a
    passage the answer quotes has gained since it was given (an error reported, or found by a later audit). The answer
    is kept as it was said; a walkthrough's export of an Ask session, written after the user reported the sentence it
    quoted, still showed that sentence with no mark. A citation whose flags cannot be read now keeps its stored ones."""
    from coach.session.render import quoted_numbers

    cites = ask_citations(ask)
    quoted = quoted_numbers(ask.get("answer") or "")
    warnings = []
    for n, c in enumerate(cites, 1):
        now = engine.flags_now(c.record_id) if c.record_id else None
        if now is None:
            continue
        before = {_flag_key(f) for f in c.flags}
        if (quoted is None or n in quoted):
            warnings += [f"Flagged since this answer was given: {c.source} {lines_of(f.get('line_start'), f.get('line_end'))} "
                         f"({f.get('verdict') or 'suspect'}): {str(f.get('reason') or f.get('quote') or '').strip()} "
                         f"Correction: {f.get('correction') or '(none)'}"
                         for f in now if _flag_key(f) not in before]
        c.flags = list(now)
    return cites, warnings


def _norm(text: str | None) -> str:
    return " ".join(str(text or "").split())
