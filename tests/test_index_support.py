"""Helpers for the index tests (no tests here): hand-made sources and a hand-checkable fake embedder.

The fake is for control-flow tests only (crash safety, dimension refusal): its vector for a text is the
count of words of each length 1..DIM (so "a bb bb" -> [1, 2, 0, ...]), L2-normalised.
"""

from __future__ import annotations

import hashlib

import numpy as np

from corpus.records import ParsedSource, Record


class WordLengthModel:
    """Fake sentence-transformers model: word-length histogram vectors (checkable by hand)."""

    def __init__(self, dim: int = 384):
        self.dim = dim
        self.calls = 0

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts, normalize_embeddings=True, **_):
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.split():
                out[i, min(len(w), self.dim) - 1] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


class CountingModel:
    """Wraps the REAL model and records every text it is asked to encode."""

    def __init__(self, model):
        self.model = model
        self.encoded: list[str] = []

    def get_embedding_dimension(self) -> int:
        return self.model.get_embedding_dimension()

    def encode(self, texts, **kw):
        self.encoded.extend(texts)
        return self.model.encode(texts, **kw)


QA = {
    "ml.txt": [
        ("What is overfitting?", "Overfitting is when a model memorises the training data, noise included, "
                                 "and fails to generalise to unseen data.", "training"),
        ("What is dropout?", "Dropout randomly disables neurons during training, a regularisation technique.",
         "training"),
        ("What is a convolutional neural network?", "A CNN applies learned filters over images to extract "
                                                     "local features such as edges.", "architectures"),
    ],
    "nlp.txt": [
        ("What is a transformer?", "A transformer is built from self-attention layers and processes all tokens "
                                   "of a sequence in parallel.", "architectures"),
        ("What is tokenization?", "Tokenization splits raw text into tokens such as words or subwords.", "nlp"),
    ],
    "stats.txt": [
        ("What is the bias-variance trade-off?", "Simple models have high bias; flexible models have high "
                                                 "variance; good models balance the two.", "fundamentals"),
        ("What is precision?", "Precision is the fraction of predicted positives that are truly positive.",
         "evaluation"),
    ],
}


def make_source(name: str, items=None, version: str = "v1") -> ParsedSource:
    """A ParsedSource whose records sit on lines 1, 4, 7...; ``version`` changes the sha256."""
    items = QA[name] if items is None else items
    records = []
    for i, (q, a, topic) in enumerate(items):
        line = 1 + 3 * i
        records.append(Record(id=f"{name}:{line}", source=name, question=q, answer=a, line_start=line,
                              line_end=line + 1, topic=topic))
    sha = hashlib.sha256(f"{name}|{version}|{items}".encode()).hexdigest()
    return ParsedSource(name, f"/data/{name}", sha, records, boilerplate_removed={"nav": 2})


def all_sources(version: str = "v1") -> list[ParsedSource]:
    return [make_source(n, version=version) for n in QA]
