"""Data and training for the answer scorer (``coach judge train-scorer``).

Data: ``coach/judge/data/graded/*.jsonl``, one interview question per line with its reference answer and
eight candidate answers graded 0-10 by the writer (tiers excellent, good, short_correct, partial,
vague, mixed, wrong, off_topic; datasheet in that folder's README). Split by question (a hash of the
id, 80/10/10), so no reference is in two splits. Optional: ``composed`` triples built from the judge's
premise records (several premises of one topic as the reference; paraphrases, contradictions and other
topics' premises as answers), label rules stated in ``composed_triples``.

Training: the bundled all-MiniLM-L6-v2 encoder (or ``--init`` a judge folder's encoder) with one
regression output, sigmoid, mean squared error against grade / 10; the same loop, batching and
atomic fp16 save as the judge (``coach/judge/train.py``). The best epoch by dev Spearman is kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.judge.scorer import SCORER_DIR, scorer_input

log = logging.getLogger(__name__)

GRADED_DIR = Path(__file__).resolve().parent / "data" / "graded"
ROUND4_DIR = GRADED_DIR.parent / "graded_round4"  # parked for the scorer (its datasheet); the judge's pair kind graded4
ROUND5_DIR = GRADED_DIR.parent / "graded_round5"  # written for the judge (its datasheet): its pair kind graded5
GRADED_ROUND_DIRS = {"graded": GRADED_DIR, "graded4": ROUND4_DIR, "graded5": ROUND5_DIR}  # the judge's graded pair kinds
TIER_RANGES = {
    "excellent": (9.0, 10.0), "good": (7.0, 8.5), "short_correct": (6.0, 8.0), "partial": (4.0, 6.0),
    "vague": (2.0, 4.0), "mixed": (2.5, 5.0), "wrong": (0.0, 2.5), "off_topic": (0.0, 1.5),
}


@dataclass(frozen=True)
class Triple:
    premise: str  # question + reference (``scorer_input``)
    hypothesis: str  # the candidate answer
    target: float  # grade / 10
    qid: str
    tier: str
    reference: str = ""  # the reference alone (for the cosine baseline of ``coach eval scorer``)


def validate_question(row: dict) -> list[str]:
    problems = []
    for key in ("id", "question", "reference", "answers"):
        if not row.get(key):
            problems.append(f"missing {key}")
    for i, a in enumerate(row.get("answers") or []):
        if not isinstance(a, dict) or not str(a.get("text", "")).strip():
            problems.append(f"answer {i}: no text")
            continue
        try:
            s = float(a.get("score"))
        except (TypeError, ValueError):
            problems.append(f"answer {i}: score {a.get('score')!r} is not a number")
            continue
        if not 0.0 <= s <= 10.0:
            problems.append(f"answer {i}: score {s} outside 0-10")
        if a.get("tier") not in TIER_RANGES:
            problems.append(f"answer {i}: unknown tier {a.get('tier')!r}")
    return problems


def load_graded(graded_dir: Path = GRADED_DIR) -> tuple[list[dict], list[str]]:
    """(questions, rejected lines as 'file:line: problem')."""
    from coach.judge.data import read_validated

    rows, rejected = read_validated([(path, path.name) for path in sorted(Path(graded_dir).glob("*.jsonl"))],
                                    validate_question)
    return [row for row, _ in rows], rejected


def graded_hash(graded_dir: Path = GRADED_DIR) -> str:
    h = hashlib.sha256()
    for path in sorted(Path(graded_dir).glob("*.jsonl")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def question_key(text: str) -> str:
    """A question's text reduced to its lower-case words: how two data sets are checked for a shared question."""
    return " ".join(re.findall(r"[a-z0-9]+", str(text or "").lower()))


def trained_questions(graded_dir: Path = GRADED_DIR) -> set[str]:
    """``question_key`` of every question the answer scorer was trained on (its train split): an evaluation
    reports its figures without them too, since the scorer has seen answers to them."""
    rows, _ = load_graded(graded_dir)
    return {question_key(r["question"]) for r in rows if question_split(r["id"]) == "train"}


def question_split(qid: str) -> str:
    """train / dev / test by a hash of the question id (80/10/10)."""
    bucket = int(hashlib.sha256(qid.encode()).hexdigest()[:8], 16) % 10
    return "dev" if bucket == 0 else "test" if bucket == 1 else "train"


def graded_triples(rows: list[dict]) -> dict[str, list[Triple]]:
    out: dict[str, list[Triple]] = {"train": [], "dev": [], "test": []}
    for row in rows:
        premise, _ = scorer_input(row["question"], row["reference"], "")
        for a in row["answers"]:
            out[question_split(row["id"])].append(
                Triple(premise, " ".join(a["text"].split()), float(a["score"]) / 10.0, row["id"], a["tier"],
                       row["reference"]))
    return out


