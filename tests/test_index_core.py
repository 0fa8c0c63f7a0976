"""CoachIndex with the real embedding model: search, filters, incremental updates, cache, refusals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from coach.config import load_settings
from coach.errors import CoachError
from index import CoachIndex, store
from index import core as index_core
from index.chunking import chunk_records
from test_index_support import QA, CountingModel, WordLengthModel, all_sources, make_source


@pytest.fixture
def settings():
    return load_settings()


@pytest.fixture
def built(settings, embedder):
    ix = CoachIndex(settings, model=embedder)
    ix.build(all_sources())
    return ix


def test_search_modes_find_the_paraphrased_question(built):
    for mode in ("dense", "bm25", "hybrid"):
        hits = built.search("randomly switching neurons off while training", k=3, mode=mode)
        assert hits[0].record.id == "ml.txt:4", mode
        assert mode in hits[0].ranks or mode == "hybrid"
        assert len({h.record.id for h in hits}) == len(hits)  # best chunk per record: no duplicates
    hybrid = built.search("model memorizes its training data", k=7)
    assert hybrid[0].record.id == "ml.txt:1"
    assert [h.score for h in hybrid] == sorted((h.score for h in hybrid), reverse=True)
    assert built.get("nlp.txt:4").question == "What is tokenization?"
    assert built.get("nope:1") is None


def test_filters_by_source_and_topic(built):
    hits = built.search("neural network", k=10, source="nlp.txt")
    assert hits and {h.record.source for h in hits} == {"nlp.txt"}
    hits = built.search("neural network", k=10, topic=["architectures"])
    assert {h.record.id for h in hits} == {"ml.txt:7", "nlp.txt:1"}
    hits = built.search("neural network", k=10, source=["ml.txt", "stats.txt"], topic="training", mode="dense")
    assert {h.record.id for h in hits} == {"ml.txt:1", "ml.txt:4"}
    assert built.search("neural network", source="missing.txt") == []


def test_incremental_add_change_remove_without_duplicates(settings, embedder):
    ix = CoachIndex(settings, model=embedder)
    ix.build([make_source("ml.txt"), make_source("nlp.txt")])
    assert ix.add([make_source("ml.txt"), make_source("nlp.txt")]) == {"added": [], "updated": [],
                                                                        "unchanged": ["ml.txt", "nlp.txt"], "renamed": {}}
    edited = make_source("ml.txt", QA["ml.txt"][:2] + [("What is pooling?", "Pooling downsamples feature maps.",
                                                         "architectures")], version="v2")
    out = ix.add([edited, make_source("stats.txt")])
    assert out == {"added": ["stats.txt"], "updated": ["ml.txt"], "unchanged": [], "renamed": {}}
    ids = [r.id for r in ix.records()]
    assert len(ids) == len(set(ids)) == 7
    assert ix.get("ml.txt:7").question == "What is pooling?"
    assert ix.search("downsampling feature maps", k=1)[0].record.id == "ml.txt:7"
    st = ix.status()
    by = {s["source"]: s for s in st["sources"]}
    assert by["ml.txt"]["sha256"] == edited.sha256 and by["ml.txt"]["records"] == 3
    assert st["chunks"] == len(chunk_records(ix.records()))
    assert ix.remove(["ml.txt"]) == ["ml.txt"]
    assert {r.source for r in ix.records()} == {"nlp.txt", "stats.txt"}
    assert all(h.record.source != "ml.txt" for h in ix.search("dropout overfitting", k=10))
    with pytest.raises(CoachError, match="not in the index: ml.txt"):
        ix.remove(["ml.txt"])


def test_unchanged_text_is_never_re_encoded(settings, embedder):
    counting = CountingModel(embedder)
    ix = CoachIndex(settings, model=counting)
    ix.build(all_sources())
    n_chunks = ix.status()["chunks"]
    assert len(counting.encoded) == n_chunks  # every chunk text once
    counting.encoded.clear()
    ix.add(all_sources())  # nothing changed
    assert counting.encoded == []
    # A fresh process (new CoachIndex, empty memory) edits one answer: only that record's chunks are encoded.
    fresh = CoachIndex(settings, model=counting)
    items = list(QA["nlp.txt"])
    items[1] = (items[1][0], "Tokenization turns text into a list of subword units.", items[1][2])
    assert fresh.add([make_source("nlp.txt", items, version="v2")])["updated"] == ["nlp.txt"]
    # chunks are "question\nanswer"; the questions alone are embedded again to regroup the corpus (an add
    # groups a new source's questions with the old ones, as a build does)
    chunks = [t for t in counting.encoded if "\n" in t]
    assert chunks == ["What is tokenization?\nTokenization turns text into a list of subword units."]
    assert sorted(t for t in counting.encoded if "\n" not in t) == sorted(r.question for r in fresh.records())
    counting.encoded.clear()
    fresh.build(all_sources())  # back to v1: that text's vector is still cached in this process
    assert counting.encoded == []


def test_refuses_index_from_another_model_or_dimension(settings, embedder, tmp_path):
    CoachIndex(settings, model=embedder).build([make_source("ml.txt")])
    import dataclasses

    other = dataclasses.replace(settings, embedding_model=str(tmp_path))  # a different model setting
    with pytest.raises(CoachError, match="coach index build"):
        CoachIndex(other, model=embedder).search("dropout")
    with pytest.raises(CoachError, match="coach index build"):
        CoachIndex(other, model=embedder).add([make_source("nlp.txt")])
    # Same model name, different dimension (a hand-checkable fake with 8 dims wrote the index).
    CoachIndex(settings, model=WordLengthModel(dim=8)).build([make_source("ml.txt")])
    with pytest.raises(CoachError, match=r"8-dimensional.*384-dimensional.*coach index build"):
        CoachIndex(settings, model=embedder).search("dropout")


def test_second_writer_gets_a_clear_error(settings, embedder):
    ix = CoachIndex(settings, model=embedder)
    ix.build([make_source("ml.txt")])
    with store.WriteLock(settings.index_dir):
        with pytest.raises(CoachError, match="being written by pid"):
            ix.add([make_source("nlp.txt")])
        assert ix.search("dropout", k=1)[0].record.source == "ml.txt"  # readers are not blocked
    ix.add([make_source("nlp.txt")])  # lock released


def test_generations_are_collected_and_files_are_pickle_free(settings):
    fake = WordLengthModel()
    ix = CoachIndex(settings, model=fake)
    for v in range(4):
        ix.build([make_source("ml.txt", version=f"v{v}")])
    (settings.index_dir / "gen-1-1.tmp").mkdir()  # a crash leftover
    ix.add([make_source("nlp.txt")])
    gens = sorted(p.name for p in settings.index_dir.glob("gen-*"))
    assert len(gens) == 2 and store.read_current(settings.index_dir) in gens
    live = settings.index_dir / store.read_current(settings.index_dir)
    assert sorted(p.name for p in live.iterdir()) == ["chunks.jsonl", "dense.faiss", "meta.json", "records.jsonl",
                                                      "vectors.npy"]
    vecs = np.load(live / "vectors.npy", allow_pickle=False)
    assert vecs.dtype == np.float32 and vecs.shape == (ix.status()["chunks"], 384)
    for path in live.iterdir():
        assert b"\x80\x04\x95" not in path.read_bytes()[:64]  # no pickle protocol header


def test_status_without_index_and_search_error(settings):
    ix = CoachIndex(settings, model=WordLengthModel())
    assert not ix.exists() and ix.status()["exists"] is False and ix.records() == []
    with pytest.raises(CoachError, match="no index yet"):
        ix.search("anything")


def test_reranker_that_cannot_load_offline_is_a_clear_error(settings, embedder):
    import dataclasses

    CoachIndex(settings, model=embedder).build([make_source("ml.txt")])
    s = dataclasses.replace(settings, reranker_model="nobody/no-such-reranker")
    with pytest.raises(CoachError, match="cannot load reranker 'nobody/no-such-reranker' offline"):
        CoachIndex(s, model=embedder).search("dropout")


def test_embed_is_cached_and_normalised(settings, embedder):
    counting = CountingModel(embedder)
    ix = CoachIndex(settings, model=counting)
    a = ix.embed(["What is dropout?", "a second text"])
    b = ix.embed("What is dropout?")
    assert a.shape == (2, 384) and np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert np.array_equal(a[0], b[0]) and counting.encoded == ["What is dropout?", "a second text"]


def test_switches_to_hnsw_past_the_threshold(settings):
    import dataclasses

    s = dataclasses.replace(settings, ann_threshold=5)
    ix = CoachIndex(s, model=WordLengthModel())
    ix.build([make_source("ml.txt")])  # 3 records -> 6 chunks > 5
    assert ix.status()["index_type"] == "hnsw"
    assert ix.search("dropout", k=1, mode="bm25")[0].record.id == "ml.txt:4"
    assert len(ix.search("What is dropout?", k=3, mode="dense")) == 3
    ix.remove(["ml.txt"])
    ix.add([make_source("stats.txt")])  # 2 records -> 4 chunks: back to exact search
    assert ix.status()["index_type"] == "flat"


class _LengthReranker:
    """Control-flow fake for the cross-encoder: a (query, chunk) pair scores len(chunk)."""

    def predict(self, pairs, **_):
        return [float(len(text)) for _, text in pairs]


def test_reranker_reorders_fused_candidates(settings, embedder):
    import dataclasses

    s = dataclasses.replace(settings, reranker_model="fake")
    ix = CoachIndex(s, model=embedder)
    ix.build(all_sources())
    ix._reranker = _LengthReranker()
    hits = ix.search("What is", k=7)
    assert [h.score for h in hits] == [float(len(h.chunk_text)) for h in hits]
    assert [h.ranks["rerank"] for h in hits] == list(range(1, 8))
    assert [h.record.id for h in hits] != [h.record.id for h in CoachIndex(settings, model=embedder).search("What is", k=7)]
    assert all("dense" in h.ranks or "bm25" in h.ranks for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


class BatchRecordingModel(CountingModel):
    """The real model; records each encode call's batch."""

    def __init__(self, model):
        super().__init__(model)
        self.batches: list[list[str]] = []

    def encode(self, texts, **kw):
        self.batches.append(list(texts))
        return super().encode(texts, **kw)


