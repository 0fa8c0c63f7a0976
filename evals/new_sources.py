"""The new-source test set: four documents nobody on the team had seen (``data/new_sources/``),
indexed beside the bundled sources in their own state directory (``COACH_HOME/eval-new-sources``),
exactly as a user's ``coach index add`` would index them. Re-used when already built.
"""

from __future__ import annotations

import dataclasses

from evals.base import DATA_DIR

NEW_SOURCES_DIR = DATA_DIR / "new_sources"
DOCUMENTS = ("sql_interview_notes.md", "os_concepts.html", "transformers_qa.pdf", "ml_basics.txt")


def documents() -> list:
    return [NEW_SOURCES_DIR / d for d in DOCUMENTS if (NEW_SOURCES_DIR / d).exists()]


def coach_with_new_sources(settings):
    """A Coach over bundled + new sources, in its own home so the user's index is untouched."""
    from coach.service import Coach
    from corpus import parse_paths

    home = settings.home / "eval-new-sources"
    coach = Coach(dataclasses.replace(settings, home=home))
    coach.ensure_index()
    have = {s["source"] for s in coach.index.status().get("sources", [])} if coach.index.exists() else set()
    todo = [d for d in documents() if d.name not in have]
    if todo:
        coach.index.add(parse_paths(todo, embedder=coach.index.embedder))
        coach._reset_derived()
    return coach


def new_source_audit(settings):
    """The audit of the four new documents against their independent key (all rows are test)."""
    from coach.datafiles import load_jsonl
    from evals.audit import AuditEvaluator

    coach = coach_with_new_sources(settings)
    names = set(DOCUMENTS)
    flags = [f for f in coach.audit.all_flags() if f["source"] in names]
    errors = load_jsonl(NEW_SOURCES_DIR / "audit_key.jsonl")
    claims = load_jsonl(NEW_SOURCES_DIR / "correct_claims.jsonl")
    return AuditEvaluator(flags, errors, claims)(split="test")
