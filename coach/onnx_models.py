"""fp32 models in ONNX Runtime: the embedding model's encoder and the answer scorer.

Both compute the same numbers as in torch (unit vectors within about 2e-7; the scorer's output, rounded
to 1e-5, identical on the bench's 360 drafted grades), and a grade takes about a fifth less time on
2 cores (README, "fp32 models in ONNX Runtime"): no per-layer Python overhead, and no spinning threads
taking a core from the judge and the scorer that run beside the embedding model. ``COACH_FP32_RUNTIME``
chooses: "auto" (ONNX Runtime when installed, else torch), "onnxruntime", "torch".

Each model is exported from its weights once and cached under the user cache folder by a hash of its
folder's files, the export format and the library versions, as the int8 judge is
(``coach/judge/model.py``). The export is written to a temporary file and renamed, so a crash never
leaves half a file under the cached name; a cached file that cannot be read is exported again.
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
    """A hash of every file in the model's folder (whatever holds the weights: safetensors, a torch .bin),
    the export format ``fmt`` and the library versions that produce the export."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:
            return "none"

    libs = " ".join(f"{d} {installed(d)}" for d in ("torch", "onnxruntime", "onnx", "transformers"))
    h = hashlib.sha256(f"{fmt} {libs}".encode())
    for name in sorted(os.listdir(path)):
        f = Path(path) / name
        if f.is_file():
            h.update(f"{name}\0{f.stat().st_size}\0".encode())
            with open(f, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
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
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".export-", suffix=".onnx")
    os.close(fd)
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Keywords(module, names).eval(), tuple(inputs[k] for k in names), tmp, input_names=names,
                output_names=[output], dynamic_axes={**{k: {0: "batch", 1: "tokens"} for k in names}, output: {0: "batch"}},
                opset_version=17, dynamo=False,
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def cached_session(model_dir: Path, kind: str, export: Callable[[Path], object], threads: int):
    """The session of the fp32 export of the model at ``model_dir``; ``export(target)`` writes it when the
    cache lacks it (or holds a file that cannot be read)."""
    model_dir = Path(model_dir)
    target = cache_dir("fp32") / f"{kind}-{model_dir.name}-{weights_key(model_dir, FP32_FORMAT)}.onnx"
    if target.exists():
        try:
            return cpu_session(target, threads)
        except Exception as exc:  # noqa: BLE001 - a damaged cache file (a crash mid-copy, a full disk): export again
            log.warning("%s: the cached export %s cannot be read (%s); exporting it again", kind, target, one_line(exc))
    log.info("exporting the %s to ONNX at %s (once)", kind, target)
    export(target)
    return cpu_session(target, threads)
