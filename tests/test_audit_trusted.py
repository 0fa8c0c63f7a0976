"""The audit's ``trusted`` check: claims of a NEW document against the trusted reference, judged by the
shipped judgement model. The documents are written here; nothing is keyed to them in the code."""

from __future__ import annotations

import json

import pytest

from coach.audit import audit_sources
from coach.audit.checks import AuditContext
from coach.audit.trusted import load_statements
from coach.config import load_settings
from corpus import parse_paths

DOC = """Deep learning notes

1. How do L1 and L2 regularization differ?

L2 regularization drives many weights to exactly zero and produces sparse models, while L1 only makes the weights small.

2. What does dropout do?

During training, dropout randomly switches off a fraction of the units, which reduces overfitting.

3. What is the Zorblax protocol?

The Zorblax protocol always sends its heartbeat on port 80.

4. How should the weights of a ReLU network be initialised?

He initialisation uses a weight variance of 1/fan_in, compensating for ReLU zeroing roughly half of the pre-activations.

5. Why does the sample variance divide by n - 1?

The sample variance divides the sum of squared deviations by n - 1 rather than n, which makes it an unbiased estimator of the population variance.
"""


@pytest.fixture(scope="module")
def flags(tmp_path_factory, embedder):
    home = tmp_path_factory.mktemp("trusted_home")
    (home / "knowledge").mkdir()
    (home / "knowledge" / "mine.jsonl").write_text(json.dumps(
        {"statement": "The Zorblax protocol always sends its heartbeat on port 4242.", "concept": "Zorblax protocol"}) + "\n")
    (home / "knowledge" / "broken.yaml").write_text("statements: [\n")
    doc = home / "notes.txt"
    doc.write_text(DOC, encoding="utf-8")
    settings = load_settings(home=home)
    parsed = parse_paths([doc], embedder=embedder)
    ctx = AuditContext(settings=settings, embedder=embedder)
    return [f.to_dict() for f in audit_sources(parsed, settings, checks=("trusted",), cache=False, context=ctx)], settings


def _line_of(text: str) -> int:
    return next(i for i, line in enumerate(DOC.split("\n"), 1) if text in line)


GAP = ("measured gap: no dev-fit setting of the trusted check's judge reading is precise enough, so it flags nothing "
       "(coach/audit/trusted_thresholds.json); its edit reading reads only a sentence that repeats a statement")


@pytest.mark.xfail(strict=True, reason=GAP)
def test_planted_swap_is_flagged_with_the_trusted_correction(flags):
    fl, _ = flags
    hit = [f for f in fl if f["line_start"] == _line_of("L2 regularization drives")]
    assert hit, fl
    f = hit[0]
    assert f["check"] == "trusted" and f["verdict"] in {"error", "suspect"}
    assert "L1" in f["correction"] and f["evidence"][0]["type"] == "trusted"


def test_correct_paraphrase_is_not_flagged(flags):
    fl, _ = flags
    assert not [f for f in fl if f["line_start"] == _line_of("dropout randomly switches off")]


def test_users_own_statement_flags_a_contradicting_claim(flags):
    # an xfail until experiment 54: the source repeats the user's statement with its number changed
    fl, _ = flags
    hit = [f for f in fl if f["line_start"] == _line_of("port 80")]
    assert hit and "4242" in hit[0]["correction"] and hit[0]["evidence"][0]["ref"].startswith("mine.jsonl#"), fl


def test_users_own_statements_are_loaded_and_a_bad_file_is_skipped(flags):
    _, settings = flags
    statements, warnings = load_statements(settings)
    assert any("4242" in s.text and s.origin == "mine.jsonl" for s in statements)
    assert len(statements) > 2000
    assert len(warnings) == 1 and "broken.yaml" in warnings[0]


def test_bundled_reference_only_statements_are_valid():
    """coach/audit/data/*.jsonl: every row a correct statement with two typed misconceptions; loaded
    beside the judge data's premises."""
    from coach.audit.trusted import DATA_DIR, bundled_rows

    files = sorted(DATA_DIR.glob("*.jsonl"))
    assert len(files) >= 16
    ids = set()
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            assert row["id"] not in ids
            ids.add(row["id"])
            assert 12 <= len(row["statement"].split()) <= 40 and row["concept"], row["id"]
            kinds = [m["kind"] for m in row["misconceptions"]]
            assert len(kinds) == 2 and len(set(kinds)) == 2, row["id"]
    assert len(ids) >= 1600
    assert len(bundled_rows()) >= 2700 + len(ids)


