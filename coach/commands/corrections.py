"""`coach corrections add|list|remove`: the sentences you report as wrong in an indexed source, each with its
correction (``coach/audit/reported.py``). A reported sentence is an audit flag from then on (check ``reported``:
`coach check`, the audit report, Ask's warnings), and the source's drafted rubrics take the correction in its
place, so answers are graded against the correction, not the source's error.

Reports live in ``COACH_HOME/reported_errors.jsonl``. They are matched to the source by their words, so they
survive a re-index; `list` says when a report's sentence is no longer in its source.
"""

from __future__ import annotations

import json

import click

from coach.startup import ensure_index_with_progress, make_coach
from coach.grading.types import lines_of
from coach.session.render import plain  # untrusted text for a terminal: no control characters


@click.group()
def corrections():
    """Report sentences of your sources as wrong (with the correction), list and withdraw reports."""


@corrections.command("add")
@click.argument("source")
@click.argument("sentence")
@click.argument("correction")
@click.option("--reason", default="", help="Why it is wrong (shown with the flag).")
@click.pass_obj
def add(settings, source, sentence, correction, reason):
    """Report SENTENCE of the indexed SOURCE (its name as `coach index status` lists it, or the path it was indexed
    from) as wrong; CORRECTION is what is true, in a sentence of at least 3 words (it becomes the key point answers
    are graded against). Copy at least 3 words of the sentence as they read in the source."""
    coach = make_coach(settings)
    ensure_index_with_progress(coach)  # a fresh home builds its index first (a review: minutes without a word)
    out = coach.report_error(source, sentence, correction, reason)
    r = out["report"]
    where = ", ".join(lines_of(f["line_start"], f["line_end"]) for f in out["flagged"])
    state = f"{where}: flagged as an error" if where else "saved"
    click.echo(plain(f"Reported {r.id}: {r.source}, {state}, corrected to: {r.correction}"))  # its indexed name
    for old in out["replaced"]:
        click.echo(plain(f"It replaces the earlier report {old.id} of the same sentence ({old.quote!r} -> "
                         f"{old.correction!r})"))
    for path in out["drafted"]:
        click.echo(f"Draft rubrics rewritten with the correction: {path}")
    for note in out["notes"]:
        click.echo(plain(f"Note: {note}"), err=True)


@corrections.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per report.")
@click.pass_obj
def list_(settings, as_json):
    """Your reports: id, source, the sentence, the correction, and whether the sentence is still in the source."""
    rows = make_coach(settings).reported_errors()  # no index needed (a review: listing built one on a fresh home)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    if not rows:
        click.echo("No reported errors. Report one with `coach corrections add SOURCE SENTENCE CORRECTION`.")
        return
    for r in rows:
        state = "" if r["found"] else (" [sentence no longer in the source: flags nothing]" if r["indexed"]
                                       else " [source not indexed: flags nothing]")
        click.echo(plain(f"{r['id']}  {r['source']}  {r['added']}{state}") + "\n    wrong: " + plain(r["quote"])
                   + "\n    correct: " + plain(r["correction"])
                   + ("\n    why: " + plain(r["reason"]) if r.get("reason") else ""))


@corrections.command("remove")
@click.argument("ids", nargs=-1, required=True)
@click.pass_obj
def remove(settings, ids):
    """Withdraw reports by id (or its first 4+ characters, as `list` shows them)."""
    coach = make_coach(settings)
    ensure_index_with_progress(coach)
    out = coach.remove_reported_errors(list(ids))
    for r in out["removed"]:
        click.echo(plain(f"Withdrawn {r.id}: {r.source}: {r.quote}"))
    for path in out["drafted"]:
        click.echo(f"Draft rubrics rewritten: {path}")
    for note in out["notes"]:
        click.echo(plain(f"Note: {note}"), err=True)
