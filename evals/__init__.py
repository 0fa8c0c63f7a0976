"""Evaluation harness: labelled data in evals/data/, one evaluator contract, reports."""
