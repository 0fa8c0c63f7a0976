"""Topics and cross-source groups: records that ask the same question share a ``group_id``.

Two signals, both conservative:
1. normalised question text: lower-cased, punctuation and filler removed ("can you", "in deep learning",
   "what do you understand by", articles...). Equal keys are the same question.
2. optional: question embeddings from the real all-MiniLM-L6-v2 model (``coach.models.embedding_model_path``),
   cosine similarity >= ``threshold`` under COMPLETE linkage (every pair in a group must be that similar,
   so groups never chain A~B~C into A~C).

The embedding part is lazy and off unless asked for (``embedder=`` a SentenceTransformer, or
``"default"`` to load the configured model), so plain parsing stays fast and needs no model.
``group_id`` is the id of the group's first record (by source, then line), so a singleton's group_id is
its own id.

Simplified on purpose: only ``kind="qa"`` records are grouped (passages keep their own id); above
``MAX_COMPLETE`` records, complete linkage (O(n^2) memory) is replaced by pairs of mutual nearest
neighbours above the threshold.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict

from corpus.behavioural import behavioural
from corpus.records import ParsedSource, Record
from corpus.topics import BEHAVIOURAL_TOPIC, SOURCE_TOPIC_MIN_RECORDS, SOURCE_TOPIC_SHARE, source_topic, topic_of

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.92
MAX_COMPLETE = 4000
PROGRESS_STEP = 2048  # questions encoded between two progress reports

_FILLER = [
    r"can you( please)?", r"could you( please)?", r"please", r"what do you (mean|understand) by", r"what is meant by",
    r"what do you know about", r"tell me about", r"in (the context of )?(deep learning|neural networks?|machine learning)( models?)?",
    r"so far", r"exactly",
]
_FILLER_RX = re.compile(r"\b(" + "|".join(_FILLER) + r")\b")
_ARTICLES = {"a", "an", "the", "some", "of"}


def question_key(question: str) -> str:
    """Normalised question text: equal keys mean the same question."""
    q = question.lower().replace("’", "'").replace("‘", "'")
    q = _FILLER_RX.sub(" ", q)
    words = re.findall(r"[a-z0-9]+", q)
    words = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words]  # crude plural
    return " ".join(w for w in words if w not in _ARTICLES)


def _load_default_embedder():
    from sentence_transformers import SentenceTransformer

    from coach.config import load_settings
    from coach.models import embedding_model_path

    return SentenceTransformer(embedding_model_path(load_settings()), device="cpu")


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _encode(embedder, texts: list[str]):
    try:  # a SentenceTransformer
        return embedder.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    except TypeError:  # anything with encode(texts) -> (n, d), e.g. index.embedder.Embedder
        return embedder.encode(texts)


def _embedding_clusters(questions: list[str], keys: list[str], embedder, threshold: float, progress=None) -> list[int]:
    import numpy as np

    n = len(questions)
    if n < 2:  # one question is its own group (scipy's linkage needs two observations)
        return list(range(n))
    # Up to PROGRESS_STEP questions are encoded as one call (the batches, and so the floats, stay exactly
    # as they always were); bigger inputs go in steps of that size, reporting progress after each.
    step = n if n <= PROGRESS_STEP else PROGRESS_STEP
    parts = []
    for start in range(0, n, step):
        parts.append(np.asarray(_encode(embedder, questions[start:start + step]), dtype=np.float32))
        if progress:
            progress(min(start + step, n), n, "group")
    emb = np.concatenate(parts)  # (n, d)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)  # unit rows: dot = cosine
    if n <= MAX_COMPLETE:
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import squareform

        sim = emb @ emb.T  # (n, n) cosine
        by_key = defaultdict(list)
        for i, k in enumerate(keys):
            by_key[k].append(i)
        for members in by_key.values():  # same normalised text: same question whatever the model says
            for a in members:
                sim[a, members] = 1.0
        dist = np.clip(1.0 - sim, 0.0, 2.0)
        np.fill_diagonal(dist, 0.0)
        dist = (dist + dist.T) / 2
        tree = linkage(squareform(dist, checks=False), method="complete")
        return list(fcluster(tree, t=1.0 - threshold, criterion="distance"))
    uf = _UnionFind(n)
    best = np.full(n, -1)
    for start in range(0, n, 1024):
        block = emb[start:start + 1024] @ emb.T  # (b, n)
        for r in range(block.shape[0]):
            block[r, start + r] = -1.0
        best[start:start + 1024] = block.argmax(axis=1)
    for i in range(n):
        j = int(best[i])
        if j >= 0 and best[j] == i and float(emb[i] @ emb[j]) >= threshold:
            uf.union(i, j)
    first: dict[str, int] = {}
    for i, k in enumerate(keys):  # same normalised text: same question
        uf.union(i, first.setdefault(k, i))
    return [uf.find(i) for i in range(n)]


def group_and_tag(parsed: list[ParsedSource], embedder=None, threshold: float = DEFAULT_THRESHOLD,
                  progress=None, titles: dict[str, str] | None = None) -> None:
    """Fill ``topic`` and ``group_id`` on every record, in place.

    ``embedder``: None (text keys only), ``"default"`` (load the configured embedding model), a
    SentenceTransformer, or any object with ``encode(texts) -> (n, d)`` (e.g. ``index.embedder.Embedder``).
    ``progress(done, total, "group")`` is called as questions are embedded (only with an embedder).
    ``titles``: each source's title where it is a heading of the source (default: the parsed sources' own), read for
    the topic of a source the topic list does not describe (``corpus.topics.source_topic``); a title taken from a
    first short line can be any prose ("Last updated: March 2024") and is not read.
    """
    if titles is None:
        titles = {ps.source: ps.title for ps in parsed if getattr(ps, "title_is_heading", False)}
    records: list[Record] = [r for ps in parsed for r in ps.records]
    for r in records:
        # a behavioural prompt is its own topic: a page of "Tell me about a time ..." questions was filed under "time"
        # (a walkthrough), and one on a technical page under that page's topic
        r.topic = BEHAVIOURAL_TOPIC if behavioural(r.question) else topic_of(r.question, r.answer)
        r.group_id = r.id
    by_source: dict[str, list[Record]] = {}
    for r in records:  # by the records' source (the index regroups all its records as one batch)
        if r.topic != BEHAVIOURAL_TOPIC:  # what a source's technical questions ask about names its topic
            by_source.setdefault(r.source, []).append(r)
    for recs in by_source.values():  # a source the topic list does not describe: what its questions ask about
        general = [r for r in recs if r.topic == "fundamentals"]
        if len(recs) >= SOURCE_TOPIC_MIN_RECORDS and len(general) >= SOURCE_TOPIC_SHARE * len(recs):
            own = source_topic([r.question for r in recs], title=titles.get(recs[0].source, ""))
            # every record of it: the few the list tags there are its words in another sense (a security page's
            # "JSON Web Token" question was filed under "transformers", its session cookie under "frameworks")
            for r in recs:
                r.topic = own or r.topic
    qa = sorted((r for r in records if r.kind == "qa"), key=lambda r: (r.source, r.line_start))
    if not qa:
        return
    keys = [question_key(r.question) for r in qa]
    if embedder is not None:
        if embedder == "default":
            embedder = _load_default_embedder()
        if progress:
            progress(0, len(qa), "group")
        labels = _embedding_clusters([r.question for r in qa], keys, embedder, threshold, progress)
    else:
        first: dict[str, int] = {}
        labels = [first.setdefault(k, i) for i, k in enumerate(keys)]
    groups: dict = defaultdict(list)
    for r, label in zip(qa, labels):
        groups[label].append(r)
    for members in groups.values():
        gid = members[0].id  # qa is sorted by (source, line): the first member names the group
        for r in members:
            r.group_id = gid
    log.debug("grouped %d questions into %d groups", len(qa), len(groups))
