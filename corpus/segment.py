"""Question/answer segmentation: find the question lines, then give each one the lines up to the next.

Question formats recognised (each line is first reduced to a *style* and a question text):
- ``heading``: markdown headings, numbered or not (``### 7. What is X?``);
- ``qnum``: ``Q7. What is X?``, ``Question 7: ...``, ``Q: What is X?`` (a leading ``A:``/``Answer:`` on
  the answer's first line is dropped);
- ``num``: ``7. What is X?`` / ``7) ...`` (at the document's usual question indentation);
- ``bullet``: ``- What is X?`` (a question-shaped item inside a list introduced by ``...:`` stays a list
  item unless prose follows it);
- ``plain``: an unnumbered line on its own (``What is X?``, or an imperative such as ``Explain ...`` with
  blank lines around it).
A line is question-shaped when it ends with ``?``, starts with an imperative (Explain, Describe,
Differentiate, Define...), or starts with an interrogative followed by an auxiliary verb ("What are the
advantages of ReLU", "How does X work"; not the title "Why it works"). A document needs at least two
questions to be read as Q/A; otherwise it becomes passages. Each document has one dominant style (the one
with most question-shaped lines); only lines of that style are questions, so numbered list items inside
answers ("1. An input layer") and section titles are never questions.

Answers run to the next question, minus boilerplate, with section headings trimmed ("Intermediate
Questions" before the next question) and, after the last question, cut at the first heading (the article's
"Conclusion", "About the author"...).

Simplified on purpose: a question must fit on one line; an answer that lost its question (a heading
missing from the source) stays with the previous answer; imperative plain questions need blank lines
around them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus import blocks as B
from corpus.behavioural import about_interviewing, behavioural
from corpus.boilerplate import mostly_meta, sentences as _sentences, strip_ai_instructions, strip_meta_sentences
from corpus.records import Record

INTERROGATIVES = {
    "what", "why", "how", "when", "where", "which", "who", "whom", "whose", "is", "are", "can", "could", "do",
    "does", "did", "should", "would", "will", "was", "were", "has", "have", "shall", "may", "might", "isn't",
    "aren't", "can't", "don't", "doesn't", "what's", "how's", "why's",
}
IMPERATIVES = {
    "explain", "describe", "define", "differentiate", "distinguish", "compare", "contrast", "discuss", "list",
    "name", "give", "state", "outline", "illustrate", "summarize", "summarise", "mention", "elaborate", "tell",
    "write", "derive", "justify", "identify", "enumerate", "clarify", "walk",
}
_PRIORITY = {"heading": 0, "qnum": 1, "num": 2, "bullet": 3, "plain": 4}

_HASHES = re.compile(r"^#{1,6}\s+")
_EMPHASIS = re.compile(r"^(\*\*|__|\*|_)(?=\S)(.*?)(?<=\S)\1$")
_QNUM = re.compile(r"^(q|question)\s*\.?\s*#?\s*(\d{1,4})\s*[.:)\-–]?\s*(?=\S)", re.IGNORECASE)
_QLABEL = re.compile(r"^(q|question)\s*[:.]\s*(?=\S)", re.IGNORECASE)  # "Q: What is X?" (no number)
# "A: ..." opening an answer, and its labelled forms ("**Sample answer:** ...", a walkthrough's page: the label
# opened the drafted key point); a label alone on its line goes whole. "Sample A: mean 5" is content.
_ALABEL = re.compile(r"^(?P<o>\*\*|__|\*|_)?(?:a(?:(?(o)(?P=o))\s*:|\s*:(?(o)(?P=o)))"
                     r"|(?:(?:sample|model|example|suggested|possible)\s+)?ans(?:wer)?(?:(?(o)(?P=o))\s*[:.]|\s*[:.](?(o)(?P=o))))"
                     r"\s*(?=\S|$)", re.IGNORECASE)


def answer_label_end(text: str) -> int:
    """Where the answer's own words begin in its first line: after an "A:" / "**Sample answer:**" label, else 0."""
    m = _ALABEL.match(text)
    return m.end() if m else 0


