"""Loaders: one file -> a ``Document`` (its repaired text lines), or ``SkippedFile`` with one clear reason.

Formats: ``.txt``/``.text``/unknown (plain text), ``.md``/``.markdown``, ``.html``/``.htm``/``.xhtml``
(main content only, see ``corpus.html``), ``.pdf`` (pypdf text extraction).

Line numbers: for text and markdown, ``lines[i]`` is line ``i + 1`` of the ORIGINAL file exactly. For HTML
and PDF, they are lines of the extracted text (PDF: pages in order, one empty line between pages), the
only stable numbering those formats have.

Skipped, with one warning each: missing, empty, oversized (``max_bytes``, default 20 MB), binary,
undecodable, unreadable or encrypted files, and files whose extraction yields no text.

Simplified on purpose: PDF text is whatever pypdf extracts (no OCR, no layout analysis); HTML encoding
comes from the bytes (BOM, UTF-8, then charset-normalizer), not from ``<meta charset>``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from coach.errors import CoachError
from corpus.pdf import pdf_lines, unwrap
from corpus.text import DecodeError, clean_lines, decode

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
TEXT_SUFFIXES = {".txt", ".text"}
SUPPORTED = HTML_SUFFIXES | MARKDOWN_SUFFIXES | TEXT_SUFFIXES | {".pdf"}


class SkippedFile(CoachError):
    """A file that cannot be parsed. ``str(exc)`` is one line naming the file and the reason."""

    def __init__(self, path: Path | str, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"skipped {path}: {reason}")


@dataclass
class Document:
    source: str
    path: Path
    sha256: str
    fmt: str  # "text" | "markdown" | "html" | "pdf"
    lines: list[str]  # repaired; lines[i] is line i + 1
    warnings: list[str] = field(default_factory=list)
    # for extracted formats (HTML; PDF: lines of its text across pages): line_numbers[i] is the ORIGINAL line of lines[i]
    line_numbers: list[int] | None = None
    line_ends: list[int] | None = None  # line_ends[i]: the original file line where lines[i] ends
    chrome_removed: dict[str, int] = field(default_factory=dict)  # HTML page chrome dropped, by kind
    meta_title: str = ""  # the title a PDF's metadata gives, repaired ("" when none, or a file name)


def fmt_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix == ".pdf":
        return "pdf"
    return "text"


def load_document(path: Path, source: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                  size_hint: str = "") -> Document:
    """Read and repair one file. Raises SkippedFile (never anything else for a bad file).
    ``size_hint`` is appended to the reason a file over ``max_bytes`` is skipped (how to raise the limit)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise SkippedFile(path, "not a regular file")
        if size == 0:
            raise SkippedFile(path, "empty file")
        if size > max_bytes:
            hint = f"; {size_hint}" if size_hint else ""
            shown, limit = _human(size), _human(max_bytes)
            if shown == limit:  # "5.0 MB > 5.0 MB limit" said nothing: the bytes then
                shown, limit = f"{size:,} bytes", f"{max_bytes:,} bytes"
            raise SkippedFile(path, f"too large ({shown} > {limit} limit{hint})")
        raw = path.read_bytes()
    except OSError as exc:
        raise SkippedFile(path, f"unreadable ({exc.strerror or exc})") from None
    fmt = fmt_of(path)
    sha = hashlib.sha256(raw).hexdigest()
    line_numbers: list[int] = []
    line_ends: list[int] = []
    chrome: dict[str, int] = {}
    meta_title = ""
    try:
        if fmt == "pdf":
            (pdf, line_numbers, line_ends, furniture), meta_title = _pdf_text(path, raw)
            lines = clean_lines("\n".join(pdf))
            if furniture:
                chrome["page_furniture"] = furniture
        else:
            text = decode(raw)
            if fmt == "html":
                from corpus.html import html_to_lines_with_spans

                extracted, line_numbers, line_ends, chrome = html_to_lines_with_spans(text)
                lines = clean_lines("\n".join(extracted))
            else:
                lines = clean_lines(text)
                if fmt in ("text", "markdown"):  # lines the file wrapped are joined back, as a PDF's (corpus.pdf.unwrap)
                    joined = unwrap([(ln, i + 1) for i, ln in enumerate(lines)], plain=True, markdown=fmt == "markdown")
                    if len(joined) < len(lines):
                        lines = [t for t, _, _ in joined]
                        line_numbers, line_ends = [a for _, a, _ in joined], [b for _, _, b in joined]
    except SkippedFile:
        raise
    except DecodeError as exc:
        raise SkippedFile(path, str(exc)) from None
    except (RecursionError, MemoryError, ValueError, TypeError, OSError) as exc:
        raise SkippedFile(path, f"unreadable {fmt} ({type(exc).__name__}: {str(exc)[:120]})") from None
    except Exception as exc:  # a third-party parser failing on hostile input must not stop the batch
        log.debug("loader failure", exc_info=True)
        raise SkippedFile(path, f"unreadable {fmt} ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not any(ln.strip() for ln in lines):
        reason = {"pdf": "no extractable text (scanned PDF?)",
                  "html": "no main-content text (empty page, or nested deeper than 2048 levels)"}
        raise SkippedFile(path, reason.get(fmt, "empty file (whitespace only)"))
    doc = Document(source=source or path.name, path=path.resolve(), sha256=sha, fmt=fmt, lines=lines,
                   chrome_removed=chrome, meta_title=_meta_title(meta_title))
    if line_numbers and len(line_numbers) == len(lines):  # a citation names the lines of the file's text
        doc.line_numbers = line_numbers
        doc.line_ends = line_ends
    return doc


def _human(n: int) -> str:
    for unit, size in (("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


# a PDF's metadata title that names a file or nothing: "Microsoft Word - notes.docx", "untitled", "slides.pdf"
_NOT_A_TITLE = re.compile(
    r"^(?:untitled\b|microsoft \w+ - |(?:document|presentation|book|slide|page|title|notes?|draft)\s*\d*$"
    r"|powerpoint presentation$|[a-z]:\\|/|~/)"
    r"|\.(?:docx?|pdf|tex|odt|odp|pptx?|xlsx?|key|pages|rtf|html?|md|txt)$", re.I)


def _meta_title(raw: str) -> str:
    """A PDF metadata title as a source's title: repaired like the text, one line, 3-120 characters, not a file name."""
    title = " ".join(" ".join(clean_lines(raw)).split()) if raw else ""
    # two words at least: a one-word metadata title is a file's or an app's ("Book1", "Title"), rarely the page's
    return title if 3 <= len(title) <= 120 and len(title.split()) >= 2 and not _NOT_A_TITLE.search(title) else ""


def _pdf_text(path: Path, raw: bytes) -> tuple[tuple[list[str], list[int], list[int], int], str]:
    """A PDF's lines with their line spans in its text and the number of page-furniture lines dropped
    (``corpus.pdf.pdf_lines``), and the title its metadata gives ("" when none)."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if not raw.lstrip()[:5].startswith(b"%PDF"):
        raise SkippedFile(path, "not a PDF file")
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SkippedFile(path, "encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except PdfReadError as exc:
        raise SkippedFile(path, f"unreadable PDF ({str(exc)[:120]})") from None
    return pdf_lines(pages), title  # running headers and footers out, wrapped lines joined (corpus.pdf)
