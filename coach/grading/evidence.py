"""Claim-level evidence from the judgement model (``coach.judge``): the step ``claims``.

The answer is cut into claims (sentences). The judge is asked three things, in one batch:
- coverage: does a claim, or the whole answer, ENTAIL each key point? (premise = answer side)
- contradiction: does a claim CONTRADICT a reference sentence (key points, model answer
  sentences)? (premise = reference side)
- misconception: does a claim ENTAIL a known false claim? (premise = the answer's claim)
A key point is credited only when it is entailed AND no claim contradicts it. A claim is wrong when
the judge's contradiction probability against some reference sentence, or its entailment of a known
misconception, reaches ``WRONG_MIN``; the contradicting reference sentence and its citation are the
evidence. Unsupported claims are neither right nor wrong.

Simplified on purpose: claims are sentences (a sentence with two claims is judged as one), at most
``MAX_CLAIMS`` per answer (the first ones: the pairs grow as claims x references), and the judge sees
each pair alone, so a fact that needs two sentences together is covered only through the
whole-answer pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from coach.grading.draft import content_words
from coach.grading.edits import restates
from coach.grading.reversal import reverses
from coach.grading.text import normalise, said_as_quoted, sentences
from coach.judge.model import CONTRADICTION, ENTAILMENT

# words of a sentence that says nothing of the subject ("I'm not sure.", "Let me think.", "Good question."); not "yes"
# or "no": a bare "Yes." to "Is that right?" takes a side
_FILLER = frozenset("""i i'm im i'd i've me let sure think thought guess know knew remember idea maybe perhaps probably
possibly really honestly actually hmm um uh er well okay ok good great question
""".split())
# a question that states its claim and asks for agreement ("Secrets are encrypted by default, right?") asserts it
_TAG_QUESTION = re.compile(r"[,;]\s*(?:right|correct|true|no|yes|isn['’]?t (?:it|that)|aren['’]?t they|don['’]?t they|"
                           r"doesn['’]?t it|wouldn['’]?t it|won['’]?t it|can['’]?t it)\s*\?\s*$", re.I)


# a guess at the topic that names neither the subject nor a fact of it ("I think it is about memory safety, but I'm not
# sure.", "Something to do with speed."): what a reference sentence could contradict is not in it (a walkthrough's
# such answer was listed as contradicting "Copy types are duplicated implicitly on assignment", and the session summary
# repeated that "correction"). Only after a pronoun or nothing: "Raft is about leader election" names its subject.
# "about" as "roughly" is no guess: "It is about 40 bytes." states an amount
_AMOUNT = (r"twice|half|double|triple|thrice|once|a\s+(?:third|quarter|half|dozen|hundred|thousand|million|billion|tenth)"
           r"|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy"
           r"|eighty|ninety|hundred|thousand|million|billion")
_HEDGE = r"(?:(?:i\s+(?:think|guess|believe|suppose)|maybe|perhaps|probably|possibly)[\s,]+)?"
_TOPIC_GUESS = re.compile(
    r"^\s*" + _HEDGE + r"(?:(?:it|this|that|they)\s*(?:'s|’s|is|are|was|has|have)?\s+)?" + _HEDGE
    + r"(?:(?:all|mostly|mainly|probably|maybe|kind\s+of|sort\s+of|something)\s+)?"
    r"(?:about(?!\s+(?:[\d$€£~]|(?:" + _AMOUNT + r")\b))|to\s+do\s+with|related\s+to)\s+[^,;:]{1,40}?"
    r"(?:\s*,?\s*(?:i\s+think|i\s+guess|i\s+believe|maybe|probably|but\s+i['’]?m\s+not\s+sure|but\s+i\s+am\s+not\s+sure"
    r"|i['’]?m\s+not\s+sure|not\s+sure))?\s*[.!?]?\s*$", re.I)

# ...and said as a guess: "It's about minimising the margin." takes a side a reference can contradict
_HEDGED = re.compile(r"\b(?:i\s+(?:think|guess|believe|suppose)|maybe|perhaps|probably|possibly|something|kind\s+of|"
                     r"sort\s+of|not\s+sure)\b", re.I)


def _asserts_nothing(claim: str) -> bool:
    """A question (not a tag question, which states its claim), a hedge that says nothing of the subject, or a guess
    at the topic (``_TOPIC_GUESS``)."""
    text = claim.strip()
    if text.endswith("?") and not _TAG_QUESTION.search(text):
        return True
    if _TOPIC_GUESS.match(text) and _HEDGED.search(text):
        return True
    words = content_words(text.replace("’", "'"))
    return bool(words) and words <= _FILLER  # "No." (no content word) is read as before


MAX_CLAIMS = 12
MAX_REFS = 14
WRONG_MIN = 0.5  # p(contradiction) / p(entails a misconception) at which a claim is wrong
COVER_MIN = 0.5  # p(entailment) at which a key point is covered


@dataclass
class RefSentence:
    text: str
    kind: str  # "key_point" | "reference" | "correction"
    cite: object = None  # the Citation it comes from, when known


def _passages(citations) -> list[str]:
    return [normalise(getattr(c, "passage", "") or "").lower() for c in citations or []]


def cite_for(text: str, citations, passages: list[str] | None = None):
    """The citation a reference sentence comes from: the cited passage that holds it (a drafted
    rubric's sentences are its sources' own), else the passage sharing most of its words (a hand-written
    key point), else the rubric's first citation; None without citations. ``passages``: the citations'
    passages already normalised (one pass per rubric instead of one per sentence)."""
    if not citations:
        return None
    if passages is None:
        passages = _passages(citations)
    key = normalise(text).lower()
    words = set(key.split())
    best, best_overlap = citations[0], -1.0
    for c, passage in zip(citations, passages):
        if key and key in passage:
            return c
        overlap = len(words & set(passage.split())) / max(len(words), 1)
        if overlap > best_overlap:
            best, best_overlap = c, overlap
    return best


def reference_sentences(rubric, citations) -> list[RefSentence]:
    """Key points, then model-answer sentences, each once (by normalised text), each with the citation
    of the passage it comes from (``cite_for``)."""
    out, seen = [], set()
    passages = _passages(citations)
    # Corrections of known misconceptions are not used here: they are usually phrased as denials
    # ("X, not Y") and a claim is checked against a misconception directly (the entailment test).
    cands = [(kp.text, "key_point") for kp in rubric.key_points]
    cands += [(s, "reference") for s in sentences(rubric.model_answer)]
    for text, kind in cands:
        key = normalise(text).lower()
        if key and key not in seen:
            seen.add(key)
            out.append(RefSentence(text.strip(), kind, cite_for(text, citations, passages)))
    return out[:MAX_REFS]


LINE_MATCH_MIN = 0.5  # share of a sentence's content words one passage line must hold to be named as stating it
LINE_MATCH_MARGIN = 0.15  # ...and by how much more than any other line


def line_stating(passage: str, answer_lines: list[int], text: str) -> int | None:
    """The source line where the passage line stating ``text`` starts (``line_index``), or None."""
    at = line_index(passage, answer_lines, text)
    return None if at is None else answer_lines[at]


def line_index(passage: str, answer_lines: list[int], text: str) -> int | None:
    """The source line that states ``text`` in a passage (``passage`` split at newlines; ``answer_lines``: each
    line's number in the source): the one line holding it word for word, else the one line that holds the most of
    its content words (at least ``LINE_MATCH_MIN`` of them, ``LINE_MATCH_MARGIN`` more than any other line); None
    otherwise (a point spread over several lines, a hand-written sentence no line is close to, two lines as close,
    such as one stating it and one denying it, or lines not known). Word overlap, not meaning: a line that states
    the opposite in other words can still be named (negation cues are not read: "... or not" in a line is no
    denial); a sentence hard-wrapped over two lines is named by the line holding more of it. Returns the passage
    line's index."""
    lines = passage.split("\n") if passage else []
    if not lines or len(lines) != len(answer_lines or []):
        return None
    key = normalise(text).lower()
    verbatim = [i for i, line in enumerate(lines) if key and key in normalise(line).lower()]
    if len(verbatim) == 1:
        return verbatim[0]
    want = content_words(text)
    if not want:
        return None
    shares = [len(want & content_words(line)) / len(want) for line in lines]
    order = sorted(range(len(lines)), key=lambda i: -shares[i])
    best = shares[order[0]]
    runner_up = shares[order[1]] if len(order) > 1 else 0.0
    if best < LINE_MATCH_MIN or best - runner_up < LINE_MATCH_MARGIN:
        return None
    return order[0]


def evidence_of(cite, text: str) -> dict:
    """A wrong claim's evidence: the reference sentence ``text`` and, when known, where it is (source, lines): the
    line of the cited passage that states it (``line_stating``), else the whole passage."""
    if cite is None:
        return {"text": text}
    passage = getattr(cite, "passage", "")
    starts, ends = getattr(cite, "answer_lines", []) or [], getattr(cite, "answer_line_ends", []) or []
    at = line_index(passage, starts, text)
    # the lines of that passage line: a paragraph joined from wrapped lines is named whole (``Record.answer_line_ends``)
    start, end = ((starts[at], ends[at] if len(ends) == len(starts) else starts[at]) if at is not None
                  else (cite.line_start, cite.line_end))
    out = {"source": cite.source, "line_start": start, "line_end": end, "text": text}
    key = normalise(text).lower()
    if key not in normalise(passage).lower() and any(
            normalise(str(f.get("correction") or "")).lower() == key for f in getattr(cite, "flags", None) or []):
        # the text is a flag's correction of what this passage states (a drafted key point that replaced a flagged
        # sentence): the passage says something else there, so the text is not quoted as the source's (a walkthrough's
        # export quoted "... UDP port 53 ..." as line 60, which says port 35)
        out["corrects"] = True
    return out


def claims_of(answer: str) -> list[str]:
    """The answer's claims: its sentences, each once (a sentence said twice is one claim, listed once),
    the first ``MAX_CLAIMS`` of them."""
    out, seen = [], set()
    for s in sentences(answer):
        key = normalise(s).lower()
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out[:MAX_CLAIMS]


def claim_pairs(rubric, answer: str, refs: list[RefSentence]) -> list[tuple[str, str]]:
    """The (premise, hypothesis) pairs the judge is asked about one answer, in a fixed order:
    (R*S) contradiction, (K*(S+1)) coverage, (M*S) misconception."""
    claims = claims_of(answer) or [answer]
    pairs = [(r.text, c) for r in refs for c in claims]
    pairs += [(c, kp.text) for kp in rubric.key_points for c in [*claims, answer]]
    pairs += [(c, m.text) for m in rubric.misconceptions for c in claims]
    return pairs


def judge_probs(judge, pairs: list[tuple[str, str]]) -> np.ndarray:
    """The judge's (N, 3) probabilities for ``claim_pairs`` (one call: the batches are a pure function
    of the pairs, so the same answer always gets the same probabilities)."""
    return judge.scores(pairs) if pairs else np.zeros((0, 3), dtype=np.float32)


WHOLE_MAX_WORDS = 40  # a clause is shown in its whole sentence only up to this length (not a joined list)
# a sentence ends at . ! ? before a capital, a quote or a bracket, or at the end: "e.g. a semaphore" goes on
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z\"'(\[]|\s*$)")


