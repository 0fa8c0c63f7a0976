"""Index benchmarks: indexing throughput, incremental re-index cost, query latency, memory.

``run_index_bench(settings, quick=False) -> dict`` returns JSON-able figures. Everything runs in a
temporary COACH_HOME, never in the user's index. Targets (from the issue):
  - indexing throughput >= 0.8 x raw ``model.encode`` throughput on the same chunk texts;
  - re-index of one changed file in a 1,000-document corpus <= 0.05 x a full rebuild;
  - hybrid query p95 < 50 ms at 100k chunks (HNSW);
and ``large_source``: one big Q&A file indexed the way `coach index add` does it (time, memory, and the
longest stretch without a progress report), the figure behind the ``COACH_MAX_SOURCE_MB`` limit.

Simplified on purpose: documents are synthetic (seeded random sentences over a fixed ML vocabulary);
the 100k-chunk latency uses random unit vectors (clustered around 500 random centres) for the stored
dense part, and reports the ANN recall@10 against exact search on them (the query is still embedded
by the real model and BM25 runs over real synthetic text). ``quick=True`` shrinks the corpus sizes
(100 documents, 20k chunks, random vectors at 1k too) so it stays near a minute on 2 CPU cores.
Latency is reported end to end (``hybrid``: embeds the query) and with the query vector cached
(``*_cached_query``: the index alone), because query encoding dominates and suffers most from CPU
contention.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

from corpus.records import ParsedSource, Record

log = logging.getLogger(__name__)

VOCAB = (
    "network layer neuron weight bias gradient descent loss function activation dropout batch epoch "
    "training model data feature convolution pooling kernel stride recurrent sequence attention "
    "transformer embedding token encoder decoder optimizer learning rate momentum regularization "
    "overfitting variance accuracy precision recall label class softmax sigmoid relu tensor matrix "
    "vector input output hidden deep shallow transfer fine tune pretrained autoencoder generative "
    "adversarial discriminator sample noise normalization scaling cluster image text speech"
).split()


def synthetic_sources(n_docs: int, records_per_doc: int = 2, answer_words: int = 60, seed: int = 0,
                      tag: str = "") -> list[ParsedSource]:
    rng = np.random.default_rng(seed)
    out = []
    for d in range(n_docs):
        name = f"doc{d:05d}.txt"
        recs = []
        for r in range(records_per_doc):
            q = "What is " + " ".join(rng.choice(VOCAB, 6)) + "?"
            a = " ".join(rng.choice(VOCAB, answer_words)) + tag
            line = 1 + r * 3
            recs.append(Record(id=f"{name}:{line}", source=name, question=q, answer=a, line_start=line,
                               line_end=line + 1))
        out.append(ParsedSource(name, f"/synthetic/{name}", f"sha-{seed}-{d}{tag}", recs))
    return out


def clustered_unit_vectors(rng, n: int, d: int, clusters: int = 500) -> np.ndarray:
    """(n, d) float32 unit vectors around random centres: closer to real embeddings than uniform noise."""
    centres = rng.standard_normal((clusters, d)).astype(np.float32)
    vecs = centres[rng.integers(0, clusters, n)] + 0.6 * rng.standard_normal((n, d)).astype(np.float32)
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def ann_recall(faiss_index, vecs: np.ndarray, rng, queries: int = 50, k: int = 10) -> float:
    """Mean recall@k of ``faiss_index`` against exact search, for perturbed stored vectors as queries."""
    q = vecs[rng.choice(len(vecs), queries, replace=False)] + 0.05 * rng.standard_normal((queries, vecs.shape[1]))
    q = (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)
    _, approx = faiss_index.search(q, k)
    exact = np.argsort(-(q @ vecs.T), axis=1)[:, :k]
    return round(float(np.mean([len(set(a) & set(e)) / k for a, e in zip(approx, exact)])), 3)


def _percentiles(samples_s: list[float]) -> dict:
    ms = np.asarray(samples_s) * 1000.0
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def _rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


def _settings_in(settings, home: Path, **extra):
    return dataclasses.replace(settings, home=home, reranker_model="", **extra)


def bench_throughput(settings, model, n_docs: int, rounds: int = 1) -> dict:
    """Index build vs raw ``model.encode`` on the same chunk texts, alternated ``rounds`` times (best of)."""
    from index import CoachIndex
    from index.chunking import chunk_records

    parsed = synthetic_sources(n_docs, seed=1)
    texts = [c.text for c in chunk_records([r for ps in parsed for r in ps.records])]
    model.encode(texts[:64], normalize_embeddings=True, show_progress_bar=False)  # warm-up
    raw, build = [], []
    for _ in range(rounds):  # alternating keeps background load from favouring one side
        t0 = time.perf_counter()
        model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        raw.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as home:
            ix = CoachIndex(_settings_in(settings, Path(home)), model=model)  # fresh: empty cache
            t0 = time.perf_counter()
            ix.build(parsed)
            build.append(time.perf_counter() - t0)
    raw_s, build_s = min(raw), min(build)
    n_records = sum(len(ps.records) for ps in parsed)
    return {
        "records": n_records,
        "chunks": len(texts),
        "rounds": rounds,
        "index_records_per_s": round(n_records / build_s, 1),
        "raw_encode_records_per_s": round(n_records / raw_s, 1),
        "throughput_ratio": round(raw_s / build_s, 3),
    }


def bench_reindex(settings, model, n_docs: int) -> dict:
    from index import CoachIndex

    parsed = synthetic_sources(n_docs, seed=2)
    with tempfile.TemporaryDirectory() as home:
        s = _settings_in(settings, Path(home))
        t0 = time.perf_counter()
        CoachIndex(s, model=model).build(parsed)
        full_s = time.perf_counter() - t0
        first = parsed[0]  # the same file, edited: every answer changes, ids stay
        changed = dataclasses.replace(first, sha256="edited", records=[
            dataclasses.replace(r, answer=r.answer + " edited") for r in first.records])
        t0 = time.perf_counter()
        out = CoachIndex(s, model=model).add([changed])  # a fresh process's view: cache seeded from disk
        one_s = time.perf_counter() - t0
    return {"documents": n_docs, "full_build_s": round(full_s, 2), "reindex_one_s": round(one_s, 3),
            "reindex_ratio": round(one_s / full_s, 4), "updated": out["updated"]}


def bench_latency(settings, model, n_chunks: int, random_vectors: bool, force_ann: bool = False,
                  queries: int = 50) -> dict:
    from index import CoachIndex, store
    from index.chunking import chunk_records
    from index.dense import build_faiss
    from index.embedder import model_dim, model_id

    rng = np.random.default_rng(4)
    with tempfile.TemporaryDirectory() as home:
        s = _settings_in(settings, Path(home))
        ix = CoachIndex(s, model=model)
        if not random_vectors:
            n_docs = max(1, n_chunks // 6)  # ~6 chunks per document (2 records x (title + 2 bodies))
            ix.build(synthetic_sources(n_docs, answer_words=180, seed=5))
        else:
            per_doc = 2
            parsed = synthetic_sources(n_chunks // (2 * per_doc), records_per_doc=per_doc, answer_words=20, seed=6)
            records = [r for ps in parsed for r in ps.records]
            chunks = chunk_records(records)
            vecs = clustered_unit_vectors(rng, len(chunks), model_dim(model))
            t0 = time.perf_counter()
            faiss_index, kind = build_faiss(vecs, len(chunks) - 1 if force_ann else settings.ann_threshold)
            build_s = time.perf_counter() - t0
            sources = {ps.source: {"path": ps.path, "sha256": ps.sha256, "boilerplate_removed": {}, "warnings": [],
                                   "records": len(ps.records), "chunks": 2 * len(ps.records)} for ps in parsed}
            meta = {"embedding_model": model_id(s), "dim": vecs.shape[1], "index_type": kind,
                    "built_at": "bench", "sources": sources}
            store.write_generation(s.index_dir, meta, [r.to_dict() for r in records],
                                   [c.to_dict() for c in chunks], vecs, faiss_index)
        st = ix.status()
        qs = [" ".join(rng.choice(VOCAB, 5)) for _ in range(queries)]
        ix.search("warm up " + qs[0], k=5)  # load the generation and build BM25 once
        times = {"hybrid": [], "hybrid_cached_query": [], "dense_cached_query": []}
        for mode in times:  # pass 1 embeds each query; later passes hit the query-vector cache
            for q in qs:
                t0 = time.perf_counter()
                ix.search(q, k=5, mode=mode.split("_")[0])
                times[mode].append(time.perf_counter() - t0)
        out = {"chunks": st["chunks"], "index_type": st["index_type"], "random_vectors": random_vectors,
               **{m: _percentiles(t) for m, t in times.items()}, "rss_mb": _rss_mb()}
        if random_vectors:
            out["ann_build_s"] = round(build_s, 1)
            out["ann_recall@10_vs_exact"] = ann_recall(faiss_index, vecs, rng)
        return out


def qa_file_text(mb: float, seed: int = 0) -> str:
    """A numbered Q&A file of about ``mb`` megabytes: questions of 4 vocabulary words, 2-6 sentence answers."""
    rng = np.random.default_rng(seed)
    parts, size, n = [], 0, 0
    while size < mb * 2**20:
        n += 1
        q = f"{n}. What is the {' '.join(rng.choice(VOCAB, 4))}?\n\n"
        a = " ".join(" ".join(rng.choice(VOCAB, 12)).capitalize() + "." for _ in range(int(rng.integers(2, 7)))) + "\n\n"
        parts.append(q + a)
        size += len(q) + len(a)
    return "".join(parts)


class _Watch:
    """Peak RSS (sampled every 50 ms) and the longest gap between two progress reports, for one run."""

    def __init__(self):
        import threading

        self.base = self.peak = psutil.Process().memory_info().rss
        self.last = self.started = time.perf_counter()
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        proc = psutil.Process()
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, proc.memory_info().rss)

    def progress(self, done, total, stage):
        now = time.perf_counter()
        self.longest, self.last = max(self.longest, now - self.last), now

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.progress(0, 0, "end")


def bench_large_source(settings, model, mb: float) -> dict:
    """``coach index add`` of one synthetic Q&A file of ``mb`` MB into an empty index, as the CLI runs it
    (parse with grouping by the index's model, chunk, embed, write): seconds, memory, and the longest
    time without a progress report. Memory grows with the file (records, chunks, vectors), which is why
    sources over ``settings.max_source_mb`` are refused."""
    from corpus import parse_batch
    from index import CoachIndex

    with tempfile.TemporaryDirectory() as home:
        path = Path(home) / "large.md"
        path.write_text(qa_file_text(mb), encoding="utf-8")
        ix = CoachIndex(_settings_in(settings, Path(home) / "home"), model=model)
        with _Watch() as watch:
            batch = parse_batch([path], embedder=ix.embedder, progress=watch.progress, max_bytes=path.stat().st_size)
            ix.add(batch.sources, progress=watch.progress)
        st = ix.status()
    seconds = time.perf_counter() - watch.started
    return {"mb": mb, "records": st["records"], "chunks": st["chunks"], "seconds": round(seconds, 1),
            "seconds_per_mb": round(seconds / mb, 1), "peak_rss_mb": round(watch.peak / 2**20, 1),
            "rss_growth_mb": round(max(0, watch.peak - watch.base) / 2**20, 1),
            "longest_silence_s": round(watch.longest, 1), "limit_mb": settings.max_source_mb}


def run_index_bench(settings, quick: bool = False) -> dict:
    from index.embedder import load_sentence_transformer

    started = time.perf_counter()
    model = load_sentence_transformer(settings)
    out = {"quick": quick, "rss_mb_start": _rss_mb()}
    out["throughput"] = bench_throughput(settings, model, n_docs=40 if quick else 300, rounds=1 if quick else 2)
    out["reindex"] = bench_reindex(settings, model, n_docs=100 if quick else 1000)
    out["latency_1k"] = bench_latency(settings, model, 1_000, random_vectors=quick)
    big = 20_000 if quick else 100_000
    out[f"latency_{big // 1000}k"] = bench_latency(settings, model, big, random_vectors=True, force_ann=True)
    out["large_source"] = bench_large_source(settings, model, mb=0.25 if quick else 1.0)
    out["rss_mb_end"] = _rss_mb()
    out["peak_rss_mb"] = round(max(out["rss_mb_end"], *(v.get("rss_mb", 0) for v in out.values() if isinstance(v, dict))), 1)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out
