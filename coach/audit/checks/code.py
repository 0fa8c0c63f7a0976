"""Check ``code``: every code snippet is parsed with Python's ``ast``; Python 2 idioms and removed APIs flagged.

Parsing is lenient on purpose, because articles show fragments: the snippet is dedented, prompts (``>>>``)
and notebook magics are blanked, and a snippet that only parses inside a function body is accepted.
Each syntax error is reported on its own statement, then that statement is blanked (or, for a missing
indented block, indented) and parsing resumes, so one snippet can yield several flags.

Simplified on purpose: no name resolution across snippets and no type checking; only "does it parse",
a case-sensitivity slip on builtins (``Print``), Python 2 idioms and a table of removed library APIs.
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap

from coach.audit.types import Claim, Flag

_PY2 = [
    (re.compile(r"^\s*print\s+(?![(=\[.])[\w\"'>]"), "Python 2 print statement", "use the print() function: print(...)"),
    (re.compile(r"\bxrange\s*\("), "xrange() does not exist in Python 3", "use range()"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"), "Python 2 'except X, e:' syntax", "use 'except X as e:'"),
    (re.compile(r"\.has_key\s*\("), "dict.has_key() was removed in Python 3", "use 'key in d'"),
    (re.compile(r"\braw_input\s*\("), "raw_input() was renamed in Python 3", "use input()"),
    (re.compile(r"\.iteritems\s*\(|\.itervalues\s*\(|\.iterkeys\s*\("), "dict.iteritems()/itervalues()/iterkeys() were removed in Python 3", "use items() / values() / keys()"),
    (re.compile(r"\bunicode\s*\("), "unicode() does not exist in Python 3", "use str()"),
]
_BUILTIN_NAMES = {n for n in dir(builtins) if not n.startswith("_")}
_BRACKET_MSG = re.compile(r"'([(\[{])' was never closed")


def _evidence_parser(text: str) -> dict:
    return {"type": "parser", "text": text}


def check_code(claims: list[Claim], context) -> list[Flag]:
    flags: list[Flag] = []
    kb = getattr(context, "kb", None)
    apis = kb.removed_apis if kb is not None else []
    for claim in claims:
        if claim.kind == "code":
            flags.extend(_check_snippet(claim, apis))
        elif apis and claim.kind in ("sentence", "list_item", "table_cell"):
            flags.extend(_removed_apis_in_prose(claim, apis))
    return flags


def _line_flag(claim: Claim, raw_lines: list[str], first: int, last: int, **kw) -> Flag:
    """A flag on snippet lines first..last (0-based within the snippet), quoting the original lines."""
    quote = "\n".join(raw_lines[first : last + 1])
    return Flag(source=claim.source, line_start=claim.line_start + first, line_end=claim.line_start + last,
                quote=quote, record_id=claim.record_id, check="code", **kw)


def _check_snippet(claim: Claim, apis) -> list[Flag]:
    raw = claim.quote.split("\n")
    flags: list[Flag] = []
    py2_lines: set[int] = set()
    for i, line in enumerate(raw):
        if line.lstrip().startswith("#"):
            continue
        for rx, what, fix in _PY2:
            if rx.search(line):
                py2_lines.add(i)
                flags.append(_line_flag(claim, raw, i, i, verdict="error", kind="python2", severity="major",
                                        reason=f"{what}: this line is a SyntaxError (or NameError) in Python 3.",
                                        correction=fix, evidence=[_evidence_parser(f"Python 3 rejects: {line.strip()}")]))
                break
        for api in apis:
            if api.pattern.search(line):
                flags.append(_line_flag(
                    claim, raw, i, i, verdict="error", kind="removed_api", severity=api.severity,
                    reason=f"{api.api} was removed in {api.removed_in}; this code fails on current versions.",
                    correction=f"Use {api.replacement}.",
                    evidence=[{"type": "knowledge", "text": f"{api.api}: removed in {api.removed_in}; use {api.replacement}",
                               "ref": "removed_apis.yaml"}]))
    flags.extend(_syntax_flags(claim, raw, py2_lines))
    return flags


def _prepare(raw: list[str]) -> list[str]:
    lines = []
    for line in raw:
        s = line.strip()
        if s.startswith((">>>", "...")) and len(s) > 3:
            line = line.replace(">>>", "   ", 1) if s.startswith(">>>") else line.replace("...", "   ", 1)
        if s.startswith(("!", "%")):
            line = ""
        lines.append(line)
    text = textwrap.dedent("\n".join(lines))
    return text.split("\n")


def _parses(lines: list[str]) -> SyntaxError | None:
    src = "\n".join(lines)
    try:
        ast.parse(src)
        return None
    except SyntaxError as exc:
        # Lenient second pass: a fragment that is a function body (return/yield at top level, indented code).
        wrapped = "def _fragment():\n" + textwrap.indent(src, "    ")
        try:
            ast.parse(wrapped)
            return None
        except SyntaxError:
            return exc


def _statement_end(lines: list[str], start: int) -> int:
    """Last line of the statement opened at ``start``: following lines that are more indented (no blank line)."""
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start
    for j in range(start + 1, len(lines)):
        s = lines[j]
        if not s.strip():
            break
        if len(s) - len(s.lstrip()) > indent or re.match(r"^\s*[\])}]", s):
            end = j
        else:
            break
    return end


def _outer_open_bracket(lines: list[str], upto: int) -> tuple[int, str] | None:
    """(line index, bracket) of the outermost bracket still open at the start of line ``upto``."""
    stack: list[tuple[str, int]] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for li in range(upto):
        quote = None
        for ch in lines[li]:
            if quote:
                if ch == quote:
                    quote = None
                continue
            if ch in "'\"":
                quote = ch
            elif ch == "#":
                break
            elif ch in "([{":
                stack.append((ch, li))
            elif ch in ")]}" and stack and stack[-1][0] == pairs[ch]:
                stack.pop()
    if not stack:
        return None
    first = stack[0][1]
    return first, "".join(ch for ch, li in stack if li == first)


def _syntax_flags(claim: Claim, raw: list[str], py2_lines: set[int]) -> list[Flag]:
    lines = _prepare(raw)
    flags: list[Flag] = []
    for _ in range(12):
        err = _parses(lines)
        if err is None:
            break
        i = max(0, min(len(lines) - 1, (err.lineno or 1) - 1))
        msg = err.msg
        if i in py2_lines:
            lines[i] = ""
            continue
        if isinstance(err, IndentationError) and "expected an indented block" in msg:
            opener = re.search(r"on line (\d+)", msg)
            first = int(opener.group(1)) - 1 if opener else max(0, i - 1)
            flags.append(_line_flag(claim, raw, first, i, verdict="error", kind="syntax", severity="major",
                                    reason=f"Code does not parse: {msg} (the block's indentation was lost).",
                                    correction="Indent the body of the block under its header line.",
                                    evidence=[_evidence_parser(f"SyntaxError at line {claim.line_start + i}: {msg}")]))
            lines[i] = "    " + lines[i]
            continue
        bracket = _BRACKET_MSG.search(msg)
        opened = _outer_open_bracket(lines, i)
        if bracket and opened is None:
            here = _outer_open_bracket(lines, i + 1)
            opened = here if here is not None and here[0] == i else (i, bracket.group(1))
        if opened is not None and (bracket or opened[0] < i):
            # Also "Perhaps you forgot a comma" inside a list whose closing bracket was lost.
            i, brackets = opened
            bracket = True
        end = _statement_end(lines, i) if bracket else i
        if bracket:
            closer = "".join({"(": ")", "[": "]", "{": "}"}[b] for b in reversed(brackets))
            reason = (f"Code does not parse: '{brackets}' opened here is never closed "
                      "(lines of the snippet were probably lost).")
            correction = f"Close the bracket with '{closer}' after the last element (restore the missing lines)."
        else:
            reason = f"Code does not parse: {msg}."
            correction = "Fix the syntax so the snippet runs in Python 3."
            if "assignment" in msg and re.search(r"\]\.\w+\s*=", lines[i]):
                correction = "A ',' was typed as '.': e.g. tf.Variable([.3], dtype=tf.float32)."
        flags.append(_line_flag(claim, raw, i, end, verdict="error", kind="syntax", severity="major", reason=reason,
                                correction=correction,
                                evidence=[_evidence_parser(f"SyntaxError at line {claim.line_start + i}: {msg}")]))
        for j in range(i, end + 1):
            lines[j] = ""
    else:
        return flags
    flags.extend(_case_slips(claim, raw, lines))
    return flags


def _case_slips(claim: Claim, raw: list[str], lines: list[str]) -> list[Flag]:
    """Calls like ``Print(x)``: a builtin written with the wrong case is a NameError (Python is case-sensitive)."""
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    assigned |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assigned |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name not in _BUILTIN_NAMES and name.lower() in _BUILTIN_NAMES and name not in assigned:
                i = node.lineno - 1
                out.append(_line_flag(claim, raw, i, i, verdict="error", kind="name_error", severity="minor",
                                      reason=f"{name}() is not defined: Python is case-sensitive.",
                                      correction=f"use {name.lower()}()",
                                      evidence=[_evidence_parser(f"NameError: name '{name}' is not defined")]))
    return out


def _removed_apis_in_prose(claim: Claim, apis) -> list[Flag]:
    """Prose that teaches a removed API by name with a call, e.g. "we use the tf.placeholder() command"."""
    out = []
    for api in apis:
        m = api.pattern.search(claim.text)
        if m and (m.group(0).rstrip().endswith("(") or claim.text[m.end():].lstrip().startswith("(")):
            out.append(Flag.from_claim(
                claim, verdict="error", kind="removed_api", severity="minor", check="code",
                reason=f"Teaches {api.api}, which was removed in {api.removed_in}.",
                correction=f"Use {api.replacement}.",
                evidence=[{"type": "knowledge", "text": f"{api.api}: removed in {api.removed_in}", "ref": "removed_apis.yaml"}]))
            break
    return out
