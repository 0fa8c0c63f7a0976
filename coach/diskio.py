"""Disk trouble as one clear line: a full disk, a read-only ``COACH_HOME``, no permission.

``disk_error(exc, doing, kept)`` turns an ``OSError`` (or SQLite's own "database or disk is full" /
"readonly database" ``OperationalError``) into a ``DiskError``: a CoachError whose message says what
could not be done, why, what was kept, and what to do. ``writing(...)`` does the same as a context
manager. Anything that is not a disk condition is re-raised untouched.

``writable(path)`` answers "can files be created here?" by creating (and removing) one: permission
bits do not stop root, and ``os.access`` says nothing about a read-only mount or a full disk.

``load_vectors(path, rows)`` / ``save_vectors(path, vecs)``: cached embeddings as ``.npy`` files, read
without pickle (a damaged, pickled or wrongly shaped file reads as None) and written atomically.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coach.errors import CoachError

log = logging.getLogger(__name__)

REASONS = {
    errno.ENOSPC: ("the disk is full", "free some space and run it again"),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space and run it again"),
    errno.EROFS: ("the file system is read-only", "point COACH_HOME (or the output) at a writable folder"),
    errno.EACCES: ("permission denied", "point COACH_HOME (or the output) at a folder you can write"),
    errno.EPERM: ("permission denied", "point COACH_HOME (or the output) at a folder you can write"),
    # not the disk, but as plain: another process kept the session database locked past the 30 s wait (a traceback
    # before: a review)
    errno.EBUSY: ("the database is busy: another coach process kept it locked", "wait a moment and run it again"),
}
# SQLite reports the same conditions in its own words (sqlite3.OperationalError messages).
SQLITE = {"database or disk is full": errno.ENOSPC, "attempt to write a readonly database": errno.EROFS,
          "unable to open database file": errno.EACCES, "database is locked": errno.EBUSY}


class DiskError(CoachError):
    """A write failed because of the disk (full, read-only, no permission). ``errno`` says which."""

    def __init__(self, message: str, errno_: int):
        super().__init__(message)
        self.errno = errno_


def disk_errno(exc: BaseException) -> int | None:
    """The disk condition behind ``exc`` (an errno in REASONS), or None when it is something else."""
    if isinstance(exc, DiskError):
        return exc.errno
    if isinstance(exc, sqlite3.OperationalError):
        return next((code for text, code in SQLITE.items() if text in str(exc)), None)
    if isinstance(exc, OSError) and exc.errno in REASONS and exc.errno != errno.EBUSY:  # EBUSY: SQLite's lock only
        return exc.errno
    return None


def disk_error(exc: BaseException, doing: str, kept: str = "") -> DiskError | None:
    """``cannot <doing>: <reason> (<file>); <kept>. <What to do>.`` as a DiskError, or None."""
    if isinstance(exc, DiskError):
        return exc
    code = disk_errno(exc)
    if code is None:
        return None
    reason, hint = REASONS[code]
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    kept = f"; {kept}" if kept else ""
    return DiskError(f"cannot {doing}: {reason}{where}{kept}. {hint[0].upper()}{hint[1:]}.", code)


@contextmanager
def writing(doing: str, kept: str = "") -> Iterator[None]:
    """Re-raise a disk condition inside the block as one clear DiskError line; anything else untouched."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        err = disk_error(exc, doing, kept)
        if err is None:
            raise
        raise err from None


def writable(path: Path) -> bool:
    """Whether a file can be created in ``path`` (or in its nearest existing parent, if it does not exist)."""
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        fd, name = tempfile.mkstemp(prefix=".coach-write-probe-", dir=probe)
    except OSError as exc:
        log.info("%s is not writable: %s", probe, exc)
        return False
    os.close(fd)
    try:
        os.unlink(name)
    except OSError:
        pass
    return True


def load_vectors(path: Path, rows: int):
    """The (rows, d) float32 array saved at ``path``, or None when it is missing, unreadable, pickled or
    of another shape (the caller computes it again)."""
    import numpy as np

    path = Path(path)
    if not path.exists():
        return None
    try:
        vecs = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        log.info("cached vectors %s unreadable (%s): computing them again", path, exc)
        return None
    if vecs.dtype != np.float32 or vecs.ndim != 2 or vecs.shape[0] != rows:
        log.info("cached vectors %s have shape %s, not (%d, d): computing them again", path, vecs.shape, rows)
        return None
    return vecs


