"""The end-of-session summary: scores, per-topic averages, the gaps to work on, the next reviews."""

from __future__ import annotations

import datetime as dt

from coach.session.records import SessionInfo, Turn
from coach.session.schedule import ReviewState


def session_summary(info: SessionInfo, turns: list[Turn], reviews: dict[str, ReviewState]) -> dict:
    main = [t for t in turns if t.kind == "main" and t.status != "pending"]
    graded = [t for t in main if t.grade is not None]
    # Skipped/revealed questions count as 0 in the overall score: a skipped question was not known.
    overall = [t.grade.score if t.grade else 0.0 for t in main]
    topics: dict[str, list[float]] = {}
    for t in main:
        topics.setdefault(t.topic, []).append(t.grade.score if t.grade else 0.0)
    gaps = []
    for t in graded:
        for point in t.grade.missing[:2]:
            gaps.append({"question": info.plan[t.position].question, "missing": point})
        for w in t.grade.wrong[:2]:
            gaps.append({"question": info.plan[t.position].question, "wrong": w.get("claim", ""),
                         "correction": w.get("correction", "")})
    next_reviews = []
    for item in info.plan:
        state = reviews.get(item.id)
        if state:
            next_reviews.append({"question_id": item.id, "question": item.question,
                                 "due": dt.datetime.fromtimestamp(state.due_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                                 "interval_days": state.interval_days})
    return {
        "session_id": info.id,
        "title": info.title,
        "status": info.status,
        "planned": len(info.plan),
        "asked": len(main),
        "answered": len(graded),
        "skipped": sum(t.status == "skipped" for t in main),
        "revealed": sum(t.status == "revealed" for t in main),
        "followups": sum(t.kind == "followup" and t.grade is not None for t in turns),
        "average_score": round(sum(overall) / len(overall), 1) if overall else None,
        "by_topic": {k: round(sum(v) / len(v), 1) for k, v in sorted(topics.items())},
        "gaps": gaps,
        "next_reviews": sorted(next_reviews, key=lambda r: r["due"]),
    }
