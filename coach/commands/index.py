"""`coach index build|add|remove|status|search`: a thin adapter over ``index.CoachIndex``.

Progress bars go to stderr; results to stdout; user errors are CoachError (one line, exit 1).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from coach.errors import CoachError


def bundled_dir() -> Path:
    """The bundled sources, located through the installed ``corpus`` package."""
    import corpus

    return Path(corpus.__file__).resolve().parent / "bundled"


def _parse(settings, paths, embedder=None, progress=None) -> list:
    """Parse sources; ``embedder`` (the index's loaded model) lets the corpus group questions by meaning.
    Each path that cannot be read, or is over COACH_MAX_SOURCE_MB, gets one warning line and the rest goes
    on; nothing readable is an error."""
    from coach.config import MAX_SOURCE_HINT

    try:
        from corpus import parse_batch
    except ImportError:
        raise CoachError("the corpus parser (corpus.parse_batch) is not available in this install") from None
    batch = parse_batch([Path(p) for p in paths], embedder=embedder, log_skipped=False, progress=progress,
                        max_bytes=settings.max_source_bytes, size_hint=MAX_SOURCE_HINT)
    if hasattr(progress, "close"):
        progress.close()  # finished bars off the screen before the warnings
    warnings, error = batch.outcome(paths)
    for line in warnings:
        click.echo(f"Warning: {line}", err=True)
    if error:
        raise CoachError(error)
    return batch.sources


class _Bars:
    """``progress(done, total, stage)`` callback drawing one tqdm bar per stage on stderr when it is a terminal; piped
    or logged, one plain line per stage ("parse ...": a walkthrough's log held every redraw of every bar, and the
    "Error:" line ran on after the last one)."""

    def __init__(self):
        self.bars = {}
        self.terminal = sys.stderr.isatty()

    def __call__(self, done: int, total: int, stage: str) -> None:
        from tqdm import tqdm

        if (stage in self.bars and self.bars[stage] is None) or not total:
            return  # a stage that already finished, or one with nothing to do
        if not self.terminal:
            if stage not in self.bars:
                self.close()
                self.bars[stage] = "said"
                click.echo(f"{stage} ...", err=True)
            return
        bar = self.bars.get(stage)
        if bar is None:
            self.close()  # one bar at a time: stages run one after another
            bar = self.bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, leave=False, unit="it")
        bar.total = total
        bar.n = done
        bar.refresh()

    def close(self):
        for bar in self.bars.values():
            if bar is not None and bar != "said":
                bar.close()
        self.bars = {k: None for k in self.bars}


def _open(settings):
    from index import CoachIndex

    return CoachIndex(settings)


@click.group()
def index():
    """Build, update and inspect the search index."""


@index.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def build(settings, paths):
    """Build the index from files/folders (default: the bundled sources)."""
    paths = list(paths) or [bundled_dir()]
    started = time.perf_counter()
    idx = _open(settings)
    bars = _Bars()
    try:
        parsed = _parse(settings, paths, idx.embedder, progress=bars)
        st = idx.build(parsed, progress=bars)
    finally:
        bars.close()
    click.echo(
        f"Indexed {st['records']} records ({st['chunks']} chunks) from {len(st['sources'])} sources "
        f"in {time.perf_counter() - started:.1f} s -> {st['index_dir']}"
    )
    # a person's own files get their drafted rubrics here as with `index add` (a walkthrough built its index from its
    # files: no drafts were written, so a practice session's questions had no model answer, `:answer` and the study
    # cards were blank and every hint was the generic one); the bundled sources' reviewed rubrics need none
    _drafts_and_audit(settings, parsed, changed=None)


@index.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def add(settings, paths):
    """Add new files and re-index changed ones; unchanged files are skipped."""
    idx = _open(settings)
    bars = _Bars()
    try:
        parsed = _parse(settings, list(paths), idx.embedder, progress=bars)
        out = idx.add(parsed, progress=bars, keep_namesakes=True)
    finally:
        bars.close()
    for label, key in (("added", "added"), ("re-indexed (changed)", "updated"), ("skipped (unchanged)", "unchanged")):
        for name in out[key]:
            click.echo(f"{label}: {name}")
    for path, (first, name) in out["renamed"].items():
        click.echo(f"note: {path} is named like the indexed source {first}, which was read from another file: added "
                   f"as {name} (`coach index remove {first}` removes the other one)", err=True)
    from coach.questions import passages_only_notes

    changed = set(out["added"]) | set(out["updated"])
    for line in passages_only_notes(parsed, changed):
        click.echo(f"note: {line}", err=True)

    # All given sources, not only the changed ones: drafts that a failed run (a full disk, a crash after
    # the index switch) could not write are written now; up-to-date draft files are left alone.
    _drafts_and_audit(settings, parsed, changed)


def _drafts_and_audit(settings, parsed, changed: set[str] | None) -> None:
    """After indexing: the sources' drafted rubrics (files already current are left alone), then what the audit found
    in the ``changed`` sources (None: the sources whose drafts were written now, as after ``index build``)."""
    from coach.grading.draft import drafts_path
    from coach.service import Coach

    coach = Coach(settings)
    written = coach.write_draft_rubrics(parsed)
    for path in written:
        click.echo(f"draft rubrics: {path}", err=True)
    if changed is None:
        drafts = settings.rubrics_dir / "drafts"
        now = set(written)
        changed = {ps.source for ps in parsed if str(drafts_path(drafts, ps.source)) in now}
    if changed:  # what the audit found in them (drafting above ran it; cached per source) and what it cannot verify
        from coach.audit.checks import not_verified

        try:
            flags = [f for f in coach.audit.all_flags() if f.get("source") in changed]
        except Exception as exc:  # the audit never stops indexing
            click.echo(f"audit: unavailable ({exc})", err=True)
        else:
            errors = sum(f.get("verdict") == "error" for f in flags)
            click.echo(f"audit: {len(flags)} flags in {len(changed)} new or changed source(s) ({errors} errors, "
                       f"{len(flags) - errors} suspect); `coach check --report FILE` writes the report", err=True)
            for line in not_verified(settings=settings):
                click.echo(f"note: {line}", err=True)


@index.command()
@click.argument("sources", nargs=-1, required=True)
@click.pass_obj
def remove(settings, sources):
    """Remove sources (by name, as `coach index status` shows them) and everything derived from them."""
    from coach.service import Coach

    for name in Coach(settings).remove_sources(list(sources)):
        click.echo(f"removed: {name}")


@index.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")
@click.option("--questions", "questions_of", metavar="SOURCE", default=None,
              help="List the questions read from SOURCE (its name as the table shows it), each with its line.")
@click.pass_obj
def status(settings, as_json, questions_of):
    """Show what is indexed: sources, records, chunks, models, boilerplate removed."""
    from coach.grading.rubrics import RubricBank

    idx = _open(settings)
    st = idx.status()
    if not st["exists"]:
        # (it said `index add FILE` indexed the bundled sources too: it indexes the files it is given, a walkthrough)
        raise CoachError(f"no index yet in {st['index_dir']}: `coach index build` indexes the bundled sources, "
                         "`coach index add FILE` adds your own (on a fresh home, your files alone)")
    if questions_of is not None:
        # what was read from a source, question by question: a walkthrough found 8 of its page's 17 questions missing
        # only through `coach corpus parse`
        names = [s["source"] for s in st["sources"]]
        if questions_of not in names:
            raise CoachError(f"no indexed source {questions_of!r}; indexed: {', '.join(names) or 'none'}")
        recs = sorted((r for r in idx.records() if r.source == questions_of), key=lambda r: r.line_start)
        if as_json:
            click.echo(json.dumps([{"id": r.id, "line_start": r.line_start, "line_end": r.line_end, "kind": r.kind,
                                    "topic": r.topic, "question": r.question} for r in recs], indent=2))
            return
        for r in recs:
            click.echo(f"{r.line_start:>6}  {r.question}" if r.kind == "qa" else f"{r.line_start:>6}  (passage) {r.question}")
        click.echo(f"{len(recs)} record(s) from {questions_of}", err=True)
        return
    st["rubric_problems"] = RubricBank.load(settings, warn=False).problems  # skipped rubric files, one line each
    if as_json:
        click.echo(json.dumps(st, indent=2))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # names and paths are the user's text, not markup: "notes [v2].md" lost its "[v2]", "x [/b] y.md" crashed
    table = Table(title=escape(f"Index {st['index_dir']}"))
    for col in ("source", "records", "chunks", "boilerplate removed", "sha256"):
        table.add_column(col, justify="right" if col in ("records", "chunks") else "left")
    for s in st["sources"]:
        boiler = ", ".join(f"{k} {v}" for k, v in sorted(s["boilerplate_removed"].items())) or "-"
        table.add_row(escape(s["source"]), str(s["records"]), str(s["chunks"]), escape(boiler), s["sha256"][:12])
    console = Console(file=click.get_text_stream("stdout"), width=120)
    console.print(table)
    console.print(
        f"{len(st['sources'])} sources, {st['records']} records, {st['chunks']} chunks | "
        f"embedding model {st['embedding_model']} (dim {st['dim']}) | index {st['index_type']} | "
        f"reranker {st['reranker_model'] or 'none'} | built {st['built_at']}", markup=False, highlight=False
    )
    for problem in st["rubric_problems"]:
        console.print(f"Warning: {problem}", markup=False, highlight=False, soft_wrap=True)
    from corpus.version import parser_fingerprint

    older = [s["source"] for s in st["sources"] if s.get("parser") != parser_fingerprint()]
    if older:
        from coach.session.render import plain

        console.print(plain(f"note: {len(older)} source(s) parsed by an earlier version of the coach: "
                            f"{', '.join(older[:5])}{' ...' if len(older) > 5 else ''}. The coach re-parses them when "
                            "it next starts (a home it can write, the file still there unchanged); otherwise "
                            "`coach index add` the file again."), markup=False, highlight=False, soft_wrap=True)


@index.command()
@click.argument("query")
@click.option("-k", default=5, show_default=True, help="Number of records.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True)
@click.option("--source", multiple=True, help="Only these sources (repeatable).")
@click.option("--topic", multiple=True, help="Only these topics (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of text.")
@click.pass_obj
def search(settings, query, k, mode, source, topic, as_json):
    """Search the index (for checking retrieval by hand)."""
    hits = _open(settings).search(query, k=k, mode=mode, source=list(source) or None, topic=list(topic) or None)
    for h in hits:
        r = h.record
        if as_json:
            click.echo(json.dumps({"id": r.id, "source": r.source, "line_start": r.line_start,
                                   "line_end": r.line_end, "question": r.question, "score": h.score,
                                   "ranks": h.ranks}))
        else:
            click.echo(f"{h.score:.4f}  {r.id}  {r.question}")
