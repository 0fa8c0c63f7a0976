"""Rubric vectors kept on disk, so a rubric is embedded once, not once per process.

The first answer to a question used to pay for embedding its rubric (model answer, key points,
misconceptions, corrections): about 230 ms of the 2 cores for a reviewed rubric, measured on the
bundled bench answers. ``RubricVectorStore`` keeps those vectors under
``COACH_HOME/cache/rubric-vectors/<embedding model>/<sha256>.npy``, keyed by the embedding model, the
torch and sentence-transformers versions, ``FORMAT`` (bump it when the grader embeds rubrics another
way) and the rubric's full text, written atomically, read without pickle. A missing, damaged or wrongly shaped file is
a miss (the vectors are computed again, and the same floats come back: they are a pure function of the
texts). A home that cannot be written is warned about once; grading goes on from memory.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import numpy as np

from coach.diskio import load_vectors, save_vectors

log = logging.getLogger(__name__)

FORMAT = "rubric-vectors-v1"  # Grader.rubric_vecs: one encode_grouped call over these texts, in this order


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for dist in ("torch", "sentence-transformers"):
        try:
            out.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            out.append(f"{dist}=?")
    return " ".join(out)


class RubricVectorStore:
    def __init__(self, folder: Path, model_id: str, runtime: str = ""):
        """``runtime``: what computes the vectors ("onnxruntime", "torch"): the two agree to about 2e-7, not bit for
        bit, so vectors are kept apart by runtime and a grade repeats exactly under either (a review)."""
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)[-80:] or "model"
        self.dir = Path(folder) / "rubric-vectors" / safe
        self.salt = f"{FORMAT}\x00{model_id}\x00{_versions()}" + (f"\x00{runtime}" if runtime else "")
        self._warned = False

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(f"{self.salt}\x00{key}".encode("utf-8")).hexdigest()
        return self.dir / f"{digest}.npy"

    def get(self, key: str, rows: int) -> np.ndarray | None:
        """The stored (rows, d) float32 vectors for ``key``, or None."""
        return load_vectors(self._path(key), rows)

    def put(self, key: str, vecs: np.ndarray) -> None:
        try:
            save_vectors(self._path(key), vecs)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("rubric vectors not saved in %s (%s): grading goes on, embedding each rubric once "
                            "per run", self.dir, exc.strerror or exc)
