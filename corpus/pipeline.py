"""The corpus stage end to end: paths -> documents -> boilerplate removed -> records -> topics and groups.

``parse_file`` parses one file (raises ``SkippedFile``, a CoachError, when it cannot); ``parse_batch``
walks files and folders and collects skipped files instead of stopping; ``parse_paths`` is
``parse_batch`` returning only the parsed sources (each skipped file is logged as one warning).

Source names are the file's name as given; files found inside a folder are named by their path relative
to that folder (``sub/notes.md``), so two folders' files never collide. Folders are walked recursively,
hidden files and folders are ignored, and only supported suffixes (txt, md, html, pdf) are read.
Results are sorted by source name, so the output does not depend on argument order.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from coach.errors import CoachError
from corpus import boilerplate
from corpus.blocks import code_lines, fenced_lines
from corpus.grouping import group_and_tag
from corpus.loaders import DEFAULT_MAX_BYTES, SUPPORTED, Document, SkippedFile, load_document
from corpus.passages import build_passages
from corpus.records import ParsedSource
from corpus.segment import build_records, find_questions, loose_question, parse_question_line
from corpus.title import document_title, heading_title

log = logging.getLogger(__name__)


@dataclass
class Batch:
    sources: list[ParsedSource] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    def outcome(self, paths) -> tuple[list[str], str | None]:
        """(warnings, error) for the user: one warning per skipped path ("skipped PATH: reason"), and an
        error line only when nothing at all was parsed (then just that line when one path was bad)."""
        warnings = [str(s) for s in self.skipped]
        if self.sources:
            return warnings, None
        if len(self.skipped) == 1:
            return [], f"{self.skipped[0].reason}: {self.skipped[0].path}"
        if not self.skipped:
            return [], f"no readable sources (txt, md, html, pdf) in: {', '.join(map(str, paths))}"
        # each path and why, in the error itself: "2 paths skipped" alone left a web user guessing which and why
        return [], "nothing could be read: " + "; ".join(f"{s.path} ({s.reason})" for s in self.skipped)


def parse_document(doc: Document) -> ParsedSource:
    """Boilerplate, segmentation and blocks for one loaded document (topics/groups come later)."""
    lines = doc.lines
    fenced = fenced_lines(lines)
    loose = [loose_question(ln) if i not in fenced else False for i, ln in enumerate(lines)]
    # "# 7. What is X?" next to code is a heading, not a comment ("# Define the model" stays code)
    code = {i for i in code_lines(lines, fenced) if i in fenced or not (loose[i] and _numbered_or_asks(lines[i]))}
    cats = boilerplate.classify(lines, protected=code, is_question=loose.__getitem__)
    tails = boilerplate.trim_tails(lines, cats, code, loose.__getitem__)
    if tails:
        lines = [tails[i][0] if i in tails else ln for i, ln in enumerate(lines)]
    removed = {i for i, c in enumerate(cats) if c}
    stats: dict[str, int] = {}
    questions = find_questions(lines, removed, code)
    if questions:
        records = build_records(doc.source, lines, questions, removed, code, stats)
    else:
        records = build_passages(doc.source, lines, removed, code)
    if doc.line_numbers:
        _to_original_lines(records, doc.line_numbers, doc.line_ends)
    counts = boilerplate.count(cats)
    for _, cat in tails.values():  # a cut line tail counts as one removed piece
        counts[cat] = counts.get(cat, 0) + 1
    for k, v in [*stats.items(), *doc.chrome_removed.items()]:
        counts[k] = counts.get(k, 0) + v
    warnings = list(doc.warnings)
    warnings += [f"{doc.source}:{r.line_start}: question without an answer" for r in records if not r.answer]
    first = questions[0].index if questions else None
    heading = heading_title(lines, removed, first)
    return ParsedSource(source=doc.source, path=str(doc.path), sha256=doc.sha256, records=records,
                        boilerplate_removed=dict(sorted(counts.items())), warnings=warnings,
                        # a PDF's metadata title before a short line of its first page (a walkthrough's printed page
                        # was titled with its navigation bar, "Home Tutorials Interview Prep Courses Sign in")
                        title=heading or doc.meta_title or document_title(lines, removed, first),
                        title_is_heading=bool(heading or doc.meta_title))


def _to_original_lines(records, line_numbers: list[int], line_ends: list[int] | None = None) -> None:
    """Re-express spans counted in extracted lines (HTML) as lines of the original file: a span starts
    where its first line starts and ends where its last line ends (``line_ends``; else where it starts)."""
    ends = line_ends if line_ends and len(line_ends) == len(line_numbers) else line_numbers

    def m(n: int) -> int:
        return line_numbers[n - 1] if 1 <= n <= len(line_numbers) else n

    def e(n: int) -> int:
        return ends[n - 1] if 1 <= n <= len(ends) else n

    seen: dict[str, int] = {}
    for r in records:
        r.line_start, r.line_end = m(r.line_start), max(m(r.line_start), e(r.line_end))
        last = [max(m(n), e(n)) for n in r.answer_lines]
        r.answer_lines = [m(n) for n in r.answer_lines]
        # a citation of a sentence in a joined paragraph names the paragraph's lines, not only its first (a walkthrough:
        # a correction on a wrapped paragraph's fifth line was cited as its first)
        r.answer_line_ends = last if last != r.answer_lines else []
        for b in r.blocks:
            b.line_start, b.line_end = m(b.line_start), max(m(b.line_start), e(b.line_end))
        r.id = f"{r.source}:{r.line_start}"
        # several questions on one line of the file (a minified page): "page.html:1", "page.html:1#2", ...
        seen[r.id] = seen.get(r.id, 0) + 1
        if seen[r.id] > 1:
            r.id = f"{r.id}#{seen[r.id]}"


def _numbered_or_asks(line: str) -> bool:
    q = parse_question_line(line)
    return q is not None and (q.number is not None or q.text.rstrip(")").endswith("?"))


def parse_file(path: Path, source: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
               embedder=None) -> ParsedSource:
    """Parse one file into records with topics and (within this file) groups. Raises SkippedFile."""
    parsed = parse_document(load_document(Path(path), source, max_bytes))
    group_and_tag([parsed], embedder=embedder)
    return parsed


def path_problem(p: Path) -> str | None:
    """Why a path given (or found in a folder) cannot be read at all, or None when it can be opened."""
    try:
        p.stat()
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        if p.is_symlink() and exc.errno == errno.ENOENT:
            return f"broken symlink (its target {os.path.join(p.parent, os.readlink(p))} does not exist)"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "no such file or folder"
        return f"unreadable ({exc.strerror or exc})"


def expand_paths(paths: Iterable[Path | str], skipped: list | None = None) -> list[tuple[Path, str]]:
    """(file, source name) for every file given or found in a given folder.

    A path that cannot be read (missing, symlink loop, dangling link; given or found in a folder) is
    appended to ``skipped`` as a SkippedFile; without a ``skipped`` list it raises one CoachError.
    Inside folders, hidden entries and unsupported suffixes are ignored on purpose (logged at info)."""

    def bad(path: Path, reason: str) -> None:
        if skipped is None:
            raise CoachError(f"{reason}: {path}")
        skipped.append(SkippedFile(path, reason))

    found: list[tuple[Path, str]] = []
    for p in map(Path, paths):
        problem = path_problem(p)
        if problem:
            bad(p, problem)
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if any(part.startswith(".") for part in rel.parts) or f.is_dir():
                    continue  # sub-folders are walked by rglob (symlinked ones are not followed)
                problem = path_problem(f) or (None if f.is_file() else "not a regular file")
                if problem:
                    bad(f, problem)
                elif f.suffix.lower() in SUPPORTED:
                    found.append((f, rel.as_posix()))
                else:
                    log.info("ignored %s (unsupported file type)", f)
        else:
            found.append((p, p.name))
    return found


def parse_batch(paths: Iterable[Path | str], *, max_bytes: int = DEFAULT_MAX_BYTES, embedder=None,
                log_skipped: bool = True, progress=None, size_hint: str = "") -> Batch:
    """Parse files and folders; bad files are collected in ``Batch.skipped`` and the rest goes on.

    ``progress(done, total, stage)``: stage "parse" once per file (``total`` files), then "group" as
    questions are embedded (with an ``embedder``). ``size_hint`` is added to the reason a file over
    ``max_bytes`` is skipped (say which setting raises the limit)."""
    batch = Batch()
    seen_paths: set[Path] = set()
    seen_names: dict[str, Path] = {}
    files = expand_paths(paths, batch.skipped)
    if progress:
        progress(0, len(files), "parse")
    for done, (path, name) in enumerate(files, 1):
        real = path.resolve()
        if real in seen_paths:
            continue
        seen_paths.add(real)
        try:
            if name in seen_names:
                raise SkippedFile(path, f"another file is already named {name!r} ({seen_names[name]})")
            seen_names[name] = path
            doc = load_document(path, name, max_bytes, size_hint=size_hint)
            try:
                batch.sources.append(parse_document(doc))
            except Exception as exc:  # a bug on hostile input must not stop the batch (tests assert it never happens)
                log.debug("parser error on %s", path, exc_info=True)
                raise SkippedFile(path, f"parser error ({type(exc).__name__}: {str(exc)[:100]}); please report it") from None
        except SkippedFile as exc:
            batch.skipped.append(exc)
        if progress:
            progress(done, len(files), "parse")
    if log_skipped:
        for exc in batch.skipped:
            log.warning("%s", exc)
    batch.sources.sort(key=lambda ps: ps.source)
    group_and_tag(batch.sources, embedder=embedder, progress=progress)
    return batch


def parse_paths(paths: Iterable[Path | str], *, max_bytes: int = DEFAULT_MAX_BYTES, embedder=None) -> list[ParsedSource]:
    """Parsed sources (sorted by name) of the given files and folders; skipped files are logged.
    A given path that cannot be read at all (missing, symlink loop) is a CoachError."""
    paths = list(paths)
    for p in paths:
        problem = path_problem(Path(p))
        if problem:
            raise CoachError(f"{problem}: {p}")
    return parse_batch(paths, max_bytes=max_bytes, embedder=embedder).sources
