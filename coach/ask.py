"""Ask the coach: answer the user's own question from the indexed sources, with citations.

Grounding policy, in order:
1. nothing relevant retrieved, or no retrieved sentence close enough to the question -> say so and
   stop (never invent);
2. the question matches an indexed question -> its reviewed model answer when a person reviewed a
   rubric for it, otherwise the source's own answer with every sentence the source audit flagged
   replaced by the audit's correction (a flagged sentence is never stated as fact);
3. otherwise the passage that answers it best (its match to the question plus its best sentence's)
   and that passage's sentences closest to the question, in their order; questions and headings never
   used, a flagged sentence only as its correction (so the correction can answer a question the source
   does not ask itself). (Preferring remedy sentences for "how do I fix..." questions was
   tried and lowered the dev figures, so it is not done.)
4. with a configured LLM (not the bundled SmolLM2, which garbles facts) the LLM writes the answer
   from the numbered passages, and every sentence it writes is checked by the judgement model against
   those passages: a sentence they do not support is dropped (``supported_sentences``).
Every cited passage the source audit flagged comes with a warning and the correction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from coach.audit.corrected import claim_words as _claim_words
from coach.audit.corrected import corrected_answer
from coach.audit.corrected import fact_correction as _fact_correction
from coach.audit.corrected import flag_of as _flag_of
from coach.grading.text import Row, fenced, statements, text_and_code
from coach.grading.types import Citation, lines_of

log = logging.getLogger(__name__)

# RELEVANT_MIN, ANSWER_MIN and MAX_SENTENCES were chosen on the dev questions plus the dev out-of-scope
# set (2026-11-30 evening: 0.40/0.45/3 -> 0.37/0.40/4 found 0.644 -> 0.667 with out-of-scope refusals
# unchanged at 0.913; lower thresholds found more but answered out-of-scope questions)
RELEVANT_MIN = 0.37  # cosine between the question and a retrieved question + passage
QUESTION_MATCH = 0.70  # cosine between the question and an indexed question to answer with that record
ANSWER_MIN = 0.40  # best unflagged sentence's cosine to the question, below which the coach declines
MAX_SENTENCES = 4  # sentences chosen from passages
ROW_MARGIN = 0.05  # a table row is quoted when its cosine to the question is within this of the table's closest row
SUPPORT_MIN = 0.5  # judge entailment a generated sentence needs from the passages to be shown

REFUSAL = ("I found nothing in your sources that answers this, so I won't guess. "
           "Try rephrasing, or add a source that covers it.")



@dataclass
class Answer:
    """What the coach says and what it rests on (also what ``coach eval ask`` inspects)."""

    text: str
    citations: list[Citation]
    warnings: list[str] = field(default_factory=list)
    route: str = "refused"  # refused | reviewed | record | sentences | llm
    dropped: list[str] = field(default_factory=list)  # generated sentences not supported by the passages
    signals: dict = field(default_factory=dict)  # the similarities the route was chosen on


def _words(text: str) -> Iterator[str]:
    for i, w in enumerate(text.split(" ")):
        yield w if i == 0 else " " + w


# said when a passage was left out because it answers the question the user is practising (``hold_back``)
HELD_BACK = ("The passage that answers this belongs to the question you are practising, so it was left out: answer "
             "that question first (or use a hint), then ask again.")


def ask(coach, question: str, cancel=None, hold_back=()):
    """``hold_back``: record ids not to answer from (the open practice question's: a walkthrough's ":ask How many hash
    slots does Redis Cluster have?" during "How does Redis Cluster distribute keys?" quoted that question's answer)."""
    from coach.service import AskResult

    question = (question or "").strip()
    if not question:
        return AskResult(iter(["Please type a question."]), [], [])
    ans = answer(coach, question, hold_back=hold_back)
    if ans.route == "llm":
        return AskResult(_llm_answer(coach, question, ans.citations, cancel), ans.citations, ans.warnings)
    return AskResult(_words(ans.text), ans.citations, ans.warnings)


def answer(coach, question: str, *, allow_llm: bool = True, hold_back=()) -> Answer:
    """The grounded answer (route "llm" means: stream it with ``_llm_answer``), from no record in ``hold_back``
    (said in a warning when one was retrieved)."""
    hits = coach.search(question, k=6)
    held = set(hold_back)
    if hits and hits[0].record.id in held:
        # the passage that answers it best is the open question's own: what is asked is what is being practised, and
        # the next passages answer something else (a walkthrough's ":ask How does asyncio find out that a socket is
        # ready?" during "What is the event loop?" was answered, cited, from the asyncio.run passage)
        return Answer(HELD_BACK, [], [])
    kept = [h for h in hits if h.record.id not in held]
    ans = _answer_from(coach, question, kept, allow_llm)
    if _any_relevant(coach, question, [h for h in hits if h.record.id in held]):
        ans.warnings = [*ans.warnings, HELD_BACK]
    return ans


def _as_read(hit) -> str:
    """A retrieved passage as its relevance to a question is read: its question, then its text."""
    return hit.record.question + " " + hit.chunk_text


def _any_relevant(coach, question: str, hits) -> bool:
    """Whether a passage among ``hits`` is close enough to the question to have been read for the answer
    (``RELEVANT_MIN``): a held-back passage that answers something else was said to be "the passage that answers this"
    (a walkthrough's ":ask" on assigning ``unknown`` to a string, while practising interfaces and type aliases)."""
    if not hits:
        return False
    vecs = coach.index.embed([question] + [_as_read(h) for h in hits])
    return bool((vecs[1:] @ vecs[0] >= RELEVANT_MIN).any())


def _answer_from(coach, question: str, hits, allow_llm: bool) -> Answer:
    if not hits:
        return Answer(REFUSAL, [], ["Nothing relevant was retrieved for this question."])
    embed = coach.index.embed
    vecs = embed([question] + [_as_read(h) for h in hits] + [h.record.question for h in hits])
    qv, n = vecs[0], len(hits)
    rel_sims, q_sims = vecs[1:n + 1] @ qv, vecs[n + 1:] @ qv
    # relevant: close to the question as a whole, or holding code the question names ("What does makeCounter return?"
    # is far from a closure's prose in embedding space, and its answer is in the code)
    codes = [_code_block(h.record) for h in hits]
    coded = [bool(code) and _names_code(question, code) for code in codes]
    # ...or holding a sentence with every word the question asks about ("What is the default NodePort range?" is
    # answered word for word by "NodePort ... from the range 30000-32767 by default", at cosine 0.34 as a passage)
    asked_words = _content(question)
    texts = [_text(h) for h in hits]  # each hit's words, read once
    worded = [_holds(t, asked_words) and any(_holds(s, asked_words) for s in _clause_pairs(t)) for t in texts]
    # ...or naming an identifier the question names (experiment 59: "What does the TIME_WAIT state protect against?" was
    # declined, the passage on closing a TCP connection saying what TIME_WAIT is for in other words)
    idents = _identifiers(question)
    ident_hit = [bool(idents) and bool(idents & _identifier_words(" ".join((texts[i], codes[i] or "", hits[i].record.question))))
                 for i in range(n)]
    relevant = [i for i in range(n) if rel_sims[i] >= RELEVANT_MIN or coded[i] or worded[i] or ident_hit[i]]
    signals = {"relevant": float(rel_sims.max()), "question_match": float(q_sims.max())}
    if not relevant:
        return Answer(REFUSAL, [], ["Nothing relevant was retrieved for this question."], signals=signals)
    # a question naming an acronym is answered from a passage that names one of them (experiment 57: "Which port does
    # HTTPS use?" was answered with a sentence on finding the process listening on a port, and no source names HTTPS)
    named_terms = _acronyms(question)
    if named_terms:
        relevant = [i for i in relevant if named_terms & _acronym_words(
            " ".join((texts[i], codes[i] or "", hits[i].chunk_text, hits[i].record.question)))]
        if not relevant:
            return Answer(REFUSAL, [], [f"No retrieved passage mentions {', '.join(sorted(named_terms)).upper()}."],
                          signals=signals)

    # 2. the question is one the sources ask: answer with that record (reviewed, or corrected)
    matched = max(relevant, key=lambda i: q_sims[i])
    if q_sims[matched] >= QUESTION_MATCH:
        order = [matched] + [i for i in relevant if i != matched]
        citations, warnings = _citations(coach, [hits[i] for i in order[:3]], quoted=1)
        rec = hits[matched].record
        rubric = coach.rubrics.for_record(rec.id)
        if rubric is not None and rubric.origin != "draft" and rubric.model_answer.strip():
            return Answer(_marked(rubric.model_answer.strip()), citations, warnings, route="reviewed", signals=signals)
        text = corrected_answer(rec.fenced_answer(), citations[0].flags)
        if text:
            return Answer(_marked(text), citations, warnings + _unreviewed(coach, rec, citations[0].flags), route="record",
                          signals=signals)

    if allow_llm and _llm_may_answer(coach.settings):
        citations, warnings = _citations(coach, [hits[i] for i in relevant[:3]])
        return Answer("", citations, warnings, route="llm")

    # 3. the sentences of the passage that answers it best
    # [sentence said, hit index, position, sentence as the source wrote it]: a flagged sentence is said as its
    # correction, and scored by the lower of the two sentences' match to the question: both must speak to it.
    # Scored by the correction alone, a dev out-of-scope question was answered ("What is bootstrapping in
    # statistics?"), by the source's sentence alone a test one (a GAN question); each is the other's guard.
    cands = []
    said = set()  # corrections already candidates (a correction is said once)
    for i in relevant[:4]:
        rec = hits[i].record
        flags = coach.audit.flags_for(rec.id)
        quotes = [(_claim_words(f["quote"]), f) for f in flags if f.get("quote")]
        asked = _norm(rec.question)
        # sentences of words: a code block cut into "sentences" was spliced into a reply ("... once; for line in f:"),
        # and a table's row is one statement labelled by its header (cells of three rows were quoted as one answer)
        for pos, s in enumerate(statements(texts[i])):
            # a question is not an answer (a heading, or the record's own question restated)
            if len(s.split()) < 4 or s.rstrip().endswith("?") or _norm(s) == asked:
                continue
            hit = _flag_of(s, quotes)
            say = s
            if hit is not None:  # a flagged sentence is never stated; its fact correction may be, in its place
                say = _fact_correction(hit)
                if not say or say in said:
                    continue
                said.add(say)
            cands.append([say, i, pos, s])
    if not cands:
        return Answer(REFUSAL, [], ["The retrieved passages hold nothing usable for this question."], signals=signals)
    svecs = embed([c[3] for c in cands])
    scores = svecs @ qv
    fixed = [j for j, c in enumerate(cands) if c[0] != c[3]]
    if fixed:
        scores[fixed] = np.minimum(scores[fixed], embed([cands[j][0] for j in fixed]) @ qv)
    signals["sentence"] = float(scores.max())
    # a relevant passage whose code the question names answers it even when no sentence of its prose is close: the
    # answer is in the code (a walkthrough's "What does the daily_revenue function do?" was declined)
    named = next((i for i in relevant[:4] if coded[i]), None)
    # a sentence that says every word the question asks about answers it, however far its vector (it is said first)
    # ...as does one naming a code-like name the question names (TIME_WAIT), not an acronym: "NULL" is in every SQL
    # sentence, and "Can a primary key column contain NULL values?" was answered with the foreign key's (59c)
    names = _code_names(question)
    held = {j for j, c in enumerate(cands) if c[0] == c[3] and (_holds(c[3], asked_words)
                                                                 or (names and names & _identifier_words(str(c[3]))))}
    for j in range(1, len(cands)):  # a sentence cut at ";" holds them in its two clauses ("NodePort ...; by default ...")
        a, b = cands[j - 1], cands[j]
        if (a[1] == b[1] and b[2] == a[2] + 1 and a[0] == a[3] and b[0] == b[3] and a[3].rstrip().endswith(";")
                and _holds(a[3] + " " + b[3], asked_words)):
            held.update((j - 1, j))
    if float(scores.max()) < ANSWER_MIN and named is None and not held:
        return Answer(REFUSAL, [], ["No retrieved sentence is close enough to the question to answer it."], signals=signals)
    # the passage: how well it matches as a whole, plus its best sentence
    per_passage: dict[int, float] = {}
    for j, c in enumerate(cands):
        per_passage[c[1]] = max(per_passage.get(c[1], -1.0), float(scores[j]))
    if float(scores.max()) >= ANSWER_MIN and not held:
        best = max(per_passage, key=lambda i: float(rel_sims[i]) + per_passage[i])
    elif held:
        best = max({cands[j][1] for j in held}, key=lambda i: float(rel_sims[i]) + per_passage[i])
    else:
        best = named
    mine = sorted((j for j, c in enumerate(cands) if c[1] == best),
                  key=lambda j: (j not in held, -float(scores[j])))[:MAX_SENTENCES]
    # a clause cut at ";" that leans on the one before it is said with it: alone, a walkthrough's "...; its lifetime
    # is controlled by the programmer" (the heap's) read as the stack's, the sentence said before it
    for j in [j for j in mine if j > 0]:
        a, b = cands[j - 1], cands[j]
        if (j - 1 not in mine and a[1] == b[1] and b[2] == a[2] + 1 and isinstance(a[3], str)
                and a[3].rstrip().endswith(";") and isinstance(b[3], str) and _LEANS.match(b[3])):
            mine.append(j - 1)
    # of a table, only the rows about as close to the question as its closest (a walkthrough's every question on a
    # three-row table got the whole table)
    rows = [j for j in mine if isinstance(cands[j][3], Row)]
    if rows:
        top = max(float(scores[j]) for j in rows)
        mine = [j for j in mine if not isinstance(cands[j][3], Row) or float(scores[j]) >= top - ROW_MARGIN]
    text = " ".join(cands[j][0] for j in sorted(mine, key=lambda j: cands[j][2]))
    code = codes[best] if coded[best] or _ASKS_FOR_CODE.search(question) else ""
    text = _marked(text + ("\n\n" + code if code else ""))
    citations, warnings = _citations(coach, [hits[i] for i in [best] + [i for i in relevant if i != best]][:3], quoted=1)
    return Answer(text, citations, warnings + _unreviewed(coach, hits[best].record, citations[0].flags),
                  route="sentences", signals=signals)


# a clause that names nothing of its own: its subject is in the clause before it
_LEANS = re.compile(r"(?:it|its|they|their|them|this|these|those|that|which|he|she|his|her)\b")


def _text(hit) -> str:
    """The words of a hit's record: its prose (a code block is no sentence), or the chunk for a record without one."""
    return hit.record.prose() if hit.record.answer else hit.chunk_text


def _clause_pairs(text: str) -> list[str]:
    """A text's statements, and each clause ended by ";" joined with the next (one sentence cut at ";")."""
    parts = statements(text)
    return parts + [a + " " + b for a, b in zip(parts, parts[1:]) if a.rstrip().endswith(";")]


def _content(text: str) -> set[str]:
    """A text's content words, singular: for a question, the words it asks about ("What is the default NodePort
    range?" -> default, nodeport, range)."""
    from coach.grading.draft import content_words
    from coach.grading.text import singular

    return {singular(w) for w in content_words(text)}


_ACRONYM = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]+)s?(?![\w-])")


