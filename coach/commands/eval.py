"""`coach eval grading|retrieval|audit|judge|scorer|ask|all|calibrate|judge-trust`: print a JSON object of named metrics."""

from __future__ import annotations

import json
from pathlib import Path

import click

from coach.datafiles import load_jsonl as read_jsonl

SPLITS = click.Choice(["test", "dev", "all"])


def run_evaluators(coach, names: list[str], split: str, limit: int | None, llm: bool = False):
    results = []
    for name in names:
        if name == "ask":
            from evals.ask import DEV_QUESTIONS, QUESTIONS, evaluate_ask

            # two blind helpers' question sets: the test set, and a dev set the thresholds were tuned on
            path = DEV_QUESTIONS if split == "dev" else QUESTIONS
            results.append(evaluate_ask(coach, read_jsonl(path)[:limit], llm=llm))
        elif name == "grading":
            from evals.grading import GRADED_ANSWERS, GradingEvaluator
            from evals.judge import (BEHAVIOURAL, BEHAVIOURAL_2, BEHAVIOURAL_3, BEHAVIOURAL_4, BEHAVIOURAL_5,
                                      BEHAVIOURAL_6, BEHAVIOURAL_7, NEW_SOURCE_ANSWERS, OTHER_SUBJECT)
            from evals.new_sources import coach_with_new_sources

            bundled = GradingEvaluator(coach.grader)(split=split, limit=limit)
            dev = [r for r in read_jsonl(GRADED_ANSWERS) if r.get("split") == "dev"]
            # the other sets are test-only: measured as they are, whatever --split says
            for key, path, grader in (("other_subject", OTHER_SUBJECT, lambda: coach.grader),
                                      ("new_sources", NEW_SOURCE_ANSWERS, lambda: coach_with_new_sources(coach.settings).grader),
                                      ("behavioural", BEHAVIOURAL, lambda: coach.grader),
                                      ("behavioural_2", BEHAVIOURAL_2, lambda: coach.grader),
                                      ("behavioural_3", BEHAVIOURAL_3, lambda: coach.grader),
                                      ("behavioural_4", BEHAVIOURAL_4, lambda: coach.grader),
                                      ("behavioural_5", BEHAVIOURAL_5, lambda: coach.grader),
                                      ("behavioural_6", BEHAVIOURAL_6, lambda: coach.grader),
                                      ("behavioural_7", BEHAVIOURAL_7, lambda: coach.grader)):
                if path.exists():
                    res = GradingEvaluator(grader(), read_jsonl(path), name=key, baseline_dev=dev, repeat=False)(split="test", limit=limit)
                    # reported beside the bundled figures under their own keys; the result's n, failures and
                    # plots stay the bundled set's, which its primary figure is measured on
                    bundled.metrics.update({f"{key}_{k}": v for k, v in res.metrics.items() if k != "confusion"})
                    bundled.metrics[f"{key}_failures"] = float(res.failures)
                    bundled.details.extend({"set": key, **d} for d in res.details)
            from evals.grading import adversarial_metrics

            bundled.metrics.update(adversarial_metrics(coach.grader))
            from evals.no_attempt import no_attempt_metrics

            bundled.metrics.update(no_attempt_metrics(split, coach.grader))
            results.append(bundled)
        elif name == "scorer":
            from evals.scorer import evaluate_scorer

            results.append(evaluate_scorer(coach, split, limit))
        elif name == "retrieval":
            from evals.base import DATA_DIR, load_jsonl, select_split
            from evals.retrieval import evaluate_retrieval

            rows = select_split(load_jsonl(DATA_DIR / "retrieval_queries.jsonl"), split)[:limit]
            results.append(evaluate_retrieval(coach.index, rows))
        elif name == "judge":
            from coach.judge import Judge
            from evals.judge import JudgeEvaluator
            from evals.new_sources import coach_with_new_sources

            judge = coach.nli
            if judge is None:
                from coach.errors import CoachError

                raise CoachError("no judgement model: run `coach judge train` or set COACH_JUDGE_MODEL")
            fp32 = Judge(judge.path, int8=False) if judge.int8 else None
            ns = coach_with_new_sources(coach.settings)
            results.append(JudgeEvaluator(judge, coach.grader, fp32_judge=fp32, new_source_grader=ns.grader)(split=split, limit=limit))
        elif name == "audit":
            from evals.audit import AuditEvaluator, own_audit_flags
            from evals.new_sources import audit_dev_audit, audit_dev_documents, new_source_audit

            bundled = AuditEvaluator(own_audit_flags(coach))(split=split, limit=limit)
            fresh = new_source_audit(coach.settings)
            bundled.metrics.update({f"new_sources_{k}": v for k, v in fresh.metrics.items()})
            bundled.details.extend({"set": "new_sources", **d} for d in fresh.details)
            if audit_dev_documents():  # the audit dev set: the trusted check is fit on it (tuning data)
                dev = audit_dev_audit(coach.settings)
                bundled.metrics.update({f"audit_dev_{k}": v for k, v in dev.metrics.items()})
                bundled.details.extend({"set": "audit_dev", **d} for d in dev.details)
            results.append(bundled)
    return results


def _emit(results, report: str | None, split: str) -> None:
    from coach.datafiles import json_safe

    out = {r.name: {**r.summary()} for r in results}
    if report:
        from evals.report import write_report

        path = write_report(results, Path(report), split)
        click.echo(f"report written to {path}", err=True)
    click.echo(json.dumps(json_safe(out), indent=2, default=float))


