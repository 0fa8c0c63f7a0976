"""The audit runner: quotes, cache, dedupe, report, the `coach check` CLI, the LLM hook and the bundled corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_audit_support import DATA, original_span, parse_simple

import coach.audit.runner as runner
from coach.audit import AuditCache, audit_sources, flags_for, flags_overlapping, render_report
from coach.audit.checks import AuditContext
from coach.audit.checks.llm import check_llm
from coach.audit.merge import dedupe
from coach.audit.types import Claim, Flag
from coach.config import load_settings

SOURCES = ("code_source.md", "arithmetic_source.txt", "knowledge_source.txt", "report_source.txt")


def _parsed():
    return [parse_simple(n) for n in SOURCES]


def test_every_quote_is_verbatim_in_the_original_lines(embedder):
    parsed = _parsed()
    flags = audit_sources(parsed, load_settings(), cache=False, context=AuditContext(embedder=embedder))
    assert len(flags) >= 10
    by_name = {p.source: p for p in parsed}
    for f in flags:
        assert f.quote and f.quote in original_span(by_name[f.source], f.line_start, f.line_end), f
        d = f.to_dict()
        assert {"source", "line_start", "line_end", "quote", "verdict", "kind", "reason", "correction", "evidence",
                "check", "record_id", "severity"} <= set(d)


def test_unchanged_sources_are_not_rechecked(monkeypatch, embedder):
    calls = []
    real = runner.get_check

    def counting(name):
        fn = real(name)

        def wrapped(claims, ctx):
            calls.append((name, sorted({c.source for c in claims})))
            return fn(claims, ctx)
        return wrapped

    monkeypatch.setattr(runner, "get_check", counting)
    settings = load_settings()
    checks = ("code", "knowledge", "cross_source")
    first = audit_sources(_parsed(), settings, checks, context=AuditContext(embedder=embedder))
    per_source = [c for c in calls if c[0] != "cross_source"]
    assert len(per_source) == 2 * len(SOURCES)
    calls.clear()
    stats = {}
    second = audit_sources(_parsed(), settings, checks, stats=stats, context=AuditContext(embedder=embedder))
    # nothing ran again: the cross-source pass is cached under every source together (it loaded the embedding model
    # for `coach sessions export`, which only looks flags up: 7 s in a walkthrough)
    assert calls == []
    assert stats["cache_hits"] == len(SOURCES) + 1
    assert [f.to_dict() for f in second] == [f.to_dict() for f in first]
    cache = AuditCache(settings)
    assert all(cache.path(p.sha256).exists() for p in _parsed())  # COACH_HOME/audit/<sha256>.jsonl
    rid = first[0].record_id
    assert flags_for(rid, settings=settings) == cache.flags_for(rid) == [f for f in second if f.record_id == rid]
    calls.clear()
    fewer = audit_sources(_parsed()[:2], settings, checks, context=AuditContext(embedder=embedder))
    assert [c[0] for c in calls] == ["cross_source"]  # another set of sources: compared again
    assert {f.source for f in fewer} <= {p.source for p in _parsed()[:2]}
    assert len(list(AuditCache(settings).dir.glob("cross-*.jsonl"))) == 1  # the other set's entry is dropped
    calls.clear()
    # a result computed without the embedding model (word overlap, when it cannot load) is never cached (a review)
    import coach.audit.checks.cross_source as cross

    monkeypatch.setattr(cross, "_load_embedder", lambda settings: None)
    for _ in range(2):
        audit_sources(_parsed()[1:], settings, checks, context=AuditContext(settings=settings))
    assert [c[0] for c in calls] == ["cross_source", "cross_source"]


def test_changed_source_is_rechecked(tmp_path, monkeypatch):
    src = tmp_path / "k.txt"
    src.write_text("Q: What is the Fourier transform?\nThe Fourier transform is a package for managing databases.\n")
    settings = load_settings()
    first = audit_sources([parse_simple("k.txt", folder=tmp_path)], settings, ("knowledge",))
    assert len(first) == 1
    src.write_text("Q: What is the Fourier transform?\nThe Fourier transform decomposes a signal into frequencies.\n")
    assert audit_sources([parse_simple("k.txt", folder=tmp_path)], settings, ("knowledge",)) == []


def test_the_latest_audit_is_saved_through_a_file_of_its_own_and_a_torn_one_reads_as_none(tmp_path):
    """Two audits at once (the UI after an upload, `coach check` in a terminal) shared one ``latest.tmp``: each renamed
    the other's half-written file into place, and ``latest()`` raised on a torn file (a review)."""
    settings = load_settings(home=tmp_path)
    cache = AuditCache(settings)
    flag = Flag("s.txt", 1, 1, "q", "error", "x", "why", "fix", [], check="code", severity="major")
    cache.write_latest([flag])
    assert cache.latest() == [flag] and sorted(p.name for p in cache.dir.iterdir()) == ["latest.jsonl"]
    cache.latest_path.write_text(cache.latest_path.read_text()[:20], encoding="utf-8")  # what a torn write leaves
    assert cache.latest() == []


