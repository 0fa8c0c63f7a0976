"""Main-content text of an HTML page, as lines (headings as ``#``, list items as ``- ``, rows with ``|``).

Parsed with lxml (never regexes on HTML). Dropped: scripts, styles, templates, forms, iframes, SVG,
navigation, page headers/footers, asides, hidden elements, and containers whose class/id says what they
are (nav, menu, sidebar, footer, cookie, share, comments, related, newsletter, advert). The main content is
``<main>``, else the ``<article>`` with the most text, else ``<body>``. The tree is walked iteratively
(``lxml.etree.iterwalk``), so deeply nested pages cannot exhaust Python's recursion limit; libxml2 itself
keeps at most 2048 levels of nesting (``huge_tree``), deeper text is lost and such a page is skipped.

Line numbers: ``html_to_lines_with_spans`` maps each extracted line to the HTML file line where its
text starts (lxml's ``sourceline``), so records cite the original file. Simplified on purpose: a text
that continues after an inline element is attributed to that element's line; inline markup is
flattened to its text; tables become ``a | b`` rows.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

DROP_TAGS = {
    "script", "style", "noscript", "template", "form", "iframe", "svg", "math", "canvas", "object", "embed",
    "button", "input", "select", "textarea", "nav", "footer", "aside", "head", "title", "meta", "link", "dialog",
}
BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "header", "blockquote", "figure", "figcaption", "ul", "ol", "dl",
    "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "hr", "address", "details", "summary", "body", "html",
    "button",  # only an accordion's toggle is left in the page (``_toggle``): its question is a line of its own
}
_NOISE = re.compile(r"(^|[\s_-])(nav|navbar|menu|sidebar|footer|breadcrumbs?|cookie|share|social|comments?|related"
                    r"|newsletter|subscribe|advert|ads?|promo|banner|popup|modal|author)($|[\s_-])", re.IGNORECASE)
_NOISE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog"}
_WS = re.compile(r"[ \t\r\n\f\v]+")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_POWER_BASE = re.compile(r"(?:^|[^\w.])(?:\d+|[A-Za-z])\)?$")  # what a superscript raises: a number or one letter


# a <summary> that asks a question (it ends with "?", or opens with a number or a question word)
_SUMMARY_QUESTION = re.compile(r"\?\s*$|^(?:Q?\d{1,3}[.):]\s*)?(?:what|why|how|when|which|who|where|explain|describe|"
                               r"define|compare|can|could|should|would|is|are|do|does|did|name|list|give)\b", re.I)
# what makes a button an accordion's toggle: it names the panel it opens, or says whether that panel is open
_TOGGLE_ATTRS = ("aria-controls", "aria-expanded", "data-target", "data-bs-target", "data-toggle", "data-bs-toggle")
# a collapsed panel of an accordion, by its class or id ("accordion-panel", "collapse", "faq-answer")
_PANEL = re.compile(r"(^|[\s_-])(accordion|collapse|collapsible|faq|answer)($|[\s_-])", re.IGNORECASE)


_ASKS = re.compile(r"^\s*(?:(?:q(?:uestion)?\s*)?\d{1,4}\s*[.):]|(?:what|why|how|when|where|which|who|is|are|can|"
                   r"does|do|should|explain|describe|define|compare|name|list)\b)", re.I)


def _toggle(el) -> bool:
    """A button that opens and closes a panel with a question on it (an FAQ accordion's): its text is the page's, not a
    control's. A "Read more" or "Show answer" toggle is still a control (its panel is kept all the same)."""
    if el.tag != "button" or not any(el.get(a) is not None for a in _TOGGLE_ATTRS):
        return False
    text = el.text_content().strip()
    return text.endswith("?") or bool(_ASKS.match(text))


def _panels(root) -> set[str]:
    """The ids of the panels the page's toggles open: ``aria-controls`` (one or more ids), ``data-(bs-)target`` or a
    ``#id`` link."""
    out = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        out |= set((el.get("aria-controls") or "").split())
        for name in ("data-target", "data-bs-target", "href"):
            value = (el.get(name) or "").strip()
            if value.startswith("#") and len(value) > 1 and (name != "href" or _toggle(el) or el.get("data-toggle")
                                                             or el.get("data-bs-toggle")):
                out.add(value[1:])
    return out


def _is_noise(el, panels: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether an element is page chrome. ``panels``: ids of the panels the page's toggles open (``_panels``): an
    accordion's answers are hidden until clicked, so a hidden panel that a toggle opens, or whose class says it is
    one, is content, and so is the toggle (a button with ``aria-controls``, ``aria-expanded`` or a ``data-target``)."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in DROP_TAGS and not _toggle(el):
        return True
    if tag == "header" and not _inside(el, {"article", "main"}):
        return True
    get = el.get
    if (get("role") or "") in _NOISE_ROLES:
        return True
    style = (get("style") or "").replace(" ", "").lower()
    hidden = (get("hidden") is not None or (get("aria-hidden") or "").lower() == "true"
              or "display:none" in style or "visibility:hidden" in style)
    marks = f"{get('class') or ''} {get('id') or ''}"
    # (by its class only a block: an icon such as <span class="faq-icon" aria-hidden="true">+</span> stays out)
    if hidden and not ((get("id") or "") in panels or (tag in BLOCK_TAGS and _PANEL.search(marks))):
        return True
    return bool(_NOISE.search(marks)) and tag not in ("main", "article", "body", "html")


def _inside(el, tags: set[str]) -> bool:
    p = el.getparent()
    while p is not None:
        if p.tag in tags:
            return True
        p = p.getparent()
    return False


def _pick_main(root):
    main = root.find(".//main")
    if main is not None:
        return main
    articles = root.findall(".//article")
    if articles:
        return max(articles, key=lambda a: len(a.text_content()))
    body = root.find(".//body")
    return body if body is not None else root


# how highlighters name a code block's language: class="language-yaml" / "lang-yaml" (Prism, highlight.js, GitHub),
# "brush: yaml" (SyntaxHighlighter), "highlight-source-yaml"; or data-lang / data-language
_LANG_CLASS = re.compile(r"(?:^|\s)(?:language-|lang-|highlight-source-|brush:\s*)([A-Za-z][\w+#.-]*)")


def _pre_language(pre) -> str:
    """The language a ``<pre>`` block (or the ``<code>`` inside it) is marked with, "" when none: a fence without it
    read a page's Dockerfile and YAML as Python (13 false "major" syntax errors, a walkthrough)."""
    for el in (pre, *pre.iterchildren("code")):
        for name in ("data-lang", "data-language"):
            value = (el.get(name) or "").strip()
            if re.fullmatch(r"[A-Za-z][\w+#.-]*", value):
                return value.lower()
        m = _LANG_CLASS.search(el.get("class") or "")
        if m:
            return m.group(1).lower()
    return ""


def html_to_lines(text: str) -> list[str]:
    """Extract the main content of an HTML document as text lines."""
    return html_to_lines_with_spans(text)[0]


# dropped elements that hold no page text a reader sees: not counted as boilerplate removed
_INVISIBLE = {"script", "style", "noscript", "template", "head", "title", "meta", "link", "svg", "math", "canvas",
              "object", "embed", "iframe"}


def _chrome_kind(el) -> str:
    """What a dropped element with visible text was, for the boilerplate counts ``coach index status`` shows."""
    tag = el.tag if isinstance(el.tag, str) else ""
    role = (el.get("role") or "").lower()
    marks = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    if tag == "nav" or role == "navigation" or any(w in marks for w in ("nav", "menu", "breadcrumb")):
        return "navigation"
    if tag == "footer" or role == "contentinfo" or "footer" in marks:
        return "footer"
    if tag == "header" or role == "banner":
        return "header"
    return "page_chrome"  # asides, forms, cookie banners, share bars, comments, adverts, hidden elements


def html_to_lines_with_spans(text: str) -> tuple[list[str], list[int], list[int], dict[str, int]]:
    """Main-content lines; for each, the 1-based line of the HTML file its text starts on (lxml's
    ``sourceline`` of the element that opened the line; a tail counts from its element) and the line it ends
    on (a paragraph written over several lines of the file is cited over all of them); and the page chrome
    dropped (category -> elements with visible text: navigation, footer, header, page_chrome)."""
    # lxml counts "\n" only: a file with old-Mac "\r" line ends would be one long line 1 (every record there)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    decl = _XML_DECL.match(text)
    offset = decl.group(0).count("\n") if decl else 0  # lines the stripped declaration took
    text = _XML_DECL.sub("", text)
    if not text.strip():
        return [], [], [], {}
    root = lxml_html.document_fromstring(text, parser=lxml_html.HTMLParser(remove_comments=True,
                                                                          remove_pis=True, recover=True, huge_tree=True))
    panels = _panels(root)
    noise = [el for el in root.iter() if not isinstance(el.tag, str) or _is_noise(el, panels)]
    dropped: dict[str, int] = {}
    for el in noise:
        if el.getparent() is not None:
            # counted once (an element inside a dropped one goes with it), when it held visible text
            if isinstance(el.tag, str) and el.tag not in _INVISIBLE and el.text_content().strip():
                kind = _chrome_kind(el)
                dropped[kind] = dropped.get(kind, 0) + 1
            el.drop_tree()  # keeps the element's tail text
    main = _pick_main(root)
    out: list[str] = []
    src: list[int] = []  # src[i]: HTML line where out[i] starts
    ends: list[int] = []  # ends[i]: HTML line where out[i] ends
    parts: list[str] = []
    prefix = [""]
    pre_depth = 0
    start = [1]  # HTML line of the first text in ``parts``
    end = [1]  # HTML line of the last text in ``parts``

    def add(piece: str, line: int | None) -> None:
        if piece.strip():
            at = (line or start[0]) + offset
            if not "".join(parts).strip():
                start[0] = at
                end[0] = at
            # the piece's own line breaks, up to its last visible character (a tail's line is its
            # element's first line: simplified, an element written over several lines ends earlier here)
            end[0] = max(end[0], at + piece.rstrip().count("\n"))
        parts.append(piece)

    def emit(line: str, at: int, last: int | None = None) -> None:
        out.append(line)
        src.append(max(1, at))
        ends.append(max(1, at, last or at))

    def flush():
        line = "".join(parts)
        parts.clear()
        if pre_depth:
            for k, piece in enumerate(line.split("\n")):
                emit(piece, start[0] + k)
            return
        line = _WS.sub(" ", line).strip()
        if line:
            emit(prefix[0] + line, start[0], end[0])
        prefix[0] = ""

    for event, el in etree.iterwalk(main, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag == "pre":
                flush()
                if pre_depth == 0:  # a fence: pre-formatted text stays verbatim code, with its language when the page
                    emit("```" + _pre_language(el), (el.sourceline or start[0]) + offset)  # names it
                pre_depth += 1
            elif tag in BLOCK_TAGS or tag in ("li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "td", "th"):
                if tag in ("td", "th"):
                    if pre_depth == 0:
                        parts.append(" | " if "".join(parts).strip() else "| ")  # rows read "| a | b |"
                elif tag == "br" and pre_depth:
                    parts.append("\n")
                elif pre_depth == 0:
                    flush()
                if tag == "li":
                    prefix[0] = "- "
                elif tag == "button":  # an accordion's toggle (the only button left): the question of its panel,
                    prefix[0] = "### "  # a heading as a <summary> holding an <h3> is (a walkthrough's page mixed both)
                elif tag == "summary" and _SUMMARY_QUESTION.search(" ".join("".join(el.itertext()).split())):
                    # a <details> accordion's question: a heading (a walkthrough's AWS page of 14 "<summary>What is
                    # ...?</summary>" gave no question at all); a "Show answer" summary stays a line
                    prefix[0] = "### "
                elif tag.startswith("h") and len(tag) == 2 and tag[1].isdigit():
                    prefix[0] = "#" * int(tag[1]) + " "
            if tag == "sup" and pre_depth == 0 and _POWER_BASE.search("".join(parts)):
                parts.append("^")  # "10<sup>18</sup>", "n<sup>2</sup>": a power, not "1018" (a footnote mark follows a word)
            if el.text:
                add(el.text, el.sourceline)
        else:
            if tag == "pre":
                flush()
                pre_depth -= 1
                if pre_depth == 0:
                    while out and out[-1] == "" and not out[-2].startswith("```"):  # "</code></pre>" on a line of its
                        out.pop(), src.pop(), ends.pop()  # own: no blank last line in the block
                    emit("```", src[-1] if src else start[0])
            elif tag in BLOCK_TAGS or tag in ("li", "h1", "h2", "h3", "h4", "h5", "h6"):
                if pre_depth == 0:
                    if tag == "tr" and "".join(parts).strip():
                        parts.append(" |")
                    flush()
            if el.tail and el is not main:
                add(el.tail, el.sourceline)
    flush()
    return out, src, ends, dropped
