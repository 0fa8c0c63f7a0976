"""Hostile and random input never crashes the parser (hypothesis), and stays fast on huge lines."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import parse_batch
from corpus.text import split_lines

LINES = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", "1. What is X?", "Q2. Why?", "### 3. Explain Y.", "- What is Z?", "Describe W.",
                     "Table of contents", "About the Author", "```", "model = f(", "  • item", "| a | b |", "\x00",
                     "Did you know?", "‚Äô‚Äú", "Ã©â€™", "\u2028", "\x0c", "\r", "<script>x</script>"]),
)
DOCS = st.lists(LINES, max_size=40).map("\n".join)


def _parse(name: str, data: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        batch = parse_batch([path])
    assert len(batch.sources) + len(batch.skipped) == 1
    assert not any("parser error" in s.reason for s in batch.skipped), batch.skipped  # skips are for bad files only
    for ps in batch.sources:
        n = len(split_lines(data.decode("utf-8", errors="replace"))) if name.endswith((".txt", ".md")) else None
        ids = [r.id for r in ps.records]
        assert len(ids) == len(set(ids))
        for r in ps.records:
            assert len(r.answer.splitlines()) == len(r.answer_lines)
            assert r.id.split("#")[0] == f"{r.source}:{r.line_start}" and r.line_start <= r.line_end  # "#2": 2nd on a line
            assert n is None or r.line_end <= max(n, 1)
            assert "\x00" not in r.question + r.answer
    return batch


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=DOCS, suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_random_text_never_crashes(doc, suffix):
    _parse("doc" + suffix, doc.encode("utf-8", errors="surrogatepass"))


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".txt", ".html", ".pdf"]))
def test_random_bytes_never_crash(data, suffix):
    _parse("blob" + suffix, data)


@settings(max_examples=15, deadline=None)
@given(depth=st.integers(min_value=1, max_value=20_000), tag=st.sampled_from(["div", "li", "pre", "table", "b"]))
def test_deep_html_never_crashes(depth, tag):
    html = "<html><body>" + f"<{tag}>" * depth
    html += "1. What is deep?</p><p>Very deep." + f"</{tag}>" * depth + "</body></html>"
    _parse("deep.html", html.encode())


@pytest.mark.timeout(120)  # a hang guard (catastrophic regex backtracking), not a speed target: that is `coach bench`
def test_huge_lines_and_nul_bytes_are_handled():
    huge = "x" * 2_000_000
    doc = f"1. What is a huge line?\n{huge}\n2. What is next?\n" + "? " * 200_000 + "\nshort\x00answer\n"
    batch = _parse("huge.txt", doc.encode())
    records = batch.sources[0].records
    assert [r.line_start for r in records] == [1, 3]
    assert records[1].answer.endswith("short answer")


def test_a_minified_page_and_old_mac_line_ends_give_every_record_its_own_id(tmp_path):
    """Every question of a one-line (minified) page maps to line 1 of the file: they all got the id
    "page.html:1", and `coach index add` of the folder failed on duplicate ids. A page with "\\r" line ends read
    as one line to lxml, the same way."""
    body = ("<html><body><main><h2>1. What is overfitting?</h2><p>Overfitting is learning noise.</p>"
            "<h2>2. What is dropout?</h2><p>Dropout zeroes activations.</p></main></body></html>")
    (tmp_path / "minified.html").write_text(body + "\n", encoding="utf-8")
    (tmp_path / "mac.html").write_bytes(body.replace("<h2>", "\r<h2>").replace("<p>", "\r<p>").encode())
    by = {ps.source: ps for ps in parse_batch([tmp_path / "minified.html", tmp_path / "mac.html"]).sources}
    mini, mac = by["minified.html"], by["mac.html"]
    assert [r.id for r in mini.records] == ["minified.html:1", "minified.html:1#2"]
    assert [r.line_start for r in mini.records] == [1, 1]
    assert [(r.id, r.line_start, r.line_end) for r in mac.records] == [("mac.html:2", 2, 3), ("mac.html:4", 4, 5)]
