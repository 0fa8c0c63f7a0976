"""The recital set (``data/new_sources/recital_answers.jsonl``, datasheet ``data/README_recital.md``): answers that copy
or closely reword a new-source document's own answer, half of them right (word for word, lightly reworded, one or two
of its sentences) and half with ONE fact turned false. Written by a helper blind to the grader's code and to the other
evaluation sets, after two user walkthroughs found correct answers in the source's words graded "incorrect"; test-only,
never tuned on. The other new-source answers are mostly written in other words than the source, so they do not
measure this.

``python -m evals.recital`` (``COACH_HOME`` as for ``coach eval grading``: it builds or re-uses the same
``eval-new-sources`` state) grades every answer as ``coach grade`` would (the indexed question closest to its text,
with its drafted rubric) and prints, as JSON: Spearman against the expert scores beside the cosine baseline
(MiniLM cosine of the answer and the rubric's model answer), and per kind the expert and predicted means and the
shares called "correct" and "incorrect".

``python -m evals.recital --dev`` measures the DEV set instead (``data/recital_dev/``, datasheet
``data/README_recital_dev.md``): 80 answers of the same four kinds on 20 questions of four user-walkthrough pages
(Kubernetes, Git, web security, data engineering), written blind by another helper. It is tuning data: experiment 53
was tuned on it (README), the test set above never. ``--java``: 40 answers of the same kinds on the Java page of a
walkthrough (``data/recital_java/``, datasheet ``data/README_recital_java.md``), written blind and read once as
experiment 53e's check."""

from __future__ import annotations

import json
import sys
from collections import defaultdict

from evals.base import load_jsonl
from evals.new_sources import NEW_SOURCES_DIR, RECITAL_DEV_DIR, RECITAL_JAVA_DIR

RECITAL = NEW_SOURCES_DIR / "recital_answers.jsonl"
RECITAL_DEV = RECITAL_DEV_DIR / "recital_dev.jsonl"
RECITAL_JAVA = RECITAL_JAVA_DIR / "recital_java.jsonl"


def recital_figures(coach, path=RECITAL) -> dict:
    from coach.datafiles import spearman
    from coach.grading.text import normalise

    from coach.judge.scorer_train import question_key, trained_questions

    rows = load_jsonl(path)
    trained = trained_questions()
    g = coach.grader
    pred, cos, gold = [], [], []
    kinds: dict[str, list] = defaultdict(list)
    for r in rows:
        grade = g.grade(r["question"], r["answer"])
        v = g.vecs([normalise(r["answer"]), normalise(grade.model_answer or "")])
        pred.append(grade.score)
        cos.append(float(v[0] @ v[1]))
        gold.append(float(r["score"]))
        kinds[r["kind"]].append((float(r["score"]), grade.score, grade.verdict))
    out = {"n": len(rows), "spearman": spearman(pred, gold), "cosine_spearman": spearman(cos, gold)}
    # 3 of its 16 questions are textbook questions the answer scorer trained on (in other words and answers): the
    # figures without them too, as for the new-source set's ``unseen_questions_*``
    unseen = [i for i, r in enumerate(rows) if question_key(r["question"]) not in trained]
    pick = lambda xs: [xs[i] for i in unseen]  # noqa: E731
    out["unseen_questions"] = {"n": len(unseen), "spearman": spearman(pick(pred), pick(gold)),
                               "cosine_spearman": spearman(pick(cos), pick(gold))}
    for kind, v in sorted(kinds.items()):
        out[kind] = {"n": len(v), "expert_mean": sum(x[0] for x in v) / len(v), "mean": sum(x[1] for x in v) / len(v),
                     "called_correct": sum(x[2] == "correct" for x in v) / len(v),
                     "called_incorrect": sum(x[2] == "incorrect" for x in v) / len(v)}
    return out


def main(argv: list[str]) -> int:
    from coach.config import load_settings
    from evals.new_sources import coach_with_new_sources, coach_with_recital_dev

    if argv not in ([], ["--dev"], ["--java"]):
        print("usage: python -m evals.recital [--dev | --java]   (COACH_HOME: where the evaluation state is kept; --dev: "
              "the recital dev set, tuning data; --java: experiment 53e's blind check)", file=sys.stderr)
        return 2
    if argv == ["--dev"]:
        print(json.dumps(recital_figures(coach_with_recital_dev(load_settings()), RECITAL_DEV), indent=2))
    elif argv == ["--java"]:
        print(json.dumps(recital_figures(coach_with_recital_dev(load_settings(), RECITAL_JAVA_DIR), RECITAL_JAVA), indent=2))
    else:
        print(json.dumps(recital_figures(coach_with_new_sources(load_settings())), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
