"""BM25 keyword search over chunk texts (bm25s), with a small deterministic tokenizer.

Simplified on purpose: the "stemmer" only folds plural and a few common English suffixes
(``networks`` -> ``network``, ``normalisation``/``normalization`` -> ``normal``); typos are left to
the dense retriever. The index is built in memory from chunk texts when first needed and never stored.
"""

from __future__ import annotations

import re

import numpy as np

TOKEN = re.compile(r"\w\w+", re.UNICODE)
STOPWORDS = frozenset(
    """a an and are as at be but by can do does for from has have how i if in into is it its me my of on or
    so such than that the their them then there these they this to was we were what when where which who
    why will with would you your yours our us should could about explain describe define mean meaning""".split()
)
_SUFFIXES = ("isation", "ization", "ations", "ation", "ings", "ing", "ies", "es", "ed", "s")


def stem(word: str) -> str:
    w = word.replace("isation", "ization").replace("ise", "ize") if len(word) > 5 else word
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            base = w[: -len(suf)]
            if suf == "ies":
                return base + "y"
            if suf in ("es", "s") and (base.endswith("s") or w.endswith("ss")):
                return w if w.endswith("ss") else base
            return base
    return w


def tokenize(text: str) -> list[str]:
    return [stem(t) for t in TOKEN.findall(text.lower()) if t not in STOPWORDS]


class KeywordIndex:
    def __init__(self, texts: list[str]):
        import logging

        import bm25s

        # bm25s forces its logger to DEBUG at import; let it inherit the application's level instead.
        logging.getLogger("bm25s").setLevel(logging.NOTSET)
        self.n = len(texts)
        self._bm25 = bm25s.BM25()
        corpus = [tokenize(t) or ["<empty>"] for t in texts]
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query``; shape (n_chunks,), zeros where no term matches."""
        if self.n == 0:
            return np.zeros(0, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
