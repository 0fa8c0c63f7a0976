"""JSONL reading and writing, and rank statistics, shared by the product and ``evals/`` (which builds
on these; the product never imports ``evals``).

``parse_jsonl_line``/``dumps_line`` are the strict pair behind ``coach grade``: a line is whatever lies
between two newline bytes (never ``str.splitlines``, which also breaks on U+2028, U+0085 and friends),
and every line either parses into a JSON object or yields one clear reason, whatever its bytes.

``LABELLED_DIR`` is where the team's labelled data lives (``evals/data``): the benchmarks read
answers from it as a workload, never as a target.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

LABELLED_DIR = Path(__file__).resolve().parent.parent / "evals" / "data"


def load_jsonl(path: Path) -> list[dict]:
    """Rows of a JSONL file; blank lines and ``//`` comments skipped; a bad line raises naming it."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: invalid JSON ({exc})") from None
    return rows


# Characters str.splitlines() breaks on that json.dumps(ensure_ascii=False) leaves raw inside strings.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
_SURROGATE = re.compile("[\ud800-\udfff]")


class LineError(ValueError):
    """Why one JSONL line cannot be used (one line of text, naming the line). ``value``: what could be
    read of it anyway (lone surrogates replaced by U+FFFD), or None."""

    def __init__(self, message: str, value=None):
        super().__init__(message)
        self.value = value


def _reject_constant(name: str):
    raise LineError(f"{name} is not valid JSON (use null or a string)")


def _finite_float(text: str) -> float:
    """A JSON number as a float; one too large for a float (``1e400``) would be infinity, which JSON cannot
    hold, so it could be read but never written back."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise LineError(f"the number {text[:40]} is out of range")
    return value


def _surrogate_field(value, path: str = "") -> str | None:
    """The first field (dotted path) whose key or text holds a lone surrogate, or None."""
    if isinstance(value, str):
        return path or "(value)" if _SURROGATE.search(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _SURROGATE.search(key):
            return where
        found = _surrogate_field(item, where)
        if found:
            return found
    return None


def without_surrogates(text: str) -> str:
    """``text`` with every lone surrogate (an undecodable byte, a broken escape) as U+FFFD, so it can be
    written as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


def _scrub(value):
    if isinstance(value, str):
        return without_surrogates(value)
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def parse_jsonl_line(raw: bytes, n: int):
    """Line ``n`` (bytes, without its newline) as a strict JSON value. Raises LineError with the reason.

    Strict means: UTF-8 (a BOM on line 1 is tolerated), no NaN/Infinity, no lone surrogate escapes
    (a ``\\ud800`` escape parses in Python but is not Unicode text and cannot be written back as UTF-8)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineError(f"line {n} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})") from None
    if n == 1:
        text = text.removeprefix("\ufeff")
    if not text.strip():
        raise LineError(f"line {n} is empty")
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise LineError(f"line {n} is not valid JSON: {exc.msg} (column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # NaN/Infinity, huge integers, absurd nesting
        raise LineError(f"line {n} is not valid JSON: {str(exc)[:120] or type(exc).__name__}") from None
    field = _surrogate_field(value)
    if field:
        raise LineError(f"line {n} has a lone surrogate escape (not Unicode text) in {field!r}", _scrub(value))
    return value


def dumps_line(obj) -> str:
    """One strict JSON line ending in a newline: no NaN, no raw character that str.splitlines() breaks on."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False).translate(_LINE_BREAKS)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate got in: escape everything rather than fail the line
        text = json.dumps(obj, ensure_ascii=True, allow_nan=False)
    return text + "\n"


def json_safe(obj):
    """``obj`` with every NaN or infinite float (at any depth) as None, so ``json.dumps`` writes strict JSON: a
    figure that could not be measured reads as null, not as a bare NaN that strict readers reject."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "dtype") and getattr(obj, "shape", None) == ():  # a numpy scalar
        return json_safe(obj.item())
    return obj


def spearman(pred: list[float], gold: list[float]) -> float:
    """Spearman's rho; 0.0 (not NaN) for fewer than two cases or constant predictions."""
    from scipy.stats import spearmanr

    if len(pred) < 2 or len(set(pred)) < 2:
        return 0.0
    rho = spearmanr(pred, gold).statistic
    return float(rho) if rho is not None and math.isfinite(rho) else 0.0
