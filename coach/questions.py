"""The question bank: what the coach can ask, built from rubrics and the indexed records.

One item per distinct question: a reviewed rubric when there is one (it already groups the same
question across sources), otherwise one item per record group of the indexed sources; titled
passages of sources without Q/A structure become "Explain <title>" questions graded against a
draft rubric built from the passage. Hints are sentences built from the rubric's key points, heaviest
first: each names one or two concepts of a point (whole words from the point's own text, never the
rubric's matching stems such as "regulari") without stating the point itself: a reviewed point's concepts are its
terms; a drafted point's (or one written without terms) are the short phrases it uses (``concept_phrases``).
Simplified on purpose: difficulty of questions without a reviewed rubric is a guess from the answer length.
"""

from __future__ import annotations

from dataclasses import dataclass

import re

from coach.grading.draft import STOP_WORDS, guess_difficulty
from coach.grading.rubrics import RubricBank
from coach.grading.story import ACTIONS, REFLECTION, RESULT, SITUATION, STORY_NOTE, is_story_prompt
from coach.grading.feedback import error_rank
from coach.grading.text import singular, term_present
from coach.grading.types import Grade
from coach.service import QuestionItem
from corpus.behavioural import behavioural


GENERIC_HINT = "Start from the definition, then say why it matters and give an example."
# Words that name no concept on their own ("data and more"): used only when a group has nothing else.
_VAGUE = frozenset("more less large small big much lots huge fewer few many new high low same simple".split())
# Words that name no concept a hint or a follow-up could point at ("Think about “another”", a user walkthrough):
# pronouns, determiners, prepositions and adverbs the drafting's stop list lets through.
_NO_CONCEPT = _VAGUE | frozenset("""
another anything everything nothing something someone anyone everyone whose whom itself themselves
inside outside within without across along around among amongst behind below beneath beside besides beyond
toward towards upon onto instead rather whether either neither always never already usually sometimes often
therefore however although though thus hence since unless whereas despite certain several various particular
actually really simply mainly mostly especially typically generally basically essentially directly currently
possible different following
""".split())


def _lower_first(title: str) -> str:
    """The title's first word in lower case only when it is a Capitalised word ("Transformers"), not an
    acronym or a name with capitals inside ("CNN", "PyTorch")."""
    first, rest = (title.split(" ", 1) + [""])[:2]
    if first[:1].isupper() and first[1:] == first[1:].lower():
        first = first.lower()
    return f"{first} {rest}".rstrip() if rest else first


def _whole_word(term: str, texts: list[str]) -> str | None:
    """A rubric term (often a stem: "regulari", "early stop") as the whole word(s) a text uses."""
    for text in texts:
        m = re.search(r"(?<![\w-])" + re.escape(term) + r"[\w-]*", text, re.I)
        if m:
            word = m.group(0).strip("-")
            return word.lower() if word[:1].isupper() and word[1:].islower() else word
    return None


def hint_for(key_point, question: str = "", model_answer: str = "") -> str | None:
    """One hint sentence for a key point: the concepts it is about, not what it says about them.
    Concepts already named in the question are passed over (they would add nothing)."""
    asked = question.lower()
    words: list[str] = []
    for group in key_point.terms:
        found = [w for w in (_whole_word(t, [key_point.text, model_answer]) for t in group if t) if w]
        fresh = [w for w in found if w.lower() not in asked and w not in words and w.lower() not in _NO_CONCEPT]
        if fresh:
            words.append(fresh[0])
        if len(words) == 2:
            break
    if not words:
        return None
    return "A strong answer says something about " + " and ".join(f"“{w}”" for w in words) + "."


