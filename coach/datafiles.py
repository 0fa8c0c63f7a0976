"""JSONL reading and rank statistics shared by the product and ``evals/`` (which builds on these;
the product never imports ``evals``).

``LABELLED_DIR`` is where the team's labelled data lives (``evals/data``): the benchmarks read
answers from it as a workload, never as a target.
"""

from __future__ import annotations

import json
import math
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


def spearman(pred: list[float], gold: list[float]) -> float:
    """Spearman's rho; 0.0 (not NaN) for fewer than two cases or constant predictions."""
    from scipy.stats import spearmanr

    if len(pred) < 2 or len(set(pred)) < 2:
        return 0.0
    rho = spearmanr(pred, gold).statistic
    return float(rho) if rho is not None and math.isfinite(rho) else 0.0
