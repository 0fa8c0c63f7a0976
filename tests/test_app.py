"""The Gradio app's adapters, without a browser: bind policy, handlers, escaping, per-browser state.
(The real browser runs are in tests/test_app_browser.py.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_session_support import FakeCoach

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # app.py lives at the repo root
import app  # noqa: E402
from coach.cli import cli  # noqa: E402
from coach.errors import CoachError  # noqa: E402
from coach.session import SessionEngine  # noqa: E402


def test_bind_policy():
    assert app.check_bind("127.0.0.1", "") is None
    assert app.check_bind("localhost", "") is None and app.check_bind("::1", "") is None
    assert app.check_bind("0.0.0.0", "ann:s3cret") == ("ann", "s3cret")
    with pytest.raises(CoachError, match="without a password"):
        app.check_bind("0.0.0.0", "")
    with pytest.raises(CoachError, match="without a password"):
        app.check_bind("192.168.1.10", "")
    with pytest.raises(CoachError, match="user:password"):
        app.check_bind("127.0.0.1", "nopassword")


def test_serve_refuses_public_host_without_auth(monkeypatch):
    built = []
    monkeypatch.setattr("coach.startup.make_coach", lambda s: built.append(s))
    monkeypatch.delenv("COACH_AUTH", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 1 and built == []
    assert result.output.strip().splitlines() == [
        "Error: refusing to serve on 0.0.0.0 without a password: set COACH_AUTH=user:password or bind 127.0.0.1"]


def test_serve_prints_url_and_launches_on_loopback(monkeypatch):
    calls = {}
    monkeypatch.setattr("coach.startup.make_coach", lambda s: FakeCoach(s))
    monkeypatch.setattr(app, "launch", lambda demo, **kw: calls.update(kw, demo=demo))
    result = CliRunner().invoke(cli, ["serve", "--port", "7999"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Interview Coach UI on http://127.0.0.1:7999" in result.output
    assert calls["host"] == "127.0.0.1" and calls["port"] == 7999 and calls["auth"] is None
    assert calls["demo"].__class__.__name__ == "Blocks"


def test_python_app_py_takes_the_same_host_and_port_options(monkeypatch, capsys):
    """A walkthrough's `python app.py --port 7871` served on 7860 without a word: app.py read no arguments."""
    import sys

    calls = {}
    monkeypatch.setattr("coach.startup.make_coach", lambda s: FakeCoach(s))
    monkeypatch.setattr(app, "launch", lambda demo, **kw: calls.update(kw))
    monkeypatch.setitem(sys.modules, app.__name__, app)
    app.main(["--port", "7998"])
    assert calls["port"] == 7998 and calls["host"] == "127.0.0.1" and calls["auth"] is None
    assert "Interview Coach UI on http://127.0.0.1:7998" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="without a password"):
        app.main(["--host", "0.0.0.0"])
    with pytest.raises(SystemExit):
        app.main(["--port", "not-a-number"])  # argparse's own error and exit status 2


def test_launch_relabels_chat_messages(monkeypatch):
    seen = {}

    class Demo:
        def queue(self, **kw):
            return self

        def launch(self, **kw):
            seen.update(kw)

    app.launch(Demo(), block=False)
    assert seen["js"] == app.LABEL_JS and seen["server_name"] == "127.0.0.1" and seen["share"] is False


def drain(gen):
    *_, last = gen
    return last


@pytest.fixture
def handlers():
    coach = FakeCoach()
    return app.Handlers(coach, SessionEngine(coach))


def fresh():
    return {"sid": None, "history": []}


def test_interview_handlers_and_escaping(handlers):
    st, chat = handlers.start(fresh(), ["dl"], "1", 3)  # only q2 at difficulty 1
    assert st["sid"] and "Question 1/1" in chat[-1]["content"]
    st, chat, box = drain(handlers.answer(st, "max of <script>alert(1)</script>"))
    text = "\n".join(m["content"] for m in chat)
    assert box == "" and "Score 9.0/10" in text and "<details><summary>[1] Notes on &lt;ML&gt; · a.txt:9-11" in text
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Source flagged (error)" in text and "Session summary" in text  # it was the only question
    st, chat, _ = drain(handlers.ask(st, "What is overfitting?"))
    assert "The answer is grounded." in chat[-1]["content"] and "⚠️ cited passage flagged" in chat[-1]["content"]
    md, js, csv_path, apkg = handlers.export(st)
    assert apkg.endswith(".apkg") and Path(apkg).stat().st_size > 0
    assert "Score 9.0/10" in Path(md).read_text() and json.loads(Path(js).read_text())["summary"]["answered"] == 1
    assert Path(csv_path).read_text().startswith("#separator:comma")


