"""The judgement model: a small cross-encoder that says whether a premise entails, is neutral to, or
contradicts a hypothesis. Grading and the source audit build on it.

- ``model.py``: ``Judge`` (load once, lazily; ``scores(pairs) -> (N, 3)``), label mapping.
- ``data.py``: the team-written premise records -> labelled pairs, split by premise.
- ``train.py``: reproducible training on CPU (``coach judge train``).
- ``evaluate.py``: synthetic and real-answer figures beside the cosine baseline (``coach eval judge``).
- ``scorer.py`` / ``scorer_train.py``: the second model kind, the answer scorer: (question + reference,
  answer) -> the expected grade, trained on team-written graded answers (``coach judge train-scorer``).
"""

from coach.judge.model import CONTRADICTION, ENTAILMENT, LABELS, NEUTRAL, Judge, JudgeError, load_judge

__all__ = ["Judge", "JudgeError", "load_judge", "LABELS", "ENTAILMENT", "NEUTRAL", "CONTRADICTION"]
