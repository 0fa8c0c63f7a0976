"""`coach serve`: make sure the default index exists, then serve the Gradio UI (127.0.0.1 by default)."""

from __future__ import annotations

import click

from coach.errors import CoachError


def make_coach(settings):
    """The facade both front ends use (a seam for tests)."""
    from coach.service import Coach

    return Coach(settings)


def ensure_index_with_progress(coach) -> None:
    """Build the default index on first run (and re-parse what an earlier parser made), with a progress bar on
    stderr when it is a terminal (piped, rich's bar left a stray blank line beside a command's JSON)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    if not Console(stderr=True).is_terminal:  # piped: one plain line per stage, so a long build is not silent
        stages: set[str] = set()

        def said_once(done, total, stage):
            if stage not in stages:
                stages.add(stage)
                click.echo(f"Indexing: {stage} ...", err=True)

        coach.ensure_index(progress=said_once)
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Checking the index", total=None)

        def progress(done, total, stage):
            bar.update(task, completed=done, total=total or None, description=f"Indexing: {stage}")

        coach.ensure_index(progress=progress)


def load_app_module():
    """The repository's ``app.py`` (found next to the ``coach`` package in an editable install;
    otherwise an installed top-level ``app`` module). Loaded by path first so a stray ``app.py`` in
    the working directory can never be picked up instead."""
    import importlib
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "app.py"  # <repo>/coach/commands/serve.py -> <repo>/app.py
    if path.exists():
        loaded = sys.modules.get("app")
        if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() == path:
            return loaded
        spec = importlib.util.spec_from_file_location("app", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["app"] = module
        return module
    try:
        return importlib.import_module("app")
    except ModuleNotFoundError:
        raise CoachError("the web UI (app.py) is not installed: run `coach serve` from a checkout of the repository") from None


@click.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1; others need COACH_AUTH=user:pass).")
@click.option("--port", type=int, default=None, help="Port (default 7860).")
@click.pass_obj
def serve(settings, host, port):
    """Serve the Gradio UI (builds the default index on first run)."""
    app = load_app_module()  # the repo-root Gradio entry point

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
        app.launch(app.build_app(coach), host=host, port=port, auth=auth, extra_hosts=settings.allowed_hosts)
    except OSError as exc:
        raise CoachError(f"cannot serve on {host}:{port}: {exc}") from None
