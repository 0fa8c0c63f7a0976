"""``CoachIndex``: build, update and query the on-disk index of records.

Sources are keyed by name (``ParsedSource.source``) and their sha256: ``add`` skips unchanged sources,
replaces changed ones (and ones an earlier version of the corpus code parsed: ``corpus.version``), and
``remove`` purges them. Chunk vectors are reused by (model id, text hash), so unchanged text is never
re-encoded. Every change writes a new generation (see ``index.store``).

Simplified on purpose: two different files with the same name are treated as one source (the last
one given wins), and every write rewrites the whole generation (vectors are copied, not re-encoded),
which is linear in corpus size but far cheaper than embedding.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from coach.errors import CoachError
from corpus.grouping import group_and_tag
from corpus.records import Record
from corpus.version import parser_fingerprint
from index import store
from index.chunking import chunk_records
from index.dense import build_faiss, tune
from index.embedder import Embedder
from index.search import Hit, SearchState, run_search

log = logging.getLogger(__name__)

__all__ = ["CoachIndex", "Hit"]


class CoachIndex:
    def __init__(self, settings=None, model=None):
        """``model``: optional already-loaded sentence-transformers model (shared with graders/tests)."""
        if settings is None:
            from coach.config import load_settings

            settings = load_settings()
        self.settings = settings
        self.dir = settings.index_dir
        self.embedder = Embedder(settings, model)
        self._state: SearchState | None = None
        self._guard = threading.Lock()
        self._reranker = None

    # ---- reading -------------------------------------------------------------------------------
    def exists(self) -> bool:
        return store.read_current(self.dir) is not None

    def _current(self) -> SearchState | None:
        """The live generation, reloaded when another process switched CURRENT."""
        with self._guard:
            name = store.read_current(self.dir)
            if name is None:
                self._state = None
            elif self._state is None or self._state.gen.name != name:
                for _ in range(5):  # a generation collected while we loaded it: a newer one is live
                    try:
                        gen = store.load_generation(self.dir, name)
                        break
                    except CoachError:
                        newer = store.read_current(self.dir)
                        if newer == name or newer is None:
                            raise
                        name = newer
                else:
                    gen = store.load_generation(self.dir, name)
                tune(gen.faiss_index)
                self._state = SearchState(gen)
            return self._state

    def _require(self) -> SearchState:
        state = self._current()
        if state is None:
            raise CoachError(f"no index yet in {self.dir}: run `coach index build`")
        return state

    def _check_model(self, meta: dict) -> None:
        built_with = meta.get("embedding_model")
        if built_with != self.embedder.model_id:
            raise CoachError(
                f"the index was built with embedding model {built_with!r} (dim {meta.get('dim')}) but "
                f"{self.embedder.model_id!r} is configured: run `coach index build` to rebuild it"
            )

    def _check_dim(self, meta: dict) -> None:
        if int(meta.get("dim", -1)) != self.embedder.dim:
            raise CoachError(
                f"the index holds {meta.get('dim')}-dimensional vectors but the embedding model "
                f"{self.embedder.model_id!r} makes {self.embedder.dim}-dimensional ones: run `coach index build`"
            )

    def records(self) -> list[Record]:
        state = self._current()
        return list(state.records.values()) if state else []

    def get(self, record_id: str) -> Record | None:
        state = self._current()
        return state.records.get(record_id) if state else None

    def status(self) -> dict:
        state = self._current()
        if state is None:
            return {"exists": False, "index_dir": str(self.dir), "sources": [], "records": 0, "chunks": 0,
                    "embedding_model": self.embedder.model_id}
        meta = state.gen.meta
        sources = [{"source": name, **info} for name, info in sorted(meta["sources"].items())]
        return {
            "exists": True,
            "index_dir": str(self.dir),
            "generation": state.gen.name,
            "built_at": meta["built_at"],
            "embedding_model": meta["embedding_model"],
            "dim": meta["dim"],
            "index_type": meta["index_type"],
            "reranker_model": self.settings.reranker_model or None,
            "records": len(state.gen.records),
            "chunks": len(state.gen.chunks),
            "sources": sources,
        }

    def embed(self, texts) -> np.ndarray:
        """Embed texts with the index's model (cached by text hash). Shape (n, d), unit rows."""
        return self.embedder.embed(texts)

    def search(self, query: str, k: int = 5, mode: str = "hybrid", source=None, topic=None) -> list[Hit]:
        """Best ``k`` records for ``query`` (best chunk per record), with optional source/topic filters."""
        state = self._require()
        self._check_model(state.gen.meta)
        if mode not in ("dense", "bm25", "hybrid"):
            raise CoachError(f"unknown search mode {mode!r}: choose dense, bm25 or hybrid")
        if mode != "bm25":
            self._check_dim(state.gen.meta)
        return run_search(self, state, query, k=k, mode=mode, source=source, topic=topic)

    def reranker(self):
        """The optional cross-encoder (lazy; None when ``settings.reranker_model`` is empty)."""
        spec = self.settings.reranker_model
        if not spec:
            return None
        if self._reranker is None:
            from coach.models import ModelNotFound, resolve_model

            def _none():
                raise ModelNotFound("no default reranker")

            try:
                path = resolve_model(spec, setting="COACH_RERANKER_MODEL", default=_none)
                from sentence_transformers import CrossEncoder

                self._reranker = CrossEncoder(path, device="cpu")
            except Exception as exc:  # noqa: BLE001 - any load failure is a config problem for the user
                raise CoachError(
                    f"cannot load reranker {spec!r} offline ({str(exc).splitlines()[0]}): "
                    "fix COACH_RERANKER_MODEL or set it to an empty string"
                ) from None
        return self._reranker

    # ---- writing -------------------------------------------------------------------------------
    def build(self, parsed, progress=None) -> dict:
        """Replace the whole index with ``parsed`` sources. Returns status().

        ``progress(done, total, stage)`` is called with stage "chunk", "embed", "index" then "write".
        """
        parsed = _dedupe(parsed)
        with store.WriteLock(self.dir):
            try:
                self._seed_cache()
            except CoachError as exc:  # a damaged live index: a full build replaces it (the advised way out)
                log.warning("the live index at %s cannot be read (%s): building a new one", self.dir,
                            str(exc).split(" (", 1)[-1].split("): run", 1)[0])
            self._write(_source_infos(parsed), [r for ps in parsed for r in ps.records], progress)
        return self.status()

    def add(self, parsed, progress=None, *, keep_namesakes: bool = False) -> dict:
        """Add new sources, re-index changed ones (by sha256), skip unchanged ones.

        ``keep_namesakes``: a file with the name of an indexed source read from ANOTHER file that is still there
        ("other/k8s.html" beside the indexed "k8s.html") is another source, named with its folder ("other/k8s.html"),
        listed in the result's "renamed" ({path: (its name, the name given)}); without it the new file replaces the source of its name (a
        browser upload of an edited file, whose earlier copy is still kept). A walkthrough's second k8s.html from
        another folder silently replaced the first: 15 questions gone, its error reports orphaned."""
        parsed = _dedupe(parsed)
        out = {"added": [], "updated": [], "unchanged": [], "renamed": {}}
        with store.WriteLock(self.dir):
            state = self._current()
            if state is not None:
                self._check_model(state.gen.meta)
            old_sources = dict(state.gen.meta["sources"]) if state else {}
            parsed = _same_files_same_names(parsed, old_sources, keep_namesakes)
            if keep_namesakes:
                parsed = _namesakes_apart(parsed, old_sources, out["renamed"])
            changed = []
            for ps in parsed:
                old = old_sources.get(ps.source)
                if old is None:
                    out["added"].append(ps.source)
                elif old["sha256"] != ps.sha256 or old.get("parser") != parser_fingerprint():
                    out["updated"].append(ps.source)  # changed, or parsed by an earlier version of the parser
                else:
                    out["unchanged"].append(ps.source)
                    continue
                changed.append(ps)
            if not changed:
                return out
            touched = {ps.source for ps in changed}
            # copies: the live generation's records are being read meanwhile; they are regrouped below
            keep = [copy.copy(r) for r in (state.records.values() if state else []) if r.source not in touched]
            infos = {n: i for n, i in old_sources.items() if n not in touched} | _source_infos(changed)
            records = keep + [r for ps in changed for r in ps.records]
            # the same question in a new and an old source is one group, as a full build of the same files
            # makes it (grouping each batch alone made add and build differ: practice questions, drafts, audit)
            group_and_tag([SimpleNamespace(records=records)], embedder=self.embedder, progress=progress,
                          titles={n: i.get("title", "") for n, i in infos.items() if i.get("title_is_heading")})
            self._seed_cache()
            self._write(infos, records, progress)
        return out

    def remove(self, sources: list[str]) -> list[str]:
        """Remove sources (by name) and everything derived from them. Returns the names removed."""
        with store.WriteLock(self.dir):
            state = self._require()
            self._check_model(state.gen.meta)
            known = state.gen.meta["sources"]
            unknown = [s for s in sources if s not in known]
            if unknown:
                raise CoachError(f"not in the index: {', '.join(unknown)} (see `coach index status`)")
            gone = set(sources)
            self._seed_cache(check_dim=False)
            infos = {n: i for n, i in known.items() if n not in gone}
            keep = [r for r in state.records.values() if r.source not in gone]
            self._write(infos, keep, None)
        return sorted(gone)

    def _seed_cache(self, check_dim: bool = True) -> None:
        """Offer the live generation's vectors to the embedding cache (same model and dimension only).

        ``check_dim=False`` (remove: nothing new gets encoded) avoids loading the model at all.
        """
        state = self._current()
        meta = state.gen.meta if state is not None else {}
        same_dim = not check_dim or meta.get("dim") == self.embedder.dim
        if meta.get("embedding_model") == self.embedder.model_id and same_dim:
            self.embedder.seed([c["hash"] for c in state.gen.chunks], state.gen.vectors)

    def _write(self, infos: dict, records: list[Record], progress) -> None:
        records = sorted(records, key=lambda r: (r.source, r.line_start, r.id))
        ids = [r.id for r in records]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})[:3]
            raise CoachError(f"duplicate record ids {dup}: two sources share a name or a parser bug")
        chunks = chunk_records(records)
        if progress:
            progress(len(records), len(records), "chunk")
        vectors = self.embedder.embed_hashed([c.text for c in chunks], [c.hash for c in chunks], progress)
        dim = int(vectors.shape[1]) if len(chunks) else self.embedder.dim
        vectors = vectors.reshape(len(chunks), dim)
        for name, info in infos.items():
            info["records"] = sum(1 for r in records if r.source == name)
            info["chunks"] = sum(1 for c in chunks if c.source == name)
        faiss_index, kind = build_faiss(vectors, self.settings.ann_threshold)
        if progress:
            progress(len(chunks), len(chunks), "index")
        meta = {
            "embedding_model": self.embedder.model_id,
            "dim": dim,
            "index_type": kind,
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "sources": infos,
        }
        store.write_generation(self.dir, meta, [r.to_dict() for r in records], [c.to_dict() for c in chunks],
                               vectors, faiss_index)
        store.collect_garbage(self.dir)
        if progress:
            progress(1, 1, "write")
        self._current()


