"""Cut record answers into checkable claims with exact ORIGINAL line spans and quotes.

A claim is a sentence, a list item, a table cell, a formula line or a whole code snippet. Quotes are
substrings of the original file's lines (``sourcefile.read_lines``), so a reader can find them verbatim.

Simplified on purpose:
- a sentence spans lines only in a paragraph the corpus stage joined from wrapped lines (a Markdown or text
  file's, ``sourcefile.wrapped_spans``: read whole, its quote keeping the line breaks); elsewhere each line is
  read alone (scraped articles keep one paragraph per line; a sentence broken across lines becomes two claims);
- code is recognised line by line (the corpus's code blocks plus a heuristic for code-looking lines),
  and consecutive code lines, allowing blank lines between them, form one snippet;
- when the original file cannot be read (PDF/HTML), claims are cut from the cleaned answer text with
  ``answer_lines`` for spans, and the quote is the cleaned text.
"""

from __future__ import annotations

import ast
import re

from coach.audit.sourcefile import normalize
from coach.audit.types import Claim
from corpus.blocks import FENCE
from corpus.segment import answer_label_end

_BULLET = re.compile(r"^\s*(?:[•\-\*–·▪●◦]|\d{1,2}[.)]|[a-zA-Z][.)](?=\s))\s*")
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|ie|etc|vs|Mr|Dr|Fig|approx|cf|al)\.)$", re.I)
_SENT_END = re.compile(r"[.!?]+[\"')\]]*\s+(?=[A-Z0-9\"'(“‘])")

# Code-looking lines. "strong" lines are code on their own; "weak" ones only next to strong ones.
_STRONG = [
    re.compile(r"^(?:import\s+[\w.]+|from\s+[\w.]+\s+import\b)"),
    re.compile(r"^(?:def|class)\s+\w+.*:\s*$"),
    re.compile(r"^(?:with|for|while|if|elif|else|try|except|finally)\b.*:\s*$"),
    re.compile(r"^[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*(?:,\s*[A-Za-z_]\w*\s*)*=\s*[\w.\[\](\-'\"]+\s*[(\[.]"),
    re.compile(r"^[A-Za-z_]\w*(?:\.\w+)+\(.*$"),  # method call: model.compile(...), tf.keras.layers.Dense(
    re.compile(r"^[A-Za-z_]\w*\(.*\)\s*$"),  # bare call: Print(a, b)
]
_WEAK = [
    re.compile(r"^#\s?\S"),  # comment
    re.compile(r"^[\])}]+[\]),]*\s*$"),  # closing brackets
    re.compile(r"^print\s+[\w\"'][\w.\[\]\"' ,%+()]*$"),  # Python 2 print statement
    re.compile(r"^[A-Za-z_]\w*\s*=\s*[-\w.\"'\[\]()*/+ ]+$"),  # simple assignment: c = a+b
    re.compile(r"^(?:return|raise|yield|assert|del|global|nonlocal)\b|^(?:pass|break|continue)\s*$"),
]
_PROSE_WORDS = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}")