def test_trusted_runs_by_default_but_its_judge_reading_flags_nothing_until_a_dev_fit_qualifies(monkeypatch):
    """The check is in the default set; with the fit's 'nothing qualified' thresholds it never even
    loads the judge (control flow only: the context is a stub that fails if the judge is asked for)."""
    from coach.audit.checks import DEFAULT_CHECKS
    from coach.audit.checks import trusted as T
    from coach.audit.types import Claim

    assert "trusted" in DEFAULT_CHECKS

    class Untouchable:
        def judge(self):
            raise AssertionError("the judge was loaded")

        trusted_index = judge

    class NoStatements(Untouchable):
        def trusted_index(self):
            return None  # the edit reading (no model) reads the trusted statements, never the judge

    claim = Claim("r", "s.txt", 1, 1, "L2 gives sparse weights.", "L2 gives sparse weights and L1 does not.", "sentence")
    monkeypatch.setattr(T, "thresholds", lambda: {"suspect_min": 1.01, "error_min": 1.01, "k": 4, "min_sim": 0.45})
    assert not T.enabled() and T.check_trusted([claim], NoStatements()) == []
    monkeypatch.setattr(T, "thresholds", lambda: {"suspect_min": 0.9, "error_min": 0.95, "k": 4, "min_sim": 0.45})
    assert T.enabled()


def test_a_sentence_that_repeats_a_trusted_statement_with_a_number_changed_is_a_suspect(flags):
    """The edit reading (experiment 54): the source says 1/fan_in where the trusted statement on He initialisation
    says 2/fan_in; the statement is the evidence and the correction, and the reason says what changed."""
    fl, _ = flags
    (f,) = [f for f in fl if f["line_start"] == _line_of("He initialisation uses")]
    assert f["check"] == "trusted" and f["verdict"] == "suspect" and f["evidence"][0]["edit"] == "number"
    assert "2/fan_in" in f["correction"] and '"1" where it says "2"' in f["reason"], f


def test_a_qualified_judge_setting_keeps_the_edit_readings_flags(flags, embedder, monkeypatch):
    """Experiment 70 (README): with a judge setting that qualifies at dev, the check read the judge alone and lost the
    edit reading's "one fact changed" flags. Here the judge reads every claim (suspect_min 1.0: enabled, and no
    probability reaches it) and the changed number is still flagged, once."""
    from coach.audit.checks import trusted as T

    _, settings = flags
    monkeypatch.setattr(T, "thresholds", lambda: {"suspect_min": 1.0, "error_min": 1.01, "k": 4, "min_sim": 0.45,
                                                   "symmetric": True})
    assert T.judge_enabled()
    doc = settings.home / "notes.txt"
    parsed = parse_paths([doc], embedder=embedder)
    ctx = AuditContext(settings=settings, embedder=embedder)
    got = [f.to_dict() for f in audit_sources(parsed, settings, checks=("trusted",), cache=False, context=ctx)]
    he = [f for f in got if f["line_start"] == _line_of("He initialisation uses")]
    assert len(he) == 1 and he[0]["evidence"][0]["edit"] == "number", got


def test_a_number_written_another_way_is_not_a_changed_fact(flags):
    """"n - 1" where the trusted statement says "n minus one": the same number."""
    fl, _ = flags
    assert not [f for f in fl if f["line_start"] == _line_of("divides the sum of squared deviations")]


def test_the_trusted_statements_are_embedded_with_the_index(built_home):
    """The first audit reads them (the edit reading) and runs at the first grade, which waited for 4,300 statements to
    be embedded (a browser test's first answer timed out): a new index embeds them, kept in the home."""
    from coach.audit.trusted import TrustedIndex, load_statements

    (cached,) = (built_home / "knowledge" / "cache").glob("trusted-*.npy")

    def never(texts):
        raise AssertionError("embedded again")

    statements, _ = load_statements(load_settings(home=built_home))
    index = TrustedIndex(statements, never, cache_dir=cached.parent)
    assert index.vecs.shape == (len(statements), 384)