_NUM = re.compile(r"^(\d{1,4})\s*[.)](?!\d)\s*(?=\S)")
_BULLET = re.compile(r"^([-*+]\s+|[•·▪◦‣●○■□➢➤►]\s*)(?=\S)")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# Python's special names ("__slots__", "__init__", "ClassName.__mro__"); "__not__" is emphasis, and so is any other word
_DUNDERS = """init new del repr str bytes format hash bool call len iter next reversed contains getitem setitem delitem
missing getattr getattribute setattr delattr dir get set delete set_name slots dict weakref class init_subclass
class_getitem enter exit aenter aexit await aiter anext lt le eq ne gt ge add sub mul matmul truediv floordiv mod divmod
pow lshift rshift and xor or neg pos abs invert iadd isub imul itruediv ifloordiv radd rsub rmul index int float complex
round trunc floor ceil name main file doc module mro bases subclasses qualname annotations wrapped all version builtins
future post_init fspath sizeof copy deepcopy getstate setstate reduce reduce_ex instancecheck subclasscheck prepare
length_hint buffer release_buffer path package spec loader cached debug import""".split()
_DUNDER = re.compile(r"(?<!\w)(__(?:" + "|".join(sorted(_DUNDERS, key=len, reverse=True)) + r")__)(?!\w)")
_HELD = re.compile(r"\x00(\d+)\x00")
_LINK = re.compile(r"\[([^\]]{1,300})\]\([^)]{0,500}\)")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_FIRST_WORD = re.compile(r"^[\W_]*([A-Za-z']+)")


@dataclass
class QLine:
    index: int  # 0-based line index
    style: str
    indent: int
    text: str  # cleaned question text
    number: int | None = None


def clean_markup(text: str, keep_code_marks: bool = False) -> str:
    """Links, bold marks and backticks out; a code span keeps its text verbatim (only its backticks go: "`**kwargs`"
    and "`__eq__`" read "kwargs" and "eq" in a walkthrough's questions and answers). ``keep_code_marks``: the
    backticks stay too, for a first pass whose result is cleaned again."""
    spans: list[str] = []

    def hold(m: re.Match) -> str:  # a code span out of the way of every mark below ("`__eq__`" is no emphasis)
        spans.append(m.group(1))
        return f"\x00{len(spans) - 1}\x00"  # control characters never reach here (corpus.text drops them)

    held = _CODE_SPAN.sub(hold, _LINK.sub(r"\1", text))
    # a Python special name outside backticks ("__slots__", "ClassName.__mro__": an HTML page's <code> reaches here as
    # plain text, and a walkthrough's question read "What are slots ...") is a name, not emphasis; any other word in
    # underscores is ("__not__")
    held = _DUNDER.sub(hold, held).replace("**", "").replace("__", "").replace("`", "")
    m = _EMPHASIS.match(held)
    held = (m.group(2) if m else held).strip()
    return _HELD.sub(lambda h: f"`{spans[int(h.group(1))]}`" if keep_code_marks else spans[int(h.group(1))], held)


def parse_question_line(line: str) -> QLine | None:
    """Reduce a line to (style, question text), or None when it is blank or too long to be a question."""
    s = line.strip()
    if not s or len(s) > 400:
        return None
    indent = len(line) - len(line.lstrip())
    style, number = "plain", None
    m = _HASHES.match(s)
    if m:
        style, s = "heading", s[m.end():].strip().rstrip("#").strip()
    s = clean_markup(s, keep_code_marks=True)  # cleaned again below, once the number or label is cut
    m = _QNUM.match(s) or _QLABEL.match(s)
    if m:
        style = "heading" if style == "heading" else "qnum"
        number = int(m.group(2)) if m.re is _QNUM else None
        s = s[m.end():]
    else:
        m = _NUM.match(s)
        if m:
            style = "heading" if style == "heading" else "num"
            number, s = int(m.group(1)), s[m.end():]
        elif style == "plain":
            m = _BULLET.match(s)
            if m:
                style, s = "bullet", s[m.end():]
    s = clean_markup(s)
    return QLine(index=-1, style=style, indent=indent, text=s, number=number) if s else None


