"""Line shapes inside answers: code, list items, table rows, and the ``Block``s built from them.

Scraped articles often lose their code fences and even lines of code (closing ``])`` gone), so code is
recognised line by line from its shape (imports, assignments with code-like right-hand sides, calls,
keywords followed by ``:``, lines ending with an opening bracket). Comments and short ``Label:`` lines
count as code only next to real code lines.

Simplified on purpose: the heuristics know Python-like syntax best; a table is only recognised when it
keeps a delimiter (``|`` or ``¦``), or, delimiters lost, as 3+ short unpunctuated lines right after a
``...:`` lead-in (``mark_bare_tables``).
"""

from __future__ import annotations

import re
import textwrap

from corpus.records import Block

_MAX = 2000  # classify on the first characters only: keeps the regexes linear on huge lines

FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_IMPORT = re.compile(r"^(import\s+[\w.]+(\s+as\s+\w+)?(\s*,\s*[\w.]+)*|from\s+[\w.]+\s+import\s+\S.*)$")
_ASSIGN = re.compile(r"^[A-Za-z_][\w.]*(\[[^\]]*\])?(\s*,\s*[A-Za-z_]\w*)*\s*([+\-*/%@]|//|\*\*)?=(?!=)\s*(?P<rhs>\S.*)$")
_CALL = re.compile(r"^[A-Za-z_][\w.]*\(.*\)[;:,]?$")
_CHAIN = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+\(")
_KEYWORD = re.compile(r"^(def|class)\s+\w+.*:$|^(for|while|if|elif|else|with|try|except|finally)\b.*:$")
_STATEMENT = re.compile(r"^(return|print|raise|yield|assert|pass|break|continue)\b(?!\s+(the|a|an|is|of)\b)")
_OPENER = re.compile(r"[(\[{]$")
_CLOSER = re.compile(r"^[\])}]+[,;)\]}]*$")
_PROSE_WORDS = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}")
_COMMENT = re.compile(r"^(#(?!#)|//)\s*\S")  # "## x" is a markdown heading
_LABEL = re.compile(r"^[A-Z][\w ]{0,30}:$")

BULLET = re.compile(r"^(?P<marker>[-*+]\s+|[•·▪◦‣●○■□➢➤►]\s*|\d{1,2}[.)](?!\d)\s*|[a-z][.)]\s+)(?=\S)")
_GLYPH = re.compile(r"^[•·▪◦‣●○■□➢➤►]\s*")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def is_code(line: str) -> bool:
    """A line that is code by its own shape (no context needed)."""
    s = line.strip()[:_MAX]
    if not s or len(s) > 400:
        return False
    if _IMPORT.match(s) or _KEYWORD.match(s) or _CLOSER.match(s):
        return True
    if _CHAIN.match(s):
        # "time.sleep() blocks the whole thread, so ..." is a sentence about a call (a walkthrough's plain-text answer
        # was shown as a code block and failed the audit's syntax check): the words after the call read as prose
        return not _prose_after_call(s)
    m = _ASSIGN.match(s)
    if m:
        rhs = m.group("rhs")
        # "x = tf.constant(2.0)" is code; "Epoch = Number of iterations * Batch Size" is a formula in prose.
        return bool(re.search(r"[(\[{'\"]", rhs)) or not re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}", rhs)
    if _CALL.match(s) and not _PROSE_WORDS.search(s.split("(", 1)[0]):
        return True
    if _OPENER.search(s) and not s.endswith(" (") and ("=" in s or "(" in s[:-1] or len(s.split()) <= 3):
        return True
    return bool(_STATEMENT.match(s)) and len(s.split()) <= 6 and not s.endswith(".")


_STRING_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")


def _prose_after_call(s: str) -> bool:
    """Whether what follows the first call of ``s`` (its strings and a trailing comment left out) reads as prose:
    three words in a row."""
    depth, start = 0, s.find("(")
    for i in range(start, len(s)):
        depth += {"(": 1, ")": -1}.get(s[i], 0)
        if depth == 0:
            rest = re.split(r"\s#|//", _STRING_LITERAL.sub("", s[i + 1:]), maxsplit=1)[0]
            return bool(_PROSE_WORDS.search(rest))
    return False


def is_code_companion(line: str) -> bool:
    """Comments and ``Label:`` lines: code only when real code is next to them."""
    s = line.strip()
    return bool(_COMMENT.match(s) or (_LABEL.match(s) and len(s.split()) <= 4))


_PARENS = re.compile(r"\([^()]*\)")


def is_table_row(line: str) -> bool:
    """Two or more cell separators, or a separator row. Bars inside parentheses are notation, not cells: "P(A|B) =
    P(B|A) P(A) / P(B)" is a sentence (a user walkthrough saw it cut at its first bar as table cells)."""
    s = line.strip()[:_MAX]
    return _PARENS.sub("", s).count("|") >= 2 or "¦" in s or bool(_TABLE_SEP.match(s))


_DELIMITER_CELL = re.compile(r"\s*:?-+:?\s*")


def is_delimiter_row(line: str) -> bool:
    """A Markdown table's delimiter row ("|---|---|", "--- | ---")."""
    return _TABLE_SEP.match(line.strip()[:_MAX]) is not None


