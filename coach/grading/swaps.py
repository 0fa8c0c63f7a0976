"""Role swaps: a claim that gives one thing what the reference says of another, and the other what it
says of the first ("the input gate discards, the forget gate adds new information"; "L2 gives exact
zeros, L1 keeps weights small"). The judgement model reads such a claim as close to the reference (the
same words, in the same kind of sentence), so the grader checks swaps with this text rule.

The rule, on clauses (sentences cut at ``;`` ``:`` ", and" and while / whereas / but / ...; a clause with a
negation cue is not used, since it may deny what it names):
- a clause's *entities* are its first ``HEAD`` content words (what it is about); a clause *belongs* to A when
  A is one of them and a second term B does not occur in it at all;
- its *attributes* are its other content words, stemmed; a word derived from one of the two terms' names
  ("generate", "generated" beside "generator") is that term's attribute only: it counts for no other term in the
  reference, and in the answer one derived from the OTHER term's name crosses ("the discriminator generates"),
  though such words never make a swap on their own (at least ``MIN_CROSSED`` other words must cross);
- for two terms A, B that are entities of clauses on both sides (the answer, and the reference's key points
  and model-answer sentences), the discriminative attributes of A are those the side's A clauses use and its
  B clauses do not;
- a swap: the answer's A clauses use attributes that the reference gives only to B, AND its B clauses use
  attributes the reference gives only to A (both directions, at least ``MIN_CROSSED`` words together), and
  the answer's own-side words do not clear it: for a pair the question names ("L1 and L2"), they clear it
  when, in one direction, they are at least as many as the crossed words; for any other pair, one own-side
  word clears it (``_vetoed``).

Adverbs ("still", "already", "first") are never a clause's entities: "an orphan is still running" is not about
a thing called "still".

Simplified on purpose: word overlap, not meaning. It finds swaps stated as parallel clauses with the
reference's own words, and misses swaps in other words, swaps inside one clause ("A, unlike B, ...") and
swaps of a single entity. Measured on the dev answers when it was designed (README, "Role swaps"). A
reference that is itself wrong (an unflagged source error) makes a correct answer look swapped, as it does
for the judge, so the grader reads answers with this rule against reviewed rubrics and explicit references
only, never against a rubric drafted from an indexed source (``grader._swap_checked``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

from coach.grading.text import singular

HEAD = 3  # a clause's entities: its first content words
MIN_CROSSED = 2  # attribute words, both directions together

_WORD = re.compile(r"[a-z0-9]+(?:[-+][a-z0-9]+)*")
_CLAUSE = re.compile(
    r"\s*(?:[;:]|,?\s+(?:while|whereas|whilst|but|although|however|unlike)\b|,\s*and\b|\.\s+|\n+)\s*", re.I
)
_NEGATION = re.compile(
    r"\b(not|no|never|cannot|can't|isn't|aren't|doesn't|don't|won't|neither|nor|without|unlike|instead|rather|"
    r"opposite|contrary)\b", re.I)
_STOP = frozenset("""a an the is are was were be been being of to in on at by for with as from into onto than then that
this these those it its it's they them their there here which who whom whose what when where why how and or so if also
both each either other another any all some most more less many much few very just only can could may might will would
should must shall do does did done has have had having use used uses using make makes made one two three such same like
via about over under between among per i we you he she s e g eg ie etc vs too""".split())
# adverbs that cannot name what a clause is about ("an orphan is still running" is not about a "still"); they stay
# attributes ("the stack removes the element added first")
_ADVERBS = frozenset("still already yet even ever again often always usually sometimes first later now".split())
_SUFFIXES = ("ations", "ation", "ators", "ator", "ates", "ated", "ating", "ate", "ings", "ing", "ers", "er", "ies", "es",
             "ed", "ly", "s", "e")


def _stem(w: str) -> str:
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            return w[: -len(suf)]
    return w


_surface = singular  # a word's surface form: "gates" and "gate" name the same entity


@dataclass(frozen=True)
class _Clause:
    index: int  # the sentence it comes from
    head: frozenset  # its entities
    names: frozenset  # every content word, surface form
    words: tuple  # content words, in order


def _clauses(texts: list[str]) -> list[_Clause]:
    out = []
    for i, text in enumerate(texts):
        for part in _CLAUSE.split(text or ""):
            if not part or not part.strip() or _NEGATION.search(part):
                continue
            ws = [w for w in _WORD.findall(part.lower()) if w not in _STOP and len(w) >= 2]
            if ws:
                out.append(_Clause(i, frozenset(_surface(w) for w in ws[:HEAD] if w not in _ADVERBS),
                                   frozenset(_surface(w) for w in ws),
                                   tuple(ws)))
    return out


@dataclass
class Swap:
    claim: int  # index of the answer sentence
    reference: int  # index of the reference sentence that crosses most (the correction)
    references: list  # indices of every reference sentence the crossed attributes come from
    terms: tuple  # (A, B)
    crossed: list  # the attribute words that crossed
    said_of: tuple = ()  # (X, Y): the claim says of X what the reference sentence ``reference`` says of Y


def _vetoed(own_a: set, crossed_a: set, own_b: set, crossed_b: set, asked: bool) -> bool:
    """Whether the answer's own-side words clear it of a swap. ``own_a``: the words the answer's A clauses
    share with what the reference gives only to A; ``crossed_a``: those it shares with what the reference
    gives only to B (the same for B). For two terms the question itself names (``asked``: "L1 and L2",
    "bias and variance") a swap stands unless, in one direction, the own-side words are at least as many as
    the crossed ones (one incidental shared word, "towards", does not clear "L2, also known as Lasso, pushes
    the weights towards zero"); for any other pair, one own-side word is enough (the rule's first version:
    a pair of words the reference does not contrast, "process" and "program", must not read as a swap)."""
    if not asked:
        return bool(own_a or own_b)
    return (bool(own_a) and len(own_a) >= len(crossed_a)) or (bool(own_b) and len(own_b) >= len(crossed_b))


def _union(clauses) -> set:
    return set().union(*(words for _, words in clauses))


def role_swaps(claims: list[str], refs: list[str], question: str = "") -> list[Swap]:
    """The role swaps of ``claims`` (the answer's sentences) against ``refs`` (reference sentences), at
    most one per pair of terms, deterministic (pairs in sorted order)."""
    cu, ru = _clauses(claims), _clauses(refs)
    if not cu or not ru:
        return []
    terms = frozenset().union(*(c.head for c in cu)) & frozenset().union(*(c.head for c in ru))
    asked = {_surface(w) for w in _WORD.findall((question or "").lower())}
    out = []
    for a, b in combinations(sorted(terms), 2):
        named = {_stem(a), _stem(b)}

        def side(clauses, e, other, reference):
            # a word derived from a term's name ("generate" beside "generator") is that term's attribute only:
            # in the reference it is dropped from every clause and each clause about the term carries the
            # term's own stem (whether or not it uses such a word); in the answer a clause drops only its own
            # term's stem ("the generator generates" is neither crossed nor own-side), so one derived from the
            # OTHER term's name stays and crosses (it says e does what the other is named for)
            own = {_stem(e)} if reference else set()
            drop = named if reference else named & {_stem(e)}
            return [(c.index, {_stem(w) for w in c.words if _surface(w) not in (a, b) and _stem(w) not in drop} | own)
                    for c in clauses if e in c.head and other not in c.names]

        ca, cb, ra, rb = side(cu, a, b, False), side(cu, b, a, False), side(ru, a, b, True), side(ru, b, a, True)
        if not ca or not cb or not ra or not rb:
            continue
        RA, RB, CA, CB = _union(ra), _union(rb), _union(ca), _union(cb)
        oRA, oRB, oCA, oCB = RA - RB, RB - RA, CA - CB, CB - CA
        x1, x2 = oCA & oRB, oCB & oRA
        if _vetoed(oCA & oRA, x1, oCB & oRB, x2, a in asked and b in asked):
            continue
        if not x1 or not x2 or len(x1 | x2) < MIN_CROSSED:
            continue
        if len((x1 | x2) - named) < MIN_CROSSED:
            # words derived from the names support a swap but never make one on their own: "the sender
            # receives ACKs, the receiver sends one" is a correct answer
            continue
        pairs = [(len(w & v & oRB), -i, -j, i, j, (a, b)) for i, w in ca for j, v in rb]
        pairs += [(len(w & v & oRA), -i, -j, i, j, (b, a)) for i, w in cb for j, v in ra]
        best = max(pairs)
        used = sorted({j for i, w in ca for j, v in rb if w & v & oRB} | {j for i, w in cb for j, v in ra if w & v & oRA})
        out.append(Swap(best[3], best[4], used, (a, b), sorted(x1 | x2), best[5]))
    return out