def test_encode_grouped_batches_similar_lengths_and_matches_encode(settings, embedder):
    """The grader's embedding call: a whole answer is not batched with its short sentences (each would
    be padded to the answer's length), and the vectors are the same as one plain batch's (to float noise)."""
    from index.embedder import Embedder

    answer = " ".join(["Dropout randomly zeroes activations during training to reduce overfitting."] * 8)
    texts = [answer, "What is dropout?", "Dropout is a regulariser.", "It is switched off at inference."]
    rec = BatchRecordingModel(embedder)
    e = Embedder(settings, model=rec)
    grouped = e.encode_grouped(texts)
    assert [answer] in rec.batches and all(len(b) < len(texts) for b in rec.batches)
    assert sorted(t for b in rec.batches for t in b) == sorted(texts)  # each text encoded once
    assert np.allclose(grouped, e.encode(texts), atol=1e-5)
    assert np.array_equal(grouped, e.encode_grouped(texts))  # same texts, same vectors
    assert e.encode_grouped([]).shape == (0, 384) and e.encode_grouped(["one"]).shape == (1, 384)


def test_a_file_added_again_under_another_name_keeps_its_first_name(settings, embedder):
    """Added with its folder ("sub/ml.txt") and then alone ("ml.txt"), one file was indexed twice, and the
    copy not re-added went stale after an edit. The same file (by path) now keeps the name it has."""
    ix = CoachIndex(settings, model=embedder)
    first = make_source("ml.txt")
    for r in first.records:
        r.source, r.id = "sub/ml.txt", "sub/" + r.id
    first.source = "sub/ml.txt"  # the same path, /data/ml.txt, named inside its folder
    ix.build([first])
    assert ix.add([make_source("ml.txt")])["unchanged"] == ["sub/ml.txt"]
    edited = make_source("ml.txt", QA["ml.txt"][:1], version="v2")
    assert ix.add([edited]) == {"added": [], "updated": ["sub/ml.txt"], "unchanged": [], "renamed": {}}
    assert {r.source for r in ix.records()} == {"sub/ml.txt"} and [r.id for r in ix.records()] == ["sub/ml.txt:1"]


