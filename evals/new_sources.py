"""Document sets indexed the way a user's ``coach index add`` would index them, each beside the bundled
sources in its own state directory (``COACH_HOME/<home>``), re-used when already built:

- the new-source TEST set (``data/new_sources/``): four documents nobody on the team had seen, with
  graded answers and an audit key; never tuned on;
- the audit DEV set (``data/audit_dev/``): four other documents with planted errors, written by a
  different helper, on which the audit's ``trusted`` check is fit (``coach eval audit-fit``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import shutil
from pathlib import Path

from evals.base import DATA_DIR

NEW_SOURCES_DIR = DATA_DIR / "new_sources"
DOCUMENTS = ("sql_interview_notes.md", "os_concepts.html", "transformers_qa.pdf", "ml_basics.txt")
AUDIT_DEV_DIR = DATA_DIR / "audit_dev"
RECITAL_DEV_DIR = DATA_DIR / "recital_dev"  # the recital dev set's documents (tuning data: README_recital_dev.md)
RECITAL_JAVA_DIR = DATA_DIR / "recital_java"  # experiment 53e's blind check, one page (README_recital_java.md)
_DOC_SUFFIXES = (".md", ".txt", ".html", ".htm", ".pdf")
_ROOT = Path(__file__).resolve().parents[1]
# the code that turns a document into indexed, audited records: a change to it (or to a document) means rebuild
_BUILD_CODE = ("corpus", "index", "coach/audit")
log = logging.getLogger(__name__)


def documents() -> list:
    return [NEW_SOURCES_DIR / d for d in DOCUMENTS if (NEW_SOURCES_DIR / d).exists()]


def audit_dev_documents() -> list[Path]:
    """The audit dev set's documents (its key files and datasheet are not documents)."""
    if not AUDIT_DEV_DIR.is_dir():
        return []
    return sorted(p for p in AUDIT_DEV_DIR.iterdir()
                  if p.suffix in _DOC_SUFFIXES and not p.name.startswith("README") and not p.name.endswith(".source.txt"))


def recital_dev_documents(folder: Path = RECITAL_DEV_DIR) -> list[Path]:
    """A recital set's documents (user-walkthrough pages; its answers and planted-error list are not): the dev set's
    four, or ``RECITAL_JAVA_DIR``'s one."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in _DOC_SUFFIXES and p.name != "planted_errors.md")


def build_fingerprint(paths: list[Path]) -> str:
    """Hash of the documents' names and bytes and of the code that parses, indexes and audits them."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    for pkg in _BUILD_CODE:
        for f in sorted((_ROOT / pkg).rglob("*.py")):
            h.update(f.relative_to(_ROOT).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def coach_with_documents(settings, paths: list[Path], home: str):
    """A Coach over bundled + ``paths``, in ``COACH_HOME/<home>`` so the user's index is untouched. The state is
    re-used while the documents and the parsing, indexing and audit code are unchanged (``build_fingerprint``,
    kept in ``<home>/eval_fingerprint``), and rebuilt from scratch otherwise: figures never come from records
    that an older parser made."""
    from coach.service import Coach
    from corpus import parse_paths

    state = Path(settings.home) / home
    stamp = state / "eval_fingerprint"
    fingerprint = build_fingerprint(paths)
    if state.exists() and (not stamp.is_file() or stamp.read_text(encoding="utf-8").strip() != fingerprint):
        log.warning("rebuilding %s: its documents or the code that parses, indexes or audits them changed", state)
        shutil.rmtree(state)
    coach = Coach(dataclasses.replace(settings, home=state))
    coach.ensure_index()
    have = {s["source"] for s in coach.index.status().get("sources", [])} if coach.index.exists() else set()
    todo = [d for d in paths if d.name not in have]
    if todo:
        coach.index.add(parse_paths(todo, embedder=coach.index.embedder))
        coach._reset_derived()
    state.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint + "\n", encoding="utf-8")
    return coach


def coach_with_new_sources(settings):
    """A Coach over bundled + the new-source test documents."""
    return coach_with_documents(settings, documents(), "eval-new-sources")


def coach_with_recital_dev(settings, folder: Path = RECITAL_DEV_DIR):
    """A Coach over bundled + a recital set's documents (the dev set's, or ``RECITAL_JAVA_DIR``'s)."""
    return coach_with_documents(settings, recital_dev_documents(folder), f"eval-{folder.name.replace('_', '-')}")


def coach_with_audit_dev(settings):
    """A Coach over bundled + the audit dev documents."""
    return coach_with_documents(settings, audit_dev_documents(), "eval-audit-dev")


def document_set_audit(coach, names: set[str], key_dir: Path, split: str):
    """The coach's audit flags on the named documents against the key in ``key_dir``."""
    from coach.datafiles import load_jsonl
    from evals.audit import AuditEvaluator, own_audit_flags

    flags = [f for f in own_audit_flags(coach) if f["source"] in names]
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