AUXILIARIES = {
    "is", "are", "was", "were", "do", "does", "did", "can", "could", "should", "would", "will", "has", "have",
    "had", "may", "might", "shall", "must", "isn't", "aren't", "don't", "doesn't", "can't", "happens", "happen",
}


def question_like(text: str) -> bool:
    """Ends with '?', or starts with an imperative (Explain...) or a real interrogative ("What are X", "How does
    X work": an auxiliary verb within the first words, so titles like "Why it works" are not questions)."""
    t = text.strip()
    if len(t) < 6 or len(t) > 300 or t.endswith((":", ";", ",")):
        return False
    if t.endswith("?") or t.endswith("?)"):
        return True
    m = _FIRST_WORD.match(t)
    if not m or len(t.split()) > 30:
        return False
    first = m.group(1).lower()
    if first in IMPERATIVES:
        return True
    if first not in INTERROGATIVES:
        return False
    words = [w.lower().strip(",.") for w in t.split()[:7]]
    return first in AUXILIARIES or any(w in AUXILIARIES or w.endswith("'s") for w in words[1:])


def loose_question(line: str) -> bool:
    """Question-shaped in any style, without context (used to stop boilerplate sections)."""
    q = parse_question_line(line)
    if q is None or not question_like(q.text):
        return False
    return q.style != "plain" or q.text.rstrip(")").endswith("?")


