"""Text extracted from a PDF, made to read like the page: running headers and footers removed, lines that the page
wrapped joined back into sentences.

A PDF's text comes page by page with the page's own line breaks. A user walkthrough printed a web article to PDF in
a browser and found: the print footer ("file:///home/me/page.html 1/4") inside four answers, once in the middle of a
sentence that went on over the page; 5 of 17 questions cut where the line wrapped ("... how does Kafka achieve" /
"it?"), their tails starting the answers; key points, model answers and Ask quotes cut mid-sentence ("... such as
the" / "MySQL binlog ..."). So:

- **running headers and footers**: among the first and last ``EDGE_LINES`` lines of each page, a line that comes
  back on at least half of the pages (two at least), read with a page count or a page number at its ends as one
  ("Page 3 of 9", "1/4"), is page furniture, and so is a line that is only a page number or a printed address with a
  page count; a question-shaped line ("What is the output of this code?" atop every page of a quiz, "Question 2") is
  never furniture. They are counted (``page_furniture``);
- **pages**: a page whose text stops mid-sentence goes on in the next page's first line (code never);
- **wrapped lines** are joined when the first does not end a sentence and is not a table row (cells apart by runs
  of spaces), the second does not start a list item, a numbered line, a question ("Q:", "Question 4:", a capitalised
  question word, a "?" at its end) or a table row, neither is code, and: the first ends with a word no sentence ends
  with ("the", "and", "of"), or fills the page's width (``FULL_WIDTH`` of the page's long lines), or most of it
  (``LOWER_WIDTH``) with the second starting in lowercase, or ends a word with a hyphen that the second goes on in
  lowercase ("non-" / "blocking", joined without a space); or the first opens a question whose short remainder ends
  with "?" ("... Apache" / "Spark?"). A short line followed by a lowercase one is a heading or a paragraph's end
  ("Git Basics" / "git init creates ..."). A page of a few lines is measured by the document's width.

Not done: two columns, footnotes, and tables whose cells are apart by single spaces (a row that fills the width
can be joined with the next). A citation names lines of the PDF's text (its extracted lines counted across pages), a
joined line by its first and last (``pdf_lines``).
"""

from __future__ import annotations

import re
import unicodedata

from corpus.blocks import code_lines, fenced_lines

EDGE_LINES = 3  # a page's first and last lines, where running headers and footers are
FULL_WIDTH = 0.8  # a line this long (of the page's long lines' length) filled the page's width: it wrapped
LOWER_WIDTH = 0.6  # ...and one this long wrapped when the next line starts in lowercase
_TERMINAL = tuple(".!?:;")
_CLOSERS = "\"')]}\u201d\u2019*_"
_LIST = re.compile(r"^\s*(?:[-*+\u2022\u2023\u25e6\u25aa\u25cf\u2013\u2014]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)]|Q\d{1,3}[.:)]?)\s")
# "(A) and ...": the initial of the capitalised word before it ("Availability"), going on in lower case; "(a) TCP" and
# "(A) The client ..." are lettered items
_GLOSS = re.compile(r"^\s*\(([A-Z])\)\s*(?:[a-z]|[,;:])")
_OPENS_QUESTION = re.compile(r"^\s*(?:(?:Q\s?)?\d{1,3}[.):]\s*)?(?:what|why|how|when|which|who|where|explain|describe|"
                             r"can|could|should|would|is|are|do|does|did|define|compare|name|list|give)\b", re.I)
_NO_SENTENCE_ENDS = frozenset(
    "a an the and or nor but of to for in on at by from with into onto via as than that which whose whether if when "
    "while such is are was were be been its their his her our your this these those between vs versus so".split())
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)
_PRINTED_ADDRESS = re.compile(r"^(?:file|https?)://\S+\s+\d{1,4}\s*/\s*\d{1,4}$", re.I)


def _key(line: str) -> str:
    """A line as a running header or footer is compared: compatibility forms folded ("\ufb01le" -> "file"), case and
    spacing ignored, a page count or a page number at either end read as one ("1/4", "Page 3 of 9", "... 12"); other
    numbers stay ("1. What is ...?" and "2. What is ...?" are two lines)."""
    s = " ".join(unicodedata.normalize("NFKC", line).strip().lower().split())
    s = _PAGE_COUNT.sub("#/#", s)
    return _END_NUMBER.sub("#", s)


_PAGE_COUNT = re.compile(r"\b(?:page\s+)?\d{1,4}\s*(?:/|of)\s*\d{1,4}\b|\bpage\s+\d{1,4}\b")
_END_NUMBER = re.compile(r"^\d{1,4}(?=\s)|(?<=\s)\d{1,4}$")
_QUESTION_SHAPED = re.compile(r"\?\s*$|^\s*(?:q(?:uestion)?\s*\d+\b|q(?:uestion)?\s*[.:)]|\d{1,3}[.)]\s)", re.I)