def test_an_added_source_is_grouped_with_the_indexed_ones_as_a_build_groups_them(settings, embedder):
    """The same question in an indexed source and an added one: one group, as `coach index build` of both files
    makes it (an add grouped the new source's questions only among themselves)."""
    from corpus.grouping import group_and_tag

    item = [("What is overfitting?", "Learning the noise of the training set.", "fundamentals")]
    a, b = make_source("ml.txt"), make_source("nlp.txt", item)
    both = [make_source("ml.txt"), make_source("nlp.txt", item)]
    group_and_tag(both, embedder=embedder)
    built = {r.id: r.group_id for ps in both for r in ps.records}
    ix = CoachIndex(settings, model=embedder)
    group_and_tag([a], embedder=embedder)
    ix.build([a])
    group_and_tag([b], embedder=embedder)  # the batch alone, as `coach index add nlp.txt` parses it
    ix.add([b])
    assert {r.id: r.group_id for r in ix.records()} == built
    assert built["nlp.txt:1"] == built[next(r.id for r in a.records if r.question == "What is overfitting?")]


def test_a_namesake_from_another_folder_is_another_source_when_asked(settings, embedder, tmp_path):
    """A walkthrough's second k8s.html, from another folder, silently replaced the indexed one (15 questions gone, its
    reports orphaned). `coach index add` keeps both (the new one named with its folder); a browser upload of an edited
    file (``keep_namesakes`` off) still replaces the source of its name; a file moved away is the same source."""
    ix = CoachIndex(settings, model=embedder)
    first, other = tmp_path / "site" / "k8s.html", tmp_path / "other" / "k8s.html"
    for p in (first, other):
        p.parent.mkdir()
        p.write_text("x")
    a = make_source("ml.txt")
    a = dataclasses.replace(a, path=str(first), records=a.records)
    ix.build([index_core._renamed(a, "k8s.html")])
    b = index_core._renamed(dataclasses.replace(make_source("nlp.txt"), path=str(other)), "k8s.html")
    out = ix.add([b], keep_namesakes=True)
    assert out["added"] == ["other/k8s.html"] and out["renamed"] == {str(other): ("k8s.html", "other/k8s.html")}
    assert {r.source for r in ix.records()} == {"k8s.html", "other/k8s.html"}
    # the caller's source is the source as indexed: `coach index add` drafted its rubrics under the old name, over the
    # first file's drafts
    assert b.source == "other/k8s.html" and {r.source for r in b.records} == {"other/k8s.html"}
    # the same file again, parsed afresh (its own name): unchanged, under the name it was given, not a third source
    again = ix.add([index_core._renamed(dataclasses.replace(make_source("nlp.txt"), path=str(other)), "k8s.html")],
                   keep_namesakes=True)
    assert again["unchanged"] == ["other/k8s.html"] and again["renamed"] == {}
    upload = tmp_path / "uploads" / "k8s.html"
    upload.parent.mkdir()
    upload.write_text("y")
    edited = index_core._renamed(dataclasses.replace(make_source("nlp.txt"), path=str(upload)), "k8s.html")
    assert ix.add([edited])["updated"] == ["k8s.html"]  # an upload's edited file replaces the source of its name
    upload.unlink()  # the file k8s.html was last read from moved: a namesake elsewhere is the same source
    c = index_core._renamed(dataclasses.replace(make_source("ml.txt"), path=str(tmp_path / "moved.html")), "k8s.html")
    moved = ix.add([c], keep_namesakes=True)
    assert moved["updated"] == ["k8s.html"] and moved["renamed"] == {}
