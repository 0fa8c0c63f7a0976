"""On-disk index generations, switched in atomically, with a single-writer lock.

Layout of ``settings.index_dir``::

    CURRENT                  # one line: the name of the live generation (replaced with os.replace)
    LOCK                     # flock'd by the one process allowed to write
    gen-<ns>-<pid>/          # an immutable, complete generation
        meta.json            # model id, dim, index type, built_at, sources {name: sha256, counts...}
        records.jsonl        # corpus.records.Record dicts
        chunks.jsonl         # {record_id, text, hash, source, topic, kind}; row i <-> vector i
        vectors.npy          # (n_chunks, dim) float32, unit rows; np.load(allow_pickle=False)
        dense.faiss          # faiss.write_index of IndexFlatIP or IndexHNSWFlat over the same rows
    gen-<ns>-<pid>.tmp/      # being written (or left behind by a crash; collected by the next writer)

A writer fills a ``.tmp`` directory, fsyncs every file, renames it to its final name, fsyncs the
parent, then replaces CURRENT (fsync'd). Killing it at any moment leaves CURRENT pointing at the
previous complete generation. Readers load a whole generation into memory, and the previous
generation is kept for one more switch, so a reader that has just read CURRENT never sees files vanish.
Each generation's meta names the generation that was live when it was written (``previous``), so
garbage collection follows that chain from CURRENT: a generation written but never switched in (a
crash or a full disk at the switch) is an orphan and is collected, never the one that was live.

A write that fails (a full disk, a read-only folder) removes what it wrote and raises one DiskError line;
the previous generation stays live. Leftovers of a writer that was killed are collected by the next
writer as soon as it holds the lock, even when it then has nothing to write.

No pickle anywhere: JSON, JSONL, ``np.save``/``np.load(allow_pickle=False)`` and faiss's own format.
Simplified on purpose: the BM25 index is not stored; it is rebuilt from chunks.jsonl when first needed
(about a second per 100k chunks), which also keeps one format fewer on disk.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.diskio import remove_quietly, write_npy, writing
from coach.errors import CoachError

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CURRENT = "CURRENT"
LOCK = "LOCK"
KEEP_GENERATIONS = 2  # the live one and the one before it
_GENERATION = re.compile(r"gen-\d+-\d+")  # a generation's name
CRASH_ENV = "COACH_INDEX_CRASH_AT"  # test hook: SIGKILL ourselves at this named write step


def crash_point(name: str) -> None:
    """Die like a power cut at a named step when the test hook asks for it."""
    if os.environ.get(CRASH_ENV) == name:
        log.warning("crash hook: killing the process at %s", name)
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync(path: Path) -> None:
    """fsync a file or a directory (a directory's entry list must hit the disk before a switch)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


class WriteLock:
    """Exclusive, non-blocking writer lock (flock: released by the kernel if the holder dies)."""

    def __init__(self, index_dir: Path):
        self.path = Path(index_dir) / LOCK
        self._fh = None

    def __enter__(self):
        with writing(f"write the index in {self.path.parent}", kept="the index is unchanged"):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise CoachError(
                f"the index at {self.path.parent} is being written by {holder}: wait for it to finish and retry"
            ) from None
        self._fh = fh
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
        except OSError as exc:  # a full disk: the pid note is only for the "busy" message
            log.debug("cannot note the lock holder: %s", exc)
        collect_garbage(self.path.parent)  # what a killed or failed writer left behind
        return self

    def __exit__(self, *exc):
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


@dataclass
class Generation:
    name: str
    meta: dict
    records: list[dict]
    chunks: list[dict]
    vectors: np.ndarray  # (n_chunks, dim) float32
    faiss_index: object  # faiss.Index


class DamagedPointer(CoachError):
    """CURRENT holds no generation's name (damaged bytes, a hand edit)."""


def read_current(index_dir: Path) -> str | None:
    """The live generation's name; None when there is none. A pointer that holds no generation's name is a
    ``DamagedPointer`` error (run `coach index build`), never "no index": read as none, an `index add` wrote an index of
    its file alone and the sources indexed before were collected (a review)."""
    path = Path(index_dir) / CURRENT
    try:
        name = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, IsADirectoryError):
        name = "\ufffd"
    if name and not _GENERATION.fullmatch(name):
        raise DamagedPointer(f"the index at {Path(index_dir)} is unreadable ({CURRENT} is damaged): run `coach index "
                             "build`")
    return name or None


def _live_or_none(index_dir: Path) -> str | None:
    """``read_current``, with a damaged pointer read as no live generation: for the writer that replaces it (`coach
    index build`) and for the clean-up, which then keeps every complete generation."""
    try:
        return read_current(index_dir)
    except DamagedPointer:
        return None


