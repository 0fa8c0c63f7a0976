"""The embedding model behind the index: loaded lazily, offline, with a cache keyed by (model, text hash).

Vectors are L2-normalised float32, so inner product equals cosine similarity.
Simplified on purpose: the cache lives in memory for the life of the process and is seeded from the
current on-disk generation (whose vectors were computed by the same model); there is no separate
on-disk cache directory, so a model switch recomputes everything once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict

import numpy as np

from coach.errors import CoachError

log = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
BATCH_SIZE = 64
QUERY_CACHE_SIZE = 4096  # texts embedded through ``embed`` (queries, answers): bounded LRU


def model_id(settings) -> str:
    """A stable name for the configured model (a path differs between machines, the id does not)."""
    spec = settings.embedding_model
    return DEFAULT_MODEL_ID if spec in ("", "default") else spec


def load_sentence_transformer(settings):
    from coach.models import ModelNotFound, embedding_model_path

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        path = embedding_model_path(settings)
    except ModelNotFound as exc:
        raise CoachError(str(exc)) from None
    from sentence_transformers import SentenceTransformer

    log.info("loading embedding model %s", path)
    return SentenceTransformer(path, device="cpu")


def model_dim(model) -> int:
    for name in ("get_embedding_dimension", "get_sentence_embedding_dimension"):
        fn = getattr(model, name, None)
        if fn is not None:
            return int(fn())
    raise CoachError("the embedding model does not report its dimension")


class Embedder:
    """Wraps a sentence-transformers model (or anything with the same ``encode``) with a vector cache."""

    def __init__(self, settings, model=None):
        self.settings = settings
        self.model_id = model_id(settings)
        self._model = model
        self._cache: dict[str, np.ndarray] = {}  # chunk text hash -> (d,) float32, for self.model_id only
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()  # other texts (queries), bounded
        self._lock = threading.RLock()  # the UI may embed from several threads; encoding is serialised

    @property
    def model(self):
        if self._model is None:
            from coach.models import MODEL_LOAD_LOCK

            with MODEL_LOAD_LOCK:  # two first requests at once load it once, never beside another model's load
                if self._model is None:
                    self._model = load_sentence_transformer(self.settings)
        return self._model

    @property
    def dim(self) -> int:
        return model_dim(self.model)

    def seed(self, hashes: list[str], vectors: np.ndarray) -> None:
        """Remember vectors computed earlier by this same model (e.g. the current generation's)."""
        for h, v in zip(hashes, vectors):
            self._cache.setdefault(h, v)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Raw batched encode, no cache. Shape (n, d) float32, rows unit-length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_grouped(self, texts: list[str], spread: float = 1.6) -> np.ndarray:
        """``encode`` for a few texts of very different lengths (a whole answer beside its sentences):
        in one batch every text is padded to the longest, so a 200-word answer makes ten 20-word
        sentences cost ten times what they should. Texts are sorted by length and encoded in groups
        whose longest is at most ``spread`` times the group's shortest (in characters). The grouping is
        a pure function of the texts, so the same texts always give the same vectors."""
        texts = list(texts)
        if len(texts) <= 1:
            return self.encode(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        start = 0
        while start < len(order):
            end = start + 1
            floor = max(len(texts[order[start]]), 1)
            while end < len(order) and end - start < BATCH_SIZE and len(texts[order[end]]) <= spread * floor:
                end += 1
            part = order[start:end]
            out[part] = self.encode([texts[i] for i in part])
            start = end
        return out

    def embed_hashed(self, texts: list[str], hashes: list[str], progress=None) -> np.ndarray:
        """Vectors for ``texts``; only texts whose hash is not cached are encoded. Shape (n, d)."""
        with self._lock:
            return self._embed_hashed_locked(texts, hashes, progress)

    def _embed_hashed_locked(self, texts: list[str], hashes: list[str], progress) -> np.ndarray:
        missing = {}
        for t, h in zip(texts, hashes):
            if h not in self._cache and h not in missing:
                missing[h] = t
        log.debug("embedding %d of %d chunks (%d cached)", len(missing), len(texts), len(texts) - len(missing))
        todo = sorted(missing.items(), key=lambda item: len(item[1]))  # similar lengths batch with less padding
        step = BATCH_SIZE * 4  # progress every 4 batches; groups this big keep length-sorting efficient
        if progress:
            progress(0, len(todo), "embed")
        for start in range(0, len(todo), step):
            part = todo[start : start + step]
            vecs = self.encode([t for _, t in part])
            for (h, _), v in zip(part, vecs):
                self._cache[h] = v
            if progress:
                progress(min(start + step, len(todo)), len(todo), "embed")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[h] for h in hashes]).astype(np.float32, copy=False)

    def embed(self, texts) -> np.ndarray:
        """Embedding of arbitrary texts (queries, graders), cached in a bounded LRU. Shape (n, d)."""
        from index.chunking import text_hash

        texts = [texts] if isinstance(texts, str) else list(texts)
        hashes = [text_hash(t) for t in texts]
        with self._lock:
            return self._embed_locked(texts, hashes)

    def _embed_locked(self, texts: list[str], hashes: list[str]) -> np.ndarray:
        todo = {h: t for h, t in zip(hashes, texts) if h not in self._lru and h not in self._cache}
        if todo:
            for h, v in zip(todo, self.encode(list(todo.values()))):
                self._lru[h] = v
        out = []
        for h in hashes:
            v = self._cache.get(h)
            if v is None:
                v = self._lru[h]
                self._lru.move_to_end(h)
            out.append(v)
        while len(self._lru) > QUERY_CACHE_SIZE:
            self._lru.popitem(last=False)
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack(out).astype(np.float32, copy=False)
