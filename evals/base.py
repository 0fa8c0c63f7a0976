"""One contract for every evaluator (after sentence-transformers' SentenceEvaluator).

Call an evaluator, get an ``EvalResult``: a dict of named metrics plus the name of one primary
metric. Cases that fail to evaluate (an exception, a missing gold record) are COUNTED in
``failures`` and scored as wrong where a metric allows it; they are never silently dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from coach.datafiles import load_jsonl  # noqa: F401  (re-exported: evaluators read data through evals.base)

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass
class EvalResult:
    name: str
    metrics: dict[str, float]
    primary: str  # key into metrics
    n: int = 0  # cases attempted
    failures: int = 0  # cases that raised or could not be scored (included in n)
    details: list[dict] = field(default_factory=list)  # per-case rows, for reports

    @property
    def primary_value(self) -> float:
        return self.metrics[self.primary]

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("details")
        d["primary_value"] = self.primary_value
        return d


class Evaluator(Protocol):
    name: str

    def __call__(self, *, split: str = "test", limit: int | None = None) -> EvalResult: ...


def select_split(rows: list[dict], split: str) -> list[dict]:
    """split: "dev", "test" or "all"."""
    if split == "all":
        return rows
    return [r for r in rows if r.get("split") == split]


def without_trained_questions(questions: list[str], gold: list[float], **preds: list[float]) -> tuple[int, dict[str, float]]:
    """Figures without the rows whose question the answer scorer was trained on (it has seen answers to
    them, so a figure with them is not blind for that model): (how many rows were on such questions,
    ``unseen_questions_n`` and ``unseen_questions_<name>`` Spearman for each named prediction list). The
    figures are given only when some rows were left out and at least 3 remain."""
    from coach.judge.scorer_train import question_key, trained_questions
    from evals import metrics as M

    trained = trained_questions()
    keep = [i for i, q in enumerate(questions) if question_key(q or "") not in trained]
    if not 3 <= len(keep) < len(questions):
        return len(questions) - len(keep), {}
    out = {"unseen_questions_n": float(len(keep))}
    for name, pred in preds.items():
        out[f"unseen_questions_{name}"] = M.spearman([float(pred[i]) for i in keep], [float(gold[i]) for i in keep])
    return len(questions) - len(keep), out
