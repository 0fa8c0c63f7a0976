"""Interview Coach: the interview stage (questions, grading, source audit, LLM runtime, sessions)."""

import os

# Before torch is imported anywhere: OpenMP threads that spin while waiting starve each other (and
# every other process) on a busy 2-core machine; measured here, a 6-sentence MiniLM encode took
# 1.5 s with the default policy under load and 0.05 s with PASSIVE. Users can still override it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"