def _acronyms(question: str) -> set[str]:
    """The acronyms a question names ("TCP", "L2", "GANs" -> tcp, l2, gan), lower-case."""
    return {m.group(1).lower() for m in _ACRONYM.finditer(question)}


def _acronym_words(text: str, longest: int = 6) -> set[str]:
    """What a passage names as ``_acronyms`` compares it: its words lower-case (a plural "s" read as singular too), and
    the initials of its runs of up to ``longest`` consecutive words, a camel-case word read as its parts ("deep learning"
    names DL, "TensorFlow" TF, "graphics processing unit" GPU: a source spells out what a candidate abbreviates)."""
    out = _and_singulars(set(re.findall(r"[a-z0-9]+", text.lower())), longer_than=2)
    parts = [p for w in re.findall(r"[A-Za-z0-9]+", text) for p in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", w)]
    initials = "".join(p[0].lower() for p in parts)
    for n in range(2, longest + 1):
        out |= {initials[i: i + n] for i in range(len(initials) - n + 1)}
    return out


def _code_names(question: str) -> set[str]:
    """The code-like names a question names ("TIME_WAIT", "getValue", "os.getcwd"), lower-case; a call of a plain word
    ("next()") is none: "next" is in any prose (59b)."""
    names = {n.lower() for n in (m.group(0).rstrip("()") for m in _CODE_NAME.finditer(question))
             if re.search(r"[_.]|[a-z][A-Z]", n)}
    return {w for w in names if len(w) >= 3}


def _identifiers(question: str) -> set[str]:
    """What a question names that only a passage about it would: a code-like name (``_code_names``) or an acronym of
    three characters or more ("TCP"), lower-case (experiment 59)."""
    return _code_names(question) | {a for a in _acronyms(question) if len(a) >= 3}


def _identifier_words(text: str) -> set[str]:
    """A text's words as ``_identifiers`` compares them (lower-case, "_" and "." kept inside a word, a plural "s"
    read as singular too)."""
    return _and_singulars({w.strip("._") for w in re.findall(r"[a-z0-9_.]+", text.lower())}, longer_than=3)


def _and_singulars(ws: set[str], longer_than: int) -> set[str]:
    """``ws`` and each of its words longer than ``longer_than`` that ends in "s" without it (a plural read as singular)."""
    return ws | {w[:-1] for w in ws if w.endswith("s") and len(w) > longer_than}


_NUMERAL = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


def _holds(sentence: str, asked: set[str]) -> bool:
    """Whether a sentence says every word a question asks about (two at least: one word is no question's content). A
    question asking for a "number" is answered by a numeral ("Which signal number is SIGTERM?" by "... SIGTERM, signal
    15, ...": a walkthrough's question was declined)."""
    if len(asked) < 2:
        return False
    said = _content(sentence)
    if "number" in asked and "number" not in said and _NUMERAL.search(sentence):
        said = said | {"number"}
    return asked <= said


# a question that asks for code: the passage's first code block is shown under its sentences (they are read from its
# prose only, and a walkthrough's "Show me the code" got four sentences, the code left inside the citation)
_ASKS_FOR_CODE = re.compile(r"\b(code|snippet|syntax|implement\w*|show me|write (a|an|the|some))\b", re.I)


# a name only code has: camelCase, snake_case, a call "f()", a dotted name "os.getcwd"
_CODE_NAME = re.compile(r"\b[a-z]+[A-Z]\w*\b|\b[A-Za-z]+_\w+\b|\b\w+\(\)|\b[a-z]\w+\.[a-z_]\w*\b")


def _names_code(question: str, code: str) -> bool:
    """Whether the question names something of the code ("What does calling next() twice return in makeCounter?": a
    walkthrough got the prose around the snippet, the answer only in the collapsed citation)."""
    return any(name.rstrip("()") in code for name in _CODE_NAME.findall(question))


def _code_block(rec) -> str:
    """The record's first code block as a fenced block ("" when it has none); a plain-text source's indented snippet
    is one too (``Record.fenced_answer``)."""
    return next((fenced(c, lang) for c, lang in text_and_code(rec.fenced_answer()) if lang is not None), "")


def _marked(text: str) -> str:
    """The answer with its citation marker: after a closing code fence on a line of its own ("``` [1]" would not
    close the block)."""
    chunks = text_and_code(text)
    return text + ("\n\n[1]" if chunks and chunks[-1][1] is not None else " [1]")


def _unreviewed(coach, rec, flags: list | None = None) -> list[str]:
    """A warning for an answer quoted from a passage no reviewed rubric covers, while the audit cannot verify
    statements of fact (its ``trusted`` check flags nothing): an unflagged error in it is passed on as the answer
    (found in a user walkthrough: an added source's planted error was the answer, cited, without a word). ``flags``: the
    passage's audit flags when the caller has them (its citation's), else looked up."""
    from coach.audit.checks import not_verified

    rubric = coach.rubrics.for_record(rec.id)
    if (rubric is not None and rubric.origin != "draft") or not not_verified(("trusted",)):
        return []
    where = f"This answer quotes {rec.source} {lines_of(rec.line_start, rec.line_end)}, which no reviewed rubric covers"
    flagged = len(coach.audit.flags_for(rec.id) if flags is None else flags)
    if flagged:
        # the flag's own warning says what is wrong there; "the audit cannot verify its statements of fact" right under
        # "line 34 is flagged by the source audit" read as the coach contradicting itself (a walkthrough)
        return [f"{where}. Apart from the flagged sentence{'s' if flagged > 1 else ''} above, the source audit cannot "
                "verify its statements of fact: check the rest against another reference."]
    return [f"{where}, and the source audit cannot verify its statements of fact: check it against another reference."]


def _citations(coach, hits, quoted: int | None = None) -> tuple[list[Citation], list[str]]:
    """The hits as citations (each with its audit flags), and a warning per flag of the first ``quoted`` of them
    (None: all, as the LLM reads them all): the answer quotes [1] only, and the passages listed beside it as
    related keep their flags on their citation, not as warnings (a walkthrough read three warnings under one
    answer, one of them about a passage it did not quote)."""
    citations, warnings = [], []
    for n, h in enumerate(hits):
        flags = coach.audit.flags_for(h.record.id)
        r = h.record
        citations.append(Citation(r.id, r.source, r.line_start, r.line_end, r.question, r.answer, flags))
        if quoted is not None and n >= quoted:
            continue
        warnings += [flag_warning(r.source, f) for f in flags]
    return citations, warnings


def flag_warning(source: str, flag: dict) -> str:
    """The warning an answer carries for a flag of a passage it quotes (front ends tell it from the flag itself)."""
    return (f"{source} {lines_of(flag.get('line_start'), flag.get('line_end'))} is flagged by the source audit "
            f"({flag.get('verdict')}): {flag.get('reason')} Correction: {flag.get('correction')}")


def _sentences(text: str) -> list[str]:
    from coach.grading.text import sentences

    return sentences(text)


def _norm(text: str) -> str:
    from coach.grading.text import normalise

    return normalise(text).lower()


def _flagged(sentence: str, quotes: list[str]) -> bool:
    """Whether a sentence is (part of) a flagged quote, or holds one, as runs of whole words (``_claim_words``)."""
    from coach.audit.sourcefile import runs_overlap

    words = _claim_words(sentence)
    return any(runs_overlap(words, _claim_words(q)) for q in quotes)


def _llm_may_answer(settings) -> bool:
    """The bundled SmolLM2-135M garbles facts when it answers from passages (seen in the browser
    test: "a pod is a container that is designed to be a container..."), so with it the coach quotes
    the best passage instead. A configured model (or COACH_LLM_TRUSTED=1) writes the answer."""
    if settings.llm_backend == "none":
        return False
    return settings.llm_trusted or settings.llm_model not in ("", "default") or settings.llm_backend == "openai"


def supported_sentences(judge, text: str, facts: list[str], threshold: float = SUPPORT_MIN) -> tuple[list[str], list[str]]:
    """Split generated text into sentences; keep those some fact (a passage sentence, or the whole
    passage) entails with probability >= threshold. Returns (kept, dropped)."""
    sents = _sentences(text)
    premises = []
    for f in facts:
        premises.append(f)
        premises.extend(s for s in _sentences(f) if s != f)
    if not sents:
        return [], []
    if not premises:
        return [], sents
    pairs = [(p, s) for s in sents for p in premises]
    ent = judge.scores(pairs)[:, 0].reshape(len(sents), len(premises)).max(axis=1)
    kept = [s for s, e in zip(sents, ent) if e >= threshold]
    dropped = [s for s, e in zip(sents, ent) if e < threshold]
    return kept, dropped


def _llm_answer(coach, question: str, citations: list[Citation], cancel) -> Iterator[str]:
    """The configured LLM answers from the numbered passages; each finished sentence is shown only
    when the judgement model finds it supported by them (the rest is dropped, and said so)."""
    import prompts
    from coach.llm import fit_context

    llm = coach.llm
    budget = max(256, llm.context_window - coach.settings.llm_max_tokens - 300)
    passages = fit_context([c.passage for c in citations], budget, llm)
    messages = prompts.render("ask", question=question, passages=passages)
    stop = prompts.spec("ask").get("stop") or None
    # small models echo the data fences back: stop at a closing fence, drop an echoed header
    raw = "".join(prompts.clean_stream(llm.stream(messages, max_tokens=coach.settings.llm_max_tokens, stop=stop, cancel=cancel)))
    judge = coach.nli
    if judge is None:  # no judge: nothing generated is shown unchecked
        log.warning("judgement model unavailable to check the LLM's answer; quoting instead")
        kept, dropped = [], []
    else:
        kept, dropped = supported_sentences(judge, raw, [c.passage for c in citations])
    if not kept:
        fallback = answer(coach, question, allow_llm=False)
        yield from _words(fallback.text)
        return
    yield from _words(" ".join(kept))
    if dropped:
        yield f"\n\n_({len(dropped)} generated sentence{'s' if len(dropped) != 1 else ''} not supported by the sources left out.)_"
