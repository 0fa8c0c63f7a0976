"""Whether an answer is an attempt: "I don't know what a mutex is", "Honestly I've never worked with HAVING
clauses, so I can't say", "no idea, pass" are not, and get the verdict ``no_attempt``; "I'm not sure, but I
think a mutex is a lock" is.

The answer is cut into clauses (at sentence ends, commas, dashes, "but", "because", ...). It is no attempt when
at least one clause admits not knowing (``_ADMIT``: "I don't know", "can't explain", "never studied", "I'd
have to look it up", "skip", ...) and every other clause says nothing about the subject:
- a filler ("sorry", "honestly", "next question", "please");
- the topic named as a question or trailing off ("Page faults...", "What's the GIL?"), a few words;
- a sentence about the candidate with no statement in it ("I've heard the term before", "We did operating
  systems in second year"): it opens with "I" / "we" / "my", states nothing ("is", "are", "means", "=")
  and gives no opinion ("I think ...", "I'd guess ...").
Any other clause is content, and the answer is an attempt however hedged. Admissions are read only in the
first person or at the head of a clause, so "the forget gate decides what to drop" or "the model does not
know the labels" are content. An answer of more than ``MAX_WORDS`` words is always an attempt.

Measured on a blind written set of no-attempt and hedged answers (README, "No attempt").
"""

from __future__ import annotations

import re

MAX_WORDS = 60
TOPIC_MAX_WORDS = 5  # "Mutex vs semaphore..." / "What's the GIL?"

# the whole answer only says "I don't know" with fillers ("Sorry, I don't know.", "no idea, pass"): matched
# over words with a tiling of known phrases (linear time), not one regex with nested repeats: that one
# backtracked exponentially on answers like "pass,pass,pass,...,x" (measured: 15 repeats, 9 s)
_NA_ATTEMPT = re.compile(
    r"i (?:really )?(?:do ?n[o']?t|dont|have no) (?:know|idea|remember|recall)|no idea|not sure|no clue|"
    r"(?:i |i'?ll |i will )?(?:pass|skip)|idk|dunno|i (?:can'?t|cannot) (?:remember|recall|answer)"
)
_NA_FILLER = re.compile(
    r"sorry|u+m+|u+h+|h+m+|honestly|to be honest|(?:i'?ll |i will )?(?:pass|skip)|next(?: question)?|"
    r"about (?:this|that)|on this(?: one)?|here|at all"
)
_NA_MAX_WORDS = 24

_NEG = r"(?:not|never|unable to|no longer)"  # after _contract: "don't" is "do not"
_ADMIT = re.compile(
    r"\b(?:"
    rf"{_NEG} (?:\w+ ){{0,2}}?(?:know|knew|remember|recall|understand|understood|get|got|answer|explain|say|tell|"
    r"describe|define|help|give|learn|learned|learnt|study|studied|heard|hear|seen|used|use|worked|work|cover|covered|"
    r"done|touched|come across|familiar|sure|certain|confident|try|guess|bluff|attempt)\b|"
    r"no (?:idea|clue|answer|experience|knowledge)|not (?:sure|certain|confident|famil\w*)|unsure|idk|dunno|"
    r"not something (?:i|we)|(?:a |the )?(?:different|another|other) question|"
    r"(?:not|never) (?:\w+ ){0,2}(?:my|in my) (?:strong|area|field|thing|forte|expertise|course|class|syllabus)|"
    r"out of my depth|over my head|beyond (?:me|my|what i)|"
    r"(?:i|i've|i have|i'd|we) (?:\w+ )?(?:forget|forgot|forgotten|blanked|blanking|mix (?:\w+ )?up|confuse|confused)|"
    r"drawing a blank|blank(?:ed|ing)? on|gone now|slipped my mind|"
    r"look (?:it |that |this |them )?up|google (?:it|that|this)|review my|"
    r"(?:rather|want to|going to|prefer to) not|rather not|making (?:things|it|stuff) up|"
    # a request to skip: the whole clause, or its end after "I'll" / "let's" ("the forward pass" is not one)
    r"(?:^|\b(?:i'll|i will|i|i'd|let's|lets|let me|we|please|can we|just|so) )(?:skip|pass)"
    r"(?: (?:it|this|that|on|one|please|for|now|the|question|again))*$|"
    r"(?:can we|let'?s|i'?ll|i will|i'd like to|please) (?:skip|pass|move on)|"
    r"no answer|nothing to say|can'?t help"
    r")"
)
_FILLER = re.compile(
    r"^(?:sorry|so sorry|i'?m sorry|i am sorry|apologies|my apologies|unfortunately|honestly|frankly|to be honest|tbh|"
    r"sadly|hmm+|u+m+|u+h+|ugh|oh|well|nope|no|ok|okay|yeah|yes|please|thanks|thank you|next|next one|next question|"
    r"next please|move on|let'?s move on|can we move on|i'?m afraid|i am afraid|i admit|at all|either|really|"
    r"right now|for now|here|this one|on this one|again|lol|haha)(?: please| sorry| again)?$"
)
# a clause with no first person that opens with a denial is an admission only with a verb of knowing: "Never
# heard of it" is one; "Never use it in production" / "never used them" admits nothing (nor states anything)
_BARE_NOT_ADMIT = re.compile(r"^(?:not|never) (?:\w+ ){0,2}?(?:use|used|work|worked|get|got|give|help|done|touched|try)\b")
_LEAD = re.compile(r"^(?:(?:honestly|frankly|sorry|well|hmm+|u+m+|u+h+|tbh|sadly|unfortunately|oh|ok|okay|yeah|really|"
                   r"genuinely|actually|to be honest|just|simply|still|can|could|do|did|have|had|will|would|am) )+")
