"""Data and training for the claim verifier (``coach judge train-verifier``).

Every example is a claim read against ``EVIDENCE_K`` trusted statements found by the audit's own
retrieval (``TrustedIndex.candidates``, dense), labelled 1 when the evidence refutes the claim:

- refuted (1): each misconception the team wrote against a statement (the judge data's contradictions,
  the reference-only statements' misconceptions) and each record's fluent wrong answer, with the
  statement it contradicts put among the evidence if retrieval missed it;
- not refuted (0): the statement's hand-written paraphrases and close rewordings, its neutral
  continuation and the record's good answer (evidence as retrieved); the statement ITSELF with its own
  entry removed from the evidence (a correct claim that no trusted statement restates, which is most
  of a real document); the sentences of the graded data's reference answers (another writer's correct
  prose); a misconception whose statement retrieval did not find and no evidence restates (nothing in
  the evidence refutes it, so the verifier must not flag it on its wording alone).

Split: by the statement's record id (the judge data's ``split_of`` rule, 80/10/10) and the graded
question id, so a statement's misconceptions and paraphrases are in one split. The audit's dev and
test documents (``evals/data``) are never read here.

Training: the judge's encoder (``--init``; default the bundled judge) with one output, sigmoid,
binary cross-entropy; the judge's loop, batching and atomic fp16 save. The best epoch by dev ROC AUC
is kept.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.judge.verifier import EVIDENCE_K, MAX_TOKENS, VERIFIER_DIR, verifier_input

log = logging.getLogger(__name__)
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")


@dataclass(frozen=True)
class Example:
    premise: str  # the claim (left side; the name is what the shared batcher reads)
    hypothesis: str  # the evidence statements, joined (``verifier_input``)
    target: float  # 1.0 refuted, 0.0 not
    kind: str
    group: str  # record / question id


def split_of_id(rid: str) -> str:
    bucket = int(hashlib.sha256(rid.encode()).hexdigest()[:8], 16) % 10
    return "dev" if bucket == 0 else "test" if bucket == 1 else "train"


def _plans(records: list[dict], audit_rows: list[dict], graded_rows: list[dict], rng: random.Random) -> list[tuple]:
    """(claim, label, kind, group, split, force statement id or None, exclude statement id or None,
    exclude_near: drop evidence that restates the excluded statement)."""
    from coach.judge.data import load_close, split_of

    close = load_close()
    plans = []
    for r in records:
        rid, sp = r["id"], split_of(r)
        sp = "train" if sp == "oos" else sp
        for c in r["contradict"]:
            plans.append((c["text"], 1.0, "misconception", rid, sp, rid, None, False))
            # the same misconception against the statement as ANOTHER writer put it (a paraphrase): a real
            # source's error rarely shares the trusted statement's wording
            plans.append((c["text"], 1.0, "misconception_reworded", rid, sp, rid, None, False))
        if r["contradict"] and rng.random() < 0.35:
            plans.append((rng.choice(r["contradict"])["text"], 0.0, "unsupported_misconception", rid, sp, None, rid, True))
        for t in r.get("entail", []):
            plans.append((t, 0.0, "paraphrase", rid, sp, None, None, False))
            plans.append((t, 0.0, "paraphrase_reworded", rid, sp, rid, None, False))
        for t in close.get(rid, []):
            plans.append((t, 0.0, "close", rid, sp, None, None, False))
        for t in r.get("neutral", []):
            plans.append((t, 0.0, "neutral", rid, sp, None, None, False))
        plans.append((r["premise"], 0.0, "unrestated", rid, sp, None, rid, False))
        if r.get("answer_good"):
            plans.append((r["answer_good"], 0.0, "good_answer", rid, sp, None, None, False))
        if r.get("answer_bad"):
            plans.append((r["answer_bad"], 1.0, "bad_answer", rid, sp, rid, None, False))
    for row in audit_rows:
        rid = str(row.get("id"))
        sp = split_of_id(rid)
        for m in row.get("misconceptions", []):
            plans.append((m["text"], 1.0, "misconception", rid, sp, rid, None, False))
        if row.get("misconceptions") and rng.random() < 0.35:
            plans.append((rng.choice(row["misconceptions"])["text"], 0.0, "unsupported_misconception", rid, sp, None, rid, True))
        plans.append((row["statement"], 0.0, "unrestated", rid, sp, None, rid, False))
    from coach.judge.scorer_train import question_split

    for row in graded_rows:
        sp = question_split(row["id"])
        for s in _SENT.split(" ".join(row["reference"].split())):
            if len(s.split()) >= 6:
                plans.append((s, 0.0, "reference_sentence", row["id"], sp, None, None, False))
        # whole graded answers against their reference (another writer's independent wording): a
        # confidently wrong or mixed answer is refuted by it, the others (right, partial, vague, off-topic)
        # are not; the evidence is the reference's sentences
        for a in row["answers"]:
            label = 1.0 if a["tier"] in ("wrong", "mixed") else 0.0
            plans.append((a["text"], label, "graded_" + a["tier"], row["id"], sp, "ref:" + row["id"], None, False))
    return plans


def build_examples(index, plans: list[tuple], *, rewordings: dict[str, list[str]] | None = None,
                   references: dict[str, str] | None = None, seed: int = 13, batch: int = 256,
                   progress: bool = True) -> dict[str, list[Example]]:
    """Evidence for every planned claim from the trusted index (one retrieval of k + 2 per claim).
    ``rewordings``: statement id -> other writers' wordings of it; for the ``*_reworded`` kinds the
    statement's own text among the evidence is replaced by one of them. ``references``: graded
    question id -> reference answer, the evidence for the ``graded_*`` kinds."""
    from tqdm import tqdm

    rng = random.Random(seed)
    rewordings, references = rewordings or {}, references or {}
    pos = {s.id: i for i, s in enumerate(index.statements)}
    out: dict[str, list[Example]] = {"train": [], "dev": [], "test": []}
    for start in tqdm(range(0, len(plans), batch), desc="evidence", unit="batch", disable=not progress):
        chunk = plans[start : start + batch]
        graded = [p for p in chunk if str(p[5] or "").startswith("ref:")]
        for claim, label, kind, group, sp, force, _, _ in graded:
            ref = references.get(force[4:], "")
            if ref:
                left, right = verifier_input(claim, [x for x in _SENT.split(" ".join(ref.split())) if x])
                out[sp].append(Example(left, right, label, kind, group))
        chunk = [p for p in chunk if not str(p[5] or "").startswith("ref:")]
        if not chunk:
            continue
        cands = index.candidates([p[0] for p in chunk], k=EVIDENCE_K + 2, min_sim=-1.0, max_keyword=0)
        for (claim, label, kind, group, sp, force, exclude, near), cs in zip(chunk, cands):
            ids = [si for si, _ in cs]
            if exclude is not None and exclude in pos:
                ex = pos[exclude]
                ids = [i for i in ids if i != ex]
                if near:  # no evidence that restates the excluded statement (cosine >= 0.8 to it)
                    ids = [i for i in ids if float(index.vecs[i] @ index.vecs[ex]) < 0.8]
            ids = ids[:EVIDENCE_K]
            if force is not None and force in pos and pos[force] not in ids:
                ids = ids[: EVIDENCE_K - 1] + [pos[force]]
            if not ids:
                continue
            texts = [index.statements[i].text for i in ids]
            if kind.endswith("_reworded"):
                other = [t for t in rewordings.get(force, []) if t.strip() != claim.strip()]
                if not other or pos.get(force) not in ids:
                    continue
                texts[ids.index(pos[force])] = rng.choice(other)
            left, right = verifier_input(claim, texts)
            out[sp].append(Example(left, right, label, kind, group))
    return out


def evaluate(pred: np.ndarray, examples: list[Example]) -> dict:
    """ROC AUC, accuracy at 0.5, and the mean score per kind."""
    from sklearn.metrics import roc_auc_score

    y = np.array([e.target for e in examples])
    out = {"n": len(y)}
    if len(set(y.tolist())) == 2:
        out["auc"] = round(float(roc_auc_score(y, pred)), 4)
        out["accuracy"] = round(float(np.mean((pred >= 0.5) == (y >= 0.5))), 4)
    for kind in sorted({e.kind for e in examples}):
        vals = [p for p, e in zip(pred, examples) if e.kind == kind]
        out[f"mean_{kind}"] = round(float(np.mean(vals)), 3)
    return out


def load_sources():
    """(judge records, reference-only statement rows, graded questions) as bundled."""
    from coach.audit.trusted import DATA_DIR, _rows_of
    from coach.judge.data import load_records
    from coach.judge.scorer_train import load_graded

    records, _ = load_records()
    audit_rows = [r for p in sorted(DATA_DIR.glob("*.jsonl")) for r in _rows_of(p)]
    graded, _ = load_graded()
    return records, audit_rows, graded


def train_verifier(
    out_dir: Path = VERIFIER_DIR,
    *,
    init: str | None = None,
    epochs: int = 1,
    batch_size: int = 16,
    lr: float = 4e-5,
    max_len: int = MAX_TOKENS,
    max_examples: int = 18000,
    seed: int = 13,
    threads: int = 0,
    progress: bool = True,
) -> dict:
    """Train and save the verifier; returns what is written to ``training.json``."""
    import torch
    from sentence_transformers import SentenceTransformer

    from coach.audit.trusted import TrustedIndex, load_statements
    from coach.judge.data import load_close
    from coach.judge.model import WEIGHTS_DIR
    from coach.judge.train import seed_and_threads, train_one_output
    from coach.models import default_embedding_path

    threads = seed_and_threads(seed, threads)
    rng = random.Random(seed)
    t0 = time.time()
    records, audit_rows, graded = load_sources()
    plans = _plans(records, audit_rows, graded, rng)
    # the verbatim-edit kinds are the easiest and most numerous: keep 60% of them, so the reworded and
    # graded kinds (independent wording, the audit's real case) weigh more in the capped sample
    train_plans = [p for p in plans if p[4] == "train"
                   and (p[2] not in ("misconception", "good_answer", "bad_answer") or rng.random() < 0.6)]
    rng.shuffle(train_plans)
    plans = train_plans[:max_examples] + [p for p in plans if p[4] == "dev"]
    statements, _ = load_statements(None)
    embedder = SentenceTransformer(str(default_embedding_path()), device="cpu")
    index = TrustedIndex(statements, embedder.encode)
    close = load_close()
    rewordings = {r["id"]: list(r.get("entail", [])) + close.get(r["id"], []) for r in records}
    references = {row["id"]: row["reference"] for row in graded}
    splits = build_examples(index, plans, rewordings=rewordings, references=references, seed=seed, progress=progress)
    train_set, dev = splits["train"], splits["dev"]
    log.info("verifier data: %d train, %d dev examples (%.0f s)", len(train_set), len(dev), time.time() - t0)
    base = init or str(WEIGHTS_DIR)
    kinds: dict[str, int] = {}
    for e in train_set:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1

    def info(history, best, seconds):
        return {
            "kind": "claim verifier (P(evidence refutes claim))",
            "base": base,
            "evidence_k": EVIDENCE_K,
            "examples": {"train": len(train_set), "dev": len(dev)},
            "train_kinds": kinds,
            "settings": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "max_len": max_len, "seed": seed,
                         "threads": threads, "max_examples": max_examples},
            "history": list(history),
            "best_dev": best,
            "train_seconds": round(time.time() - t0, 1),
            "torch": torch.__version__,
        }

    return train_one_output(
        base, train_set, dev, Path(out_dir), label="refuted", loss=torch.nn.functional.binary_cross_entropy_with_logits,
        evaluate=evaluate, metric="auc", info=info, epochs=epochs, batch_size=batch_size, lr=lr, max_len=max_len,
        rng=rng, progress=progress, unit="claim")
