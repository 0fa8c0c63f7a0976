"""A fake Coach for control-flow tests of the session engine, chat and app (no models involved).

Its grades are deterministic and checkable by hand: an answer mentioning the question's keyword
scores 9 (correct), one saying "partly" scores 5 (partial), anything else 2 (incorrect).
The real Coach is used by the end-to-end tests (tests/test_app_browser.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from coach.config import load_settings
from coach.grading.types import Citation, Grade


@dataclass
class Item:
    id: str
    question: str
    topic: str
    difficulty: int
    record_ids: list[str]
    model_answer: str
    hints: list[str] = field(default_factory=list)
    keyword: str = ""
    reviewed: bool = True


BANK = [
    Item("q1", "What is overfitting?", "ml", 1, ["a.txt:3"], "Fitting noise: low train error, high test error.", ["Think train vs test error."], "noise"),
    Item("q2", "What is a ReLU?", "dl", 1, ["a.txt:9"], "max(0, x), an activation function.", ["It is an activation.", "max(0, x)"], "max"),
    Item("q3", "What is dropout?", "dl", 2, ["a.txt:15"], "Randomly zeroing activations during training.", [], "zero"),
    Item("q4", "What is a decorator?", "python", 2, ["b.txt:4"], "A function that wraps another function.", ["@"], "wraps"),
    Item("q5", "What is the GIL?", "python", 3, ["b.txt:20"], "A lock letting one thread run Python bytecode at a time.", [], "lock"),
]


class FakeCoach:
    def __init__(self, settings=None):
        self.settings = settings or load_settings()
        self.graded: list[tuple[str, str, str | None]] = []
        self.vouched: list[bool] = []  # what each grade was told of its explicit reference (a follow-up's gap)
        self.added: list = []
        self.notes: list[str] = []  # notes every main-question grade carries (a drafted rubric's note, say)
        self.index = SimpleNamespace(exists=lambda: True)  # an index is there (front ends ask before building one)

    def warm_up(self):
        self.warmed = True

    def question_bank(self, topics=None, difficulty=None):
        return [i for i in BANK if (not topics or i.topic in topics) and (difficulty is None or i.difficulty == difficulty)]

    def grade(self, question, answer, *, question_id=None, reference=None, vouched=True):
        self.graded.append((question, answer, question_id) if reference is None else (question, answer, reference))
        self.vouched.append(vouched)
        if reference is not None:  # a follow-up graded against its gap: right when it names the gap
            ok = reference.lower() in answer.lower()
            return Grade(score=8.0 if ok else 3.0, verdict="correct" if ok else "incorrect", feedback="gap feedback",
                         question=question, right=[reference] if ok else [], missing=[] if ok else [reference])
        item = next(i for i in BANK if i.id == question_id)
        if item.keyword in answer.lower():
            score, verdict = 9.0, "correct"
        elif "partly" in answer.lower():
            score, verdict = 5.0, "partial"
        else:
            score, verdict = 2.0, "incorrect"
        src, line = item.record_ids[0].split(":")
        cite = Citation(item.record_ids[0], src, int(line), int(line) + 2, item.question,
                        passage="Passage with <script>alert('x')</script> inside",
                        flags=[{"verdict": "error", "reason": "wrong formula", "correction": "the right one"}])
        return Grade(score=score, verdict=verdict, feedback=f"Feedback for {item.id}", question=question,
                     question_id=item.id, right=["point A"] if score > 5 else [],
                     missing=[] if score > 5 else [f"the {item.keyword} part"],
                     model_answer=item.model_answer, references=[cite], notes=list(self.notes))

    def grade_followup(self, question, answer, target, vouched=True, known_wrong=None):
        from coach.service import Coach

        self.known_wrong = known_wrong  # what the engine told it the follow-up quotes
        return Coach.grade_followup(self, question, answer, target, vouched, known_wrong)  # the product's, over ``grade``

    def followup(self, grade, answer=""):
        from coach.questions import FollowUp

        gap = grade.missing[0] if grade.missing else None
        return FollowUp(f"Follow-up: can you say more about {gap or 'that'}?", gap)

    def ask(self, question, cancel=None, hold_back=()):
        self.held_back = tuple(hold_back)  # the records the engine asked it not to answer from
        words = ["The ", "answer ", "is ", "grounded."]
        cite = Citation("a.txt:3", "a.txt", 3, 5, "What is overfitting?", passage="Fitting noise.")
        return SimpleNamespace(stream=iter(words), citations=[cite], warnings=["cited passage flagged: check it"])

    # Sources / models: enough for the UI's control flow.
    def ensure_index(self, progress=None):
        if progress:
            progress(1, 1, "index")

    def add_sources(self, paths, progress=None, keep_copies=False):
        self.added.extend(paths)
        notes = [f"{p.name}: no question/answer pairs found; <b>x</b>" for p in paths if p.name.startswith("prose")]
        return {"added": [p.name for p in paths], "updated": [], "unchanged": [], "skipped": [], "notes": notes}

    def remove_sources(self, sources):
        return list(sources)

    def reported_errors(self):
        return []

    def sources(self):
        return [{"source": "a.txt", "title": "Notes on <ML>", "records": 3, "sha256": "ab" * 32, "boilerplate_removed": {"nav": 2},
                 "flags": 1}] + [{"source": p.name, "records": 1, "sha256": "", "boilerplate_removed": {}, "flags": 0}
                                 for p in self.added]

    def rubric_problems(self):
        return []

    def audit_report_markdown(self):
        return "# Audit\n\n- a.txt:3 says <script>alert(2)</script>"

    def audit_report_html(self):
        import html

        return "<details><summary>a.txt</summary>" + html.escape("a.txt:3 says <script>alert(2)</script>") + "</details>"

    def source_titles(self):
        return {"a.txt": "Notes on <ML>"}

    def models(self):
        return {"embedding": "all-MiniLM-L6-v2", "llm_backend": "fake", "llm_model": "none"}


class RealFollowUps(FakeCoach):
    """A FakeCoach whose follow-ups are the product's (``followup_for``), with each main answer's grade passed through
    ``edit`` first (to give it the gaps or wrong sentences a test needs)."""

    def __init__(self, edit, settings=None):
        super().__init__(settings)
        self.edit = edit

    def grade(self, question, answer, **kw):
        g = super().grade(question, answer, **kw)
        if kw.get("reference") is None:
            self.edit(g)
        return g

    def followup(self, grade, answer=""):
        from coach.questions import followup_for

        return followup_for(grade, answer)