def _same_files_same_names(parsed, old_sources: dict, keep_namesakes: bool = False) -> list:
    """A file already indexed under another name keeps that name: added once with its folder ("sub/a.md") and
    once alone ("a.md"), it was indexed twice, and the copy not re-added went stale after an edit. Without
    ``keep_namesakes`` a file whose name is an indexed source's replaces that source instead (an upload); with it, a
    namesake added before ("other/k8s.html") keeps the name it was given."""
    by_path = {}
    for name, info in old_sources.items():
        if info.get("path"):
            by_path.setdefault(_real(info["path"]), name)
    out = []
    for ps in parsed:
        name = by_path.get(_real(ps.path)) if ps.path and (keep_namesakes or ps.source not in old_sources) else None
        if name is not None and name != ps.source:
            log.warning("%s is already indexed as %s: re-indexed under that name", ps.path, name)
            ps = _renamed(ps, name)
        out.append(ps)
    return _dedupe(out)


def _namesakes_apart(parsed, old_sources: dict, renamed: dict) -> list:
    """Each file named like an indexed source that was read from another file, still there, under a name of its own:
    its name with as many of its folders as tell it apart ("other/k8s.html"), noted in ``renamed``."""
    taken = set(old_sources) | {ps.source for ps in parsed}
    out = []
    for ps in parsed:  # a namesake added before already has its name (``_same_files_same_names``)
        old = (old_sources.get(ps.source) or {}).get("path")
        if ps.path and old and _real(old) != _real(ps.path) and Path(old).is_file():
            folders = Path(_real(ps.path)).parent.parts[1:]
            names = [f"{'/'.join(folders[-k:])}/{ps.source}" for k in range(1, len(folders) + 1)]
            stem, suffix = Path(ps.source).stem, Path(ps.source).suffix
            name = next((n for n in names if n not in taken), None) or next(
                f"{stem} ({k}){suffix}" for k in range(2, 10_000) if f"{stem} ({k}){suffix}" not in taken)
            taken.add(name)
            renamed[ps.path] = (ps.source, name)
            ps = _renamed(ps, name)
        out.append(ps)
    return out


