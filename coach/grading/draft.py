"""Draft rubrics for questions nobody wrote one for (new sources, or an explicit reference string).

Simplified on purpose: key points are the reference's own informative sentences (the first ones,
in source order, up to four), each evidenced by its most distinctive words; misconceptions come
only from the source audit (a flagged claim becomes a misconception with the audit's correction,
and never a key point: the correction takes its place as the key point). A capable LLM could write better drafts; SmolLM2
cannot, so none is used here. Drafts are marked ``origin="draft"`` and shown as such.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
from pathlib import Path

from coach.audit.sourcefile import match_words, runs_overlap
from coach.grading.rubrics import KeyPoint, Misconception, Rubric
from coach.grading.text import Row, normalise, points_ahead, sentences, singular, text_and_tables, words
from corpus.blocks import code_lines
from corpus.version import parser_fingerprint

STOP_WORDS = frozenset(
    """a about above after again all also an and any are as at be because been being between both but by can
    could did do does doing down during each few for from further had has have having here how i if in into is
    it its itself just like make makes many may more most much must no nor not now of off often on once only or
    other our out over own same should so some such than that the their them then there these they this those
    through to too under until up used uses using very was we well were what when where which while who why will
    with would you your known called also example e.g etc data model models""".split()
)


def content_words(text: str) -> set[str]:
    """A sentence's words minus the stop words, plural "s" off: what two sentences are compared on by word overlap."""
    return set(content_word_list(text))


def content_word_list(text: str) -> list[str]:
    """``content_words`` in the order the sentence says them, repeats kept."""
    return [singular(w) for w in words(text) if w not in STOP_WORDS]


MAX_POINTS = 4
MAX_CORRECTIONS_PAST = 2  # corrections of flagged claims kept past MAX_POINTS (a reported error's correction is graded)
MAX_POINT_WORDS = 45  # a lead-in joined with its list items stops taking items here
SENTENCE_ITEM_WORDS = 8  # list items this long (every one of them) are sentences: each a point, without the lead-in
# Version of the drafting rules, written into drafts files: a file drafted by older rules is redrafted
# (its previous version kept as a backup) like one whose source changed. 2: lead-ins joined with their lists;
# 3: sentences hard-wrapped across lines joined; 4: list items past MAX_POINT_WORDS kept in a further point;
# 5: a record's code blocks left out of its key points (``Record.prose``; drafted by ``Grader.draft_for``); 6: each
# row of a table one point, its cells labelled by the header row, and a sentence that only points at the table dropped
# (a walkthrough's table question was graded against "The table below compares them." and the header row); 7: a flagged
# claim's correction kept past MAX_POINTS, and no sentence cut after "e.g." or "i.e." (``coach.grading.text``); 8: a
# flagged list item stands alone (its correction replaces it, not its whole list), a flag's quote without its list marker;
# list items that are all sentences are points of their own, without their lead-in.
DRAFTER = 8
_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d{1,2}[.)])\s+")
_ENDS = (".", "!", "?", ":", ";", ")", '"', "”")
_JOINER = re.compile(r"^(?:and|or|but|so|which|because|then|also|while|whereas)\b", re.I)


