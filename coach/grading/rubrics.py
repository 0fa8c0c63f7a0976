"""Rubrics: per-question key points, misconceptions and a model answer, stored as YAML people edit.

Where rubrics come from, in order of precedence for a record id:
1. user rubrics in ``COACH_HOME/rubrics/*.yaml`` (written or edited by people),
2. the team-reviewed rubrics shipped in ``coach/rubrics/bundled/*.yaml``,
3. drafts written for added sources in ``COACH_HOME/rubrics/drafts/<source>.yaml`` (editable, and
   regenerated only when the source's hash or the drafting rules (``DRAFTER``) change),
4. a draft built on the fly from the references (``draft_rubric``) for anything else.

Rubric files are user-written, so they are validated with pydantic and a bad file is never
half-loaded: ``load_rubric_file`` raises naming it, and ``RubricBank.load`` skips it with one warning
per process (kept in ``RubricBank.problems`` for `coach index status` and the Sources tab), so one
broken edit never stops grading of everything else. Regex patterns are compiled once at load time.
"""

from __future__ import annotations

import logging
import math
import re
from functools import cached_property
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from coach.errors import CoachError
from coach.grading.text import normalise

log = logging.getLogger(__name__)


class KeyPoint(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: str
    weight: float = 1.0
    # any-of groups: the point is evidenced when every group has at least one term in the answer
    terms: list[list[str]] = Field(default_factory=list)

    @field_validator("text")
    @classmethod
    def _has_text(cls, text):
        if not str(text).strip():
            raise ValueError("a key point has no text")
        return text

    @field_validator("weight")
    @classmethod
    def _positive_weight(cls, weight):
        if not math.isfinite(weight) or weight <= 0:
            raise ValueError(f"a key point's weight must be a positive number, not {weight!r}")
        return weight


class Misconception(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: str
    correction: str
    patterns: list[str] = Field(default_factory=list)  # case-insensitive regexes over one sentence
    source_error: bool = False  # a source states this error
    record: str = ""  # where the source states it (when source_error)
    severity: str = "major"

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns):
        for p in patterns:
            try:
                re.compile(p, re.I)
            except re.error as exc:
                raise ValueError(f"pattern {p!r} does not compile: {exc}") from None
        return patterns

    @cached_property
    def compiled(self) -> list[re.Pattern]:
        return [re.compile(p, re.I) for p in self.patterns]


class Rubric(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    question: str
    records: list[str] = Field(default_factory=list)
    topic: str = "fundamentals"
    difficulty: int = 2
    model_answer: str
    key_points: list[KeyPoint]
    misconceptions: list[Misconception] = Field(default_factory=list)
    origin: str = "reviewed"  # reviewed | user | draft
    # drafted from a reference passed with the answer (a `reference` field in `coach grade`'s input), not from an indexed source:
    # set by ``Grader.resolve`` only (``explicit_reference``), never read from a rubric file or an id
    _explicit: bool = PrivateAttr(default=False)

    @property
    def explicit(self) -> bool:
        """Whether this rubric was drafted from a reference the user passed with the answer."""
        return self._explicit

    @field_validator("key_points")
    @classmethod
    def _key_points(cls, points):
        """At least one, each once: a repeat (same words, any case or spacing) is dropped, so a point
        is never listed both as right and as missing."""
        if not points:
            raise ValueError("a rubric needs at least one key point")
        seen, out = set(), []
        for kp in points:
            key = normalise(kp.text).lower()
            if key not in seen:
                seen.add(key)
                out.append(kp)
        return out


class RubricFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    version: int = 1
    source: str = ""
    rubrics: list[Rubric]


class RubricFileError(CoachError):
    """A rubric file that cannot be used; ``reason`` is one line."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"rubric file {path} is invalid: {reason}")


_warned: set[tuple[str, str]] = set()  # (path, reason) already logged by this process


def load_rubric_file(path: Path, origin: str) -> list[Rubric]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = RubricFile.model_validate(data)
    except ValidationError as exc:  # one line that names the field and why: "rubrics.0.key_points: ..."
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(x) for x in first.get("loc", ())) or "file"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise RubricFileError(path, f"{where}: {first.get('msg', 'invalid')}{more}") from None
    except Exception as exc:  # yaml.YAMLError, OSError, UnicodeDecodeError
        text = str(exc).strip()
        raise RubricFileError(path, text.splitlines()[0] if text else type(exc).__name__) from None
    for r in parsed.rubrics:
        r.origin = origin
    return parsed.rubrics


def bundled_rubric_paths() -> list[Path]:
    root = resources.files("coach") / "rubrics" / "bundled"
    try:
        return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith((".yaml", ".yml")))
    except FileNotFoundError:
        return []


class RubricBank:
    """All rubrics, indexed by rubric id and by record id."""

    def __init__(self, rubrics: list[Rubric], problems: list[str] | None = None):
        self.problems = list(problems or [])  # one line per skipped rubric file
        self._rubrics = list(rubrics)  # in load order (precedence), for restricted_to
        self.by_id: dict[str, Rubric] = {}
        self.by_record: dict[str, Rubric] = {}
        for r in rubrics:  # later entries (user rubrics) override earlier ones (bundled)
            self.by_id[r.id] = r
            for rec in r.records:
                self.by_record[rec] = r

    @classmethod
    def load(cls, settings=None, extra_dirs: list[Path] | None = None, *, warn: bool = True) -> "RubricBank":
        """Drafts, then bundled, then user rubrics. A bad file is skipped; ``warn`` logs it (once per process)."""
        files: list[tuple[Path, str]] = []  # lowest precedence first: later entries override earlier ones
        if settings is not None:  # drafts for added sources: below anything a person wrote
            drafts = settings.rubrics_dir / "drafts"
            if drafts.is_dir():
                files += [(path, "draft") for path in sorted(drafts.glob("*.yaml"))]
        files += [(path, "reviewed") for path in bundled_rubric_paths()]
        dirs = list(extra_dirs or [])
        if settings is not None:
            dirs.append(settings.rubrics_dir)
        for d in dirs:
            if d.is_dir():
                files += [(path, "user") for path in sorted(d.glob("*.y*ml"))]
        rubrics: list[Rubric] = []
        problems: list[str] = []
        for path, origin in files:
            try:
                rubrics += load_rubric_file(path, origin)
            except RubricFileError as exc:
                problems.append(f"skipped rubric file {path}: {exc.reason}")
                if warn and (str(path), exc.reason) not in _warned:
                    _warned.add((str(path), exc.reason))
                    log.warning("%s (fix or remove it; the other rubrics are in use)", problems[-1])
        log.debug("loaded %d rubrics, skipped %d files", len(rubrics), len(problems))
        return cls(rubrics, problems)

    def __len__(self) -> int:
        return len(self.by_id)

    def restricted_to(self, record_ids) -> "RubricBank":
        """The same rubrics citing only records in ``record_ids`` (the indexed ones): a removed source's
        records are never cited nor matched. A rubric keeps its key points when all its records are gone."""
        ids = set(record_ids)
        kept = [r if all(x in ids for x in r.records) else r.model_copy(update={"records": [x for x in r.records if x in ids]})
                for r in self._rubrics]
        return RubricBank(kept, self.problems)

    def for_record(self, record_id: str) -> Rubric | None:
        return self.by_record.get(record_id)

    def get(self, key: str) -> Rubric | None:
        """Look up by rubric id or record id."""
        return self.by_id.get(key) or self.by_record.get(key)
