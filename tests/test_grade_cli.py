"""`coach grade` against the contract: exactly one strict-JSON output line per input line, whatever the
input's bytes (real model, the shared built index)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from coach.cli import cli

Q = "What is a perceptron?"
GOOD = "A perceptron is a single neuron: a weighted sum of its inputs plus a bias, then a step function."


def strict(line: bytes) -> dict:
    """Parse one output line as strict JSON (no NaN/Infinity) from valid UTF-8."""
    def no_constants(name):
        raise AssertionError(f"non-strict JSON constant {name}")

    return json.loads(line.decode("utf-8"), parse_constant=no_constants)


@pytest.fixture
def grade_cli(built_home, embedder, monkeypatch):
    monkeypatch.setenv("COACH_HOME", str(built_home))
    monkeypatch.setattr("index.embedder.load_sentence_transformer", lambda settings: embedder)

    def run(data: bytes, tmp_path, *extra):
        inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
        inp.write_bytes(data)
        res = CliRunner().invoke(cli, ["grade", "--input", str(inp), "--output", str(out), *extra])
        return res, out.read_bytes() if out.exists() else b""

    return run


def test_every_input_line_gets_exactly_one_strict_output_line(grade_cli, tmp_path):
    def row(answer, **extra):
        return json.dumps({"question": Q, "answer": answer, **extra}, ensure_ascii=False).encode("utf-8")

    lines = [
        b'{"question": "What is a perceptron?", "answer": "bad \\ud800 escape", "n": 1}',  # lone surrogate
        row("A single neuron\u2028with a step\x85activation.", who="sep"),  # raw U+2028 and U+0085 in a string
        b'{"question": "What is a perceptron?", "answer": "caf\xe9 neuron"}',  # one invalid UTF-8 byte
        b'{"question": "What is a perceptron?", "answer": "a neuron", "weight": NaN}',  # not strict JSON
        b'{"question": "What is a perceptron?", "answer": "a neuron", "weight": 1e400}',  # no float holds it
        b"",  # an empty line in the middle still gets its line
        row(GOOD, who="crlf") + b"\r",  # a CRLF line
        row(GOOD, who="last"),
    ]
    res, out = grade_cli(b"\n".join(lines) + b"\n", tmp_path)
    assert res.exit_code == 0, res.output
    got = out.split(b"\n")
    assert got[-1] == b"" and len(got[:-1]) == len(lines), out  # one line per input line, "\n"-terminated
    rows = [strict(line) for line in got[:-1]]
    assert "\u2028" not in out.decode("utf-8") and "\x85" not in out.decode("utf-8")  # escaped, not raw
    assert "surrogate" in rows[0]["grade"]["error"] and rows[0]["n"] == 1
    assert rows[1]["who"] == "sep" and "score" in rows[1]["grade"]  # graded, fields intact
    assert rows[1]["answer"] == "A single neuron\u2028with a step\x85activation."
    assert "UTF-8" in rows[2]["grade"]["error"] and rows[2]["line"] == 3
    assert "NaN" in rows[3]["grade"]["error"] and rows[3]["line"] == 4
    # read as infinity, it failed the whole batch with a traceback (the lines after it were lost)
    assert "out of range" in rows[4]["grade"]["error"] and rows[4]["line"] == 5
    assert "empty" in rows[5]["grade"]["error"] and rows[5]["line"] == 6
    assert rows[6]["who"] == "crlf" and "score" in rows[6]["grade"]
    assert rows[7]["who"] == "last" and rows[7]["grade"]["verdict"] in {"correct", "partial"}
    assert "graded 3 answers, 5 could not be graded (lines 1, 3, 4, 5, 6)" in res.stderr
    # --strict: the same lines written, and the exit says some failed (a walkthrough's script saw exit 0)
    strict_res, strict_out = grade_cli(b"\n".join(lines) + b"\n", tmp_path, "--strict")
    assert strict_res.exit_code == 1 and strict_out == out, strict_res.output
    assert "could not be graded (lines 1, 3, 4, 5, 6)" in strict_res.stderr


def test_a_batch_where_no_line_could_be_graded_exits_non_zero(grade_cli, tmp_path):
    """CONTRACTS.md: a command that cannot do its job exits non-zero with one line (a walkthrough's batch of bad lines
    exited 0); the output still has one line per input line, each with its error."""
    res, out = grade_cli(b'{"question": "", "answer": "x"}\nnot json\n', tmp_path)
    assert res.exit_code == 1, res.output
    assert res.stderr.strip().splitlines() == ["Error: none of the 2 answers could be graded: each line's error is "
                                              "in its output line"]  # one line
    assert [("error" in strict(line)["grade"]) for line in out.splitlines()] == [True, True]


def test_stdin_is_read_by_newline_only(built_home, embedder, monkeypatch):
    monkeypatch.setenv("COACH_HOME", str(built_home))
    monkeypatch.setattr("index.embedder.load_sentence_transformer", lambda settings: embedder)
    data = json.dumps({"question": Q, "answer": GOOD + "\u2029more", "k": 1}, ensure_ascii=False).encode() + b"\n"
    res = CliRunner().invoke(cli, ["grade", "--input", "-", "--output", "-"], input=data)
    assert res.exit_code == 0, res.output
    (line,) = res.stdout_bytes.splitlines()
    row = strict(line)
    assert row["k"] == 1 and "score" in row["grade"]


def test_a_grade_json_cannot_hold_is_that_lines_error_and_the_batch_goes_on(grade_cli, tmp_path, monkeypatch):
    """A value JSON cannot hold (a NaN score from a model gone wrong) fails its own line, with an error
    saying so; the lines after it are still graded (a fake grade, for the control flow only)."""
    from coach.service import Coach

    real = Coach.grade

    def grade(self, question, answer, **kw):
        g = real(self, question, answer, **kw)
        if answer == "nan please":
            g.score = float("nan")
        return g

    monkeypatch.setattr(Coach, "grade", grade)
    rows = [json.dumps({"question": Q, "answer": a}).encode() for a in ("nan please", GOOD)]
    res, out = grade_cli(b"\n".join(rows) + b"\n", tmp_path)
    assert res.exit_code == 0, res.output
    got = [strict(line) for line in out.splitlines()]
    assert len(got) == 2 and "could not be written" in got[0]["grade"]["error"]
    assert "score" in got[1]["grade"]


def test_a_question_id_stands_for_the_question_and_bad_ids_say_what_is_wrong(grade_cli, tmp_path):
    """A user walkthrough had {"question_id", "answer"} refused with the generic "needs 'question'" message, and an
    unknown id refused with that same message instead of saying the id is unknown."""
    lines = [
        {"question_id": "perceptron", "answer": GOOD},
        {"question": Q, "question_id": "perceptron", "answer": GOOD},
        {"question_id": "does-not-exist", "answer": GOOD},
        {"question_id": 7, "answer": GOOD},
        {"answer": GOOD},
        {"question": "  ", "answer": GOOD},
        {"question": "  ", "question_id": "perceptron", "answer": GOOD},  # a blank text: the id's question is read
        {"question_id": "perceptron", "answer": GOOD, "reference": "A perceptron is a single neuron with a step function."},
        {"question_id": "perceptron", "answer": GOOD, "reference": "  "},  # dropped silently before (a walkthrough)
        {"question_id": "perceptron", "answer": GOOD, "reference": 3},
        {"question_id": "perceptron", "answer": GOOD, "reference": None},  # null: no reference
    ]
    res, out = grade_cli(b"".join(json.dumps(r).encode() + b"\n" for r in lines), tmp_path)
    assert res.exit_code == 0, res.output
    rows = [strict(line) for line in out.splitlines()]
    alone, both = rows[0]["grade"], rows[1]["grade"]
    assert "error" not in alone and alone["question_id"] == "perceptron", alone
    assert alone["score"] == both["score"] and alone["verdict"] == both["verdict"] in {"correct", "partial"}
    assert "question" not in rows[0]  # the input line is kept as given
    assert "unknown question id 'does-not-exist'" in rows[2]["grade"]["error"]
    assert "'question_id' must be a string" in rows[3]["grade"]["error"]
    assert "needs string fields 'question' and 'answer'" in rows[4]["grade"]["error"]
    assert "the question is empty" in rows[5]["grade"]["error"]
    blank = rows[6]["grade"]
    assert (blank["score"], blank["verdict"], blank["feedback"]) == (alone["score"], alone["verdict"], alone["feedback"])
    # a reference decides what is graded; the id still names the question it answers
    referenced = rows[7]["grade"]
    assert "error" not in referenced and referenced["question_id"].startswith("ref-"), referenced
    assert "perceptron" in referenced["question_id"]  # named after the id's question text
    assert rows[8]["grade"]["error"].startswith("'reference' is empty: give the text to grade against")
    assert rows[9]["grade"]["error"].startswith("'reference' must be text")
    assert rows[10]["grade"]["score"] == alone["score"]
    assert "graded 5 answers, 6 could not be graded" in res.stderr


def test_a_question_no_indexed_one_matches_names_the_nearest_and_its_id(grade_cli, tmp_path):
    # a walkthrough found the question ids only by opening the drafts files
    line = json.dumps({"question": "What is the Global Interpreter Lock?", "answer": "A lock."}).encode()
    res, out = grade_cli(line + b"\n", tmp_path)
    error = strict(out.splitlines()[0])["grade"]["error"]
    assert error.startswith("no indexed question matches this one closely enough (best similarity 0."), error
    near_id = error.split("question_id '")[1].split("'")[0]
    assert "pass that question_id if it is the one you mean, or an explicit reference" in error
    again = json.dumps({"question_id": near_id, "answer": "A lock."}).encode()
    res, out = grade_cli(again + b"\n", tmp_path)
    assert "score" in strict(out.splitlines()[0])["grade"], out


def test_an_output_path_that_cannot_be_written_is_one_line_before_any_model_loads(tmp_path, monkeypatch):
    # a walkthrough read "Error: [Errno 2] No such file or directory: ..." after the models had loaded
    monkeypatch.setattr("coach.service.Coach.ensure_index", lambda *a, **k: pytest.fail("models loaded first"))
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"question": Q, "answer": GOOD}) + "\n")
    out = tmp_path / "nope" / "x.jsonl"
    res = CliRunner().invoke(cli, ["grade", "--input", str(inp), "--output", str(out)])
    assert res.exit_code == 1 and res.output.strip() == f"Error: cannot write {out}: its folder does not exist", res.output
    # a start that fails after the check keeps an existing output whole, and leaves no new one (a review)
    from coach.errors import CoachError

    def broken(*a, **k):
        raise CoachError("the index is broken")

    monkeypatch.setattr("coach.service.Coach.ensure_index", broken)
    kept = tmp_path / "graded.jsonl"
    kept.write_text("the previous results\n")
    for path in (kept, tmp_path / "new.jsonl"):
        res = CliRunner().invoke(cli, ["grade", "--input", str(inp), "--output", str(path)])
        assert res.exit_code == 1 and "the index is broken" in res.output
    assert kept.read_text() == "the previous results\n" and not (tmp_path / "new.jsonl").exists()


def test_model_loading_bars_are_off_unless_verbose(monkeypatch):
    # "Loading weights 0/103" bars of the model libraries landed between "Grading..." and the score in coach chat
    import os

    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "x")  # recorded, so that the test ends with it as it was
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS")
    assert CliRunner().invoke(cli, ["-v", "config"]).exit_code == 0
    assert "HF_HUB_DISABLE_PROGRESS_BARS" not in os.environ
    assert CliRunner().invoke(cli, ["config"]).exit_code == 0
    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