def _real(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return str(path)


def _renamed(ps, name: str):
    """``ps`` renamed, in place, to source ``name``: its records' source and ids ("a.md:3" -> "sub/a.md:3") and groups.
    In place, so the caller's parsed sources are the sources as indexed: `coach index add` drafted the rubrics of a
    renamed file under its old name, over another source's drafts file."""
    old = ps.source

    def rename_id(rid: str) -> str:
        return name + rid[len(old):] if rid.startswith(old + ":") else rid

    for r in ps.records:
        r.source, r.id, r.group_id = name, rename_id(r.id), rename_id(r.group_id)
    ps.source = name
    return ps


def _dedupe(parsed) -> list:
    by_name = {}
    for ps in parsed:
        if ps.source in by_name:
            log.warning("source %s given twice; the last one wins", ps.source)
        by_name[ps.source] = ps
    return list(by_name.values())


def _source_infos(parsed) -> dict:
    return {
        ps.source: {
            "path": ps.path,
            "sha256": ps.sha256,
            "parser": parser_fingerprint(),  # the corpus code that made its records (corpus.version)
            "boilerplate_removed": dict(ps.boilerplate_removed),
            "warnings": list(ps.warnings)[:20],
            "title": getattr(ps, "title", ""),
            "title_is_heading": bool(getattr(ps, "title_is_heading", False)),
        }
        for ps in parsed
    }
