"""The session database: one SQLite file at ``settings.db_path`` with named migrations.

Each migration is a named function applied once, in order, and recorded in a ``migrations`` table
(the habit of simonw/llm's ``migrations.py``). Adding a column means adding a new function at the
end of ``MIGRATIONS``; never edit one that has shipped.

Simplified on purpose: a new connection per unit of work (``connect()``), WAL mode and a busy
timeout instead of a connection pool; that is plenty for one local user with a few browser tabs.

A full disk inside a transaction is one clear ``DiskError`` line ("... was not saved"), never a raw
``sqlite3.OperationalError``. ``read_only=True`` (a read-only ``COACH_HOME``) works on an in-memory copy
of the file (taken with SQLite's ``immutable`` flag, so nothing is written next to it): practice goes on,
and nothing is kept once the process ends.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from coach.diskio import writing
from coach.errors import CoachError

log = logging.getLogger(__name__)

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            status TEXT NOT NULL,            -- active | finished
            topics TEXT NOT NULL,            -- JSON list, [] = all topics
            difficulty INTEGER,              -- 1..3 or NULL = any
            length INTEGER NOT NULL,         -- number of main questions
            seed INTEGER NOT NULL,
            plan TEXT NOT NULL               -- JSON list of question items (the questions to ask, in order)
        );
        CREATE TABLE turns (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            position INTEGER NOT NULL,       -- index into the plan (a follow-up shares its parent's)
            kind TEXT NOT NULL,              -- main | followup
            question_id TEXT NOT NULL,
            topic TEXT NOT NULL,
            question TEXT NOT NULL,          -- as asked (variant phrasing included)
            status TEXT NOT NULL,            -- pending | answered | skipped | revealed
            hints_used INTEGER NOT NULL DEFAULT 0,
            answer TEXT,
            grade TEXT,                      -- JSON of coach.grading.types.Grade
            score REAL,                      -- 0..10, NULL when not graded
            verdict TEXT,
            asked_at REAL NOT NULL,
            answered_at REAL
        );
        CREATE INDEX turns_session ON turns(session_id, id);
        CREATE TABLE reviews (
            question_id TEXT PRIMARY KEY,
            topic TEXT NOT NULL,
            repetitions INTEGER NOT NULL,    -- successful reviews in a row
            interval_days REAL NOT NULL,
            ease REAL NOT NULL,
            due_at REAL NOT NULL,            -- unix seconds
            last_score REAL,
            reviewed_at REAL NOT NULL
        );
        CREATE TABLE asks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            citations TEXT NOT NULL,         -- JSON list of citations
            warnings TEXT NOT NULL,          -- JSON list of str
            created_at REAL NOT NULL
        );
        """
    )


@migration
def m002_session_title(db: sqlite3.Connection) -> None:
    # A short human label for the resume list ("Deep learning, 5 questions").
    db.execute("ALTER TABLE sessions ADD COLUMN title TEXT NOT NULL DEFAULT ''")


@migration
def m003_strip_lead_ins(db: sqlite3.Connection) -> None:
    # Lead-ins ("Next up: ") used to be saved into turns.question and leaked into exports; they are
    # presentation now (SessionEngine.turns adds them), so remove them from the stored questions.
    from coach.session.engine import strip_lead_in

    for row_id, question in db.execute("SELECT id, question FROM turns WHERE kind='main'").fetchall():
        clean = strip_lead_in(question)
        if clean != question:
            db.execute("UPDATE turns SET question=? WHERE id=?", (clean, row_id))


@migration
def m004_fsrs_review_states(db: sqlite3.Connection) -> None:
    # Spaced repetition moved from SM-2 to FSRS (coach/session/schedule.py). Existing review states
    # become FSRS cards with the same due dates (schedule.from_sm2 says how).
    from coach.session.schedule import from_sm2

    for column in ("stability REAL", "difficulty REAL", "fsrs_state INTEGER", "last_rating INTEGER"):
        db.execute(f"ALTER TABLE reviews ADD COLUMN {column}")
    rows = db.execute("SELECT question_id, repetitions, interval_days, ease FROM reviews").fetchall()
    for question_id, repetitions, interval_days, ease in rows:
        stability, difficulty, state = from_sm2(repetitions, interval_days, ease)
        db.execute("UPDATE reviews SET stability=?, difficulty=?, fsrs_state=? WHERE question_id=?",
                   (stability, difficulty, state, question_id))


@migration
def m005_owners(db: sqlite3.Connection) -> None:
    # Sessions, asks and review schedules belong to an owner (a browser's secret, a logged-in user, or
    # "local" for the terminal). Everything stored before owners existed was the terminal's: "local".
    _run_script(
        db,
        """
        ALTER TABLE sessions ADD COLUMN owner TEXT NOT NULL DEFAULT 'local';
        ALTER TABLE asks ADD COLUMN owner TEXT NOT NULL DEFAULT 'local';
        CREATE INDEX sessions_owner ON sessions(owner, status, updated_at);
        CREATE TABLE reviews_owned (
            owner TEXT NOT NULL,
            question_id TEXT NOT NULL,
            topic TEXT NOT NULL,
            repetitions INTEGER NOT NULL,
            interval_days REAL NOT NULL,
            ease REAL NOT NULL,
            due_at REAL NOT NULL,
            last_score REAL,
            reviewed_at REAL NOT NULL,
            stability REAL,
            difficulty REAL,
            fsrs_state INTEGER,
            last_rating INTEGER,
            PRIMARY KEY (owner, question_id)
        );
        INSERT INTO reviews_owned SELECT 'local', question_id, topic, repetitions, interval_days, ease, due_at,
            last_score, reviewed_at, stability, difficulty, fsrs_state, last_rating FROM reviews;
        DROP TABLE reviews;
        ALTER TABLE reviews_owned RENAME TO reviews
        """,
    )


