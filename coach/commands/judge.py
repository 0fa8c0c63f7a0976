"""`coach judge train|train-scorer|train-verifier|train-attempt|train-story|data|score|score-answer|verify-claim|export-trusted`: train, inspect and try
the judgement (NLI) model, the answer scorer and the claim verifier."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click


@click.group()
def judge():
    """The judgement model: entailment / neutral / contradiction between two statements."""


@judge.command()
@click.option("--output", type=click.Path(file_okay=False), default=None,
              help="Where to write the model (default: the shipped coach/judge/weights).")
@click.option("--epochs", type=int, default=1, show_default=True)
@click.option("--batch-size", type=int, default=16, show_default=True)
@click.option("--lr", type=float, default=8e-5, show_default=True)
@click.option("--max-len", type=int, default=160, show_default=True, help="Word pieces per pair.")
@click.option("--max-pairs", type=int, default=None, help="Train on only the first N (shuffled) pairs: a quick run.")
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--threads", type=int, default=0, help="torch threads (0: the physical cores).")
@click.option("--init", type=click.Path(file_okay=False, exists=True), default=None,
              help="Continue from this judge folder: all pairs of the --extra kinds plus a refresher sample of the rest, up to --max-pairs.")
@click.option("--extra", default=None,
              help="Comma-separated extra pair kinds: lex (minimal edits), true (two correct statements, never a contradiction), close (hand-written close rewordings vs the premise and its contradictions), unrelated (a premise about another subject: neutral), graded (the answer scorer's graded train answers against their reference, labelled by tier), graded4 (the same from the parked fourth round, coach/judge/data/graded_round4, where right and wrong answers both reuse the reference's words), graded5 (the same against scraped, list-shaped references, coach/judge/data/graded_round5), cross (one fact by two writers apart, coach/judge/data/cross: the train half); KIND:N takes a sample of N pairs of that kind (without --init the mix is then cut to --max-pairs). With --init (default there: lex): all of them plus a refresher; without: mixed with the main train split, a uniform sample of --max-pairs.")
@click.option("--debias", type=click.Choice(["overlap"]), default=None,
              help="overlap: train as a product of experts with a bias-only model (the training mix's label shares per "
                   "word-overlap bucket), so the judge learns what word overlap alone does not tell (experiment 69, README).")
def train(output, epochs, batch_size, lr, max_len, max_pairs, seed, threads, init, extra, debias):
    """Train the judge from coach/judge/data/raw (the defaults reproduce the shipped model: about 50 minutes on 2 cores)."""
    from coach.judge.model import WEIGHTS_DIR
    from coach.judge.train import train as run

    info = run(Path(output) if output else WEIGHTS_DIR, epochs=epochs, batch_size=batch_size, lr=lr,
               max_len=max_len, max_pairs=max_pairs, seed=seed, threads=threads, init=init,
               extra=None if extra is None else tuple(e.strip() for e in extra.split(",") if e.strip()), debias=debias)
    click.echo(json.dumps(info, indent=2))


@judge.command("train-scorer")
@click.option("--output", type=click.Path(file_okay=False), default=None,
              help="Where to write the model (default: the shipped coach/judge/scorer_weights).")
@click.option("--init", type=click.Path(file_okay=False, exists=True), default=None,
              help="Start from this model folder's encoder (default: the shipped judge, coach/judge/weights: measured "
                   "better than all-MiniLM-L6-v2, dev Spearman 0.836 vs 0.708).")
@click.option("--from-base", is_flag=True, help="Start from all-MiniLM-L6-v2 instead of a judge's encoder.")
@click.option("--epochs", type=int, default=3, show_default=True)
@click.option("--batch-size", type=int, default=16, show_default=True)
@click.option("--lr", type=float, default=5e-5, show_default=True)
@click.option("--max-len", type=int, default=320, show_default=True, help="Word pieces per (question + reference, answer).")
@click.option("--composed", type=int, default=0, show_default=True,
              help="Also train on up to N answers composed from the judge's premise records (label rules, not hand grades).")
@click.option("--recite", is_flag=True, default=False,
              help="Also train on each train question's reference recited word for word as its answer (label rule: "
                   "8.5, or 7.0 under 40 words; references with a known error left out).")
@click.option("--recite-contrast", is_flag=True, default=False,
              help="Also train on the judge's premises recited word for word (9.0) and with one fact turned round (2.5).")
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--threads", type=int, default=0, help="torch threads (0: the physical cores).")
def train_scorer(output, init, from_base, epochs, batch_size, lr, max_len, composed, recite, recite_contrast, seed, threads):
    """Train the answer scorer on coach/judge/data/graded (the defaults reproduce the shipped model: about
    56 minutes on 2 cores)."""
    from coach.errors import CoachError
    from coach.judge.model import WEIGHTS_DIR
    from coach.judge.scorer import SCORER_DIR
    from coach.judge.scorer_train import train_scorer as run

    if init and from_base:
        raise CoachError("--init and --from-base exclude each other")
    if not init and not from_base:
        init = str(WEIGHTS_DIR)
    info = run(Path(output) if output else SCORER_DIR, init=init, epochs=epochs, batch_size=batch_size, lr=lr,
               max_len=max_len, seed=seed, threads=threads, composed=composed, recite=recite, recite_contrast=recite_contrast)
    click.echo(json.dumps(info, indent=2))


ATTEMPT_DATA = ("coach/judge/data/attempt/train_a.jsonl", "coach/judge/data/attempt/train_b.jsonl",
                "coach/judge/data/attempt/train_c.jsonl", "evals/data/no_attempt/dev.jsonl",
                "evals/data/no_attempt/dev2.jsonl", "evals/data/no_attempt/dev3.jsonl", "evals/data/no_attempt/dev4.jsonl")


@judge.command("train-attempt")
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="Labelled answers, one file per writer (repeatable; default: the four sets of the datasheet "
                   "coach/judge/data/attempt/README.md, paths from the repository root).")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="Where to write the model (default: the shipped coach/grading/attempt_model.json).")
@click.option("--C", "Cs", type=float, multiple=True, help="Inverse L2 strength(s) to try (default: 1, 2, 3, 5, 10).")
@click.pass_obj
def train_attempt(settings, data, output, Cs):
    """Train the "no attempt" model (a logistic regression on the answer's embedding) and pick its threshold by
    leave-one-writer-out; the defaults reproduce the shipped model (about 4 minutes, mostly embedding)."""
    from coach.grading.attempt_model import MODEL_FILE, read_labelled, train_attempt_model
    from index.embedder import Embedder

    root = Path(__file__).resolve().parents[2]
    paths = [Path(p) for p in data] or [root / p for p in ATTEMPT_DATA]
    groups = {}
    for path in paths:
        groups[path.stem if path.stem not in groups else str(path)] = read_labelled(path)
    attempts = graded_attempt_texts()
    embedder = Embedder(settings)
    model = train_attempt_model(groups, attempts, embedder.encode, embedder.model_id, Cs=Cs or (1.0, 2.0, 3.0, 5.0, 10.0),
                                progress=lambda s: click.echo(s, err=True))
    model.save(Path(output) if output else MODEL_FILE)
    click.echo(json.dumps({"threshold": model.threshold, **model.info}, indent=2))


# the three development sets and the test sets that became training data: sets 1-2 at experiment 45, set 4 at
# experiment 46 (README): six writers; each file is one writer (experiment 48's refit with sets 5-6 did not ship)
STORY_DATA = (*(f"evals/data/behavioural_dev/graded_behavioural_dev_{w}.jsonl" for w in "abc"),
              *(f"evals/data/behavioural{n}/graded_behavioural{n}.jsonl" for n in ("", "_2", "_4")))


@judge.command("train-story")
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="Graded behavioural answers, JSON lines with question, answer, reference, score, tier, question_id "
                   "(default: the three development sets in evals/data/behavioural_dev/ and behavioural sets 1, 2 "
                   "and 4, 558 answers). Each file is read as one writer.")
@click.option("--stretch-by", type=click.Choice(["writer", "question"]), default="writer", show_default=True,
              help="Fit the stretch onto the 0-10 scale on predictions that hold out each writer (data file), or each "
                   "question (one file).")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="Where to write the model (default: the shipped coach/grading/story_model.json).")
@click.pass_obj
def train_story(settings, data, stretch_by, output):
    """Fit the behavioural-answer model (story features -> 0-10, with its red-flag and off-topic thresholds) on graded
    development answers; the defaults reproduce the shipped model (under a minute, mostly embedding)."""
    from coach.datafiles import load_jsonl
    from coach.grading.story import MODEL_FILE, StoryReader, train_story_model
    from index.embedder import Embedder

    root = Path(__file__).resolve().parents[2]
    paths = [Path(p) for p in data] or [root / p for p in STORY_DATA]
    rows = [{**r, "writer": str(p)} if isinstance(r, dict) else r for p in paths for r in load_jsonl(p)]
    bad = [i for i, r in enumerate(rows, 1) if not isinstance(r, dict) or not all(
        isinstance(r.get(k), str) and r[k].strip() for k in ("question", "answer"))
        or not isinstance(r.get("score"), (int, float)) or isinstance(r.get("score"), bool)
        or not math.isfinite(r["score"]) or not 0 <= r["score"] <= 10]
    if bad:
        raise click.UsageError(f"{len(bad)} line(s) lack a question, an answer or a score from 0 to 10 (first: line {bad[0]})")
    if stretch_by == "writer" and len(set(paths)) < 2:
        raise click.UsageError("--stretch-by writer holds out each data file: give two or more --data files, or "
                               "--stretch-by question")
    embedder = Embedder(settings)
    try:
        model = train_story_model(rows, StoryReader(embedder.encode_grouped), embedder.model_id,
                                  stretch_by="writer" if stretch_by == "writer" else None,
                                  progress=lambda s: click.echo(s, err=True))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    model.save(Path(output) if output else MODEL_FILE)
    click.echo(json.dumps({"flag_min": model.flag_min, "off_topic_below": model.off_topic_below, **model.info}, indent=2))


# the behavioural questions the prompt model learns from (experiment 47): the dev sets and sets 1, 2, 4 and 5; sets 3, 6
# and 7 are never read
PROMPT_DATA = (*STORY_DATA, "evals/data/behavioural_5/graded_behavioural_5.jsonl")


@judge.command("train-prompts")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="Where to write the model (default: the shipped coach/grading/prompt_model.json).")
@click.pass_obj
def train_prompts(settings, output):
    """Fit the behavioural-prompt reader (coach/grading/prompts.py): the behavioural sets' questions against every
    technical question of the repository's documents and evaluation data (a minute, mostly parsing)."""
    from coach.datafiles import load_jsonl
    from coach.grading.prompts import MODEL_FILE, train_prompt_model
    from index.embedder import Embedder

    root = Path(__file__).resolve().parents[2]
    prompts = sorted({r["question"] for p in PROMPT_DATA for r in load_jsonl(root / p)})
    technical = technical_questions(root)
    embedder = Embedder(settings)
    model = train_prompt_model(prompts, technical, embedder.encode, embedder.model_id)
    model.save(Path(output) if output else MODEL_FILE)
    click.echo(json.dumps({"threshold": model.threshold, **model.info}, indent=2))


# evaluation folders added after the shipped prompt model was fitted: not read, so `coach judge train-prompts` still
# reproduces it (tests/test_prompt_model.py)
_AFTER_PROMPT_MODEL = frozenset({"recital_dev", "recital_java", "followups"})


def technical_questions(root: Path) -> list[str]:
    """Every question text of the repository's documents (bundled, evaluation) and of its evaluation data files,
    but the behavioural sets' and those the phrasings read as behavioural."""
    import glob

    from coach.datafiles import load_jsonl
    from corpus import parse_paths
    from corpus.behavioural import behavioural

    def skipped(path: str) -> bool:  # by the path inside the repository, not where the checkout lives (a review)
        rel = Path(path).relative_to(root)
        return (any(part.startswith("behavioural") or part in _AFTER_PROMPT_MODEL for part in rel.parts[:-1])
                or "README" in rel.name or rel.name == "used_questions.txt")

    qs: set[str] = set()
    for f in sorted(glob.glob(str(root / "evals/data/**/*.jsonl"), recursive=True)):
        if skipped(f):
            continue
        try:
            rows = load_jsonl(Path(f))
        except (ValueError, OSError):
            continue
        qs.update(r[k] for r in rows if isinstance(r, dict) for k in ("question", "asked", "query")
                  if isinstance(r.get(k), str))
    docs = [Path(p) for pat in ("corpus/bundled/*", "evals/data/*/*.md", "evals/data/*/*.txt", "evals/data/*/*.html",
                                "evals/data/*/*.pdf") for p in sorted(glob.glob(str(root / pat))) if not skipped(p)]
    for path in docs:
        try:
            qs.update(r.question for ps in parse_paths([path]) for r in ps.records)
        except Exception:  # a document the parser refuses is no question source
            continue
    return sorted(q for q in qs if q.strip() and not behavioural(q))


def graded_attempt_texts() -> list[str]:
    """The graded answers the attempt model must never call "no attempt": the rounds the shipped model was fitted
    with (``graded/`` and ``graded_round4/``, 8,384 answers); later rounds are not read, so
    ``coach judge train-attempt`` still reproduces it."""
    from coach.judge.scorer_train import GRADED_DIR, ROUND4_DIR, load_graded

    return [a["text"] for folder in (GRADED_DIR, ROUND4_DIR) for r in load_graded(folder)[0] for a in r["answers"]]


@judge.command("score-answer")
@click.argument("question")
@click.argument("reference")
@click.argument("answer")
@click.option("--draft", is_flag=True, help="Use the scorer of drafted rubrics (COACH_DRAFT_SCORER), as grading "
              "against a source's own answer or an explicit reference does.")
@click.pass_obj
def score_answer(settings, question, reference, answer, draft):
    """The answer scorer's expected grade (0-10) for one answer against one reference (JSON)."""
    from coach.errors import CoachError
    from coach.judge.scorer import load_draft_scorer, load_scorer

    scorer = (draft and load_draft_scorer(settings)) or load_scorer(settings)
    if scorer is None:
        raise CoachError("the answer scorer is off (COACH_ANSWER_SCORER)")
    click.echo(json.dumps({"expected_grade": round(10 * scorer.score(question, reference, answer), 2)}))


@judge.command("train-verifier")
@click.option("--output", type=click.Path(file_okay=False), default=None,
              help="Where to write the model (default: coach/judge/verifier_weights, what COACH_CLAIM_VERIFIER=default reads; none is shipped).")
@click.option("--init", type=click.Path(file_okay=False, exists=True), default=None,
              help="Start from this model folder's encoder (default: the shipped judge, coach/judge/weights).")
@click.option("--epochs", type=int, default=1, show_default=True)
@click.option("--batch-size", type=int, default=16, show_default=True)
@click.option("--lr", type=float, default=4e-5, show_default=True)
@click.option("--max-examples", type=int, default=18000, show_default=True,
              help="Train on at most N (shuffled) training examples.")
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--threads", type=int, default=0, help="torch threads (0: the physical cores).")
def train_verifier(output, init, epochs, batch_size, lr, max_examples, seed, threads):
    """Train the claim verifier on the trusted statements and their misconceptions (the defaults reproduce
    the shipped model)."""
    from coach.judge.verifier import VERIFIER_DIR
    from coach.judge.verifier_train import train_verifier as run

    info = run(Path(output) if output else VERIFIER_DIR, init=init, epochs=epochs, batch_size=batch_size, lr=lr,
               max_examples=max_examples, seed=seed, threads=threads)
    click.echo(json.dumps(info, indent=2))


@judge.command("verify-claim")
@click.argument("claim")
@click.pass_obj
def verify_claim(settings, claim):
    """The claim verifier's P(refuted) for one claim, with the trusted statements it read (JSON)."""
    from coach.audit.checks import AuditContext
    from coach.errors import CoachError
    from coach.judge.verifier import EVIDENCE_K

    if not claim.strip():
        raise CoachError("give a claim to verify")
    ctx = AuditContext(settings=settings)
    verifier = ctx.verifier()
    if verifier is None:
        raise CoachError("the claim verifier is off or missing (COACH_CLAIM_VERIFIER)")
    index = ctx.trusted_index()
    cands = index.candidates([claim], k=EVIDENCE_K, min_sim=-1.0, max_keyword=0)[0]
    evidence = [index.statements[si].text for si, _ in cands]
    p = float(verifier.scores([(claim, evidence)])[0])
    click.echo(json.dumps({"p_refuted": round(p, 4),
                           "evidence": [{"text": t, "cosine": round(sim, 3)} for t, (_, sim) in zip(evidence, cands)]},
                          indent=2))


@judge.command()
def data():
    """Validate the training data and print counts per split, subject and pair kind (JSON)."""
    from collections import Counter

    from coach.judge.data import build_pairs, data_hash, load_records, split_of

    records, rejected = load_records()
    splits = build_pairs(records)
    out = {
        "data_hash": data_hash(),
        "records": len(records),
        "rejected": rejected,
        "records_per_split": dict(Counter(split_of(r) for r in records)),
        "records_per_subject": dict(Counter(r["subject"] for r in records)),
        "pairs_per_split": {k: len(v) for k, v in splits.items()},
        "train_pairs_per_label": dict(Counter(("entailment", "neutral", "contradiction")[p.label] for p in splits["train"])),
        "train_pairs_per_kind": dict(Counter(p.kind for p in splits["train"])),
    }
    click.echo(json.dumps(out, indent=2))


@judge.command()
@click.argument("premise")
@click.argument("hypothesis")
@click.pass_obj
def score(settings, premise, hypothesis):
    """Probabilities of entailment, neutral and contradiction for one pair (JSON)."""
    from coach.judge import LABELS, load_judge

    p = load_judge(settings).scores([(premise, hypothesis)])[0]
    click.echo(json.dumps({name: round(float(v), 4) for name, v in zip(LABELS, p)}))


@judge.command("export-trusted")
@click.option("--output", type=click.Path(dir_okay=False), required=True, help="JSONL file to write.")
def export_trusted(output):
    """Write the audit's bundled trusted statements (with their misconceptions) as JSONL, e.g. as a
    template for your own COACH_HOME/knowledge/*.jsonl."""
    from coach.audit.trusted import bundled_rows

    rows = bundled_rows()
    path = Path(output)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    click.echo(f"{len(rows)} trusted statements written to {path}", err=True)
