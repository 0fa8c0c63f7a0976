"""Per-source flag cache: ``COACH_HOME/audit/<sha256>.jsonl``, so unchanged sources are not re-checked.

The first line of each file is a header ``{"_meta": {...}}`` naming the source, the checks that ran and a
fingerprint of the audit code and knowledge files; a mismatch on any of them means "recompute".
Per-source checks are cached per source; the cross-source check under every source together
(``cross-<key>.jsonl``, one entry: a new set of sources replaces it). JSON only.
The cache is an optimisation: when it cannot be written (a full disk, a read-only COACH_HOME) the audit
goes on with one warning, leaves no temporary file, and the next run that can write fills it in.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from pathlib import Path

from coach.audit.types import Flag
from coach.diskio import write_text_atomic

log = logging.getLogger(__name__)
_warned: list[str] = []  # the cache could not be written once already (warn once per process)
_PKG = Path(__file__).resolve().parent
_KNOWLEDGE = _PKG.parent / "knowledge"
# the corpus stage's code: it makes the records (ids, lines, cleaned text) the cached flags point into
_CORPUS = _PKG.parent.parent / "corpus"


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """Hash of the audit code (with grading's edit reading, which the `trusted` check uses), the corpus stage's code
    (a parser change moves records and lines), the knowledge files and the judge's training records: editing any of
    them invalidates every cached result."""
    h = hashlib.sha256()
    from coach.judge.model import WEIGHTS_DIR

    from coach.judge.verifier import VERIFIER_DIR

    judge_files = [d / "training.json" for d in (WEIGHTS_DIR, VERIFIER_DIR) if (d / "training.json").exists()]
    from corpus.version import parser_fingerprint

    h.update(parser_fingerprint(_CORPUS).encode())
    from coach.judge.data import LEXICON

    # the edit reading of the `trusted` check is grading's (coach/grading/edits.py, with its lexicon)
    edits = [_PKG.parent / "grading" / "edits.py", LEXICON]
    for p in sorted([*_PKG.rglob("*.py"), *_PKG.glob("*.json"), *_PKG.glob("data/*.jsonl"), *_KNOWLEDGE.glob("*.yaml"),
                     *_KNOWLEDGE.glob("*.jsonl"), *judge_files, *[e for e in edits if e.exists()]]):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _judge_backend(settings) -> str:
    """Where the configured judge runs (``Judge.backend``: precision and runtime, other probabilities). Read
    when a result is stored or looked up, not once: in ``COACH_JUDGE_RUNTIME=auto`` a judge whose ONNX
    Runtime session fails falls back to torch int8, and what it computed then is kept apart."""
    from coach.judge import JudgeError, load_judge
    from coach.judge.model import ONNX_FORMAT

    try:
        backend = load_judge(settings).backend
    except JudgeError:  # a judge that cannot load: the audit runs without it (checks/__init__.py)
        return "no-judge"
    return f"{backend} {ONNX_FORMAT}" if backend.startswith("onnxruntime") else backend


def _home_fingerprint(settings) -> str:
    """What a cached result also depends on besides the code and the judge's backend: the configured judge
    (``COACH_JUDGE_MODEL``), claim verifier (``COACH_CLAIM_VERIFIER``) and the user's own trusted
    statements (``COACH_HOME/knowledge``)."""
    h = hashlib.sha256()
    for name in ("judge_model", "claim_verifier"):
        spec = str(getattr(settings, name, "default") or "default")
        h.update(spec.encode())
        if spec != "default" and (Path(spec) / "training.json").exists():
            h.update((Path(spec) / "training.json").read_bytes())
    from coach.audit.trusted import user_statement_files

    for p in user_statement_files(settings):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _llm_identity(settings) -> str:
    """The LLM the ``llm`` check would use ("none" when it does not run): flags cached without a trusted LLM
    were reused after one was configured (and the reverse)."""
    if not getattr(settings, "llm_trusted", False):
        return "none"
    return "|".join(str(getattr(settings, k, "") or "") for k in ("llm_backend", "llm_model", "llm_base_url"))


class AuditCache:
    def __init__(self, settings):
        self.dir = Path(settings.home) / "audit"
        self.settings = settings
        self._home = _home_fingerprint(settings)

    def path(self, sha256: str) -> Path:
        return self.dir / f"{sha256}.jsonl"

    def get(self, sha256: str, source: str, checks: tuple[str, ...]) -> list[Flag] | None:
        p = self.path(sha256)
        if not p.exists():
            return None
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except OSError:  # removed since (``drop_other`` in another process): recompute
            return None
        try:
            meta = json.loads(lines[0])["_meta"]
            if meta != self._meta(source, checks):
                return None
            return [Flag.from_dict(json.loads(x)) for x in lines[1:] if x.strip()]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("ignoring unreadable audit cache %s: %s", p, exc)
            return None

    def put(self, sha256: str, source: str, checks: tuple[str, ...], flags: list[Flag]) -> None:
        lines = [json.dumps({"_meta": self._meta(source, checks)})] + [json.dumps(f.to_dict(), ensure_ascii=False) for f in flags]
        self._save(self.path(sha256), "".join(line + "\n" for line in lines))

    def drop_other(self, sha256: str, prefix: str) -> None:
        """Remove the cached entries named ``prefix``... other than ``sha256``'s (the cross-source check's results for
        sets of sources no longer indexed)."""
        for p in self.dir.glob(f"{prefix}*.jsonl"):
            if p != self.path(sha256):
                p.unlink(missing_ok=True)

    def _save(self, path: Path, text: str) -> None:
        """Write ``path`` atomically, or warn (once per process) and go on without the cache. A temporary file of its
        own (``write_text_atomic``): one shared ``.tmp`` name let two audits at once rename each other's half-written
        file into place (a review)."""
        try:
            write_text_atomic(path, text)
        except OSError as exc:
            if not _warned:
                _warned.append(str(exc))
                log.warning("audit cache not saved in %s (%s): the audit still ran; it is recomputed next time",
                            self.dir, exc.strerror or exc)

    def _meta(self, source: str, checks: tuple[str, ...]) -> dict:
        return {"source": source, "checks": sorted(checks), "fingerprint": fingerprint() + self._home,
                "judge": _judge_backend(self.settings), "llm": _llm_identity(self.settings) if "llm" in checks else "-"}

    # The latest full result (per-source + cross-source, deduplicated), for lookups by record id.
    @property
    def latest_path(self) -> Path:
        return self.dir / "latest.jsonl"

    def write_latest(self, flags: list[Flag]) -> None:
        self._save(self.latest_path, "".join(json.dumps(f.to_dict(), ensure_ascii=False) + "\n" for f in flags))

    def latest(self) -> list[Flag]:
        """The latest full result; [] when there is none or it cannot be read (it is recomputed by the next audit)."""
        try:
            text = self.latest_path.read_text(encoding="utf-8")
            return [Flag.from_dict(json.loads(x)) for x in text.splitlines() if x.strip()]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable audit cache %s: %s", self.latest_path, exc)
            return []

    def flags_for(self, record_id: str) -> list[Flag]:
        return [f for f in self.latest() if f.record_id == record_id]
