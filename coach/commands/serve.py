"""`coach serve`: make sure the default index exists, then serve the Gradio UI (127.0.0.1 by default)."""

from __future__ import annotations

import click

from coach.errors import CoachError


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
    from coach.startup import serve_ui

    serve_ui(load_app_module(), settings, host, port)  # the repo-root Gradio entry point
