"""`coach grade --input IN.jsonl --output OUT.jsonl` (contract in CONTRACTS.md).

Each output line is its input line plus "grade". A line that cannot be graded gets
{"grade": {"error": ...}}, never a silent drop. Lines are written and flushed as they are graded,
so an interrupted run keeps everything graded so far.
"""

from __future__ import annotations

import json
import sys

import click
from tqdm import tqdm

from coach.errors import CoachError


def _grade_line(coach, n: int, line: str) -> dict:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"line": n, "grade": {"error": f"line {n} is not valid JSON: {exc.msg}"}}
    if not isinstance(row, dict):
        return {"line": n, "value": row, "grade": {"error": f"line {n} is not a JSON object"}}
    question, answer = row.get("question"), row.get("answer")
    if not isinstance(question, str) or not isinstance(answer, str):
        row["grade"] = {"error": "each line needs string fields 'question' and 'answer'"}
        return row
    reference = row.get("reference") if isinstance(row.get("reference"), str) else None
    try:
        grade = coach.grade(question, answer, question_id=row.get("question_id"), reference=reference)
        row["grade"] = grade.to_contract()
    except CoachError as exc:
        row["grade"] = {"error": str(exc)}
    except Exception as exc:  # one bad line must not stop the batch
        row["grade"] = {"error": f"{type(exc).__name__}: {exc}"}
    return row


@click.command()
@click.option("--input", "input_", required=True, type=click.Path(dir_okay=False, allow_dash=True), help="JSONL with question and answer per line ('-' for stdin).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, allow_dash=True), help="JSONL to write ('-' for stdout).")
@click.pass_obj
def grade(settings, input_, output):
    """Grade answers: each line {"question", "answer"[, "reference", "question_id"]}."""
    from coach.service import Coach

    if input_ != "-":
        try:
            lines = open(input_, encoding="utf-8").read().splitlines()
        except FileNotFoundError:
            raise CoachError(f"input file not found: {input_}") from None
        except UnicodeDecodeError:
            raise CoachError(f"input file is not UTF-8 text: {input_}") from None
    else:
        lines = sys.stdin.read().splitlines()
    coach = Coach(settings)
    coach.ensure_index()
    errors = graded = 0
    out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")
    try:
        for n, line in enumerate(tqdm(lines, desc="grading", unit="answer", file=sys.stderr, disable=None), 1):
            if not line.strip():
                continue
            row = _grade_line(coach, n, line)
            errors += "error" in row["grade"]
            graded += "error" not in row["grade"]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    click.echo(f"graded {graded} answers, {errors} could not be graded", err=True)
