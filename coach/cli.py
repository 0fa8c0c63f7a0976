"""The `coach` command: a thin click adapter over the library.

Every subcommand lives in ``coach/commands/<name>.py`` and is imported lazily, so `coach --help`
stays fast and a missing optional dependency only affects the command that needs it.
User errors (CoachError, ConfigError, ModelNotFound, bad files) and disk conditions (full, read-only,
see ``coach.diskio``) print one line on stderr, exit 1.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys

import click

from coach.config import ConfigError, load_settings
from coach.errors import CoachError
from coach.models import ModelNotFound

USER_ERRORS = (CoachError, ConfigError, ModelNotFound, FileNotFoundError, PermissionError)

# name -> (module, attribute, one-line help). Modules are imported only when the command runs.
SUBCOMMANDS = {
    "corpus": ("coach.commands.corpus", "corpus", "Parse sources into question/answer records."),
    "index": ("coach.commands.index", "index", "Build, update and inspect the search index."),
    "grade": ("coach.commands.grade", "grade", "Grade answers from a JSONL file."),
    "check": ("coach.commands.check", "check", "Audit the indexed sources for factual errors."),
    "corrections": ("coach.commands.corrections", "corrections", "Report wrong sentences in your sources, with corrections."),
    "eval": ("coach.commands.eval", "eval_", "Measure grading, retrieval and audit quality."),
    "bench": ("coach.commands.bench", "bench", "Benchmark speed and memory (JSON)."),
    "judge": ("coach.commands.judge", "judge", "Train, inspect and try the judgement (NLI) model."),
    "chat": ("coach.commands.chat", "chat", "Practise an interview in the terminal."),
    "sessions": ("coach.commands.sessions", "sessions", "List and export practice sessions (Markdown, JSON, Anki)."),
    "serve": ("coach.commands.serve", "serve", "Serve the Gradio UI on 127.0.0.1."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *SUBCOMMANDS])

    def get_command(self, ctx, name):
        if name in SUBCOMMANDS:
            module, attr, _ = SUBCOMMANDS[name]
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx, formatter):
        # List lazy commands with their help without importing them.
        rows = [(n, SUBCOMMANDS[n][2]) for n in SUBCOMMANDS]
        rows += [(n, c.get_short_help_str()) for n, c in self.commands.items()]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))

    def invoke(self, ctx):
        import sqlite3

        from coach.diskio import disk_error

        try:
            return super().invoke(ctx)
        except (*USER_ERRORS, OSError, sqlite3.OperationalError) as exc:
            # A disk condition nobody translated on the way up is still one line, never a traceback.
            err = exc if isinstance(exc, USER_ERRORS) else disk_error(exc, f"finish `coach {ctx.invoked_subcommand}`")
            if err is None:
                raise
            if logging.getLogger().isEnabledFor(logging.DEBUG):
                logging.getLogger(__name__).exception("user error")
            click.echo(f"Error: {err}", err=True)
            ctx.exit(1)


def setup_logging(verbose: int, level: str) -> None:
    chosen = logging.DEBUG if verbose >= 1 else getattr(logging, level.upper(), logging.WARNING)
    if not verbose:  # the model libraries' "Loading weights 0/103" bars landed between "Grading..." and the score
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read when they are imported, later
    logging.basicConfig(level=chosen, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    for noisy in ("httpx", "urllib3", "filelock", "sentence_transformers", "faiss", "matplotlib", "bm25s"):
        logging.getLogger(noisy).setLevel(max(chosen, logging.WARNING))


@click.group(cls=LazyGroup)
@click.option("-v", "--verbose", count=True, help="Debug logging on stderr.")
@click.option("--home", type=click.Path(file_okay=False), default=None, help="State directory (env COACH_HOME).")
@click.version_option(package_name="interview-coach")
@click.pass_context
def cli(ctx, verbose, home):
    """Interview Coach: practise interviews against your own sources, fully offline."""
    try:
        settings = load_settings(home=home)
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(1)
    setup_logging(verbose, settings.log_level)
    ctx.obj = settings


@cli.command()
@click.pass_obj
def config(settings):
    """Print the effective configuration as JSON."""
    from coach.models import ModelNotFound, embedding_model_path, llm_model_path

    out = settings.as_dict()
    for key, fn in (("embedding_model_path", embedding_model_path), ("llm_model_path", llm_model_path)):
        try:
            out[key] = fn(settings)
        except ModelNotFound as exc:
            out[key] = f"unavailable: {exc}"
    click.echo(json.dumps(out, indent=2))


def main() -> None:
    cli(prog_name="coach")


if __name__ == "__main__":
    main()