@migration
def m006_followup_target(db: sqlite3.Connection) -> None:
    # A follow-up is graded against the gap it asks about (a correction or a missing key point).
    db.execute("ALTER TABLE turns ADD COLUMN target TEXT")


def _run_script(db: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it COMMITs first, which would break the per-migration transaction.
    # Comments are stripped before splitting so they may contain any text.
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            db.execute(statement)


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded; return the names applied now."""
    db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM migrations")}
    applied = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        # One transaction per migration: a failed one leaves nothing half-applied.
        db.execute("BEGIN IMMEDIATE")
        try:
            # another process opening the same file may have applied it since the list above was read
            if db.execute("SELECT 1 FROM migrations WHERE name=?", (fn.__name__,)).fetchone():
                db.execute("COMMIT")
                continue
            fn(db)
            db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (fn.__name__, time.time()))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        applied.append(fn.__name__)
        log.info("applied migration %s", fn.__name__)
    return applied


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock beside ``path`` (``<name>.lock``) while a damaged file is moved aside."""
    import fcntl

    with open(f"{path}.lock", "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _private(path: Path) -> None:
    """Read and write for this account only (the database and its journal files); a file system that keeps no
    permissions is left as it is."""
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if p.exists() and (p.stat().st_mode & 0o077):
                os.chmod(p, 0o600)
        except OSError as exc:
            log.debug("cannot make %s private: %s", p, exc)


class DamagedDatabase(CoachError):
    """SQLite cannot read the session database file ("file is not a database", "database disk image is malformed")."""


@contextmanager
def _readable_copy(path: Path) -> Iterator[str]:
    """A URI SQLite can read ``path`` from without writing next to it. Opened ``immutable``, SQLite ignores the file's
    write-ahead log, and sessions saved before a crash that were still in it did not show in a read-only home (a
    review): with a non-empty log, the file and its log are copied to a private folder and read there."""
    wal = Path(f"{path}-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        yield f"{path.resolve().as_uri()}?immutable=1"
        return
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="coach-db-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        shutil.copyfile(wal, Path(f"{copy}-wal"))
        yield copy.resolve().as_uri()


def _wal(db: sqlite3.Connection, tries: int = 100) -> None:
    """Put the file in WAL mode (kept by the file: set once). Switching needs the file to itself and SQLite
    answers "database is locked" at once, without the busy timeout, while another process opens it too, so
    this waits a little and tries again."""
    for attempt in range(tries):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.05)


class Database:
    """Opens the SQLite file, migrates it once, hands out short-lived connections."""

    def __init__(self, path: Path, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self.moved_aside: Path | None = None  # where a damaged file was moved on opening, if one was
        self._memory: sqlite3.Connection | None = None
        self._memory_lock = threading.RLock()
        if read_only:
            self._memory = self._memory_copy()
            self.applied = migrate(self._memory)
            return
        with writing(f"open the session database {self.path}"):
            # every user's answers and grades are in this file: private to this account (a security review found the
            # home 755 and the database 644, readable by every local account); a home made here is private too
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                with self.connect() as db:
                    self.applied = migrate(db)
                _private(self.path)
            except DamagedDatabase:
                # a file SQLite cannot read ("file is not a database", "malformed") stopped every front end, the web
                # UI included, with a traceback (a review): it is kept aside, whole, and a new history starts
                with _file_lock(self.path):  # one process at a time, and never the new file another one just made
                    try:
                        with self.connect() as db:
                            self.applied = migrate(db)
                        _private(self.path)
                        return
                    except DamagedDatabase:
                        self.moved_aside = self._move_aside()
                with self.connect() as db:
                    self.applied = migrate(db)
                _private(self.path)

    def _move_aside(self) -> Path:
        import secrets

        stamp = time.strftime("%Y%m%d-%H%M%S")
        # a name of its own: two moves in one second overwrote the first damaged file (a review)
        kept = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{os.getpid()}-{secrets.token_hex(2)}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                part.replace(Path(f"{kept}{suffix}"))
        log.warning("the session database %s is damaged and cannot be read: it was moved to %s (its sessions are not in "
                    "the new history; a SQLite recovery tool may read them) and a new one started", self.path, kept)
        return kept

    def _memory_copy(self) -> sqlite3.Connection:
        memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        memory.row_factory = sqlite3.Row
        if self.path.exists():
            try:
                with _readable_copy(self.path) as uri:
                    source = sqlite3.connect(uri, uri=True)
                    try:
                        source.backup(memory)
                    finally:
                        source.close()
            except (sqlite3.Error, OSError) as exc:
                log.warning("cannot read %s (%s): starting from an empty session history", self.path, exc)
        memory.execute("PRAGMA foreign_keys=ON")
        return memory

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        if self._memory is not None:  # read-only home: one shared in-memory connection, one user at a time
            with self._memory_lock:
                yield self._memory
            return
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            _wal(db)
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        except sqlite3.DatabaseError as exc:
            if type(exc) is sqlite3.DatabaseError:  # not its subclasses (a constraint, a lock): the file is unreadable
                raise DamagedDatabase(f"the session database {self.path} is damaged ({exc}); move it aside (the coach "
                                      "starts a new one) or restore a copy") from exc
            raise
        finally:
            db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with writing(f"save to the session database {self.path}", kept="your last action was not saved"):
            with self.connect() as db:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    if db.in_transaction:  # SQLite may already have rolled back (a full disk does)
                        db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
