"""The grade card's sections in every renderer, and the Markdown export read back through a real
Markdown renderer (python-markdown when installed, else markdown-it-py, which gradio depends on)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from test_session_support import FakeCoach

from coach.grading.types import Citation, Grade, Step
from coach.session import SessionEngine
from coach.session.card import grade_card, verdict_label
from coach.session.export import session_markdown
from coach.session.markdown import grade_markdown, md_inline
from coach.session.render import grade_md, grade_text

SCRIPT = "<script>alert(1)</script>"


def render_markdown(text: str) -> str:
    try:
        import markdown

        return markdown.markdown(text)
    except ImportError:
        from markdown_it import MarkdownIt

        return MarkdownIt("commonmark").render(text)


class Sections(HTMLParser):
    """Rendered HTML -> {heading text: [list item texts under it]} (nested lists flattened)."""

    def __init__(self, level: str):
        super().__init__(convert_charrefs=True)
        self.level, self.sections, self.order = level, {}, []
        self._heading = self._current = None
        self._items: list[list[str]] = []  # open <li>s, innermost last (each a list of text pieces)

    def handle_starttag(self, tag, attrs):
        if tag == self.level:
            self._heading = ""
        elif tag == "li" and self._current is not None:
            self._items.append([])
        elif tag == "script":
            raise AssertionError("a <script> element was rendered")

    def handle_endtag(self, tag):
        if tag == self.level and self._heading is not None:
            self._current = self._heading.strip()
            self.order.append(self._current)
            self.sections[self._current] = []
            self._heading = None
        elif tag == "li" and self._items:
            self.sections[self._current].append("".join(self._items.pop()).strip())

    def handle_data(self, data):
        if self._heading is not None:
            self._heading += data
        if self._items:
            self._items[-1].append(data)


def sections(html: str, level: str = "h3") -> Sections:
    parser = Sections(level)
    parser.feed(html)
    return parser


@pytest.fixture
def grade():
    evidence = {"source": "004_db51e9162b39e910.txt", "line_start": 12, "line_end": 14, "text": "ReLU is max(0, x)"}
    wrong = {"claim": "ReLU is *always* 1 | 0", "correction": "ReLU is max(0, x)", "source_error": False,
             "how": "pattern", "confidence": 0.9, "evidence": evidence}
    return Grade(
        score=4.5, verdict="partial", feedback="", question="What is a ReLU?", question_id="relu",
        right=["It is an activation function"],
        missing=[f"It is cheap to compute {SCRIPT}", "Gradient 1 for x > 0"],
        wrong=[wrong, {**wrong, "claim": "ReLU is always 1 | 0."}],  # the same claim twice
        model_answer="ReLU(x) = max(0, x).\n\n1. cheap\n2. sparse",
        references=[Citation("004_db51e9162b39e910.txt:12", "004_db51e9162b39e910.txt", 12, 14, "What is ReLU?",
                             passage="ReLU is max(0, x)", flags=[{"verdict": "error", "reason": "wrong", "correction": "right"}])],
        steps=[Step("relevance", 0.9, "on topic"), Step("coverage", 0.33, "1 of 3 key points"),
               Step("misconceptions", 1.0, "1 stated"), Step("combined", 0.45, "capped by a misconception")],
    )


def test_card_sections_dedupe_and_labels(grade):
    card = grade_card(grade)
    assert [w.claim for w in card.wrong] == ["ReLU is *always* 1 | 0"]
    assert card.wrong[0].evidence[0].span() == "004_db51e9162b39e910.txt:12-14"
    assert verdict_label("no_attempt") == "No attempt" and verdict_label("off_topic") == "Off topic"


def test_web_card_has_one_heading_per_section_and_is_html_safe(grade):
    md = grade_md(grade)
    titles = ["What you got right", "What is missing", "What is wrong", "Model answer", "Citations"]
    positions = [md.index(f"#### {t}\n\n") for t in titles]
    assert positions == sorted(positions) and all(md.count(f"#### {t}") == 1 for t in titles)
    assert md.count("ReLU is &#42;always&#42; 1 &#124; 0") == 1  # each wrong claim once
    assert "Evidence: 004&#95;db51e9162b39e910.txt:12-14" in md
    assert "<details><summary>Why this score</summary><ul><li><b>relevance</b> 0.90: on topic</li>" in md
    assert all(f"<b>{s}</b>" in md for s in ("coverage", "misconceptions", "combined"))
    assert SCRIPT not in md and "&lt;script&gt;" in md
    assert "Partly correct" in md


def test_structured_feedback_is_not_repeated(grade):
    from coach.grading.feedback import build_feedback

    grade.feedback = build_feedback(grade)
    md = grade_md(grade)
    assert md.count("What is missing") == 1 and md.count("It is cheap to compute") == 1
    grade.feedback = "A hand-written note."
    assert "A hand-written note." in grade_md(grade) and "A hand-written note." in grade_markdown(grade)


def test_no_attempt_verdict():
    g = Grade(score=0.0, verdict="no_attempt", feedback="", notes=["empty answer"])
    assert "No attempt" in grade_md(g) and "No attempt" in grade_markdown(g) and "(No attempt)" in grade_text(g)


def test_exported_grade_renders_with_a_markdown_library(grade):
    text = grade_markdown(grade)
    assert "&#" not in text and "004_db51e9162b39e910.txt" in text
    html = render_markdown(text)
    found = sections(html)
    assert found.order == ["What you got right", "What is missing", "What is wrong", "Model answer",
                           "Why this score", "Citations"]
    assert found.sections["What you got right"] == ["✓ It is an activation function"]
    assert found.sections["What is missing"] == [f"It is cheap to compute {SCRIPT}", "Gradient 1 for x > 0"]
    wrong = found.sections["What is wrong"]  # inner items close first
    assert wrong[1].startswith("✗ ReLU is *always* 1 | 0 → ReLU is max(0, x)")
    assert wrong[0] == "evidence 004_db51e9162b39e910.txt:12-14: “ReLU is max(0, x)”" and len(wrong) == 2
    assert [s.split(" ")[0] for s in found.sections["Why this score"]] == ["relevance", "coverage", "misconceptions", "combined"]
    assert "&lt;script&gt;" in html  # shown as text, never as an element (the parser raises on <script>)
    assert "<ol>" not in html.split("Model answer")[1].split("Why this score")[0]  # "1. cheap" stays text


def test_md_inline_escapes_only_markdown():
    for raw in ["# not a heading", "1. not a list", "- not a list", "> not a quote", "*x* _y_ `z` [a](b) a|b",
                SCRIPT, "&lt; stays literal", "back\\slash", "004_db51e9162b39e910.txt"]:
        html = render_markdown(md_inline(raw))
        text = sections_text(html)
        assert text == raw, (raw, html)
        assert "&#" not in md_inline(raw)


def sections_text(html: str) -> str:
    out = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            assert tag == "p", html

        def handle_data(self, data):
            out.append(data)

    P(convert_charrefs=True).feed(html)
    return "".join(out).strip()


def test_session_export_markdown_reads_back(tmp_path):
    engine = SessionEngine(FakeCoach())
    t = engine.start(topics=["dl"], length=2, seed=2)
    engine.answer(t.session_id, "I do not know, <b>bold</b> *really*")
    engine.skip(t.session_id)
    text = session_markdown(engine, t.session_id)
    assert "&#" not in text
    html = render_markdown(text)
    found = sections(html, "h3")
    assert "What is missing" in found.order and "Model answer" in found.order and "Your answer" in found.order
    assert "<b>" not in html and "&lt;b&gt;bold&lt;/b&gt; *really*" in html
    assert "<h3>Session summary" in html


def test_judge_found_wrong_claims_say_who_judged_them(grade):
    """A claim the judgement model found wrong says so, with its confidence, in every renderer (it is a
    model's reading); a rubric's known misconception (no confidence) carries no such note."""
    grade.wrong[0].update(how="contradicts the reference <b>", confidence=0.934)
    card = grade_card(grade)
    assert card.wrong[0].basis == "judgement model: contradicts the reference <b>, 0.93"
    assert "(judgement model: contradicts the reference &lt;b&gt;, 0.93)" in grade_md(grade)
    assert "judgement model: contradicts the reference" in grade_markdown(grade)
    assert "(judgement model: contradicts the reference <b>, 0.93)" in grade_text(grade)
    from coach.grading.feedback import build_feedback

    assert "(judgement model: contradicts the reference <b>, 0.93)" in build_feedback(grade)
    pattern = {k: v for k, v in grade.wrong[0].items() if k != "confidence"}
    assert grade_card(Grade(score=1.0, verdict="incorrect", feedback="", wrong=[pattern])).wrong[0].basis == ""


def test_missing_key_points_the_answer_mentions_say_why_they_are_not_credited(grade):
    """Grade.unconfirmed: key points listed as missing although the answer mentions them (the credit gate closed):
    every renderer and the feedback text show them in a section of their own, apart from what is missing (a
    walkthrough read "What is missing" full of what it had said), with why once, HTML-safe."""
    from coach.grading.feedback import UNCONFIRMED_NOTE, UNCONFIRMED_TITLE, build_feedback

    grade.right, grade.unconfirmed = [], [f"It is cheap to compute {SCRIPT}"]
    found = sections(render_markdown(grade_markdown(grade)))
    assert found.sections["What is missing"] == ["Gradient 1 for x > 0"]
    assert found.sections[UNCONFIRMED_TITLE] == [f"It is cheap to compute {SCRIPT}"]
    md = grade_md(grade)
    assert md.count(UNCONFIRMED_NOTE) == 1 and SCRIPT not in md
    assert md.index("What is missing") < md.index(UNCONFIRMED_TITLE) < md.index("It is cheap to compute")
    text = grade_text(grade)
    assert f"{UNCONFIRMED_TITLE}:\n  ({UNCONFIRMED_NOTE})\n  ? It is cheap to compute {SCRIPT}" in text
    assert "What is missing:\n  - Gradient 1 for x > 0\n" in text
    text = build_feedback(grade)
    assert "What you got right" not in text and text.count(UNCONFIRMED_NOTE) == 1
    assert f"What is missing:\n- Gradient 1 for x > 0\n{UNCONFIRMED_TITLE} ({UNCONFIRMED_NOTE}):\n- It is cheap" in text
    assert grade.to_contract()["unconfirmed"] == grade.unconfirmed
    # a grade stored before the field existed reads back with none
    import json

    from coach.session.records import grade_from_json, grade_to_json

    assert grade_from_json(grade_to_json(grade)).unconfirmed == grade.unconfirmed
    stored = {k: v for k, v in json.loads(grade_to_json(grade)).items() if k != "unconfirmed"}
    assert grade_from_json(json.dumps(stored)).unconfirmed == []


def test_a_wrong_claim_is_shown_in_the_candidates_own_words_everywhere(grade):
    """A rubric misconception matched by a sentence of the answer: every front end quotes the sentence
    the candidate wrote ("said"), never the rubric's wording of the misconception ("claim")."""
    grade.wrong = [{"claim": "ReLU saturates for large inputs.", "said": "Honestly ReLU flattens out when x gets big",
                    "correction": "ReLU is linear for x > 0", "source_error": False}]
    for text in (grade_md(grade), grade_markdown(grade), grade_text(grade)):
        assert "Honestly ReLU flattens out when x gets big" in text and "saturates for large" not in text, text


def test_line_breaks_in_untrusted_text_never_start_a_markdown_block(grade):
    """A key point or a correction with line breaks (an edited rubric, a source) stays inside its list item
    in the web card: no heading, no code block, no rule of its own."""
    grade.missing = ["Cheap\n\nHACKED\n===", "Sparse\n\n    indented code"]
    grade.wrong = [{"claim": "x", "said": "x", "correction": "y\n# Heading", "source_error": False}]
    md = grade_md(grade)
    lines = md.split("\n")
    assert not any(ln.startswith(("HACKED", "===", "    indented", "# Heading")) for ln in lines), md
    assert any("Cheap" in ln and "HACKED" in ln for ln in lines)  # shown, on the item's own line


def test_an_ask_answer_marks_the_listed_passages_it_does_not_quote():
    """A walkthrough read an unreferenced "[2]" under an Ask answer as one of its sources: the passages retrieved
    beside the quoted one are marked as related, not quoted, in the UI and the terminal."""
    from coach.session.render import citation_text, citations_md, quoted_numbers

    cites = [Citation("a.md:3", "a.md", 3, 5, "What is DNS?", "DNS maps names."),
             Citation("b.md:9", "b.md", 9, 9, "What is TCP?", "TCP is reliable.")]
    quoted = quoted_numbers("DNS maps names to addresses. [1]")
    assert quoted == {1} and quoted_numbers("no reference at all") is None
    md = citations_md(cites, quoted=quoted).split("\n")
    assert "related, not quoted" not in md[0] and "related, not quoted" in md[1]
    assert "related, not quoted" not in citations_md(cites, quoted=None)  # an answer citing nothing: nothing marked
    assert citation_text(cites[1], 2, quoted=quoted).endswith("What is TCP? (related, not quoted)")
    assert "not quoted" not in citation_text(cites[0], 1, quoted=quoted)


CODE_ANSWER = ("Iterate over the file object.\n\n```python\ndef count_lines(path):\n    with open(path) as f:\n"
               "        for line in f:\n            yield line  # *not* [all]\n\n    return </code></pre><script>x</script>\n```\n\n"
               "Each line is read when the loop asks for it.")
CODE = CODE_ANSWER.split("```python\n")[1].split("\n```")[0]


def _pre_blocks(html_text: str) -> list[str]:
    import html as _html
    import re

    return [_html.unescape(b) for b in re.findall(r"<pre><code[^>]*>(.*?)</code></pre>", html_text, re.S)]


def test_a_code_block_shows_as_code_with_its_indentation_in_the_ui_and_the_markdown_export():
    """A walkthrough's model answer showed its code as one line with the fence marks ("```python def count_lines(path):
    with open(...) ..."): the UI draws a fenced block as <pre> with its lines and indentation, escaped; the Markdown
    export as a fenced block; prose around it stays prose."""
    from coach.session.markdown import md_block, md_quote
    from coach.session.render import safe_block

    ui = render_markdown("#### Model answer\n\n" + safe_block(CODE_ANSWER))
    assert _pre_blocks(ui) == [CODE], ui
    assert "```" not in ui and "<script>" not in ui.replace("<pre><code>", "")
    assert "Iterate over the file object." in ui and "Each line is read" in ui
    for md in (md_block(CODE_ANSWER), md_quote(CODE_ANSWER)):
        out = render_markdown(md)
        assert [b.rstrip("\n") for b in _pre_blocks(out)] == [CODE], out
        assert "<script>" not in out and "Each line is read" in out
    # a block holding a fence of its own keeps it as text: the export's fence is longer
    inner = "```js\nx = 1\n```"
    assert [b.rstrip("\n") for b in _pre_blocks(render_markdown(md_block("~~~~\n" + inner + "\n~~~~")))] == [inner]
    # no fence: the text as before (line breaks kept)
    assert safe_block("a\n\nb") == "a<br><br>b" and safe_block("") == ""


def test_anki_cards_show_code_with_its_indentation():
    from coach.session.export import _anki_html

    out = _anki_html(CODE_ANSWER)
    assert _pre_blocks(out) == [CODE] and "```" not in out and "<script>" not in out


def test_a_correction_of_a_flagged_line_is_not_quoted_as_that_lines_words():
    """A walkthrough's export quoted "DNS queries are normally sent over UDP port 53 ..." as line 60 of the source,
    which says port 35 (the key point was the reported correction of that line)."""
    from coach.grading.evidence import evidence_of
    from coach.session.markdown import grade_markdown

    fix = "DNS queries are normally sent over UDP port 53."
    cite = Citation("n.md:59", "n.md", 59, 60, "What happens during DNS resolution?",
                    passage="The client checks its cache.\nDNS queries are normally sent over UDP port 35.",
                    flags=[{"verdict": "error", "correction": fix}], answer_lines=[59, 60])
    ev = evidence_of(cite, fix)
    assert ev["corrects"] and ev["line_start"] == 60
    plain = evidence_of(cite, "The client checks its cache.")  # the line's own words: quoted as before
    assert "corrects" not in plain and plain["line_start"] == 59
    g = Grade(score=2.0, verdict="incorrect", feedback="", question="What happens during DNS resolution?",
              wrong=[{"claim": "DNS uses port 35.", "said": "DNS uses port 35.", "correction": fix, "evidence": ev}])
    for out in (grade_markdown(g), grade_text(g), grade_md(g)):
        assert "a correction of n.md:60, which the source states wrongly (flagged)" in out, out
        assert f"“{fix}”" not in out.split("a correction of", 1)[1], out


def test_the_export_keeps_a_citations_lines_and_lists_an_asks_citations():
    """A walkthrough's export: a cited passage's list was one line ("\\- 1xx: informational \\- 2xx ..."), "redirects.(a
    cited source states this error too" lost its space, and an Ask answer ended with "[1]" and no citation under it."""
    from coach.session.markdown import citation_markdown

    cite = Citation("s.md:3", "s.md", 3, 6, "What do status codes mean?",
                    passage="Status codes are grouped:\n- 1xx: informational\n- 2xx: success\n\n```bash\ncurl -I x\n```")
    html = render_markdown(citation_markdown(cite, 1))
    assert "1xx: informational<br" in html and "<pre><code" in html and "curl -I x" in html, html
    # a cited table is a table (its rows were lines of escaped bars: a walkthrough), a bar in a cell kept as text
    cite = Citation("s.md:3", "s.md", 3, 6, "Parquet or CSV?",
                    passage="Compare them:\n| Property | Parquet | CSV |\n|---|---|---|\n| Layout | Columnar | a \\| b |")
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(citation_markdown(cite, 1))  # GitHub's tables
    assert "<table>" in html and "<td>Columnar</td>" in html and "<td>a | b</td>" in html and "\\|" not in html, html
    g = Grade(score=2.0, verdict="incorrect", feedback="", question="q",
              wrong=[{"claim": "301 is temporary.", "said": "301 is temporary.", "correction": "301 is permanent.",
                      "source_error": True}])
    assert "301 is permanent. (a cited source states this error too)" in grade_markdown(g)
    engine = SessionEngine(FakeCoach())
    sid = engine.start(topics=["dl"], length=1, seed=2).session_id
    "".join(engine.ask("What is overfitting?", sid).stream)
    text = session_markdown(engine, sid)
    asked = text.split("## You asked", 1)[1]
    assert "a.txt:3-5 (What is overfitting?)" in asked and "   > Fitting noise." in asked, asked
    assert "_cited passage flagged: check it_" in asked


def test_notes_read_as_sentences_and_a_related_citation_is_marked_in_html():
    """A walkthrough read "... each was graded once.; The answer is very long ..." and a citation summary ending in a
    literal "_(related, not quoted)_" (Markdown inside the <summary> HTML is not rendered)."""
    from coach.session.render import citation_md

    g = Grade(score=3.0, verdict="partial", feedback="", question="q",
              notes=["The answer repeats sentences word for word (3 repeats); each was graded once.",
                     "The answer is very long; only its first 6,000 characters were graded."])
    for out in (grade_md(g), grade_markdown(g)):
        assert ".;" not in out and "graded once. The answer is very long" in out, out
    cite = Citation("b.md:9", "b.md", 9, 9, "What is TCP?", "TCP is reliable.")
    assert "<i>(related, not quoted)</i>" in citation_md(cite, 2, quoted={1}) and "_(" not in citation_md(cite, 2, quoted={1})


def test_a_table_in_cited_or_revealed_text_is_shown_as_a_table_with_escaped_cells():
    """A walkthrough's cited notes showed their Markdown table as escaped bars ("&#124; Strategy &#124; Write latency
    &#124; ..."): a table is an HTML table, each cell escaped like any source text."""
    from html.parser import HTMLParser

    from markdown_it import MarkdownIt

    from coach.session.render import safe_block

    text = ("Three strategies:\n\n| Strategy | Write latency |\n|---|---|\n| Write-through | high <b>[x](javascript:1)</b> |\n"
            "| Write-back | low |")
    html_out = MarkdownIt("commonmark").render("<details><summary>[1]</summary>" + safe_block(text) + "</details>")

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.cells, self._in = [], [], None

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            if tag in ("th", "td"):
                self._in = tag
                self.cells.append((tag, ""))

        def handle_endtag(self, tag):
            self._in = None if tag in ("th", "td") else self._in

        def handle_data(self, data):
            if self._in:
                self.cells[-1] = (self.cells[-1][0], self.cells[-1][1] + data)

    parsed = Cells()
    parsed.feed(html_out)
    assert parsed.cells == [("th", "Strategy"), ("th", "Write latency"), ("td", "Write-through"),
                            ("td", "high <b>[x](javascript:1)</b>"), ("td", "Write-back"), ("td", "low")], html_out
    assert "b" not in parsed.tags and "a" not in parsed.tags
    # two lines with bars and no delimiter row are no table (a review)
    assert "<table>" not in safe_block("|x| is the absolute value of x.\n|y| is the absolute value of y.")
