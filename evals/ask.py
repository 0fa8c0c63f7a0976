"""Ask-the-coach quality (``coach eval ask``) on ``evals/data/ask_questions.jsonl``: questions written
by a helper who read only the five bundled sources (see README_ask_questions.md), never the coach's
code or settings. Every row is test data: nothing in coach/ask.py was tuned on it. The tuning data:
``ask_dev_questions.jsonl`` (a second helper, blind to the test set, same format, no out-of-scope
items), the retrieval dev queries and the team's own ``ask_dev_out_of_scope.jsonl``.

Per question kind (in_source, paraphrased, how_to, out_of_scope):
- ``answer_found``: the first reply contains every ``must_mention`` group (any of its alternatives,
  case-insensitive); a refusal finds nothing;
- ``cited``: some citation is the labelled passage (same source, overlapping lines, 3 lines slack);
- ``refused``: the coach declined to answer (the right outcome only for out_of_scope);
- ``states_flagged``: the reply repeats a sentence the source audit flagged (target 0).
Baseline: the previous version's Ask (the best passage's three sentences closest to the question,
same refusal and rubric rules), so the gain is measured.
With ``llm=True`` the configured LLM writes each in-scope answer and the judge checks it: the drop
rate (generated sentences left out as unsupported) is reported.
"""

from __future__ import annotations

import logging
import re

from coach import ask as ask_mod
from evals.base import DATA_DIR, EvalResult, load_jsonl

log = logging.getLogger(__name__)
QUESTIONS = DATA_DIR / "ask_questions.jsonl"
_CITE_MARK = re.compile(r"\s*\[\d+\]")
DEV_QUESTIONS = DATA_DIR / "ask_dev_questions.jsonl"  # a second blind helper's set: the tuning data
DEV_OUT_OF_SCOPE = DATA_DIR / "ask_dev_out_of_scope.jsonl"
PREVIOUS_RELEVANT_MIN = 0.40  # the previous release's threshold (Ask's own has moved since)
KINDS = ("in_source", "paraphrased", "how_to", "out_of_scope")


def found(text: str, groups: list[list[str]]) -> bool:
    low = text.lower()
    return bool(groups) and all(any(alt.lower() in low for alt in g) for g in groups)


def cited(citations, source, lines, slack: int = 3) -> bool:
    if not source or not lines:
        return False
    lo, hi = lines[0] - slack, lines[1] + slack
    return any(c.source == source and c.line_start <= hi and lo <= c.line_end for c in citations)


def states_flagged(text: str, citations) -> bool:
    """Whether a reply states a flagged sentence. Its citation markers ("[1]") are not sentences: cut off as
    one, "[1]" matched a flagged code line holding "Dense(1, ...)" (3 replies of the test set in 2026-12)."""
    quotes = [ask_mod._norm(f.get("quote", "")) for c in citations for f in (c.flags or []) if f.get("quote")]
    return any(ask_mod._flagged(s, quotes) for s in ask_mod._sentences(_CITE_MARK.sub("", text)))


def previous_version(coach, question: str) -> ask_mod.Answer:
    """The Ask of the previous release: rubric match, else the best passage's 3 closest sentences."""
    hits = coach.search(question, k=5)
    texts = [question] + [h.record.question + " " + h.chunk_text for h in hits]
    vecs = coach.index.embed(texts)
    relevant = [h for h, s in zip(hits, (vecs[1:] @ vecs[0]) if hits else []) if s >= PREVIOUS_RELEVANT_MIN]
    if not relevant:
        return ask_mod.Answer(ask_mod.REFUSAL, [])
    citations, warnings = ask_mod._citations(coach, relevant[:3])
    rubric = coach.rubrics.for_record(relevant[0].record.id)
    if rubric is not None and rubric.origin != "draft":
        v = coach.index.embed([question, rubric.question])
        if float(v[0] @ v[1]) >= 0.70:
            return ask_mod.Answer(rubric.model_answer + " [1]", citations, warnings, route="reviewed")
    sents = ask_mod._sentences(citations[0].passage.strip())
    if len(sents) > 3:
        sv = coach.index.embed(sents)
        keep = sorted(sorted(range(len(sents)), key=lambda i: -float(sv[i] @ vecs[0]))[:3])
        sents = [sents[i] for i in keep]
    return ask_mod.Answer(" ".join(sents) + " [1]", citations, warnings, route="sentences")


