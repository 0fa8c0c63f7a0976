"""Interview Coach: the interview stage (questions, grading, source audit, LLM runtime, sessions)."""

__version__ = "0.1.0"
