"""Ask the coach: answer the user's own question from the indexed sources, with citations.

Grounding policy, in order:
1. nothing relevant retrieved -> say so and stop (never invent);
2. the question matches a reviewed rubric -> its model answer (reviewed, and corrected where the
   sources are wrong), citing the rubric's references;
3. otherwise a configured LLM answers from the numbered retrieved passages (fenced as data in the
   prompt); with the bundled SmolLM2 (which garbles facts) the most relevant sentences of the best
   passage are quoted instead.
Every cited passage the source audit flagged comes with a warning and the correction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from coach.grading.types import Citation

log = logging.getLogger(__name__)

RELEVANT_MIN = 0.40  # cosine between the question and a retrieved question/passage
RUBRIC_MATCH = 0.70  # cosine between the question and a rubric question to answer from the rubric


def _words(text: str) -> Iterator[str]:
    for i, w in enumerate(text.split(" ")):
        yield w if i == 0 else " " + w


def ask(coach, question: str, cancel=None):
    from coach.service import AskResult

    question = (question or "").strip()
    if not question:
        return AskResult(iter(["Please type a question."]), [], [])
    hits = coach.search(question, k=5)
    texts = [question] + [h.record.question + " " + h.chunk_text for h in hits]
    vecs = coach.index.embed(texts)
    sims = (vecs[1:] @ vecs[0]) if len(hits) else []
    relevant = [(h, float(s)) for h, s in zip(hits, sims) if s >= RELEVANT_MIN]
    if not relevant:
        msg = "I found nothing in your sources that answers this, so I won't guess. Try rephrasing, or add a source that covers it."
        return AskResult(_words(msg), [], ["Nothing relevant was retrieved for this question."])

    citations, warnings = [], []
    for h, _ in relevant[:3]:
        flags = coach.audit.flags_for(h.record.id)
        r = h.record
        citations.append(Citation(r.id, r.source, r.line_start, r.line_end, r.question, r.answer, flags))
        for f in flags:
            warnings.append(
                f"{r.source} lines {f.get('line_start')}-{f.get('line_end')} is flagged by the source audit "
                f"({f.get('verdict')}): {f.get('reason')} Correction: {f.get('correction')}"
            )

    best = relevant[0][0]
    rubric = coach.rubrics.for_record(best.record.id)
    if rubric is not None and rubric.origin != "draft":
        v = coach.index.embed([question, rubric.question])
        if float(v[0] @ v[1]) >= RUBRIC_MATCH:
            return AskResult(_words(rubric.model_answer + " [1]"), citations, warnings)

    if _llm_may_answer(coach.settings):
        try:
            return AskResult(_llm_answer(coach, question, citations, cancel), citations, warnings)
        except Exception as exc:  # no LLM available: fall back to quoting
            log.warning("LLM unavailable for ask (%s); quoting the best passage", exc)
    quote = _extract(vecs[0], citations[0].passage.strip(), coach.index.embed)
    c = citations[0]
    return AskResult(_words(f"From {c.source} (lines {c.line_start}-{c.line_end}): {quote} [1]"), citations, warnings)


def _llm_may_answer(settings) -> bool:
    """The bundled SmolLM2-135M garbles facts when it answers from passages (seen in the browser
    test: "a pod is a container that is designed to be a container..."), so with it the coach quotes
    the best passage instead. A configured model (or COACH_LLM_TRUSTED=1) writes the answer."""
    if settings.llm_backend == "none":
        return False
    return settings.llm_trusted or settings.llm_model not in ("", "default") or settings.llm_backend == "openai"


def _extract(question_vec, passage: str, embed, k: int = 3) -> str:
    """The k passage sentences closest to the question, in their original order."""
    from coach.grading.text import sentences

    sents = sentences(passage)
    if len(sents) <= k:
        return " ".join(sents)
    vecs = embed(sents)  # (S, d)
    best = sorted(sorted(range(len(sents)), key=lambda i: -float(vecs[i] @ question_vec))[:k])
    return " ".join(sents[i] for i in best)


def _llm_answer(coach, question: str, citations: list[Citation], cancel) -> Iterator[str]:
    import prompts
    from coach.llm import fit_context

    llm = coach.llm
    budget = max(256, llm.context_window - coach.settings.llm_max_tokens - 300)
    passages = fit_context([c.passage for c in citations], budget, llm)
    messages = prompts.render("ask", question=question, passages=passages)
    stop = prompts.spec("ask").get("stop") or None
    # small models echo the data fences back: stop at a closing fence, drop an echoed header
    return prompts.clean_stream(llm.stream(messages, max_tokens=coach.settings.llm_max_tokens, stop=stop, cancel=cancel))
