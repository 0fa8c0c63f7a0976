"""A fingerprint of the corpus stage's code: what the records of an unchanged file depend on besides its bytes
(and besides the libraries that read HTML and PDF, the size limit and the embedding model that groups questions,
which it does not cover).

The index keeps it per source (``index.core``), so a source parsed by an earlier version of this code is
re-parsed on the next ``coach index add`` of the same file and when the coach starts (``Coach.ensure_index``);
the audit cache keys its flags on it (``coach.audit.cache``).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent


def parser_fingerprint(folder: Path | None = None) -> str:
    """Hash of the ``*.py`` files of ``folder`` (default: this package), names and bytes, sorted."""
    return _default() if folder is None else _hash(Path(folder))


@functools.lru_cache(maxsize=1)
def _default() -> str:
    return _hash(CORPUS_DIR)


def _hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.glob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]
