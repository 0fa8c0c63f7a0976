"""Check `arithmetic`: worked examples recomputed, formulas tested against the relations in the knowledge base."""

from __future__ import annotations

import pytest
from test_audit_support import line_of, parse_simple

from coach.audit.checks import AuditContext
from coach.audit.checks.arithmetic import check_arithmetic, safe_eval
from coach.audit.runner import source_claims


@pytest.fixture(scope="module")
def flagged():
    ps = parse_simple("arithmetic_source.txt")
    claims, _ = source_claims(ps)
    flags = check_arithmetic(claims, AuditContext())
    return ps, {f.line_start: f for f in flags}


def test_correct_divisions_are_not_flagged(flagged):
    ps, by_line = flagged
    assert line_of(ps, "12,000 / 100 = 120") not in by_line
    assert line_of(ps, "(6,000 divided by 300)") not in by_line


def test_wrong_division_is_flagged_with_the_computation(flagged):
    ps, by_line = flagged
    f = by_line[line_of(ps, "9,000 divided by 30 is 200")]
    assert f.verdict == "error" and f.kind == "arithmetic"
    assert "300" in f.reason and f.evidence[0]["type"] == "computation"


def test_result_with_wrong_operand_in_parentheses(flagged):
    # "40 iterations (8,000 divided by 40)": 8,000 / 40 = 200, so the divisor must be 200 for 40 iterations.
    ps, by_line = flagged
    f = by_line[line_of(ps, "(8,000 divided by 40)")]
    assert "200" in f.reason and "8,000 divided by 200 = 40" in f.correction


def test_inconsistent_formula_is_flagged_and_consistent_ones_are_not(flagged):
    ps, by_line = flagged
    assert by_line[line_of(ps, "Epoch = Number of iterations * Batch Size")].kind == "formula"
    assert line_of(ps, "Number of iterations = (Total number of samples) / Batch Size") not in by_line
    assert line_of(ps, "n*e = i*b") not in by_line  # letters declared in the legend lines below it


def test_convolution_output_size(flagged):
    ps, by_line = flagged
    assert line_of(ps, "= 28 x 28") not in by_line  # (32 - 5) / 1 + 1 = 28
    wrong = by_line[line_of(ps, "= 32 x 32")]  # (32 - 3) / 1 + 1 = 30
    assert "30" in wrong.reason


def test_safe_eval_refuses_anything_but_arithmetic():
    assert safe_eval("(N - F + 2 * P) / S + 1", {"N": 28, "F": 7, "P": 0, "S": 1}) == 22
    for bad in ("__import__('os')", "N ** 2", "open('x')"):
        with pytest.raises(ValueError):
            safe_eval(bad, {"N": 2})


def test_metric_formulas(flagged):
    ps, by_line = flagged
    assert line_of(ps, "Precision: TP / (TP + FP)") not in by_line
    assert line_of(ps, "Accuracy = (TP + TN)") not in by_line
    assert by_line[line_of(ps, "Recall: TP / (TP + FP)")].kind == "formula"
