"""One fact changed in a copied sentence: a claim that repeats a reference sentence nearly word for word, with one
of its facts turned round.

Candidates who learn a source by heart answer in its words, and when they misremember, they change one thing: a
number ("4 GB" for "16 GB"), a negation ("is not thread-safe"), a word for its opposite ("increases" for
"decreases"), or two of the sentence's own words exchanged ("saves the state of the next process and loads the
current one"). The judge and the answer scorer read such a claim as the sentence it copies; the edit is plain when
the two are laid side by side. A claim *copies* a sentence when their word sequences match for at least ``RATIO``
(difflib's ratio over lower-case words) and it has at least ``MIN_WORDS`` words; the changes between them are read
for:
- a number: one number taken out and another put in its place;
- a negation: "not", "no", "never", "without", ... put in or taken out in a change of at most ``NEG_SPAN`` words (or
  an insertion or deletion of nothing else, "does not"), unless one is put back within ``NEG_MOVE`` words (moved);
- an opposite: a word replaced by its antonym in the general lexicon (``coach/judge/data/lexicon.json``);
- an exchange: a word replaced by another, and that word replaced by the first elsewhere, in the same claim or in
  another claim of the answer (not two words joined by "and" / "or": "A and B" for "B and A" says the same).
A synonym from the same lexicon is never a change of fact, and neither is a change the rules above do not name:
rewording is left to the other signals.

The audit reads a source sentence against its nearest trusted statements with the same rules (``aligned``: a number
changes only in place, number words read as digits; experiment 54, ``coach/audit/checks/trusted.py``).

Simplified on purpose: words, not meaning ("not unlike" reads as a negation put in, "skips rows where it is NULL" as
the opposite of "counts only rows where it is not NULL"); a reference that is itself wrong makes a correct answer that
fixes it look edited, as it does for the judge.
"""

from __future__ import annotations

import json
import re
from difflib import SequenceMatcher
from functools import lru_cache

RATIO = 0.6  # picked on the dev sets from 0.6 / 0.7 / 0.8 (experiment 53, README)
MIN_WORDS = 6
NEG_SPAN = 4  # words of a replacement that puts in or takes out a negation
NEG_MOVE = 3  # a negation taken out and one put in this many words apart: moved, not changed
SUBJECT_WORDS = 3  # ``aligned``: a term exchanged for another within this many words of both starts: another subject
NUMBER_SPAN = 4  # words a side of a replacement that changes a number (``aligned``)
JOIN_SPAN = 4  # two words at most this far apart with "and" / "or" between them are coordinated