def test_cached_flags_are_dropped_when_the_users_trusted_statements_or_judge_change(tmp_path):
    """A cached result depends on COACH_HOME/knowledge, COACH_JUDGE_MODEL, COACH_JUDGE_INT8 and COACH_JUDGE_RUNTIME
    too, not only the code."""
    import dataclasses

    settings = load_settings(home=tmp_path)
    flag = Flag("s.txt", 1, 1, "q", "suspect", "x", "why", "fix", [], check="trusted", severity="minor")
    AuditCache(settings).put("ab" * 32, "s.txt", ("trusted",), [flag])
    assert AuditCache(settings).get("ab" * 32, "s.txt", ("trusted",)) == [flag]
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "mine.jsonl").write_text('{"statement": "A new trusted statement."}\n')
    assert AuditCache(settings).get("ab" * 32, "s.txt", ("trusted",)) is None
    AuditCache(settings).put("ab" * 32, "s.txt", ("trusted",), [flag])
    other_judge = dataclasses.replace(settings, judge_model=str(tmp_path / "another-judge"))
    assert AuditCache(other_judge).get("ab" * 32, "s.txt", ("trusted",)) is None
    fp32_judge = dataclasses.replace(settings, judge_int8=False)  # another precision, other probabilities
    assert AuditCache(fp32_judge).get("ab" * 32, "s.txt", ("trusted",)) is None
    torch_int8 = dataclasses.replace(settings, judge_runtime="torch")  # another runtime, other probabilities
    assert AuditCache(torch_int8).get("ab" * 32, "s.txt", ("trusted",)) is None
    assert AuditCache(settings).get("ab" * 32, "s.txt", ("trusted",)) == [flag]
    # the same backend under another setting: "onnxruntime" runs what "auto" runs, so the result is reused
    assert AuditCache(dataclasses.replace(settings, judge_runtime="onnxruntime")).get("ab" * 32, "s.txt", ("trusted",)) == [flag]


def test_cached_flags_are_dropped_when_the_corpus_parser_changes(tmp_path, monkeypatch):
    """Cached flags point at records and lines the corpus stage made: a change to its code (a boilerplate rule, a
    decoder) must invalidate them even though the source file's bytes are the same."""
    import shutil

    import coach.audit.cache as cache_mod

    import corpus

    corpus_copy = tmp_path / "corpus"
    shutil.copytree(Path(corpus.__file__).parent, corpus_copy, ignore=shutil.ignore_patterns("bundled", "__pycache__"))
    monkeypatch.setattr(cache_mod, "_CORPUS", corpus_copy, raising=False)
    cache_mod.fingerprint.cache_clear()
    settings = load_settings(home=tmp_path / "home")
    flag = Flag("s.txt", 1, 1, "q", "suspect", "x", "why", "fix", [], check="trusted", severity="minor")
    AuditCache(settings).put("cd" * 32, "s.txt", ("trusted",), [flag])
    assert AuditCache(settings).get("cd" * 32, "s.txt", ("trusted",)) == [flag]
    with (corpus_copy / "boilerplate.py").open("a") as fh:
        fh.write("\n# a changed rule\n")
    cache_mod.fingerprint.cache_clear()
    try:
        assert AuditCache(settings).get("cd" * 32, "s.txt", ("trusted",)) is None
    finally:
        monkeypatch.undo()
        cache_mod.fingerprint.cache_clear()