def _make(name: str, help_text: str):
    @click.command(name=name, help=help_text)
    @click.option("--split", type=SPLITS, default="test", show_default=True, help="Labelled split to measure on.")
    @click.option("--limit", type=int, default=None, help="Only the first N cases (a quick slice).")
    @click.option("--report", type=click.Path(file_okay=False), default=None, help="Write report.md, plots and metrics.json here.")
    @click.pass_obj
    def cmd(settings, split, limit, report):
        from coach.service import Coach

        coach = Coach(settings)
        coach.ensure_index()
        names = ["grading", "retrieval", "audit", "judge", "scorer", "ask"] if name == "all" else [name]
        _emit(run_evaluators(coach, names, split, limit), report, split)

    return cmd


@click.command(name="ask")
@click.option("--split", type=click.Choice(["test", "dev"]), default="test", show_default=True,
              help="test: evals/data/ask_questions.jsonl; dev: ask_dev_questions.jsonl (the tuning set).")
@click.option("--limit", type=int, default=None, help="Only the first N questions (a quick slice).")
@click.option("--llm/--no-llm", default=False, show_default=True,
              help="Also let the configured LLM answer each in-scope question and report how many of its sentences the judge drops as unsupported.")
@click.option("--report", type=click.Path(file_okay=False), default=None, help="Write report.md, plots and metrics.json here.")
@click.pass_obj
def ask_cmd(settings, split, limit, llm, report):
    """Ask the coach: answer found in the first reply, citations, out-of-scope refused (beside the previous version)."""
    from coach.service import Coach

    coach = Coach(settings)
    coach.ensure_index()
    _emit(run_evaluators(coach, ["ask"], split, limit, llm=llm), report, split)


@click.group(name="eval")
def eval_():
    """Measure grading, retrieval and source-audit quality on the labelled data in evals/data."""


for _name, _help in (
    ("grading", "Grader vs expert scores (with the cosine baseline)."),
    ("retrieval", "Recall@k and MRR@10 of dense, BM25 and hybrid retrieval."),
    ("audit", "Source-audit precision/recall against the answer key."),
    ("judge", "The judgement model: synthetic held-out pairs and real graded answers, beside baselines."),
    ("scorer", "The answer scorer alone: predicted vs expert grades on every graded set, beside cosine."),
    ("all", "All of the above, and ask."),
):
    eval_.add_command(_make(_name, _help))
eval_.add_command(ask_cmd)


def fit_note(draft: bool, judge_grading: str) -> str:
    """The default ``fitted_on.note`` of a calibration fit: when and how it was made."""
    import datetime

    day = datetime.date.today().isoformat()
    return (f"fit {day} on the dev split with COACH_JUDGE_GRADING={judge_grading}: "
            f"coach eval calibrate{' --draft' if draft else ''}")


@eval_.command()
@click.option("--write/--dry-run", default=True, help="Write coach/grading/calibration.json (default) or just print.")
@click.option("--draft", is_flag=True, help="Fit the combiner for drafted rubrics (answers graded against their "
              "source's reference only): calibration_judge_draft.json with COACH_JUDGE_GRADING=1. Without the judge the "
              "fit writes calibration_draft.json; check its weights before keeping it (README, Evaluation).")
@click.option("--note", default=None, help="Why this fit was made, kept in fitted_on.note (default: the date and the command).")
@click.option("--scorer-dev/--no-scorer-dev", default=None,
              help="Also fit on the answer scorer's dev questions (clean references; coach/judge/data/graded). "
                   "Default: on with --draft, off otherwise.")
@click.pass_obj
def calibrate(settings, write, draft, note, scorer_dev):
    """Fit the grading combiner on the DEV split and save it (calibration_judge.json when the judge grades, COACH_JUDGE_GRADING)."""
    from coach.grading.combine import calibration_path
    from coach.service import Coach
    from evals.calibrate import fit

    coach = Coach(settings)
    coach.ensure_index()
    g = coach.grader
    # the fit for the mode graded in now (with the answer scorer: its own file, the plain fit stays)
    path = calibration_path(g.nli is not None and (draft or g.nli_scope == "all"), draft=draft, scorer=g.scorer is not None)
    scorer_dev = draft if scorer_dev is None else scorer_dev
    cal = fit(coach.grader, draft=draft, scorer_dev=scorer_dev)
    cal.fitted_on["note"] = note or (fit_note(draft, g.nli_scope if g.nli is not None else "off")
                                     + (" (answer scorer on)" if g.scorer is not None else ""))
    if write:
        cal.save(path)
        click.echo(f"calibration written to {path}", err=True)
    from dataclasses import asdict

    click.echo(json.dumps(asdict(cal), indent=2))


@eval_.command("audit-fit")
@click.option("--write/--dry-run", default=True, help="Write coach/audit/trusted_thresholds.json (default) or just print.")
@click.pass_obj
def audit_fit(settings, write):
    """Fit the trusted audit check's thresholds on the DEV split of the source-error key."""
    from coach.service import Coach
    from evals.audit_fit import fit, save

    coach = Coach(settings)
    coach.ensure_index()
    result = fit(coach)
    if write:
        save(result)
    click.echo(json.dumps({k: v for k, v in result.items() if not k.startswith("sweep")}, indent=2))


@eval_.command("judge-trust")
@click.option("--limit", type=int, default=None, help="Only the first N dev answers (a quick, rougher measurement).")
@click.pass_obj
def judge_trust(settings, limit):
    """Measure whether the configured LLM may judge answers (dev split; writes COACH_HOME/judge_trust.json)."""
    from coach.grading.judge import measure_trust
    from coach.service import Coach
    from evals.base import load_jsonl
    from evals.grading import GRADED_ANSWERS

    coach = Coach(settings)
    coach.ensure_index()
    result = measure_trust(coach.grader, coach.llm, load_jsonl(GRADED_ANSWERS), settings, limit=limit)
    click.echo(json.dumps(result, indent=2))
