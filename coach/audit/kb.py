"""The trusted reference: concepts, misconception patterns, removed APIs and category lists, as YAML data.

Everything lives in ``coach/knowledge/*.yaml`` so experts can edit it without touching Python.
A misconception is a regex over ONE claim (case-insensitive), optionally gated by a ``context`` regex
(over claim + previous sentence + list header + record question) and vetoed by an ``unless`` regex.
Negation handling: a match is ignored when a negation cue ("not", "never", "n't", "no longer",
"misconception", "myth") appears in the same clause before or inside the match, unless the pattern
itself is written with a negation (``negation: false``).

Simplified on purpose: regexes, not parsing or NLI; they catch the common phrasings of a misconception,
not every paraphrase. Concepts carry a correct ``statement`` used as the correction and as evidence.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

KNOWLEDGE_DIR = Path(__file__).resolve().parents[1] / "knowledge"
_NEGATION = re.compile(r"\b(?:not|never|no longer|cannot|can't|isn't|aren't|doesn't|don't|didn't|won't|neither|nor|"
                       r"without|instead of|rather than|misconception|myth|wrongly|incorrectly|mistakenly|contrary to)\b|n't\b",
                       re.I)
_CLAUSE_BREAK = re.compile(r"[;:,.!?]|\b(?:but|however|whereas|while|although)\b", re.I)


@dataclass
class Misconception:
    id: str
    pattern: re.Pattern
    reason: str
    correction: str
    severity: str = "major"
    context: re.Pattern | None = None  # must match claim + paragraph + list header + question
    context_unless: re.Pattern | None = None  # must NOT match that wider text
    near: re.Pattern | None = None  # must match the claim + the previous sentences of its paragraph
    unless: re.Pattern | None = None  # must NOT match the claim itself
    negation: bool = True
    kind: str = "factual"


@dataclass
class Concept:
    id: str
    name: str
    statement: str
    triggers: list[re.Pattern] = field(default_factory=list)
    misconceptions: list[Misconception] = field(default_factory=list)
    source: str = ""  # the YAML file it came from

    def is_about(self, text: str) -> bool:
        return any(t.search(text) for t in self.triggers)


@dataclass
class RemovedApi:
    api: str
    pattern: re.Pattern
    removed_in: str
    replacement: str
    severity: str = "major"


@dataclass
class KnowledgeBase:
    concepts: list[Concept]
    removed_apis: list[RemovedApi]
    categories: dict[str, list[re.Pattern]]  # category -> member-name regexes
    category_headers: dict[str, re.Pattern]  # category -> regex recognising a header that introduces it
    list_rules: list[dict] = field(default_factory=list)  # {header, item, reason, correction, severity, verdict}

    def concept(self, cid: str) -> Concept:
        return next(c for c in self.concepts if c.id == cid)


def _rx(p: str | None) -> re.Pattern | None:
    return re.compile(p, re.I) if p else None


def is_negated(text: str, start: int, end: int) -> bool:
    """True when a negation cue sits in the clause that holds ``text[start:end]`` (before or inside it)."""
    clause_start = 0
    for m in _CLAUSE_BREAK.finditer(text, 0, start):
        clause_start = m.end()
    return bool(_NEGATION.search(text[clause_start:end]))


def match_misconception(m: Misconception, text: str, context_text: str, near_text: str = "") -> re.Match | None:
    """The misconception's match in ``text`` if it applies (context gates, ``unless`` vetoes, negation).

    ``context_text``: claim + paragraph + list header + record question; ``near_text``: claim + paragraph.
    """
    if m.context is not None and not m.context.search(context_text):
        return None
    if m.context_unless is not None and m.context_unless.search(context_text):
        return None
    if m.near is not None and not m.near.search(near_text or text):
        return None
    if m.unless is not None and m.unless.search(text):
        return None
    for hit in m.pattern.finditer(text):
        if m.negation and is_negated(text, hit.start(), hit.end()):
            continue
        return hit
    return None


def _load_concepts(path: Path) -> list[Concept]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    out = []
    for c in data:
        mis = []
        for m in c.get("misconceptions", []) or []:
            mis.append(Misconception(
                id=m["id"], pattern=_rx(m["pattern"]), reason=m["reason"], correction=m.get("correction") or c["statement"],
                severity=m.get("severity", "major"), context=_rx(m.get("context")), unless=_rx(m.get("unless")),
                context_unless=_rx(m.get("context_unless")), near=_rx(m.get("near")),
                negation=m.get("negation", True), kind=m.get("kind", "factual"),
            ))
        out.append(Concept(id=c["id"], name=c["name"], statement=c["statement"].strip(),
                           triggers=[_rx(t) for t in c.get("triggers", [])], misconceptions=mis, source=path.name))
    return out


@functools.lru_cache(maxsize=4)
def load_knowledge(directory: str | None = None) -> KnowledgeBase:
    """Load every ``concepts_*.yaml``, ``removed_apis.yaml`` and ``categories.yaml`` (cached; read-only)."""
    d = Path(directory) if directory else KNOWLEDGE_DIR
    concepts: list[Concept] = []
    for p in sorted(d.glob("concepts_*.yaml")):
        concepts.extend(_load_concepts(p))
    ids = [c.id for c in concepts]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate concept ids in {d}: {sorted(dupes)}")
    apis = []
    api_path = d / "removed_apis.yaml"
    if api_path.exists():
        for a in yaml.safe_load(api_path.read_text(encoding="utf-8")) or []:
            apis.append(RemovedApi(api=a["api"], pattern=re.compile(a["pattern"]), removed_in=a["removed_in"],
                                   replacement=a["replacement"], severity=a.get("severity", "major")))
    categories, headers, rules = {}, {}, []
    cat_path = d / "categories.yaml"
    if cat_path.exists():
        spec_all = yaml.safe_load(cat_path.read_text(encoding="utf-8")) or {}
        for name, spec in (spec_all.get("categories") or {}).items():
            categories[name] = [_rx(x) for x in spec["members"]]
            headers[name] = _rx(spec["header"])
        for r in spec_all.get("list_rules") or []:
            if r.get("enabled", True):
                rules.append({**r, "header": _rx(r["header"]), "item": _rx(r["item"])})
    log.debug("knowledge: %d concepts, %d removed APIs, %d categories", len(concepts), len(apis), len(categories))
    return KnowledgeBase(concepts=concepts, removed_apis=apis, categories=categories, category_headers=headers,
                         list_rules=rules)