def _clause_at(clause: str, text: str) -> re.Match | None:
    """Where ``text`` holds ``clause`` as a clause: from its start or after a punctuation mark, and cut at ";" or ","
    there too ("A mutex is a lock;" is not found in "A mutex is a lockfree queue ...")."""
    return re.search(r"(?:^|(?<=[.!?;:,]\s))" + re.escape(clause) + r"\s*[;,]", text, re.I)


def whole(ref: RefSentence, refs: list[RefSentence]) -> RefSentence:
    """The reference sentence to show for ``ref``: a model-answer clause cut at ";" ("A semaphore is a counter that
    allows up to N threads to proceed;", a user walkthrough) is shown as the sentence of a key point that holds it as a
    clause ("...; wait() decrements it and blocks at zero, and post() increments it."; the key point with the clause's
    own citation first), when that sentence has at most ``WHOLE_MAX_WORDS`` words (a lead-in joined with its list items
    is one long "sentence"), else without its ";". Display only: the judge read the clause, and no score changes."""
    text = ref.text.rstrip()
    clause = normalise(text).rstrip(" ;,")
    if ref.kind == "key_point" or not text.endswith((";", ",")) or not clause:
        return ref
    points = sorted((r for r in refs if r.kind == "key_point"), key=lambda r: r.cite is not ref.cite)
    for r in points:
        kp = normalise(r.text)
        m = _clause_at(clause, kp)
        if m is None:
            continue
        begin = max((e.end() for e in _SENTENCE_END.finditer(kp) if e.end() <= m.start()), default=0)
        after = _SENTENCE_END.search(kp, m.start() + len(clause))
        sentence = kp[begin: after.end() if after else len(kp)].strip()
        if len(sentence.split()) <= WHOLE_MAX_WORDS:
            return RefSentence(sentence, r.kind, r.cite)
    return RefSentence(text.rstrip(" ;,"), ref.kind, ref.cite)


