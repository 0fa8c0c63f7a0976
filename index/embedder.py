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
from pathlib import Path

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
    model = SentenceTransformer(path, device="cpu")
    runtime = str(getattr(settings, "fp32_runtime", "auto"))
    from coach.onnx_models import one_line, use_onnxruntime

    if not use_onnxruntime(runtime):
        return model
    try:
        return OnnxSentenceModel(model, _local_folder(path))
    except Exception as exc:  # noqa: BLE001 - an unsupported layout, the export or the runtime failed
        if runtime == "onnxruntime":
            raise CoachError(f"the embedding model cannot run in ONNX Runtime: {one_line(exc)}") from exc
        log.warning("embedding model: cannot run in ONNX Runtime (%s); running in torch", one_line(exc))
        return model


def _local_folder(path: str) -> Path:
    """The folder holding a model's files: ``path`` itself, or the local snapshot of a hub id (offline)."""
    if Path(path).is_dir():
        return Path(path)
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(path, local_files_only=True))


class OnnxSentenceModel:
    """A sentence-transformers model whose encoder runs in ONNX Runtime (fp32, ``COACH_FP32_RUNTIME``;
    coach/onnx_models.py): the model's own tokenisation, then the exported encoder, then its mean pooling
    and normalisation in numpy. Only the layout the bundled model has (a transformer, mean pooling, an
    optional normalisation) is taken; any other raises, and the caller keeps the torch model. ``encode``
    takes the arguments the coach passes to sentence-transformers' ``encode`` and returns numpy arrays."""

    def __init__(self, model, path: Path):
        from coach.config import physical_cores
        from coach.onnx_models import cached_session, export_fp32

        mods = list(model)
        kinds = [type(m).__name__ for m in mods]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            raise CoachError(f"modules {kinds}: only Transformer, Pooling(mean)[, Normalize] run in ONNX Runtime")
        if getattr(mods[1], "pooling_mode", None) != "mean":
            raise CoachError(f"pooling {getattr(mods[1], 'pooling_mode', '?')!r}: only mean pooling runs in ONNX Runtime")
        if getattr(model, "default_prompt_name", None) or getattr(model, "truncate_dim", None):
            raise CoachError("a default prompt or a truncated dimension: only plain encoding runs in ONNX Runtime")
        self.st = model
        self.normalise = len(mods) == 3
        self.dim = int(model_dim(model))
        encoder = mods[0].auto_model
        sample = self._features(["a sentence", "another one"])

        def export(target: Path) -> None:
            import torch

            class Hidden(torch.nn.Module):  # the encoder's token vectors: pooling runs in numpy
                def __init__(self, inner):
                    super().__init__()
                    self.inner = inner

                def forward(self, **kw):
                    return self.inner(**kw).last_hidden_state

            export_fp32(Hidden(encoder), {k: torch.as_tensor(v) for k, v in sample.items()}, "hidden", target)

        self.session = cached_session(path, "embedder", export, physical_cores())
        self.inputs = [i.name for i in self.session.get_inputs()]

    def _features(self, texts: list[str]) -> dict[str, np.ndarray]:
        prep = getattr(self.st, "preprocess", None) or self.st.tokenize
        feats = prep(texts)
        return {k: np.asarray(v, dtype=np.int64) for k, v in feats.items()
                if k in ("input_ids", "attention_mask", "token_type_ids")}

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, sentences, batch_size: int = 32, show_progress_bar=None, convert_to_numpy: bool = True,
               normalize_embeddings: bool = False, **options) -> np.ndarray:
        """sentence-transformers' ``encode`` for the arguments the coach passes; any other option (a prompt,
        a truncated dimension, tensors) goes to the torch model, which knows them all."""
        if options or not convert_to_numpy:
            return self.st.encode(sentences, batch_size=batch_size, show_progress_bar=show_progress_bar,
                                  convert_to_numpy=convert_to_numpy, normalize_embeddings=normalize_embeddings,
                                  **options)
        single = isinstance(sentences, str)
        texts = [sentences] if single else list(sentences)
        for t in texts:
            if not isinstance(t, str):  # as sentence-transformers: an upstream bug is not embedded as "None"
                raise ValueError(f"Unsupported input type: {type(t).__name__}; the embedding model takes text")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # longest first, as sentence-transformers
        for start in range(0, len(order), max(1, int(batch_size))):
            idx = order[start : start + max(1, int(batch_size))]
            feats = self._features([texts[i] for i in idx])
            hidden = self.session.run(None, {k: feats[k] for k in self.inputs})[0]
            mask = feats["attention_mask"][..., None].astype(np.float32)
            vecs = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            if self.normalise or normalize_embeddings:
                vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            out[idx] = vecs
        return out[0] if single else out


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
