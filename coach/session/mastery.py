"""Per-topic mastery over time, from the graded answers.

Mastery is an exponentially weighted average of score/10 per topic (ALPHA = 0.5: the latest answer
counts half), so a topic recovers quickly once the user gets it right. Skipped or revealed questions
count as 0. Simplified on purpose: no decay with time (forgetting is handled by the review schedule),
and one point per topic per calendar day (UTC), the value after that day's last answer.
"""

from __future__ import annotations

import datetime as dt

ALPHA = 0.5


def mastery_history(rows: list[tuple[str, float | None, float]]) -> list[dict]:
    """rows: (topic, score 0..10 or None, answered_at unix seconds), in time order."""
    level: dict[str, float] = {}
    count: dict[str, int] = {}
    points: dict[tuple[str, str], dict] = {}
    for topic, score, when in rows:
        value = (score or 0.0) / 10.0
        level[topic] = value if topic not in level else ALPHA * value + (1 - ALPHA) * level[topic]
        count[topic] = count.get(topic, 0) + 1
        day = dt.datetime.fromtimestamp(when, dt.timezone.utc).strftime("%Y-%m-%d")
        points[(day, topic)] = {"date": day, "topic": topic, "mastery": round(level[topic], 3), "answers": count[topic]}
    return sorted(points.values(), key=lambda p: (p["date"], p["topic"]))


def current_mastery(history: list[dict]) -> dict[str, float]:
    """The latest mastery per topic."""
    return {p["topic"]: p["mastery"] for p in history}