def test_streaming_ask_yields_partial_answers(handlers):
    steps = list(handlers.ask(fresh(), "What is overfitting?"))
    partial = [s[1][-1]["content"] for s in steps[:-1]]
    assert len(steps) == 5 and partial[0].startswith("The ") and partial[-1].startswith("The answer is grounded.")


def test_actions_without_session_and_two_browsers(handlers):
    st, chat = handlers.hint(fresh())
    assert chat[-1]["content"] == "Start a session first (or press **Ask the coach**)."
    a, _ = handlers.start(fresh(), ["dl"], "any", 2)
    # a browser with no session open while one is kept (after a reload) is sent to it, not told to start one
    st, chat, box = drain(handlers.answer(fresh(), "my answer"))
    assert a["sid"] in chat[-1]["content"] and "**Resume a session**" in chat[-1]["content"] and box == "my answer"
    assert "still in the box" in chat[-1]["content"] and a["sid"] in handlers.hint(fresh())[1][-1]["content"]
    b, _ = handlers.start(fresh(), ["python"], "any", 2)
    a, chat_a, _ = drain(handlers.answer(a, "partly"))
    b, chat_b = handlers.skip(b)
    ta, tb = handlers.engine.turns(a["sid"]), handlers.engine.turns(b["sid"])
    assert a["sid"] != b["sid"] and {t.topic for t in ta} == {"dl"} and {t.topic for t in tb} == {"python"}
    assert ta[0].status == "answered" and tb[0].status == "skipped"
    assert "Score" not in "".join(m["content"] for m in chat_b)
    assert "Skipped: it will come back in a later session." in chat_b[-1]["content"]
    assert handlers.engine.current(a["sid"]).kind == "followup"  # the partial answer's gap
    a_after, chat_a2 = handlers.skip(a)  # a skipped follow-up does not come back, and says so
    assert chat_a2[-1]["content"].startswith("Follow-up skipped: it does not come back")
    # Resume in a "new browser": the chat is rebuilt from the DB.
    st, chat = handlers.resume(fresh(), a_after["sid"])
    assert st["sid"] == a["sid"] and any("Score 5.0/10" in m["content"] for m in chat)


def test_a_page_load_says_where_the_unfinished_session_is(handlers):
    """A walkthrough reloaded mid-session and found a blank chat, with nothing saying the session was kept."""
    assert handlers.welcome(fresh()) == []  # nothing unfinished: nothing said
    a, _ = handlers.start(fresh(), ["dl"], "any", 2)
    (note,) = handlers.welcome(fresh())  # the chat only: a session started meanwhile is never overwritten
    assert a["sid"] in note["content"] and "**Resume a session**" in note["content"]
    assert handlers.welcome(a) == a["history"]  # a chat on the page is left as it is
    handlers.finish(a)
    assert handlers.welcome(fresh()) == []  # a finished session is not one to resume


