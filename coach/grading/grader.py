"""The grader: question + free-text answer -> ``Grade`` (score, verdict, feedback, citations).

Order of work: resolve the rubric (explicit id, explicit reference text, or the best match found in
the index), screen the input (empty, pasted essay, gibberish, restated question, instructions aimed
at the grader), compute the named signals, combine them with the calibrated model, then write
feedback from rubric facts. The same answer to the same question always gets the same grade: no
sampling anywhere, embeddings are computed the same way every time, scores are rounded.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

import numpy as np

from coach.errors import CoachError, UnknownQuestion
from coach.grading import signals
from coach.grading.attempt import is_no_attempt
from coach.grading.combine import Calibration, calibration_path, load_for_mode
from coach.grading.draft import content_words, draft_rubric, guess_difficulty, quote_text, slug
from coach.grading.edits import edit_basis, fact_changes
from coach.grading.feedback import ADDED_SOURCE, DRAFTED_FROM, build_feedback
from coach.grading.rubrics import Misconception, Rubric, RubricBank
from coach.grading.text import (
    MAX_ANSWER_CHARS,
    claim_sentences,
    english_ratio,
    other_language_ratio,
    looks_like_gibberish,
    normalise,
    other_script,
    word_shaped,
    said_as_quoted,
    sentences,
    strip_injections,
    text_and_code,
    without_repeats,
    words,
)
from coach.grading.types import Citation, Grade, Step
from corpus.behavioural import behavioural

log = logging.getLogger(__name__)

AD_HOC_PREFIX = "ref-"  # id prefix of a rubric drafted from an explicit ``reference`` (``Grader.resolve``); an id
# alone never marks one (a source named "ref-notes.md" has record ids that start the same): ``Rubric.explicit`` does


OTHER_QUESTION_MAX = 0.45  # embedding cosine under which two questions with few shared words are two questions


def _few_shared_words(asked: str, graded: str) -> bool:
    """Whether two questions share at most a third of either's content words."""
    a, b = content_words(asked), content_words(graded)
    if not a or not b:
        return False
    shared = len(a & b)
    return shared / len(a) <= 1 / 3 and shared / len(b) <= 1 / 3


NOTHING_PINNED = ("No single sentence is listed as wrong: the grade is low because the answer as a whole matches the "
                  "reference poorly (see what is missing, and \"Why this score\").")


def drafted_note(citations: list[Citation]) -> str:
    """What a grade against a rubric drafted from an indexed source tells the candidate: its key points are that
    source's own sentences, which nobody reviewed, and (while the audit's ``trusted`` check cannot flag, the one
    place that knows: ``coach.audit.checks.not_verified``) the audit cannot verify most facts in a source."""
    from coach.audit.checks import not_verified

    sources = ", ".join(dict.fromkeys(c.source for c in citations if c.source)) or ADDED_SOURCE
    note = (f"{DRAFTED_FROM}{sources}, not a reviewed rubric: where the source is wrong and "
            "the audit did not flag it, this grade is too.")
    if not_verified(("trusted",)):
        note += (" The source audit checks code, arithmetic and known error patterns, but cannot verify most statements "
                 "of fact in a source.")
    return note


# A behavioural question ("Tell me about a time ...", ``corpus.behavioural``) drafted from a source is graded
# against the source's sample story (a walkthrough's good stories of their own scored from 1.0 "off topic" to 8.9)
BEHAVIOURAL_NOTE = ("A behavioural question: a strong answer tells your own story, so it differs from the source's sample, "
                    "and this grade, which compares your answer with the sample's points, can read a good story of your own "
                    "as partial or off topic. Check your story against STAR instead: the situation and your task in a "
                    "sentence or two, what you did yourself (most of the answer, in the first person), and the result, in "
                    "numbers if you can, with what you learned.")


def _swap_checked(rubric) -> bool:
    """Whether the role-swap rule reads answers against this rubric: a reviewed one (bundled or the user's
    own), or one drafted from an explicit reference the user brings (a `reference` field in `coach grade`'s input); not one
    drafted from an indexed source, whose unflagged errors would make correct answers look swapped."""
    return rubric.origin != "draft" or rubric.explicit


RUBRIC_CACHE_SIZE = 4096  # rubrics whose vectors and flag-augmented copy stay in memory


class _LRU:
    """A small thread-safe least-recently-used map: ``get`` (None when absent) and ``put``."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _forget_pool_after_fork() -> None:
    """A forked child has none of the pool's threads: it starts its own pool on first use."""
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _submit(fn, *args, parallel: bool = True) -> Future:
    """Run ``fn(*args)`` on the grader's small thread pool (the models release the GIL while they
    compute, so the answer scorer, the judge and the embedding model overlap on a few cores); with
    ``parallel`` False, here and now (a finished Future)."""
    global _POOL
    if not parallel:
        done: Future = Future()
        try:
            done.set_result(fn(*args))
        except Exception as exc:  # raised where the result is read, as from the pool
            done.set_exception(exc)
        return done
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="coach-grading")
        return _POOL.submit(fn, *args)


MATCH_MIN = 0.55  # cosine between the asked question and the matched reference question


class GradeError(CoachError):
    """This answer cannot be graded (no reference found): reported per line, never dropped."""


class UnknownQuestionId(GradeError, UnknownQuestion):
    """No rubric or indexed record has this question id."""


def _load(*models) -> None:
    for model in models:
        if model is not None and hasattr(model, "load"):  # a stand-in model in a test may have no load()
            model.load()


# a known misconception's correction and the key point cited as its evidence: the cosine at or above which
# the key point says what the correction says (chosen on 30 bundled misconceptions read by hand: 21 of 23 at or
# above it did, none of 7 below; README "A known misconception cites the key point that corrects it")
CITE_MIN = 0.5
MAX_POINT_READINGS = 8  # per-point readings of the answer scorer, in rubric order (bundled rubrics have at most 4)


def scorer_references(rubric: Rubric) -> list[str]:
    """What the answer scorer reads an answer against for the step ``answer_score``: a drafted rubric's
    reference (its model answer); a reviewed rubric's model answer and, apart, its key points joined (the
    mean of the readings ranks the bundled dev answers better than the model answer alone, Spearman .600 ->
    .640; README, "The answer scorer reads a reviewed rubric twice, ...", experiment 23)."""
    if rubric.origin == "draft":
        return [rubric.model_answer]
    return [rubric.model_answer, " ".join(kp.text for kp in rubric.key_points)]