# Words that end a concept's phrase besides the stop words: verbs and auxiliaries a key point links its concepts with
# ("hash tables that USE open addressing"), so a phrase is a run of the words between them.
_LINK_VERBS = frozenset("""
is are was were be been being am has have had do does did can could will would should may might must shall
use uses used using make makes made making take takes took taken give gives gave given get gets got keep keeps kept
let lets allow allows allowed allowing need needs needed mean means meant show shows showed shown run runs ran find
finds found call calls work works worked help helps helped return returns returned store stores stored say says
said apply applies applied require requires required add adds added compute computes computed produce produces
produced create creates created include includes included contain contains contained provide provides provided
become becomes became lead leads led cause causes caused depend depends depended happen happens tend tends try
tries tried follow follows followed see sees seen go goes went put puts set sets reduce reduces reduced increase
increases increased avoid avoids avoided ensure ensures ensured prevent prevents prevented compare compares
equal equals remain remains stay stays treat treats treated describe describes described refer refers
represent represents represented consider considers considered known called named instead therefore
perform performs performed decide decides decided combine combines combined evaluate evaluates evaluated raise raises
raised look looks looked normalize normalizes normalise normalises write writes wrote written rewrite rewritten
read reads hold holds held start starts started else before per via versus vs against
""".split())
# A word ending in "s" before one of these is a verb ("the forget gate decides HOW much ...", "that tuple raises A
# TypeError"): the phrase ends before it.
_VERB_NEXT = frozenset("the a an its their his her this these those each every how what whether which whose up down out".split())
_NOT_ADVERBS = frozenset("assembly anomaly family supply reply butterfly monopoly italy july poly rely apply multiply "
                         "comply imply ally rally belly jelly bully fly".split())
_PHRASE_BREAK = re.compile(r"[,;:()\[\]{}\"“”!?=<>|/*]|\.(?=\s|$)|\s[-–—]\s|'s\b|’s\b")
_WORD = re.compile(r"_*[^\W_][\w'’+#.-]*[\w+#]|[^\W_]")  # a leading "__" kept: "__eq__" read "eq__" (a walkthrough)
MAX_PHRASE_WORDS = 3
_HASH = re.compile(r"(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}")  # a commit or object hash: hex, digits and letters


def _adverb(word: str) -> bool:
    low = word.lower()
    return low.endswith("ly") and len(low) > 4 and low not in _NOT_ADVERBS


