"""Document sets indexed the way a user's ``coach index add`` would index them, each beside the bundled
sources in its own state directory (``COACH_HOME/<home>``), re-used when already built:

- the new-source TEST set (``data/new_sources/``): four documents nobody on the team had seen, with
  graded answers and an audit key; never tuned on;
- the audit DEV set (``data/audit_dev/``): four other documents with planted errors, written by a
  different helper, on which the audit's ``trusted`` check is fit (``coach eval audit-fit``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from evals.base import DATA_DIR

NEW_SOURCES_DIR = DATA_DIR / "new_sources"
DOCUMENTS = ("sql_interview_notes.md", "os_concepts.html", "transformers_qa.pdf", "ml_basics.txt")
AUDIT_DEV_DIR = DATA_DIR / "audit_dev"
_DOC_SUFFIXES = (".md", ".txt", ".html", ".htm", ".pdf")


def documents() -> list:
    return [NEW_SOURCES_DIR / d for d in DOCUMENTS if (NEW_SOURCES_DIR / d).exists()]


def audit_dev_documents() -> list[Path]:
    """The audit dev set's documents (its key files and datasheet are not documents)."""
    if not AUDIT_DEV_DIR.is_dir():
        return []
    return sorted(p for p in AUDIT_DEV_DIR.iterdir()
                  if p.suffix in _DOC_SUFFIXES and not p.name.startswith("README") and not p.name.endswith(".source.txt"))


def coach_with_documents(settings, paths: list[Path], home: str):
    """A Coach over bundled + ``paths``, in ``COACH_HOME/<home>`` so the user's index is untouched."""
    from coach.service import Coach
    from corpus import parse_paths

    coach = Coach(dataclasses.replace(settings, home=settings.home / home))
    coach.ensure_index()
    have = {s["source"] for s in coach.index.status().get("sources", [])} if coach.index.exists() else set()
    todo = [d for d in paths if d.name not in have]
    if todo:
        coach.index.add(parse_paths(todo, embedder=coach.index.embedder))
        coach._reset_derived()
    return coach


def coach_with_new_sources(settings):
    """A Coach over bundled + the new-source test documents."""
    return coach_with_documents(settings, documents(), "eval-new-sources")


def coach_with_audit_dev(settings):
    """A Coach over bundled + the audit dev documents."""
    return coach_with_documents(settings, audit_dev_documents(), "eval-audit-dev")


def document_set_audit(coach, names: set[str], key_dir: Path, split: str):
    """The coach's audit flags on the named documents against the key in ``key_dir``."""
    from coach.datafiles import load_jsonl
    from evals.audit import AuditEvaluator

    flags = [f for f in coach.audit.all_flags() if f["source"] in names]
    errors = load_jsonl(key_dir / "audit_key.jsonl")
    claims = load_jsonl(key_dir / "correct_claims.jsonl")
    return AuditEvaluator(flags, errors, claims)(split=split)


def new_source_audit(settings):
    """The audit of the four new documents against their independent key (all rows are test)."""
    return document_set_audit(coach_with_new_sources(settings), set(DOCUMENTS), NEW_SOURCES_DIR, "test")


def audit_dev_audit(settings):
    """The audit of the dev documents against their key (all rows are dev: tuning data)."""
    coach = coach_with_audit_dev(settings)
    return document_set_audit(coach, {p.name for p in audit_dev_documents()}, AUDIT_DEV_DIR, "dev")