def test_audit_cache_keeps_apart_what_a_fallen_back_judge_computed(tmp_path, monkeypatch):
    """COACH_JUDGE_RUNTIME=auto whose ONNX Runtime session failed runs torch int8: what it computed is not
    served to a later run whose ONNX Runtime works, nor the other way round."""
    from coach.judge import load_judge
    from coach.judge import model as judge_model

    monkeypatch.setattr(judge_model, "_CACHE", {})
    settings = load_settings(home=tmp_path)
    flag = Flag("s.txt", 1, 1, "q", "suspect", "x", "why", "fix", [], check="trusted", severity="minor")
    AuditCache(settings).put("cd" * 32, "s.txt", ("trusted",), [flag])
    judge = load_judge(settings)
    assert judge.backend == "onnxruntime-int8"
    judge.runtime = "torch"  # what Judge._load does when the session cannot be made in "auto"
    assert AuditCache(settings).get("cd" * 32, "s.txt", ("trusted",)) is None
    AuditCache(settings).put("cd" * 32, "s.txt", ("trusted",), [])
    assert AuditCache(settings).get("cd" * 32, "s.txt", ("trusted",)) == []
    monkeypatch.setattr(judge_model, "_CACHE", {})  # a later process, ONNX Runtime working
    assert AuditCache(settings).get("cd" * 32, "s.txt", ("trusted",)) is None


def test_dedupe_keeps_the_strongest_and_merges_evidence():
    a = Flag("s", 3, 3, "q", "suspect", "x", "weak", "c", [{"type": "source", "text": "A"}], check="cross_source", severity="minor")
    b = Flag("s", 3, 4, "q", "error", "y", "strong", "c", [{"type": "knowledge", "text": "B"}], check="knowledge")
    c = Flag("s", 9, 9, "q", "error", "z", "other", "c", [], check="code")
    out = dedupe([a, b, c])
    assert [(f.line_start, f.check) for f in out] == [(3, "knowledge"), (9, "code")]
    assert {e["text"] for e in out[0].evidence} >= {"A", "B"}
    assert flags_overlapping("s", 4, 8, out) == [out[0]]


def test_report_groups_by_source_and_escapes_untrusted_text(tmp_path):
    flags = audit_sources([parse_simple("report_source.txt")], load_settings(), ("knowledge",), cache=False)
    assert flags and "<script>" in flags[0].quote
    md = render_report(flags)
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "## report\\_source.txt" in md and "line 4" in md
    # the audited sources with no flag are named, however many sources there are (a user walkthrough could not
    # find its own source in a six-source report)
    many = render_report(flags, audited=["report_source.txt", *[f"clean{i}.md" for i in range(6)]])
    assert "No flags in: clean0.md, clean1.md, clean2.md, clean3.md, clean4.md, clean5.md." in many.replace("\\", "")
    # the flagged sources are named apart from the clean ones (a walkthrough read "...: a.txt, b.html. No flags in:
    # b.html." as naming b.html flagged and clean at once), in the singular where there is one
    two = render_report(flags[:1], audited=["report_source.txt", "b.html"]).replace("\\", "")
    assert "1 flagged claim in 1 of 2 audited sources (" in two and "Flags in: report_source.txt. No flags in: b.html." in two
    evil = render_report([Flag("x.txt", 1, 1, "[click](javascript:alert(1)) *bold* `code`", "error", "k", "r", "c", [])])
    assert "\\[click\\]" in evil and "\\*bold\\*" in evil and "\\`code\\`" in evil


