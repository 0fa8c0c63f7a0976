"""Whether an answer is an attempt: "I don't know what a mutex is", "Honestly I've never worked with HAVING
clauses, so I can't say", "no idea, pass" are not, and get the verdict ``no_attempt`` (score 0); "I'm not sure,
but I think a mutex is a lock" and "Not sure, I'd use a hash map" are.

The answer is cut into clauses (at sentence ends, commas, dashes, "but", "because", ...). It is no attempt when
at least one clause admits not knowing (``_ADMIT``: "I don't know", "can't explain", "never studied", "I'd
have to look it up", "I'll pass", ...) and every other clause says nothing about the subject:
- a filler ("sorry", "honestly", "next question", "please");
- the question's own topic, asked back or trailing off ("Page faults...", "What's the GIL?"): a few words, all
  of them the question's (without the question, no clause is a topic);
- an aside about the candidate that states nothing: where they heard or studied it ("I've heard the term
  before", "we did operating systems in second year"), or a denial of use ("never used them"); a clause that
  says what they would do ("I'd use ...", "I'd check ..."), hedges ("maybe ...") or states ("is", "means", "=")
  is content.
Any other clause is content, and the answer is an attempt however hedged. An admission counts at the head of a
clause, after "I" / "we" as its subject, or in a clause about the candidate ("not covered in my course"), so
"the forget gate decides what to drop" or "the model does not know the labels" are content. An answer of more
than ``MAX_WORDS`` words is always an attempt.

A bare refusal ("nah", "nope", "no") is an admission where the question is not a yes/no one, and the topic
may be named with any delimiter ("CORS, no idea") where the question offers no choice ("TCP, I think" answers
"TCP or UDP?"). An admission that goes on to state something ("not sure it's a lock") is content.

Known limits: "Pass" is a no attempt even where the question is about Python's ``pass``; admissions in words
the rule does not know are graded as answers, and there are many: the rule finds 0.95 and 0.80 of the two
sets it was tuned on but 0.25 of a third blind set (README, "No attempt"; datasheet
``evals/data/README_no_attempt.md``).
"""

from __future__ import annotations

import re

