"""Prompt templates as data: ``prompts/<name>.yaml`` rendered into chat messages.

    from prompts import render
    messages = render("ask", question="What is a GIL?", passages=["...", "..."])

Each YAML file holds ``description``, ``variables`` (every name the template may use), ``untrusted``
(the subset that comes from sources or users), ``max_tokens`` (a suggested reply budget), ``stop``
(suggested stop strings) and ``messages`` (a list of ``{role, content}`` Jinja2 templates).

Small models (the bundled SmolLM2-135M) often echo the fence markup before answering; pass the
template's ``stop`` strings to the LLM and its reply through ``clean_reply``:

    s = spec("ask")
    reply = clean_reply(llm.generate(messages, max_tokens=s["max_tokens"], stop=s["stop"]))

Safety rules, enforced here rather than trusted to template authors:
- Strict rendering: a missing variable raises (``StrictUndefined``); an undeclared one raises too.
- Untrusted values are wrapped before rendering, and printing one without ``| fence(...)`` raises
  ``UnfencedDataError``. ``fence`` puts the text between ``<<<DATA label`` / ``DATA>>>`` markers after
  neutralising anything inside it that could close or open a fence (runs of three or more angle
  brackets, in any Unicode look-alike form, are spaced out: ``>>>`` becomes ``> > >``), and strips
  control characters. Every template's system message says fenced text is data, never instructions.

Simplified on purpose: autoescape is off (the output is a prompt, not HTML), and a template can still
defeat the guard by string-concatenating an untrusted value before printing it; review templates.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from importlib import resources

import jinja2
import yaml

__all__ = ["render", "fence", "neutralise", "clean_reply", "clean_stream", "names", "spec", "PromptError", "UnfencedDataError"]

FENCE_OPEN = "<<<DATA"
FENCE_CLOSE = "DATA>>>"

# Angle brackets and their look-alikes (fullwidth, small, mathematical, CJK, guillemets, arrows heads).
_ANGLES = "<>\uff1c\uff1e\ufe64\ufe65\u2039\u203a\u00ab\u00bb\u3008\u3009\u27e8\u27e9\u2329\u232a\u276e\u276f\u02c2\u02c3"
_ANGLE_RUN = re.compile(f"[{re.escape(_ANGLES)}](?:\\s*[{re.escape(_ANGLES)}]){{2,}}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_LABEL = re.compile(r"[^A-Za-z0-9 _.:#\[\]-]")


class PromptError(ValueError):
    """A template is missing, malformed, or was rendered with missing/unknown variables."""


class UnfencedDataError(PromptError):
    """A template printed untrusted text without passing it through ``fence``."""


class _Untrusted(str):
    """A str from a source document or a user: must go through ``fence`` before it is printed."""


def neutralise(text: str) -> str:
    """Make untrusted text unable to open or close a fence; drop control and invisible characters (every
    format character, Unicode category Cf: "DATA>\u2066>\u2066>" read as a close marker once they are dropped)."""
    text = _CONTROL.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf" and ch not in "\u034f\u180e")
    # Space out every run of 3+ angle brackets (including runs split by spaces or made of look-alikes),
    # so neither "<<<" nor ">>>" survive in any spelling, while "a << b" or ">> x" stay readable.
    return _ANGLE_RUN.sub(lambda m: " ".join(ch for ch in m.group(0) if not ch.isspace()).replace("  ", " "), text)


def _has_fence_run(text: str) -> bool:
    folded = unicodedata.normalize("NFKC", text)
    return bool(re.search(r"<<<|>>>", folded))


def fence(value, label: str = "data") -> str:
    """Untrusted text between DATA markers, with any marker-like sequence inside it neutralised."""
    body = neutralise(value)
    assert not _has_fence_run(body), "neutralise() must remove every fence-like sequence"
    label = _LABEL.sub("", str(label))[:40].strip() or "data"
    return f"{FENCE_OPEN} {label}\n{body.strip()}\n{FENCE_CLOSE}"


def _contains_untrusted(value) -> bool:
    if isinstance(value, _Untrusted):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_untrusted(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_untrusted(v) for v in value.values())
    return False


# Echoed opening lines in any case; closing markers only as models write them (so "data >> 2" survives).
_ECHOED_MARKER = re.compile(r"(?i:<<<\s*data\b[^\n]*\n?)|\b(?:DATA|Data)>>>?")


def clean_reply(text: str) -> str:
    """Remove fence markup a model echoed into its reply (``<<<DATA label`` lines, ``DATA>>>``)."""
    return _ECHOED_MARKER.sub("", text).strip()


def clean_stream(deltas: Iterable[str]) -> Iterator[str]:
    """``clean_reply`` for a stream: drop an echoed ``<<<DATA ...`` header line, pass the rest through.

    Closing markers are not handled here: pass the template's ``stop`` strings (they include them)."""
    head = ""
    it = iter(deltas)
    for delta in it:
        head += delta
        stripped = head.lstrip()
        if not stripped:
            continue
        if "<<<data".startswith(stripped[:7].lower()) or stripped[:7].lower() == "<<<data":
            if "\n" not in stripped:
                continue  # still inside a possible echoed header line
            rest = stripped.split("\n", 1)[1] if _ECHOED_MARKER.match(stripped) else stripped
            if rest:
                yield rest
        else:
            yield head
        break
    else:
        if head.strip() and not _ECHOED_MARKER.fullmatch(head.strip() + "\n"):
            yield head
        return
    yield from it


