"""The small JSON model files the grader ships (``attempt_model.json``, ``story_model.json``, ``prompt_model.json``):
written atomically and readable like the repository's other files, and loaded only for the embedding model whose
vectors they read. JSON, never pickle."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Callable, TypeVar

log = logging.getLogger(__name__)
M = TypeVar("M")


def save_json(path: Path, data: dict) -> None:
    from coach.diskio import write_text_atomic

    write_text_atomic(Path(path), json.dumps(data, indent=1) + "\n")
    Path(path).chmod(0o644)  # a file of the repository, readable like the others


def read_json(path: Path, what: str) -> dict:
    """The file's JSON object, refused (ValueError) unless it is one of format 1: "not a story model (format 1)"."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or raw.get("format") != 1:
        raise ValueError(f"{path}: not a {what} (format 1)")
    return raw


def load_for_embedder(load: Callable[[Path], M], path: Path, model_id: str, what: str, without: str) -> M | None:
    """``load(path)`` where the file is there, sound and reads ``model_id``'s vectors; else None, logged as ``what``
    (e.g. "the story model") and what the grader does ``without`` it."""
    try:
        model = load(path)
    except FileNotFoundError:
        log.info("no %s at %s: %s", what, path, without)
        return None
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("%s unusable (%s): %s", what, exc, without)
        return None
    if model.embedding_model != model_id:
        log.info("%s reads %s vectors, not %s: %s", what, model.embedding_model, model_id, without)
        return None
    return model
