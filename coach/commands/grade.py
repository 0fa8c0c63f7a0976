"""`coach grade --input IN.jsonl --output OUT.jsonl` (format in the README, "Grading a file": a contract
outside tools read, the team's CONTRACTS.md).

Each output line is its input line plus "grade". A line that cannot be graded gets
{"grade": {"error": ...}}, never a silent drop: the input is read as bytes and cut at "\n" only, so
every input line (empty, not UTF-8, not strict JSON...) gets exactly one strict JSON output line, in
order. Lines are written and flushed as they are graded, so an interrupted run keeps everything so far.
Exit status: 1 when no line could be graded (CONTRACTS.md); when only some could not, 0 (the errors are in their
lines, as the contract asks) with the closing stderr line naming them, or 1 with --strict.
"""

from __future__ import annotations

import sys

import click
from tqdm import tqdm

from coach.datafiles import LineError, dumps_line, parse_jsonl_line
from coach.diskio import check_output_file, disk_error
from coach.errors import CoachError


def split_lines(data: bytes) -> list[bytes]:
    """Lines end at b"\n" only; a final newline does not start an extra line; "\r\n" loses its "\r"."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _grade_line(coach, n: int, line: bytes) -> dict:
    try:
        row = parse_jsonl_line(line, n)
    except LineError as exc:  # keep what could be read of the line (its other fields) when there is any
        kept = exc.value if isinstance(exc.value, dict) else {"line": n}
        return {**kept, "grade": {"error": str(exc)}}
    if not isinstance(row, dict):
        return {"line": n, "value": row, "grade": {"error": f"line {n} is not a JSON object"}}
    question, answer, question_id = row.get("question"), row.get("answer"), row.get("question_id")
    if question_id is not None and not isinstance(question_id, str):
        row["grade"] = {"error": "'question_id' must be a string (an indexed question's id)"}
        return row
    if question is None and isinstance(question_id, str) and question_id.strip():
        question = ""  # the id names the question: the grader reads its text (a user walkthrough had this refused)
    if not isinstance(question, str) or not isinstance(answer, str):
        row["grade"] = {"error": "each line needs string fields 'question' and 'answer' (or 'question_id' for 'question')"}
        return row
    reference = row.get("reference")
    # a reference given but unusable is this line's error: it was dropped silently, and the line was graded against
    # the indexed sources instead ("no indexed question matches", a walkthrough); null stands for no reference
    if reference is not None and not isinstance(reference, str):
        row["grade"] = {"error": "'reference' must be text (the answer to grade against), or left out"}
        return row
    if reference is not None and not reference.strip():
        row["grade"] = {"error": "'reference' is empty: give the text to grade against, or leave it out to grade "
                                 "against the indexed sources"}
        return row
    try:
        grade = coach.grade(question, answer, question_id=question_id, reference=reference)
        row["grade"] = grade.to_contract()
    except CoachError as exc:
        row["grade"] = {"error": str(exc)}
    except Exception as exc:  # one bad line must not stop the batch
        row["grade"] = {"error": f"{type(exc).__name__}: {exc}"}
    return row


@click.command()
@click.option("--input", "input_", required=True, type=click.Path(dir_okay=False, allow_dash=True), help="JSONL, one object per line: question, answer, optionally reference (grade against this text instead "
              "of the indexed sources) or question_id; other fields are kept ('-' for stdin).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, allow_dash=True), help="JSONL to write: each input line plus \"grade\" (score, verdict, feedback, references, right, missing, "
              "wrong, steps, notes), or \"grade\": {\"error\": ...} for a line that cannot be graded ('-' for stdout).")
@click.option("--strict", is_flag=True, help="Exit 1 when any line could not be graded (by default only when none "
              "could; every line is written either way).")
@click.pass_obj
def grade(settings, input_, output, strict):
    """Grade answers: each line {"question", "answer"[, "reference", "question_id"]} ("question" may be left out
    when "question_id" names an indexed question)."""
    from coach.startup import ensure_index_with_progress
    from coach.service import Coach

    if input_ != "-":
        try:
            with open(input_, "rb") as fh:
                lines = split_lines(fh.read())
        except FileNotFoundError:
            raise CoachError(f"input file not found: {input_}") from None
    else:
        lines = split_lines(sys.stdin.buffer.read())
    if output != "-":
        check_output_file(output, "write the grades to")  # before the models load: a bad path fails fast
    coach = Coach(settings)
    ensure_index_with_progress(coach)  # a fresh home builds its index first, with a bar on stderr
    errors = graded = 0
    failed: list[int] = []  # the line numbers that could not be graded, named in the closing line
    try:
        out = sys.stdout.buffer if output == "-" else open(output, "wb")
        try:
            for n, line in enumerate(tqdm(lines, desc="grading", unit="answer", file=sys.stderr, disable=None), 1):
                row = _grade_line(coach, n, line)
                try:
                    encoded = dumps_line(row).encode("utf-8")
                except ValueError as exc:  # a value JSON cannot hold (NaN): this line's error, never the batch's
                    row["grade"] = {"error": f"the grade could not be written: {exc}"}
                    try:
                        encoded = dumps_line(row).encode("utf-8")
                    except ValueError:  # the bad value is in the line's own fields: keep only its number
                        encoded = dumps_line({"line": n, "grade": row["grade"]}).encode("utf-8")
                out.write(encoded)
                out.flush()
                if "error" in row["grade"]:
                    errors += 1
                    failed.append(n)
                else:
                    graded += 1
        finally:
            if out is not sys.stdout.buffer:
                out.close()
    except OSError as exc:  # a full disk or a read-only folder: one line, saying what was written
        err = disk_error(exc, f"write the grades to {output}", kept=f"the first {graded + errors} lines were written")
        if err is None:
            raise
        raise err from None
    if errors and not graded:  # the job was not done: one line and a non-zero exit (CONTRACTS.md)
        raise CoachError(f"none of the {errors} answers could be graded: each line's error is in its output line")
    summary = f"graded {graded} answers, {errors} could not be graded"
    if errors:  # a walkthrough saw only the counts: say which lines to open
        summary += f" ({_lines(failed)}): each line's error is in its output line"
        if strict:
            raise CoachError(summary)
    click.echo(summary, err=True)


def _lines(numbers: list[int], shown: int = 10) -> str:
    """'line 3', 'lines 1, 4, 9' or 'lines 1, 2, ... and 40 more' for the closing line."""
    head = ", ".join(map(str, numbers[:shown]))
    more = f" and {len(numbers) - shown} more" if len(numbers) > shown else ""
    return f"line{'s' if len(numbers) > 1 else ''} {head}{more}"
