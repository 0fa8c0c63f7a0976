"""Split records into the chunks that get embedded and keyword-indexed.

Every record yields one *title chunk* (its question alone: paraphrased questions match it best) and one
or more *body chunks* (question + a window of the answer). Long answers are cut into overlapping windows
of words, each prefixed with the question so a chunk still says what it is about.

Simplified on purpose: windows count whitespace-separated words, not model tokens. 120 words stay well
under all-MiniLM-L6-v2's 256-token limit for English prose; code-heavy text may be truncated by the model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

CHUNK_WORDS = 120  # words of answer per body chunk
OVERLAP_WORDS = 30  # words shared by consecutive body chunks


@dataclass
class Chunk:
    record_id: str
    text: str
    hash: str  # sha256 of text: the embedding-cache key (with the model id)
    source: str
    topic: str
    kind: str  # "title" | "body"

    def to_dict(self) -> dict:
        return {
            "record_id": self.record_id,
            "text": self.text,
            "hash": self.hash,
            "source": self.source,
            "topic": self.topic,
            "kind": self.kind,
        }


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def windows(words: list[str], size: int = CHUNK_WORDS, overlap: int = OVERLAP_WORDS) -> list[list[str]]:
    """Overlapping windows over ``words``; the last window ends exactly at the last word."""
    if size <= overlap:
        raise ValueError("chunk size must exceed the overlap")
    if len(words) <= size:
        return [words]
    out, step = [], size - overlap
    for start in range(0, len(words), step):
        out.append(words[start : start + size])
        if start + size >= len(words):
            break
    return out


def chunk_record(record, size: int = CHUNK_WORDS, overlap: int = OVERLAP_WORDS) -> list[Chunk]:
    """Chunks for one ``corpus.records.Record`` (title chunk first)."""
    question = " ".join(record.question.split())
    texts = [(question, "title")]
    words = record.answer.split()
    if words:
        for win in windows(words, size, overlap):
            texts.append((f"{question}\n{' '.join(win)}", "body"))
    return [
        Chunk(record.id, t, text_hash(t), record.source, record.topic, kind)
        for t, kind in texts
        if t.strip()
    ]


def chunk_records(records) -> list[Chunk]:
    return [c for r in records for c in chunk_record(r)]
