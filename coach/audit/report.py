"""A readable Markdown report of flags, grouped by source. Every string from a source is escaped.

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


def render_report(flags: list[Flag], title: str = "Source audit") -> str:
    by_source: dict[str, list[Flag]] = defaultdict(list)
    for f in flags:
        by_source[f.source].append(f)
    n_err = sum(f.verdict == "error" for f in flags)
    out = [f"# {esc(title)}", "",
           f"{len(flags)} flagged claims in {len(by_source)} sources ({n_err} errors, {len(flags) - n_err} suspect).", ""]
    for source in sorted(by_source):
        fl = sorted(by_source[source], key=lambda f: (f.line_start, f.line_end))
        out += [f"## {esc(source)} ({len(fl)})", ""]
        for f in fl:
            span = f"line {f.line_start}" if f.line_start == f.line_end else f"lines {f.line_start}–{f.line_end}"
            out.append(f"### {esc(span)}: {esc(f.verdict)} ({esc(f.severity)}, {esc(f.kind)}, check {esc(f.check)})")
            out.append("")
            out.append("> " + esc(f.quote))
            out.append("")
            out.append(f"- **Why:** {esc(f.reason)}")
            out.append(f"- **Correction:** {esc(f.correction)}")
            for e in f.evidence:
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


def write_report(flags: list[Flag], path: str | Path, title: str = "Source audit") -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_report(flags, title), encoding="utf-8")
    return p
