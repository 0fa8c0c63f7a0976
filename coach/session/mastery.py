"""Per-topic mastery over time, from the graded answers.

Mastery is on the scores' own 0-10 scale: an exponentially weighted average of the scores per topic
(ALPHA = 0.5: the latest answer counts half), so a topic recovers quickly once the user gets it right. Skipped or revealed questions
are not answers: they are counted apart (``skipped``) and leave mastery unchanged (``None`` until the
topic's first graded answer). Simplified on purpose: no decay with time (forgetting is handled by the
review schedule), and one point per topic per calendar day (UTC), the value after that day's last event.
"""

from __future__ import annotations

import datetime as dt

ALPHA = 0.5


def mastery_history(rows: list[tuple[str, float | None, float]]) -> list[dict]:
    """rows: (topic, score 0..10 or None for skipped/revealed, answered_at unix seconds), in time order.
    Each point: {"date", "topic", "mastery" 0..10 or None, "answers" (graded, cumulative), "skipped"}."""
    level: dict[str, float] = {}
    count: dict[str, int] = {}
    skipped: dict[str, int] = {}
    points: dict[tuple[str, str], dict] = {}
    for topic, score, when in rows:
        if score is None:
            skipped[topic] = skipped.get(topic, 0) + 1
        else:
            value = float(score)
            level[topic] = value if topic not in level else ALPHA * value + (1 - ALPHA) * level[topic]
            count[topic] = count.get(topic, 0) + 1
        day = dt.datetime.fromtimestamp(when, dt.timezone.utc).strftime("%Y-%m-%d")
        mastery = round(level[topic], 2) if topic in level else None
        points[(day, topic)] = {"date": day, "topic": topic, "mastery": mastery, "answers": count.get(topic, 0),
                                "skipped": skipped.get(topic, 0)}
    return sorted(points.values(), key=lambda p: (p["date"], p["topic"]))


def current_mastery(history: list[dict]) -> dict[str, float]:
    """The latest mastery per topic (topics with no graded answer yet are left out)."""
    return {p["topic"]: p["mastery"] for p in history if p["mastery"] is not None}