def _train_topics(records: list[dict]) -> dict[tuple, list[dict]]:
    """The judge's TRAIN premise records by (subject, topic): what the composed answers are built from."""
    from coach.judge.data import split_of

    by_topic: dict[tuple, list[dict]] = {}
    for r in records:
        if split_of(r) == "train":
            by_topic.setdefault((r["subject"], r["topic"]), []).append(r)
    return by_topic


def _topic_question(group: list[dict]) -> str:
    return f"Explain {group[0]['topic']}." if group[0].get("topic") else "Explain this topic."


RECITE_LONG, RECITE_SHORT, RECITE_SHORT_WORDS = 8.5, 7.0, 40


def recitation_triples(rows: list[dict]) -> list[Triple]:
    """The reference itself, word for word, as an answer to its own question, for TRAIN questions only.
    Label rule (not hand grades): a good answer (8.5) for a reference of 40 words or more, a short correct
    one (7.0, the middle of its tier) for a shorter one; a reference with a known error (``reference_error``)
    is left out, since answers are graded on the truth. Without these the scorer had learnt that an answer
    sharing most of its words with the reference is a wrong one (the graded data's wrong answers reuse the
    reference's words): it graded the reference itself, recited, 5.4/10 on average on its dev questions."""
    out = []
    for row in rows:
        if question_split(row["id"]) != "train" or str(row.get("reference_error") or "").strip():
            continue
        answer = " ".join(row["reference"].split())
        grade = RECITE_LONG if len(answer.split()) >= RECITE_SHORT_WORDS else RECITE_SHORT
        premise, _ = scorer_input(row["question"], row["reference"], "")
        out.append(Triple(premise, answer, grade / 10.0, row["id"], "good" if grade == RECITE_LONG else "short_correct",
                          row["reference"]))
    return out


def recitation_contrasts(records: list[dict], rng: random.Random, k: int = 3) -> list[Triple]:
    """The contrast to ``recitation_triples``, from the judge's TRAIN premise records (label rules): the
    reference is ``k`` premises of one topic; the premises recited word for word are 9.0, and the same
    recitation with one premise replaced by one of its hand-written contradictions 2.5 (one fact turned round
    among right ones: the bottom of the 'mixed' range). Shared words are then evidence of neither."""
    by_topic = _train_topics([r for r in records if r.get("contradict")])
    out = []
    for t in sorted(by_topic):
        recs = sorted(by_topic[t], key=lambda r: r["id"])
        rng.shuffle(recs)
        for g in range(0, len(recs) - k + 1, k):
            group = recs[g : g + k]
            question = _topic_question(group)
            said = [r["premise"] for r in group]
            premise, _ = scorer_input(question, " ".join(said), "")
            j = rng.randrange(k)
            turned = [rng.choice(group[j]["contradict"])["text"] if i == j else p for i, p in enumerate(said)]
            qid = "recited-" + group[0]["id"]
            out += [Triple(premise, " ".join(said), 0.9, qid, "excellent"),
                    Triple(premise, " ".join(turned), 0.25, qid, "mixed")]
    return out


def composed_triples(records: list[dict], rng: random.Random, k: int = 3) -> list[Triple]:
    """Graded answers composed from the judge's TRAIN premise records (label rules, not hand grades):
    the reference is ``k`` premises of one topic; an answer made of one paraphrase per premise is 9.5,
    of paraphrases of all but one 7.0, of one 4.0; the same with one paraphrase replaced by a
    contradiction 3.0 (all but one right) / 1.0 (all wrong); premises of another topic 0.5. And per
    record, its premise as the reference: its hand-written good candidate answer 8.5, its bad one
    (the wrong version of the fact in a fluent answer) 1.5."""
    by_topic = _train_topics(records)
    topics = sorted(by_topic)
    out = []
    for t in topics:
        recs = sorted(by_topic[t], key=lambda r: r["id"])
        rng.shuffle(recs)
        for g in range(0, len(recs) - k + 1, k):
            group = recs[g : g + k]
            question = _topic_question(group)
            premise, _ = scorer_input(question, " ".join(r["premise"] for r in group), "")
            para = [rng.choice(r["entail"]) for r in group]
            wrong = [rng.choice(r["contradict"])["text"] for r in group]
            j = rng.randrange(k)
            other_t = topics[rng.randrange(len(topics))]
            other = [r["premise"] for r in by_topic[other_t][:k]] if other_t != t else None
            answers = [
                (" ".join(para), 0.95, "excellent"),
                (" ".join(p for i, p in enumerate(para) if i != j), 0.7, "good"),
                (para[j], 0.4, "partial"),
                (" ".join(wrong[i] if i == j else p for i, p in enumerate(para)), 0.3, "mixed"),
                (" ".join(wrong), 0.1, "wrong"),
            ] + ([(" ".join(other), 0.05, "off_topic")] if other else [])
            qid = "composed-" + group[0]["id"]
            out += [Triple(premise, a, s, qid, tier) for a, s, tier in answers]
        for r in recs:
            if r.get("answer_good") and r.get("answer_bad"):
                premise, _ = scorer_input(f"Explain {r.get('concept') or r['topic']}.", r["premise"], "")
                out += [Triple(premise, r["answer_good"], 0.85, "record-" + r["id"], "good"),
                        Triple(premise, r["answer_bad"], 0.15, "record-" + r["id"], "wrong")]
    return out


