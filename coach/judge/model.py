"""``Judge``: (premise, hypothesis) pairs -> probabilities of entailment, neutral, contradiction.

One small interface per model kind: ``scores(pairs)`` returns an (N, 3) float32 array whose columns
are always ``LABELS`` = (entailment, neutral, contradiction), whatever order the underlying model
uses (read from its ``config.json`` ``id2label``). The weights load once, lazily, on first use.

The default is the team's own model shipped in ``coach/judge/weights/`` (all-MiniLM-L6-v2's BERT
encoder with a new 3-way head, trained by ``coach judge train``). ``COACH_JUDGE_MODEL`` names any
local Hugging Face sequence-classification NLI folder instead; one whose labels cannot be mapped to
the three above is refused with one clear line.

Runtimes. In int8 (the default) the judge runs in ONNX Runtime, one pair per run: the weights are
exported from the safetensors once and quantised to int8 (per output channel), cached under the user
cache folder by the weights' hash. Dynamic int8 quantisation picks one activation scale per run, so
running each pair alone makes its probabilities independent of the other pairs asked with it. The
int8 weights are stored as unsigned bytes offset by 128 (the same numbers): ONNX Runtime's kernel for
signed weights on a CPU without VNNI (AVX2 only, e.g. AMD Zen 3) adds byte products in saturating
16-bit sums, which moved a logit by up to 0.53 and changed grades, while its unsigned-by-unsigned kernel
computes exactly on every CPU, as a VNNI CPU does for signed ones. The output is the export's exact
integer arithmetic on any CPU (a test compares it with ONNX's own numpy evaluator). Each run
uses one core, and a call's pairs are spread over one thread per physical core (ONNX Runtime releases
the GIL): on 2 cores that halves the judge's time, where two intra-op threads on one pair gained nothing
(measured on the 2,033 pairs of the drafted bench, identical outputs either way). torch's
int8 (``COACH_JUDGE_RUNTIME=torch``) shares that scale over a batch of 32, where a pair moved by up to
0.41 with its neighbours. fp32 (``COACH_JUDGE_INT8=0``) runs in torch in batches sorted by length.

Determinism: eval mode, no sampling, pairs are scored in a fixed order, and probabilities are rounded
to 1e-5, so the same pairs always give the same output.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np

from coach.config import JUDGE_RUNTIMES as RUNTIMES
from coach.config import physical_cores
from coach.errors import CoachError
from coach.models import MODEL_LOAD_LOCK  # one lock for every lazy model load in the process
from coach.onnx_models import cache_dir, export_fp32, open_or_export, weights_key
from coach.onnx_models import one_line as _one_line

log = logging.getLogger(__name__)

ENTAILMENT, NEUTRAL, CONTRADICTION = 0, 1, 2
LABELS = ("entailment", "neutral", "contradiction")
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MAX_TOKENS = 256  # (premise, hypothesis) pairs are truncated to this many word pieces, longest side first
ONNX_FORMAT = "judge-int8-v2"  # part of the cache key: bump when the export or quantisation changes

_ALIASES = {
    "entailment": ENTAILMENT, "entail": ENTAILMENT, "entails": ENTAILMENT, "entailed": ENTAILMENT,
    "neutral": NEUTRAL, "neither": NEUTRAL,
    "contradiction": CONTRADICTION, "contradict": CONTRADICTION, "contradicts": CONTRADICTION,
    "contradictory": CONTRADICTION,
}


class JudgeError(CoachError):
    """The judgement model cannot be used (missing, or labels it cannot map). One clear line."""


def label_order(config: dict, where: str = "the judge model") -> list[int]:
    """For each output index of the model, the index into LABELS. Refuses unmappable label sets."""
    id2label = config.get("id2label") or {}
    if len(id2label) != 3:
        raise JudgeError(
            f"{where} has {len(id2label)} labels {sorted(map(str, id2label.values()))}; "
            "an NLI judge needs exactly entailment, neutral and contradiction (set COACH_JUDGE_MODEL)"
        )
    order = []
    for i in range(3):
        name = str(id2label.get(str(i), id2label.get(i, ""))).strip().lower()
        if name not in _ALIASES:
            raise JudgeError(
                f"{where}: cannot map label {name!r} (labels {sorted(str(v) for v in id2label.values())}) to "
                "entailment/neutral/contradiction; fix its config.json id2label or set COACH_JUDGE_MODEL"
            )
        order.append(_ALIASES[name])
    if sorted(order) != [0, 1, 2]:
        raise JudgeError(f"{where}: labels {sorted(str(v) for v in id2label.values())} repeat a class")
    return order


def resolve_judge_path(spec: str = "default") -> Path:
    if spec in ("", "default"):
        path = WEIGHTS_DIR
        if not (path / "config.json").exists():
            raise JudgeError(
                f"the bundled judge model is missing from {path}: run `coach judge train` or set COACH_JUDGE_MODEL"
            )
        return path
    path = Path(spec).expanduser()
    if not (path / "config.json").exists():
        raise JudgeError(
            f"COACH_JUDGE_MODEL={spec!r} is not a local Hugging Face model folder with a config.json "
            "(no network is used)"
        )
    return path


# The tokenizer reads these in raw text as its own control tokens: untrusted text (an answer, a source)
# must not restructure the pair the model reads ("claim [SEP] [CLS]" moved a probability by 0.37).
SPECIAL_TOKENS = re.compile(r"\[(?:SEP|CLS|PAD|MASK|UNK)\]", re.I)


def strip_special_tokens(text) -> str:
    return SPECIAL_TOKENS.sub(" ", str(text or ""))


class Judge:
    """A cross-encoder NLI model, loaded lazily once. Thread-safe for concurrent ``scores`` calls."""

    def __init__(self, path: str | Path = "default", *, batch_size: int = 32, threads: int = 0, int8: bool = True,
                 runtime: str = "auto"):
        self.path = resolve_judge_path(str(path))
        self.batch_size = batch_size
        self.threads = threads
        # int8 quantisation of the Linear layers: faster on CPU than fp32; `coach eval judge` reports
        # both precisions' accuracy, `coach bench --only judge` their speed.
        self.int8 = int8
        if runtime not in RUNTIMES:
            raise JudgeError(f"COACH_JUDGE_RUNTIME={runtime!r}: choose one of {', '.join(RUNTIMES)}")
        self.runtime = runtime
        config = json.loads((self.path / "config.json").read_text(encoding="utf-8"))
        self.order = label_order(config, where=f"judge model {self.path}")
        self._model = None
        self._tok = None
        self._session = None
        self._inputs: set[str] = set()
        self._pool = None  # ThreadPoolExecutor spreading a call's pairs over the cores (ONNX Runtime only)
        self._pool_pid = 0  # the process that started it (a forked child starts its own)
        self._pool_lock = threading.Lock()

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def backend(self) -> str:
        """Where the pairs run: "onnxruntime-int8", "torch-int8" or "torch-fp32"."""
        if not self.int8:
            return "torch-fp32"
        if self.runtime == "torch":
            return "torch-int8"
        if self.runtime == "auto":
            try:
                import onnxruntime  # noqa: F401
            except ImportError:
                return "torch-int8"
        return "onnxruntime-int8"

    @property
    def workers(self) -> int:
        """Threads that run pairs at once in ONNX Runtime (``threads``, else the physical cores)."""
        return max(1, self.threads or physical_cores())

    def load(self) -> None:
        """Load the weights now (otherwise on first use)."""
        self._load()

    def _load(self):
        if self._model is None and self._session is None:
            with MODEL_LOAD_LOCK:
                if self._model is None and self._session is None:
                    if self.backend == "onnxruntime-int8":
                        try:
                            # everything is ready before the session is published: a caller that sees
                            # the session without taking the lock finds the tokenizer and inputs too
                            session = _onnx_session(self.path)
                            self._tok = _tokenizer(self.path)
                            self._inputs = {i.name for i in session.get_inputs()}
                            self._session = session
                            return self._tok, self._session
                        except Exception as exc:  # noqa: BLE001 - export, cache folder or runtime failure
                            self._session = None
                            if self.runtime == "onnxruntime":
                                raise JudgeError(f"the judge cannot run in ONNX Runtime: {_one_line(exc)}") from exc
                            log.warning("judge: ONNX Runtime unavailable (%s); running torch int8, whose output "
                                        "depends on the batch", _one_line(exc))
                            self.runtime = "torch"
                    import torch

                    if self.threads:  # torch's thread count is process-wide: only the torch runtimes set it
                        torch.set_num_threads(self.threads)
                    tok, model = _tokenizer(self.path), _fp32_model(self.path)
                    self._tok, self._model = tok, (_quantize(model) if self.int8 else model)
        return self._tok, (self._session if self._session is not None else self._model)

    def _worker_pool(self) -> ThreadPoolExecutor:
        """The threads that share a call's pairs (``workers`` - 1; the caller's thread is the other one),
        started on first use, and again in a forked child, which inherits the pool without its threads
        (its jobs would never run)."""
        with self._pool_lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(max_workers=max(1, self.workers - 1), thread_name_prefix="coach-judge")
                self._pool_pid = os.getpid()
            return self._pool

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """(N, 3) raw logits in LABELS order."""
        if not pairs:
            return np.zeros((0, 3), dtype=np.float32)
        tok, model = self._load()
        pairs = [(strip_special_tokens(p), strip_special_tokens(h)) for p, h in pairs]
        if self._session is not None:
            return self._onnx_logits(tok, pairs)
        import torch

        # Sort by length so batches pad little; the order is a pure function of the input (stable sort).
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out = np.zeros((len(pairs), 3), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = tok(
                    [pairs[i][0] for i in idx], [pairs[i][1] for i in idx],
                    padding=True, truncation="longest_first", max_length=MAX_TOKENS, return_tensors="pt",
                )
                logits = model(**enc).logits.float().numpy()  # (B, 3) in the model's own label order
                out[idx] = logits[:, np.argsort(self.order)]
        return out

    def _onnx_logits(self, tok, pairs: list[tuple[str, str]]) -> np.ndarray:
        """One run per pair: no padding, and no activation scale shared with other pairs, so a pair's
        output is the same whatever it is run with, on whichever thread. Hence two cheap savings that
        change no output: a pair asked twice in one call is run once, and ``workers`` threads (this one
        included) each take the next pair not yet taken, longest first, so a thread slowed by other
        work (the answer scorer runs beside the judge) takes fewer pairs instead of holding up the call."""
        distinct: dict[tuple[str, str], int] = {}  # each distinct pair -> its row among the runs
        rows = [distinct.setdefault(pair, len(distinct)) for pair in pairs]
        todo = list(distinct)
        enc = tok([p for p, _ in todo], [h for _, h in todo], truncation="longest_first", max_length=MAX_TOKENS)
        names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in self._inputs]
        # longest first (ties in input order): the last pairs taken are the short ones, so threads finish together
        queue = sorted(range(len(todo)), key=lambda j: -len(enc["input_ids"][j]))
        taken = itertools.count()  # next() on a count is atomic under the GIL: each pair is taken once
        failed = threading.Event()
        runs = np.zeros((len(todo), 3), dtype=np.float32)

        def run() -> None:
            try:
                for n in taken:
                    if n >= len(queue) or failed.is_set():
                        return
                    j = queue[n]
                    runs[j] = self._session.run(None, {k: np.asarray([enc[k][j]], dtype=np.int64) for k in names})[0][0]
            except BaseException:
                failed.set()  # the other threads stop taking pairs; the error is raised to the caller
                raise

        threads = min(self.workers, len(todo))
        pool = self._worker_pool() if threads > 1 else None
        others = [pool.submit(run) for _ in range(1, threads)]
        try:
            run()
        finally:
            wait(others)  # no thread still writing once the call has returned or raised
        for job in others:
            job.result()  # re-raises a worker's error here
        out = runs[rows]  # a repeated pair copies its one run
        return out[:, np.argsort(self.order)]  # the model's own label order -> LABELS

    def scores(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """(N, 3) probabilities, columns LABELS = (entailment, neutral, contradiction), rows sum to 1."""
        z = self.logits(pairs)
        if not len(z):
            return z
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return np.round(p, 5).astype(np.float32)


def _quantize(model):
    """torch's dynamic int8 (one activation scale per batch): the judge's torch runtime, the scorer's int8."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's deprecation notice: the API still works in 2.13
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def onnx_cache_dir() -> Path:
    """Where exported judges are kept (``COACH_CACHE_DIR``, else the user cache folder)."""
    return cache_dir("judge")