def concept_phrases(point: str, question: str = "", context: str = "") -> list[str]:
    """The concepts a key point names, as the short phrases it uses ("hash tables", "open addressing", "mean squared
    error"), best first: runs of the words between stop words, linking verbs, adverbs and punctuation, at most
    ``MAX_PHRASE_WORDS`` (a longer run keeps its last words, where a noun phrase has its head), scored by the words
    the question does not already say (a phrase made of the question's words adds nothing), a technical look (a
    capital inside, a digit, a hyphen) and word length. ``context`` (the model answer) tells a name from a capital at
    a sentence's start: "Batch normalization ..." reads "batch normalization", "Python dictionaries ..." stays.
    Drafted key points' terms are their longest words ("automatically", "alternatively"), and hints that named one of
    them were "one-word hints" a walkthrough could not act on."""
    asked = {w.lower() for w in _WORD.findall(question or "")}
    # a capitalised word that is not a sentence's first is a name
    named = {m.group(0) for text in (point or "", context or "") for m in _WORD.finditer(text)
             if m.group(0)[:1].isupper() and not re.search(r"(^|[.!?:]\s*|\n\s*)$", text[:m.start()])}
    found: list[tuple[float, int, str]] = []
    # a lead-in joined with its list ("Some exceptions come up again and again in backend code: KeyError: ...; ...",
    # drafting's ``point_sentences``): its items name the concepts, and a walkthrough's hint named the lead-in's
    # "backend code"
    lead, sep, items = (point or "").partition(": ")
    lead_words = {w.lower() for w in _WORD.findall(lead)} - {w.lower() for w in _WORD.findall(items)} \
        if sep and len(lead.split()) >= 4 and items.strip() else set()
    for segment in _PHRASE_BREAK.split(point or ""):
        tokens = _WORD.findall(segment or "")
        # nor a lower-case one-letter option ("c" of "git switch -c") or an example's hash ("a1b2c3d"): a walkthrough's hints named
        # "switch c new-branch" and "checkout a1b2c3d"
        content = [not (w.lower() in STOP_WORDS or w.lower() in _LINK_VERBS or w.lower() in _NO_CONCEPT
                        or w.isdigit() or _adverb(w) or (len(w) == 1 and w.islower()) or _HASH.fullmatch(w))
                   for w in tokens]
        run: list[str] = []
        for i, w in enumerate([*tokens, ""]):
            low = w.lower()
            nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
            after_content = i + 1 < len(tokens) and content[i + 1]
            # a verb inside a run of content words: "-s" after a singular word and before another content word ("a load
            # balancer SPREADS incoming requests", not "time series analysis"), a word before an article after a plural
            # ("health checks REMOVE a failed server"), any "-s" word before an article ("the gate DECIDES how much")
            third_person = low.endswith("s") and not low.endswith(("ss", "us", "is", "ies"))
            verb = bool(run) and (
                (third_person and nxt in _VERB_NEXT)
                or (third_person and after_content and not run[-1].lower().endswith("s"))
                or (nxt in _VERB_NEXT and run[-1].lower().endswith("s") and not run[-1].lower().endswith("ss")))
            if w and content[i] and not verb:
                run.append(w)
                continue
            if run:
                phrase = run[-MAX_PHRASE_WORDS:]
                fresh = [x for x in phrase if x.lower() not in asked and singular(x.lower()) not in asked]
                if fresh and max(len(x) for x in fresh) >= 3:
                    technical = any(re.search(r"[A-Z].*[A-Z]|\d|-", x) for x in phrase)
                    score = len(fresh) + 0.5 * technical + sum(len(x) for x in fresh) / 20
                    if lead_words and all(x.lower() in lead_words for x in phrase):
                        score -= 2  # the lead-in's, after every item's
                    found.append((score, len(found), " ".join(phrase)))
            run = []
    out: list[str] = []
    for _, _, phrase in sorted(found, key=lambda f: (-f[0], f[1])):
        first, _, rest = phrase.partition(" ")
        if first[:1].isupper() and first[1:].islower() and first not in named:
            first = first.lower()
        phrase = f"{first} {rest}".strip()
        if phrase.lower() not in (p.lower() for p in out):
            out.append(phrase)
    return out


def phrase_hint(point: str, question: str = "", context: str = "") -> str | None:
    """A hint naming the one or two concepts of a key point written without reviewed terms (``concept_phrases``)."""
    phrases = concept_phrases(point, question, context)[:2]
    if not phrases:
        return None
    if len(phrases) == 2 and " " not in phrases[1] and not re.search(r"[A-Z].*[A-Z]|\d|-", phrases[1]) and len(phrases[1]) < 8:
        phrases = phrases[:1]  # a short common word ("time", "stack") as the second concept adds nothing
    return "A strong answer says something about " + " and ".join(f"“{p}”" for p in phrases) + "."


# hints for a behavioural question ("Tell me about a time ..."): the candidate's own story, not the sample's details
# (a walkthrough's hint was "A strong answer says something about 'on-call rotation' and 'parental leave'")
STAR_HINTS = [
    "Pick one real situation of your own and set it up in a sentence or two: where you were and what you had to do.",
    "Spend most of the answer on what you did yourself, step by step, in the first person (\"I\", not \"we\").",
    "End with the result, in numbers if you can, and what you learned from it.",
]


STAR_FOLLOWUP = "Follow-up: what was the result, in numbers if you can, and what would you do differently next time?"

DEEPER_FOLLOWUP = "Follow-up: what was the hardest moment in that situation, and how did you decide what to do?"
EXAMPLE_FOLLOWUP = "Follow-up: can you give me a concrete example from your own work that shows that?"
LOOKING_BACK = "Looking back, how would you handle that part now, and why?"  # a story's red flag, asked about again
# the follow-up on a story grade's first missing part (coach/grading/story.py)
STORY_FOLLOWUPS = {
    SITUATION: "Follow-up: set the scene for me: when was this, where were you, and what was at stake?",
    ACTIONS: "Follow-up: what did you do yourself, step by step? Leave out what the rest of the team did.",
    RESULT: STAR_FOLLOWUP,
    REFLECTION: "Follow-up: what did you learn from it, and what would you do differently next time?",
}