def line_code_strength(s: str) -> int:
    """2 = certainly code, 1 = code only next to other code, 0 = prose."""
    s = s.strip()
    if not s:
        return 0
    unquoted = re.sub(r"(['\"]).*?\1", "''", s)
    if re.match(r"^(?:import\s+[\w.]+(?:\s+as\s+\w+)?\s*$|from\s+[\w.]+\s+import\s+[\w., ()*]+$)", s):
        return 2
    if any(p.search(s) for p in _STRONG) and not _PROSE_WORDS.search(unquoted):
        return 2
    if any(p.search(s) for p in _WEAK) and not _PROSE_WORDS.search(unquoted):
        return 1
    return 0


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in one line (offsets into ``text``)."""
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        end = m.end()
        if _ABBREV.search(text[start : m.start() + 1].rstrip()):
            continue
        seg = text[start:end].rstrip()
        if seg.strip():
            spans.append((start, start + len(seg)))
        start = end
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    # Trim leading blanks from each span.
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        if a < b:
            out.append((a, b))
    return out


def _answer_lines(record) -> list[int]:
    lines = set(record.answer_lines or range(record.line_start + 1, record.line_end + 1))
    for b in record.blocks:
        lines.update(range(b.line_start, b.line_end + 1))
    return sorted(ln for ln in lines if ln >= 1)


_KEYWORD_START = re.compile(r"^(?:def|class|with|for|while|if|elif|else|try|except|finally|async)\b")


def _prose_in_code_block(s: str) -> bool:
    """A caption inside a scraped code block ("Given data:", "Launch Session:") is prose, not code."""
    s = s.strip()
    if not s or line_code_strength(s) or _KEYWORD_START.match(s) or s.startswith("#"):
        return False
    if s.endswith(":") and not re.search(r"[=()\[\]{}]", s):
        return True
    unquoted = re.sub(r"(['\"]).*?\1", "''", s)
    return bool(_PROSE_WORDS.search(unquoted)) and not re.search(r"[=()\[\]{}]", unquoted)


_PYTHON_TAGS = {"", "python", "py", "python3", "pycon", "ipython"}


# A shell prompt at the head of a line ("$ git log", "user@host:~$ ls"): a line no Python program starts with.
_SHELL_PROMPT = re.compile(r"^\s*(?:[\w.-]+@[\w.-]+(?::\S*)?)?\$ \S")


# A command-line tool at the head of a line, with an argument ("git reset --soft HEAD~1", "cd ..", "find . -name x"):
# what follows is no Python operator, call, subscript or keyword ("ls = [1, 2]", "cat(x)", "ls += [4", "ls is None"
# and "cat .strip()" are Python, and their syntax errors are still read: a review)
_SHELL_COMMAND = re.compile(
    r"^\s*(git|docker|kubectl|helm|npm|npx|yarn|pip3?|python3?|pytest|conda|cd|ls|mkdir|rm|cp|mv|cat|curl|wget|sudo"
    r"|apt|apt-get|brew|make|ssh|scp|chmod|chown|export|source|echo|tar|grep|find|touch|psql|mysql|redis-cli"
    r"|systemctl|journalctl)\s+"
    r"(?![=:(\[]|\.\s*[A-Za-z_]\w*\s*\(|[-+*/%@&|^<>!]=|(?:is|in|not|and|or|if|else|for)\b|[*/%+<>,#])\S")


def _shell_session(block: list[str]) -> bool:
    """A code block that is a terminal session: a command after a shell prompt, and no Python prompt (">>>"); or
    commands alone, every line (comments aside) a command-line tool with its arguments (a walkthrough's untagged
    "git reset --soft HEAD~1" block gave three false "major" syntax errors). Not Python: the syntax check must not
    read them."""
    if any(t.lstrip().startswith(">>>") for t in block):
        return False
    if any(_SHELL_PROMPT.match(t) for t in block):
        return True
    commands = _statements(block)  # "docker run \" + "  -p 8080:80 \" + "  nginx": one command
    return bool(commands) and all(_SHELL_COMMAND.match(t) for t in commands)


# A block in a braced language (an NGINX or Apache config, JavaScript, Java, C): a line that opens a block with "{"
# after a name ("server {", "location /api/ {", "upstream backend {") or after ")" ("if (x) {"), beside a statement
# ended by ";", and no Python block header. A walkthrough's untagged NGINX config gave seven false "major" syntax
# errors. A Python dict opens after "=", "(", "[" or ":" ("d = {", "f({"), which these never match.
_BRACE_OPEN = re.compile(r"^\s*(?:[A-Za-z_][\w.-]*(?:\s+[^=:(){}\[\]#'\"]*)?|.*\))\s*\{\s*$")
_STATEMENT_END = re.compile(r";\s*(?:(?://|#).*)?$")
_PY_HEADER = re.compile(r"^\s*(?:def|class|if|elif|else|for|while|with|try|except|finally|async)\b.*:\s*(?:#.*)?$")


# JavaScript's own marks, which no Python line has outside a string: a line that starts with a "//" or "/*" comment or
# a declaration ("const x", "let y", "function f"), an arrow "=>", "===" or "!==". A walkthrough's untagged snippet
# ("console.log('A');", "setTimeout(() => console.log('B'), 0);", "// Output: A, D, C, B") opened no block with "{" and
# got three false "major" syntax errors ("Fix the syntax so the snippet runs in Python 3").
_JS_MARK = re.compile(r"^\s*(?://|/\*|(?:const|let|var|function)\s+[\w$])|=>|===|!==")
_STRING = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_HASH_COMMENT = re.compile(r"#.*$")  # a Python comment ("# ===== setup =====") is no JavaScript mark


# A Dockerfile: every instruction line starts with an upper-case instruction and its argument, and one is FROM (a
# walkthrough's untagged multi-stage Dockerfile gave false "major" syntax errors, "runs in Python 3")
_DOCKERFILE = re.compile(r"^\s*(?:FROM|RUN|CMD|COPY|ADD|ENV|ARG|WORKDIR|EXPOSE|ENTRYPOINT|USER|LABEL|VOLUME|HEALTHCHECK"
                         r"|SHELL|STOPSIGNAL|ONBUILD|MAINTAINER)\s+\S")
# YAML: "key: value", "key:" opening a nested block, "- item", "---"; a Python keyword is never such a key
_YAML = re.compile(r"^\s*(?:-\s+)?(?:[\w.\-/]+|\"[^\"]*\"|'[^']*'):(?:\s+\S.*)?$|^\s*-\s+\S|^---\s*$")
_BLOCK_SCALAR = re.compile(r":\s*[|>][-+]?\d*\s*(?:#.*)?$")  # "run: |", "script: >-": indented text lines follow
_PY_KEYWORD = re.compile(r"^\s*(?:-\s+)?(?:else|try|finally|except|class|def|lambda|return|if|elif|for|while|with)\s*:")


def _statements(block: list[str]) -> list[str]:
    """A block's lines that start something: not blank, not a "#" comment, not continuing a line ended by "\\"."""
    out, continued = [], False
    for t in block:
        if t.strip() and not t.lstrip().startswith("#") and not continued:
            out.append(t)
        continued = t.rstrip().endswith("\\")
    return out