def scorer_readings(scorer, question: str, rubric: Rubric, answer: str) -> dict[str, float]:
    """The answer scorer's readings of ``answer`` as features (grade / 10): ``answer_score``, the mean of its
    readings against ``scorer_references``; on a reviewed rubric also ``answer_score_points``, the mean of its
    readings against each key point alone (the first ``MAX_POINT_READINGS``), a coverage the scorer measures
    (README, "The answer scorer reads a reviewed rubric twice, and each key point alone", experiment 27). A
    drafted rubric's key points are its reference's own sentences, so it gets the first only."""
    refs = scorer_references(rubric)
    points = [] if rubric.origin == "draft" else [kp.text for kp in rubric.key_points][:MAX_POINT_READINGS]
    texts = list(dict.fromkeys(refs + points))  # each text read once (one key point: its joined text is itself)
    reading = dict(zip(texts, scorer.scores([(question, text, answer) for text in texts])))
    out = {"answer_score": float(np.mean([reading[t] for t in refs]))}
    if points:
        out["answer_score_points"] = float(np.mean([reading[t] for t in points]))
    return out


def credit_explanation(n: int, expected: float, cal: Calibration) -> str:
    """Why ``n`` key points an answer mentions are not credited, with the gate's own dev figures when known."""
    text = (f"{n} key point(s) the answer mentions are not credited: the answer scorer expects about "
            f"{10 * expected:.1f}/10 of the whole answer, below the {10 * cal.credit_score_min:g}/10 at which "
            "credits are shown")
    rates = (cal.fitted_on or {}).get("shown_right")
    if isinstance(rates, list) and len(rates) == 2:
        text += (f" (on the expert-graded answers it was fit on, this kept the credits of {rates[0]:.0%} of excellent "
                 f"and good answers and hid those of {1 - rates[1]:.0%} of wrong ones)")
    return text



def _shown(stated: dict) -> dict:
    """What a stated error adds to its "What is wrong" item beyond the rubric misconception's fields: a role
    swap (step "swaps") says how it is wrong, cites the reference sentence and gives its basis; a cited key
    point is the evidence of a known misconception; a source's own error says where the source states it."""
    out = {k: stated[k] for k in ("evidence", "basis", "source_at") if k in stated}
    if "shown_how" in stated:
        out["how"] = stated["shown_how"]
    return out


# what a drafted key point the judge entails must also meet to be credited (``Grader._confirm_credits``): its cosine
# with the closest sentence of the answer, or else the answer scorer's reading of the answer against it alone. Chosen
# on 240 credits of DEV answers labelled blind (experiment 75, README): the most precise pair keeping >= 90% of the
# correct credits (weighted precision .72 -> .81, recall .91)
CONFIRM_SIM = 0.40
CONFIRM_SCORE = 0.90

SAME_ERROR_MIN = 0.6  # share of the shorter text's content words two misconceptions share to be one error


def _same_error(a: dict, b: dict) -> bool:
    """Two known misconceptions matched to one answer sentence that are one error told twice (a rubric's own wording
    and an audit flag's quote of a source's error): located on the same single source line, or sharing most of their
    content words. Two different errors in one sentence ("pooling has weights and keeps the image size") are not."""
    at = a.get("source_at")
    if at and at == b.get("source_at") and at.get("line_start") == at.get("line_end"):
        return True
    wa, wb = content_words(a["claim"]), content_words(b["claim"])
    return bool(wa and wb) and len(wa & wb) / min(len(wa), len(wb)) >= SAME_ERROR_MIN


def _one_per_error(stated: list[dict]) -> list[dict]:
    """Each error once under "What is wrong": of the known misconceptions matched to one answer sentence that are
    the same error (``_same_error``), the first in the rubric's order, or the first that says where (evidence or a
    source location) when it does not. Display only: every match still counts in the score."""
    kept: list[dict] = []
    for st in stated:
        key = normalise(st["sentence"]).lower()
        i = next((i for i, k in enumerate(kept) if normalise(k["sentence"]).lower() == key and _same_error(k, st)), None)
        if i is None:
            kept.append(st)
        elif not (kept[i].get("evidence") or kept[i].get("source_at")) and (st.get("evidence") or st.get("source_at")):
            kept[i] = st
    return kept


# a grade at or above this is never turned into "no attempt" by the model's reading (the screen's rule is not gated)
NO_ATTEMPT_BELOW = 2.5


def _uncredit(ev: signals.Evidence, rubric: Rubric, texts: set[str]) -> None:
    """The key points in ``texts`` (normalised, lower case) leave the credited lists of ``ev`` (and of the
    judge's reading) and join the missing ones, in the rubric's order: the answer contradicts them."""
    if not texts:
        return

    def keep(covered):  # (key point, strength) pairs
        return [(text, p) for text, p in covered if normalise(text).lower() not in texts]

    def missing(before):
        out = set(before) | {kp.text for kp in rubric.key_points if normalise(kp.text).lower() in texts}
        return [kp.text for kp in rubric.key_points if kp.text in out]

    if ev.judged:
        ev.judged["covered"] = keep(ev.judged["covered"])
        ev.judged["missing"] = missing(ev.judged["missing"])
    ev.covered = keep(ev.covered)
    ev.missing = missing(ev.missing)


