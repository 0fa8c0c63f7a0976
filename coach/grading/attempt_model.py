"""The learned half of "no attempt": a logistic regression on the answer's sentence embedding (the index's
embedding model), beside the text rule (``attempt.py``). The rule knows phrasings; candidates have more of
them than any list ("my mind went blank", "that's more of a backend thing", "I'm a Kotlin person"): measured on
helper-written sets, the rule found a quarter of a new writer's admissions (README, "No attempt").

An answer is no attempt when the rule says so, or when this model's probability reaches its threshold and the
answer has at most ``MAX_WORDS`` words. The threshold was picked for few false alarms (an attempt scored 0 is
worse than a missed "I don't know", which is still graded low): the lowest one whose leave-one-writer-out false
alarms stay at or under 1% on the training sets and which fires on at most 0.1% of the answer scorer's 8,384
graded answers (all of them attempts) - see ``train_attempt_model``.

The weights are a small JSON file (``attempt_model.json``: no pickle), read only when the embedding model is the
one they were trained on (another model's vectors mean nothing to them: then the rule works alone).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from coach.grading.attempt import MAX_WORDS, _words


MODEL_FILE = Path(__file__).with_name("attempt_model.json")
LABELS = ("no_attempt", "attempt")


def word_count(text: str) -> int:
    return len(_words(text.lower()).split())


@dataclass(frozen=True, eq=False)
class AttemptModel:
    embedding_model: str  # the embedding model id the weights read (index.embedder.model_id)
    weights: np.ndarray  # (d,) float64
    bias: float
    threshold: float
    info: dict = field(default_factory=dict)  # how it was trained and measured (written by the trainer)

    def probability(self, vector: np.ndarray) -> float:
        z = float(np.dot(self.weights, np.asarray(vector, dtype=np.float64))) + self.bias
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def reading(self, answer: str, embed: Callable[[list[str]], np.ndarray]) -> float | None:
        """The probability that ``answer`` only says the candidate does not know; None where the model does not
        read it (more than ``MAX_WORDS`` words, or nothing to read). ``embed``: texts -> (n, d) unit vectors;
        the answer is embedded alone (a batch of one), so the same answer always reads the same."""
        if not answer.strip() or word_count(answer) > MAX_WORDS:
            return None
        vec = np.asarray(embed([answer]), dtype=np.float64)
        if vec.shape != (1, self.weights.shape[0]):
            raise ValueError(f"the no-attempt model reads {self.weights.shape[0]}-d vectors, not {vec.shape}")
        return self.probability(vec[0])

    # -- files -------------------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"format": 1, "embedding_model": self.embedding_model, "threshold": self.threshold,
                "bias": round(self.bias, 8), "weights": [round(float(w), 8) for w in self.weights],
                "info": self.info}

    def save(self, path: Path = MODEL_FILE) -> None:
        from coach.grading.modelfile import save_json

        save_json(path, self.to_json())

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "AttemptModel":
        from coach.grading.modelfile import read_json

        raw = read_json(path, "no-attempt model")
        weights = np.asarray(raw["weights"], dtype=np.float64)
        if weights.ndim != 1 or not weights.size or not np.all(np.isfinite(weights)):
            raise ValueError(f"{path}: bad weights")
        threshold, bias = float(raw["threshold"]), float(raw["bias"])
        if not 0.0 < threshold < 1.0 or not math.isfinite(bias):
            raise ValueError(f"{path}: bad threshold or bias")
        return cls(str(raw["embedding_model"]), weights, bias, threshold, dict(raw.get("info") or {}))

    @classmethod
    def for_embedder(cls, model_id: str, path: Path = MODEL_FILE) -> "AttemptModel | None":
        """The shipped model where it reads ``model_id``'s vectors; None (the rule alone) otherwise."""
        from coach.grading.modelfile import load_for_embedder

        return load_for_embedder(cls.load, path, model_id, "the no-attempt model", "the text rule works alone")


