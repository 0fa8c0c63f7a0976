"""Helpers for the disk-fault tests (no tests here): a full disk and a read-only file system, simulated
portably under one folder by monkeypatching Python's file functions.

Why not chmod: the tests may run as root, and permission bits do not stop root. Why not a real tmpfs:
mounting needs privileges CI does not have. So the faults are injected where Python writes files:

- ``full_disk``: files under ``root`` open fine (as on a real full disk) but every ``write`` raises
  ``OSError(ENOSPC)``; SQLite is not covered (use ``PRAGMA max_page_count`` for it, as the tests do);
- ``read_only``: under ``root``, opening for writing, creating folders, renaming, replacing and deleting
  raise ``OSError(EROFS)``, and SQLite connections open the file read-only (``mode=ro``).
C code that opens paths itself (faiss.write_index) is not covered; the writers tested here fail
before reaching it.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import shutil
import sqlite3
from pathlib import Path


def _under(path, root: Path) -> bool:
    if isinstance(path, int):
        return False
    try:
        return Path(os.path.abspath(os.fsdecode(path))).is_relative_to(root)
    except (TypeError, ValueError):
        return False


def _writes(mode: str) -> bool:
    return any(c in mode for c in "wax+")


class _FullFile:
    """A file object on a full disk: created, but no byte can be written."""

    def __init__(self, fh, path):
        self._fh, self._path = fh, os.fsdecode(path)

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self._path)

    def writelines(self, lines):
        self.write("")

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()

    def __iter__(self):
        return iter(self._fh)


def full_disk(monkeypatch, root: Path) -> None:
    root = Path(root).resolve()
    real_open = builtins.open

    def fake_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        return _FullFile(fh, file) if _writes(mode) and _under(file, root) else fh

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)


def read_only(monkeypatch, root: Path) -> None:
    root = Path(root).resolve()

    def erofs(path):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))

    def guard(real, *path_args, check=lambda *a, **k: True):
        def fake(*args, **kwargs):
            if check(*args, **kwargs) and any(_under(args[i], root) for i in path_args if i < len(args)):
                erofs(args[path_args[0]])
            return real(*args, **kwargs)

        return fake

    real_open = builtins.open
    fake_open = guard(real_open, 0, check=lambda f, mode="r", *a, **k: _writes(mode))
    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    monkeypatch.setattr(os, "open", guard(os.open, 0, check=lambda p, flags, *a, **k: bool(flags & write_flags)))
    for name in ("mkdir", "rmdir", "unlink", "remove"):
        monkeypatch.setattr(os, name, guard(getattr(os, name), 0))
    for name in ("replace", "rename"):
        monkeypatch.setattr(os, name, guard(getattr(os, name), 0, 1))
    monkeypatch.setattr(shutil, "rmtree", guard(shutil.rmtree, 0))
    real_connect = sqlite3.connect

    def connect(database, *args, **kwargs):
        if _under(database, root) and not kwargs.get("uri"):
            return real_connect(f"file:{os.path.abspath(database)}?mode=ro", *args, uri=True, **kwargs)
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and mtime: equal snapshots mean nothing was written."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}
