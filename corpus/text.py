"""Bytes to clean lines: decode, repair mojibake, drop control characters, keep line numbers.

Lines are split on ``\\n``, ``\\r\\n`` and ``\\r`` only (what editors and ``coach/audit`` count), so
``lines[i]`` is line ``i + 1`` of the original file. Repairs never add or remove a line.

Simplified on purpose:
- encoding: BOMs first, then UTF-16 without a BOM (recognised by its NUL bytes all on odd or all on even
  positions, which only works for mostly-Latin text: that is also the case where the NULs would otherwise
  read as "binary"), then strict UTF-8 (most files), then charset-normalizer's best guess (cp1252
  preferred among single-byte code pages when it decodes cleanly);
- mojibake: ftfy on the whole text (curly quotes are kept: the text should read like the source),
  then a Mac Roman round trip on runs ftfy leaves behind (``‚ú®`` -> ``✨``). The Mac Roman repair only
  applies when the run re-decodes as strict UTF-8, so correct accented text is never touched;
- characters that Python's ``str.splitlines`` treats as line breaks (form feed, U+2028, ...) and other
  control characters become spaces, so ``answer.splitlines()`` lines up with ``answer_lines``.
"""

from __future__ import annotations

import codecs
import logging
import re

import ftfy
import ftfy.badness

log = logging.getLogger(__name__)

LINE_SPLIT = re.compile(r"\r\n|\n|\r")
# C0/C1 controls except tab, plus the Unicode line/paragraph separators str.splitlines() breaks on.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
# Runs of characters that Mac Roman maps to bytes >= 0x80 (candidates for a UTF-8 round trip).
_MAC_CHARS = "".join(bytes([b]).decode("mac_roman") for b in range(0x80, 0x100))
_MAC_RUN = re.compile("[" + re.escape(_MAC_CHARS) + "]{2,}")
# Telltale mojibake pairs left when UTF-8 is read as cp1252/latin-1 (Ã©, â€) or Mac Roman (‚Ä, ‚Äô).
MOJIBAKE = re.compile(r"‚Ä|Ã[\u00a0-\u00bf©®]|â€|Â[\u00a0-\u00bf]|\uf8ff")


class DecodeError(ValueError):
    """The bytes are not text in any encoding we can recognise."""


def decode(raw: bytes) -> str:
    """Decode file bytes to str. Raises DecodeError for bytes that are not text."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(enc)
            except UnicodeDecodeError as exc:
                raise DecodeError(f"invalid {enc} text ({exc.reason})") from None
    utf16 = bomless_utf16(raw)
    if utf16 is not None:
        return utf16
    if looks_binary(raw):
        raise DecodeError("binary file (not text)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:1_000_000]).best()
    if best is None or best.encoding is None:
        raise DecodeError("unrecognised text encoding")
    encoding = best.encoding
    # Short texts make single-byte code pages ambiguous (cp1250 vs cp1252); scraped English articles are
    # far more often Western European, so cp1252 wins whenever it decodes the bytes cleanly.
    # (DOS code pages too: a short cp1252 file was read as cp775, "café" as "cafķ")
    if encoding.startswith(("cp125", "windows-125", "iso8859", "latin", "mac_", "cp4", "cp7", "cp8")) and _decodes(raw, "cp1252"):
        encoding = "cp1252"
    log.debug("decoded as %s", encoding)
    return raw.decode(encoding, errors="replace")


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def bomless_utf16(raw: bytes) -> str | None:
    """The text of UTF-16 LE/BE bytes without a BOM, or None. Latin-script UTF-16 has a NUL as the high
    byte of almost every character: NULs on (nearly) all odd positions is LE, on all even ones BE."""
    head = raw[:8192]
    if len(head) < 4:
        return None
    half = len(head) // 2
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd >= 0.6 * half and even <= 0.02 * half:
        encoding = "utf-16-le"
    elif even >= 0.6 * half and odd <= 0.02 * half:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = raw[: len(raw) - len(raw) % 2].decode(encoding)
    except UnicodeDecodeError:
        return None
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\n\r")
    return text if controls <= len(text[:4096]) // 100 else None


def looks_binary(raw: bytes) -> bool:
    """NUL bytes or many C0 control bytes in the first 8 KB: a binary file, not text."""
    head = raw[:8192]
    if not head:
        return False
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return head.count(0) > len(head) // 100 or controls > len(head) // 10


def _mac_roman_fix(match: re.Match) -> str:
    run = match.group(0)
    # only a run ftfy finds suspicious ("√©", "‚Äô"): correct text such as "“Über”", "«École»" or "1/√π"
    # also round-trips through Mac Roman to valid UTF-8 ("҆ber", "ǃcole", "1/ù")
    if not ftfy.badness.is_bad(run):
        return run
    try:
        fixed = run.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return run
    return fixed


def repair_line(line: str) -> str:
    """Mojibake and control-character repair of one line (never introduces a line break)."""
    line = _CONTROL.sub(" ", line)
    if line.isascii():
        return line
    line = _MAC_RUN.sub(_mac_roman_fix, line)
    return _CONTROL.sub(" ", line)


def split_lines(text: str) -> list[str]:
    """Split like an editor does; a final newline does not start an extra (empty) line."""
    lines = LINE_SPLIT.split(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


# A closing curly quote read as cp1252: UTF-8 E2 80 9D is "â€" and a byte cp1252 leaves undefined (0x9D), kept as
# "\x9d" (latin-1) or lost. With the byte turned into a space (the control repair below) or lost before a space, ftfy
# reads "â€ " as a dagger whose no-break space was lost ("“Delete account† button", a walkthrough's page); "â€" before
# a space, a punctuation mark or the end of a line is the closing quote (a no-break space, "â€\xa0", is left to ftfy).
_LOST_CLOSING_QUOTE = re.compile(r"â€(?:\x9d|(?=[ \t.,;:!?)\]]|$))")


def clean_lines(text: str) -> list[str]:
    """Repair a decoded text and return its lines, one per original line."""
    lines = [_CONTROL.sub(" ", _LOST_CLOSING_QUOTE.sub("”", ln)) for ln in split_lines(text)]  # NUL, form feed... -> space, before ftfy drops them
    # ftfy sees more context on whole texts; it must not change the line count, or we go line by line.
    fixed = ftfy.fix_text("\n".join(lines), uncurl_quotes=False, fix_line_breaks=False, normalization="NFC")
    fixed_lines = split_lines(fixed)
    if len(fixed_lines) != len(lines):
        fixed_lines = [ftfy.fix_text(ln, uncurl_quotes=False, fix_line_breaks=False) for ln in lines]
    return [repair_line(ln) for ln in fixed_lines]
