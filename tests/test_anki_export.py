"""The Anki deck export, read back as what an .apkg is: a zip holding the collection's SQLite file."""

from __future__ import annotations

import json
import sqlite3
import zipfile

from test_session_support import FakeCoach

from coach.session import SessionEngine
from coach.session.export import ANKI_MODEL_ID, anki_apkg


def read_apkg(path, tmp_path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert "collection.anki2" in names and "media" in names
        z.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as db:
        notes = db.execute("SELECT guid, mid, flds FROM notes ORDER BY id").fetchall()
        n_cards = db.execute("SELECT COUNT(*) FROM cards").fetchone()[0]
        models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
        decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
    return notes, n_cards, models, decks


def test_apkg_round_trip(tmp_path):
    engine = SessionEngine(FakeCoach(), followups=False)  # two main questions, no follow-up between them
    sid = engine.start(topics=["dl"], length=2, seed=1).session_id
    engine.answer(sid, "no idea <b>really</b>")  # 2/10: missed
    engine.skip(sid)  # missed
    plan = engine.info(sid).plan
    path = tmp_path / "missed.apkg"
    assert anki_apkg(engine, path, sid) == 2
    notes, n_cards, models, decks = read_apkg(path, tmp_path)
    assert n_cards == 2 and {n[1] for n in notes} == {ANKI_MODEL_ID}
    assert [f["name"] for f in models[str(ANKI_MODEL_ID)]["flds"]] == ["Question", "Model answer", "Source"]
    assert "Interview Coach::Missed questions" in {d["name"] for d in decks.values()}
    fields = {n[2].split("\x1f")[0]: n[2].split("\x1f") for n in notes}
    assert set(fields) == {p.question for p in plan}
    graded = fields[plan[0].question]
    assert graded[1] == plan[0].model_answer
    assert graded[2].startswith("Notes on &lt;ML&gt; (a.txt) lines ")  # the citation, HTML-escaped for Anki
    # skipped: no grade cites it, its record does (a walkthrough's revealed cards had no source line)
    source, _, line = plan[1].record_ids[0].rpartition(":")
    assert fields[plan[1].question][2] == f"Notes on &lt;ML&gt; ({source}) line {line}"
    # Exporting again keeps the same note ids (guid), so a re-import updates instead of duplicating.
    anki_apkg(engine, tmp_path / "again.apkg", sid)
    again, *_ = read_apkg(tmp_path / "again.apkg", tmp_path / "x")
    assert sorted(n[0] for n in again) == sorted(n[0] for n in notes)


def test_apkg_with_nothing_missed_is_an_empty_deck(tmp_path):
    engine = SessionEngine(FakeCoach())
    sid = engine.start(topics=["python"], length=1, difficulty=2, seed=1).session_id
    engine.answer(sid, "it wraps")  # 9/10
    assert anki_apkg(engine, tmp_path / "d.apkg", sid) == 0
    notes, n_cards, _, _ = read_apkg(tmp_path / "d.apkg", tmp_path)
    assert notes == [] and n_cards == 0
