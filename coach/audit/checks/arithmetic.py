"""Check ``arithmetic``: worked examples recomputed and stated formulas tested against known relations.

Three passes:
1. explicit arithmetic in a claim ("A / B = C", "A divided by B is C", "C iterations (A divided by B)");
2. dataset/batch/iteration worked examples ("10,000 images, batch size 200 -> 50 iterations");
3. formulas ("Epoch = Number of iterations * Batch Size", "d*e = i*b" with a legend) rewritten with the
   variables of ``coach/knowledge/relations.yaml`` and evaluated on sample values under every
   interpretation of the ambiguous words; a convolution worked example (input, kernel, stride, padding ->
   stated output size) is recomputed the same way.

Simplified on purpose: numbers are read with regexes; only + - * / and parentheses are evaluated (by a
tiny AST walker, never ``eval``); a formula with any word we cannot map is skipped, not guessed.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import re
from pathlib import Path

import yaml

from coach.audit.types import Claim, Flag

NUM = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_WORD_OPS = [
    (re.compile(NUM + r"\s*(?:divided\s+by|/|÷)\s*" + NUM + r"\s*(?:=|is|equals|gives|makes)\s*(?:equal\s+to\s+)?" + NUM, re.I), "/"),
    (re.compile(NUM + r"\s*(?:multiplied\s+by|times|\*|×)\s*" + NUM + r"\s*(?:=|is|equals|gives|makes)\s*" + NUM, re.I), "*"),
    (re.compile(NUM + r"\s*(?:plus|\+)\s*" + NUM + r"\s*(?:=|is|equals|gives|makes)\s*" + NUM, re.I), "+"),
    (re.compile(NUM + r"\s*(?:minus|-)\s*" + NUM + r"\s*(?:=|equals|gives|makes)\s*" + NUM, re.I), "-"),
]
# "50 iterations (10,000 divided by 50)": a result followed by the computation in parentheses.
_PAREN = re.compile(NUM + r"\s+[A-Za-z]+(?:\s+[A-Za-z]+)?\s*\(\s*" + NUM + r"\s*(divided\s+by|/|÷|times|\*|×)\s*" + NUM + r"\s*\)", re.I)
_DATASET = re.compile(NUM + r"\s+(?:training\s+)?(?:images|samples|examples|data\s+points|records|rows|sentences|documents)", re.I)
_BATCH = re.compile(r"batch\s+size\s+(?:of|is|=|:)?\s*" + NUM, re.I)
_ITERS = re.compile(NUM + r"\s+(?:iterations|steps|updates|batches)\b", re.I)
_EPOCHS = re.compile(NUM + r"\s+epochs\b", re.I)


def num(s: str) -> float:
    return float(s.replace(",", ""))


@functools.lru_cache(maxsize=1)
def load_relations() -> dict:
    path = Path(__file__).resolve().parents[2] / "knowledge" / "relations.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def safe_eval(expr: str, env: dict[str, float]) -> float:
    """Evaluate + - * / and parentheses over numbers and the names in ``env``; anything else raises ValueError."""
    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)):
            return float(n.value)
        if isinstance(n, ast.Name) and n.id in env:
            return float(env[n.id])
        if isinstance(n, ast.BinOp) and type(n.op) in _OPS:
            return _OPS[type(n.op)](ev(n.left), ev(n.right))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return -ev(n.operand)
        raise ValueError(ast.dump(n))
    try:
        return ev(ast.parse(expr, mode="eval"))
    except (SyntaxError, ZeroDivisionError) as exc:
        raise ValueError(str(exc)) from None


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _flag(claim: Claim, kind: str, reason: str, correction: str, computation: str, severity="major") -> Flag:
    return Flag.from_claim(claim, verdict="error", kind=kind, severity=severity, check="arithmetic", reason=reason,
                           correction=correction, evidence=[{"type": "computation", "text": computation}])


def check_arithmetic(claims: list[Claim], context) -> list[Flag]:
    flags: list[Flag] = []
    by_record: dict[str, list[Claim]] = {}
    for c in claims:
        by_record.setdefault(c.record_id, []).append(c)
    rel = load_relations()
    for rid, rclaims in by_record.items():
        legend = _legend(rclaims)
        for claim in rclaims:
            if claim.kind == "code":
                continue
            flags.extend(_explicit(claim))
            flags.extend(_dataset_example(claim))
            flags.extend(_formula(claim, rel, legend))
        flags.extend(_conv_example(rclaims, rel))
    return flags


def _explicit(claim: Claim) -> list[Flag]:
    out = []
    text = claim.text
    for rx, op in _WORD_OPS:
        for m in rx.finditer(text):
            a, b, c = num(m.group(1)), num(m.group(2)), num(m.group(3))
            if op == "/" and b == 0:
                continue
            val = {"/": a / b if b else math.nan, "*": a * b, "+": a + b, "-": a - b}[op]
            if not _close(val, c):
                out.append(_flag(claim, "arithmetic", f"{m.group(0)!r} is wrong: {m.group(1)} {op} {m.group(2)} = {val:g}, not {m.group(3)}.",
                                 f"{m.group(1)} {op} {m.group(2)} = {val:g}", f"{a:g} {op} {b:g} = {val:g} (text says {c:g})"))
    for m in _PAREN.finditer(text):
        c, a, word, b = num(m.group(1)), num(m.group(2)), m.group(3).lower(), num(m.group(4))
        op = "/" if ("div" in word or word in "/÷") else "*"
        val = a / b if op == "/" and b else a * b
        if not _close(val, c):
            # Which operand is wrong? Prefer a divisor that appears elsewhere in the claim (e.g. the batch size).
            hint = ""
            if op == "/" and c and _close(b, c):
                hint = f" (the divisor {m.group(4)} is the stated result itself)"
            nums = [num(x) for x in re.findall(NUM, text)]
            better = next((x for x in nums if x not in (a, b, c) and x and _close(a / x, c)), None) if op == "/" else None
            if better:
                fix = f"{m.group(2)} divided by {better:g} = {c:g}"
            elif op == "/" and c:
                fix = f"{m.group(2)} / {m.group(4)} = {val:g} (or, for {m.group(1)}: {m.group(2)} divided by {a / c:g} = {c:g})"
            else:
                fix = f"{m.group(2)} {op} {m.group(4)} = {val:g}"
            out.append(_flag(claim, "arithmetic",
                             f"The computation in parentheses does not give the stated {m.group(1)}: {m.group(2)} {op} {m.group(4)} = {val:g}{hint}.",
                             fix, f"{a:g} {op} {b:g} = {val:g}, but the text states {c:g}"))
    return out


def _dataset_example(claim: Claim) -> list[Flag]:
    text = claim.text
    n, b, k = _DATASET.search(text), _BATCH.search(text), _ITERS.search(text)
    if not (n and b and k):
        return []
    nv, bv, kv = num(n.group(1)), num(b.group(1)), num(k.group(1))
    e = _EPOCHS.search(text)
    ev = num(e.group(1)) if e else 1.0
    per_epoch = math.ceil(nv / bv) if bv else math.nan
    if _close(kv, per_epoch) or _close(kv, per_epoch * ev):
        return []
    return [_flag(claim, "arithmetic", f"With {n.group(1)} examples and batch size {b.group(1)}, an epoch has {per_epoch} iterations, not {k.group(1)}.",
                  f"iterations per epoch = {n.group(1)} / {b.group(1)} = {per_epoch}", f"ceil({nv:g} / {bv:g}) = {per_epoch}")]


def _legend(rclaims: list[Claim]) -> dict[str, str]:
    """One-letter symbols declared in the record: "d → dataset size", "N => input size, F => kernel size"."""
    legend = {}
    for c in rclaims:
        for m in re.finditer(r"(?:^|[,;]|\bwhere,?)\s*([A-Za-z])\s*(?:→|->|=>|:|\bis\b)\s*([A-Za-z][A-Za-z /]+)", c.text):
            legend[m.group(1)] = m.group(2).strip()
    return legend


def _to_expr(side: str, family: dict, legend: dict[str, str], allow_letters: bool) -> str | None:
    s = " " + side.replace("–", "-").replace("−", "-").replace("×", "*").replace("÷", "/").replace("·", "*") + " "
    s = re.sub(r"(?<=[\w)])\s+[xX]\s+(?=[\w(])", " * ", s)
    # Declared letters first ("d" -> "dataset size" -> N).
    for letter, desc in legend.items():
        sym = _phrase_symbol(desc, family)
        if sym:
            s = re.sub(rf"(?<![A-Za-z_]){re.escape(letter)}(?![A-Za-z_])", f" {sym}_ ", s)
    phrases = sorted(((p, sym) for sym, ps in family["variables"].items() for p in ps), key=lambda x: -len(x[0]))
    for p, sym in phrases:
        s = re.sub(rf"(?i)(?<![A-Za-z_]){p}(?![A-Za-z])", f" {sym}_ ", s)
    if allow_letters:
        for letter, sym in family.get("letters", {}).items():
            s = re.sub(rf"(?<![A-Za-z_]){letter}(?![A-Za-z_])", f" {sym}_ ", s, flags=re.I)
    s = re.sub(r"\b(the|a|of|total)\b", " ", s, flags=re.I)
    rest = re.sub(r"[A-Z]_", "", s)
    if re.search(r"[^0-9+\-*/(). ]", rest):
        return None  # a word we cannot map: not checkable
    return s.replace("_", "").strip() or None


def _phrase_symbol(desc: str, family: dict) -> str | None:
    for sym, ps in family["variables"].items():
        if any(re.fullmatch(rf"(?i)\s*{p}\s*", desc) for p in ps):
            return sym
    return None


_NAMED = re.compile(r"^\s*([A-Za-z][\w \-]{0,30}?)\s*:\s*([A-Za-z0-9(][A-Za-z0-9 +\-*/().·×]*?)\s*(?:[—–]|\s-\s|[,;]|$)")


def _formula(claim: Claim, rel: dict, legend: dict[str, str]) -> list[Flag]:
    text = claim.text
    if len(text) > 200 or "==" in text:
        return []
    if text.count("=") == 1:
        lhs, rhs = text.split("=")
        lhs = re.sub(r"^.*:\s*", "", lhs)  # "The relationship is: Epoch = ..."
        rhs = re.split(r"\s+[—–]\s+|\s-\s|[,;]", rhs)[0]
    elif "=" not in text and (m := _NAMED.match(text)) and re.search(r"[/*]", m.group(2)):
        lhs, rhs = m.group(1), m.group(2)  # "Precision: TP / (TP + FP) — the share of ..."
    else:
        return []
    wide = f"{claim.text} {claim.context} {claim.header} {claim.question}"
    for name, family in rel.items():
        if not re.search(family["topic"], wide, re.I):
            continue
        allow_letters = name != "training"
        le, re_ = _to_expr(lhs, family, legend, allow_letters), _to_expr(rhs, family, legend, allow_letters)
        if not le or not re_ or not (re.search(r"[A-Z]", le) or re.search(r"[A-Z]", re_)):
            continue
        used = set(re.findall(r"[A-Z]", le + re_))
        if len(used) < 2:
            continue
        ok, shown = _consistent(le, re_, family, used)
        if ok is None:
            continue
        if not ok:
            return [_flag(claim, "formula",
                          f"The formula is inconsistent with the definitions: {family['statement'].strip()}",
                          family["statement"].strip(), shown)]
        return []
    return []


def _consistent(le: str, rhs: str, family: dict, used: set[str]) -> tuple[bool | None, str]:
    shown = ""
    for interp in family["interpretations"]:
        holds = True
        for sample in family["samples"]:
            env = dict(sample)
            for k, v in family.get("defaults", {}).items():
                if k not in used:
                    env[k] = v
            try:
                for k, expr in interp.items():
                    env[k] = safe_eval(expr, env)
                a, b = safe_eval(le, env), safe_eval(rhs, env)
            except ValueError:
                return None, ""
            if not _close(a, b):
                holds = False
                if not shown:
                    shown = f"with {', '.join(f'{k}={v:g}' for k, v in sorted(env.items()) if k in used)}: {le} = {a:g} but {rhs} = {b:g}"
                break
        if holds:
            return True, ""
    return False, shown


def _conv_example(rclaims: list[Claim], rel: dict) -> list[Flag]:
    """Recompute a convolution worked example: input n, kernel f, stride s, padding p -> stated output size."""
    text = " ".join(c.text for c in rclaims if c.kind != "code") + " " + (rclaims[0].question if rclaims else "")
    if not re.search(rel["convolution"]["topic"], text, re.I):
        return []
    def grab(*pats):
        for p in pats:
            m = re.search(p, text, re.I)
            if m:
                return num(m.group(1))
        return None
    n = grab(r"\bN\s*=\s*(\d+)", NUM + r"\s*[x×]\s*\d+\s*(?:input|image|matrix)", r"input(?:\s+size)?\s*(?:of|=|is)\s*" + NUM)
    f = grab(r"\bF\s*=\s*(\d+)", r"\bK\s*=\s*(\d+)", NUM + r"\s*[x×]\s*\d+\s*(?:kernel|filter)", r"(?:kernel|filter)(?:\s+size)?\s*(?:of|=|is)\s*" + NUM)
    s = grab(r"\bS\s*=\s*(\d+)", r"stride\s*(?:of|=|is)?\s*" + NUM) or 1.0
    p = grab(r"\bP\s*=\s*(\d+)", r"padding\s*(?:of|=|is)\s*" + NUM) or 0.0
    if n is None or f is None:
        return []
    for c in rclaims:
        m = re.search(r"output[^.]{0,40}?(?:=|\bis\b|\bbe\b)\s*=?\s*" + NUM + r"\s*[x×]\s*" + NUM, c.text, re.I)
        if not m:
            continue
        stated = num(m.group(1))
        true = (n - f + 2 * p) / s + 1
        if not _close(stated, math.floor(true)):
            return [_flag(c, "arithmetic", f"Output size should be ({n:g} - {f:g} + 2*{p:g}) / {s:g} + 1 = {math.floor(true):g}, not {stated:g}.",
                          f"{math.floor(true):g} x {math.floor(true):g}", f"({n:g} - {f:g} + 2*{p:g}) / {s:g} + 1 = {true:g}")]
    return []
