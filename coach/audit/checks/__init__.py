"""Named audit checks. Each is ``check_<name>(claims, context) -> list[Flag]`` in ``checks/<name>.py``.

Per-source checks (``code``, ``arithmetic``, ``knowledge``, ``llm``) see one source's claims at a time and
are cached by the source's sha256; ``cross_source`` sees every source's claims and is recomputed each run.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

PER_SOURCE = ("code", "arithmetic", "knowledge", "llm")
CROSS_SOURCE = ("cross_source",)
ALL_CHECKS = PER_SOURCE + CROSS_SOURCE
DEFAULT_CHECKS = ("code", "arithmetic", "knowledge", "cross_source", "llm")
PRIORITY = {name: i for i, name in enumerate(("code", "arithmetic", "knowledge", "llm", "cross_source"))}


@dataclass
class AuditContext:
    """What a check may use besides the claims: settings, the knowledge base, records, an embedder."""

    settings: Any = None
    kb: Any = None
    records: dict = field(default_factory=dict)  # record_id -> Record
    embedder: Any = None  # a SentenceTransformer-like object with .encode, or None (loaded lazily when needed)
    llm: Any = None  # an object with .generate(prompt) (tests), else loaded from settings when trusted


def get_check(name: str):
    if name not in ALL_CHECKS:
        raise KeyError(name)
    module = importlib.import_module(f"coach.audit.checks.{name}")
    return getattr(module, f"check_{name}")
