"""`coach bench [--quick] [--only index,llm,judge,grading,audit] [--output FILE]`: JSON speed/memory figures."""

from __future__ import annotations

import json
import logging
import sys

import click

PARTS = ("index", "llm", "judge", "grading", "audit")
log = logging.getLogger(__name__)


@click.command()
@click.option("--quick", is_flag=True, help="Small sizes (about a minute) instead of the full run.")
@click.option("--only", default=",".join(PARTS), show_default=True, help="Comma-separated parts to run.")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="Also write the JSON here.")
@click.pass_obj
def bench(settings, quick, only, output):
    """Benchmark indexing, retrieval, LLM backends, grading and the source audit."""
    from coach.errors import CoachError
    from coach.service import Coach

    parts = [p.strip() for p in only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise CoachError(f"unknown bench part {unknown[0]!r}: choose from {', '.join(PARTS)}")
    coach = Coach(settings)
    results: dict = {"quick": quick}
    failures = 0
    for part in parts:
        click.echo(f"bench: {part}...", err=True)
        try:
            if part == "index":
                from index.bench import run_index_bench

                results["index"] = run_index_bench(settings, quick=quick)
            elif part == "llm":
                from coach.llm.bench import run_llm_bench

                results["llm"] = run_llm_bench(settings, quick=quick)
            elif part == "judge":
                from coach.bench import bench_judge

                results["judge"] = bench_judge(settings, quick=quick)
            elif part == "grading":
                from coach.bench import bench_grading

                coach.ensure_index()
                results["grading"] = bench_grading(coach, quick=quick)
            elif part == "audit":
                from coach.bench import bench_audit

                coach.ensure_index()
                results["audit"] = bench_audit(coach)
        except Exception as exc:  # counted and reported, never dropped
            failures += 1
            log.debug("bench part %s failed", part, exc_info=True)
            results[part] = {"error": f"{type(exc).__name__}: {exc}"}
    results["failures"] = failures
    text = json.dumps(results, indent=2, default=float)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    click.echo(text)
    if failures:
        sys.exit(1)