# -- training (`coach judge train-attempt`) -------------------------------------------------------------
def read_labelled(path: Path) -> list[dict]:
    """{"question", "answer", "label": "no_attempt"|"attempt"} lines; a bad line is an error naming it."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc})") from None
        if not isinstance(row, dict) or row.get("label") not in LABELS or not isinstance(row.get("answer"), str):
            raise ValueError(f"{path}:{n}: needs 'answer' and 'label' ({' or '.join(LABELS)})")
        rows.append(row)
    return rows


def _fit(X: np.ndarray, y: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(X, y)


def train_attempt_model(groups: dict[str, list[dict]], attempts: list[str], embed: Callable[[list[str]], np.ndarray],
                        embedding_model: str, *, Cs: Iterable[float] = (1.0, 2.0, 3.0, 5.0, 10.0),
                        max_false_alarms: float = 0.01, max_writer_false_alarms: float = 0.03,
                        max_graded_fires: float = 0.001, progress: Callable[[str], None] = lambda s: None) -> AttemptModel:
    """Fit on every group's labelled answers, each group one writer. For each regularisation ``C``, each writer
    is read by a model fit on the others (leave-one-writer-out); the threshold is the lowest on a 0.01 grid
    (0.50-0.99) where, with the text rule beside the model, the pooled false-alarm rate is at most
    ``max_false_alarms``, every writer's at most ``max_writer_false_alarms``, and the model fit on all writers
    fires on at most ``max_graded_fires`` of ``attempts`` (answers known to be attempts). The ``C`` with the
    highest pooled recall wins. ``embed`` is called on one text at a time, as the grader does."""
    from coach.grading.attempt import is_no_attempt

    cache: dict[str, np.ndarray] = {}

    def vectors(texts: list[str]) -> np.ndarray:
        for t in texts:
            if t not in cache:
                cache[t] = np.asarray(embed([t]), dtype=np.float64)[0]
        return np.stack([cache[t] for t in texts])

    if len(groups) < 2:
        raise ValueError("leave-one-writer-out needs at least two groups of labelled answers")
    progress(f"embedding {sum(map(len, groups.values()))} labelled answers")
    for rows in groups.values():
        vectors([r["answer"] for r in rows])
    Y = np.array([r["label"] == "no_attempt" for rs in groups.values() for r in rs])
    R = np.array([is_no_attempt(r["answer"], r.get("question") or "") for rs in groups.values() for r in rs])
    W = np.array([word_count(r["answer"]) for rs in groups.values() for r in rs])
    G = np.array([name for name, rs in groups.items() for _ in rs])
    every = [r for rs in groups.values() for r in rs]
    progress(f"embedding {len(attempts)} graded attempts")
    Va = vectors(list(attempts)) if attempts else None
    wa = np.array([word_count(a) for a in attempts])
    best = None
    for C in Cs:
        held = []
        for name, rows in groups.items():
            train = [r for other, rs in groups.items() if other != name for r in rs]
            clf = _fit(vectors([r["answer"] for r in train]), np.array([r["label"] == "no_attempt" for r in train]), C)
            held += list(clf.predict_proba(vectors([r["answer"] for r in rows]))[:, 1])
        P = np.array(held)
        final = _fit(vectors([r["answer"] for r in every]), Y, C)
        pa = final.predict_proba(Va)[:, 1] if Va is not None else np.zeros(0)
        for t in [round(0.5 + 0.01 * i, 2) for i in range(50)]:
            pred = R | ((P >= t) & (W <= MAX_WORDS))
            fires = int(((pa >= t) & (wa <= MAX_WORDS)).sum())
            worst = max(float(pred[~Y & (G == g)].mean()) for g in groups if (~Y & (G == g)).any())
            if pred[~Y].mean() <= max_false_alarms and worst <= max_writer_false_alarms \
                    and fires <= max_graded_fires * max(1, len(attempts)):
                recall = float(pred[Y].mean())
                progress(f"C={C:g}: threshold {t:.2f}, leave-one-writer-out recall {recall:.3f}")
                if best is None or recall > best[0]:
                    best = (recall, C, t, pred, fires, final)
                break
        else:
            progress(f"C={C:g}: no threshold within the limits")
    if best is None:
        raise ValueError("no threshold keeps the false alarms under the limits: more or better data needed")
    recall, C, t, pred, fires, final = best
    info = {
        "C": C, "groups": {k: len(v) for k, v in groups.items()},
        "leave_one_writer_out": {
            "recall": round(recall, 4), "false_alarms": round(float(pred[~Y].mean()), 4),
            "rule_recall": round(float(R[Y].mean()), 4), "rule_false_alarms": round(float(R[~Y].mean()), 4),
            "recall_by_group": {g: round(float(pred[Y & (G == g)].mean()), 4) for g in groups},
            "false_alarms_by_group": {g: round(float(pred[~Y & (G == g)].mean()), 4) for g in groups},
            "rule_recall_by_group": {g: round(float(R[Y & (G == g)].mean()), 4) for g in groups}},
        "graded_attempts": len(attempts), "graded_attempts_fired": fires,
    }
    return AttemptModel(embedding_model, final.coef_[0].astype(np.float64), float(final.intercept_[0]), float(t), info)