from coach.grading.text import singular

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
    rf"{_NEG} (?:\w+ ){{0,2}}?(?:know|knew|remember|recall|understand|understood|answer|explain|say|tell|describe|define|"
    r"learn|learned|learnt|study|studied|heard|hear|seen|cover|covered|come across|familiar|sure|certain|confident|"
    r"guess|bluff|looked (?:at|into|inside|under)|dug into|dived into|thought about|read (?:up )?(?:on|about))\b|"
    r"not (?:going |want |wanting |even )?to (?:try|attempt|answer|guess)\b|"
    r"no (?:idea|clue|answer|experience|knowledge)|not (?:sure|certain|confident|famil\w*)|unsure|idk|dunno|"
    r"(?:dnot|dotn|dont|do not) (?:knwo|konw|kown|nkow|kno)\b|"
    r"not something (?:i|we)|(?:a |the )?(?:different|another|other) question|"
    r"(?:not|never) (?:\w+ ){0,2}(?:my|in my) (?:strong|area|field|thing|forte|expertise|course|class|syllabus)|"
    r"out of my depth|over my head|beyond (?:me|my|what i)|"
    r"(?:i|i've|i have|i'd|i'm|im|i am|we) (?:\w+ )?(?:blanked|blanking|mix (?:\w+ )?up|confuse|confused)|"
    r"(?:mind|brain|head) (?:\w+ ){0,3}(?:blank|freez\w*|froze|frozen|empty)|not coming (?:to me|back)|"
    r"(?:only|just) (?:be )?guessing|(?:not going to|won't|will not|can not) pretend|would (?:just )?be made up|"
    r"if (?:i|we) knew (?:that|this|it|the answer)|"
    r"(?:not|never) (?:going to )?(?:be )?(?:able to|manage to) (?:\w+ ){0,2}?(?:answer|explain|say|tell|describe|define)\b|"
    r"(?:i'm|im|i am) (?:\w+ )?(?:bad|terrible|awful|hopeless|rubbish|weak|useless) (?:at|with)\b|"
    r"not (?:a|an|really a|much of a) (?:\w+ ){0,2}(?:person|guy|expert|specialist|fan)\b|"
    r"outside (?:what|my|of my)\b|"
    r"(?:check|read|consult) (?:the )?(?:\w+ )?(?:docs|documentation|manual|man page)\b|"
    r"(?:i|i've|i have) (?:\w+ )?(?:forget|forgot|forgotten)\b|"
    # "we forget old state through the forget gate" is content: "we" forgets only a named thing
    r"we (?:\w+ )?(?:forget|forgot|forgotten)(?=$| (?:it|this|that|them|what|how|which|exactly|everything|all)\b)|"
    r"(?:it's|it is) (?:all )?gone|nothing (?:about|more|else)\b|"
    r"drawing a blank|blank(?:ed|ing)? on|gone now|slipped my mind|"
    r"look (?:it |that |this |them )?up|google (?:it|that|this)|review my|"
    # a deferral with nothing after it: "I'd have to check", "I would need to verify that" (a walkthrough's "I'm not
    # sure, I'd have to check." was graded off topic); "I'd check the logs first" says what they would do
    r"(?:double[- ]?)?(?:check|verify|confirm)(?: (?:it|that|this|on (?:it|that|this)|again|first))?$|"
    r"(?:rather|want to|going to|prefer to) not|rather not|making (?:things|it|stuff) up|"
    # a request to skip: the whole clause, or its end after "I'll" / "let's" ("the forward pass", "I'll skip
    # nodes already visited" are not one)
    r"(?:^|\b(?:i'll|i will|i|i'd|like to|rather|let's|lets|let me|we|please|can we|just|so) )(?:skip|pass|move on)"
    r"(?: (?:it|this|that|on|one|please|pls|plz|for|now|the|question|again|to|next|another))*$|"
    r"(?:come|go) back to (?:it|this|that|this one)\b|(?:i'm|im|i am) going to (?:skip|pass)\b|"
    r"no answer|nothing to say|can'?t help"
    r")"
)
# a denial of use: "I never use global variables", "never used them": no admission, and nothing stated
_USE_DENIAL = re.compile(rf"{_NEG} (?:\w+ ){{0,2}}?(?:use|used|using|work|worked|working|get|got|give|help|done|"
                         r"touched|try|tried)\b"
                         # an experience denied, and nothing more said: "never had to build a warehouse pipeline myself"
                         # (a walkthrough's "..., so I couldn't tell you ..." was graded as an answer), "never built one";
                         # "we never needed to rebuild one unless fragmentation was above 30 percent" says something
                         rf"|{_NEG} (?:\w+ ){{0,2}}?(?:had|needed) to \w+"
                         r"(?: (?!unless|until|beyond|because|as|since|when|if|but|except|so|than)\w+){0,4}$"
                         rf"|{_NEG} (?:\w+ ){{0,2}}?(?:built|build|written|write|implemented|implement|deployed|set up|run|"
                         r"ran|configured|maintained)(?: (?:\w+ ){0,3}?(?:one|it|them|that|this|those|any|anything))?"
                         r"(?: (?:myself|ourselves|before|yet|at work|in production))?$")
_FILLER = re.compile(
    r"^(?:(?:i'?m |i am )?(?:so |very |really |truly )?sorry(?: about (?:that|this))?|apologies|my apologies|unfortunately|honestly|frankly|to be honest|tbh|"
    r"sadly|hmm+|u+m+|u+h+|ugh|oh|well|nope|no|nah|nay|ok|okay|yeah|yes|please|thanks|thank you|next|next one|next question|"
    r"next please|move on|moving on|let'?s move on|can we move on|i'?m afraid|i am afraid|i admit|at all|either|really|"
    r"right now|for now|here|this one|on this one|again|lol|haha|nerves|pls|plz|"
    r"(?:i'?m going to|i am going to|let me|i have to|i must|i'll|i will) be (?:honest|frank|upfront)|"
    r"dear (?:interviewer|sir|madam|all))(?: please| pls| plz| sorry| again)?$"
)
_LEAD = re.compile(r"^(?:(?:honestly|frankly|sorry|well|hmm+|u+m+|u+h+|tbh|sadly|unfortunately|oh|ok|okay|yeah|really|"
                   r"maybe|perhaps|so|and|ugh|"
                   r"genuinely|actually|to be honest|just|simply|still|can|could|do|did|have|had|will|would|am) )+")
