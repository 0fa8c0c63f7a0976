"""Source titles from their content, and the audit report grouped by source with each correction once."""

from __future__ import annotations

import pytest

from html.parser import HTMLParser

from coach.audit.report import render_report, render_report_html
from coach.audit.types import Flag
from corpus.pipeline import parse_file
from corpus.title import document_title


def test_document_title_prefers_a_heading_then_the_first_kept_line():
    lines = ["• Articles", "", "## Deep Learning *Interview* Questions", "1. What is a ReLU?", "max(0, x)"]
    assert document_title(lines, removed={0}, first_question=3) == "Deep Learning *Interview* Questions"
    assert document_title(["• Nav", "Top 30 Questions", "Q1?"], removed={0}, first_question=2) == "Top 30 Questions"
    assert document_title(["What is X?", "X is y."], removed=set(), first_question=0) == ""


def test_bundled_sources_have_titles(bundled_dir):
    titles = {p.name: parse_file(p).title for p in sorted(bundled_dir.glob("*.txt"))}
    assert titles["002_8b468431436e823b.txt"] == "Top 30 Deep Learning Interview Questions and Answers"
    assert titles["000_89ca2624adfbc5ce.txt"] == "Deep Learning Interview Questions"  # nav lines are not titles
    assert all(titles.values())


def _flag(line, quote, correction, evidence=()):
    return Flag(source="000_x.txt", line_start=line, line_end=line, quote=quote, verdict="error", kind="factual",
                reason="Overfitting is not a search for valid information in the data.", correction=correction,
                evidence=list(evidence), check="knowledge")


FIX = "Overfitting is fitting noise: low training error, high test error."


def flags():
    ev = [{"type": "knowledge", "text": FIX},  # repeats the correction
          {"type": "source", "text": "It <script>hunts</script> data.", "source": "000_x.txt", "line_start": 5},  # the quote
          {"type": "source", "text": "cross_source: b.txt repeats it. Overfitting is not a search for valid information in the data."},
          {"type": "source", "text": "Another source says the same thing.", "source": "001_y.txt", "line_start": 9}]
    return [_flag(5, "It <script>hunts</script> data.", FIX, ev), _flag(7, "It hunts again.", FIX, ev[:1]),
            Flag(source="001_y.txt", line_start=2, line_end=3, quote="q", verdict="suspect", kind="code", reason="r",
                 correction="c", check="code")]


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_audit_report_html_is_grouped_collapsible_and_says_each_correction_once():
    report = render_report_html(flags(), {"000_x.txt": "Deep Learning Q&A"})
    parser = Tags()
    parser.feed(report)
    text = "".join(parser.text)
    assert parser.tags.count("details") == 2 and "script" not in parser.tags and "open" not in report
    assert "Deep Learning Q&A (000_x.txt): 2 flags" in text and "001_y.txt: 1 flag" in text
    assert text.count(FIX) == 1 and "Correction: same as line 5" in text
    assert "Another source says the same thing." in text and "cross_source" not in text
    assert not any(t.lstrip().startswith(">") for t in parser.text)  # no literal blockquote markers
    md = render_report(flags(), titles={"000_x.txt": "Deep Learning Q&A"})
    assert md.count("Overfitting is fitting noise") == 1 and "## Deep Learning Q&amp;A (000\\_x.txt) (2)" in md


def test_index_stores_titles_and_the_coach_reads_old_indexes_from_the_file(bundled_dir, monkeypatch):
    from coach.service import Coach
    from corpus.records import ParsedSource
    from index.core import _source_infos

    assert _source_infos([ParsedSource("n.txt", "/n.txt", "s", [], title="Notes")])["n.txt"]["title"] == "Notes"
    coach = Coach()
    path = bundled_dir / "002_8b468431436e823b.txt"
    rows = [{"source": path.name, "path": str(path), "sha256": "old-index"},  # indexed before titles were stored
            {"source": "new.txt", "title": "New notes", "path": "/gone/new.txt"},
            {"source": "gone.txt", "path": "/gone/gone.txt", "sha256": "x"}]
    class Index:  # the manifest only: titles never run the audit or load a model (sources() would)
        def exists(self):
            return True

        def status(self):
            return {"sources": rows}

    monkeypatch.setattr(coach, "_index", Index())
    monkeypatch.setattr(coach, "sources", lambda: pytest.fail("titles must not run the audit"))
    assert coach.source_titles() == {path.name: "Top 30 Deep Learning Interview Questions and Answers", "new.txt": "New notes"}


def test_audit_report_html_keeps_a_multi_line_quote_inert_through_markdown():
    """A security review uploaded a code block ("if ready:", a blank line, then a line holding a Markdown image and
    links): the code check quoted all its lines, the blank line ended the HTML block, and the Sources tab (Markdown)
    showed a live tracking image and a clickable link. Every line of a quote stays text inside its block."""
    from markdown_it import MarkdownIt

    quote = ("if ready:\n\nstart()  # ![tracker](http://127.0.0.1:8999/pixel.png) [Click here](http://attacker.example/x)"
             " [js](javascript:alert(1)) <img src=x onerror=alert(1)> **bold** 'q' \"dq\" &amp;")
    flag = Flag(source="evil.md", line_start=3, line_end=5, quote=quote, verdict="error", kind="syntax", reason="r",
                correction="Fix [it](http://attacker.example/fix)", check="code")
    report = render_report_html([flag], {"evil.md": "Evil ![t](http://x/t.png)"})
    assert "\n\n" not in report.strip()
    rendered = MarkdownIt("commonmark").render(report)
    parser = Tags()
    parser.feed(rendered)
    assert not {"img", "a", "strong", "script"} & set(parser.tags), parser.tags
    text = "".join(parser.text)
    assert "![tracker](http://127.0.0.1:8999/pixel.png)" in text and "<img src=x onerror=alert(1)>" in text
    assert "**bold** 'q' \"dq\" &amp;" in text and "Fix [it](http://attacker.example/fix)" in text