def _hints(rubric) -> list[str]:
    if rubric.origin == "draft" and behavioural(rubric.question):
        return list(STAR_HINTS)
    hints: list[str] = []
    for kp in sorted(rubric.key_points, key=lambda k: -k.weight):  # stable: rubric order within a weight
        if rubric.origin == "draft" or not kp.terms:
            # terms derived from the point's own words (its longest words) name no concept a hint could point at
            hint = phrase_hint(kp.text, rubric.question, rubric.model_answer)
            if hint and hint not in hints:
                hints.append(hint)
            continue
        hint = hint_for(kp, rubric.question, rubric.model_answer)
        if hint and hint not in hints:
            hints.append(hint)
    return hints or [GENERIC_HINT]


def question_bank(records, bank: RubricBank, topics: list[str] | None = None, difficulty: int | None = None) -> list[QuestionItem]:
    items: dict[str, QuestionItem] = {}
    seen_groups: set[str] = set()
    for rec in records:
        if rec.kind == "passage":
            item = _passage_item(rec)
            if item is not None:
                items[rec.id] = item
            continue
        rubric = bank.for_record(rec.id)
        if rubric is not None:
            if rubric.id not in items:
                items[rubric.id] = QuestionItem(
                    id=rubric.id,
                    question=rubric.question,
                    # a draft file keeps the topic its source had when drafted; the index retags records when it
                    # regroups (a better topic rule, another source added), so a drafted question takes its record's
                    topic=rec.topic if rubric.origin == "draft" else rubric.topic,
                    difficulty=rubric.difficulty,  # a drafted one's is guessed when drafted, and editable in its file
                    record_ids=[r for r in rubric.records],
                    model_answer=rubric.model_answer,
                    hints=_hints(rubric),
                    reviewed=rubric.origin != "draft",
                )
            continue
        group = rec.group_id or rec.id
        if group in seen_groups:
            continue
        seen_groups.add(group)
        items[rec.id] = QuestionItem(
            id=rec.id,
            question=rec.question,
            topic=rec.topic,
            difficulty=guess_difficulty(rec.answer),
            record_ids=[rec.id],
            model_answer="",
            hints=[GENERIC_HINT],
            reviewed=False,
        )
    out = list(items.values())
    if topics:
        wanted = {t.lower() for t in topics}
        out = [q for q in out if q.topic.lower() in wanted]
    if difficulty:
        out = [q for q in out if q.difficulty == difficulty]
    return sorted(out, key=lambda q: q.id)


def _asks(title: str) -> bool:
    return title.strip().endswith("?")


def passages_only_notes(parsed, sources=None) -> list[str]:
    """One line per parsed source (of ``sources`` when given) in which no question was found: it is indexed as
    titled passages, which Ask quotes and which are asked as "Explain ..." questions only when long enough. A
    user walkthrough added two lines of prose and found it later as a practice "question", unannounced."""
    out = []
    for ps in parsed:
        # a passage titled with a question ("## What does ARP do?" over one answer) is asked as that question
        if (sources is not None and ps.source not in sources) or not ps.records \
                or any(r.kind != "passage" or _asks(r.question) for r in ps.records):
            continue
        asked = sum(_passage_item(r) is not None for r in ps.records)
        n = len(ps.records)
        out.append(f"{ps.source}: no question/answer pairs found; indexed as {n} passage{'s' * (n != 1)} that Ask "
                   "can quote; " + (f"asked as \"Explain ...\" questions: {asked} of {n}" if asked else
                                    "too short to be asked as a question"))
    return out


