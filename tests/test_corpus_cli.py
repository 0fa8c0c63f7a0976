"""`coach corpus parse` through click's CliRunner (contract: /work/shared/CONTRACTS.md)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from coach.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "corpus"
REQUIRED = {"id", "source", "question", "answer", "line_start", "line_end"}


def run(*args):
    return CliRunner().invoke(cli, ["corpus", "parse", *map(str, args)])


def test_parse_bundled_to_stdout(bundled_dir):
    result = run(bundled_dir)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 81 + 20 + 30 + 9 + 65
    assert all(REQUIRED <= set(r) and {"topic", "group_id", "kind", "blocks"} <= set(r) for r in rows)
    first = rows[0]
    assert first["id"] == "000_89ca2624adfbc5ce.txt:30" and first["source"] == "000_89ca2624adfbc5ce.txt"
    assert first["question"] == "What is the difference between Machine Learning and Deep Learning?"
    perceptrons = [r for r in rows if r["question"] == "What is a perceptron?"]
    assert len({r["source"] for r in perceptrons}) == 2 and len({r["group_id"] for r in perceptrons}) == 1


def test_parse_to_file_with_skipped_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    out = tmp_path / "out" / "records.jsonl"
    result = run(DATA / "qnum.txt", empty, "--output", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("Warning:")]
    assert warnings == [f"Warning: skipped {empty}: empty file"]
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["line_start"], r["question"]) for r in rows] == [
        (1, "What is overfitting?"), (5, "Explain dropout."), (9, "Describe early stopping.")]


def test_missing_path_is_one_error_line(tmp_path):
    result = run(tmp_path / "missing.txt")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"Error: no such file or folder: {tmp_path / 'missing.txt'}"]


def test_nothing_parsed_exits_1(tmp_path):
    (tmp_path / "a.txt").write_text("   \n")
    result = run(tmp_path)
    assert result.exit_code == 1  # the one reason, on one line
    assert result.stderr.strip().splitlines() == [f"Error: empty file (whitespace only): {tmp_path / 'a.txt'}"]
    (tmp_path / "a.txt").unlink()
    (tmp_path / "notes.bin").write_text("unsupported")
    result = run(tmp_path)
    assert result.exit_code == 1 and result.stderr.strip().startswith("Error: no readable sources")


def test_a_missing_path_does_not_stop_the_others(tmp_path):
    result = run(DATA / "qnum.txt", tmp_path / "missing.txt")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 3
    assert result.stderr.strip().splitlines() == [f"Warning: skipped {tmp_path / 'missing.txt'}: no such file or folder"]


def test_no_arguments_is_a_usage_error():
    assert run().exit_code == 2
