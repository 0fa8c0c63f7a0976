"""Starting a front end: the coach facade, the default index built with a progress bar, and the web UI served.
Shared by the CLI (``coach serve``, ``coach chat`` ...) and ``python app.py``, so that neither front end imports the
other."""

from __future__ import annotations

import click


def make_coach(settings):
    """The facade both front ends use (a seam for tests)."""
    from coach.service import Coach

    return Coach(settings)


def ensure_index_with_progress(coach) -> None:
    """Build the default index on first run (and re-parse what an earlier parser made), with a progress bar on
    stderr when it is a terminal (piped, rich's bar left a stray blank line beside a command's JSON)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    fresh = not coach.index.exists()
    if not Console(stderr=True).is_terminal:  # piped: one plain line per stage, so a long build is not silent
        stages: set[str] = set()

        def said_once(done, total, stage):
            if stage not in stages:
                stages.add(stage)
                click.echo(f"Indexing: {stage} ...", err=True)

        coach.ensure_index(progress=said_once)
    else:
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("Checking the index", total=None)

            def progress(done, total, stage):
                bar.update(task, completed=done, total=total or None, description=f"Indexing: {stage}")

            coach.ensure_index(progress=progress)
    if fresh and coach.index.exists():  # said: a walkthrough's first `coach chat` on a new home asked deep-learning
        # questions of sources it had never added, while `coach index status` had said "no index yet"
        click.echo(f"note: no index yet in {coach.settings.home}: indexed the bundled sample sources (deep-learning "
                   "interview questions); add your own with `coach index add FILE`", err=True)


def serve_ui(app, settings, host: str | None = None, port: int | None = None) -> None:
    """Serve the web UI of the ``app`` module (``app.py``) with ``settings``: refuse a non-loopback bind without a
    password before any work, build the index, load the models, then say where it serves."""
    from coach.errors import CoachError

    host = host or settings.host
    port = port if port is not None else settings.port
    auth = app.check_bind(host, settings.auth)  # refuse a non-loopback bind without a password, before any work
    coach = make_coach(settings)
    if getattr(coach, "read_only", False):
        click.echo(f"Warning: {coach.read_only_note()}", err=True)
    ensure_index_with_progress(coach)
    click.echo("Loading the grader and auditing the sources (first run: up to a minute)...", err=True)
    coach.warm_up()
    click.echo(f"Interview Coach UI on http://{host}:{port}")
    try:
        app.launch(app.build_app(coach), host=host, port=port, auth=auth, extra_hosts=settings.allowed_hosts,
                   max_file_bytes=settings.max_source_bytes)
    except OSError as exc:
        raise CoachError(f"cannot serve on {host}:{port}: {exc}") from None