def judge_claims(ev, judge, rubric, answer: str, refs: list[RefSentence], probs: np.ndarray | None = None) -> None:
    """Fill ``ev`` with the judge's features, covered/missing key points and wrong claims. ``probs``:
    ``judge_probs`` of ``claim_pairs`` already computed (the grader runs the judge beside the other
    models); None asks ``judge`` here."""
    claims = claims_of(answer) or [answer]
    kps = [kp.text for kp in rubric.key_points]
    R, S, K, M = len(refs), len(claims), len(kps), len(rubric.misconceptions)
    if probs is None:
        probs = judge_probs(judge, claim_pairs(rubric, answer, refs))
    if len(probs) != R * S + K * (S + 1) + M * S:
        raise ValueError(f"judge_claims: {len(probs)} probabilities for {R * S + K * (S + 1) + M * S} pairs")
    contra = probs[: R * S, CONTRADICTION].reshape(R, S).copy()
    cover = probs[R * S : R * S + K * (S + 1), ENTAILMENT].reshape(K, S + 1)
    cover_contra = probs[R * S : R * S + K * (S + 1), CONTRADICTION].reshape(K, S + 1).copy()
    # a claim that says a reference sentence or a key point again, word for word but for filler and synonyms, contradicts
    # nothing: the judge reads two sentences of one reference as contradicting each other (the source's own answer
    # recited word for word: "0 of 3 key points entailed, 2 claims contradict (0.97)"; experiment 62, README)
    restated = [{k for k, kp in enumerate(kps) if restates(claim, kp)} for claim in claims]  # each pair read once
    said_again = [s for s, claim in enumerate(claims) if restated[s] or any(restates(claim, ref.text) for ref in refs)]
    contra[:, said_again] = 0.0
    cover_contra[:, said_again] = 0.0
    restated_kp = set().union(*restated)
    stated = probs[R * S + K * (S + 1) :, ENTAILMENT].reshape(M, S)

    wrong = []
    for s, claim in enumerate(claims):
        if _asserts_nothing(claim):
            # a question asserts nothing, nor does a hedge: a walkthrough's "I'm not sure, maybe it has something to do
            # with isolation?" was listed as stating a known misconception, and the follow-up asked "Is that right?"
            # of it; "I'm not sure." was listed as contradicting the reference
            continue
        r = int(np.argmax(contra[:, s])) if R else -1
        p_contra = float(contra[r, s]) if R else 0.0
        m = int(np.argmax(stated[:, s])) if M else -1
        p_mis = float(stated[m, s]) if M else 0.0
        if max(p_contra, p_mis) < WRONG_MIN:
            continue
        if p_mis >= p_contra:
            mc = rubric.misconceptions[m]
            correction, cite, how = mc.correction, None, "states a known misconception"
            source_error = mc.source_error
        else:
            ref = whole(refs[r], refs)
            correction, cite, how = ref.text, ref.cite, "contradicts the reference"
            source_error = False
        wrong.append({
            "claim": claim, "said": said_as_quoted(claim), "correction": correction, "source_error": source_error,
            "how": how,
            "confidence": round(max(p_contra, p_mis), 3),
            "evidence": evidence_of(cite, correction),
        })
    # a key point a claim says the other way round ("uses return instead of yield", ``coach.grading.reversal``) is never
    # credited, whatever the judge read (it entailed that one, a walkthrough); listing the claim as wrong is the swap
    # step's, where the reference is trusted (``Grader._swaps``)
    reversed_kp = {normalise(kp).lower() for kp in kps
                   if any(reverses(c, kp) for c in claims if not _asserts_nothing(c))}
    # a key point the answer contradicts is never credited, however much it is also "entailed"
    # each key point's own row among the reference sentences, found by its text: reference_sentences
    # keeps each sentence once and at most MAX_REFS of them, so row k need not be key point k
    kp_row = {normalise(r.text).lower(): i for i, r in enumerate(refs) if r.kind == "key_point"}
    weights = [kp.weight for kp in rubric.key_points]
    covered, missing, cov = [], [], 0.0
    for k, text in enumerate(kps):
        p = float(cover[k].max())
        row = kp_row.get(normalise(text).lower())
        # a key point the answer states word for word is not contradicted by its other sentences or by the whole
        # answer's reading (experiment 62); a reversal of it still is
        contradicted = (k not in restated_kp and (float(cover_contra[k].max()) >= WRONG_MIN or (
            row is not None and float(contra[row].max()) >= WRONG_MIN
        ))) or normalise(text).lower() in reversed_kp
        strength = 0.0 if contradicted else p
        cov += weights[k] * strength
        (covered if strength >= COVER_MIN else missing).append((text, strength) if strength >= COVER_MIN else text)
    total = sum(weights) or 1.0
    worst = max([w["confidence"] for w in wrong], default=0.0)
    ent_rs = probs[: R * S, ENTAILMENT].reshape(R, S)
    ev.features.update(
        # aggregates over every (reference sentence, claim) pair, less noisy than a single max:
        # the mean over reference sentences of the best support one of the claims gets from it, and
        # the share of contradiction in the contradiction + entailment mass
        judge_support=float(ent_rs.max(axis=1).mean()) if ent_rs.size else 0.0,
        judge_contra_ratio=float(contra.sum() / (contra.sum() + ent_rs.sum() + 1e-6)) if contra.size else 0.0,
        judge_coverage=cov / total,
        judge_wrong=worst,
        judge_wrong_count=float(len(wrong)),
        judge_max_contradiction=float(contra.max()) if contra.size else 0.0,
        judge_max_misconception=float(stated.max()) if stated.size else 0.0,
    )
    ev.judged = {"covered": covered, "missing": missing, "wrong": wrong}