_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?(?:['’][a-z]+)?")
_NEGATIONS = frozenset("not no non never none neither nor without cannot".split())
# "rather than" / "instead of" standing where the sentence says "not" ("merely encoded rather than encrypted")
_CONTRASTS = ({"rather", "than"}, {"instead", "of"})
_NUMBER_WORDS = frozenset("""zero one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty
fifty sixty seventy eighty ninety hundred thousand million billion half twice double triple""".split())
_JOINS = frozenset({"and", "or"})
_AUXILIARIES = frozenset("is are was were be been do does did can could will would should may might must has have had".split())
_STOP = frozenset("""a an the is are was were be been being of to in on at by for with as from into than then that this
these those it its they them their there which who what when where how and or so if also can could may might will would
should must do does did has have had one all every each any some both many most""".split())


@lru_cache(maxsize=1)
def _lexicon_data() -> dict:
    """The general lexicon's file as read ({} when it is missing or unreadable)."""
    from coach.judge.data import LEXICON

    try:
        return json.loads(LEXICON.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset, frozenset]:
    """(synonym pairs, antonym pairs) of single words, both orders."""
    data = _lexicon_data()

    def pairs(key):
        out = set()
        for a, b in data.get(key, []):
            if a and b and " " not in a and " " not in b:
                out |= {(a.lower(), b.lower()), (b.lower(), a.lower())}
        return frozenset(out)
    return pairs("synonyms"), pairs("antonyms")


def words(text: str) -> list[str]:
    """Lower-case words, a "n't" read as "not" ("doesn't" -> "does", "not"; "can't", "cannot" -> "can", "not")."""
    out = []
    for w in _WORD.findall(text.lower().replace("’", "'")):
        if w == "cannot":
            out += ["can", "not"]
        elif w.endswith("n't"):
            stem = w[:-3]
            out += [{"ca": "can", "wo": "will", "sha": "shall"}.get(stem, stem), "not"]
        else:
            out.append(w)
    return out


def _is_number(w: str) -> bool:
    return w[:1].isdigit() or w in _NUMBER_WORDS


def _content(ws) -> list[str]:
    return [w for w in ws if w not in _STOP and not _is_number(w) and w not in _NEGATIONS]


def _joined(ws: list[str], a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are coordinated in ``ws``: at most ``JOIN_SPAN`` words apart with "and" / "or" between
    them ("labelled data and unlabelled data")."""
    at_a = [i for i, w in enumerate(ws) if w == a]
    at_b = [i for i, w in enumerate(ws) if w == b]
    return any(abs(i - j) <= JOIN_SPAN and _JOINS & set(ws[min(i, j) + 1: max(i, j)]) for i in at_a for j in at_b)


def copies(claim: str, sentence: str) -> float:
    """difflib's ratio of the two word sequences (0 when the claim is shorter than ``MIN_WORDS`` words)."""
    return _ratio(words(claim), words(sentence))


def _ratio(a: list[str], r: list[str]) -> float:
    if len(a) < MIN_WORDS or not r:
        return 0.0
    return SequenceMatcher(None, r, a, autojunk=False).ratio()


_DIGITS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}


def _numbers(ws: list[str]) -> set[str]:
    """The numbers in ``ws`` as digits: number words read as digits ("one" -> 1), digit runs read out of a token
    ("1x1" -> 1); another number word ("half", "twice") as itself."""
    out = set()
    for w in ws:
        runs = re.findall(r"[0-9]+(?:\.[0-9]+)?", w)
        out |= {_DIGITS[w]} if w in _DIGITS else set(runs) if runs else {w} if w in _NUMBER_WORDS else set()
    return out


def _read(a: list[str], r: list[str], ratio: float, aligned: bool = False):
    """(changes of fact, content-word replacements (old, new)) of a claim (its ``words``) that copies a sentence
    (``r``, its words); None when it does not copy it. ``aligned``: a number changes only within one replacement of
    at most ``NUMBER_SPAN`` words a side, numbers on both sides, read as digits (the audit's reading: a source and a
    trusted statement written apart say "one" and "1", and hold numbers about different things)."""
    if len(a) < MIN_WORDS or not r:
        return None
    sm = SequenceMatcher(None, r, a, autojunk=False)
    if sm.ratio() < ratio:
        return None
    synonyms, antonyms = _lexicon()
    found, swapped = [], []
    ops = [op for op in sm.get_opcodes() if op[0] != "equal"]
    changed: set[int] = set()  # the ops that hold a change found
    if aligned:
        for k, (tag, i1, i2, j1, j2) in enumerate(ops):
            old, new = _numbers(r[i1:i2]), _numbers(a[j1:j2])
            if tag == "replace" and max(i2 - i1, j2 - j1) <= NUMBER_SPAN and old and new and old != new:
                found.append(("number", " ".join(w for w in r[i1:i2] if _is_number(w)),
                              " ".join(w for w in a[j1:j2] if _is_number(w))))
                changed.add(k)
                break
    else:
        old_numbers = [w for op in ops for w in r[op[1]:op[2]] if _is_number(w)]
        new_numbers = [w for op in ops for w in a[op[3]:op[4]] if _is_number(w)]
        # a number word read as its digit ("minus one to one" is "-1 to 1"); a token as it is written ("2PR" is no "2")
        as_digits = [{_DIGITS.get(w, w) for w in ws} for ws in (old_numbers, new_numbers)]
        if old_numbers and new_numbers and as_digits[0] != as_digits[1]:
            found.append(("number", " ".join(old_numbers), " ".join(new_numbers)))
    # a negation moved a word or two ("need not be declared" / "don't need to be declared", a walkthrough's correct
    # answer) changes nothing: a change that takes one out and a change within ``NEG_MOVE`` words that puts one in
    # cancel; a negation taken out of one clause and another put in elsewhere do not
    def negs(ws):
        return sum(w in _NEGATIONS for w in ws)

    # (op, where in the claim): each change that takes a negation out, and each that puts one in, at that negation
    taken = [(k, j1) for k, (_, i1, i2, j1, j2) in enumerate(ops) if negs(r[i1:i2]) > negs(a[j1:j2])]
    put = [(k, j1 + next(n for n, w in enumerate(a[j1:j2]) if w in _NEGATIONS))
           for k, (_, i1, i2, j1, j2) in enumerate(ops) if negs(a[j1:j2]) > negs(r[i1:i2])]
    moved: set[int] = set()
    for k, at in taken:
        near = next((q for q, p in put if q not in moved and abs(p - at) <= NEG_MOVE), None)
        if near is not None:
            moved |= {k, near}
    subs = []  # (op, old, new): the clean substitutions at the start of both sentences (what each is about)
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        old, new = r[i1:i2], a[j1:j2]
        if tag == "replace" and "".join(old) == "".join(new):
            continue  # the same word spelt apart: "non-linear" for "nonlinear" (a correct test source was flagged)
        if {frozenset(old), frozenset(new)} & {frozenset({"not"})} and any(set(old + new) - {"not"} == c for c in _CONTRASTS):
            continue  # "not" for "rather than" / "instead of": the same denial
        neg_old, neg_new = negs(old), negs(new)
        bare = tag != "replace" and set(old + new) <= _NEGATIONS | _AUXILIARIES  # "not", "does not" put in
        if k not in moved and neg_old != neg_new and (bare or (tag == "replace" and len(old) + len(new) <= NEG_SPAN)):
            found.append(("negation", " ".join(old), " ".join(new)))
            changed.add(k)
            continue
        if tag != "replace":
            continue
        for o in _content(old):
            for n in _content(new):
                if o != n and (o, n) in antonyms and (o, n) not in synonyms:
                    found.append(("opposite", o, n))
                    changed.add(k)
        # a clean substitution: one content word for another (what an exchange is made of)
        (o, *more_o), (n, *more_n) = _content(old) or [""], _content(new) or [""]
        if (o and n and not more_o and not more_n and o != n and min(len(o), len(n)) >= 3
                and (o, n) not in synonyms and not _joined(r, o, n) and not _joined(a, o, n)):
            swapped.append((o, n))
            if i1 < SUBJECT_WORDS and j1 < SUBJECT_WORDS:
                subs.append((k, o, n))
    if aligned and _other_term(subs, changed):
        return [], []
    return found, swapped


def _other_term(subs: list[tuple[int, str, str]], changed: set[int]) -> bool:
    """Whether the claim is about another thing than the sentence: a clean one-word substitution within the first
    ``SUBJECT_WORDS`` words of both (``subs``: (op, old, new)), outside the replacements that hold a change, not one
    half of an exchange, and not one word inflected (``aligned``: a source sentence and a trusted statement written
    apart; "A foreign key can contain NULL values" read against "Primary key columns cannot hold NULL" is about another
    key, and was flagged as its negation). A substitution later in the sentence is a rewording or a second change."""
    pairs = {(o, n) for _, o, n in subs}
    return any(k not in changed and (n, o) not in pairs and not _inflected(o, n) for k, o, n in subs)


_ENDINGS = ("ies", "es", "ed", "ing", "s", "d")


def _inflected(a: str, b: str) -> bool:
    """Whether two words are one word inflected ("key"/"keys", "uses"/"used", "process"/"processes")."""
    short, long_ = sorted((a, b), key=len)
    if long_.startswith(short) and long_[len(short):] in _ENDINGS:
        return True

    def stem(w: str) -> str:
        return next((w[: -len(e)] for e in _ENDINGS if w.endswith(e) and len(w) - len(e) >= 3), w)

    return stem(a) == stem(b)


def fact_changes(claims: list[str], sentences: list[str], ratio: float = RATIO, aligned: bool = False
                 ) -> dict[int, tuple[int, tuple]]:
    """For each claim that copies one of ``sentences`` (its closest by ``copies``) with a change of fact: claim index
    -> (sentence index, (kind, the sentence's words, the claim's words)), the first change found. An exchange is two
    replacements that mirror each other, old -> new in one place and new -> old in another, in one claim or across
    two claims of the answer (a definition of A given to B, and B's to A)."""
    read = {}
    said = [words(s) for s in sentences]  # each sentence read once, not once per claim
    for c, claim in enumerate(claims):
        if not sentences:
            break
        a = words(claim)
        best = max(range(len(sentences)), key=lambda j: _ratio(a, said[j]))
        got = _read(a, said[best], ratio, aligned)
        if got is not None:
            read[c] = (best, got)
    replaced = {pair for _, (_, swapped) in read.values() for pair in swapped}
    out = {}
    for c, (best, (found, swapped)) in read.items():
        # mirrored word for word or one word inflected ("containers" -> "images" with "image" -> "container": a
        # walkthrough's role swap was credited)
        crossed = [("exchange", o, n) for o, n in swapped
                   if not _inflected(o, n) and ((n, o) in replaced or any(
                       (o2, n2) != (o, n) and _inflected(n, o2) and _inflected(o, n2) for o2, n2 in replaced))]
        changes = found + crossed
        if changes:
            out[c] = (best, changes[0])
    return out


_CHANGED = {"number": "a number changed", "negation": "a negation put in or taken out",
            "opposite": "a word turned into its opposite", "exchange": "two of its terms exchanged"}


def _as_written(found: str, text: str) -> str:
    """``found`` (lower-case words) as ``text`` writes each of them ("StringBuilder", not "stringbuilder")."""
    out = []
    for w in found.split():
        m = re.search(r"(?<![\w'’])" + re.escape(w) + r"(?![\w'’])", text, re.I)
        out.append(m.group(0) if m else w)
    return " ".join(out)


def edit_basis(kind: str, old: str, new: str, sentence: str = "", claim: str = "",
               copied: str = "the reference sentence") -> str:
    """How a "What is wrong" item found by this rule says why: 'copies the reference sentence with a number changed:
    "16" where it says "4"', each word as the sentence and the claim write it."""
    old, new = _as_written(old, sentence), _as_written(new, claim)
    said = (f'"{new}" where it says "{old}"' if old and new else f'adds "{new}"' if new else f'leaves out "{old}"')
    return f"copies {copied} with {_CHANGED.get(kind, 'a fact changed')}: {said}"


# Words whose insertion, removal or exchange changes no fact of a sentence (``restates``): articles, a relative
# pronoun, connectives. Never a number, a negation, a quantifier or a modal.
_FILLER = frozenset("a an the that which also so then just".split())


@lru_cache(maxsize=1)
def _phrase_synonyms() -> frozenset:
    """Synonym pairs of the general lexicon as word tuples, both orders, multi-word entries included ("right away",
    "immediately")."""
    out = set()
    for pair in _lexicon_data().get("synonyms", []):
        if len(pair) == 2 and pair[0] and pair[1]:
            a, b = tuple(words(pair[0])), tuple(words(pair[1]))
            if a and b:
                out |= {(a, b), (b, a)}
    return frozenset(out)


def restates(claim: str, sentence: str) -> bool:
    """Whether ``claim`` says ``sentence`` again: at least ``MIN_WORDS`` words, their word sequences matching at
    ``RATIO`` or more, and every difference between them either filler words put in, taken out or exchanged (an
    article, "that", "which", "also", "so", "then", "just") or a word or phrase replaced by its synonym in the general
    lexicon. Nothing else may change: no number, negation, quantifier, modal or content word (experiment 62, README:
    the source's own answer recited word for word was read as contradicting itself, one sentence against another)."""
    a, r = words(claim), words(sentence)
    if _ratio(a, r) < RATIO:
        return False
    synonyms = _phrase_synonyms()
    for op, i1, i2, j1, j2 in SequenceMatcher(None, r, a, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        old, new = tuple(r[i1:i2]), tuple(a[j1:j2])
        if set(old) <= _FILLER and set(new) <= _FILLER:
            continue
        # a synonym, with filler around it on either side ("the minimum" / "the smallest one" is not one: "one"), or
        # a lexicon phrase that itself opens with a filler word ("a lot of" / "many": stripped, it is "lot of")
        core_old = tuple(w for w in old if w not in _FILLER) or old
        core_new = tuple(w for w in new if w not in _FILLER) or new
        if op == "replace" and ({(core_old, core_new), (old, new), (old, core_new), (core_old, new)} & synonyms):
            continue
        return False
    return True
