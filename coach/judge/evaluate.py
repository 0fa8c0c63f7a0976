"""Measure the judge: synthetic held-out pairs and real graded answers, beside the cosine baseline.

Synthetic (``synthetic_metrics``): 3-way accuracy, contradiction precision/recall/F1 and accuracy per
pair kind (each contradiction type, paraphrase, neutral, answer-shaped) on the in-subject TEST split
and on the out-of-subject split (a whole subject never trained on). Baseline: cosine similarity of
the bundled embedder with two thresholds (entailment above ``a``, contradiction in ``[b, a)``, neutral
below ``b``) tuned for accuracy on the DEV split.

Real answers (``answer_auc``): does the judge's wrong-claim signal rank confidently wrong answers
below partial, good and excellent ones? Signal = the highest contradiction probability over
(reference sentence, answer sentence) pairs and the (whole reference, whole answer) pair. AUC of
that signal for wrong vs the rest; baseline: 1 - cosine(answer, reference).
"""

from __future__ import annotations

import numpy as np

from coach.judge.model import CONTRADICTION, ENTAILMENT, NEUTRAL


def _prf(pred: np.ndarray, gold: np.ndarray, cls: int) -> tuple[float, float, float]:
    tp = float(np.sum((pred == cls) & (gold == cls)))
    p = tp / max(float(np.sum(pred == cls)), 1.0)
    r = tp / max(float(np.sum(gold == cls)), 1.0)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def classification_metrics(pred: np.ndarray, pairs, prefix: str = "") -> dict[str, float]:
    gold = np.array([p.label for p in pairs])
    m = {f"{prefix}accuracy": float(np.mean(pred == gold)) if len(gold) else 0.0, f"{prefix}pairs": float(len(gold))}
    for cls, name in ((CONTRADICTION, "contradiction"), (ENTAILMENT, "entailment"), (NEUTRAL, "neutral")):
        p, r, f = _prf(pred, gold, cls)
        m.update({f"{prefix}{name}_precision": p, f"{prefix}{name}_recall": r, f"{prefix}{name}_f1": f})
    kinds = sorted({p.kind for p in pairs})
    for k in kinds:
        sel = np.array([p.kind == k for p in pairs])
        m[f"{prefix}kind_{k}_accuracy"] = float(np.mean(pred[sel] == gold[sel]))
    return m


def cosine_of_pairs(embed, pairs) -> np.ndarray:
    texts = sorted({t for p in pairs for t in (p.premise, p.hypothesis)})
    vecs = np.asarray(embed(texts), dtype=np.float32)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    at = {t: i for i, t in enumerate(texts)}
    return np.array([float(vecs[at[p.premise]] @ vecs[at[p.hypothesis]]) for p in pairs])


def fit_cosine_thresholds(cos: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """(a, b) maximising dev accuracy of: E if cos >= a, C if b <= cos < a, N if cos < b."""
    best = (-1.0, 0.9, 0.5)
    grid = np.round(np.arange(0.0, 1.0001, 0.02), 2)
    for a in grid:
        for b in grid[grid <= a]:
            acc = float(np.mean(cosine_predict(cos, a, b) == gold))
            if acc > best[0]:
                best = (acc, float(a), float(b))
    return best[1], best[2]


def cosine_predict(cos: np.ndarray, a: float, b: float) -> np.ndarray:
    return np.where(cos >= a, ENTAILMENT, np.where(cos >= b, CONTRADICTION, NEUTRAL))


def synthetic_metrics(judge, embed, splits: dict) -> dict[str, float]:
    """Judge and cosine baseline on the test and oos splits (thresholds tuned on dev)."""
    m: dict[str, float] = {}
    dev = splits["dev"]
    a, b = fit_cosine_thresholds(cosine_of_pairs(embed, dev), np.array([p.label for p in dev]))
    m.update(baseline_threshold_entail=a, baseline_threshold_contra=b)
    for name in ("test", "oos"):
        pairs = splits[name]
        if not pairs:
            continue
        probs = judge.scores([(p.premise, p.hypothesis) for p in pairs])
        m.update(classification_metrics(probs.argmax(1), pairs, prefix=f"{name}_"))
        m.update(classification_metrics(cosine_predict(cosine_of_pairs(embed, pairs), a, b), pairs,
                                        prefix=f"{name}_baseline_"))
    return m


def auc(pos: list[float], neg: list[float]) -> float:
    """P(score of a positive > score of a negative), ties count half. 0.0 when a side is empty."""
    if not pos or not neg:
        return 0.0
    p, n = np.asarray(pos)[:, None], np.asarray(neg)[None, :]
    return float(np.mean((p > n) + 0.5 * (p == n)))


def wrong_claim_signal(judge, references: list[str], answer: str, split) -> tuple[float, dict]:
    """Highest contradiction probability of any answer sentence against any reference sentence (or
    the whole answer against the whole reference), and which pair gave it."""
    refs = [s for r in references for s in split(r)] or list(references)
    claims = split(answer) or [answer]
    pairs = [(r, c) for r in refs for c in claims] + [(" ".join(references), answer)]
    if not pairs:
        return 0.0, {}
    probs = judge.scores(pairs)
    i = int(np.argmax(probs[:, CONTRADICTION]))
    return float(probs[i, CONTRADICTION]), {"reference": pairs[i][0], "claim": pairs[i][1]}


def answer_auc(judge, embed, rows: list[dict], split) -> dict[str, float]:
    """rows: {"answer", "tier", "references": [str, ...]}. Wrong tier vs partial/good/excellent."""
    sig, cos, tiers = [], [], []
    for r in rows:
        if r["tier"] not in {"wrong", "partial", "good", "excellent"} or not r["references"]:
            continue
        s, _ = wrong_claim_signal(judge, r["references"], r["answer"], split)
        v = np.asarray(embed([r["answer"], " ".join(r["references"])]), dtype=np.float32)
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        sig.append(s), cos.append(1.0 - float(v[0] @ v[1])), tiers.append(r["tier"])
    wrong = [i for i, t in enumerate(tiers) if t == "wrong"]
    rest = [i for i, t in enumerate(tiers) if t != "wrong"]
    m = {
        "auc_wrong_vs_rest": auc([sig[i] for i in wrong], [sig[i] for i in rest]),
        "baseline_cosine_auc_wrong_vs_rest": auc([cos[i] for i in wrong], [cos[i] for i in rest]),
        "answers": float(len(tiers)),
        "wrong_answers": float(len(wrong)),
    }
    for t in ("excellent", "good", "partial", "wrong"):
        sel = [sig[i] for i, x in enumerate(tiers) if x == t]
        m[f"mean_contradiction_{t}"] = float(np.mean(sel)) if sel else 0.0
    return m