def load_generation(index_dir: Path, name: str | None = None) -> Generation | None:
    """Load the live generation (or ``name``) fully into memory; None when there is no index."""
    import faiss

    index_dir = Path(index_dir)
    name = name or read_current(index_dir)
    if name is None:
        return None
    gdir = index_dir / name
    try:
        meta = json.loads((gdir / "meta.json").read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or not isinstance(meta.get("sources"), dict):
            raise ValueError("meta.json is not an index's description")
        if meta.get("format") != FORMAT_VERSION:
            raise CoachError(
                f"the index at {index_dir} has format {meta.get('format')!r}, this version reads "
                f"{FORMAT_VERSION}: run `coach index build`"
            )
        records = _read_jsonl(gdir / "records.jsonl")
        chunks = _read_jsonl(gdir / "chunks.jsonl")
        vectors = np.load(gdir / "vectors.npy", allow_pickle=False)
        faiss_index = faiss.read_index(str(gdir / "dense.faiss"))
    except (OSError, ValueError, RuntimeError) as exc:
        raise CoachError(f"the index at {index_dir} is unreadable ({exc}): run `coach index build`") from None
    if vectors.shape[0] != len(chunks) or faiss_index.ntotal != len(chunks):
        raise CoachError(f"the index at {index_dir} is inconsistent: run `coach index build`")
    return Generation(name, meta, records, chunks, vectors, faiss_index)


def write_generation(index_dir: Path, meta: dict, records: list[dict], chunks: list[dict],
                     vectors: np.ndarray, faiss_index) -> str:
    """Write a complete new generation and make it the live one. Caller holds the WriteLock.

    On failure nothing of this generation stays behind unless it became live; a disk condition is
    raised as one DiskError line ("... the previous index is unchanged")."""
    index_dir = Path(index_dir)
    name = f"gen-{time.time_ns()}-{os.getpid()}"
    try:
        with writing(f"write the index in {index_dir}", kept="the previous index is unchanged"):
            index_dir.mkdir(parents=True, exist_ok=True)
            _write_generation(index_dir, name, meta, records, chunks, vectors, faiss_index)
    except BaseException:
        if _live_or_none(index_dir) != name:  # never switched in: remove everything it wrote
            shutil.rmtree(index_dir / f"{name}.tmp", ignore_errors=True)
            shutil.rmtree(index_dir / name, ignore_errors=True)
            remove_quietly(index_dir / f"{CURRENT}.tmp")
        raise
    log.info("index generation %s is live (%d chunks)", name, len(chunks))
    return name


def _write_faiss(faiss_index, path: Path) -> None:
    """faiss reports a failed write as RuntimeError; say what the disk says instead when it is the disk."""
    import faiss

    try:
        faiss.write_index(faiss_index, str(path))
    except RuntimeError as exc:
        st = os.statvfs(path.parent)
        if st.f_flag & os.ST_RDONLY:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path)) from None
        if st.f_bavail * st.f_frsize < 1 << 20:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)) from None
        raise OSError(errno.EIO, f"faiss could not write the index ({exc})", str(path)) from None
    _fsync(path)


def _write_generation(index_dir: Path, name: str, meta: dict, records: list[dict], chunks: list[dict],
                      vectors: np.ndarray, faiss_index) -> None:
    tmp = index_dir / f"{name}.tmp"
    tmp.mkdir()
    _write_jsonl(tmp / "records.jsonl", records)
    _write_jsonl(tmp / "chunks.jsonl", chunks)
    crash_point("chunks_written")
    with open(tmp / "vectors.npy", "wb") as fh:
        write_npy(fh, vectors)  # a full disk is ENOSPC (one line), not numpy's errno-less short write
        fh.flush()
        os.fsync(fh.fileno())
    crash_point("vectors_written")
    _write_faiss(faiss_index, tmp / "dense.faiss")
    previous = _live_or_none(index_dir)  # the live generation this one replaces (kept one more switch)
    _write_text(tmp / "meta.json", json.dumps({**meta, "format": FORMAT_VERSION, "previous": previous}, indent=1))
    _fsync(tmp)
    crash_point("before_rename")
    os.rename(tmp, index_dir / name)
    _fsync(index_dir)
    crash_point("before_switch")
    pointer = index_dir / f"{CURRENT}.tmp"
    _write_text(pointer, name + "\n")
    os.replace(pointer, index_dir / CURRENT)
    _fsync(index_dir)
    crash_point("after_switch")


def _previous(index_dir: Path, name: str):
    """The generation that was live before ``name`` (from its meta): a name, None, or ... when the meta
    predates the ``previous`` field or cannot be read."""
    try:
        meta = json.loads((index_dir / name / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ...
    return meta.get("previous", ...) if isinstance(meta, dict) else ...


def _stamp(p: Path) -> int:
    part = p.name.split("-")[1] if p.name.count("-") >= 2 else ""
    return int(part) if part.isdigit() else 0


def collect_garbage(index_dir: Path, keep: int = KEEP_GENERATIONS) -> list[str]:
    """Delete crash leftovers, orphans and all but the live generation and the ``keep - 1`` that were live
    before it (following each generation's ``previous``). Caller holds the WriteLock."""
    index_dir = Path(index_dir)
    live = _live_or_none(index_dir)
    gens = sorted((p for p in index_dir.glob("gen-*") if p.is_dir()), key=_stamp)
    complete = [p.name for p in gens if not p.name.endswith(".tmp")]
    keep_names: set[str] = set()
    if live not in complete:
        # no live generation to go by (CURRENT missing, empty or naming one that is gone): only crash leftovers
        # are safe to remove; a complete generation may be the only copy of the index left
        keep_names = set(complete)
    name = live if live in complete else None
    while name is not None and name in complete and len(keep_names) < keep:
        keep_names.add(name)
        before = _previous(index_dir, name)
        if before is ...:  # an index written before generations named their predecessor: newest older one
            older = [n for n in complete if _stamp(index_dir / n) < _stamp(index_dir / name)]
            before = older[-1] if older else None
        name = before
    removed = []
    for p in gens:
        if p.name in keep_names:
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p.name)
    pointer = index_dir / f"{CURRENT}.tmp"  # a switch that never happened
    if pointer.exists():
        remove_quietly(pointer)
    if removed:
        log.debug("collected index generations: %s", removed)
    return removed
