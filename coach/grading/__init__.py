"""Grading: rubric-based, explainable, deterministic grades of free-text answers."""

from coach.grading.combine import Calibration
from coach.grading.grader import GradeError, Grader
from coach.grading.rubrics import Rubric, RubricBank
from coach.grading.types import Citation, Grade, Step

__all__ = ["Calibration", "Citation", "Grade", "GradeError", "Grader", "Rubric", "RubricBank", "Step"]
