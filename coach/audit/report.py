"""The audit report, grouped by source: Markdown for files (``render_report``), HTML with one
collapsible section per source for the web UI (``render_report_html``). Every string from a source is
escaped. Each flag shows its correction once: evidence that only repeats the correction, the flagged
quote or the reason is left out, and a correction already shown for an earlier flag of the same
source reads "same correction as lines N".

Sources and flag texts are untrusted: HTML special characters are entity-escaped and Markdown syntax
characters backslash-escaped, so a quote containing ``<script>`` or ``[link](javascript:...)`` renders
as text in any Markdown/HTML viewer.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from pathlib import Path

from coach.audit.types import Flag

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def esc(text) -> str:
    """Escape for Markdown rendered to HTML.

    ``& < >`` become entities (no raw HTML, so no ``<script>``), and the Markdown characters that start
    emphasis, code, links, headings or tables are backslash-escaped (``[`` escaped means no link syntax).
    Newlines become ``<br>`` so a multi-line quote stays inside its block.
    """
    s = html.escape(str(text), quote=False)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return s.replace("\r", "").replace("\n", "<br>")


_HTML_MD_ENTITIES = {c: f"&#{ord(c)};" for c in "\\`*_[]|~#$!{}()&<>\"'"}


def esc_html(text) -> str:
    """Escape for an HTML block shown through Markdown (the web UI's report): ``& < > "`` and the Markdown characters
    as entities (backslashes are not read inside HTML), and newlines as ``<br>``: a blank line inside a multi-line
    quote ended the HTML block, and the rest of a source's code block was rendered as Markdown (a security review's
    upload showed a live tracking image and a link in the Sources tab)."""
    s = "".join(_HTML_MD_ENTITIES.get(c, c) for c in str(text if text is not None else ""))
    return s.replace("\r", "").replace("\n", "<br>")


def _norm(text) -> str:
    return " ".join(re.findall(r"\w+", str(text or "").casefold()))


def evidence_to_show(flag: Flag) -> list[dict]:
    """The evidence that adds something: not a repeat of the correction, the quote or the reason."""
    said = [_norm(t) for t in (flag.correction, flag.quote, flag.reason) if _norm(t)]
    out, seen = [], set()
    for e in flag.evidence:
        text = _norm(e.get("text"))
        if not text or text in seen or any(text == s or (len(s) > 20 and s in text) for s in said):
            continue
        seen.add(text)
        out.append(e)
    return out


def _span(f: Flag) -> str:
    return f"line {f.line_start}" if f.line_start == f.line_end else f"lines {f.line_start}–{f.line_end}"


def _by_source(flags: list[Flag]) -> dict[str, list[Flag]]:
    by_source: dict[str, list[Flag]] = defaultdict(list)
    for f in flags:
        by_source[f.source].append(f)
    return {s: sorted(fl, key=lambda f: (f.line_start, f.line_end)) for s, fl in sorted(by_source.items())}


def _corrections(flags: list[Flag]) -> list[str | None]:
    """Per flag: its correction, or None when an earlier flag of the source showed the same one."""
    first: dict[str, Flag] = {}
    out = []
    for f in flags:
        key = _norm(f.correction)
        out.append(None if key and key in first else f.correction)
        first.setdefault(key, f)
    return out


def _first_with(flags: list[Flag], correction: str) -> Flag:
    return next(f for f in flags if _norm(f.correction) == _norm(correction))


def render_report_html(flags: list[Flag], titles: dict[str, str] | None = None, audited: list[str] | None = None,
                       notes: list[str] | None = None) -> str:
    """The report for the web UI: a line of totals, what was not verified (``notes``), then one collapsed
    ``<details>`` per source. ``audited``: the names of the sources audited, flagged or not."""
    by_source = _by_source(flags)
    n_err = sum(f.verdict == "error" for f in flags)
    e = esc_html
    out = [f"<p>{e(_totals(flags, by_source, n_err, audited))}</p>"]
    if notes:
        out.append("<p>Not verified:</p><ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    for source, fl in by_source.items():
        title = (titles or {}).get(source)
        name = f"<b>{e(title)}</b> ({e(source)})" if title else f"<b>{e(source)}</b>"
        items = []
        for f, correction in zip(fl, _corrections(fl)):
            fix = (f"Correction: {e(correction)}" if correction is not None
                   else f"Correction: same as {e(_span(_first_with(fl, f.correction)))}")
            ev = "".join(f"<br><small>Evidence ({e(x.get('type', ''))}{_where_html(x, titles, e)}): {e(x.get('text', ''))}</small>"
                         for x in evidence_to_show(f))
            items.append(f"<li><b>{e(_span(f))}</b> · {e(f.verdict)} ({e(f.severity)}, {e(f.kind)}): "
                         f"<q>{e(f.quote)}</q><br>Why: {e(f.reason)}<br>{fix}{ev}</li>")
        out.append(f"<details><summary>{name}: {len(fl)} flag{'s' if len(fl) != 1 else ''}</summary><ul>{''.join(items)}</ul></details>")
    return "\n".join(out) + "\n"


def _where_html(x: dict, titles, e) -> str:
    if not x.get("source"):
        return ""
    title = (titles or {}).get(x["source"])
    where = f", {e(title)} · {e(x['source'])}" if title else f", {e(x['source'])}"
    return where + (f", line {e(x['line_start'])}" if x.get("line_start") else "")


NAMED_CLEAN_MAX = 20  # sources named in the totals line, at most, flagged ones and those with no flag each


def _plural(n: int, word: str) -> str:
    return f"{n} {word if n == 1 else word + 's'}"


def _names(sources: list[str]) -> str:
    """Up to ``NAMED_CLEAN_MAX`` source names, then how many more."""
    more = f" and {len(sources) - NAMED_CLEAN_MAX} more" if len(sources) > NAMED_CLEAN_MAX else ""
    return ", ".join(sources[:NAMED_CLEAN_MAX]) + more


def _totals(flags: list[Flag], by_source: dict, n_err: int, audited: list[str] | None) -> str:
    """ "2 flagged claims in 1 of 3 audited sources (1 error, 1 suspect). Flags in: a.md. No flags in: b.md, c.md."
    (without ``audited``: "in 1 source"; no flag at all: "... Audited: a.md, b.md."). The sources with no flag are
    named (a user walkthrough could not tell from a six-source report whether its own source had been audited), apart
    from the flagged ones (a walkthrough read "...: asyncio_notes.txt, react_faq.html. No flags in: react_faq.html." as
    naming react_faq.html flagged and clean at once)."""
    where = (f"{len(by_source)} of {_plural(len(audited), 'audited source')}" if audited is not None
             else _plural(len(by_source), "source"))
    counts = f"({_plural(n_err, 'error')}, {len(flags) - n_err} suspect)"
    head = f"{_plural(len(flags), 'flagged claim')} in {where} {counts}."
    if not flags:
        return head + (f" Audited: {', '.join(audited)}." if audited is not None and 0 < len(audited) <= 5 else "")
    clean = [s for s in audited or [] if s not in by_source]
    return head + f" Flags in: {_names(list(by_source))}." + (f" No flags in: {_names(clean)}." if clean else "")


def render_report(flags: list[Flag], title: str = "Source audit", titles: dict[str, str] | None = None,
                  audited: list[str] | None = None, notes: list[str] | None = None) -> str:
    """The Markdown report: totals, what was not verified (``notes``), then the flags by source. ``audited``: the
    names of the sources audited, flagged or not (so "0 flagged claims" says how many sources that is)."""
    by_source = _by_source(flags)
    n_err = sum(f.verdict == "error" for f in flags)
    out = [f"# {esc(title)}", "", esc(_totals(flags, by_source, n_err, audited)), ""]
    if notes:
        # the notes are the code's own sentences, written as Markdown (`coach eval audit-fit` as code): only HTML is
        # escaped (a walkthrough read the backslashes of an escaped `trusted` in the file)
        out += ["Not verified:", "", *[f"- {html.escape(n, quote=False)}" for n in notes], ""]
    for source, fl in by_source.items():
        name = f"{titles[source]} ({source})" if (titles or {}).get(source) else source
        out += [f"## {esc(name)} ({len(fl)})", ""]
        for f, correction in zip(fl, _corrections(fl)):
            out.append(f"### {esc(_span(f))}: {esc(f.verdict)} ({esc(f.severity)}, {esc(f.kind)}, check {esc(f.check)})")
            out.append("")
            out.append("> " + esc(f.quote))
            out.append("")
            out.append(f"- **Why:** {esc(f.reason)}")
            if correction is not None:
                out.append(f"- **Correction:** {esc(correction)}")
            else:
                out.append(f"- **Correction:** same as {esc(_span(_first_with(fl, f.correction)))}")
            for e in evidence_to_show(f):
                where = ""
                if e.get("source"):
                    where = f" ({esc(e['source'])}"
                    if e.get("line_start"):
                        where += f", line {esc(e['line_start'])}"
                    where += ")"
                ref = f" [{esc(e['ref'])}]" if e.get("ref") else ""
                out.append(f"- *Evidence ({esc(e.get('type', ''))}){where}{ref}:* {esc(e.get('text', ''))}")
            out.append("")
    return "\n".join(out) + "\n"


def write_report(flags: list[Flag], path: str | Path, title: str = "Source audit", audited: list[str] | None = None,
                 notes: list[str] | None = None) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_report(flags, title, audited=audited, notes=notes), encoding="utf-8")
    return p
