"""Index stage: embed, store, search and incrementally re-index records. Knows nothing of interviews.

Public API: ``CoachIndex(settings)`` (build/add/remove/status/search/records/get/exists/embed) and the
``Hit`` search result; ``index.langchain.CoachRetriever`` adapts it to LangChain.
"""

from index.core import CoachIndex
from index.search import Hit

__all__ = ["CoachIndex", "Hit"]