def test_llm_check_is_control_flow_only_and_off_by_default():
    class Judge:
        def __init__(self):
            self.prompts = []

        def generate(self, messages, **kw):
            self.prompts.append(messages[-1]["content"])
            return "WRONG: a transform is not a package" if "package" in messages[-1]["content"] else "CORRECT"

    claims = [Claim("r:1", "s", 2, 2, q, q, "sentence", question="What is it?") for q in
              ("The Fourier transform is a package.", "The Fourier transform decomposes a signal.")]
    settings = load_settings()
    assert check_llm(claims, AuditContext(settings=settings)) == []  # not trusted: never loads a model
    judge = Judge()
    flags = check_llm(claims, AuditContext(settings=settings, llm=judge))
    assert len(judge.prompts) == 2 and [f.line_start for f in flags] == [2] and flags[0].verdict == "suspect"
    assert "not a package" in flags[0].reason


def test_cli_writes_jsonl_and_report(tmp_path):
    from coach.cli import cli

    out, rep = tmp_path / "flags.jsonl", tmp_path / "report.md"
    res = CliRunner().invoke(cli, ["check", "--output", str(out), "--report", str(rep), "--checks", "code,knowledge",
                                   str(DATA / "knowledge_source.txt")])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert rows and all(r["source"] == "knowledge_source.txt" and r["verdict"] in ("error", "suspect") for r in rows)
    assert rep.read_text().startswith("# Source audit")
    bad = CliRunner().invoke(cli, ["check", "--checks", "nope", str(DATA / "knowledge_source.txt")])
    assert bad.exit_code == 1 and "unknown check" in bad.output and "Traceback" not in bad.output


def test_cli_says_when_an_explicitly_chosen_trusted_check_cannot_flag(tmp_path, monkeypatch):
    from coach.audit.checks import trusted
    from coach.cli import cli

    monkeypatch.setattr(trusted, "enabled", lambda th=None: False)
    res = CliRunner().invoke(cli, ["check", "--output", str(tmp_path / "f.jsonl"), "--checks", "code,trusted",
                                   str(DATA / "knowledge_source.txt")])
    assert res.exit_code == 0, res.output
    assert "`trusted` check's judge reading flags nothing" in res.output and "audit-fit" in res.output
    assert "`llm` check is off" not in res.output  # not selected: nothing to say about it


def test_an_audit_says_what_it_could_not_verify(tmp_path, monkeypatch):
    """Found in a user walkthrough: `coach check` said "0 flags" and its report "0 flagged claims in 0 sources",
    which reads as "my source is clean" (or as "nothing was audited"). Every run and report now says how many
    sources were audited and which default checks cannot flag anything as configured."""
    from coach.audit.checks import not_verified, trusted
    from coach.cli import cli

    monkeypatch.setattr(trusted, "enabled", lambda th=None: False)
    clean = tmp_path / "clean.md"
    clean.write_text("## What is a mutex?\n\nA mutex is a lock that one thread holds at a time.\n", encoding="utf-8")
    rep = tmp_path / "r.md"
    res = CliRunner().invoke(cli, ["check", "--output", str(tmp_path / "f.jsonl"), "--report", str(rep), str(clean)])
    assert res.exit_code == 0, res.output
    assert "0 flags" in res.output and "note: statements of fact are not verified" in res.output
    assert "suspect) in " in res.output and "s; statements of fact not verified (see the notes)\n" in res.output
    assert "note: the `llm` check is off" in res.output  # the default settings name no trusted LLM
    md = rep.read_text()
    assert "0 flagged claims in 0 of 1 audited source (0 errors, 0 suspect). Audited: clean.md." in md
    assert "Not verified:" in md and "judge reading flags nothing" in md
    # the notes are the code's own Markdown: `trusted` is code, not "\\`trusted\\`" (seen in a walkthrough)
    assert "the `trusted` check's judge reading flags nothing" in md and "\\`" not in md
    monkeypatch.setattr(trusted, "enabled", lambda th=None: True)
    assert not_verified(("code", "trusted")) == []  # a check that can flag is not listed


