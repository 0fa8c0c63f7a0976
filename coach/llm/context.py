"""Fit retrieved passages into what is left of the model's context window, by real token counts.

Simplified on purpose:
- Passages are taken in the order given (best first) and never reordered; the first passage that does
  not fit whole is cut at a token boundary found by binary search on its characters (counted with the
  backend's own tokenizer), and everything after it is dropped. A cut smaller than ``min_tokens`` is
  not worth its noise and is dropped too.
- Each passage is charged ``overhead_tokens`` for its numbering and fence markers in the prompt.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

TRUNCATION_MARK = " …"


def context_budget(llm, prompt_messages: list[dict], max_tokens: int, *, margin: int = 16) -> int:
    """Tokens left for passages: context window - prompt (rendered without passages) - reply - margin."""
    used = llm.count_message_tokens(prompt_messages)
    return max(0, llm.context_window - used - int(max_tokens) - margin)


def _cut(text: str, budget: int, llm) -> str:
    """The longest prefix of ``text`` (ending on whitespace when possible) within ``budget`` tokens."""
    lo, hi = 0, len(text)
    while lo < hi:  # largest n with count(text[:n] + mark) <= budget
        mid = (lo + hi + 1) // 2
        if llm.count_tokens(text[:mid] + TRUNCATION_MARK) <= budget:
            lo = mid
        else:
            hi = mid - 1
    prefix = text[:lo]
    space = prefix.rfind(" ")
    if space > len(prefix) // 2:
        prefix = prefix[:space]
    return prefix.rstrip() + TRUNCATION_MARK if prefix.strip() else ""


def fit_context(
    passages: list[str], budget_tokens: int, llm, *, overhead_tokens: int = 8, min_tokens: int = 24
) -> list[str]:
    """Return the passages (in order, the last possibly truncated) whose tokens fit ``budget_tokens``."""
    kept: list[str] = []
    left = int(budget_tokens)
    for passage in passages:
        cost = llm.count_tokens(passage) + overhead_tokens
        if cost <= left:
            kept.append(passage)
            left -= cost
            continue
        room = left - overhead_tokens
        if room >= min_tokens:
            cut = _cut(passage, room, llm)
            if cut:
                kept.append(cut)
        logger.info("fit_context: kept %d of %d passages (budget %d tokens)", len(kept), len(passages), budget_tokens)
        break
    return kept
