"""Behavioural interview prompts read by meaning, for the story grader (``coach.grading.story``).

``corpus.behavioural`` knows prompts by their phrasings ("Tell me about a time you ...", "Describe a situation
where you ..."), and each new writer words them another way: on a blind set of twelve questions it found four and
missed eight, worded "Walk me through a time ...", "Have you ever had to ...", "When have you had ...", "Can you think
of a time ...", "What do you look for in a manager?" and so on (README, experiment 46). This reads the question's meaning instead: a logistic
regression on the question's embedding, fit on behavioural prompts (the behavioural data sets' questions and the
hand-written ones below) against technical questions (every question of the repository's documents and
evaluation data, and hand-written technical questions that open like behavioural ones). A question is read as
behavioural only when it also speaks to the candidate ("you", "your"): "How should I answer 'what is your
greatest weakness'?" asks about interviews, not the candidate's own past.

Used only with the story model on (COACH_STORY_MODEL=on), beside the phrasings: the default grade never reads it.
Simplified on purpose: English; a prompt far from every training prompt is missed, as before.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

MODEL_FILE = Path(__file__).with_name("prompt_model.json")
# the candidate addressed: "you", "your", "yourself", "you've"
ADDRESSED = re.compile(r"\byou(?:r|rs|rself)?\b|\byou['\u2019](?:ve|re|d|ll)\b", re.I)

# written by hand, generic (no dataset question): prompts worded the many ways interviewers word them
HAND_PROMPTS = (
    "What is your greatest strength?", "What are your salary expectations?", "Tell me about yourself.",
    "How do you handle pressure at work?", "What motivates you?", "Why should we hire you?",
    "Tell me about a time you went above and beyond for a customer.", "Describe your ideal working day.",
    "What achievement are you most proud of?", "How would your friends describe you?",
    "Walk me through a difficult decision you made at work.", "Have you ever had to work with someone you disliked?",
    "When did you last change your mind about something important at work?", "What do you value most in a team?",
    "Can you share a time you had to learn from a mistake?", "How do you like to receive feedback?",
    "Talk me through a time you had to persuade a sceptical colleague.", "What is the hardest feedback you have had?",
    "How do you keep yourself organised when everything is urgent?", "What would you do in your first 90 days here?",
    "Give me an example of how you handled an angry customer.", "Have you ever missed a target? What happened?",
    "Tell me about the best manager you have had.", "How do you approach working with people from other cultures?",
)
# written by hand: technical questions that open like behavioural ones
HAND_TECHNICAL = (
    "Walk me through a TCP handshake.", "Have you ever used a B-tree index? How does it work?",
    "Tell me about the difference between a process and a thread.", "Describe how garbage collection works in Java.",
    "Give me an example of a race condition.", "Can you think of a case where a hash map degrades to O(n)?",
    "When would you use a queue instead of a stack?", "How did the CAP theorem change database design?",
    "What kind of index would you use for a range query?", "Talk me through how HTTPS keeps data private.",
    "Share an example of a SQL query that uses a window function.", "What do you look for in a good loss function?",
    "How do you handle missing values in a dataset?", "How do you handle exceptions in Python?",
    "Have you ever seen a deadlock? What causes one?", "Describe a time complexity trade-off between merge sort and quicksort.",
    "When was the transformer architecture introduced and why?", "What's an example of a NoSQL database?",
    "How would you design a URL shortener?", "Tell me how DNS resolution works.",
    "What do you do when a Git merge conflicts?", "How do you deal with overfitting in a neural network?",
    "Explain a situation where you would use a mutex over a semaphore.", "Give an example of polymorphism in C++.",
    "Describe what happens when you type a URL into a browser.", "How do you keep a REST API backwards compatible?",
)
THRESHOLD = 0.7  # set by hand (README, experiment 47): technical "you" questions read at most 0.43 in cross-validation,
# and 0.9 (the first choice) missed 2 of 5 hand-written prompts in new words (0.81, 0.90)
C = 1.0


@dataclass(eq=False)
class PromptModel:
    embedding_model: str
    weights: np.ndarray
    bias: float
    threshold: float = THRESHOLD
    info: dict = field(default_factory=dict)
    # each question's reading, per model (not copied by dataclasses.replace): a web server's threads share it
    _seen: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def probability(self, vectors: np.ndarray) -> np.ndarray:
        v = np.asarray(vectors, dtype=np.float64)
        v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        return 1.0 / (1.0 + np.exp(-(v @ self.weights + self.bias)))

    def reads(self, question: str, embed: Callable[[list[str]], np.ndarray]) -> bool:
        """Whether ``question`` reads as a behavioural prompt addressed to the candidate (cached per question)."""
        q = (question or "").strip()
        if not q or not ADDRESSED.search(q):
            return False
        with self._lock:
            hit = self._seen.get(q)
        if hit is not None:
            return hit
        read = bool(self.probability(np.asarray(embed([q])))[0] >= self.threshold)  # outside the lock: it embeds
        with self._lock:
            if len(self._seen) > 4096:  # a long-lived server: bounded
                self._seen.clear()
            self._seen[q] = read
        return read

    def to_json(self) -> dict:
        return {"format": 1, "embedding_model": self.embedding_model, "weights": [round(float(x), 8) for x in self.weights],
                "bias": round(self.bias, 8), "threshold": self.threshold, "info": self.info}

    def save(self, path: Path = MODEL_FILE) -> None:
        from coach.grading.modelfile import save_json

        save_json(path, self.to_json())

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "PromptModel":
        from coach.grading.modelfile import read_json

        raw = read_json(path, "prompt model")
        w = np.asarray(raw["weights"], dtype=np.float64)
        nums = [float(raw["bias"]), float(raw["threshold"])]
        if w.ndim != 1 or not w.size or not np.all(np.isfinite(w)) or not all(math.isfinite(x) for x in nums):
            raise ValueError(f"{path}: bad weights")
        return cls(str(raw["embedding_model"]), w, nums[0], nums[1], info=dict(raw.get("info") or {}))

    @classmethod
    def for_embedder(cls, model_id: str, path: Path = MODEL_FILE) -> "PromptModel | None":
        from coach.grading.modelfile import load_for_embedder

        return load_for_embedder(cls.load, path, model_id, "the prompt model",
                                 "behavioural prompts are known by their phrasings only")


def train_prompt_model(prompts: list[str], technical: list[str], embed: Callable[[list[str]], np.ndarray],
                       embedding_model: str, *, threshold: float = THRESHOLD, c: float = C) -> PromptModel:
    """Fit on behavioural ``prompts`` (plus ``HAND_PROMPTS``) against ``technical`` questions (plus
    ``HAND_TECHNICAL``); the figures in ``info`` are on the training questions (tuning data)."""
    from sklearn.linear_model import LogisticRegression

    pos = sorted(set(prompts) | set(HAND_PROMPTS))
    neg = sorted((set(technical) | set(HAND_TECHNICAL)) - set(pos))
    if len(pos) < 2 or len(neg) < 2:
        raise ValueError("needs behavioural prompts and technical questions, two or more of each")

    def unit(texts):
        v = np.asarray(embed(texts), dtype=np.float64)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    X = np.vstack([unit(pos), unit(neg)])
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    clf = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(X, y)
    model = PromptModel(embedding_model, clf.coef_[0].astype(np.float64), float(clf.intercept_[0]), threshold)
    p = model.probability(X)
    addressed = np.array([bool(ADDRESSED.search(q)) for q in pos + neg])
    read = (p >= threshold) & addressed
    model.info = {"prompts": len(pos), "technical": len(neg), "C": c,
                  "read_as_prompts": {"prompts": int(read[:len(pos)].sum()), "technical": int(read[len(pos):].sum())},
                  "tuning_data": "figures on the training questions"}
    return model