def save_vectors(path: Path, vecs) -> None:
    """Write ``vecs`` as float32 to ``path`` atomically (a temporary file, then a rename). Raises OSError."""
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write_npy(fh, vecs)
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(Path(tmp))
        raise


def write_npy(fh, vecs) -> None:
    """``vecs`` as float32 in the .npy format, written with one ``fh.write``: numpy writes an array to a real file
    with ``tofile``, whose short write on a full disk is an OSError without an errno ("166656 requested and 139232
    written"), which no disk message recognised (a traceback, a review); Python's own write says ENOSPC."""
    import io

    import numpy as np

    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(vecs, dtype=np.float32), allow_pickle=False)
    fh.write(buf.getbuffer())


def new_file_beside(path: Path) -> Path:
    """An empty file of its own beside ``path``, with the mode a new file gets from the umask (``mkstemp`` makes
    every file 0600: an export to a shared folder came out private, a review)."""
    import secrets

    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue


def write_text_atomic(path: Path, text: str, before_replace=None) -> None:
    """Write ``text`` to ``path`` through a temporary file of its own beside it, then a rename: a reader
    never sees a half-written or missing file, and two writers never share a temporary name.
    ``before_replace(path)``: called once the text is written, just before the rename (to keep a backup of
    the old file). A failed write leaves the old file and no temporary file behind, and raises.
    A symbolic link is written through (its target replaced, the link kept), and a file that exists keeps its
    permissions; a new one gets the umask's."""
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_file_beside(path)
    try:
        with open(tmp, "w", encoding="utf-8") as fh:  # builtins.open: what the disk-fault tests intercept
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the rename: a power cut never leaves an empty file (a review)
        try:
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        except FileNotFoundError:
            pass
        if before_replace is not None:
            before_replace(path)
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise


def remove_quietly(path: Path) -> None:
    """Delete a temporary file we made; a failure here must not hide the error that got us here."""
    try:
        Path(path).unlink(missing_ok=True)
    except OSError as exc:
        log.debug("could not remove %s: %s", path, exc)


@contextmanager
def file_lock(path: Path, what: str, timeout: float = 10.0) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` for a read-modify-write of ``path`` (flock: released by the
    kernel if the holder dies; per open file, so two threads of one process exclude each other too). Waits up to
    ``timeout`` seconds for another writer, then fails with one line naming ``what``."""
    import fcntl
    import time

    lock = Path(str(path) + ".lock")
    with writing(f"change {what}", kept=f"{what} unchanged"):
        lock.parent.mkdir(parents=True, exist_ok=True)
        fh = open(lock, "a+", encoding="utf-8")
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):  # a file system without locks
                    log.warning("cannot lock %s (%s): changing %s without a lock", lock, exc.strerror, what)
                    yield
                    return
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if time.monotonic() >= deadline:
                    raise CoachError(f"{what} is being changed by another process or request: retry in a moment") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    finally:
        fh.close()


def check_output_file(output, what: str = "write", replaced: bool = False) -> None:
    """Fail now, in one line, when a file the user named for output cannot be written (`coach grade` said "Error:
    [Errno 2] ..." after the models had loaded): opened to append (nothing of an existing file is lost if the start
    fails), and a file this made is removed again. A folder that does not exist is an error, never made: `coach
    sessions export -o /nonexistent-dir/x.md` made that folder at the filesystem root (a walkthrough)."""
    if replaced:  # written beside it and renamed over it (write_text_atomic): its folder is what must be there
        folder = Path(output).parent
        if Path(output).is_dir():
            raise CoachError(f"cannot write {output}: it is a folder")
        if not folder.is_dir():
            raise CoachError(f"cannot write {output}: its folder does not exist")
        return
    existed = os.path.lexists(output)
    try:
        open(output, "ab").close()
    except FileNotFoundError:
        raise CoachError(f"cannot write {output}: its folder does not exist") from None
    except IsADirectoryError:
        raise CoachError(f"cannot write {output}: it is a folder") from None
    except OSError as exc:
        err = disk_error(exc, f"{what} {output}")
        if err is None:
            raise CoachError(f"cannot write {output}: {exc.strerror or exc}") from None
        raise err from None
    if not existed:
        Path(output).unlink(missing_ok=True)
