"""Feedback text built only from rubric facts and references (never invented).

``build_feedback`` is the deterministic text every grade carries and what the UI and CLI show.
``phrase_feedback`` lets an LLM rephrase those same facts; the prompt hands it the facts as fenced
data and the grade never depends on what it writes. Measured: SmolLM2-135M moves facts between
"right" and "missing" when rephrasing, so front ends offer it only for a trusted model
(``COACH_LLM_TRUSTED=1``); the benchmark still times it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from coach.grading.types import Grade, lines_of

# the key points the answer mentions without being credited for them (Grade.unconfirmed, a part of Grade.missing):
# their own section, apart from what is missing (a walkthrough read "What is missing" full of what it had said, each
# point "mentioned, but not credited", and its session summary said to work on them)
UNCONFIRMED_TITLE = "Mentioned, but not confirmed"
OLD_UNCONFIRMED_TITLE = "Said, but not confirmed"  # in grades stored before
# "states these correctly" read as "you said these": two walkthroughs that had refuted a source's error found the
# error listed here, as if they had made it; what the grader knows is that the answer touches on them
UNCONFIRMED_NOTE = ("your answer touches on these, but the grader could not confirm that it states them as written here "
                    "(it may say something else, or the opposite)")
OLD_UNCONFIRMED_NOTE = "the grader could not confirm that your answer states these correctly"  # in grades stored before


def split_missing(missing: list[str], unconfirmed: list[str]) -> tuple[list[str], list[str]]:
    """(missing points the answer does not mention, the ones it mentions without credit), each in rubric order."""
    said = {point_key(p) for p in unconfirmed or []}
    return [p for p in missing if point_key(p) not in said], [p for p in missing if point_key(p) in said]


def unsaid_missing(grade: Grade) -> list[str]:
    """The grade's missing key points the answer does not mention: the gaps to follow up and to work on."""
    return split_missing(grade.missing, getattr(grade, "unconfirmed", None) or [])[0]


def point_key(text: str) -> str:
    """A key point's text as two renderings of it compare: its words, case folded."""
    return " ".join(re.findall(r"\w+", str(text or "").casefold()))


VERDICT_WORDS = {
    "correct": "Correct",
    "partial": "Partly correct",
    "incorrect": "Incorrect",
    "off_topic": "Off topic",
    "no_attempt": "No attempt",
}


def source_error_note(where: str = "") -> str:
    """" (a cited source states this error too: notes.md line 4)" for an error a source shares; ``where``:
    the place as the caller writes it ("" when unknown). The grade's feedback and the card both say it so."""
    return f" (a cited source states this error too: {where})" if where else " (a cited source states this error too)"


def _lines(at: dict) -> str:
    """ "notes.md lines 4-6" (or "notes.md line 4", or "notes.md" with no line) for a place with a source, else ""."""
    if not at.get("source"):
        return ""
    return " ".join(filter(None, (at["source"], lines_of(at.get("line_start"), at.get("line_end")))))


def judged_basis(w: dict) -> str:
    """ "judgement model: contradicts the reference, 0.93" for a wrong claim the judge found (a model's
    reading, measured to be wrong on some correct sentences); the rule's own words for a role swap
    (``basis``); "" for a rubric's known misconception."""
    if w.get("basis"):  # a text rule's reading (coach/grading/swaps.py)
        return str(w["basis"])
    conf = w.get("confidence")
    if not isinstance(conf, (int, float)):
        return ""
    return f"judgement model: {w.get('how') or 'contradicts the reference'}, {float(conf):.2f}"


