"""`coach corpus parse PATH... [--output FILE]`: sources -> JSONL records (see /work/shared/CONTRACTS.md).

A thin adapter over ``corpus.parse_batch``: records go to stdout (or ``--output``), one JSON object per
line; each skipped file or path (missing, symlink loop...) is one ``Warning: skipped PATH: reason`` line
on stderr and the rest goes on. Exit 1 with an error line only when nothing could be parsed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from coach.diskio import remove_quietly, writing
from coach.errors import CoachError


@click.group()
def corpus():
    """Parse sources into question/answer records."""


@corpus.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write JSONL here instead of stdout.")
@click.option("--embed/--no-embed", default=False, show_default=True,
              help="Also group questions across sources by embedding similarity (loads all-MiniLM-L6-v2, ~10 s).")
@click.option("--max-mb", type=click.FloatRange(min=0, min_open=True), default=20.0, show_default=True,
              help="Skip files larger than this many megabytes.")
def parse(paths, output, embed, max_mb):
    """Parse files/folders (txt, md, html, pdf) into question/answer records as JSONL."""
    from corpus import parse_batch

    batch = parse_batch(paths, max_bytes=int(max_mb * 1024 * 1024), embedder="default" if embed else None,
                        log_skipped=False)
    warnings, error = batch.outcome(paths)
    for line in warnings:
        click.echo(f"Warning: {line}", err=True)
    if error:
        raise CoachError(error)
    lines = [json.dumps(r.to_dict(), ensure_ascii=False) for ps in batch.sources for r in ps.records]
    text = "".join(line + "\n" for line in lines)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        tmp = output.with_name(output.name + ".tmp")
        try:
            with writing(f"write {output}", kept="nothing was written (a previous file there is unchanged)"):
                output.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(output)
        finally:
            remove_quietly(tmp)
        click.echo(f"{len(lines)} records from {len(batch.sources)} sources -> {output}", err=True)