def distinctive_terms(sentence: str, k: int = 3, exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The longest non-stop-words of a sentence, a crude but deterministic proxy for its concepts.
    ``exclude``: words that are no evidence of the point (the question's own words)."""
    seen: list[str] = []
    for w in words(sentence):
        if len(w) >= 4 and w not in STOP_WORDS and w not in exclude and not w.isdigit() and w not in seen:
            seen.append(w)
    return sorted(seen, key=lambda w: (-len(w), w))[:k]


def term_groups(sentence: str, asked: set[str]) -> list[list[str]]:
    """A key point's term groups derived from its sentence: one any-of group of its distinctive words, never
    words the question itself gives away (``asked``; "learning" of "transfer learning" is in any answer's
    "learning rate"). Drafted key points get theirs so; so does a user's point written without any
    (``coach.grading.signals.point_terms``)."""
    terms = distinctive_terms(sentence, exclude=asked)
    return [terms] if terms else []


def _ended(point: str) -> str:
    """A joined point with its closing mark: "." unless it already ends with "!" or "?" ("Use it with care!." in a
    walkthrough's key points)."""
    return point if point.endswith(("!", "?")) else point + "."


def quote_text(quote: str) -> str:
    """A flag's quote as a claim: without the list marker it was cut with ("- boolean defaults to true." is
    "boolean defaults to true."), and a sentence of a wrapped paragraph on one line (its quote keeps the file's line
    breaks)."""
    text = _BULLET.sub("", (quote or "").strip(), count=1).strip()
    if "\n" in text and not code_lines(text.split("\n")):  # never a code snippet's lines
        return " ".join(text.split())
    return text


def point_sentences(text: str, quotes: list[tuple[str, ...]] | None = None) -> list[str]:
    """A reference's sentences as key-point candidates, each one that can stand alone. Scraped answers
    put a list under a lead-in ("There are many types of activation functions:" then "- ReLU", "- Tanh"):
    the lead-in claims nothing by itself, so it is joined with the items that follow it into one point
    ("There are many types of activation functions: ReLU, Tanh.", items taken while the point stays within
    ``MAX_POINT_WORDS``, the rest in further points under the same lead-in), and dropped when no list follows it or
    when every item is a sentence (``SENTENCE_ITEM_WORDS`` words or more): those stand alone.
    A clause cut at ";" is joined with a following clause that starts in lowercase ("... one hidden layer; it will
    fit any function ..."), and so is a line that starts in lowercase after a line with no closing punctuation: one
    sentence hard-wrapped across lines, as text extracted from a PDF is ("Attention weighs every token of the" /
    "sequence against every other token."). A list item an audit flag or a reported error quotes (``quotes``,
    ``match_words`` of each quote) is not joined under its lead-in but stands alone, so that the draft replaces that
    item by its correction and keeps the others (a report on "boolean defaults to true" replaced a whole list of
    default values, a walkthrough)."""
    out: list[str] = []
    lead: str | None = None
    items: list[str] = []

    def flush() -> None:
        nonlocal lead, items
        if lead is not None and items and all(len(i.split()) >= SENTENCE_ITEM_WORDS for i in items):
            # items that are sentences stand alone: the lead-in prefixed to each of them made every point start with
            # it ("Neither can be instantiated directly, and they serve different purposes: Since Java 8 ...", a
            # walkthrough), and the hints named its words ("instantiated", "purposes") instead of the item's
            out.extend(_ended(i[:1].upper() + i[1:]) for i in items)
        elif lead is not None and items:
            sep = "; " if any(len(i.split()) > 3 for i in items) else ", "
            # items past MAX_POINT_WORDS go on in a further point under the same lead-in (they were dropped, and
            # with them steps 3-5 of a five-step answer: a user walkthrough)
            kept, n = [items[0]], len(lead.split()) + len(items[0].split())
            for item in items[1:]:
                n += len(item.split())
                if n > MAX_POINT_WORDS:
                    out.append(_ended(f"{lead}: {sep.join(kept)}"))
                    kept, n = [], len(lead.split()) + len(item.split())
                kept.append(item)
            out.append(_ended(f"{lead}: {sep.join(kept)}"))
        lead, items = None, []

    for line in _lines_and_rows(text):
        if isinstance(line, Row):  # a table row, labelled by its header: a point of its own
            flush()
            if out and not isinstance(out[-1], Row) and points_ahead(out[-1]):
                out.pop()  # "The table below compares them." claims nothing
            out.append(line)
            continue
        if not line.strip():
            continue
        bullet = _BULLET.match(line)
        body = line[bullet.end():] if bullet else line
        if bullet and lead is not None:
            item = normalise(body).rstrip(" .;,")
            if item and quotes and _overlaps(item, quotes):
                out.append(_ended(item[:1].upper() + item[1:]))
            elif item:
                items.append(item)
            continue
        flush()
        for i, s in enumerate(sentences(body)):
            joined = s[:1].islower() or _JOINER.match(s)
            if out and joined and (out[-1].endswith(";") or (i == 0 and not bullet and not out[-1].endswith(_ENDS))):
                out[-1] = f"{out[-1]} {s}"  # a clause cut at ";", or a sentence hard-wrapped across lines (PDF text)
            else:
                out.append(s)
        if out and out[-1].endswith(":") and not bullet:
            lead = out.pop().rstrip(" :")
    flush()
    return [str(p) for p in out]


def _lines_and_rows(text: str) -> list[str]:
    """A text's lines, each table of two or more lines replaced by its rows as statements (``text_and_tables``)."""
    return [line for _, part in text_and_tables(text) for line in part]  # a table's rows are ``Row``s


def _overlaps(sentence: str, quotes: list[tuple[str, ...]]) -> bool:
    """Whether a reference sentence is (part of) a flagged quote, or holds one, as runs of whole words: a quote is
    cut from the ORIGINAL lines (Markdown marks, mojibake) and the sentence from the cleaned record, so both are
    compared as ``match_words`` sees them."""
    s = match_words(sentence)
    return any(runs_overlap(s, q) for q in quotes)


def guess_difficulty(answer: str) -> int:
    """A question's difficulty guessed from its source answer's length: 1 under 60 words, 2 under 150, else 3 (a
    reviewed rubric states its own; a drafted one gets this, written into its file, where it can be edited)."""
    n_words = len((answer or "").split())
    return 1 if n_words < 60 else 2 if n_words < 150 else 3


def draft_rubric(rubric_id: str, question: str, references: list[tuple[str, str]], flags: list[dict], topic: str = "fundamentals") -> Rubric:
    """references: [(record_id, answer_text)]; flags: audit flags on those records."""
    quotes = [match_words(f.get("quote", "")) for f in flags]
    points: list[KeyPoint] = []
    model_sents: list[str] = []
    used_corrections: set[str] = set()
    seen: set[str] = set()
    asked = set(words(question))
    for _, text in references:
        for s in point_sentences(text, [q for q in quotes if q]):
            if len(s.split()) < 5 and not _overlaps(s, quotes):  # a short flagged claim still gives its correction
                continue
            # past the cap only a flagged claim's correction: a walkthrough reported the fifth sentence of an answer as
            # wrong, and answers were never graded against its correction (the cap had dropped the sentence)
            if len(points) >= MAX_POINTS and (len(points) >= MAX_POINTS + MAX_CORRECTIONS_PAST or not _overlaps(s, quotes)):
                continue
            if _overlaps(s, quotes):
                # a flagged claim never becomes a key point: its correction takes its place
                fix = next((f.get("correction", "").strip() for f, q in zip(flags, quotes)
                            if q and _overlaps(s, [q]) and f.get("kind") not in {"code", "syntax", "outdated_api", "python2"}), "")
                if not fix or fix in used_corrections:
                    continue
                used_corrections.add(fix)
                s = fix
            if normalise(s).lower() in seen:  # sources that copy each other: each point once
                continue
            seen.add(normalise(s).lower())
            points.append(KeyPoint(text=s, weight=1.0, terms=term_groups(s, asked)))
            model_sents.append(s)
    if not points:  # a reference with no usable sentence: grade on similarity to its whole text
        text = " ".join(t for _, t in references)[:500].strip() or question.strip() or "(no reference text)"
        points.append(KeyPoint(text=text, weight=1.0, terms=[]))
        model_sents.append(text)
    misconceptions = [
        Misconception(
            text=quote_text(f.get("quote", "")),
            correction=f.get("correction", "") or f.get("reason", ""),
            patterns=[],
            source_error=True,
            record=f.get("record_id", ""),
            severity=f.get("severity", "major"),
        )
        for f in flags
        if f.get("quote", "").strip() and (f.get("correction") or f.get("reason"))
        and f.get("kind") not in {"code", "syntax", "outdated_api", "python2"}
    ]
    return Rubric(
        id=rubric_id,
        question=question,
        records=[rid for rid, _ in references],
        topic=topic,
        model_answer=" ".join(model_sents),
        key_points=points,
        misconceptions=misconceptions,
        origin="draft",
    )


def slug(text: str) -> str:
    """A file- and id-safe name for ``text``: lowercase ASCII words joined by "-". When that loses what
    tells two texts apart (cut at 60 characters, or letters outside ASCII dropped: two long source
    names with one prefix, "Вопросы.txt:12" and "Ответы.txt:12"), a short hash of the whole text is
    appended, so different texts never share a rubric id or a drafts file."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    lossy = len(base) > 60 or any(c.isalnum() and not c.isascii() for c in text)
    if not lossy:
        return base or "question"
    return f"{base[:49].rstrip('-')}-{_digest(text, 10)}".lstrip("-")


def _digest(text: str, n: int) -> str:
    """The first ``n`` hex digits of the text's sha256 (any str, lone surrogates included)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def drafts_state(path, sha256: str, reported: str = "") -> str:
    """What ``path`` holds, from one read: "absent"; "current" (the drafts of exactly this version of the
    source, its ``source_sha256``, parsed by the current corpus code, ``parser``, by the current drafting rules,
    ``DRAFTER``, with the errors the user reported
    in it, ``reported``: ``coach.audit.reported.fingerprint``; the file may have been re-saved
    by a person with its keys in any order);
    "unreadable" (it does not parse as YAML: a hand edit with a typo, since writes are atomic. It is never
    overwritten; the rubric bank skips it with a warning naming it, and its source's questions are drafted
    on the fly meanwhile); or "stale"."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "absent"
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return "unreadable"
    if not isinstance(data, dict) or data.get("source_sha256") != sha256 or str(data.get("reported") or "") != reported:
        return "stale"
    if data.get("parser") != parser_fingerprint():  # its records came from an earlier parser (a review)
        return "stale"
    return "current" if data.get("drafter", 1) == DRAFTER else "stale"  # drafted by older rules: redraft


def drafts_unreadable(path) -> bool:
    return drafts_state(path, "") == "unreadable"


_WRITE_LOCK = threading.Lock()


def backup_path(path: Path) -> Path:
    """A name no earlier backup holds: ``X.yaml.bak``, then ``X.yaml.bak.2``, ``.bak.3``, ... (never loaded:
    the bank reads ``*.yaml`` only), so a second rewrite never overwrites the first one's backup."""
    first = path.with_name(path.name + ".bak")
    if not first.exists():
        return first
    n = 2
    while path.with_name(f"{path.name}.bak.{n}").exists():
        n += 1
    return path.with_name(f"{path.name}.bak.{n}")


_STAMP = "# drafted, unedited: "  # the last line of a drafts file as written: a hash of the text above it


def _stamped(text: str) -> str:
    return f"{text}{_STAMP}{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}\n"


def edited_by_hand(path: Path) -> bool:
    """Whether a drafts file differs from what the drafter wrote (or predates the stamp, or cannot be read): only
    such a file is backed up before a rewrite. A walkthrough's drafts folder held eleven identical ``.bak`` files,
    one per reported error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True
    body, sep, last = text.rstrip("\n").rpartition("\n")
    return not (sep and last.startswith(_STAMP) and _stamped(body + "\n") == text)


def _back_up(path: Path) -> None:
    """A copy of the drafts file about to be replaced, under a backup name of its own (``backup_path``), when it
    holds anything the drafter did not write (``edited_by_hand``)."""
    if path.exists() and edited_by_hand(path):
        shutil.copy2(path, backup_path(path))


def write_drafts(path, source: str, sha256: str, rubrics: list[Rubric], reported: str = "") -> bool:
    """Write a source's draft rubrics as an editable YAML file, versioned by the source's hash.

    Rewritten only when the source changed (its sha256 differs), it was drafted by older rules
    (``DRAFTER``) or the errors the user reported in it changed (``reported``); the previous file, when edited by
    hand (``edited_by_hand``), is kept under a backup name of its own (``backup_path``), so edits are never lost. A file that does not parse
    is left alone (``drafts_unreadable``). Returns True when the file was (re)written.
    A failed write (full disk) leaves the previous file and no temporary file behind, and raises."""
    import yaml

    from coach.diskio import write_text_atomic

    path = Path(path)
    with _WRITE_LOCK:  # two uploads of one source at once: one writes, the other then finds it current
        if drafts_state(path, sha256, reported) in ("current", "unreadable"):
            return False
        data = {
            "version": 1,
            "drafter": DRAFTER,
            "source": source,
            "source_sha256": sha256,
            "parser": parser_fingerprint(),  # the corpus code its records came from: a re-parse redrafts
            **({"reported": reported} if reported else {}),
            "note": "Draft rubrics built from the source and its audit flags. Edit freely; move the file to "
            "COACH_HOME/rubrics/ to make it a reviewed rubric that is never regenerated.",
            "rubrics": [r.model_dump(exclude={"origin"}) for r in rubrics],
        }
        # a temporary file of its own (never one another writer shares); the previous file is COPIED to its
        # backup and then replaced in one step, so the file is never missing for a reader
        write_text_atomic(path, _stamped(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)),
                          before_replace=_back_up)
        return True


_SOURCE_LINE = re.compile(r"^source: (.+)$", re.M)


def _drafted_source(path) -> str | None:
    """The ``source`` a drafts file was written for (None when it cannot be read)."""
    import yaml

    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
        m = _SOURCE_LINE.search(head)
        return str(yaml.safe_load(m.group(1))) if m else None
    except (OSError, yaml.YAMLError):
        return None


def drafts_path(drafts_dir, source: str):
    """Where a source's draft rubrics live: ``<drafts_dir>/<slug of the source name>.yaml``, or, when another
    source with the same slug ("my notes.md", "my-notes.md") has that file, the slug with a short hash of the
    name (two sources never share a drafts file: each rewrite pushed the other's aside, and removing one
    retired the other's)."""
    plain = drafts_dir / f"{slug(source)}.yaml"
    hashed = drafts_dir / f"{slug(source)}-{_digest(source, 8)}.yaml"
    if hashed.exists() or (plain.exists() and _drafted_source(plain) not in (None, source)):
        return hashed
    return plain


def retire_drafts(drafts_dir, sources: list[str]) -> list[str]:
    """Move the draft files of removed sources aside (``backup_path``: never loaded). Returns the moved paths."""
    moved = []
    for source in sources:
        path = drafts_path(drafts_dir, source)
        if path.exists():
            path.replace(backup_path(path))
            moved.append(str(path))
    return moved
