"""LangChain adapter: ``CoachRetriever`` exposes ``CoachIndex.search`` as a ``BaseRetriever``.

Each hit becomes a ``Document`` whose page_content is the record's question and answer and whose
metadata carries provenance: id, source, line_start, line_end, topic, score (plus the chunk that
matched and the per-retriever ranks). The core index does not depend on LangChain.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


class CoachRetriever(BaseRetriever):
    """``CoachRetriever(index=CoachIndex(settings), k=5, mode="hybrid", source=None, topic=None)``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any
    k: int = 5
    mode: str = "hybrid"
    source: str | list[str] | None = None
    topic: str | list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.index.search(query, k=self.k, mode=self.mode, source=self.source, topic=self.topic)
        return [
            Document(
                page_content=f"{h.record.question}\n{h.record.answer}",
                id=h.record.id,
                metadata={
                    "id": h.record.id,
                    "source": h.record.source,
                    "line_start": h.record.line_start,
                    "line_end": h.record.line_end,
                    "topic": h.record.topic,
                    "score": h.score,
                    "ranks": h.ranks,
                    "chunk": h.chunk_text,
                },
            )
            for h in hits
        ]