def find_questions(lines: list[str], removed: set[int], code: set[int]) -> list[QLine]:
    """The question lines of a document (see module docstring for the rules)."""
    n = len(lines)
    eff = ["" if (i in removed or _RULE.match(ln)) else ln.strip() for i, ln in enumerate(lines)]

    def prev_nonblank(i):
        return next((j for j in range(i - 1, -1, -1) if eff[j]), None)

    def next_nonblank(i):
        return next((j for j in range(i + 1, n) if eff[j]), None)

    def blank_around(i):
        return (i == 0 or not eff[i - 1]) and (i + 1 >= n or not eff[i + 1])

    by_style: dict[str, list[QLine]] = {s: [] for s in _PRIORITY}
    in_list = [False] * n
    for i in range(n):
        if not eff[i] or i in code:
            continue
        p = prev_nonblank(i)
        bullet = bool(B.BULLET.match(eff[i]))
        if bullet and p is not None:
            in_list[i] = eff[p].endswith(":") or (bool(B.BULLET.match(eff[p])) and in_list[p])
        q = parse_question_line(lines[i])
        if q is None or not question_like(q.text):
            continue
        q.index = i
        if q.style == "plain":
            ends_q = q.text.rstrip(")").endswith("?")
            standalone = (p is None or not eff[i - 1]) if i > 0 else True
            if not standalone or len(q.text.split()) > 30 or not (ends_q or blank_around(i)):
                continue
        elif q.style == "bullet" and in_list[i]:
            nxt = next_nonblank(i)
            if not (i + 1 >= n or not eff[i + 1] or nxt is None or not B.BULLET.match(eff[nxt])):
                continue
        if q.style == "bullet" and in_list[i]:
            in_list[i] = False  # an accepted question closes the list above it
        by_style[q.style].append(q)

    best = min(by_style, key=lambda s: (-len(by_style[s]), _PRIORITY[s]))
    chosen = by_style[best]
    if best in ("num", "bullet") and chosen:
        indents = sorted(q.indent for q in chosen)
        usual = indents[len(indents) // 2]
        chosen = [q for q in chosen if q.indent <= usual + 1]
    # one question-shaped heading does not make a Q/A document (it would drop everything else)
    return chosen if len(chosen) >= 2 else []


def _heading_like(s: str, standalone: bool) -> bool:
    if not s or B.is_list_item(s) or B.is_table_row(s):
        return False
    if s.startswith("#"):
        return True
    words = s.split()
    if len(words) > 10 or s.endswith((".", "!", "?", ":", ";", ",")) or not (s[0].isupper() or s[0].isdigit()):
        return False
    return standalone or len(words) <= 3


def build_records(source: str, lines: list[str], questions: list[QLine], removed: set[int],
                  code: set[int], stats: dict[str, int]) -> list[Record]:
    """One Record per question; ``stats`` receives the interview-meta sentences cut from answers."""
    n = len(lines)
    eff = ["" if (i in removed or _RULE.match(ln)) else ln for i, ln in enumerate(lines)]
    records = []
    # a page about interviewing itself (behavioural prompts) talks about the interview as its subject
    interviewing = about_interviewing([q.text for q in questions])
    for k, q in enumerate(questions):
        last = k + 1 == len(questions)
        own = interviewing or behavioural(q.text)  # this answer's talk about the interview is content
        end = questions[k + 1].index if not last else n
        region = [i for i in range(q.index + 1, end)]

        def standalone(i):
            return (i == 0 or not eff[i - 1].strip()) and (i + 1 >= n or not eff[i + 1].strip())

        content = [i for i in region if eff[i].strip()]
        if last:  # after the last question, the article's own sections begin at the first heading
            for pos, i in enumerate(content):
                if pos > 0 and i not in code and _heading_like(eff[i].strip(), standalone(i)):
                    content = content[:pos]
                    break
        else:  # section titles just before the next question belong to no answer
            while content and content[-1] not in code and _heading_like(eff[content[-1]].strip(), standalone(content[-1])):
                content.pop()
        stop = content[-1] + 1 if content else q.index + 1
        items: list[tuple[int, str, str]] = []
        for i in range(q.index + 1, stop):
            text = eff[i]
            if not text.strip():
                if items and items[-1][2] != "blank":
                    items.append((i + 1, "", "blank"))
                continue
            if i in code:
                items.append((i + 1, text.rstrip(), "code"))
                continue
            # the last answer's closing paragraph (not its first) may be the article's outro
            outro = last and i == content[-1] and i != content[0] and not eff[i - 1].strip()
            text, n_ai = strip_ai_instructions(text.strip())
            if n_ai:
                stats["instructions_to_ai"] = stats.get("instructions_to_ai", 0) + n_ai
                if not text:
                    continue
            stripped, n_meta = strip_meta_sentences(text.strip())
            # an answer whose talk about the interview is content keeps it, unless it is the article's outro
            kept = own and not (outro and n_meta and mostly_meta(stripped, n_meta))
            text, cut = (text.strip(), 0) if kept else (stripped, n_meta)
            if not any(k != "blank" for _, _, k in items):
                text = _ALABEL.sub("", text, count=1)  # "A: X is..." -> "X is..."
            elif outro and text and mostly_meta(text, cut):
                # the last answer's closing paragraph, mostly about the interview, is the article's outro: its
                # remaining sentences go with it (a walkthrough's last key point was "Prepare for these by
                # connecting each concept above ...", its first two sentences cut)
                cut, text = cut + len(_sentences(text)), ""
            if cut:
                stats["interview_meta"] = stats.get("interview_meta", 0) + cut
            if not text:
                continue
            text = B.normalise_bullet(clean_markup(text) if not B.is_table_row(text) else text)
            items.append((i + 1, text, B.kind_of(text, False)))
        while items and items[-1][2] == "blank":
            items.pop()
        items = B.mark_bare_tables(_dedent_code(items))
        answer = "\n".join(t for _, t, _ in items)
        answer_lines = [num for num, _, _ in items]
        records.append(Record(
            id=f"{source}:{q.index + 1}", source=source, question=q.text, answer=answer,
            line_start=q.index + 1, line_end=max(answer_lines, default=q.index + 1), kind="qa",
            blocks=B.build_blocks(items), answer_lines=answer_lines,
        ))
    return records


def _dedent_code(items: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """Remove each code run's common indentation (relative indentation is kept verbatim)."""
    out = list(items)
    i = 0
    while i < len(out):
        if out[i][2] != "code":
            i += 1
            continue
        j = i
        while j < len(out) and out[j][2] in ("code", "blank"):
            j += 1
        run = [k for k in range(i, j) if out[k][2] == "code"]
        pad = min(len(out[k][1]) - len(out[k][1].lstrip()) for k in run)
        for k in run:
            num, text, kind = out[k]
            out[k] = (num, text[pad:], kind)
        i = j
    return out
