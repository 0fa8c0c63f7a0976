"""Corpus stage: load files, repair text, strip boilerplate, split into attributed Q/A records.

Public API::

    parse_file(path, source=None, *, max_bytes=20 MB, embedder=None) -> ParsedSource   # raises SkippedFile
    parse_paths(paths, *, max_bytes=20 MB, embedder=None) -> list[ParsedSource]         # skips are logged
    parse_batch(paths, *, max_bytes=20 MB, embedder=None) -> Batch(sources, skipped)
    group_and_tag(parsed, embedder=None, threshold=0.92) -> None                         # topic + group_id

``embedder`` is None (group by normalised question text only: fast, no model), ``"default"`` (load the
configured all-MiniLM-L6-v2), a loaded SentenceTransformer, or anything with ``encode(texts) -> (n, d)``
(e.g. ``index.embedder.Embedder``).

File map: ``text.py`` (decode, mojibake, lines) · ``loaders.py`` (txt/md/html/pdf -> Document, skips) ·
``html.py`` (main-content extraction) · ``boilerplate.py`` (what is not content) · ``blocks.py`` (code/list/
table lines and Blocks) · ``segment.py`` (questions and answers) · ``passages.py`` (sources without Q/A) ·
``topics.py`` (topic keywords) · ``grouping.py`` (group_id across sources) · ``pipeline.py`` (end to end) ·
``records.py`` (the Record contract).
"""

from corpus.grouping import group_and_tag, question_key
from corpus.loaders import DEFAULT_MAX_BYTES, SkippedFile
from corpus.pipeline import Batch, parse_batch, parse_file, parse_paths
from corpus.records import Block, ParsedSource, Record
from corpus.topics import TOPICS, topic_of

__all__ = [
    "DEFAULT_MAX_BYTES", "TOPICS", "Batch", "Block", "ParsedSource", "Record", "SkippedFile", "group_and_tag",
    "parse_batch", "parse_file", "parse_paths", "question_key", "topic_of",
]