def _config_language(block: list[str]) -> bool:
    """Whether a code block is a Dockerfile or YAML (a Kubernetes manifest, a CI file), not Python."""
    lines = _statements(block)
    if not lines:
        return False
    if all(_DOCKERFILE.match(t) for t in lines) and any(t.lstrip().startswith("FROM") for t in lines):
        return True
    # at least two lines, one of them nested: "x: int" alone could be a Python annotation; the lines of a block scalar
    # ("run: |" over indented shell lines, a CI file) are its text, not YAML's
    kept, block = [], None  # block: the indentation of the key that opened a block scalar
    for t in lines:
        indent = len(t) - len(t.lstrip())
        if block is not None and indent > block:
            continue
        block = indent if _BLOCK_SCALAR.search(t) else None
        kept.append(t)
    return (len(kept) >= 2 and all(_YAML.match(t) and not _PY_KEYWORD.match(t) for t in kept)
            and any(t[:1].isspace() or t.lstrip().startswith("-") for t in kept))


def not_python(block: list[str], tagged: bool = False) -> bool:
    """Whether a code block is in another language than Python: a terminal session, a braced language (NGINX,
    JavaScript, C), a Dockerfile or YAML, an HTTP message, or, unless it is ``tagged`` as Python, a block with no line
    of Python in it at all (HTML, HTTP headers, SQL, a formula in words). The syntax check must not read it."""
    return (_shell_session(block) or _braced_language(block) or _config_language(block)
            or bool(_HTTP_START.match(next((t for t in block if t.strip()), "")))
            or (not tagged and not any(_python_line(t) for t in block)))


# an HTTP request or status line opens an HTTP message ("POST /transfer HTTP/1.1", then "Host: bank.example.com",
# which Python reads as an annotation: a review's CSRF example got false syntax errors)
_HTTP_START = re.compile(r"^\s*(?:(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE)\s+\S+\s+HTTP/\d|HTTP/\d(?:\.\d)?\s+\d{3}\b)")