def _finalize(value):
    if _contains_untrusted(value):
        raise UnfencedDataError("a template printed untrusted text without `| fence(...)`")
    return "" if value is None else value


def _wrap(value):
    """Mark strings (also inside lists/tuples/dicts) as untrusted."""
    if isinstance(value, str):
        return _Untrusted(value)
    if isinstance(value, (list, tuple)):
        return [_wrap(v) for v in value]
    if isinstance(value, dict):
        return {k: _wrap(v) for k, v in value.items()}
    return value


_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=_finalize,
)
_ENV.filters["fence"] = fence


def names() -> list[str]:
    """Names of the bundled templates."""
    return sorted(p.name[: -len(".yaml")] for p in resources.files(__name__).iterdir() if p.name.endswith(".yaml"))


@functools.lru_cache(maxsize=None)
def spec(name: str) -> dict:
    """The parsed YAML of a template (with compiled message templates under ``_compiled``)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        raise PromptError(f"bad prompt name {name!r}")
    path = resources.files(__name__) / f"{name}.yaml"
    if not path.is_file():
        raise PromptError(f"no prompt template {name!r} (have: {', '.join(names())})")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise PromptError(f"prompt {name!r}: expected a mapping with a 'messages' list")
    variables, untrusted = set(data.get("variables") or []), set(data.get("untrusted") or [])
    if not untrusted <= variables:
        raise PromptError(f"prompt {name!r}: untrusted names {sorted(untrusted - variables)} are not in variables")
    compiled = []
    for m in data["messages"]:
        if m.get("role") not in ("system", "user", "assistant") or not isinstance(m.get("content"), str):
            raise PromptError(f"prompt {name!r}: each message needs a role and a content string")
        compiled.append((m["role"], _ENV.from_string(m["content"])))
    stop = data.get("stop") or []
    if not all(isinstance(x, str) and x for x in stop):
        raise PromptError(f"prompt {name!r}: stop must be a list of non-empty strings")
    return {
        **data,
        "variables": sorted(variables),
        "untrusted": sorted(untrusted),
        "max_tokens": int(data.get("max_tokens") or 256),
        "stop": list(stop),
        "_compiled": compiled,
    }


def render(name: str, **variables) -> list[dict]:
    """Render template ``name`` into chat messages ``[{"role", "content"}]``."""
    s = spec(name)
    unknown = set(variables) - set(s["variables"])
    if unknown:
        raise PromptError(f"prompt {name!r} does not use {sorted(unknown)} (it takes {s['variables']})")
    context = {k: (_wrap(v) if k in s["untrusted"] else v) for k, v in variables.items()}
    out = []
    for role, template in s["_compiled"]:
        try:
            content = template.render(**context).strip()
        except jinja2.UndefinedError as exc:
            raise PromptError(f"prompt {name!r}: {exc}") from None
        out.append({"role": role, "content": content})
    return out