def _passage_item(rec) -> QuestionItem | None:
    """A titled passage (a source with no Q/A structure) asked back as an explain-question.
    Simplified on purpose: a template over the title, no LLM; passages too short to grade against
    (under 25 words) are not asked."""
    title = rec.question.strip().rstrip(".:")
    if len(rec.answer.split()) < 25 or not title:
        return None
    title = re.sub(r"^(chapter|section|part)\s+[\w.]+\s*[:.-]\s*", "", title, flags=re.I) or title
    return QuestionItem(
        id=rec.id,
        # "Transformers in NLP" -> "transformers in NLP", but "CNN architectures" stays (an acronym); a title that
        # is a question is asked as it is ("Explain what does ARP do? ...", a user walkthrough)
        question=title if _asks(title) else f"Explain {_lower_first(title)} as you would in an interview.",
        topic=rec.topic,
        difficulty=2,
        record_ids=[rec.id],
        hints=[GENERIC_HINT],
        reviewed=False,
    )


# how a follow-up that asks for any missing point starts (the session engine grades its answer against each of them)
ASKS_MORE = "your answer left out an important point"


@dataclass
class FollowUp:
    """A follow-up question and what it is graded against: ``target`` is the statement a good answer
    makes (the correction of a wrong claim, or the missing key point); None grades it against the
    parent question's rubric."""

    question: str
    target: str | None = None


def _used(term: str, answer: str) -> bool:
    """Whether the answer uses ``term`` in some form: a word of it starting with the term less its last two letters
    (at least four), as grading matches a rubric's stems ("registe" in "register", "schedul" in "scheduling"); or, for
    a term of six letters or more, written in two words or with a hyphen ("apiserver" in "the API server": a
    walkthrough's follow-up said "Think about apiserver" to an answer that had named the API server)."""
    stem = term.lower()[: max(4, len(term) - 2)]
    if term_present(stem, (answer or "").lower()):
        return True
    if len(term) < 6:
        return False
    words = re.findall(r"[^\W_]+", (answer or "").lower())
    flat = re.sub(r"[\W_]+", "", term.lower())
    prefix = flat[: max(6, len(flat) - 2)]
    # two or three words in a row, run together ("api server", "kube api server")
    return any("".join(words[i:i + k]).startswith(prefix) for k in (2, 3) for i in range(len(words) - k + 1))


# A reviewed key point's instructions to the grader, not its concepts ("Mentions variants or trade-offs (PReLU, ...)",
# "Remedy - tune it / LR range test / schedules"): a follow-up said "Think about “mentions” and “variants”" and
# "Think about “schedules” and “remedy”" (experiment 77's follow-up items)
_RUBRIC_WORDS = frozenset("""
mention mentions mentioned defines definition describes explains remedy remedies example examples purpose advantage
advantages disadvantage disadvantages relates
""".split())


def _one_per_stem(terms: list[str]) -> list[str]:
    """The terms less any that shares its first five letters with an earlier one: "Think about “penalises” and
    “penalty”" named one concept twice."""
    kept: list[str] = []
    for t in terms:
        if not any(len(t) >= 5 and len(k) >= 5 and t[:5].lower() == k[:5].lower() for k in kept):
            kept.append(t)
    return kept


CORRECTION_FOLLOWUP = "Follow-up: you said “{said}”. Is that right? Explain why or why not."
# the template read back: what a correction follow-up quotes (one wording, so the two cannot drift apart)
_CORRECTION_ASKED = re.compile("^" + re.escape(CORRECTION_FOLLOWUP).replace(re.escape("{said}"), "(.+)") + "$", re.S)


def quoted_wrong(w: dict) -> str:
    """A wrong item as a correction follow-up quotes it: the candidate's words, without the closing full stop."""
    return (w.get("said") or w.get("claim") or "").strip().rstrip(".")


def said_in_followup(question: str) -> str | None:
    """The candidate's wrong sentence a correction follow-up quotes (``CORRECTION_FOLLOWUP``), else None."""
    m = _CORRECTION_ASKED.match((question or "").strip())
    return m.group(1).strip() if m else None


def _whole_word_in(term: str, text: str) -> bool:
    """``term`` stands in ``text`` as a whole word (letters of any script around it end it)."""
    return re.search(r"(?<![^\W\d_])" + re.escape(term) + r"(?![^\W\d_])", text, re.I) is not None


