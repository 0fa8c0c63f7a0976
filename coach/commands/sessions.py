"""`coach sessions list|export`: the terminal's practice sessions (`coach chat`), listed and exported in the
same formats as the web UI's Export button (``coach.session.export``): Markdown and JSON (the whole session,
every grade with its claim-level evidence: wrong claims, corrections, cited lines), and the missed questions as
an Anki CSV or an Anki deck (``.apkg``).

Only the terminal's own sessions are seen (the local owner): sessions of web UI visitors belong to them.
Nothing here loads a model.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from coach.startup import make_coach
from coach.errors import CoachError

FORMATS = ("markdown", "json", "anki-csv", "anki")
SUFFIX = {"markdown": ".md", "json": ".json", "anki-csv": ".csv", "anki": ".apkg"}


def _engine(settings):
    from coach.session import SessionEngine

    return SessionEngine(make_coach(settings))


def _resolve(engine, session: str) -> str:
    """A session id, its first 4+ characters when no other session starts with them (as `coach corrections remove`
    takes a report's), or 'last' (the most recently updated one)."""
    recent = engine.history()
    if session == "last":
        if not recent:
            raise CoachError("no sessions yet: start one with `coach chat`")
        return recent[0]["id"]
    found = [r["id"] for r in recent if r["id"] == session] or (
        [r["id"] for r in recent if r["id"].startswith(session)] if len(session) >= 4 else [])
    if len(found) > 1:
        raise CoachError(f"{session!r} is the start of {len(found)} sessions ({', '.join(found[:4])}): give more of it")
    return engine.info(found[0] if found else session).id  # "no session 'x'" when unknown


@click.group()
def sessions():
    """List and export practice sessions (those of `coach chat`)."""


@sessions.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per session instead of a table.")
@click.pass_obj
def list_(settings, as_json):
    """Sessions, newest first: id, last activity, status, answered/planned, mean score, title."""
    import json

    rows = _engine(settings).history()
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    if not rows:
        click.echo("No sessions yet: start one with `coach chat`.")
        return
    from coach.session.render import plain

    for r in rows:
        when = dt.datetime.fromtimestamp(r["updated_at"], dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        mean = "-" if r["mean_score"] is None else f"{r['mean_score']:.1f}/10"
        click.echo(f"{r['id']}  {when}  {r['status']:<8}  {r['answered']}/{r['planned']} answered  "
                   f"mean {mean:>7}  {plain(r['title'])}")


@sessions.command("export")
@click.argument("session")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="markdown", show_default=True,
              help="markdown/json: the whole session with every grade's evidence; anki-csv/anki: its missed "
                   "questions (skipped, revealed or graded below 6) as flash cards.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: stdout; an Anki deck needs a file).")
@click.pass_obj
def export(settings, session, fmt, output):
    """Export SESSION (its id, or 'last') as Markdown, JSON, an Anki CSV or an Anki deck."""
    from coach.diskio import check_output_file, write_text_atomic, writing
    from coach.session.export import anki_apkg, anki_csv, session_json_text, session_markdown

    engine = _engine(settings)
    sid = _resolve(engine, session)
    if fmt == "anki" and output is None:
        raise CoachError("an Anki deck is a binary file: give --output FILE.apkg")
    if output is not None:
        check_output_file(output, replaced=True)  # a read-only file there is replaced, as before
    if fmt == "anki":
        import os

        from coach.diskio import new_file_beside

        with writing(f"write {output}"):  # a temporary file beside it, then a rename: never half a deck
            # with the mode a new file gets from the umask, as the other exports (mkstemp's 0600: a walkthrough)
            tmp = new_file_beside(output)
            try:
                n = anki_apkg(engine, tmp, sid)
                os.replace(tmp, output)
            finally:
                tmp.unlink(missing_ok=True)
        click.echo(f"Wrote {n} missed question(s) to {output}", err=True)
        return
    text = {"markdown": session_markdown, "json": session_json_text, "anki-csv": anki_csv}[fmt](engine, sid)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    with writing(f"write {output}"):
        write_text_atomic(output, text)
    click.echo(f"Wrote session {sid} ({fmt}) to {output}", err=True)
