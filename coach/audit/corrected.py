"""A source answer as it should be read: every sentence a flag corrects said as its correction, its code blocks kept
whole. Ask says a matched record's answer so (``coach/ask.py``), and a drafted question's model answer is shown so
(``Coach.shown_model_answer``).

Sentences and flag quotes are compared as runs of whole words (``claim_words``), never as characters: a quote keeps the
original line's Markdown marks and mojibake, the record's sentence is cleaned.
"""

from __future__ import annotations

from coach.audit.sourcefile import match_words, runs_overlap
from coach.grading.text import aligned_table, fenced, normalise, statements, table_rows, table_spans, text_and_code
from corpus.blocks import BULLET

NON_FACT_KINDS = {"code", "syntax", "outdated_api", "python2"}  # a correction of code, not a fact sentence
MAX_RECORD_SENTENCES = 6  # a matched record's answer, at most this many sentences


def corrected_answer(text: str, flags: list[dict], limit: int = MAX_RECORD_SENTENCES) -> str:
    """A source answer with every flagged sentence replaced by the audit's correction (dropped when the
    flag has no correction); each correction said once; at most ``limit`` sentences of prose. A code block is kept
    whole, as a fenced block, and never read as sentences: cut into "sentences" and joined, a walkthrough's answer
    showed one line with the fence marks, stopped after three of five lines, and lost "items = []" to a reported
    sentence's words (code that crashes)."""
    quotes = [(claim_words(f["quote"]), f) for f in flags if f.get("quote")]
    parts: list[tuple[str, str]] = []  # (text, kind: "prose", "block" (code, or a table shown as one) or "item")
    said: set[str] = set()
    n = 0

    def say(sentences_: list[str], kind: str = "prose", marker: str = "") -> None:
        nonlocal n
        out = []
        for s in sentences_:
            if n >= limit:
                break
            hit = flag_of(s, quotes)
            if hit is not None:
                fix = fact_correction(hit)
                if not fix or fix in said:
                    continue
                said.add(fix)
                s = fix
            out.append(s)
            n += 1
        if out:
            parts.append((marker + " ".join(out), kind))

    for chunk, language in text_and_code(text):
        if n >= limit:
            break
        if language is not None:
            parts.append((fenced(chunk, language), "block"))
            continue
        for lines, is_table in table_spans(chunk):
            rows = table_rows(lines) if is_table else []
            if rows and not any(flag_of(r, quotes) for r in rows):
                # a table shown as one, its columns lined up (its rows said as sentences ran on as prose: a
                # walkthrough), counted as one statement
                parts.append((fenced(aligned_table(lines), "text"), "block"))
                n += 1
            elif rows:  # a table with a flagged row: said row by row, so that the row is said as its correction
                say(rows)
            else:
                _say_prose(lines, say)
    # prose runs on one line as before; a list item and a block stand on lines of their own
    return "".join(_joint(parts, i) + p for i, (p, _) in enumerate(parts))


def _say_prose(lines: list[str], say) -> None:
    """Prose lines said as sentences, and each item of a list on a line of its own, with its marker ("- ", "2. "):
    joined into one run of prose, a walkthrough's "It has three main modes: - --soft ... - --mixed ..." lost its list
    in the chat, the export and the study cards."""
    run: list[str] = []
    item: tuple[str, list[str]] | None = None  # the open item: its marker and its lines

    def close_item() -> None:
        nonlocal item
        if item is not None:
            say(statements(" ".join(item[1])), "item", item[0])
            item = None

    for line in [*lines, None]:
        bullet = BULLET.match(line.strip()) if line is not None else None
        if line is not None and not bullet:
            # a hard-wrapped item goes on (an indented line, one in lower case, or after a line with no closing mark):
            # read as prose, it was cut in two around a blank line (a review)
            if item is not None and line.strip() and (line[:1].isspace() or line.strip()[:1].islower()
                                                      or not item[1][-1].rstrip().endswith((".", "!", "?", ":", ";"))):
                item[1].append(line.strip())
                continue
            close_item()
            run.append(line)
            continue
        close_item()
        if run:
            say(statements("\n".join(run)))
            run = []
        if bullet:
            marker = bullet.group("marker").strip()
            marker = "- " if not marker[:1].isdigit() and not marker[:1].isalpha() else marker + " "
            item = (marker, [line.strip()[bullet.end():]])


def _joint(parts: list[tuple[str, str]], i: int) -> str:
    """What goes before part ``i``: nothing first; a blank line around a block and after a list; a line break before
    a list item; a space between two runs of prose."""
    if not i:
        return ""
    kind, before = parts[i][1], parts[i - 1][1]
    if kind == "block" or before == "block" or (before == "item" and kind != "item"):
        return "\n\n"
    return "\n" if kind == "item" else " "


def flag_of(sentence: str, quotes: list[tuple[tuple[str, ...], dict]]) -> dict | None:
    """The flag on a sentence (None: unflagged); ``quotes``: (``claim_words`` of a flag's quote, the flag). Of
    several, the first with a correction to say (a code flag on the same sentence has none, and it hid a fact flag's
    correction: a review)."""
    words = claim_words(sentence)
    hits = [f for q, f in quotes if runs_overlap(words, q)]
    return next((f for f in hits if fact_correction(f)), hits[0] if hits else None)


def fact_correction(flag: dict) -> str:
    """A flag's correction as a sentence to state, or "" (none, or one of code: not a sentence of fact)."""
    return "" if flag.get("kind") in NON_FACT_KINDS else (flag.get("correction") or "").strip()


def claim_words(text: str) -> tuple[str, ...]:
    """A sentence or a flagged quote as matching sees it (``match_words``: a quote keeps the original line's Markdown
    marks and mojibake, the record's sentence is cleaned). List markers are left out: a bulleted item cut at ";" kept
    its "- " and matched neither way, so Ask stated the flagged claim."""
    return match_words(BULLET.sub("", normalise(text).lower().strip()))
