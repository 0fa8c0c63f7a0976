"""Reversals: a claim that says a reference sentence's two sides the other way round.

"A generator is a function that uses return instead of yield" against "... uses yield instead of return": the judge
read the claim as entailing the reference sentence (a walkthrough's card credited it under "What you got right"). Two
shapes, in any subject's words:
- a contrast: "A instead of B", "A rather than B", "A as opposed to B" (A: the last content word before the connective,
  B: the first content word after it);
- a comparison: "A ... faster than B", "A ... more expensive than B" (A: the sentence's first content word, B: the first
  content word after "than"; the comparative itself must be the same word on both sides).
A claim reverses a sentence when both have the same connective (or comparative) with A and B exchanged.

Simplified on purpose: one word per side, so "uses return instead of yield" is caught but "a list of return values
instead of a yield-based stream" may not be; a reversal in other words ("slower" for "not faster") is left to the judge.
"""

from __future__ import annotations

import re
from functools import lru_cache

from coach.grading.draft import content_word_list

_CONTRAST = re.compile(r"\b(instead of|rather than|as opposed to)\b", re.I)
_COMPARATIVE = re.compile(r"\b(?:(more|less|fewer)\s+([a-z][\w-]*)|([a-z]+er))\s+than\b", re.I)
_NOT_COMPARATIVE = frozenset("rather other either neither whether never ever however".split())


def _content(text: str) -> list[str]:
    return [w for w in content_word_list(text) if not w.isdigit()]


def sides(sentence: str) -> set[tuple[str, str, str]]:
    """(connective or comparative, A, B) for each contrast and comparison the sentence states."""
    return set(_sides(sentence))


@lru_cache(maxsize=4096)  # each reference sentence is read against every claim (12 x 14 pairs: 5 ms uncached)
def _sides(sentence: str) -> frozenset[tuple[str, str, str]]:
    out = set()
    for m in _CONTRAST.finditer(sentence):
        before, after = _content(sentence[: m.start()]), _content(sentence[m.end():])
        if before and after and before[-1] != after[0]:
            out.add((m.group(1).lower(), before[-1], after[0]))
    for m in _COMPARATIVE.finditer(sentence):
        word = (m.group(3) or f"{m.group(1)} {m.group(2)}").lower()
        if word in _NOT_COMPARATIVE:
            continue
        subject, after = _content(sentence[: m.start()]), _content(sentence[m.end():])
        if subject and after and subject[0] != after[0]:
            out.add((word, subject[0], after[0]))
    return frozenset(out)


def reversal(claim: str, sentence: str) -> tuple[str, str, str] | None:
    """The (connective or comparative, A, B) of ``sentence`` that ``claim`` states with A and B exchanged, or None."""
    theirs = _sides(sentence)
    return next(((k, b, a) for k, a, b in sorted(_sides(claim)) if (k, b, a) in theirs), None)


def reverses(claim: str, sentence: str) -> bool:
    """Whether ``claim`` states one of ``sentence``'s contrasts or comparisons with its two sides exchanged."""
    return reversal(claim, sentence) is not None
