"""fp32 models in ONNX Runtime: the embedding model's encoder and the answer scorer.

Both compute the same numbers as in torch (unit vectors within about 2e-7; the scorer's output, rounded
to 1e-5, identical on the bench's 360 drafted grades), and a grade takes about a fifth less time on
2 cores (README, "fp32 models in ONNX Runtime"): no per-layer Python overhead, and no spinning threads
taking a core from the judge and the scorer that run beside the embedding model. ``COACH_FP32_RUNTIME``
chooses: "auto" (ONNX Runtime when installed, else torch), "onnxruntime", "torch".

Each model is exported from its weights once and cached under the user cache folder by a hash of the
files in its folder and subfolders, the export format and the library versions, as the int8 judge is
(``coach/judge/model.py``). The export is written in a temporary folder and renamed, so a crash never
leaves half a file under the cached name; a cached file that cannot be read is exported again; what a
killed export left, and exports no process has opened for 30 days, are removed when the next one is made.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Callable

from coach.config import JUDGE_RUNTIMES as RUNTIMES
from coach.errors import CoachError

log = logging.getLogger(__name__)

FP32_FORMAT = "fp32-v1"  # part of the cache key: bump when the export changes


class RuntimeChoiceError(CoachError):
    """A model cannot run where ``COACH_FP32_RUNTIME`` asks. One clear line."""


def one_line(exc: BaseException) -> str:
    """An error as one short line (a message may carry a path on a line of its own)."""
    return (" ".join(str(exc).split()) or type(exc).__name__)[:300]


def cache_dir(kind: str) -> Path:
    """Where exported models of one kind are kept (``COACH_CACHE_DIR``, else the user cache folder)."""
    import platformdirs

    base = os.environ.get("COACH_CACHE_DIR") or platformdirs.user_cache_dir("interview-coach", appauthor=False)
    return Path(base) / kind


def weights_key(path: Path, fmt: str) -> str:
    """A hash of every file in the model's folder and its subfolders (whatever holds the weights:
    safetensors, a torch .bin, a sentence-transformers module folder such as ``0_Transformer/``), the
    export format ``fmt`` and the library versions that produce the export. Files at the top are hashed
    first, as they always were, so a folder without subfolders (the judge's) keeps its key."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:
            return "none"

    def add(h, name: str, f: Path) -> None:
        h.update(f"{name}\0{f.stat().st_size}\0".encode())
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)

    path = Path(path)
    libs = " ".join(f"{d} {installed(d)}" for d in ("torch", "onnxruntime", "onnx", "transformers"))
    h = hashlib.sha256(f"{fmt} {libs}".encode())
    for name in sorted(os.listdir(path)):
        if (path / name).is_file():
            add(h, name, path / name)
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        here = Path(root)
        if here == path:
            continue
        for name in sorted(files):
            add(h, (here / name).relative_to(path).as_posix(), here / name)
    return h.hexdigest()[:20]


def use_onnxruntime(runtime: str) -> bool:
    """Whether ``runtime`` (one of auto / onnxruntime / torch) runs fp32 models in ONNX Runtime."""
    runtime = str(runtime or "auto").strip().lower()
    if runtime not in RUNTIMES:
        raise RuntimeChoiceError(f"COACH_FP32_RUNTIME={runtime!r}: choose one of {', '.join(RUNTIMES)}")
    if runtime == "torch":
        return False
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        if runtime == "onnxruntime":
            raise RuntimeChoiceError("COACH_FP32_RUNTIME=onnxruntime but onnxruntime is not installed") from None
        return False
    return True


def cpu_session(path: Path, threads: int):
    """An ONNX Runtime CPU session with ``threads`` intra-op threads that sleep instead of spinning when
    idle: a spinning thread holds a core that the judge and the scorer, running beside it, need."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, int(threads))
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def export_fp32(module, inputs: dict, output: str, target: Path) -> Path:
    """Export the torch ``module`` (called with ``inputs`` as keyword arguments, each with dynamic batch
    and token axes) to ONNX at ``target``, written to a temporary file first and renamed."""
    import warnings

    import torch

    class _Keywords(torch.nn.Module):  # ONNX export passes positional inputs; the model takes keywords
        def __init__(self, inner, names):
            super().__init__()
            self.inner, self.names = inner, names

        def forward(self, *args):
            return self.inner(**dict(zip(self.names, args)))

    names = list(inputs)
    target.parent.mkdir(parents=True, exist_ok=True)
    # a folder of our own beside the target: the file gets the usual permissions (other users of a shared
    # cache can read it), and a crash leaves nothing under the cached name
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        part = Path(tmp) / "model.onnx"
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Keywords(module, names).eval(), tuple(inputs[k] for k in names), str(part), input_names=names,
                output_names=[output], dynamic_axes={**{k: {0: "batch", 1: "tokens"} for k in names}, output: {0: "batch"}},
                opset_version=17, dynamo=False,
            )
        os.replace(part, target)
    return target


UNUSED_EXPORT_DAYS = 30  # an export no process has opened for this long is removed when another one is made


def remove_stale_exports(folder: Path, older_than_s: float = 3600.0, keep: Path | None = None) -> int:
    """Remove what a killed export left in ``folder`` (``.export-*`` older than ``older_than_s``: an export
    takes seconds, so an older one is no one's work in progress), and exports no process has opened for
    ``UNUSED_EXPORT_DAYS`` (each open touches its file: ``touch``), such as those of weights or library
    versions replaced since, except ``keep``. Returns how many were removed."""
    import shutil
    import time

    removed = 0
    if not folder.is_dir():
        return 0
    now = time.time()
    for entry in [*folder.glob(".export-*"), *folder.glob("*.onnx")]:
        try:
            limit = older_than_s if entry.name.startswith(".export-") else UNUSED_EXPORT_DAYS * 86400
            if entry == keep or now - entry.stat().st_mtime < limit:
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
        except OSError:  # another process removed it first, or it is not ours to remove
            continue
    return removed


def touch(path: Path) -> None:
    """Mark an export as used now (``remove_stale_exports`` keeps what was used in the last 30 days)."""
    try:
        os.utime(path)
    except OSError:  # a read-only shared cache: it is still used, just not marked
        pass


def open_or_export(target: Path, what: str, export: Callable[[Path], object], threads: int):
    """The session of the export at ``target``; ``export(target)`` writes it when the cache lacks it (or
    holds a file that cannot be read). Opening marks it used (``touch``); exporting first removes what
    killed or long-unused exports left in its folder."""
    if target.exists():
        try:
            session = cpu_session(target, threads)
            touch(target)
            return session
        except Exception as exc:  # noqa: BLE001 - a damaged cache file (a crash mid-copy, a full disk): export again
            log.warning("%s: the cached export %s cannot be read (%s); exporting it again", what, target, one_line(exc))
    log.info("exporting the %s to ONNX at %s (once, seconds)", what, target)
    remove_stale_exports(target.parent, keep=target)
    export(target)
    return cpu_session(target, threads)


def cached_session(model_dir: Path, kind: str, export: Callable[[Path], object], threads: int):
    """The session of the fp32 export of the model at ``model_dir`` (``open_or_export``)."""
    model_dir = Path(model_dir)
    target = cache_dir("fp32") / f"{kind}-{model_dir.name}-{weights_key(model_dir, FP32_FORMAT)}.onnx"
    return open_or_export(target, kind, export, threads)