def _weights_key(path: Path) -> str:
    """A hash of every file in the model's folder, the export format and the library versions."""
    return weights_key(path, ONNX_FORMAT)


def export_onnx_int8(path: Path, target: Path) -> Path:
    """Export the model at ``path`` to ONNX and quantise it to int8 at ``target`` (written atomically)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tok, model = _tokenizer(path), _fp32_model(path)
    enc = tok(["a premise"] * 2, ["a hypothesis"] * 2, return_tensors="pt", padding=True)
    names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        export_fp32(model, {k: enc[k] for k in names}, "logits", fp32)

        def hint(record) -> bool:  # onnxruntime's pre-processing advice, logged on the root logger
            return not str(record.msg).startswith("Please consider to run pre-processing")

        logging.getLogger().addFilter(hint)
        try:
            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.getLogger().removeFilter(hint)
        exact_integer_weights(int8)
        os.replace(int8, target)
    return target


def exact_integer_weights(path: Path) -> int:
    """Rewrite the signed int8 weights of every ``MatMulInteger`` in the ONNX file at ``path`` as unsigned
    bytes offset by 128, with zero point 128: the same integers after the zero point is taken off, so
    the model computes the same numbers, but ONNX Runtime runs them in its uint8 x uint8 kernel, exact on
    every CPU. Its int8 kernel on CPUs without VNNI (AVX2 only) sums pairs of byte products in saturating
    16-bit registers (ONNX Runtime's quantisation guide: "saturation"), so the judge's output, and the
    grades built on it, depended on the CPU. Returns how many weight tensors were rewritten."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    inits = {t.name: t for t in model.graph.initializer}
    done: set[str] = set()
    for node in model.graph.node:
        if node.op_type != "MatMulInteger":
            continue
        weight = node.input[1]
        if weight not in inits:
            raise JudgeError(f"judge export: MatMulInteger {node.name!r} has no stored weight {weight!r}")
        if weight not in done and numpy_helper.to_array(inits[weight]).dtype == np.uint8:
            continue  # unsigned weights already run in the exact kernel
        zero = node.input[3] if len(node.input) > 3 else ""
        if zero and zero not in inits:
            raise JudgeError(f"judge export: MatMulInteger {node.name!r} has no stored weight zero point {zero!r}")
        if not zero:  # an implied zero point of 0: store it, so that it is shifted with the weights
            zero = f"{weight}_zero_point"
            if zero not in inits:
                cols = numpy_helper.to_array(inits[weight]).shape[-1]
                model.graph.initializer.append(numpy_helper.from_array(np.zeros(cols, dtype=np.int8), zero))
                inits[zero] = model.graph.initializer[-1]  # append copies: edit the graph's own tensor
            inputs = list(node.input) + [""] * (4 - len(node.input))
            inputs[3] = zero
            del node.input[:]
            node.input.extend(inputs)
        for name in (weight, zero):
            if name in done:
                continue
            values = numpy_helper.to_array(inits[name])
            if values.dtype != np.int8:
                raise JudgeError(f"judge export: {name!r} holds {values.dtype}, not int8")
            # w - z == (w + 128) - (z + 128): the same integers, stored unsigned
            inits[name].CopyFrom(numpy_helper.from_array((values.astype(np.int16) + 128).astype(np.uint8), name))
            done.add(name)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return len(done)


def _tokenizer(path: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def _fp32_model(path: Path):
    """The model at ``path`` in fp32, eval mode (torch's inference mode, no dropout), no progress bar."""
    import torch
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar in chats and logs
    model = AutoModelForSequenceClassification.from_pretrained(str(path), local_files_only=True, dtype=torch.float32)
    model.eval()
    return model


def _onnx_session(path: Path):
    """An ONNX Runtime session of the int8 judge, exporting it first when the cache lacks it. One thread
    per run: ``Judge`` runs several pairs at once instead."""
    target = onnx_cache_dir() / f"{path.name}-{_weights_key(path)}.onnx"
    return open_or_export(target, "judge (int8)", lambda t: export_onnx_int8(path, t), threads=1)


_CACHE: dict[tuple[str, bool, str], Judge] = {}
_CACHE_LOCK = threading.Lock()


def load_judge(settings=None) -> Judge:
    """The configured judge (``COACH_JUDGE_MODEL``), one instance per process and path."""
    spec = getattr(settings, "judge_model", "default") if settings is not None else "default"
    int8 = bool(getattr(settings, "judge_int8", True)) if settings is not None else True
    runtime = str(getattr(settings, "judge_runtime", "auto")) if settings is not None else "auto"
    with _CACHE_LOCK:
        if (spec, int8, runtime) not in _CACHE:
            _CACHE[(spec, int8, runtime)] = Judge(spec, int8=int8, runtime=runtime)
        return _CACHE[(spec, int8, runtime)]