def followup_for(grade: Grade, answer: str = "") -> FollowUp:
    """A follow-up on the answer's biggest real gap, without giving the answer away: the candidate's
    own wrong sentence first (graded against its correction), then the missing key point the answer does not
    mention that shares most of the question's words (graded against it), else a request for an example (graded
    against the parent's rubric). The
    missing point's nudge names words of the point that the candidate's ``answer`` does not already use."""
    from coach.grading.draft import distinctive_terms
    from coach.grading.feedback import unsaid_missing
    from coach.grading.grader import BEHAVIOURAL_NOTE

    if STORY_NOTE in grade.notes:
        # a story grade: its red flag first, then the first part of the story it lacks (the situation, the actions,
        # the result, the lesson), else the result and what the candidate would do differently
        if grade.wrong:
            said = (grade.wrong[0].get("said") or grade.wrong[0].get("claim") or "").strip().rstrip(".")
            return FollowUp(f"Follow-up: you said “{said}”. {LOOKING_BACK}")
        if not is_story_prompt(grade.question):  # "Why do you want to work here?": no story parts to ask about
            return FollowUp(EXAMPLE_FOLLOWUP)
        gaps = [p for p in grade.missing if p in STORY_FOLLOWUPS]
        # a story with every part: a deeper question, not one it has answered (a walkthrough was asked for the result
        # and what it would do differently right after saying both)
        return FollowUp(STORY_FOLLOWUPS[gaps[0]] if gaps else DEEPER_FOLLOWUP)
    if BEHAVIOURAL_NOTE in grade.notes:
        # the candidate's own story: its gaps against the source's sample story are no gaps (a walkthrough's follow-up
        # would have asked about the sample's "on-call rotation")
        return FollowUp(STAR_FOLLOWUP)
    if grade.wrong:
        w = sorted(grade.wrong, key=error_rank)[0]  # a known misconception first, then the judge's surest flag
        said = quoted_wrong(w)
        if said:
            return FollowUp(CORRECTION_FOLLOWUP.format(said=said), (w.get("correction") or "").strip() or None)
    unsaid = unsaid_missing(grade)
    if unsaid:
        # a point the answer already mentions in its words is no gap to ask about: the follow-up had no word left to
        # suggest and asked "What else would you add?" about it (a walkthrough)
        point = _central(unsaid, grade.question or "")
        asked = (grade.question or "").lower()
        # a word as a reader would name it: "commit's" -> "commit"
        terms = list(dict.fromkeys(re.sub(r"['’]s$", "", t) for t in distinctive_terms(point, k=6)))
        # never a word the candidate already used, in any form ("register" for "registers": "Think about
        # “registers”" after an answer naming the registers sent them back to what they had said, a user
        # walkthrough), nor a piece of a word the tokenizer cut at a letter it does not know ("chsten" of "nächsten")
        # nor an adverb, which names no concept ("Think about “deliberately” and “functions”", a walkthrough)
        terms = [t for t in terms if t.lower() not in asked and t.lower() not in _NO_CONCEPT and not _adverb(t)
                 and t.lower() not in _RUBRIC_WORDS and not _used(t, answer) and _whole_word_in(t, point)]
        terms = _one_per_stem(terms)[:2]
        nudge = (" Think about " + " and ".join(f"“{t}”" for t in terms) + ".") if terms else ""
        return FollowUp(f"Follow-up: {ASKS_MORE}. What else would you add?{nudge}", point)
    return FollowUp("Follow-up: can you give a concrete example from a project where this mattered?")


def _central(points: list[str], question: str) -> str:
    """The missing point that shares the most of the question's words (the first of those, in the rubric's order): a
    drafted rubric's first point may be a source's aside ("Writing def f(bucket=[]) is a classic trap."), and a
    walkthrough's follow-up asked about it ("Think about “classic” and “writing”")."""
    from coach.grading.text import question_words

    asked = question_words(question)
    shared = [len(asked & question_words(p)) for p in points]
    return points[shared.index(max(shared))].strip()


def followup_question(grade: Grade) -> str:
    return followup_for(grade).question