# A line only Python starts this way (case-sensitive: SQL's "FROM", "SELECT" and HTTP's "Set-Cookie:" never match)
_PY_START = re.compile(r"^\s*(?:>>>|(?:def|class|import|from|return|yield|raise|assert|del|global|nonlocal|pass|"
                       r"lambda|async|await|print|if|elif|else|for|while|with|try|except|finally)\b"
                       # a call or a decorator, however broken its brackets: "model.fit(X, y epochs=10)",
                       # "np.array([1, 2, 3)", "@app.route('/')" (a review: such one-line snippets went unread)
                       r"|@?[A-Za-z_][\w.]*\(|(?:match|case)\b.*:\s*$)")
# an assignment to a name or an attribute, not ended by ";" (JavaScript's): "W = tf.Variable([.3].dtype=tf.float32)"
# (a "," typed as ".") does not parse, and is Python
_PY_ASSIGN = re.compile(r"^\s*[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*(?:[-+*/%@&|^]|//|\*\*)?=(?!=)\s*\S(?!.*;\s*$)")
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def _python_line(line: str) -> bool:
    """Whether one line shows Python: it starts with a Python keyword or prompt, or it parses as a Python statement
    on its own (or once the brackets it leaves open are closed: "model = Sequential([") that is more than a bare
    name or constant. A walkthrough's web-security page showed "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>" and "Set-Cookie: session=abc123; HttpOnly; Secure" in code blocks, each flagged as
    a "major" syntax error ("Fix the syntax so the snippet runs in Python 3") and then shown on every citation of its
    answer; no block in another language has a Python line, and every Python snippet has one."""
    s = line.strip()
    if not s or s.startswith("#"):
        return False
    if _PY_START.match(s) or _PY_ASSIGN.match(s):
        return True
    opened = []
    for ch in _STRING.sub("", s):
        if ch in _CLOSERS:
            opened.append(ch)
        elif ch in ")]}" and opened:
            opened.pop()
    try:
        tree = ast.parse(s + "".join(_CLOSERS[b] for b in reversed(opened)))
    except (SyntaxError, ValueError):
        return False
    # a bare name or constant says nothing; neither does "Host: bank.example.com" (an HTTP header that Python reads as
    # an annotation without a value, its name capitalised)
    return any(not (isinstance(n, ast.Expr) and isinstance(n.value, (ast.Name, ast.Constant)))
               and not (isinstance(n, ast.AnnAssign) and n.value is None and s[:1].isupper()) for n in tree.body)


def _braced_language(block: list[str]) -> bool:
    """Whether a code block is written in a braced language, not Python (``_BRACE_OPEN``, ``_JS_MARK``)."""
    if any(_PY_HEADER.match(t) for t in block):
        return False
    return ((any(_BRACE_OPEN.match(t) for t in block) and any(_STATEMENT_END.search(t) for t in block))
            or any(_JS_MARK.search(_HASH_COMMENT.sub("", _STRING.sub("", t))) for t in block))


def _code_lines(record, lines: list[str], answer: list[int]) -> set[int]:
    """The lines read as Python code. A Markdown fence line ("```python", "```") is markup, not code, a
    fenced block tagged with another language ("```sql", "```bash") is not Python, and neither is a block that is
    a terminal session ("$ git cat-file -p HEAD" and its output) nor a line after a shell prompt."""
    code, other = set(), set()  # other: fence lines and blocks fenced as another language
    for b in record.blocks:
        if b.type == "code":
            span = [ln for ln in range(b.line_start, b.line_end + 1) if ln <= len(lines)]
            lang = None  # the open fence's language tag (None: outside any fence)
            tagged = False  # a fence of the block is tagged Python ("```python")
            for ln in span:
                fence = FENCE.match(lines[ln - 1])
                if fence:  # opens (with its language tag, if any), or closes
                    lang = (lines[ln - 1][fence.end():].split() or [""])[0].lower() if lang is None else None
                    tagged = tagged or (bool(lang) and lang in _PYTHON_TAGS)
                    other.add(ln)
                elif lang is not None and lang not in _PYTHON_TAGS:
                    other.add(ln)
            content = [ln for ln in span if ln not in other]
            block = [lines[ln - 1] for ln in content]
            if not_python(block, tagged):  # a terminal session; an NGINX config, JavaScript; a Dockerfile, YAML
                other.update(content)
                continue
            code.update(ln for ln in content if not _prose_in_code_block(lines[ln - 1]))
    other.update(ln for ln in answer if ln <= len(lines) and _SHELL_PROMPT.match(lines[ln - 1]))
    strength = {ln: line_code_strength(lines[ln - 1]) for ln in answer if ln <= len(lines) and ln not in other}
    strong = [ln for ln, s in strength.items() if s == 2]
    for ln, s in strength.items():
        if s == 2 or (s == 1 and any(abs(ln - k) <= 4 for k in strong)):
            code.add(ln)
    # A line inside an open bracket of a code line is code too (argument lists spanning lines).
    return code