# the candidate as the subject of the admission: "I (really) (do) not know", "we have no idea", "I'd have to look it up"
_SUBJECT = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|id|i'll|we|we've|we're)\b((?: (?:really|honestly|genuinely|just|simply|"
                      r"still|do|did|does|have|had|has|can|could|will|would|am|are|was|be|even|actually|totally|please|"
                      r"completely|also|ever|truly|quite|exactly|to|need|needs|going|want|wanted|afraid|probably))*) ")
_MINE = re.compile(r"\b(?:my|me)\b")
_SELF = re.compile(r"\b(?:i|i've|i'm)\b")
# a bare opinion verb with nothing after it ("I'd guess, but I have no idea")
_BARE_OPINION = re.compile(r"^(?:i|we)(?:'d| would| might| could)? (?:guess|say|think)$")
_FIRST_PERSON = re.compile(r"^(?:honestly |frankly |well |and |also |but |so |yeah |ok |okay |hmm |um |uh )?(?:i|i'm|im|i've|ive|i'd|id|i'll|we|we've|my)\b")
# what a sentence about the candidate may say without stating anything: where they heard, studied, covered it
_BIOGRAPHY = re.compile(r"\b(?:heard|studied|study|studying|took|take|covered|read|came across|come across|learned|learnt|"
                        r"learning|knew|know the|remember the|recall the|remember it|did|seen|saw|taught|had|went|"
                        r"used to|on my list|was|were)\b")
_KNOWN_NAME = re.compile(r"^(?:i know|i'm aware|im aware|i am aware|i realise|i realize)(?: that)? (?:it's|it is|this is|"
                         r"that's|that is) (?:a |an |the |one of the )?(?:\w+ )?(?:important|famous|classic|common|basic|"
                         r"key|fundamental|well-known|popular|standard|big|must-know)\b(?: (?:one|question|topic|thing|"
                         r"concept|theorem|algorithm|idea))?$")
_ACTION = re.compile(r"\b(?:would|will|i'd|we'd|i'll|we'll|use|uses|using|try|tries|add|call|check|pick|choose|"
                     r"apply|implement|write|store|keep|sort|make|compute|run|build|put|return|iterate|loop|go with|used(?! to)|"
                     r"start with|approach|solution)\b")
_OPINION = re.compile(r"\b(?:think|believe|guess|suppose|reckon|assume|imagine|would say|'d say|say that|know that|"
                      r"remember that|recall that|mean|means|maybe|perhaps|probably|possibly)\b(?: \S+)")
_STATEMENT = re.compile(r"\b(?:is|are|was|were|it's|its|that's|means|stands for|refers to|equals)\b|[=<>:]")
_REFUSAL = frozenset({"no", "nope", "nah", "nay", "na"})
_YES_NO = re.compile(r"^\W*(?:is|are|was|were|does|do|did|can|could|should|would|will|has|have|had|isn't|aren't|doesn't|"
                     r"must|may|might|shall)\b", re.I)
_CHOICE = re.compile(r"\b(?:or|which|vs|versus|whether)\b", re.I)
_STOP = frozenset("a an the of to in on at by for with and or vs versus what what's whats is are how why when which "
                  "does do it this that s".split())
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


def _is_admission(c: str) -> bool:
    """An admission said by the candidate: at the head of the clause ("No idea", "Never heard of it"), after
    "I" / "we" as its subject ("I really have no idea"), or in a clause about the candidate ("not covered in my course", "no answer from me")."""
    if _ADMIT.match(_LEAD.sub("", c)):
        return True
    for m in _SUBJECT.finditer(c + " "):
        if _ADMIT.match(c, m.start()) or _ADMIT.match(c, m.end()):
            return True
    # "not covered in my course", "no answer from me", "beyond what I've learned"
    return bool(_MINE.search(c) and _ADMIT.search(c)) or any(_SELF.search(m.group(0)) for m in _ADMIT.finditer(c))