def evaluate(pred: np.ndarray, triples: list[Triple]) -> dict:
    """Spearman and Pearson of predicted vs gold grades, MAE in grade points, mean per tier."""
    from scipy.stats import pearsonr, spearmanr

    gold = np.array([t.target for t in triples])
    if len(gold) < 3:
        return {"n": len(gold)}
    out = {"n": len(gold), "spearman": float(spearmanr(pred, gold)[0]), "pearson": float(pearsonr(pred, gold)[0]),
           "mae": float(np.mean(np.abs(pred - gold)) * 10)}
    for tier in TIER_RANGES:
        vals = [p for p, t in zip(pred, triples) if t.tier == tier]
        if vals:
            out[f"mean_{tier}"] = round(float(np.mean(vals)) * 10, 2)
    return out


def predict(model, tok, triples, batch_size: int = 32, max_len: int = 320) -> np.ndarray:
    from coach.judge.train import predict_one_output

    return predict_one_output(model, tok, triples, batch_size, max_len)


def train_scorer(
    out_dir: Path = SCORER_DIR,
    *,
    init: str | None = None,
    epochs: int = 3,
    batch_size: int = 16,
    lr: float = 5e-5,
    max_len: int = 320,
    seed: int = 13,
    threads: int = 0,
    composed: int = 0,
    recite: bool = False,
    recite_contrast: bool = False,
    graded_dir: Path = GRADED_DIR,
    progress: bool = True,
) -> dict:
    """Train and save the scorer; returns what is written to ``training.json``. ``composed``: add up to
    this many composed triples (``composed_triples``) to the hand-graded training triples; ``recite``: add
    the train questions' references recited as answers (``recitation_triples``); ``recite_contrast``: and
    recitations of the judge's premises, word for word and with one fact turned round (``recitation_contrasts``)."""
    import torch

    from coach.judge.data import load_records
    from coach.judge.train import base_label, seed_and_threads, train_one_output
    from coach.models import default_embedding_path

    threads = seed_and_threads(seed, threads)
    rng = random.Random(seed)

    rows, rejected = load_graded(graded_dir)
    for line in rejected:
        log.warning("graded data: rejected %s", line)
    if not rows:
        raise ValueError(f"no graded questions in {graded_dir}")
    splits = graded_triples(rows)
    train_set = list(splits["train"])
    if composed:
        records, _ = load_records()
        extra = composed_triples(records, rng)
        rng.shuffle(extra)
        train_set += extra[:composed]
    recited = recitation_triples(rows) if recite else []
    if recite_contrast:
        records, _ = load_records()
        recited += recitation_contrasts(records, rng)
    train_set += recited
    rng.shuffle(train_set)
    dev = splits["dev"]

    base = init or str(default_embedding_path())
    # continued training (``init`` is a scorer already): its own training.json is kept whole, so the
    # shipped file still says how every step of the model was made
    before = Path(base) / "training.json"
    continued = None
    if before.exists():
        prior = json.loads(before.read_text(encoding="utf-8"))
        if str(prior.get("kind", "")).startswith("answer scorer"):
            continued = prior

    def info(history, best, seconds):
        return {
            "kind": "answer scorer (regression, grade / 10)",
            "base": base_label(base) + (" (an answer scorer: continued training, see continued_from)" if continued else ""),
            **({"continued_from": continued} if continued else {}),
            "graded_hash": graded_hash(graded_dir),
            "questions": len(rows),
            "rejected": rejected,
            "triples": {k: len(v) for k, v in splits.items()},
            "composed_trained": len(train_set) - len(splits["train"]) - len(recited),
            "recited_trained": len(recited),
            "triples_trained": len(train_set),
            "settings": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "max_len": max_len, "seed": seed,
                         "threads": threads, "composed": composed, "recite": recite,
                         "recite_contrast": recite_contrast},
            "history": list(history),
            "best_dev": best,
            "train_seconds": round(seconds, 1),
            "torch": torch.__version__,
        }

    return train_one_output(
        base, train_set, dev, Path(out_dir), label="grade",
        loss=lambda logits, y: torch.nn.functional.mse_loss(torch.sigmoid(logits), y),
        evaluate=evaluate, metric="spearman", info=info, epochs=epochs, batch_size=batch_size, lr=lr,
        max_len=max_len, rng=rng, progress=progress, unit="answer")