def _is_formula(s: str) -> bool:
    s = s.strip()
    return bool(re.fullmatch(r"[^=<>]{1,60}=[^=<>]{1,90}", s)) and bool(re.search(r"[*/×÷+]|\b\w\s*[*/]\s*\w", s))


def claims_for_record(record, lines: list[str] | None, spans: dict[int, int] | None = None) -> list[Claim]:
    """All claims of one record. ``lines`` are the original file's lines (None: use the cleaned answer). ``spans``:
    the first line of each paragraph the corpus stage joined from wrapped lines -> its last line
    (``coach.audit.sourcefile.wrapped_spans``); such a paragraph is read whole, each sentence naming the lines it
    is on."""
    if lines is None:
        return _claims_from_answer(record)
    spans = spans or {}
    answer = [ln for ln in _answer_lines(record) if ln <= len(lines)]
    code = _code_lines(record, lines, answer)
    claims: list[Claim] = []
    base = dict(record_id=record.id, source=record.source, question=record.question, group_id=record.group_id)

    # Code snippets: runs of code lines, blank lines allowed inside a run.
    run: list[int] = []

    def flush():
        if run:
            quote = "\n".join(lines[ln - 1] for ln in range(run[0], run[-1] + 1))
            claims.append(Claim(line_start=run[0], line_end=run[-1], quote=quote, text=normalize(quote), kind="code", **base))
            run.clear()

    header, prev_sentence = "", ""
    table_head: list[str] = []  # header cells of the current table (first row)
    prev_table_line = -10
    read: set[int] = set()  # the lines of joined paragraphs already read with their first line
    first = next((ln for ln in answer if ln not in code and lines[ln - 1].strip()), None)
    for ln in answer:
        if ln in read:
            continue
        raw = lines[ln - 1]
        if ln in code:
            run.append(ln)
            continue
        if not raw.strip():
            continue
        flush()
        # the answer's "A:" / "**A:**" label is the file's markup, as in its record (a walkthrough's flag quoted "A: In a
        # shadow deployment ..."; "**A:**" read as a list item's "*")
        label = answer_label_end(raw.lstrip()) if ln == first else 0
        bullet = None if label else _BULLET.match(raw)
        is_item = bool(bullet) and len(raw.strip()) > 1
        body_start = bullet.end() if is_item else len(raw) - len(raw.lstrip()) + label
        body = raw[body_start:]
        prev_sentence = ""  # each line is one paragraph or list item
        cells = _table_cells(raw)
        if cells:
            if ln - prev_table_line > 2:  # a new table: its first row is the header row
                table_head = [normalize(raw[a:b]) for a, b in cells]
            prev_table_line = ln
            for k, (a, b) in enumerate(cells):
                q = raw[a:b]
                col = table_head[k] if k < len(table_head) and table_head[k] != normalize(q) else ""
                claims.append(Claim(line_start=ln, line_end=ln, quote=q, text=normalize(q), kind="table_cell",
                                    header=col or header, **base))
            continue
        if _is_formula(body):
            q = body.rstrip()
            claims.append(Claim(line_start=ln, line_end=ln, quote=q, text=normalize(q), kind="formula", header=header, **base))
            continue
        # a paragraph joined from wrapped lines: read whole, its lines kept apart by their line breaks, so each quote
        # stays as the file writes it
        starts = [(0, ln)]
        for k in range(ln + 1, min(spans.get(ln, ln), len(lines)) + 1):
            read.add(k)
            starts.append((len(body) + 1, k))
            body += "\n" + lines[k - 1]

        def line_at(offset: int) -> int:
            return max(k for at, k in starts if at <= offset)

        found = split_sentences(body)
        for a, b in found:
            q = body[a:b]
            kind = "list_item" if is_item else "sentence"
            claims.append(Claim(line_start=line_at(a), line_end=line_at(b - 1), quote=q, text=normalize(" ".join(q.split())),
                                kind=kind, header=header if is_item else "", context=prev_sentence, **base))
            prev_sentence = (prev_sentence + " " + normalize(" ".join(q.split()))).strip()
        if not is_item and found:
            header = normalize(" ".join(body[found[-1][0] : found[-1][1]].split()))
    flush()
    return claims


