"""`coach eval ... --report DIR`: a Markdown report with PNG plots, plus the JSON metrics.

Plots (grading): predicted vs expert scatter (grader and cosine baseline), predicted score per
expert tier (box plot), and the verdict confusion matrix.
"""

from __future__ import annotations

import json
from pathlib import Path

from coach.datafiles import json_safe
from evals.base import EvalResult
from evals.metrics import TIER_TO_VERDICT, VERDICTS

TIERS = ("excellent", "good", "partial", "wrong", "off_topic")


def _plots(result: EvalResult, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = [r for r in result.details if "set" not in r]  # the set the primary figure is on (others are tagged)
    gold = [float(r["score"]) for r in d]
    pred = [r["pred"] for r in d]
    base = [r["baseline"] for r in d]
    files = []

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
    for ax, ys, title in ((axes[0], pred, "grader"), (axes[1], base, "cosine baseline")):
        ax.scatter(gold, ys, s=14, alpha=0.6)
        ax.plot([0, 10], [0, 10], "k--", lw=0.8)
        ax.set(xlabel="expert score", ylabel="predicted score", title=title, xlim=(-0.5, 10.5), ylim=(-0.5, 10.5))
    fig.tight_layout()
    fig.savefig(out / "grading_scatter.png", dpi=110)
    plt.close(fig)
    files.append("grading_scatter.png")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    data = [[r["pred"] for r in d if r["tier"] == t] or [float("nan")] for t in TIERS]
    ax.boxplot(data, tick_labels=list(TIERS))
    ax.set(ylabel="predicted score", title="predicted score by expert tier", ylim=(-0.5, 10.5))
    fig.tight_layout()
    fig.savefig(out / "grading_tiers.png", dpi=110)
    plt.close(fig)
    files.append("grading_tiers.png")

    labels = list(VERDICTS) + ["error"]
    idx = {lab: i for i, lab in enumerate(labels)}
    m = [[0] * len(labels) for _ in VERDICTS]
    for r in d:
        m[VERDICTS.index(TIER_TO_VERDICT[r["tier"]])][idx.get(r["verdict"], len(labels) - 1)] += 1
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30)
    ax.set_yticks(range(len(VERDICTS)), VERDICTS)
    ax.set(xlabel="predicted verdict", ylabel="expert verdict", title="verdict confusion")
    for i, row in enumerate(m):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center")
    fig.tight_layout()
    fig.savefig(out / "grading_confusion.png", dpi=110)
    plt.close(fig)
    files.append("grading_confusion.png")
    return files


def _fmt(v) -> str:
    if isinstance(v, list) and all(isinstance(x, float) for x in v):  # an interval: [lo, hi]
        return "[" + ", ".join(f"{x:.3f}" for x in v) + "]"
    return f"{v:.3f}" if isinstance(v, float) else json.dumps(v)


def write_report(results: list[EvalResult], out: Path, split: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# Interview Coach evaluation report", "", f"Split: **{split}**. Failures are counted, never dropped.", ""]
    for r in results:
        lines += [f"## {r.name}", "", f"Primary metric: `{r.primary}` = **{r.primary_value:.3f}**; cases: {r.n}; failures: {r.failures}.", ""]
        lines += ["| metric | value |", "|---|---|"]
        # every figure and interval; not a table of tables (the confusion matrix is plotted)
        lines += [f"| {k} | {_fmt(v)} |" for k, v in r.metrics.items()
                  if not (isinstance(v, list) and any(isinstance(x, list) for x in v))]
        lines.append("")
        if r.name == "grading" and r.details:
            for f in _plots(r, out):
                lines += [f"![{f}]({f})", ""]
        if r.name == "audit":
            missed = [d for d in r.details if "found" in d and not d["found"]]
            if missed:
                lines += ["Missed errors:", ""] + [f"- {d['id']} {d['source']}:{d['line_start']} ({d['severity']}, {d['kind']})" for d in missed] + [""]
    (out / "metrics.json").write_text(json.dumps(json_safe({r.name: r.summary() for r in results}), indent=2, default=float) + "\n")
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