_EMBEDDED = re.compile(r"^(?:\w+ ){0,3}?(?:what|how|why|which|whether|if|where|when|who|about|of)\b")


def _states_after(c: str, asked: set) -> bool:
    """ "not sure it's a lock": the admission goes on to state something (not an embedded question, "I don't know
    what a mutex is", nor the question's own words, "never learned the difference between is and ==")."""
    m = _ADMIT.search(c)
    rest = c[m.end():].strip() if m else ""
    if not rest or not _STATEMENT.search(rest) or _EMBEDDED.match(rest):
        return False
    return not ({_stem(w) for w in rest.split()} - _STOP) <= asked


def _denies_use(c: str) -> bool:
    """ "never used them", "I don't use ORMs": a denial of use said by the candidate (at the head of the clause or
    after "I" / "we"), hedging nothing ("maybe so that users don't get the same hash" is content)."""
    if _OPINION.search(c):
        return False
    if _USE_DENIAL.match(_LEAD.sub("", c)):
        return True
    return any(_USE_DENIAL.match(c, m.end()) for m in _SUBJECT.finditer(c + " "))


def _stem(w: str) -> str:
    return singular((w[:-2] if w.endswith("'s") else w).strip("'"))  # "what's" -> "what", "bayes'" -> "bayes"


def _names_topic(c: str, asked: set) -> bool:
    """A few words, all of them the question's: the topic named, asked back or trailing off."""
    named = {_stem(w) for w in c.split()} - _STOP
    return len(c.split()) <= TOPIC_MAX_WORDS and bool(named) and named <= asked


def clause_kinds(text: str, question: str = "") -> list[tuple[str, str]]:
    """(kind, clause) for each clause of ``text`` (lower case): admit, filler, topic, aside or content. A clause
    is a topic only when its words are the question's (no question: never)."""
    asked = {_stem(w) for w in _words(question.lower()).split()}
    # naming the topic without "?" or "...": only where the question offers no choice ("TCP, I think" answers
    # "TCP or UDP?")
    plain_topic = bool(question) and not _CHOICE.search(question)
    out = []
    pos = 0
    for m in list(_CLAUSE.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        raw, delim = text[pos:end], (m.group(0) if m else "")
        pos = m.end() if m else len(text)
        c = _words(raw).strip("'")
        if not c:
            continue
        admits = _is_admission(c)
        trailing = delim in ("?", "\u2026") or delim.startswith("..")  # asked back, or trailing off
        if _denies_use(c) and not admits:
            kind = "aside"  # "never used them", "I don't use ORMs"
        elif admits and _ADMIT.search(c):
            kind = "content" if _states_after(c, asked) else "admit"
        elif _FILLER.match(c) or not {_stem(w) for w in c.split()} - _STOP:  # "sorry"; "it's..."
            kind = "filler"
        elif (trailing or plain_topic) and _names_topic(c, asked):
            kind = "topic"
        elif trailing:
            kind = "content"  # a question or a trailing-off clause of its own words: "maybe a lock?"
        elif _BARE_OPINION.match(c) or _KNOWN_NAME.match(c):
            kind = "aside"
        elif (_FIRST_PERSON.search(c) and _BIOGRAPHY.search(c) and not _ACTION.search(c) and not _OPINION.search(c)
              and not _STATEMENT.search(c)):
            kind = "aside"  # "I've heard the term before", "we did operating systems in second year"
        else:
            kind = "content"
        out.append((kind, c))
    return out


def is_no_attempt(text: str, question: str = "") -> bool:
    """Whether the whole answer only says the candidate does not know (module docstring). ``question``: the
    question asked, so that naming its topic ("Page faults...?") is not read as content."""
    low = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    if _tiled(low):
        return True
    if len(_words(low).split()) > MAX_WORDS:
        return False
    clauses = clause_kinds(_contract(low), question)
    kinds = [k for k, _ in clauses]
    if "admit" not in kinds and not _YES_NO.match(question) and any(c in _REFUSAL for _, c in clauses):
        kinds.append("admit")  # "nah", "lexer... nope": a refusal, where "no" cannot be the answer
    return "admit" in kinds and all(k in ("admit", "filler", "topic", "aside") for k in kinds)