def _edges(lines: list[str]) -> list[int]:
    """Indexes of the first and last ``EDGE_LINES`` non-blank lines of a page."""
    filled = [i for i, ln in enumerate(lines) if ln.strip()]
    return sorted(set(filled[:EDGE_LINES] + filled[-EDGE_LINES:]))


def drop_page_furniture(pages: list[list[tuple[str, int]]]) -> tuple[list[list[tuple[str, int]]], int]:
    """Pages (lines with their numbers) without their running headers and footers (module docstring), and how many
    lines were dropped."""
    seen: dict[str, int] = {}
    for lines in pages:
        for k in {_key(lines[i][0]) for i in _edges([ln for ln, _ in lines])}:
            seen[k] = seen.get(k, 0) + 1
    need = max(2, (len(pages) + 1) // 2)
    out, dropped = [], 0
    for lines in pages:
        edges = set(_edges([ln for ln, _ in lines]))
        kept = []
        for i, (ln, n) in enumerate(lines):
            if i in edges:  # only a page's edges hold furniture: the other lines are not read
                raw = " ".join(unicodedata.normalize("NFKC", ln).split())
                # a question heading repeated on every page (a quiz) is content
                if not _QUESTION_SHAPED.search(raw) and (seen.get(_key(ln), 0) >= need and len(pages) >= 2
                                                          or _PAGE_NUMBER.match(raw) or _PRINTED_ADDRESS.match(raw)):
                    dropped += 1
                    continue
            kept.append((ln, n))
        out.append(kept)
    return out, dropped


def _ends_sentence(line: str) -> bool:
    return line.rstrip().rstrip(_CLOSERS).endswith(_TERMINAL)


def _width(lines: list[str]) -> int:
    """The length of a page's long lines (its 90th percentile), or 0 when the page has too few lines to tell."""
    lengths = sorted(len(ln.strip()) for ln in lines if ln.strip())
    return lengths[int(0.9 * (len(lengths) - 1))] if len(lengths) >= 5 else 0


# a line that starts a question of its own: numbered, "Q:" / "Question 4:", a capitalised question word, or a "?" at
# its end (a continuation in lowercase, "is used to ...", is none)
_NEXT_QUESTION = re.compile(r"^(?:Q(?:uestion)?\s*\d*\s*[.:)]|\d{1,3}[.)]\s|(?:What|Why|How|When|Which|Who|Where|Explain|"
                            r"Describe|Define|Compare|Name|List|Give)\b)|\?\s*$")


def _table_row(line: str) -> bool:
    """A row of a table as a PDF's text may have it, its cells apart by runs of spaces or tabs (a row whose cells are
    apart by single spaces cannot be told from prose, and is not read as one)."""
    return len(re.findall(r"\S(?: {2,}|\t)\S", line)) >= 2


def _hyphen_break(prev: str, nxt: str) -> bool:
    """A word broken with a hyphen at the line's end, going on in lowercase on the next line."""
    head = prev.rstrip()
    return head.endswith("-") and len(head) > 1 and head[-2].isalpha() and nxt.strip()[:1].islower()


def _join(prev: str, nxt: str) -> str:
    """Two lines as one: a hyphenated word's halves without a space ("non-blocking"), else one space."""
    return prev.rstrip() + ("" if _hyphen_break(prev, nxt) else " ") + nxt.strip()


def _wrapped(prev: str, nxt: str, width: int) -> bool:
    """Whether ``nxt`` goes on the sentence that ``prev`` (a line the page wrapped) left open. Never when ``prev`` ends
    a sentence or is a table row, nor when ``nxt`` starts a list item, a numbered line, a question ("Q:", "Question 4:",
    one ending in "?") or a table row."""
    p, n = prev.strip(), nxt.strip()
    if not p or not n or _ends_sentence(p) or len(p.split()) < 2 or _table_row(prev) or _table_row(nxt):
        return False
    if p.endswith("|"):  # a table row written without its leading bar ("a | b |"): the next line is the next row
        return False
    if _OPENS_QUESTION.match(p) and "?" not in p and n.endswith("?") and len(n.split()) <= 6 and not _LIST.match(n):
        return True  # "1. What is the difference between a star and a snowflake" / "schema?"
    gloss = _GLOSS.match(n)
    if gloss and p.split()[-1].lstrip("(\"'").startswith(gloss.group(1)):
        return True  # "choose between Availability" / "(A) and Consistency (C)": the word's initial, not a list item
    if _LIST.match(n) or _NEXT_QUESTION.search(n):
        return False
    if _hyphen_break(p, n):  # "non-" / "blocking I/O ..."
        return True
    if p.split()[-1].lower().strip(",") in _NO_SENTENCE_ENDS:
        return True
    if width and len(p) >= FULL_WIDTH * width and not p.endswith(","):
        return True
    # a short line closed its paragraph or is a heading ("Git Basics" / "git init creates ..."): only a line of
    # most of the page's width goes on in a lowercase line
    return n[0].islower() and bool(width) and len(p) >= LOWER_WIDTH * width


# "[Accept]" standing alone, not an index glued to a name ("map[string]int", "arr[i]": a walkthrough's wrapped Go sentence
# was not joined)
_BUTTON = re.compile(r"(?<![\w`\]])\[[^\]]{1,20}\](?![\w\[])")


def _prose_line(line: str) -> bool:
    """Whether a plain-text line may be a wrapped sentence's part: no bar-separated cells or menu ("Home | Blog"), no
    bracketed buttons ("[Accept]"), and it ends in a word, a digit, a comma, a closing bracket or an inline code span's
    closing backtick (a walkthrough's Markdown "... with the `@>`, `?`" / "and `@@` operators ..." was cut in two)."""
    s = line.strip()
    return bool(s) and " | " not in s and not _BUTTON.search(s) and (s[-1].isalnum() or s[-1] in ",)`")


_MARKDOWN_BLOCK = re.compile(r"^\s*(?:#|>|\||<|```|~~~|={3,}\s*$|-{3,}\s*$|\*{3,}\s*$|!\[)")


def _markdown_joinable(prev: str, nxt: str) -> bool:
    """Whether two Markdown lines may be one paragraph's: neither a heading, quote, table row, HTML, fence, rule,
    setext underline or image, and no hard line break (two trailing spaces or a backslash) ending the first."""
    return not (_MARKDOWN_BLOCK.match(prev) or _MARKDOWN_BLOCK.match(nxt) or prev.endswith(("  ", "\\")))


def unwrap(lines: list[tuple[str, int]], width: int = 0, plain: bool = False,
           markdown: bool = False) -> list[tuple[str, int, int]]:
    """A page's lines (text, number) with the wrapped ones joined (module docstring), each as (text, its first line's
    number, its last line's number); code lines are never joined. ``plain``: a plain-text file's lines, read before
    its page chrome is taken out, so only lines of prose are joined (``_prose_line``: a menu and a cookie banner were
    joined into one line, and the chrome was no longer found). ``markdown``: a Markdown file's, whose fenced code and
    block syntax are never joined (``_markdown_joinable``)."""
    texts = [ln for ln, _ in lines]
    code = code_lines(texts, fenced_lines(texts) if markdown else None)
    width = _width([ln for ln, _ in lines]) or width  # a page of a few lines: the document's width
    out: list[tuple[str, int, int]] = []
    last_code = True  # nothing to join to yet
    for i, (ln, n) in enumerate(lines):
        is_code = i in code
        if (out and not is_code and not last_code and _wrapped(out[-1][0], ln, width)
                and (not plain or (_prose_line(out[-1][0]) and " | " not in ln))
                and (not markdown or _markdown_joinable(out[-1][0], ln))):
            out[-1] = (_join(out[-1][0], ln), out[-1][1], n)
        else:
            out.append((ln, n, n))
        last_code = is_code or not ln.strip()
    return out


def pdf_lines(pages: list[str]) -> tuple[list[str], list[int], list[int], int]:
    """A PDF's pages as one document's lines (module docstring), with the line each starts and ends on in the PDF's
    text (its lines counted across pages, as a PDF reader's text has them), and the number of furniture lines
    dropped."""
    from corpus.text import split_lines

    numbered, n = [], 0
    for page in pages:
        lines = split_lines(page)
        numbered.append([(ln, n + i + 1) for i, ln in enumerate(lines)])
        n += len(lines)
    kept, dropped = drop_page_furniture(numbered)
    whole = _width([ln for lines in kept for ln, _ in lines])
    out: list[tuple[str, int, int]] = []
    width = 0  # the previous page's
    for lines in kept:
        if not any(ln.strip() for ln, _ in lines):
            continue
        page = unwrap(lines, whole)
        first = next(i for i, (ln, _, _) in enumerate(page) if ln.strip())
        head = page[first][0]
        if (out and out[-1][0].strip() and _wrapped(out[-1][0], head, width) and not code_lines([out[-1][0], head])):
            text, start, _ = out[-1]
            out[-1] = (_join(text, head), start, page[first][2])  # the sentence goes on over the page
            page = page[first + 1:]
        elif out:
            out.append(("", out[-1][2], out[-1][2]))  # pages in order, one empty line between them
        out.extend(page)
        width = _width([ln for ln, _ in lines]) or whole
    return [t for t, _, _ in out], [a for _, a, _ in out], [b for _, _, b in out], dropped