class Grader:
    def __init__(
        self,
        embed: Callable[[list[str]], np.ndarray],
        bank: RubricBank,
        *,
        records: dict | None = None,  # record id -> Record
        search: Callable[[str], list] | None = None,  # question -> [Hit(record, score, ...)]
        flags_for: Callable[[str], list[dict]] | None = None,  # record id -> audit flags
        vocab: frozenset[str] | None = None,
        calibration: Calibration | None = None,
        judge: Callable | None = None,  # (rubric, question, answer) -> 0..10 | None; only a TRUSTED LLM
        nli=None,  # coach.judge.Judge: claim-level entailment/contradiction (the step "claims")
        nli_scope: str = "all",  # "all" rubrics, or only "drafts" (rubrics drafted from a reference)
        scorer=None,  # coach.judge.scorer.AnswerScorer: the whole answer's expected grade (the step "answer_score")
        draft_scorer=None,  # the scorer for drafted rubrics (None: ``scorer`` grades them too)
        parallel: bool = True,  # run the answer scorer and the judge beside the embedding model (same grades)
        vector_store=None,  # coach.grading.vector_store.RubricVectorStore: rubric vectors kept on disk
        attempt_model=None,  # coach.grading.attempt_model.AttemptModel: "no attempt" beside the text rule
        story_model=None,  # coach.grading.story.StoryModel: behavioural answers on drafted rubrics read as stories
    ):
        if nli_scope not in ("all", "drafts"):
            raise ValueError(f"nli_scope must be 'all' or 'drafts', not {nli_scope!r}")
        self._embed = embed
        self.attempt_model = attempt_model
        self.story_model = story_model
        self._stories = None
        self.bank = bank
        self.records = records or {}
        self.search = search
        self.flags_for = flags_for or (lambda rid: [])
        self.vocab = vocab
        self.nli_scope = nli_scope
        judged_reviewed = nli is not None and nli_scope == "all"
        self.scorer = scorer
        self.draft_scorer = draft_scorer if scorer is not None else None
        with_scorer = scorer is not None
        self.calibration = calibration or load_for_mode(judged_reviewed, False, with_scorer)
        # drafted rubrics (no reviewed term groups) have their own fit; an explicit calibration or a
        # missing draft fit means one calibration for both
        if calibration is not None:
            self.draft_calibration = calibration
        else:
            self.draft_calibration = load_for_mode(nli is not None, True, with_scorer,
                                                   fallback=calibration_path(nli is not None))
        self.judge = judge
        self.nli = nli
        self.parallel = parallel
        self._embedder_loaded = False
        # both keyed by rubric content; bounded, since every explicit reference makes a new rubric and a
        # long-lived server would otherwise keep them all
        self._vec_cache = _LRU(RUBRIC_CACHE_SIZE)
        self.vector_store = vector_store
        self._augmented = _LRU(RUBRIC_CACHE_SIZE)

    # -- embeddings -------------------------------------------------------------------------------
    def vecs(self, texts: list[str]) -> np.ndarray:
        """(N, d) unit vectors for texts embedded together as ONE batch. Batch composition can shift
        the last float bits (padding changes matmul shapes), so every caller embeds a fixed batch:
        the answer's own texts, or one rubric's texts. That keeps grades exactly repeatable."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        out = np.asarray(self._embed(list(texts)), dtype=np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def _story_reader(self):
        if self._stories is None:
            from coach.grading.story import StoryReader

            self._stories = StoryReader(self._embed)
        return self._stories

    def rubric_vecs(self, rubric: Rubric) -> dict[str, np.ndarray]:
        """Model answer, key points, misconceptions and corrections, embedded once per rubric (and, with a
        ``vector_store``, kept on disk for the next run)."""
        dump = rubric.model_dump_json()
        key = rubric.id + "\x00" + str(hash(dump))
        hit = self._vec_cache.get(key)
        if hit is None:
            kps = [kp.text for kp in rubric.key_points]
            mis = [m.text for m in rubric.misconceptions]
            corr = [m.correction for m in rubric.misconceptions]
            rows = 1 + len(kps) + 2 * len(mis)
            # a rubric drafted from an explicit reference is ad hoc: kept in memory only, so the folder
            # grows with the questions and sources, not with every reference ever pasted
            store = None if rubric.explicit else self.vector_store
            v = store.get(dump, rows) if store is not None else None
            if v is None:
                v = self.vecs([rubric.model_answer, *kps, *mis, *corr])
                if store is not None:
                    store.put(dump, v)
            k, m = len(kps), len(mis)
            hit = {"ma": v[0], "kp": v[1 : 1 + k], "mis": v[1 + k : 1 + k + m], "corr": v[1 + k + m :]}
            self._vec_cache.put(key, hit)
        return hit

    # -- rubric resolution ------------------------------------------------------------------------
    def resolve(self, question: str, question_id: str | None = None, reference: str | None = None, *,
                vouched: bool = True) -> Rubric:
        """The rubric an answer is graded against: one drafted from ``reference`` when given (``vouched``: the user's
        own reference, ``Rubric.explicit``; False for one taken from an unreviewed drafted rubric, such as a
        follow-up's target on an added source's question), else the reviewed or drafted rubric of ``question_id``,
        else of the indexed question closest to ``question``."""
        if reference is not None and reference.strip():
            # a reference pasted from a web page keeps its ads and footers; they must not become key points
            from corpus.boilerplate import strip_text

            rubric = draft_rubric(AD_HOC_PREFIX + slug(question), question, [("", strip_text(reference) or reference)], [])
            rubric._explicit = vouched
            return rubric
        if question_id:
            rubric = self.bank.get(question_id)
            if rubric is None and question_id in self.records:
                rubric = self.draft_for(self.records[question_id])
            if rubric is None:
                raise UnknownQuestionId(f"unknown question id {question_id!r}")
            return self._with_flags(rubric)
        if not self.search:
            raise GradeError("no index to find a reference in: build one with `coach index build`")
        hits = self.search(question)
        if not hits:
            raise GradeError("no reference found for this question in the indexed sources")
        qv = self.vecs([normalise(question)])
        best, best_sim = None, -1.0
        for hit in hits[:5]:
            rubric = self.bank.for_record(hit.record.id)
            cands = [hit.record.question] + ([rubric.question] if rubric else [])
            sim = float((self.vecs(cands) @ qv[0]).max())
            if sim > best_sim:
                best, best_sim = (hit.record, rubric), sim
        if best_sim < MATCH_MIN:
            near_rec, near_rubric = best
            near_id = near_rubric.id if near_rubric is not None else near_rec.id
            near_q = near_rubric.question if near_rubric is not None else near_rec.question
            # the nearest one named, with the id that grades against it (a walkthrough found ids only by opening
            # the drafts files)
            raise GradeError(
                f"no indexed question matches this one closely enough (best similarity {best_sim:.2f}: {near_q!r}, "
                f"question_id {near_id!r}); pass that question_id if it is the one you mean, or an explicit reference"
            )
        record, rubric = best
        return self._with_flags(rubric or self.draft_for(record))

    def draft_for(self, record) -> Rubric:
        """A draft rubric from a record, its same-question group and their audit flags."""
        group = [r for r in self.records.values() if record.group_id and r.group_id == record.group_id] or [record]
        flags = [f for r in group for f in self.flags_for(r.id)]
        rubric = draft_rubric("draft-" + slug(record.id), record.question, [(r.id, r.prose() or r.answer) for r in group],
                              flags, record.topic)
        # every drafted question was difficulty 2, so a walkthrough's `--difficulty 3` found nothing in its own source
        return rubric.model_copy(update={"difficulty": guess_difficulty(record.answer)})

    def _with_flags(self, rubric: Rubric) -> Rubric:
        """Audit flags on the rubric's references become misconceptions (once per rubric)."""
        key = rubric.id + "\x00" + str(hash(rubric.model_dump_json()))  # ids of drafts may repeat; content decides
        hit = self._augmented.get(key)
        if hit is not None:
            return hit
        known = {normalise(m.text).lower() for m in rubric.misconceptions}
        extra = []
        for rid in rubric.records:
            for f in self.flags_for(rid):
                quote = f.get("quote", "").strip()
                if not quote or f.get("kind") in {"code", "syntax", "outdated_api", "python2"}:
                    continue
                if normalise(quote_text(quote)).lower() in known or not (f.get("correction") or f.get("reason")):
                    continue
                extra.append(Misconception(text=quote_text(quote), correction=f.get("correction") or f.get("reason"),
                                           source_error=True, record=rid))
        out = rubric if not extra else rubric.model_copy(update={"misconceptions": [*rubric.misconceptions, *extra]})
        self._augmented.put(key, out)
        return out

    def citations(self, rubric: Rubric) -> list[Citation]:
        cites = []
        for rid in rubric.records:
            rec = self.records.get(rid)
            if rec is None:
                source, _, line = rid.rpartition(":")
                if not source:
                    continue
                line = line.split("#")[0]  # "page.html:1#2": the second question on line 1
                if not line.isdigit():  # a hand-written rubric's own name for a record ("notes.md:intro"): no line
                    continue
                cites.append(Citation(rid, source, int(line), int(line), flags=self.flags_for(rid)))
            else:
                cites.append(
                    Citation(rid, rec.source, rec.line_start, rec.line_end, rec.question, rec.answer, self.flags_for(rid),
                             list(getattr(rec, "answer_lines", None) or []),
                             list(getattr(rec, "answer_line_ends", None) or []))
                )
        return cites

    # -- grading ----------------------------------------------------------------------------------
    def grade(self, question: str, answer: str, *, question_id: str | None = None, reference: str | None = None,
              vouched: bool = True) -> Grade:
        return self.analyse(question, answer, question_id=question_id, reference=reference, vouched=vouched)[0]

    def analyse(self, question: str, answer: str, *, question_id: str | None = None, reference: str | None = None,
                vouched: bool = True):
        """(Grade, Evidence | None): the grade plus the raw signals (None when the input screen decided, or the
        answer was read as a story: ``coach.grading.story``).
        ``vouched``: see ``resolve``."""
        asked = (question or "").strip()
        if not asked and question_id:  # the id names the question: its own text is what the answer is read against
            asked = self.resolve(asked, question_id).question
        if not asked:
            raise GradeError("the question is empty: give its text, or the question_id of an indexed question")
        rubric = self.resolve(asked, question_id, reference, vouched=vouched)
        grade = Grade(
            score=0.0,
            verdict="off_topic",
            feedback="",
            question=asked,
            question_id=rubric.id,
            model_answer=rubric.model_answer,
            references=self.citations(rubric),
        )
        if question_id and (question or "").strip() and reference is None and self._another_question(asked, rubric.question):
            # the id decides what is graded; say so when the text asks something else (user walkthrough)
            grade.notes.append(f"Graded against question {rubric.id}: \"{rubric.question}\" (its question_id), which "
                               "asks something other than the question text given.")
        if reference is not None and not reference.strip():  # said, not silently dropped (a user walkthrough)
            grade.notes.append("The reference given is empty: graded against the indexed sources instead.")
        text, screened = self._screen(asked, answer or "", grade)
        stories = (self.story_model is not None and rubric.origin == "draft"
                   and self.story_model.asks_for_story(asked, self._embed))
        if screened:
            # a story's key points are the sample's sentences, no gaps of the candidate's own story (a walkthrough's
            # empty answer listed them one by one under "What is missing")
            grade.missing = [] if stories else [kp.text for kp in rubric.key_points]
            grade.feedback = build_feedback(grade)
            return grade, None
        # the no-attempt model reads the answer now (one embedding); its reading counts only at the end, on a
        # grade that found nothing (``_no_attempt_gate``)
        reading = self.attempt_model.reading(text, self._embed) if self.attempt_model is not None else None
        if stories:
            # a behavioural question drafted from a source's (or the user's) sample story: the answer is read as a
            # story of its own (coach/grading/story.py), not against the sample's sentences
            from coach.grading.story import grade_story, is_story_prompt

            # the sample as given (the model was fit on whole samples; a drafted model answer keeps four sentences)
            sample = reference if reference is not None and reference.strip() else rubric.model_answer
            grade_story(grade, asked, self._story_reader().read(asked, text, sample), self.story_model)
            if is_story_prompt(asked):
                # a question about motives or traits lists no story parts, so a short genuine answer ("I like your
                # product and the team") would always pass the gate's "nothing found" test (a review): not gated
                self._no_attempt_gate(grade, rubric, reading)
            if grade.verdict == "no_attempt":
                grade.right, grade.missing = [], []
            grade.feedback = build_feedback(grade)
            return grade, None
        ev = self.measure(rubric, asked, text)
        cal = self.calibration_for(rubric)
        grade.score, caps = cal.score(ev.features)
        grade.steps = list(ev.steps.values())
        if self.judge is not None:
            grade.score = self._blend_judge(grade, rubric, asked, text, ev, caps)
        grade.verdict = cal.verdict(grade.score, ev.features)
        grade.steps.append(Step("combined", round(grade.score / 10, 3), "; ".join(caps) or "the signals above, weighed as fit on expert-graded answers"))
        # a rubric misconception is reported only when it counts (strength >= misc_min, the cap's
        # threshold): a loose paraphrase match is a soft signal, since the bi-encoder cannot tell a
        # claim from its denial, and must not sit under "What is wrong" beside a "correct" verdict
        stated = [st for st in ev.stated if st.get("strength", 1.0) >= cal.misc_min]
        # the key point cited against a listed misconception says what its correction says: the answer
        # contradicts it, so it is never credited (``_cite_misconceptions``)
        _uncredit(ev, rubric, {st["cites_point"] for st in stated if st.get("cites_point")})
        # how many key points the feedback would credit (not a combiner feature: the credit gate's fit reads it)
        ev.features["credited"] = float(len(ev.judged["covered"] if ev.judged else ev.covered))
        if ev.judged:
            # claim-level evidence: credited only when entailed and not contradicted; the candidate's
            # own words for each wrong claim, with the contradicting reference and its citation
            grade.right = [t for t, _ in ev.judged["covered"]]
            grade.missing = list(ev.judged["missing"])
            # only the judge's flags its calibration trusts for this answer (Calibration.shows_wrong)
            grade.wrong = [dict(w) for w in ev.judged["wrong"] if cal.shows_wrong(w["confidence"], ev.features)]
            hidden = len(ev.judged["wrong"]) - len(grade.wrong)
            if hidden:  # say so where the count is shown, so "Why this score" and "What is wrong" agree
                grade.steps = [Step(st.name, st.value, st.explanation + f"; {hidden} of them not listed as wrong "
                                    "and not capping the score: in an answer like this one such flags were mostly "
                                    "false alarms on the expert-graded answers the grader was fit on")
                               if st.name == "claims" else st for st in grade.steps]
            if not grade.right and grade.verdict == "correct":
                # graded correct on its other signals while the judge entails no key point (it misses some
                # restatements, e.g. with a file name or a number in them): a card that says "Correct" must
                # not list every point as missing, so the key points the answer covers in terms or a close
                # paraphrase are credited, except one a listed wrong claim contradicts
                contradicted = {normalise(w["correction"]).lower() for w in grade.wrong}
                grade.right = [t for t, _ in ev.covered if normalise(t).lower() not in contradicted]
                grade.missing = [t for t in grade.missing if t not in set(grade.right)]
            said = {normalise(w["claim"]).lower(): w for w in grade.wrong}
            for st in _one_per_error(stated):  # rubric patterns the judge did not already report, each sentence once
                key = normalise(st["sentence"]).lower()
                if key in said:
                    # the judge's item states a known misconception too (a source's reported error): marked, so that
                    # a follow-up asks about it before the judge's other flags (a walkthrough's follow-up asked about
                    # a correct sentence beside "DNS ... over UDP port 35"); display and scores unchanged
                    said[key]["known_misconception"] = True
                    said[key]["source_error"] = bool(said[key].get("source_error") or st["source_error"])
                    continue
                said[key] = {"claim": st["sentence"], "said": st["sentence"], "correction": st["correction"],
                             "source_error": st["source_error"], "how": "states a known misconception",
                             "known_misconception": True, **_shown(st)}
                grade.wrong.append(said[key])
        else:
            grade.right = [t for t, _ in ev.covered]
            grade.missing = ev.missing
            grade.wrong = [{**{k: s[k] for k in ("claim", "correction", "source_error")}, "said": s["sentence"],
                            "known_misconception": True, **_shown(s)} for s in _one_per_error(stated)]
        for w in grade.wrong:  # quoted as said: without a cut ";", a short clause in its whole sentence (every kind of item)
            w["said"] = said_as_quoted(w.get("said") or w["claim"], text)
        # a key point shown as the correction of a wrong claim is not also under "What you got right": the answer
        # contradicts it (display only; the scores read the features computed above)
        corrections = {normalise(w["correction"]).lower() for w in grade.wrong}
        moved = {t for t in grade.right if normalise(t).lower() in corrections}
        if moved:
            grade.right = [t for t in grade.right if t not in moved]
            grade.missing = [kp.text for kp in rubric.key_points if kp.text in moved or kp.text in grade.missing]
        if grade.right and not cal.shows_credit(ev.features, grade.verdict):
            # an answer the scorer rates this low: on the dev answers such credits went mostly to wrong
            # answers (Calibration.credit_score_min). The key points are listed as missing, each marked as
            # mentioned (Grade.unconfirmed); the score does not change
            credited = set(grade.right)
            grade.missing = [kp.text for kp in rubric.key_points if kp.text in credited or kp.text in grade.missing]
            # ...except in an answer graded off topic: it is about something else, so "mentioned" would mislead
            grade.unconfirmed = [] if grade.verdict == "off_topic" else [t for t in grade.missing if t in credited]
            grade.right = []
            grade.steps.append(Step("credit", round(ev.features.get("answer_score", 0.0), 3), credit_explanation(
                len(credited), ev.features.get("answer_score", 0.0), cal)))
        if grade.right and ev.judged and rubric.origin == "draft" and grade.verdict != "off_topic":
            self._confirm_credits(grade, rubric, asked, text, ev)  # (an off-topic card credits nothing: below)
        if ev.judged and grade.verdict != "off_topic":
            # key points the answer covers in its words or a close paraphrase (the coverage step) that the judge does
            # not entail: listed as missing, marked as mentioned (Grade.unconfirmed), so the card agrees with "Why
            # this score" (a user walkthrough: "coverage 3 of 3 matched" beside three "missing" points); never a point
            # a listed wrong claim contradicts
            contradicted = {normalise(w["correction"]).lower() for w in grade.wrong}
            grade.unconfirmed += [t for t, _ in ev.covered if t in grade.missing and t not in grade.unconfirmed
                                  and normalise(t).lower() not in contradicted]
        if grade.verdict == "off_topic" and grade.right:
            # an answer graded off topic lists nothing as right: a card that says "Off topic" beside credited key
            # points contradicts itself (the judge was measured to "entail" key points from unrelated sentences)
            grade.missing = [kp.text for kp in rubric.key_points]
            grade.right, grade.unconfirmed = [], []
        if grade.verdict == "off_topic":
            # ...and "Why this score" says the same: the judge's entailments of an answer about something else are no
            # credit (a walkthrough's off-topic card explained itself with "judge: 3 of 4 key points entailed")
            grade.steps = [Step(st.name, st.value, f"not counted, the answer is off topic ({st.explanation})")
                           if st.name == "claims" else st for st in grade.steps]
        self._no_attempt_gate(grade, rubric, reading)
        if grade.verdict == "incorrect" and not grade.wrong:
            # "Incorrect" with an empty "What is wrong" reads as a grader that found nothing (user walkthrough)
            grade.notes.append(NOTHING_PINNED)
        if rubric.origin == "draft" and not rubric.explicit:
            grade.notes.append(drafted_note(grade.references))
        if rubric.origin == "draft" and not rubric.explicit and behavioural(rubric.question):
            grade.notes.append(BEHAVIOURAL_NOTE)
            # the sample story's sentences are no points a story of one's own has right, wrong or missing (a walkthrough's
            # card credited sample details it never said and listed the sample's on-call rotation as missing); the sample
            # stays as the model answer
            grade.right, grade.unconfirmed, grade.missing, grade.wrong = [], [], [], []
        grade.feedback = build_feedback(grade)
        return grade, ev

    def _confirm_credits(self, grade: Grade, rubric: Rubric, question: str, answer: str, ev: signals.Evidence) -> None:
        """A drafted key point the judge entails is credited only when the answer also reads as saying it: it is close
        to a sentence of the answer (``CONFIRM_SIM``) or the answer scorer, reading the answer against that key point
        alone, is sure of it (``CONFIRM_SCORE``). The judge "entails" points never said ("Soft, mixed and hard."
        credited with "--hard resets the index and the working tree too, discarding uncommitted changes", a
        walkthrough). Any other credit is listed as missing, marked as mentioned (Grade.unconfirmed); the score does
        not change. Experiment 75, README."""
        sims = dict(zip((kp.text for kp in rubric.key_points), ev.point_sims))
        unsure = [t for t in grade.right if sims.get(t, 1.0) < CONFIRM_SIM]
        scorer = self.scorer_for(rubric)
        if not unsure or scorer is None:
            return
        readings = scorer.scores([(question, t, answer) for t in unsure])
        unsaid = {t for t, r in zip(unsure, readings) if float(r) < CONFIRM_SCORE}
        if not unsaid or (grade.verdict == "correct" and unsaid >= set(grade.right)):
            # a card never says "Correct" while crediting nothing (as with the credit gate): its credits stay
            return
        grade.right = [t for t in grade.right if t not in unsaid]
        grade.missing = [kp.text for kp in rubric.key_points if kp.text in unsaid or kp.text in grade.missing]
        before = set(grade.unconfirmed)
        grade.unconfirmed = [t for t in grade.missing if t in unsaid or t in before]
        grade.steps.append(Step("confirm", round(len(unsaid) / max(1, len(rubric.key_points)), 3), (
            f"{len(unsaid)} key point(s) the judge entails are not credited: no sentence of the answer is close to them "
            f"(similarity under {CONFIRM_SIM:g}) and the answer scorer, reading the answer against each alone, is not "
            f"sure the answer says it (under {10 * CONFIRM_SCORE:g}/10)")))

    def _no_attempt_gate(self, grade: Grade, rubric: Rubric, reading: float | None) -> None:
        """An answer the no-attempt model reads as "I don't know" (``coach/grading/attempt_model.py``) is no
        attempt when the grade also found nothing in it: no key point credited, no claim wrong, a score under
        ``NO_ATTEMPT_BELOW``. The model was measured to call some hedged attempts no attempt (README, "No
        attempt, read by a model"); behind this gate such an answer keeps its grade whenever it says something
        the grade credits or corrects, and otherwise only its verdict changes from a low one."""
        if reading is None or reading < self.attempt_model.threshold:
            return
        if grade.right or grade.wrong or grade.score >= NO_ATTEMPT_BELOW:
            return
        was = f"{grade.score:g}/10, {grade.verdict.replace('_', ' ')}"
        grade.verdict, grade.score = "no_attempt", 0.0
        grade.missing = [kp.text for kp in rubric.key_points]
        grade.unconfirmed = []
        grade.notes.append("No attempt: nothing in the answer was graded as an answer, and it reads as not knowing. "
                          "Have a look at the model answer.")
        grade.steps.append(Step("no_attempt", round(reading, 3), f"the no-attempt model reads the answer as not "
                                f"knowing ({reading:.2f}, threshold {self.attempt_model.threshold:.2f}) and the grade "
                                f"found nothing in it ({was} before): no attempt. A model's reading, it can be wrong: "
                                "say what you know, however unsure, and it is graded"))

    def _blend_judge(self, grade: Grade, rubric: Rubric, question: str, text: str, ev, caps: list[str]) -> float:
        """Blend a trusted LLM's score in (see coach/grading/judge.py); the rubric caps still bind."""
        from coach.grading.judge import BLEND

        try:
            js = self.judge(rubric, question, text)
        except Exception as exc:  # the judge is an extra signal: never lose the grade over it
            log.warning("LLM judgement failed: %s", exc)
            js = None
        if js is None:
            grade.steps.append(Step("llm_judgement", 0.0, "the LLM gave no readable score; not used"))
            return grade.score
        grade.steps.append(Step("llm_judgement", round(js / 10, 3), f"trusted LLM scored {js:g}/10 (weight {BLEND:g})"))
        blended = (1 - BLEND) * grade.score + BLEND * js
        return round(self.calibration_for(rubric).cap(blended, ev.features)[0], 1)

    def load_models(self) -> None:
        """Load every model a grade may run (the scorers, the judge) now, instead of in the first grade."""
        _load(self.scorer, self.draft_scorer, self.nli)

    def judges(self, rubric: Rubric) -> bool:
        """Whether the judgement model grades against this rubric (the step "claims")."""
        return self.nli is not None and (self.nli_scope == "all" or rubric.origin == "draft")

    def scorer_for(self, rubric: Rubric):
        """The answer scorer for this kind of rubric: drafted rubrics have their own when one is loaded."""
        if rubric.origin == "draft" and self.draft_scorer is not None:
            return self.draft_scorer
        return self.scorer

    def calibration_for(self, rubric: Rubric) -> Calibration:
        """The combiner fit for this kind of rubric: reviewed, or drafted from a reference."""
        return self.draft_calibration if rubric.origin == "draft" else self.calibration

    def measure(self, rubric: Rubric, question: str, answer: str) -> signals.Evidence:
        from coach.grading import evidence

        ev = signals.Evidence()
        sents = signals.split_for_grading(answer) or [answer]
        # coverage and relevance rest on what the answer claims: a bare list of terms claims nothing
        claims = claim_sentences(sents, question)
        claim_set = set(claims)
        keep = [i for i, s in enumerate(sents) if s in claim_set]
        claim_text = " ".join(claims) if claims else answer
        # The answer scorer and the judge read only text, so they run beside the embedding model
        # (each model's output is the same whichever thread computes it: the grade does not change).
        # Every model is loaded here, before any thread starts: loading imports transformers, whose lazy
        # imports are not thread-safe (the embedding model loads on its first call; the rubric's vectors
        # are cached, so embedding them first costs nothing after that)
        if not self._embedder_loaded:
            self.rubric_vecs(rubric)
            self._embedder_loaded = True
        judged = self.judges(rubric)
        scorer = self.scorer_for(rubric)
        _load(scorer, self.nli if judged else None)
        jobs = {}
        if scorer is not None:
            # the whole answer's claims (as for coverage: a bare list of terms claims nothing) read against
            # the whole reference: one signal among the others, weighed by the calibration, never the grade
            jobs["answer_score"] = _submit(scorer_readings, scorer, question, rubric, claim_text, parallel=self.parallel)
        # the reference sentences with their citations: what the judge reads claims against, and what the
        # role-swap check reads them against on a reviewed rubric or an explicit reference (``_swap_checked``)
        refs = evidence.reference_sentences(rubric, self.citations(rubric)) if judged or _swap_checked(rubric) else []
        if judged:
            # the claims: what the answer states (a bare list of terms is not a claim)
            judged_text = "\n".join(claims) if claims else answer
            jobs["claims"] = _submit(evidence.judge_probs, self.nli, evidence.claim_pairs(rubric, judged_text, refs),
                                     parallel=self.parallel)
        try:
            rv = self.rubric_vecs(rubric)
            av = self.vecs([normalise(claim_text), normalise(question), *sents])  # (2 + S, d), one batch
        finally:  # an embedding failure still waits for the other models before it is raised
            wait(list(jobs.values()))
        ans_vec, q_vec, sent_vecs = av[0], av[1], av[2:]
        if len(rv["kp"]):
            ev.point_sims = [float(x) for x in (np.concatenate([sent_vecs, ans_vec[None]]) @ rv["kp"].T).max(axis=0)]
        signals.relevance(ev, ans_vec, q_vec, rv["ma"])
        signals.coverage(ev, rubric, " ".join(claims), sent_vecs[keep], rv["kp"])
        if rubric.misconceptions:
            signals.misconceptions(ev, rubric, sents, sent_vecs, rv["mis"], rv["corr"])
        else:
            ev.features.update(misconception=0.0, misconception_count=0.0)
            ev.steps["misconceptions"] = Step("misconceptions", 0.0, "no known misconceptions for this question")
        targets = np.concatenate([q_vec[None], rv["ma"][None], rv["kp"]])
        if keep:
            signals.specificity(ev, claims, sent_vecs[keep], targets)
        else:  # nothing but term lists: nothing on point
            signals.specificity(ev, [], sent_vecs[:0], targets)
        if "answer_score" in jobs:
            readings = jobs["answer_score"].result()
            ev.features.update(readings)
            expected = readings["answer_score"]
            ev.steps["answer_score"] = Step("answer_score", round(expected, 3),
                                            f"answer scorer: about {10 * expected:.1f}/10 against the reference"
                                            + ("" if rubric.origin == "draft" else " (its model answer and key points)"))
            if "answer_score_points" in readings:
                each = readings["answer_score_points"]
                ev.steps["answer_score_points"] = Step(
                    "answer_score_points", round(each, 3),
                    f"answer scorer against each key point alone: about {10 * each:.1f}/10 on average")
        if "claims" in jobs:
            evidence.judge_claims(ev, self.nli, rubric, judged_text, refs, probs=jobs["claims"].result())
            j = ev.judged
            ev.steps["claims"] = Step(
                "claims", round(ev.features["judge_coverage"], 3),
                f"judge: {len(j['covered'])} of {len(rubric.key_points)} key points entailed, "
                f"{len(j['wrong'])} claim(s) contradict the reference (strongest {ev.features['judge_wrong']:.2f})",
            )
        self._swaps(ev, rubric, claims, refs)
        self._edits(ev, rubric, claims, refs)
        self._cite_misconceptions(ev, rubric, refs, rv)
        self._locate_source_errors(ev, rubric)
        return ev

    @staticmethod
    def _cite_misconceptions(ev: signals.Evidence, rubric: Rubric, refs, rv: dict) -> None:
        """A known misconception the answer states (``ev.stated``: the rubric's patterns and paraphrases) is
        corrected in the rubric's own words; its evidence becomes the cited key point that says what the
        correction says (embedding cosine >= ``CITE_MIN``), with that key point's citation (source, lines), so
        the item shows where the reference says otherwise; where the item is listed, that key point is not
        credited (the answer contradicts it). An item that already has a cited sentence (a role swap's) and a
        source's own error (``source_error``: the source is what is wrong) are left as they are, and so are the
        judge's own readings. Display only: no score reads it (the features are already computed)."""
        from coach.grading.evidence import evidence_of

        if not rubric.misconceptions or not rubric.key_points:
            return
        cited = {normalise(r.text).lower(): r for r in refs if r.kind == "key_point" and r.cite is not None}
        rows = [cited.get(normalise(kp.text).lower()) for kp in rubric.key_points]  # None: no citation
        index = {normalise(m.correction).lower(): i for i, m in enumerate(rubric.misconceptions) if not m.source_error}
        for item in ev.stated:
            if item.get("source_error") or (item.get("evidence") or {}).get("source"):
                continue
            i = index.get(normalise(item.get("correction") or "").lower())
            if i is None or not any(rows):
                continue
            sims = np.where([r is not None for r in rows], rv["kp"] @ rv["corr"][i], -1.0)  # (K,), uncited out
            j = int(np.argmax(sims))
            if sims[j] >= CITE_MIN:
                item["evidence"] = evidence_of(rows[j].cite, rows[j].text)
                item["cites_point"] = normalise(rows[j].text).lower()  # not credited where listed (``analyse``)

    def _locate_source_errors(self, ev: signals.Evidence, rubric: Rubric) -> None:
        """An error the answer shares with a source (a misconception the rubric marks as a source's, or one
        made from an audit flag) says where the source states it, as ``source_at``: the flagged lines when an
        audit flag on its record quotes it word for word, else the line of the record's passage that states it
        (``evidence.line_stating``: a hand-written rubric words the error its own way), else the whole passage. So
        "a cited source states this error too" names the place. Display only."""
        from coach.grading.evidence import evidence_of

        items = [it for it in [*ev.stated, *((ev.judged or {}).get("wrong") or [])]
                 if it.get("source_error") and "source_at" not in it]
        if not items:  # the usual case: nothing to locate, no citations or flags read
            return
        wanted = {normalise(it.get("correction") or "").lower() for it in items}
        where = {}
        passages = {c.record_id: c for c in self.citations(rubric)}
        for m in rubric.misconceptions:
            if not m.source_error or not m.record or normalise(m.correction).lower() not in wanted:
                continue
            at = next(({"source": f["source"], "line_start": f.get("line_start"), "line_end": f.get("line_end")}
                       for f in self.flags_for(m.record)
                       if f.get("source") and normalise(f.get("quote") or "").lower() == normalise(m.text).lower()), None)
            c = passages.get(m.record)
            if at is None and c is not None:  # the line of the passage that states it, else the passage
                at = {k: v for k, v in evidence_of(c, m.text).items() if k != "text"}
            if at is not None:
                # by the error itself first: two errors of one passage can share a correction
                where.setdefault((normalise(m.text).lower(), normalise(m.correction).lower()), at)
                where.setdefault(normalise(m.correction).lower(), at)
        for item in items:
            fix = normalise(item.get("correction") or "").lower()
            at = where.get((normalise(item.get("claim") or "").lower(), fix)) or where.get(fix)
            if at is not None:
                item["source_at"] = dict(at)

    def _edits(self, ev: signals.Evidence, rubric: Rubric, claims: list[str], refs) -> None:
        """The step "edits" (coach/grading/edits.py): a claim that copies a reference sentence with one fact changed (a
        number, a negation, an opposite, two terms exchanged) is a stated error: listed as wrong with the sentence it
        copies and its citation, counted as a stated misconception (its cap binds), and the key point it copies is not
        credited. Every kind of rubric: a claim in the reference's own words is read against those words, and a
        drafted rubric's sentences never hold a flagged claim (its correction takes its place). Experiment 53 (README,
        forty-fourth session). ``refs``: the rubric's ``evidence.reference_sentences``."""
        from coach.grading.evidence import _asserts_nothing as asserts_nothing, evidence_of

        if not refs:
            return
        said = {normalise(st["sentence"]).lower() for st in ev.stated}
        uncredit, found = set(), []
        usable = [c for c in claims if normalise(c).lower() not in said and not asserts_nothing(c)]
        for c, (j, (kind, old, new)) in sorted(fact_changes(usable, [r.text for r in refs]).items()):
            claim, ref = usable[c], refs[j]
            found.append(claim)
            if ref.kind == "key_point":
                uncredit.add(normalise(ref.text).lower())
            ev.stated.append({"claim": claim, "sentence": claim, "correction": ref.text, "source_error": False,
                              "how": "edit", "strength": 1.0, "shown_how": "contradicts the reference",
                              "basis": edit_basis(kind, old, new, ref.text, claim),
                              "evidence": evidence_of(ref.cite, ref.text)})
        if found:
            ev.features["misconception"] = 1.0
            ev.features["misconception_count"] = float(len(ev.stated))
            _uncredit(ev, rubric, uncredit)
            ev.steps["edits"] = Step("edits", 1.0, f"{len(found)} claim(s) copy a reference sentence with a fact changed")

    def _swaps(self, ev: signals.Evidence, rubric: Rubric, claims: list[str], refs) -> None:
        """The step "swaps" (coach/grading/swaps.py): a claim that swaps the roles of two things the reference
        contrasts is a stated error: listed as wrong with the reference sentence it crosses and its
        citation, counted as a stated misconception (its cap binds), and the key points it crosses are
        not credited. ``refs``: the rubric's ``evidence.reference_sentences``."""
        from coach.grading.evidence import _asserts_nothing as asserts_nothing, evidence_of, whole
        from coach.grading.reversal import reversal
        from coach.grading.swaps import Swap, role_swaps

        if not _swap_checked(rubric):
            # a rubric drafted from an indexed source rests on a scraped text: where it states a swap the audit
            # missed, a correct answer reads as swapped against it (measured on the new-document answers;
            # README, "Role swaps"), so only reviewed rubrics and explicit references are checked
            ev.steps["swaps"] = Step("swaps", 0.0, "not checked against a drafted rubric: its reference is "
                                     "unreviewed, and a swap it states itself would make a correct answer look swapped")
            return
        found = role_swaps(claims, [r.text for r in refs], rubric.question)
        # and a claim that says one sentence's contrast or comparison the other way round ("uses return instead of
        # yield", "UDP is slower than TCP": ``coach.grading.reversal``), the first such sentence for each claim
        swapped, reversed_at = {sw.claim for sw in found}, {}
        for c, claim in enumerate(claims):
            if c in swapped or asserts_nothing(claim):
                continue
            hit = next(((j, rv) for j, r in enumerate(refs) for rv in [reversal(claim, r.text)] if rv), None)
            if hit:
                (j, (k, a, b)) = hit
                found.append(Swap(claim=c, reference=j, references=[j], terms=(a, b), crossed=[k], said_of=(b, a)))
                swapped.add(c)
                reversed_at[c] = f"reversal: says \"{a}\" and \"{b}\" the other way round around \"{k}\""
        if not found:
            ev.steps["swaps"] = Step("swaps", 0.0, "no claim swaps the roles of two things the reference contrasts")
            return
        said = {normalise(st["sentence"]).lower(): st for st in ev.stated}
        uncredit = set()
        for sw in found:
            claim, ref = claims[sw.claim], whole(refs[sw.reference], refs)  # a clause cut at ";" shown whole
            uncredit |= {normalise(refs[j].text).lower() for j in sw.references if refs[j].kind == "key_point"}
            shown = {"shown_how": "contradicts the reference",
                     "basis": reversed_at.get(sw.claim) or f"role swap: says of \"{sw.said_of[0]}\" what the reference "
                              f"says of \"{sw.said_of[1]}\", and the reverse",
                     "evidence": evidence_of(ref.cite, ref.text)}
            known = said.get(normalise(claim).lower())
            if known is not None:
                # the swap confirms a known misconception matched on this sentence: it is listed (whatever the
                # strength of that match), and where the rubric gives it no citation it keeps its correction
                # and gains the reference sentence the swap crosses, with its citation, as the evidence
                known["strength"] = 1.0
                if not known.get("evidence"):
                    known.update(shown)
                continue
            said[normalise(claim).lower()] = st = {
                "claim": claim, "sentence": claim, "correction": ref.text, "source_error": False, "how": "swap",
                "strength": 1.0, **shown}
            ev.stated.append(st)
        ev.features["misconception"] = 1.0
        ev.features["misconception_count"] = float(len(ev.stated))
        _uncredit(ev, rubric, uncredit)
        pairs = "; ".join(f"{a} / {b} ({', '.join(sw.crossed)})" for sw in found for a, b in [sw.terms])
        ev.steps["swaps"] = Step("swaps", 1.0, f"{len(found)} claim(s) swap the roles the reference gives: {pairs}")

    def _another_question(self, asked: str, graded: str) -> bool:
        """Whether a question_id points at another question than the text asks: few shared content words AND an
        embedding cosine under ``OTHER_QUESTION_MAX`` (rewordings of one question in the labelled data, such as "What
        is a CNN?" and "Explain the concept of Convolutional Neural Networks (CNNs)", reach 0.56 at least, while
        "What is a zombie process?" and the mutex/semaphore question are at 0.11)."""
        if not _few_shared_words(asked, graded):
            return False
        v = self.vecs([normalise(asked), normalise(graded)])
        return float(v[0] @ v[1]) < OTHER_QUESTION_MAX

    def _screen(self, question: str, answer: str, grade: Grade) -> tuple[str, bool]:
        """Bad-input handling. Returns (text to grade, True when the grade is already final)."""
        if not answer.strip():
            grade.verdict = "no_attempt"
            grade.notes.append("The answer is empty.")
            return "", True
        # a sentence pasted over and over is graded once (before the length cut, so the cut never leaves a fragment
        # of a repeat behind): found in a user walkthrough, where 1,500 copies of a correct sentence were listed
        # as wrong though the sentence alone was not
        text, repeats = without_repeats(answer)
        if repeats:
            grade.notes.append(f"The answer repeats sentences word for word ({repeats} repeat{'s' if repeats != 1 else ''}); "
                               "each was graded once.")
        if len(text) > MAX_ANSWER_CHARS:
            grade.notes.append(f"The answer is very long; only its first {MAX_ANSWER_CHARS:,} characters were graded.")
            text = text[:MAX_ANSWER_CHARS]
        text, injected = strip_injections(text)
        if injected:
            grade.notes.append("Instructions addressed to the grader were ignored; only the answer's content counts.")
        if not text.strip():
            grade.notes.append("Nothing in the answer addresses the question.")
            return "", True
        # a fenced code block is no sentence of the answer: its lines were read as off-point "sentences" and claims (a
        # walkthrough's correct answer with code scored 6.7, "62% of 7 sentences on point"); what is graded is what
        # the answer says in words
        chunks = text_and_code(text)
        if any(language is not None for _, language in chunks):
            prose = "\n\n".join(chunk for chunk, language in chunks if language is None)
            if not prose.strip():
                grade.notes.append("The answer is only code, and the coach grades what an answer says in words: say "
                                   "what the code does and why.")
                return "", True
            grade.notes.append("The code in the answer is not graded: the grade reads what the answer says in words.")
            text = prose
        if is_no_attempt(text, question):
            grade.verdict = "no_attempt"
            grade.notes.append("No attempt: the answer says you do not know. Have a look at the model answer.")
            return "", True
        if looks_like_gibberish(text, self.vocab):
            grade.notes.append("The answer does not appear to be in English, and the coach grades answers in English only."
                               if other_script(text) or word_shaped(text) else "The answer does not read as words; it cannot be graded.")
            return "", True
        # what the answer claims: a bare list of terms says nothing, so it cannot lift a restatement
        claimed = " ".join(claim_sentences(sentences(text), question))
        if not claimed.strip():
            grade.notes.append("The answer is only a list of terms: it states nothing that can be graded.")
            return "", True
        q_words, a_words = words(question), words(claimed)
        q_set = set(q_words) | {"a", "an", "the", "is", "it", "what", "so", "to", "of", "and", "in"}
        # a restatement adds no content word of its own ("Machine learning is a subset of deep learning"
        # adds "subset": a claim, possibly a wrong one, that must be graded)
        new_content = [w for w in a_words if w not in q_set and len(w) >= 4]
        if a_words and not new_content and sum(w in q_set for w in a_words) / len(a_words) >= 0.85:
            grade.notes.append("The answer only restates the question.")
            return "", True
        # a list of terms has few of English's little words; it is not another language
        listed = not claim_sentences(sentences(text))
        if len(a_words) >= 6 and english_ratio(text) < 0.04 and other_language_ratio(text) >= 0.1 and not listed:
            grade.notes.append("The answer does not appear to be in English; it was graded on recognisable technical content only.")
        return text, False
