"""The trusted reference: correct statements (with concept names and known misconceptions) that the
audit's ``trusted`` check compares source claims against, with the judgement model.

Where statements come from:
- the team's 2,700 statements: the premises of the judge's data (``coach/judge/data/raw``, datasheet
  there), written from general knowledge across the ML/DL syllabus, Python, statistics, SQL,
  algorithms, operating systems, networking and software engineering, each with its concept name
  and the misconceptions written against it (`coach judge export-trusted` writes them as a file);
- the reference-only statements in ``coach/audit/data/*.jsonl`` (same row format as a user's file;
  never judge training data; datasheet in that folder);
- every ``COACH_HOME/knowledge/*.jsonl`` / ``*.yaml`` file a user adds: one statement per row/item,
  ``{"statement": ..., "concept": ..., "topic": ..., "misconceptions": [{"text", "correction"}]}``
  (only ``statement`` is required). A bad file is skipped with a warning naming it.

Retrieval (``TrustedIndex.candidates``): for each claim, the statements closest in embedding space,
plus statements whose concept name occurs in the claim (keyword evidence), deduplicated. Statement
embeddings are cached under ``COACH_HOME/knowledge/cache`` as .npy (no pickle), keyed by content hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coach.diskio import load_vectors, save_vectors

log = logging.getLogger(__name__)



@dataclass
class Statement:
    id: str
    text: str
    concept: str = ""
    topic: str = ""
    origin: str = "bundled"  # "bundled" | the user's file name
    misconceptions: list[dict] = field(default_factory=list)


def _rows_of(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("statements", [])
    if not isinstance(data, list):
        raise ValueError("expected a list of statements (or {statements: [...]})")
    return [d if isinstance(d, dict) else {"statement": str(d)} for d in data]


DATA_DIR = Path(__file__).resolve().parent / "data"


def bundled_rows() -> list[dict]:
    """The team's statements: the judge data's premises (one source of truth, no second copy), then
    the reference-only statements in ``coach/audit/data/*.jsonl`` (datasheet there)."""
    from coach.judge.data import load_records, trusted_statements

    records, _ = load_records()
    rows = trusted_statements(records)
    for path in sorted(DATA_DIR.glob("*.jsonl")) if DATA_DIR.is_dir() else []:
        rows.extend(_rows_of(path))
    return rows


def user_statement_files(settings) -> list[Path]:
    """The user's own trusted-statement files: ``COACH_HOME/knowledge/*.jsonl|yaml|yml``, sorted."""
    user_dir = Path(settings.home) / "knowledge" if settings is not None else None
    if user_dir is None or not user_dir.is_dir():
        return []
    return sorted(p for p in user_dir.iterdir() if p.suffix in (".jsonl", ".yaml", ".yml") and p.is_file())


def load_statements(settings=None) -> tuple[list[Statement], list[str]]:
    """Bundled + user statements, and one warning per file that could not be used."""
    files: list = ["bundled", *user_statement_files(settings)]
    out, warnings = [], []
    for path in files:
        origin = "bundled" if path == "bundled" else path.name
        try:
            rows = bundled_rows() if path == "bundled" else _rows_of(path)
            for i, r in enumerate(rows):
                text = str(r.get("statement", "")).strip()
                if not text:
                    raise ValueError(f"item {i + 1} has no 'statement'")
                out.append(Statement(
                    id=str(r.get("id") or f"{origin}#{i + 1}"), text=text, concept=str(r.get("concept", "")),
                    topic=str(r.get("topic", "")), origin=origin,
                    misconceptions=[m for m in r.get("misconceptions", []) if isinstance(m, dict) and m.get("text")],
                ))
        except Exception as exc:  # a user's bad file never stops the audit
            warnings.append(f"trusted statements file {path} skipped: {exc}")
            log.warning(warnings[-1])
    return out, warnings


class TrustedIndex:
    """Dense + concept-name retrieval over the trusted statements."""

    def __init__(self, statements: list[Statement], encode, cache_dir: Path | None = None):
        self.statements = statements
        self._encode = encode
        texts = [s.text for s in statements]
        key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        path = cache_dir / f"trusted-{key}.npy" if cache_dir else None
        vecs = load_vectors(path, len(texts)) if path is not None else None
        if vecs is None:
            vecs = self._unit(np.asarray(encode(texts), dtype=np.float32)) if texts else np.zeros((0, 384), np.float32)
            if path is not None:
                try:
                    save_vectors(path, vecs)
                except OSError as exc:  # read-only or full disk: work from memory
                    log.warning("could not cache trusted-statement embeddings: %s", exc)
        self.vecs = vecs  # (N, d) unit rows
        self._concepts = [
            (re.compile(r"\b" + re.escape(s.concept.lower()) + r"\b"), i)
            for i, s in enumerate(statements) if len(s.concept) >= 4
        ]

    @staticmethod
    def _unit(v: np.ndarray) -> np.ndarray:
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    def candidates(self, texts: list[str], k: int = 4, min_sim: float = 0.35, max_keyword: int = 2) -> list[list[tuple[int, float]]]:
        """Per text: [(statement index, cosine)] — the k nearest above min_sim, then up to
        ``max_keyword`` statements whose concept name the text contains."""
        if not texts or not len(self.vecs):
            return [[] for _ in texts]
        q = self._unit(np.asarray(self._encode(texts), dtype=np.float32))
        sims = q @ self.vecs.T  # (T, N)
        out = []
        for t, text in enumerate(texts):
            top = np.argsort(-sims[t], kind="stable")[:k]
            chosen = [(int(i), float(sims[t, i])) for i in top if sims[t, i] >= min_sim]
            if max_keyword <= 0:
                out.append(chosen)
                continue
            low = text.lower()
            extra = [i for rx, i in self._concepts if rx.search(low) and i not in {c for c, _ in chosen}]
            extra.sort(key=lambda i: -sims[t, i])
            chosen += [(int(i), float(sims[t, i])) for i in extra[:max_keyword]]
            out.append(chosen)
        return out


def build_trusted_index(settings, encode) -> "TrustedIndex":
    """The trusted statements (``load_statements``) indexed with ``encode``, their vectors cached under
    ``COACH_HOME/knowledge/cache`` (no cache without a home): one place for the audit and the index build."""
    statements, _ = load_statements(settings)
    home = getattr(settings, "home", None)
    return TrustedIndex(statements, encode, cache_dir=Path(home) / "knowledge" / "cache" if home else None)