def test_bundled_corpus_end_to_end(bundled_dir, embedder):
    corpus = pytest.importorskip("corpus")
    parsed = corpus.parse_paths(sorted(str(p) for p in bundled_dir.iterdir()))
    stats = {}  # its speed is a benchmark (`coach bench`: audit_full_s), not a timed test
    flags = audit_sources(parsed, load_settings(), cache=False, stats=stats, context=AuditContext(embedder=embedder))
    code = [f for f in flags if f.check == "code"]
    by_source = {}
    for f in code:
        by_source.setdefault(f.source[:3], set()).add(f.kind)
    # Provable code errors: snippets whose closing brackets were lost (003), TF1 APIs and a Python 2 print (004).
    assert "syntax" in by_source.get("003", set())
    assert {"removed_api", "python2", "syntax"} <= by_source.get("004", set())
    assert any(f.check == "arithmetic" and f.source.startswith("004") for f in flags)  # "10,000 divided by 50"
    assert any(f.check == "arithmetic" and f.kind == "formula" for f in flags)  # "Epoch = iterations * batch size"
    lines = {p.source: p for p in parsed}
    for f in flags:
        with open(lines[f.source].path, encoding="utf-8") as fh:
            original = fh.read().split("\n")
        assert f.quote in "\n".join(original[f.line_start - 1 : f.line_end])


def test_cached_llm_flags_are_dropped_when_the_trusted_llm_changes(tmp_path):
    """The `llm` check's flags were cached without the LLM they came from: configuring a trusted LLM (or
    another one, or none) reused flags computed without it."""
    import dataclasses

    settings = load_settings(home=tmp_path)
    flag = Flag("s.txt", 1, 1, "q", "suspect", "x", "why", "fix", [], check="llm", severity="minor")
    AuditCache(settings).put("ab" * 32, "s.txt", ("llm",), [flag])
    assert AuditCache(settings).get("ab" * 32, "s.txt", ("llm",)) == [flag]
    trusted = dataclasses.replace(settings, llm_trusted=True, llm_backend="openai", llm_model="big-model")
    assert AuditCache(trusted).get("ab" * 32, "s.txt", ("llm",)) is None
    AuditCache(trusted).put("ab" * 32, "s.txt", ("llm",), [flag])
    other = dataclasses.replace(trusted, llm_model="another-model")
    assert AuditCache(other).get("ab" * 32, "s.txt", ("llm",)) is None
    # a run without the llm check does not depend on the LLM
    AuditCache(settings).put("cd" * 32, "s.txt", ("code",), [])
    assert AuditCache(trusted).get("cd" * 32, "s.txt", ("code",)) == []


def test_what_is_not_verified_is_said_to_a_web_user_without_commands_or_settings(monkeypatch):
    """A walkthrough read "refit with `coach eval audit-fit`" and "COACH_LLM_TRUSTED=1" in the web UI's audit report."""
    from coach.audit.checks import not_verified, trusted

    monkeypatch.setattr(trusted, "enabled", lambda th=None: False)
    terminal, web = not_verified(), not_verified(web=True)
    assert len(terminal) == len(web) == 2
    assert "audit-fit" in terminal[0] and "COACH_LLM_TRUSTED" in terminal[1]
    assert web[0].startswith("statements of fact are not verified") and "Report a wrong sentence" in web[0]
    assert not any(mark in " ".join(web) for mark in ("`", "COACH_", "coach ", "dev fit"))


WRAPPED = """# Distributed systems notes

## Q1. What is two-phase commit?

Two-phase commit is an atomic commit protocol for a transaction spanning
several nodes. The coordinator asks each participant whether it can commit,
and each votes yes or no. Two-phase commit is non-blocking: if the
coordinator crashes after the votes, the participants decide on their own.

## Q2. How many failures does a Raft cluster tolerate?

A 5-node cluster needs a majority of 3 to make progress, so it tolerates
the failure of 2 nodes.
"""