def test_sources_and_progress_views(handlers, tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("Q?\nA.")
    status, table, dd, audit, warnings, report_src, reports, withdraw, topics = handlers.add_sources(
        [str(f)], progress=lambda *a, **k: None)
    assert "notes.txt" in status and list(table["source"]) == ["a.txt", "notes.txt"]
    real = handlers.coach.add_sources
    handlers.coach.add_sources = lambda paths, **k: {**real(paths, **k), "drafted": [str(tmp_path / "home" / "notes-txt.yaml")]}
    status, *_ = handlers.add_sources([str(f)], progress=lambda *a, **k: None)
    handlers.coach.add_sources = real
    assert "Practice questions drafted: notes-txt.yaml." in status and "stages" not in status and str(tmp_path) not in status  # the server's paths are not shown
    assert "Audit" not in status  # nothing audited, nothing said
    handlers.coach.add_sources = lambda paths, **k: {**real(paths, **k), "audit": {"flags": 3, "errors": 1}}
    status, *_ = handlers.add_sources([str(f)], progress=lambda *a, **k: None)
    handlers.coach.add_sources = real
    assert "Audit of the new or changed source(s): 3 flag(s) (1 error(s), 2 suspect)" in status and "audit: {" not in status
    assert "not statements of fact" in status and "**Report a wrong sentence in a source**" in status  # the shipped fit
    assert "&lt;script&gt;" in audit and "<script>" not in audit
    assert [c[1] for c in report_src["choices"]] == ["a.txt", "notes.txt"] and reports.startswith("No sentences reported")
    status, table, dd, audit, warnings, *_, topics = handlers.remove_sources(["notes.txt"])
    assert status == "Removed: notes.txt"
    # a source with no question is announced on its own line, escaped like all source text
    prose = tmp_path / "prose.txt"
    prose.write_text("Just prose.")
    status = handlers.add_sources([str(prose)], progress=lambda *a, **k: None)[0]
    assert status.endswith("\n\nNote: prose.txt: no question/answer pairs found; &lt;b&gt;x&lt;/b&gt;"), status
    assert "notes:" not in status
    handlers.engine.answer(handlers.start(fresh(), ["ml"], "any", 1)[0]["sid"], "noise")
    fig, mastery = handlers.progress_view()
    (line,) = fig.axes[0].get_lines()
    assert line.get_label() == "ml" and list(line.get_ydata()) == [9.0]
    assert mastery.values.tolist()[0][:4] == ["ml", 9.0, 1, 0]


def test_mastery_chart_one_scale_and_no_repeated_dates():
    import matplotlib

    matplotlib.use("Agg")
    for days in (1, 3, 40):
        hist = [{"date": f"2026-{1 + d // 28:02d}-{1 + d % 28:02d}", "topic": t, "mastery": 5.0, "answers": 1, "skipped": 0}
                for d in range(days) for t in ("ml", "dl")]
        hist.append({"date": "2026-01-01", "topic": "skips-only", "mastery": None, "answers": 0, "skipped": 2})
        fig = app.mastery_figure(hist)
        fig.canvas.draw()
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert labels and len(labels) == len(set(labels)) <= 10, labels
        assert ax.get_ylim() == (0, 10.3) and {l.get_label() for l in ax.get_lines()} == {"ml", "dl"}


def test_footer_labels_and_routine_errors(handlers, monkeypatch):
    import gradio as gr

    models = {"embedding_model": "/x/.venv/lib/site-packages/m/all-MiniLM-L6-v2", "embedding_model_path": "/x/.venv/m",
              "llm_backend": "llamacpp", "llm_model": "/x/.venv/share/smollm2-135m.gguf"}
    monkeypatch.setattr(handlers.coach, "models", lambda: models)
    footer = app.models_md(handlers.coach)
    assert "/" not in footer and ".venv" not in footer and "smollm2-135m.gguf" in footer and "all-MiniLM-L6-v2" in footer
    with pytest.raises(gr.Error) as err:
        handlers.export(fresh())
    assert err.value.print_exception is False  # a user error: a message, no traceback in the log
    st, chat = handlers.start(fresh(), ["dl"], "1", 3)
    st, chat, _ = drain(handlers.answer(st, "max"))
    assert not any(m["content"].lstrip().startswith("<") for m in chat)  # no raw HTML leading a message
    assert "aria-label" in app.LABEL_JS and "innerText" in app.LABEL_JS


def test_build_app_has_the_tabs():
    demo = app.build_app(FakeCoach())
    labels = {getattr(b, "label", None) for b in demo.blocks.values()}
    assert {"Interview", "Sources", "History", "Progress", "Indexed sources", "Current mastery", "Mastery per topic over time"} <= labels
    assert any(getattr(b, "elem_id", None) == "coach-chat" for b in demo.blocks.values())


def test_history_lists_every_session_and_opens_and_exports_a_finished_one(handlers):
    done, _ = handlers.start(fresh(), ["ml"], "any", 1)
    drain(handlers.answer(done, "noise"))  # the only question: the session finishes
    open_, _ = handlers.start(fresh(), ["dl"], "any", 2)
    table, dd = handlers.history_view()
    assert list(table["status"]) == ["active", "finished"]  # newest first
    assert table.values.tolist()[1][4:] == ["1/1", 0, 9.0]
    assert [c[1] for c in dd["choices"]] == [open_["sid"], done["sid"]] and dd["value"] is None
    assert handlers.history_view(done["sid"])[1]["value"] == done["sid"]  # a pick survives coming back to the tab
    assert handlers.history_view("someone-elses-id")[1]["value"] is None
    # after a reload (a fresh browser state) the finished session opens read-only and exports
    st, chat = handlers.open_session(fresh(), done["sid"])
    assert st["sid"] == done["sid"] and "Finished session, read-only" in chat[-1]["content"]
    assert any("Score 9.0/10" in m["content"] for m in chat)
    md, *_ = handlers.export_session(done["sid"])
    assert "Score 9.0/10" in Path(md).read_text()
    with pytest.raises(CoachError, match="finished"):  # a finished session is never reopened
        handlers.engine.followup(done["sid"])
    import gradio as gr

    with pytest.raises(gr.Error):
        handlers.export_session(None)


def test_exports_share_one_private_folder_and_old_ones_are_removed(handlers):
    """Each export used to leave its own folder in /tmp for good: now they share one 0700 folder per app,
    an export older than EXPORT_KEEP_S is removed by the next one, and the folder goes with the app."""
    import os
    import stat

    st, _ = handlers.start(fresh(), ["dl"], "1", 3)
    drain(handlers.answer(st, "max"))
    first = Path(handlers.export(st)[0])
    second = Path(handlers.export(st)[0])
    root = first.parent.parent
    assert second.parent.parent == root and first.parent != second.parent
    assert first.exists() and second.exists()  # a fresh export is kept: Gradio may still be copying it
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    # owner-only files: Gradio copies them into its cache (0755 folders) keeping their mode
    assert {stat.S_IMODE(Path(f).stat().st_mode) for f in handlers.export(st)} == {0o600}
    past = first.parent.stat().st_mtime - 2 * app.EXPORT_KEEP_S
    os.utime(first.parent, (past, past))
    third = Path(handlers.export(st)[0])
    assert not first.parent.exists() and second.exists() and third.exists()
    handlers._exports.cleanup()  # what happens when the app's process exits
    assert not root.exists()


def _grade_correct_with_a_gap(handlers) -> None:
    """Every answer is graded "correct" with one missing point: no automatic follow-up, the button offered."""
    grade = handlers.coach.grade

    def correct_with_a_gap(q, a, **k):
        g = grade(q, a, **k)
        g.verdict, g.score, g.missing = "correct", 7.5, ["the bias-variance part"]
        return g

    handlers.coach.grade = correct_with_a_gap


def test_no_follow_up_is_offered_once_the_session_is_finished(handlers):
    """A "correct" answer that still misses a point gets no automatic follow-up, and the card offers the
    Follow-up button; after the last question the session is finished and that button only said so."""
    _grade_correct_with_a_gap(handlers)
    st, _ = handlers.start(fresh(), ["ml", "dl"], "any", 2)
    st, chat, _ = drain(handlers.answer(st, "it fits noise"))
    assert "Question 2/2" in chat[-1]["content"]
    assert any("Follow-up" in m["content"] for m in chat[-3:])  # the session goes on: offered
    st, chat, _ = drain(handlers.answer(st, "it fits noise"))
    assert "Session summary" in chat[-1]["content"]
    assert not any("Follow-up" in m["content"] for m in chat[-3:])  # finished: not offered


def test_a_follow_up_pressed_after_the_next_question_says_which_question_it_is_about(handlers):
    """Found in a walkthrough: Follow-up, pressed once question 2 was already shown, was posted below it as
    "Follow-up" alone, so it read as a question about question 2 (it follows up question 1)."""
    _grade_correct_with_a_gap(handlers)
    st, _ = handlers.start(fresh(), ["ml", "dl"], "any", 3)
    st, chat, _ = drain(handlers.answer(st, "it fits noise"))
    assert "Question 2/3" in chat[-1]["content"]
    st, chat = handlers.followup(st)
    follow = chat[-1]["content"]
    assert follow.startswith("**Follow-up on question 1**") and "question 2 follows" in follow, follow
    st, chat, _ = drain(handlers.answer(st, "it fits noise"))
    assert "Question 2/3" in chat[-1]["content"]  # asked again once the follow-up is answered


def test_a_note_is_shown_in_full_once_per_session_and_on_reopening():
    # a walkthrough read the same three-line drafted-rubric note under every answer
    coach = FakeCoach()
    handlers = app.Handlers(coach, SessionEngine(coach, followups=False))
    note = ("Graded against key points drafted from a.txt, not a reviewed rubric: where the source is wrong and the "
            "audit did not flag it, this grade is too.")
    short = "Graded against key points drafted from a.txt, not a reviewed rubric (see the note above)."
    handlers.coach.notes = [note]
    st, _ = handlers.start(fresh(), ["dl", "python", "ml"], "any", 2)
    st, chat, _ = drain(handlers.answer(st, "partly"))
    st, chat, _ = drain(handlers.answer(st, "partly"))
    text = "\n".join(m["content"] for m in chat)
    assert text.count(note) == 1 and text.count(short) == 1 and text.index(note) < text.index(short)
    _, chat = handlers.open_session(fresh(), st["sid"])
    text = "\n".join(m["content"] for m in chat)
    assert text.count(note) == 1 and text.count(short) == 1


def test_an_empty_answer_or_question_says_what_to_do_once(handlers):
    # a walkthrough's empty answer and empty question added nothing at all (`coach chat` explains)
    st, _ = handlers.start(fresh(), ["dl"], "any", 1)
    st, chat, _ = drain(handlers.answer(st, "   "))
    assert chat[-1]["content"] == "_Type your answer in the box first, or use Hint / Skip / Show answer._"
    st, again, _ = drain(handlers.answer(st, ""))
    assert again == chat  # pressed twice: said once
    st, chat, _ = drain(handlers.ask(st, ""))
    assert chat[-1]["content"].startswith("_Type your question in the box first")
    st, chat, _ = drain(handlers.answer(fresh(), ""))  # another browser: the session above is kept, not open there
    assert "is kept but not open here" in chat[-1]["content"] and "still in the box" not in chat[-1]["content"]


def test_a_page_load_reads_the_topics_as_indexed_now():
    """A walkthrough's upload added a topic that another tab, or the page after a reload, could not choose ("not in
    the list of choices") until the server restarted: the topics were built into the page once."""
    demo = app.build_app(FakeCoach())
    fns = demo.fns  # {id: function}
    chain, at = [], next(k for k, f in fns.items() if f.targets and f.targets[0][1] == "load")
    while at is not None:  # the page load and what runs after it
        chain.append(fns[at])
        at = next((k for k, f in fns.items() if getattr(f, "trigger_after", None) == at), None)
    assert any(getattr(f.fn, "__name__", "") == "topic_choices" and [o.elem_id for o in f.outputs] == ["topics"]
               for f in chain), [getattr(f.fn, "__name__", "") for f in chain]


def test_a_reopened_session_shows_its_hints_revealed_answers_asks_and_summary(handlers):
    """A walkthrough's session reopened from History showed 38 of its 50 messages: no hints, no Ask exchanges, no
    summary, and "_Revealed._" without the model answer that was revealed."""
    st, _ = handlers.start(fresh(), ["ml"], "any", 1)  # its one question has a hint
    st, _ = handlers.hint(st)
    assert st["history"][-1]["content"] == "**Hint:** Think train vs test error."
    st, _, _ = drain(handlers.ask(st, "What is overfitting?"))
    st, live = handlers.reveal(st)  # the last question: the session finishes
    # the model answer and what comes next in messages of their own (they shared one, a walkthrough)
    assert live[-2]["content"].startswith("**Model answer:**") and "Session summary" in live[-1]["content"]
    _, chat = handlers.open_session(fresh(), st["sid"])
    texts = [m["content"] for m in chat]
    assert "**Hint:** Think train vs test error." in texts
    assert any(t.startswith("**Question for the coach:**") and "What is overfitting?" in t for t in texts)
    assert any("The answer is grounded." in t and "Citations" in t for t in texts)
    assert any(t.startswith("_Revealed._") and "**Model answer:**" in t for t in texts)
    assert any("Session summary" in t for t in texts) and "Finished session, read-only" in texts[-1]



def test_a_reopened_session_shows_each_ask_where_it_was_asked():
    """A walkthrough reopened a session and found every Ask listed after the last answer, away from the question
    that was on screen when it was asked."""
    now = [1000.0]
    coach = FakeCoach()
    h = app.Handlers(coach, SessionEngine(coach, clock=lambda: now[0], followups=False))
    st, _ = h.start(fresh(), ["dl", "python", "ml"], "any", 2)
    now[0] += 10
    st, _, _ = drain(h.answer(st, "partly"))  # question 2 is shown now
    now[0] += 10
    st, _, _ = drain(h.ask(st, "What is overfitting?"))
    now[0] += 10
    st, _, _ = drain(h.answer(st, "partly"))
    _, chat = h.open_session(fresh(), st["sid"])
    texts = [m["content"] for m in chat]
    at = lambda prefix: next(i for i, t in enumerate(texts) if t.startswith(prefix))  # noqa: E731
    ask, q2 = at("**Question for the coach:**"), at("**Question 2/2**")
    answers = [i for i, m in enumerate(chat) if m["role"] == "user" and m["content"] == "partly"]
    assert answers[0] < q2 < ask < answers[1], texts


def test_one_action_at_a_time_per_session_while_an_answer_is_graded(handlers):
    """A review: Skip pressed while an answer was graded threw the answer away (its grade was replaced by "your answer
    was not saved", the open question out of sight), and Enter then Send graded it twice. While an answer of a session
    is graded, another action on it only says to wait, and a second submit changes nothing."""
    st, _ = handlers.start(fresh(), ["ml", "dl"], "any", 3)
    gen = handlers.answer(st, "it fits noise")
    _, grading, box = next(gen)  # the answer is being graded now
    assert grading[-1]["content"] == "_Grading…_" and box == ""
    _, chat = handlers.skip(st)
    assert chat[-1]["content"] == app.BUSY
    again = list(handlers.answer(st, "it fits noise"))  # the same submit twice
    assert len(again) == 1 and all(isinstance(o, type(app.gr.skip())) for o in again[0])
    st, chat, box = drain(gen)
    turns = handlers.engine.turns(st["sid"])
    assert turns[0].status == "answered" and turns[0].answer == "it fits noise" and box == ""
    assert len(handlers.coach.graded) == 1  # graded once
    assert chat[-1]["content"].startswith(app._question(handlers.engine, handlers.engine.current(st["sid"]))[:20])
    _, chat = handlers.hint(st)  # free again once graded
    assert chat[-1]["content"] != app.BUSY


def test_an_answer_goes_to_the_question_shown_in_its_tab(handlers):
    """A review: with two tabs on one session, tab B's Follow-up made tab A's answer to question 2 the follow-up's
    answer, graded against question 1's gap with nothing said. It is refused, the text back in the box, the open
    question shown again; Skip from the stale tab is refused too."""
    _grade_correct_with_a_gap(handlers)
    st_a, _ = handlers.start(fresh(), ["ml", "dl"], "any", 3)
    st_a, chat, _ = drain(handlers.answer(st_a, "it fits noise"))
    assert "Question 2/3" in chat[-1]["content"]
    st_b, _ = handlers.resume(fresh(), st_a["sid"])
    st_b, chat_b = handlers.followup(st_b)
    assert "Follow-up on question 1" in chat_b[-1]["content"]
    st_a, chat, box = drain(handlers.answer(st_a, "ReLU is max(0, x)"))
    assert box == "ReLU is max(0, x)" and "the open question changed" in chat[-2]["content"]
    assert "Follow-up on question 1" in chat[-1]["content"]  # what is open now, shown in tab A too
    turns = handlers.engine.turns(st_a["sid"])
    assert all(t.answer != "ReLU is max(0, x)" for t in turns) and len(handlers.coach.graded) == 1
    # tab A now shows the follow-up: its answer goes there
    st_a, chat, box = drain(handlers.answer(st_a, "ReLU is max(0, x)"))
    assert box == "" and handlers.engine.turns(st_a["sid"])[1].answer == "ReLU is max(0, x)"
    _, chat_b = handlers.skip(st_b)  # tab B still shows the follow-up, answered meanwhile in tab A
    assert "the open question changed" in chat_b[-2]["content"] and "Question 2/3" in chat_b[-1]["content"]
    assert handlers.engine.current(st_a["sid"]).status == "pending"  # question 2 not skipped


def test_an_answer_that_cannot_be_graded_goes_back_in_the_box(handlers):
    """A review: an error other than the coach's own (a locked database, a model bug) left the chat on "Grading…" for
    good and the box empty."""
    st, _ = handlers.start(fresh(), ["ml", "dl"], "any", 2)

    def broken(*a, **k):
        raise RuntimeError("database is locked")

    handlers.coach.grade = broken
    st, chat, box = drain(handlers.answer(st, "it fits noise"))
    assert box == "it fits noise"
    assert "could not be graded (RuntimeError)" in chat[-2]["content"] and "Question 1/2" in chat[-1]["content"]
    assert handlers.engine.current(st["sid"]).position == 0 and st["history"] == chat


def test_a_huge_answer_is_kept_cut_and_said_so(handlers):
    """A review: a 2.5 MB paste was stored, shown and exported whole (grading reads its first 6,000 characters)."""
    from coach.session.engine import MAX_KEPT_ANSWER

    st, _ = handlers.start(fresh(), ["ml", "dl"], "any", 2)
    huge = "it fits noise " * 50_000
    st, chat, _ = drain(handlers.answer(st, huge))
    stored = handlers.engine.turns(st["sid"])[0].answer
    assert len(stored) < MAX_KEPT_ANSWER + 100 and "more characters not kept" in stored
    assert max(len(m["content"]) for m in chat) < MAX_KEPT_ANSWER + 500


def test_follow_up_pressed_twice_is_not_posted_twice(handlers):
    st, _ = handlers.start(fresh(), ["ml", "dl"], "any", 3)
    st, chat, _ = drain(handlers.answer(st, "no clue at all"))  # a gap: the follow-up is asked automatically
    assert "Follow-up" in chat[-1]["content"]
    st, chat = handlers.followup(st)
    assert chat[-1]["content"].startswith("_This is the follow-up")


def test_a_stopped_ask_stays_in_the_chat_and_the_session(handlers):
    """A review: "Stop answer" left the partial answer on screen until the next click, and nothing was logged or
    exported."""
    st, _ = handlers.start(fresh(), ["ml", "dl"], "any", 2)
    gen = handlers.ask(st, "what is overfitting?")
    next(gen)
    st, chat, _ = next(gen)  # part of the answer shown
    gen.close()  # Stop
    assert "The" in chat[-1]["content"]
    _, chat = handlers.hint(st)
    assert any("what is overfitting?" in m["content"] for m in chat)
    asks = handlers.engine.asks(st["sid"])
    assert len(asks) == 1 and asks[0]["answer"].endswith("[stopped]")


def test_a_reopened_session_shows_a_follow_ups_own_hints(handlers):
    """A review: live, the follow-up's hint was the question's second one; reopened, its first one was shown."""
    st, _ = handlers.start(fresh(), ["dl"], "1", 1)  # only "What is ReLU?" at difficulty 1: two hints
    item = handlers.engine.info(st["sid"]).plan[0]
    assert len(item.hints) >= 2
    handlers.hint(st)
    st, chat, _ = drain(handlers.answer(st, "no clue at all"))
    st, chat = handlers.hint(st)  # the follow-up's hint
    live = chat[-1]["content"]
    assert live == "**Hint:** " + app.safe(item.hints[1])
    _, chat = handlers.resume(fresh(), st["sid"])
    hints = [m["content"] for m in chat if m["content"].startswith("**Hint:**")]
    assert hints == ["**Hint:** " + app.safe(item.hints[0]), live]


def test_an_error_reading_the_session_after_a_failed_grade_is_said(handlers, monkeypatch):
    """A review: when the session could not be read after a failed grade, the error escaped and the chat stayed on
    "Grading…"."""
    st, _ = handlers.start(fresh(), ["ml", "dl"], "any", 2)

    def broken(*a, **k):
        raise RuntimeError("database is locked")

    handlers.coach.grade = broken
    monkeypatch.setattr(handlers.engine, "current", lambda sid: (_ for _ in ()).throw(RuntimeError("locked")))
    monkeypatch.setattr(app, "_shown", lambda engine, sid: (_ for _ in ()).throw(RuntimeError("locked")))
    st, chat, box = drain(handlers.answer(st, "it fits noise"))
    assert box == "it fits noise" and "could not be graded" in chat[-1]["content"]


def test_the_setup_panel_shows_the_resumed_sessions_topics_difficulty_and_length(handlers):
    """After Resume the panel kept its defaults (all topics, any difficulty, 5 questions) beside the resumed session."""
    a, _ = handlers.start(fresh(), ["python"], "2", 3)
    st, _ = handlers.resume(fresh(), a["sid"])
    topics, difficulty, length = handlers.session_setup(st)
    info = handlers.engine.info(a["sid"])
    assert topics["value"] == ["python"] and difficulty["value"] == "2" and length["value"] == info.length
    b, _ = handlers.start(fresh(), ["dl"], "any", 2)
    assert [u["value"] for u in handlers.session_setup(handlers.resume(fresh(), b["sid"])[0])] == [["dl"], "any", 2]
    assert all("value" not in u for u in handlers.session_setup(fresh()))  # nothing open: the panel as it is