def _table_cells(raw: str) -> list[tuple[int, int]]:
    """Cell spans of a table row written with '|' or '¦' separators (markdown or scraped)."""
    sep = "|" if raw.count("|") >= 2 or (raw.count("|") == 1 and raw.rstrip().endswith("|")) else ("¦" if "¦" in raw else None)
    if sep is None or re.fullmatch(r"[\s|:\-¦]+", raw):
        return []
    spans, start = [], 0
    body_start = _BULLET.match(raw).end() if _BULLET.match(raw) else 0
    start = body_start
    for i, ch in enumerate(raw + sep):
        if i >= body_start and (i == len(raw) or ch == sep):
            a, b = start, i
            while a < b and raw[a].isspace():
                a += 1
            while b > a and raw[b - 1].isspace():
                b -= 1
            if b - a > 2:
                spans.append((a, b))
            start = i + 1
    return spans


def _claims_from_answer(record) -> list[Claim]:
    """Fallback when the original file is not plain text: claims from the cleaned answer."""
    out = []
    answer_lines = record.answer_lines or []
    for i, line in enumerate(record.answer.split("\n")):
        ln = answer_lines[i] if i < len(answer_lines) else record.line_start
        for a, b in split_sentences(line):
            q = line[a:b]
            out.append(Claim(record_id=record.id, source=record.source, line_start=ln, line_end=ln, quote=q,
                             text=normalize(q), kind="sentence", question=record.question, group_id=record.group_id))
    answer = record.answer.split("\n")
    for blk in record.blocks:
        if blk.type != "code":
            continue
        body = blk.text.split("\n")
        fenced = next((k for k, t in enumerate(body) if FENCE.match(t)), None)
        if fenced:  # prose the block took in before its fence ("Look at it:"): a sentence claim already
            body = body[fenced:]
        lang = None
        opening = FENCE.match(body[0]) if body else None
        if opening:  # the fence is markup (an HTML <pre> becomes one): not a line of code
            lang = (body[0][opening.end():].split() or [""])[0].lower()
            body = body[1:]
            if body and FENCE.match(body[-1]):
                body = body[:-1]
        while body and not body[-1].strip():
            body = body[:-1]
        if (not any(t.strip() for t in body) or (lang is not None and lang not in _PYTHON_TAGS)
                or not_python(body, tagged=bool(lang) and lang in _PYTHON_TAGS)):
            continue
        # each line at its own original line where the block is found in the answer (a fence shares the first
        # line of an HTML <pre>, so counting from the block's first line put every line one below)
        at = next((i for i in range(len(answer) - len(body) + 1) if answer[i:i + len(body)] == body), None)
        first = answer_lines[at] if at is not None and at < len(answer_lines) else blk.line_start
        last = answer_lines[at + len(body) - 1] if at is not None and at + len(body) - 1 < len(answer_lines) else blk.line_end
        quote = "\n".join(body)
        out.append(Claim(record_id=record.id, source=record.source, line_start=first, line_end=max(first, last),
                         quote=quote, text=quote, kind="code", question=record.question, group_id=record.group_id))
    return out