@pytest.mark.parametrize("name", ["notes.md", "notes.txt"])
def test_a_wrapped_paragraph_is_read_whole_each_sentence_naming_its_lines(tmp_path, name):
    """A walkthrough: the corpus stage joins a Markdown or text file's wrapped lines back into sentences and names the
    paragraph by its first line, and the audit, reading the file's own lines, read only that first line: a planted
    error on a paragraph's third line was never read, `coach corrections add` refused its words ("has no sentence with
    the words"), and no flag could name its lines."""
    from coach.audit import reported
    from coach.audit.runner import source_claims
    from corpus.pipeline import parse_file

    doc = tmp_path / name
    doc.write_text(WRAPPED, encoding="utf-8")
    claims, lines = source_claims(parse_file(doc))
    (blocking,) = [c for c in claims if "non-blocking" in c.quote]
    assert (blocking.line_start, blocking.line_end) == (7, 8)
    assert blocking.quote == ("Two-phase commit is non-blocking: if the\ncoordinator crashes after the votes, the "
                              "participants decide on their own.")
    assert blocking.text.startswith("Two-phase commit is non-blocking: if the coordinator crashes")
    from coach.grading.draft import quote_text  # a flag on it drafts a misconception on one line (a review)

    assert quote_text(blocking.quote) == blocking.text
    for c in claims:  # every quote as the file writes it, on the lines it names
        assert c.quote in "\n".join(lines[c.line_start - 1:c.line_end]), c
    (raft,) = [c for c in claims if "tolerates" in c.quote]
    assert (raft.line_start, raft.line_end) == (12, 13)
    assert sum("participant whether" in c.quote for c in claims) == 1  # a continuation line is not read twice
    report, _ = reported.add(load_settings(home=tmp_path / "home"), name, "Two-phase commit is non-blocking",
                             "Two-phase commit is blocking: participants wait for the coordinator.", claims=claims)
    assert report.quote == "Two-phase commit is non-blocking"


def test_a_sentence_of_a_wrapped_paragraph_is_cited_with_the_paragraphs_lines(tmp_path):
    """The same walkthrough: a correction on a wrapped paragraph's last line was cited by the paragraph's first line
    ("line 83-83" for a sentence on line 87). The record keeps where each joined line ends, and the evidence names the
    paragraph's lines."""
    from coach.grading.evidence import evidence_of
    from coach.grading.types import Citation
    from corpus.pipeline import parse_file

    doc = tmp_path / "notes.md"
    doc.write_text(WRAPPED, encoding="utf-8")
    rec = next(r for r in parse_file(doc).records if "two-phase" in r.question.lower())
    assert rec.answer_lines == [5] and rec.answer_line_ends == [8]
    cite = Citation(rec.id, rec.source, rec.line_start, rec.line_end, rec.question, rec.answer, [],
                    rec.answer_lines, rec.answer_line_ends)
    ev = evidence_of(cite, "Two-phase commit is non-blocking: if the coordinator crashes after the votes, the "
                           "participants decide on their own.")
    assert (ev["line_start"], ev["line_end"]) == (5, 8)
    unwrapped = tmp_path / "flat.md"  # a file with no wrapped lines: records as before, no line ends kept
    unwrapped.write_text("## What is 2PC?\n\nTwo-phase commit is an atomic commit protocol.\n", encoding="utf-8")
    assert [r.answer_line_ends for r in parse_file(unwrapped).records] == [[]]


@pytest.mark.parametrize("name, first", [("notes.txt", "A: In a shadow deployment"), ("notes.md", "**A:** In a shadow deployment")])
def test_an_answer_label_is_no_part_of_a_claim(tmp_path, name, first):
    """A walkthrough's reported flag quoted "A: In a shadow deployment ...": the audit reads the file's own lines, and
    kept the answer's label that its record drops; "**A:**" was read as a list item's "*"."""
    from coach.audit.runner import source_claims
    from corpus.pipeline import parse_file

    doc = tmp_path / name
    doc.write_text(f"Q: What is a shadow deployment?\n{first} the new model receives a copy of live traffic. Its outputs "
                   "are only logged.\n\nQ: What is a canary release?\nA: A small share of traffic goes to the new model "
                   "first.\n", encoding="utf-8")
    claims, _ = source_claims(parse_file(doc))
    assert [(c.quote, c.kind) for c in claims][:2] == [
        ("In a shadow deployment the new model receives a copy of live traffic.", "sentence"),
        ("Its outputs are only logged.", "sentence")]
    assert claims[2].quote == "A small share of traffic goes to the new model first."