def _row(item: dict, ans: ask_mod.Answer) -> dict:
    refused = ans.route == "refused"
    return {
        "id": item["id"], "kind": item["kind"], "question": item["question"], "route": ans.route,
        "refused": refused,
        "answer_found": (not refused) and found(ans.text, item.get("must_mention") or []),
        "cited": (not refused) and cited(ans.citations, item.get("source"), item.get("lines")),
        "states_flagged": (not refused) and states_flagged(ans.text, ans.citations),
        "source_is_wrong": bool(item.get("source_is_wrong")),
        "reply": ans.text[:400],
    }


def _metrics(rows: list[dict], prefix: str) -> dict:
    out = {}
    inscope = [r for r in rows if r["kind"] != "out_of_scope"]
    oos = [r for r in rows if r["kind"] == "out_of_scope"]
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    out[f"{prefix}answer_found"] = mean([r["answer_found"] for r in inscope])
    out[f"{prefix}cited"] = mean([r["cited"] for r in inscope])
    out[f"{prefix}in_scope_refused"] = mean([r["refused"] for r in inscope])
    out[f"{prefix}out_of_scope_refused"] = mean([r["refused"] for r in oos])
    out[f"{prefix}states_flagged"] = mean([r["states_flagged"] for r in rows])
    out[f"{prefix}wrong_source_answer_found"] = mean([r["answer_found"] for r in inscope if r["source_is_wrong"]])
    for kind in KINDS[:3]:
        out[f"{prefix}{kind}_answer_found"] = mean([r["answer_found"] for r in inscope if r["kind"] == kind])
    return out


def evaluate_ask(coach, items: list[dict], *, llm: bool = False) -> EvalResult:
    rows, base_rows, failures, gen, dropped = [], [], 0, 0, 0
    for item in items:
        try:
            ans = ask_mod.answer(coach, item["question"], allow_llm=False)
            base = previous_version(coach, item["question"])
        except Exception as exc:  # counted, scored as a refusal; never dropped
            failures += 1
            log.warning("ask %s failed: %s", item.get("id"), exc)
            ans = base = ask_mod.Answer(ask_mod.REFUSAL, [])
        rows.append(_row(item, ans))
        base_rows.append(_row(item, base))
        if llm and item["kind"] != "out_of_scope" and ans.route != "refused":
            g, d = llm_drop(coach, item["question"])
            gen, dropped = gen + g, dropped + d
    metrics = _metrics(rows, "")
    metrics.update(_metrics(base_rows, "previous_"))
    metrics["n_in_scope"] = float(sum(r["kind"] != "out_of_scope" for r in rows))
    metrics["n_out_of_scope"] = float(sum(r["kind"] == "out_of_scope" for r in rows))
    if llm:
        metrics["llm_generated_sentences"] = float(gen)
        metrics["llm_drop_rate"] = dropped / gen if gen else 0.0
    for r, b in zip(rows, base_rows):
        r["previous_found"] = b["answer_found"]
    return EvalResult(name="ask", metrics=metrics, primary="answer_found", n=len(items), failures=failures, details=rows)


def llm_drop(coach, question: str) -> tuple[int, int]:
    """(generated sentences, dropped as unsupported) for the configured LLM's answer to ``question``."""
    import prompts
    from coach.llm import fit_context

    ans = ask_mod.answer(coach, question, allow_llm=False)
    llm = coach.llm
    passages = fit_context([c.passage for c in ans.citations], max(256, llm.context_window - coach.settings.llm_max_tokens - 300), llm)
    messages = prompts.render("ask", question=question, passages=passages)
    raw = "".join(prompts.clean_stream(llm.stream(messages, max_tokens=coach.settings.llm_max_tokens, stop=prompts.spec("ask").get("stop") or None)))
    kept, dropped = ask_mod.supported_sentences(coach.nli, raw, [c.passage for c in ans.citations])
    return len(kept) + len(dropped), len(dropped)


def tune_rows(coach) -> list[dict]:
    """The tuning data for coach/ask.py's thresholds: retrieval DEV queries (in scope) and the team's
    own out-of-scope dev questions. Rows: route and best scores, for inspection."""
    from evals.base import select_split

    rows = [{"question": r["query"], "in_scope": True} for r in select_split(load_jsonl(DATA_DIR / "retrieval_queries.jsonl"), "dev")]
    rows += [{"question": r["question"], "in_scope": False} for r in load_jsonl(DEV_OUT_OF_SCOPE)]
    for r in rows:
        a = ask_mod.answer(coach, r["question"], allow_llm=False)
        r["route"] = a.route
        r.update(a.signals)
    return rows
