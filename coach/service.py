"""The Coach facade: the one object the UI, the terminal chat and the CLI talk to.

It owns the lazily loaded parts (index, grader, audit flags, LLM) and nothing else: every piece of
logic lives in its own module and is testable without this class. Thread-safe for the UI: loading
happens under a lock; grading and search are read-only after that.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from coach.config import Settings, load_settings
from coach.errors import CoachError
from coach.grading.types import Citation, Grade

log = logging.getLogger(__name__)


def bundled_sources_dir() -> Path:
    return Path(str(resources.files("corpus") / "bundled"))


@dataclass
class QuestionItem:
    id: str
    question: str
    topic: str
    difficulty: int
    record_ids: list[str]
    model_answer: str = ""
    hints: list[str] = field(default_factory=list)
    # graded against a reviewed rubric (bundled or the user's own); False: one drafted from an added source, whose
    # sentences nobody vouches for (a follow-up graded against one of them is not an explicit reference)
    reviewed: bool = True


@dataclass
class AskResult:
    stream: Iterator[str]
    citations: list[Citation]
    warnings: list[str]


class Coach:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or load_settings()
        # a home made here is private to this account: it holds the users' sources, answers and grades (a review: the
        # index's first write made it 755 before the session database could make it 700)
        try:
            if not self.settings.home.exists():
                self.settings.home.mkdir(parents=True, mode=0o700)
        except OSError as exc:  # a read-only place: said where something is written
            log.debug("cannot create %s: %s", self.settings.home, exc)
        self._read_only: bool | None = None
        self._lock = threading.RLock()
        self._index = None
        self._grader = None
        # the index generation and the reports file's stamp (``_reports_stamp``) the grader was built from
        self._grader_generation: tuple | None = None
        self._audit_stamp = None  # the reports file's stamp the audit view was built with
        self._audit = None
        self._llm = None
        self._bank = None
        self._titles: dict[tuple, str] = {}  # (source, sha256) -> title, for indexes without stored titles
        self._parser_checked = False  # sources an earlier parser made were looked for (``_reparse_stale``)

    @property
    def read_only(self) -> bool:
        """True when COACH_HOME cannot be written (a read-only mount, no permission): the UI still serves
        practice, keeping sessions in memory (see coach.session.db); adding sources fails with one line."""
        if self._read_only is None:
            from coach.diskio import writable

            self._read_only = not writable(self.settings.home)
        return self._read_only

    def read_only_note(self) -> str:
        return (f"COACH_HOME ({self.settings.home}) is read-only: you can practise, but sessions are kept only "
                "until the server stops, and sources cannot be added or removed.")

    # -- parts, loaded on first use -----------------------------------------------------------------
    @property
    def index(self):
        with self._lock:
            if self._index is None:
                from index import CoachIndex

                self._index = CoachIndex(self.settings)
            return self._index

    def ensure_index(self, progress=None) -> None:
        """Build the default index from the bundled sources when there is none yet; once per Coach (a front end
        has one), re-parse the indexed files an earlier version of the corpus code parsed (``_reparse_stale``)."""
        with self._lock:
            if not self.index.exists():
                from corpus import parse_paths

                log.info("no index yet: building it from the bundled sources")
                self.index.build(parse_paths([bundled_sources_dir()], embedder=self.index.embedder), progress=progress)
                self._reset_derived()
                self._parser_checked = True
                self._embed_trusted_statements()
            if self._parser_checked:
                return
            self._parser_checked = True
        self._reparse_stale(progress)

    def _embed_trusted_statements(self) -> None:
        """Embed the audit's trusted statements now, with the index (kept under ``COACH_HOME/knowledge/cache``): the
        first audit reads them (experiment 54's edit reading), and it runs at the first grade, which then waited for
        4,300 statements to be embedded (a browser test's first answer timed out). Never fails the caller."""
        from coach.audit.trusted import build_trusted_index

        try:
            build_trusted_index(self.settings, self.index.embedder.model.encode)
        except Exception as exc:  # the audit embeds them itself when it first needs them
            log.warning("trusted statements not embedded with the index: %s", exc)

    def _reparse_stale(self, progress=None) -> list[str]:
        """Re-index the sources that an earlier version of the corpus code parsed (an upgrade's parsing fixes reach
        an existing home), each only while its file is still there with the bytes it was indexed from: a file
        edited since is the user's to re-add. Returns the names re-parsed. Never fails the caller."""
        import hashlib

        from corpus.version import parser_fingerprint

        if self.read_only:
            return []
        current = parser_fingerprint()
        paths = []
        for s in self.index.status().get("sources", []):
            path = Path(s.get("path") or "")
            if not path.is_file():  # a bundled source of an installation that moved: the bundled copy by its name
                path = bundled_sources_dir() / str(s.get("source") or "")
            if s.get("parser") == current or not path.is_file():
                continue
            try:
                if hashlib.sha256(path.read_bytes()).hexdigest() == s.get("sha256"):
                    paths.append(path)
            except OSError:
                continue
        if not paths:
            return []
        log.info("re-parsing %d source(s) an earlier version of the parser made: %s", len(paths),
                 ", ".join(p.name for p in paths))
        try:
            report = self.add_sources(paths, progress=progress)
        except Exception as exc:  # the index as it is still serves; a later `coach index add` retries
            log.warning("could not re-parse the sources an earlier parser made: %s", exc)
            return []
        return report["updated"]

    def warm_up(self) -> None:
        """Load the index, grader, its models and the audit flags now, so the first answer is graded without
        delay (on a fresh machine loading includes each model's one-time ONNX export, seconds each)."""
        self.ensure_index()
        self.grader.load_models()
        self.audit.all_flags()

    def _reset_derived(self) -> None:
        self._grader = None
        self._audit = None

    @property
    def rubrics(self):
        with self._lock:
            if self._bank is None:
                from coach.grading.rubrics import RubricBank

                self._bank = RubricBank.load(self.settings)
            return self._bank

    @property
    def audit(self):
        """Audit flags for the indexed sources (cached per source hash under COACH_HOME/audit)."""
        with self._lock:
            stamp = self._reports_stamp()
            if self._audit is None or stamp != self._audit_stamp:  # a report made by another process counts now
                from coach.audit_link import AuditView

                self._audit = AuditView(self.settings, self.index)
                self._audit_stamp = stamp
            return self._audit

    def _live_generation(self) -> str | None:
        """The index generation CURRENT names now (another process may have switched it)."""
        from index import store

        try:
            return store.read_current(self.index.dir)
        except (OSError, store.DamagedPointer):
            return None

    @property
    def grader(self):
        # outside the lock: a re-parse after an upgrade (``_reparse_stale``) takes minutes, and under the lock every
        # other user of this Coach (the UI's sessions) waited for it when grading was the first thing asked for
        self.ensure_index()
        with self._lock:
            if self._grader is not None and (self._live_generation(), self._reports_stamp()) != self._grader_generation:
                # another process added or removed sources (`coach index add|remove` beside `coach serve`):
                # grade against the index as it is now, never citing a removed source
                self._reset_derived()
                self._bank = None
            if self._grader is None:
                from coach.grading import Grader

                self.ensure_index()
                self._grader_generation = (self._live_generation(), self._reports_stamp())
                records = {r.id: r for r in self.index.records()}
                self._grader = Grader(
                    # raw encode, no query cache: grades stay bit-for-bit repeatable; grouped by length,
                    # so an answer's short sentences are not padded to the whole answer's length
                    self.index.embedder.encode_grouped,
                    self.rubrics.restricted_to(records),  # never cite a source that is not indexed (any more)
                    records=records,
                    search=lambda q: self.index.search(q, k=5),
                    flags_for=self.audit.flags_for,
                    vocab=load_vocab(self.settings),
                    judge=self._trusted_judge(),
                    nli=self.nli if self.settings.judge_grading != "off" else None,
                    nli_scope="all" if self.settings.judge_grading == "all" else "drafts",
                    scorer=self.scorer,
                    draft_scorer=self.draft_scorer if self.scorer is not None else None,
                    vector_store=self._rubric_vectors(),
                    attempt_model=self._attempt_model(),
                    story_model=self._story_model(),
                )
            return self._grader

    def _attempt_model(self):
        """The learned "no attempt" reading (None: the text rule alone; COACH_ATTEMPT_MODEL=off, or another
        embedding model than the one it was trained on)."""
        if self.settings.attempt_model == "off":
            return None
        from coach.grading.attempt_model import AttemptModel

        return AttemptModel.for_embedder(self.index.embedder.model_id)

    def _story_model(self):
        """Behavioural answers read as stories with COACH_STORY_MODEL=on (None: graded like any other; off, the
        default, no fitted model, or another embedding model than the one it was fit with)."""
        if self.settings.story_model != "on":
            return None
        from coach.grading.prompts import PromptModel
        from coach.grading.story import StoryModel

        model = StoryModel.for_embedder(self.index.embedder.model_id)
        if model is None:
            return None
        # prompts read by meaning too, beside their phrasings (coach/grading/prompts.py)
        return dataclasses.replace(model, prompts=PromptModel.for_embedder(self.index.embedder.model_id))

    def _rubric_vectors(self):
        """Rubric vectors on disk under COACH_HOME/cache (none in a read-only home)."""
        if self.read_only:
            return None
        from coach.grading.vector_store import RubricVectorStore
        from coach.onnx_models import use_onnxruntime

        try:
            runtime = "onnxruntime" if use_onnxruntime(self.settings.fp32_runtime) else "torch"
        except Exception:  # noqa: BLE001 - a bad setting is reported where the model loads
            runtime = "?"
        return RubricVectorStore(self.settings.home / "cache", self.index.embedder.model_id, runtime)

    def _bundled_or_asked(self, load, setting: str, without: str):
        """``load(settings)`` for an optional model: a model the user asked for (``setting`` not "default")
        and cannot have raises its one clear line; the bundled one missing gives a warning and None."""
        from coach.judge import JudgeError

        try:
            return load(self.settings)
        except JudgeError as exc:
            if getattr(self.settings, setting) not in ("", "default"):
                raise
            log.warning("%s: %s", without, exc)
            return None

    @property
    def scorer(self):
        """The answer scorer (coach/judge/scorer.py), loaded lazily; None when off, or (with a warning)
        when the bundled one is missing."""
        from coach.judge.scorer import load_scorer

        return self._bundled_or_asked(load_scorer, "answer_scorer", "grading without the answer scorer")

    @property
    def draft_scorer(self):
        """The answer scorer for drafted rubrics (COACH_DRAFT_SCORER), loaded lazily; None when the answer
        scorer grades drafts too, or (with a warning) when the bundled one is missing."""
        from coach.judge.scorer import load_draft_scorer

        return self._bundled_or_asked(load_draft_scorer, "draft_scorer", "drafted rubrics graded with the answer scorer")

    @property
    def nli(self):
        """The judgement model (coach/judge), loaded lazily; None (with a warning) when it is missing."""
        from coach.judge import JudgeError, load_judge

        try:
            return load_judge(self.settings)
        except JudgeError as exc:
            if self.settings.judge_model not in ("", "default"):
                raise  # a model the user asked for and cannot have: one clear line, not a silent fallback
            log.warning("grading without the judgement model: %s", exc)
            return None

    def _trusted_judge(self):
        """An LLM judge only when COACH_LLM_TRUSTED is set and the model passed the dev-split gate."""
        if not self.settings.llm_trusted:
            return None
        from coach.grading.judge import trusted_judge

        try:
            return trusted_judge(self.settings, self.llm)
        except Exception as exc:  # no LLM available: grade without one
            log.warning("no LLM judge: %s", exc)
            return None

    @property
    def llm(self):
        with self._lock:
            if self._llm is None:
                from coach.llm import load_llm

                self._llm = load_llm(self.settings)
            return self._llm

    # -- what the front ends call -------------------------------------------------------------------
    def grade(self, question: str, answer: str, *, question_id: str | None = None, reference: str | None = None,
              vouched: bool = True) -> Grade:
        grader = self.grader
        grade = grader.grade(question, answer, question_id=question_id, reference=reference, vouched=vouched)
        rubric = self.rubrics.get(grade.question_id) if reference is None and grade.question_id else None
        if rubric is not None and rubric.origin == "draft":
            grade.model_answer = self.shown_model_answer(rubric)
        return grade

    def grade_followup(self, question: str, answer: str, target: str, vouched: bool = True,
                       known_wrong: str | None = None) -> Grade:
        """An answer to a follow-up (``coach.questions.FollowUp``) graded against its gap ``target`` alone.
        ``known_wrong``: the known misconception (a rubric's, a reported source error) the follow-up quotes, if it asks
        "you said ... Is that right?" about one: an answer that says yes to it is graded as saying it again
        (``coach.grading.affirm``). Not a judge's flag: those are often false alarms, and a yes to a correct sentence is
        right (a walkthrough's "Yes, ... GIN stands for Generalized Inverted Index" was capped at 2)."""
        from coach.grading.affirm import affirmed

        grade = self.grade(question, answer, reference=target, vouched=vouched)
        return affirmed(grade, known_wrong, answer, target) if known_wrong else grade

    SHOWN_SENTENCES = 12  # a drafted question's model answer: at most this many sentences of its source's answer

    def shown_model_answer(self, rubric) -> str:
        """The model answer a person is shown for a question: a reviewed rubric's own; for a drafted one, its source's
        answer as it should be read (each flagged sentence as its correction, code blocks whole: ``corrected_answer``),
        not its key points joined, which left out every code block and every sentence past the fourth (two
        walkthroughs: a Python source's seven code blocks reached no model answer or study card). Display only: grading
        reads the rubric's own model answer."""
        from coach.audit.corrected import corrected_answer

        if rubric.origin != "draft" or rubric.model_answer.strip() != " ".join(kp.text for kp in rubric.key_points).strip():
            return rubric.model_answer  # reviewed, or a drafts file whose model answer a person edited
        rec = next((r for r in map(self.index.get, rubric.records) if r is not None), None)
        if rec is None or rec.kind == "passage" or not (rec.answer or "").strip():  # a passage holds its title lines
            return rubric.model_answer
        # the flags its drafting read are its misconceptions (a source's errors, reported ones too): the audit's view is
        # not loaded for them (it took 8 s, and `coach sessions export` became 20 times slower: a walkthrough)
        flags = [{"quote": m.text, "correction": m.correction} for m in rubric.misconceptions if m.source_error]
        return corrected_answer(rec.fenced_answer(), flags, limit=self.SHOWN_SENTENCES) or rubric.model_answer

    def search(self, query: str, k: int = 5, **filters):
        self.ensure_index()
        return self.index.search(query, k=k, **filters)

    def question_bank(self, topics: list[str] | None = None, difficulty: int | None = None) -> list[QuestionItem]:
        from coach.questions import question_bank

        self.ensure_index()
        records = self.index.records()
        bank = self.rubrics.restricted_to(r.id for r in records)
        items = question_bank(records, bank, topics=topics, difficulty=difficulty)
        for item in items:  # a drafted question's model answer as a person reads it (``shown_model_answer``)
            rubric = bank.get(item.id) if not item.reviewed else None
            if rubric is not None and rubric.origin == "draft":
                item.model_answer = self.shown_model_answer(rubric)
        return items

    def followup(self, grade: Grade, answer: str = ""):
        """The follow-up on a graded answer's biggest gap (``coach.questions.FollowUp``); ``answer``: the graded
        answer's text (its words are not suggested back)."""
        from coach.questions import followup_for

        return followup_for(grade, answer)

    def ask(self, question: str, cancel: threading.Event | None = None, hold_back=()) -> AskResult:
        """A grounded answer; ``hold_back``: record ids not to answer from (``coach.ask.ask``)."""
        from coach.ask import ask

        self.ensure_index()
        return ask(self, question, cancel=cancel, hold_back=hold_back)

    def add_sources(self, paths: list[Path], progress=None, keep_copies: bool = False) -> dict:
        """Index new or changed files. A file that cannot be read is reported under "skipped" and the
        rest goes on; nothing readable at all is a CoachError. ``keep_copies``: the files are temporary (a
        browser upload): index copies kept under ``COACH_HOME/uploads`` instead (``keep_uploads``)."""
        from coach.config import MAX_SOURCE_HINT
        from corpus import parse_batch

        self.ensure_index()
        copies: dict[str, str] = {}  # kept copy -> the name the user uploaded
        shown: dict[str, str] = {}  # a path an error may name -> what the user is shown: the name they uploaded
        if keep_copies:
            kept = self.keep_uploads(paths)
            copies = {str(k): Path(p).name for k, p in zip(kept, paths) if str(k) != str(p)}
            # a file not copied (too large, unreadable) keeps its temporary path, which is the server's business (a
            # security review's oversized upload was answered with the server's temp folder)
            shown = {str(k): Path(p).name for k, p in zip(kept, paths)}
            paths = kept
        # Not under self._lock: the index writes a new generation and switches it in atomically,
        # so other users keep grading against the current one while this runs.
        batch = parse_batch([Path(p) for p in paths], embedder=self.index.embedder, progress=progress,
                            max_bytes=self.settings.max_source_bytes, size_hint=MAX_SOURCE_HINT)
        for skipped in batch.skipped:  # the copy of a file that cannot be indexed is not kept (a user walkthrough)
            if str(skipped.path) in copies:
                self._drop_upload_copy(str(skipped.path))
        _, error = batch.outcome(paths)
        if error:
            for path, name in sorted(shown.items(), key=lambda kv: -len(kv[0])):  # the file the user chose, not a path
                error = error.replace(path, name)
            raise CoachError(error)
        parsed = batch.sources
        before = {x["source"]: x.get("path") for x in self.index.status().get("sources", [])}
        report = self.index.add(parsed, progress=progress)
        for name in report["updated"]:  # the previous upload's copy of a changed source
            self._drop_upload_copy(before.get(name), keep={str(p) for p in paths})
        report["skipped"] = [f"{Path(s.path).name} ({s.reason})" for s in batch.skipped]
        from coach.questions import passages_only_notes

        report["notes"] = passages_only_notes(parsed, set(report["added"]) | set(report["updated"]))
        with self._lock:
            self._reset_derived()
        if report["added"] or report["updated"]:
            changed = set(report["added"]) | set(report["updated"])
            try:  # audited now, as its own stage, so the drafts below and the Sources tab find it done
                mine = [f for f in self.audit.all_flags(progress=progress) if f.get("source") in changed]
                # what the audit found in them, as `coach index add` says it (the web UI said nothing of it)
                report["audit"] = {"flags": len(mine), "errors": sum(f.get("verdict") == "error" for f in mine)}
            except Exception as exc:  # the audit must never stop indexing
                log.warning("source audit unavailable: %s", exc)
                report["audit"] = {"error": str(exc)}
        # every source, not only changed ones: drafts a failed run could not write are written now
        report["drafted"] = self.write_draft_rubrics(parsed, progress=progress)
        return report

    def write_draft_rubrics(self, parsed, progress=None) -> list[str]:
        """Editable draft rubrics (from the references and the audit) for questions with no rubric yet,
        one YAML file per source under COACH_HOME/rubrics/drafts, versioned by the source's hash and the drafting rules.

        Safe to call for unchanged sources: a file that already matches the source's hash (and drafter) is left alone
        before anything is computed, so a run after a failed one (full disk, crash) finishes the work."""
        from coach.audit import reported
        from coach.diskio import writing
        from coach.grading.draft import drafts_path, drafts_state, write_drafts

        written = []
        tick = progress or (lambda done, total, stage: None)
        reports, _ = reported.load(self.settings)
        sharing = self._sources_sharing_questions() if reports else {}
        for done, ps in enumerate(parsed):
            tick(done, len(parsed), "draft")
            path = drafts_path(self.settings.rubrics_dir / "drafts", ps.source)
            # a drafted rubric reads the flags of every source asking its question (``Grader.draft_for``)
            fixes = reported.fingerprint([r for r in reports if r.source in sharing.get(ps.source, {ps.source})])
            state = drafts_state(path, ps.sha256, fixes)
            if state == "current":
                continue
            if state == "unreadable":  # a hand edit with a typo: never overwritten (RubricBank warns, naming it)
                log.warning("draft rubrics %s do not parse and were left as they are: fix the file, or delete it "
                            "to have them drafted again", path)
                continue
            recs = [r for r in ps.records if self.rubrics.for_record(r.id) is None or self.rubrics.for_record(r.id).origin == "draft"]
            if not recs:
                continue
            drafts = [self.grader.draft_for(r) for r in recs]
            with writing(f"write draft rubrics to {path.parent}",
                         kept="the index is updated; run the same `coach index add` again to write them"):
                if write_drafts(path, ps.source, ps.sha256, drafts, reported=fixes):
                    written.append(str(path))
        if parsed:
            tick(len(parsed), len(parsed), "draft")
        if written:
            with self._lock:
                self._bank = None
                self._grader = None
        return written

    def _sources_sharing_questions(self) -> dict[str, set[str]]:
        """Per indexed source, the sources (itself included) with a record in one of its records' question groups."""
        by_group: dict[str, set[str]] = {}
        records = list(self.index.records()) if self.index.exists() else []
        for r in records:
            by_group.setdefault(r.group_id or r.id, set()).add(r.source)
        out: dict[str, set[str]] = {}
        for r in records:
            out.setdefault(r.source, {r.source}).update(by_group[r.group_id or r.id])
        return out

    # -- errors the user reports in a source (coach/audit/reported.py) --
    def report_error(self, source: str, quote: str, correction: str, reason: str = "") -> dict:
        """Report a sentence of an indexed source as wrong, with its correction: from now on it is an audit flag
        (check ``reported``), and the drafted rubrics of its question take the correction instead of the sentence.
        Returns {"report": Report, "replaced": [earlier reports of the same sentence that said something else],
        "flagged": [flag dicts],
        "drafted": [files rewritten], "notes": [...]}. A source that is not indexed, words it does not contain, or a
        correction empty or under 3 words is a CoachError; nothing is stored then.
        Once stored, a report stays even when the audit or the drafts cannot be redone now (said in "notes")."""
        from coach.audit import reported
        from coach.audit.runner import source_claims
        from coach.audit_link import parsed_from_index

        self.ensure_index()
        parsed = {ps.source: ps for ps in parsed_from_index(self.index)}
        if isinstance(source, str) and source not in parsed and Path(source).is_file():
            # the path the user indexed ("src/notes.md" for the source "notes.md", a walkthrough's first try; a file
            # of a folder indexed as "os/a.md"): the indexed source that was read from that very file
            source = next((name for name, ps in parsed.items()
                           if ps.path and Path(ps.path).is_file() and Path(ps.path).samefile(source)), source)
        if not isinstance(source, str) or source not in parsed:
            known = ", ".join(sorted(parsed)) or "none"
            raise CoachError(f"{source!r} is not an indexed source (indexed: {known})")
        claims, _ = source_claims(parsed[source])
        report, replaced = reported.add(self.settings, source, quote, correction, reason, claims=claims)
        # the same report made again replaces nothing the user would want to hear about
        replaced = [old for old in replaced if old.id != report.id or old.correction != report.correction]
        return {"report": report, "replaced": replaced, **self._after_reports(report)}

    def reported_errors(self) -> list[dict]:
        """The user's reports, each with ``indexed`` (its source is indexed) and ``found`` (its words are in it)."""
        from coach.audit import reported
        from coach.audit.runner import source_claims
        from coach.audit_link import parsed_from_index

        reports, _ = reported.load(self.settings)
        parsed = {ps.source: ps for ps in parsed_from_index(self.index)} if self.index.exists() else {}
        claims = {name: source_claims(ps)[0] for name, ps in parsed.items() if any(r.source == name for r in reports)}
        return [{**r.__dict__, "indexed": r.source in parsed,
                 "found": bool(reported.matching(claims.get(r.source, []), r.quote))} for r in reports]

    def remove_reported_errors(self, ids: list[str]) -> dict:
        """Withdraw reports by id (or a prefix of 4+ characters); the sentences are graded from the source again."""
        from coach.audit import reported

        gone = reported.remove(self.settings, ids)
        return {"removed": gone, **self._after_reports()}

    def _after_reports(self, report=None) -> dict:
        """Re-read the audit (the ``reported`` check is not cached) and redraft the rubrics whose reports changed
        (``write_draft_rubrics`` compares each drafts file's stamp). Never raises: the report is already stored."""
        from coach.audit_link import parsed_from_index
        from coach.diskio import DiskError

        with self._lock:
            self._reset_derived()
            self._bank = None
        flagged, notes, drafted = [], [], []
        try:
            flags = self.audit.all_flags()
        except Exception as exc:  # drafts written now would miss the report: left for the next `coach index add`
            log.warning("source audit unavailable: %s", exc)
            return {"flagged": [], "drafted": [], "notes": [f"the source audit could not run ({exc}): the report is "
                                                            "saved and takes effect at the next audit"]}
        if report is not None:
            flagged = [f for f in flags if f["source"] == report.source and f.get("check") == "reported"
                       and f.get("correction") == report.correction]
            if not flagged:
                notes.append("its words are in the source, but the audit raised no flag on them")
        try:
            drafted = self.write_draft_rubrics(parsed_from_index(self.index))
        except DiskError as exc:
            notes.append(f"{exc} (the report is saved; its drafted rubrics are rewritten at the next `coach index add`)")
        return {"flagged": flagged, "drafted": drafted, "notes": notes}

    def _reports_stamp(self):
        """When the reports file last changed (None: no file): another process's report makes grades stale."""
        from coach.audit import reported

        try:
            st = reported.path(self.settings).stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def keep_uploads(self, paths: list[Path]) -> list[Path]:
        """Copies of uploaded files under ``COACH_HOME/uploads/<sha256 prefix>/<name>`` (same name, so the same
        source name). The index keeps each source's path for later audits (quotes from the original lines), and
        a browser upload's temporary file is deleted by Gradio's cache cleaning or the system's /tmp cleaning.
        A file that cannot be read, or is over the size limit, is passed on as it is (parsing reports it)."""
        import hashlib
        import os
        import shutil

        from coach.diskio import writing

        out = []
        for p in map(Path, paths):
            try:
                if not p.is_file() or p.stat().st_size > self.settings.max_source_bytes:
                    out.append(p)
                    continue
                digest = hashlib.sha256(p.read_bytes()).hexdigest()[:16]
            except OSError:
                out.append(p)
                continue
            dest = self.uploads_dir / digest / p.name
            if not dest.exists():
                with writing(f"keep a copy of {p.name} in {self.uploads_dir}", kept="nothing was indexed"):
                    # the users' uploads: private to this account, like the session database
                    self.uploads_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                    dest.parent.mkdir(exist_ok=True, mode=0o700)
                    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
                    shutil.copyfile(p, tmp)
                    tmp.replace(dest)
            out.append(dest)
        return out

    @property
    def uploads_dir(self) -> Path:
        return self.settings.home / "uploads"

    def remove_sources(self, sources: list[str]) -> list[str]:
        """Remove sources and everything derived from them: index entries, the copy of an uploaded file
        (``keep_uploads``), and their draft rubric file (kept aside as ``.bak``, never loaded, so hand edits
        are not lost)."""
        from coach.grading.draft import retire_drafts

        with self._lock:
            paths = {s["source"]: s.get("path") for s in self.index.status().get("sources", [])}
            removed = self.index.remove(sources)
            self._reset_derived()
            if retire_drafts(self.settings.rubrics_dir / "drafts", removed):
                self._bank = None
            for name in removed:
                self._drop_upload_copy(paths.get(name))
            return removed

    def _drop_upload_copy(self, path: str | None, keep: set[str] = frozenset()) -> None:
        """Delete ``path`` when it is a copy under ``uploads_dir`` (``keep_uploads``), never a file of the
        user's own; its folder too when nothing else is in it."""
        kept = Path(path or "")
        try:
            if str(kept) in keep or not kept.is_file() or kept.resolve().parent.parent != self.uploads_dir.resolve():
                return
            kept.unlink(missing_ok=True)
            kept.parent.rmdir()
        except OSError:  # another upload with the same content and another name is in the folder
            pass

    def sources(self) -> list[dict]:
        self.ensure_index()
        status = self.index.status()
        flags = self.audit.counts_by_source()
        rows = []
        for s in status.get("sources", []):
            row = dict(s)
            row["flags"] = flags.get(row.get("source"), 0)
            rows.append(row)
        return rows

    def source_titles(self) -> dict[str, str]:
        """{source file name: title from its content}, for every indexed source that has one.
        Indexes built before titles were stored get theirs by re-reading the file once (cached by sha256).
        Read from the index's manifest only: no audit, no model, no index build (an export names sources
        without loading anything; before, it ran ``sources()``, which loads the embedding model for the audit)."""
        titles = {}
        status = self.index.status() if self.index.exists() else {}
        for s in status.get("sources", []):
            name, title = s.get("source"), s.get("title")
            if not title and s.get("path"):
                key = (name, s.get("sha256"))
                if key not in self._titles:
                    self._titles[key] = _title_from_file(s["path"], name)
                title = self._titles[key]
            if name and title:
                titles[name] = title
        return titles

    def rubric_problems(self) -> list[str]:
        """One line per rubric file that was skipped as invalid (`coach index status`, the Sources tab)."""
        return list(self.rubrics.problems)

    def audit_report_markdown(self) -> str:
        return self.audit.report_markdown(self.source_titles())

    def audit_report_html(self) -> str:
        """The audit report for the web UI, grouped by source and collapsible; all source text escaped."""
        return self.audit.report_html(self.source_titles())

    def models(self) -> dict:
        from coach.models import embedding_model_path

        out = {"embedding_model": self.settings.embedding_model, "llm_backend": self.settings.llm_backend, "llm_model": self.settings.llm_model}
        try:
            out["embedding_model_path"] = embedding_model_path(self.settings)
        except Exception as exc:  # shown in the UI, not fatal
            out["embedding_model_path"] = f"unavailable: {exc}"
        if self._llm is not None:
            out["llm"] = getattr(self._llm, "name", type(self._llm).__name__)
        return out


def _title_from_file(path: str, source: str) -> str:
    from corpus.pipeline import parse_file

    try:
        return parse_file(Path(path), source).title
    except Exception as exc:  # a moved or unreadable file: the file name alone still identifies it
        log.debug("no title for %s: %s", source, exc)
        return ""


def load_vocab(settings) -> frozenset[str] | None:
    """Whole-word entries of the embedding model's WordPiece vocabulary (for the gibberish check)."""
    from coach.models import embedding_model_path

    try:
        path = Path(embedding_model_path(settings)) / "vocab.txt"
        return frozenset(w for w in path.read_text(encoding="utf-8").split() if w.isalpha())
    except Exception:
        return None