def build_feedback(grade: Grade) -> str:
    lines = [f"{VERDICT_WORDS.get(grade.verdict, grade.verdict)}: {grade.score:g}/10."]
    for note in grade.notes:
        lines.append(f"Note: {note}")
    if grade.right:
        lines.append("What you got right:")
        lines += [f"- {t}" for t in grade.right]
    absent, said = split_missing(grade.missing, grade.unconfirmed)
    if absent:
        lines.append("What is missing:")
        lines += [f"- {t}" for t in absent]
    if said:
        lines.append(f"{UNCONFIRMED_TITLE} ({UNCONFIRMED_NOTE}):")
        lines += [f"- {t}" for t in said]
    if grade.wrong:
        lines.append("What is wrong:")
        for w in grade.wrong:
            tail = source_error_note(_lines(w.get("source_at") or {})) if w.get("source_error") else ""
            cite = f" [{_lines(w.get('evidence') or {})}]" if (w.get("evidence") or {}).get("source") else ""
            basis = judged_basis(w)
            lines.append(f"- You said: \"{w.get('said') or w['claim']}\" Correction: {w['correction']}{cite}{tail}" + (f" ({basis})" if basis else ""))
    if grade.model_answer:
        lines.append(f"Model answer: {grade.model_answer}")
    if grade.references:
        cites = []
        for c in grade.references:
            flag = " [flagged by the source audit]" if c.flags else ""
            cites.append(f"{_lines(c.to_contract())}{flag}")
        lines.append("Sources: " + "; ".join(cites))
    return "\n".join(lines)


def feedback_facts(grade: Grade) -> dict:
    return {
        "verdict": VERDICT_WORDS.get(grade.verdict, grade.verdict),
        "score": grade.score,
        "right": grade.right,
        "missing": unsaid_missing(grade),  # the points it says in its words are not "missing" (as every renderer has it)
        "wrong": [f"{w['claim']} -> {w['correction']}" for w in grade.wrong],
        "model_answer": grade.model_answer,
    }


def phrase_feedback(grade: Grade, llm, cancel=None) -> Iterator[str]:
    """Stream an LLM rephrasing of the grade's facts; falls back to the plain text on any error."""
    try:
        import prompts

        messages = prompts.render("feedback", question=grade.question, **feedback_facts(grade))
        stop = prompts.spec("feedback").get("stop") or None
        yield from prompts.clean_stream(llm.stream(messages, max_tokens=160, stop=stop, cancel=cancel))
    except Exception:  # the rephrasing is cosmetic: never lose the grade over it
        yield build_feedback(grade)


def is_known_error(w: dict) -> bool:
    """A wrong item that states a known misconception (a rubric's, a source's reported error), not a reading of a model
    or a rule."""
    return bool(w.get("known_misconception") or w.get("how") == "states a known misconception")


def error_rank(w: dict) -> tuple[int, float]:
    """A wrong item's place among an answer's errors (a follow-up asks about the first; the session summary lists them
    in this order): a known misconception (a rubric's, a source's reported error) or a swap before the judge's flags,
    which are often false alarms on correct sentences (README); then the judge's most confident flag."""
    known = w.get("known_misconception") or w.get("how") in ("states a known misconception", "swap")
    try:
        confidence = 1.0 if w.get("confidence") is None else float(w["confidence"])
    except (TypeError, ValueError):  # a hand-edited or foreign grade: ranked as sure
        confidence = 1.0
    return (0 if known else 1), -confidence


DRAFTED_FROM = "Graded against key points drafted from "
ADDED_SOURCE = "an added source"  # what the note says of a grade that cites nothing


def with_sources(notes: list[str], record_ids: list[str]) -> list[str]:
    """``notes`` with the drafted-rubric note of a grade that cites nothing (a follow-up's, graded against one gap of
    its question) naming the sources of ``record_ids`` (its question's records, "file.md:12") instead of "an added
    source" (a walkthrough could not tell which of its two files a follow-up's gap came from)."""
    sources = ", ".join(dict.fromkeys(rid.rpartition(":")[0] for rid in record_ids if rid.rpartition(":")[0]))
    generic = DRAFTED_FROM + ADDED_SOURCE
    return [DRAFTED_FROM + sources + n[len(generic):] if sources and n.startswith(generic) else n for n in notes]
