"""The end-of-session summary: scores, per-topic averages, the gaps to work on, the next reviews.

Averages are over graded answers only: a skipped or revealed question is not a 0/10 answer (nothing
was answered), so it is listed apart (``unanswered``) and brought back by the review schedule instead.
"""

from __future__ import annotations

import datetime as dt

from coach.grading.feedback import error_rank, unsaid_missing
from coach.session.records import SessionInfo, Turn
from coach.session.schedule import ReviewState


def session_summary(info: SessionInfo, turns: list[Turn], reviews: dict[str, ReviewState]) -> dict:
    main = [t for t in turns if t.kind == "main" and t.status != "pending"]
    graded = [t for t in main if t.grade is not None]
    overall = [t.grade.score for t in graded]
    topics: dict[str, list[float]] = {}
    for t in graded:
        topics.setdefault(t.topic, []).append(t.grade.score)
    unanswered = [{"question": info.plan[t.position].question, "topic": t.topic, "status": t.status}
                  for t in main if t.grade is None]
    # a gap its follow-up's answer got right is closed: not listed to work on (a walkthrough's summary listed a
    # point the candidate had just given, graded correct, in the follow-up)
    closed = {(t.position, t.target) for t in turns
              if t.kind == "followup" and t.target and t.grade is not None and t.grade.verdict == "correct"}
    ranked = []  # (rank, score, order, gap): the summary shows the first few, so the errors come first
    # a wrong sentence said in a follow-up's answer is one to work on too (a walkthrough's "VACUUM also rebuilds every
    # index ..., so it is only needed after a crash", graded 2.0 in its follow-up, was missing from the summary); its
    # missing point is its question's gap, listed from that question's grade
    answered_followups = [t for t in turns if t.kind == "followup" and t.grade is not None]
    listed = set()  # (position, claim): a follow-up repeating its question's wrong sentence lists it once
    for t in graded + answered_followups:
        if t.kind == "main":
            for point in unsaid_missing(t.grade)[:2]:  # a point in the answer's words is nothing to go and learn
                if (t.position, point) not in closed:
                    ranked.append((2, t.grade.score, len(ranked),
                                   {"question": info.plan[t.position].question, "missing": point}))
        for w in sorted(t.grade.wrong, key=error_rank)[:2]:
            if (t.position, w.get("correction")) not in closed and (t.position, w.get("claim", "")) not in listed:
                listed.add((t.position, w.get("claim", "")))
                ranked.append((error_rank(w)[0], t.grade.score, len(ranked),
                               {"question": info.plan[t.position].question, "wrong": w.get("claim", ""),
                                "correction": w.get("correction", "")}))
    # known misconceptions (a source's reported error among them) first, then the judge's wrong claims, then missing
    # points, each from the lowest-scored answer up: the summary showed its first eight gaps in question order, and a
    # walkthrough's two stated misconceptions came after them
    gaps = [g for *_, g in sorted(ranked, key=lambda r: r[:3])]
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
        "followups": sum(t.kind == "followup" and t.grade is not None for t in turns),  # answered
        "followups_asked": sum(t.kind == "followup" for t in turns),
        "average_score": round(sum(overall) / len(overall), 1) if overall else None,
        "by_topic": {k: round(sum(v) / len(v), 1) for k, v in sorted(topics.items())},
        "unanswered": unanswered,  # skipped or revealed: not in the averages
        "gaps": gaps,
        "next_reviews": sorted(next_reviews, key=lambda r: r["due"]),
    }