def table_cells(line: str) -> list[str]:
    """A table row's cells, stripped, by position: an empty cell stays "" (a blank corner cell shifted every label after
    it), only the empty ends a leading or trailing bar makes are dropped; [] for a delimiter row ("|---|", "| :-: | -: |").
    A bar inside parentheses stays in its cell, as ``is_table_row`` reads it ("| Bayes | P(A|B) = P(B|A) P(A) / P(B) |"
    has two cells), and so does an escaped one ("a \\| b" reads "a | b")."""
    s = line.strip()[:_MAX]
    sep = "|" if "|" in _PARENS.sub("", s) or _TABLE_SEP.match(s) else "¦"
    cells, cell, depth, prev = [], [], 0, ""
    for ch in s:
        depth += (ch == "(") - (ch == ")" and depth > 0)
        if ch == sep and depth == 0 and prev != "\\":
            cells.append("".join(cell))
            cell = []
        elif ch == sep and prev == "\\":
            cell[-1] = sep  # "\\|": a bar in the cell's text
        else:
            cell.append(ch)
        prev = ch
    cells.append("".join(cell))
    if s.startswith(sep):
        cells = cells[1:]
    if s.endswith(sep) and cells:
        cells = cells[:-1]
    cells = [c.strip() for c in cells]
    if not any(cells) or all(_DELIMITER_CELL.fullmatch(c) for c in cells):
        return []
    return cells


def is_list_item(line: str) -> bool:
    return bool(BULLET.match(line.strip()[:_MAX]))


def normalise_bullet(text: str) -> str:
    """``• item`` -> ``- item`` (numbered items keep their numbers)."""
    return _GLYPH.sub("- ", text)


def fenced_lines(lines: list[str]) -> set[int]:
    """0-based indices of lines inside (and including) fenced code blocks."""
    inside, out, marker = False, set(), ""
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if m and (not inside or m.group(1) == marker):
            out.add(i)
            inside, marker = not inside, m.group(1)
        elif inside:
            out.add(i)
    return out


def code_lines(lines: list[str], fenced: set[int] | None = None) -> set[int]:
    """Indices of code lines: fenced, code-shaped, or companions (comments, labels) next to code.

    Two sweeps (forward, then backward) spread code status through runs of companions in linear time.
    """
    fenced = fenced or set()
    code = {i for i, ln in enumerate(lines) if i in fenced or is_code(ln)}
    companion = [i not in code and is_code_companion(ln) for i, ln in enumerate(lines)]
    # a fence is the code's own boundary: a "Look at it:" lead-in just outside it is prose, so a fence line
    # does not make its companion neighbours code (inside the fence everything is code already)
    fences = {i for i in fenced if FENCE.match(lines[i])}
    for order in (range(len(lines)), range(len(lines) - 1, -1, -1)):
        neighbour_is_code = False  # the nearest non-blank line already seen in this sweep is code
        for i in order:
            if not lines[i].strip():
                continue
            if companion[i] and neighbour_is_code:
                code.add(i)
            neighbour_is_code = i in code and i not in fences
    return code


def kind_of(line: str, is_code_line: bool) -> str:
    if is_code_line:
        return "code"
    if is_table_row(line):
        return "table"
    if is_list_item(line):
        return "list"
    return "prose"


def mark_bare_tables(items: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """A table that lost its delimiters: after a line ending with ':', a run of 3+ short prose lines (<= 14
    words each) with no sentence punctuation ("Single-layer Perceptron Multi-layer Perceptron")."""
    out = list(items)
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and out[j][2] == "prose" and len(out[j][1].split()) <= 14 \
                and not out[j][1].rstrip().endswith((".", ":", "!", "?", ";")):
            j += 1
        if j - i >= 3:
            prev = next((k for k in range(i - 1, -1, -1) if out[k][2] != "blank"), None)
            if prev is not None and out[prev][1].rstrip().endswith(":"):
                for k in range(i, j):
                    out[k] = (out[k][0], out[k][1], "table")
        i = max(j, i + 1)
    return out


def build_blocks(items: list[tuple[int, str, str]]) -> list[Block]:
    """Group consecutive answer lines of one kind into Blocks.

    ``items`` are (original line number, text, kind) for each answer line in order, blank lines
    included with kind "blank" (a block continues over blank lines when the same kind resumes).
    """
    blocks: list[Block] = []
    current: list[tuple[int, str]] = []
    kind = ""

    def flush():
        if current and kind in ("code", "list", "table"):
            texts = [t for _, t in current]
            while texts and not texts[-1].strip():
                texts.pop()
            body = textwrap.dedent("\n".join(texts)) if kind == "code" else "\n".join(t.strip() for t in texts)
            last = max(n for n, t in current if t.strip())
            blocks.append(Block(type=kind, text=body, line_start=current[0][0], line_end=last))

    for number, text, k in items:
        if k == "blank":
            if current:
                current.append((number, ""))
            continue
        if k != kind:
            flush()
            current, kind = [], k
        current.append((number, text))
    flush()
    # drop blank lines kept inside list/table bodies
    for b in blocks:
        if b.type != "code":
            b.text = "\n".join(t for t in b.text.splitlines() if t.strip())
    return blocks
