"""The optional LLM judgement step, and the trust gate it has to pass first.

A model contributes to grades only after it has earned trust on the DEV split of the labelled
answers: ``measure_trust`` asks it to grade dev answers (the strict ``judge`` prompt, greedy) and
records its Spearman correlation with the expert scores in ``COACH_HOME/judge_trust.json``. The
grader attaches a judge only when ``COACH_LLM_TRUSTED=1`` AND that file says this exact model
reached ``TRUST_MIN``. Then the step ``llm_judgement`` is blended into the score with a fixed
weight (simplified on purpose: with no capable model available offline, a fitted weight could not
be measured; the weight is documented, the step is shown in the explanation, and the rubric caps
still apply). Measured: the bundled SmolLM2-135M does not pass the gate.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

log = logging.getLogger(__name__)

TRUST_MIN = 0.6  # Spearman vs expert scores on dev a judge must reach
BLEND = 0.3  # share of the final score the judge contributes once trusted
_DECODER = json.JSONDecoder()


def trust_path(settings) -> Path:
    return settings.home / "judge_trust.json"


def llm_score(llm, rubric, question: str, answer: str) -> float | None:
    """The judge's 0..10 score for one answer, or None when its reply has no readable score."""
    import prompts

    messages = prompts.render(
        "judge", question=question, reference=rubric.model_answer, answer=answer,
        facts=[kp.text for kp in rubric.key_points],
    )
    reply = llm.generate(messages, max_tokens=prompts.spec("judge").get("max_tokens", 200), temperature=0.0,
                         stop=prompts.spec("judge").get("stop") or None)
    return reply_score(reply)


def reply_score(reply: str | None) -> float | None:
    """The ``score`` of the reply's JSON object (the prompt asks for one object, first in the reply), clipped to 0..10;
    None when the reply's first object does not parse or has no finite numeric score. Read as JSON, not by a pattern,
    and only the first object: a security review's reply whose ``reason`` repeated the answer's ``"score": 10`` was
    read as 10, and a later review's reply with an object echoed after the model's own took the echo."""
    text = reply or ""
    start = text.find("{")
    if start < 0:
        return None
    try:
        obj, _ = _DECODER.raw_decode(text, start)
        score = obj.get("score") if isinstance(obj, dict) else None
        if not isinstance(score, (int, float)) or isinstance(score, bool):
            return None
        score = float(score)
    except (ValueError, OverflowError):
        return None
    return max(0.0, min(10.0, score)) if math.isfinite(score) else None


def measure_trust(grader, llm, rows: list[dict], settings, limit: int | None = None) -> dict:
    """Grade DEV rows with the LLM alone; unreadable replies count as score 0 (never dropped)."""
    from coach.datafiles import spearman

    rows = [r for r in rows if r.get("split") == "dev"][:limit]
    preds, unreadable = [], 0
    for r in rows:
        rubric = grader.resolve(r["question"], r["question_id"])
        s = llm_score(llm, rubric, r["question"], r["answer"])
        if s is None:
            unreadable += 1
            s = 0.0
        preds.append(s)
    rho = spearman(preds, [float(r["score"]) for r in rows])
    result = {
        "model": getattr(llm, "name", type(llm).__name__),
        "split": "dev",
        "n": len(rows),
        "unreadable": unreadable,
        "spearman": round(rho, 4),
        "trust_min": TRUST_MIN,
        "trusted": rho >= TRUST_MIN,
    }
    path = trust_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def trusted_judge(settings, llm):
    """A judge callable for the grader, or None when the model has not earned trust."""
    if not settings.llm_trusted:
        return None
    try:
        record = json.loads(trust_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("COACH_LLM_TRUSTED is set but no trust measurement exists: run `coach eval judge-trust`")
        return None
    if not record.get("trusted") or record.get("model") != getattr(llm, "name", None):
        log.warning("the configured LLM has not earned trust on the dev split (%s); grading without it", record)
        return None
    return lambda rubric, question, answer: llm_score(llm, rubric, question, answer)