_ME = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|i'll|me|my|we|we've|us|our)\b")
_FIRST_PERSON = re.compile(r"^(?:honestly |frankly |well |and |also |but |so )?(?:i|i'm|im|i've|ive|i'd|id|i'll|we|we've|my)\b")
_OPINION = re.compile(r"\b(?:think|believe|guess|suppose|reckon|assume|imagine|would say|'d say|say that|know that|"
                      r"remember that|recall that|mean|means)\b(?: \S+)")
_STATEMENT = re.compile(r"\b(?:is|are|was|were|it's|its|that's|means|stands for|refers to|equals)\b|[=<>:]")
_CLAUSE = re.compile(r"(?:\.{2,}|…|[.!?;:()\n\u2014]|,|\s-\s|\b(?:but|because|though|although)\b)")
_CONTRACTED = re.compile(r"\b(do|did|does|have|has|had|ca|could|wo|would|should|is|are|was|were|ai)n'?t\b")


def first_version(text: str) -> bool:
    """The first version's rule, kept as the rule's first check: the whole answer is "don't know" phrases and
    fillers ("Sorry, I don't know.", "no idea, pass")."""
    return _tiled(text.lower().replace("\u2019", "'"))


def _tiled(text: str) -> bool:
    """``first_version`` on lower-case text."""
    ws = re.sub(r"[^\w']+", " ", text).replace("_", " ").split()
    if not ws or len(ws) > _NA_MAX_WORDS:
        return False
    reach: list[set[bool]] = [set() for _ in range(len(ws) + 1)]  # reach[i]: tilings of ws[:i] (seen a "don't know")
    reach[0].add(False)
    for i in range(len(ws)):
        if not reach[i]:
            continue
        for j in range(i + 1, min(len(ws), i + 5) + 1):
            span = " ".join(ws[i:j])
            if _NA_ATTEMPT.fullmatch(span):
                reach[j].add(True)
            if _NA_FILLER.fullmatch(span):
                reach[j] |= reach[i]
    return True in reach[-1]


def _contract(text: str) -> str:
    """ "don't" -> "do not", "can't" / "cannot" -> "can not", "isnt" -> "is not" (lower-case text)."""
    text = re.sub(r"\bcannot\b", "can not", text)
    return _CONTRACTED.sub(lambda m: {"ca": "can", "wo": "will", "ai": "am"}.get(m.group(1), m.group(1)) + " not", text)


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w'+#*/=<>-]+", " ", text).split())


def clause_kinds(text: str) -> list[tuple[str, str]]:
    """(kind, clause) for each clause of ``text`` (lower case): admit, filler, topic, personal or content."""
    out = []
    pos = 0
    for m in list(_CLAUSE.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        raw, delim = text[pos:end], (m.group(0) if m else "")
        pos = m.end() if m else len(text)
        c = _words(raw).strip("'")
        if not c:
            continue
        bare = _LEAD.sub("", c)
        if _ADMIT.search(c) and (_ME.search(c) or _ADMIT.match(bare)):
            # "never used them": says nothing of the subject, but admits nothing either
            kind = "personal" if not _ME.search(c) and _BARE_NOT_ADMIT.match(bare) else "admit"
        elif _FILLER.match(c):
            kind = "filler"
        elif delim in ("?", "..", "...", "…") or delim.startswith(".."):
            kind = "topic" if len(c.split()) <= TOPIC_MAX_WORDS else "content"
        elif _FIRST_PERSON.search(c) and not _OPINION.search(c) and not _STATEMENT.search(c):
            kind = "personal"
        else:
            kind = "content"
        out.append((kind, c))
    return out


def is_no_attempt(text: str) -> bool:
    """Whether the whole answer only says the candidate does not know (module docstring)."""
    low = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    if _tiled(low):
        return True
    if len(low.split()) > MAX_WORDS:
        return False
    kinds = [k for k, _ in clause_kinds(_contract(low))]
    return "admit" in kinds and all(k in ("admit", "filler", "topic", "personal") for k in kinds)
