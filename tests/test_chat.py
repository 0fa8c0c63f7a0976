"""`coach chat` through click's CliRunner, over the real session engine and a fake Coach."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from test_session_support import FakeCoach

from coach.cli import cli
from coach.session import SessionEngine


@pytest.fixture
def fake(monkeypatch):
    coach = FakeCoach()
    monkeypatch.setattr("coach.commands.chat.make_coach", lambda settings: coach)
    return coach


def run(args, text):
    return CliRunner().invoke(cli, ["chat", *args], input=text, catch_exceptions=False)


def test_full_interview(fake):
    # seed 1 asks "What is dropout?" (keyword "zero") first, then two python questions
    script = "\n".join([":hint", "", "it is max(0, x)", ":followup", "it is the zero part", ":ask what is overfitting?",
                        ":bogus", ":skip", ":answer"]) + "\n"
    result = run(["--topics", "dl,python", "--topics", "ml", "--length", "3", "--seed", "1"], script)
    out = result.output
    assert result.exit_code == 0, out
    assert "Question 1/3" in out and "Hint: " in out and "Type your answer" in out
    assert "Score 2.0/10 (Incorrect)" in out
    # the gap's follow-up comes before the next question; :followup repeats it; it is graded on the gap
    i_fu, i_q2 = out.index("Follow-up: can you say more about the zero part?"), out.index("Question 2/3")
    assert out.index("Score 2.0/10") < i_fu < out.index("Score 8.0/10 (Correct)") < i_q2
    assert "(:followup for a follow-up" not in out
    assert "This is the follow-up: answer it, or :skip it." in out  # said, not only printed again (a walkthrough)
    assert "The answer is grounded." in out and "[1] Notes on <ML> · a.txt:3-5" in out and "Warning: cited passage flagged" in out
    assert "Commands: :hint" in out
    assert "Skipped" in out and "Model answer:" in out
    assert "Session summary" in out and "answered question(s) of 3;" in out
    assert len(fake.graded) == 2


def test_quit_then_resume(fake):
    result = run(["--length", "2", "--seed", "3"], "nope\n:skip\n:quit\n")  # the gap's follow-up skipped
    assert result.exit_code == 0 and "Session saved. Resume with: coach chat --resume" in result.output
    # a skipped follow-up does not come back (the summary counts no skip for it): it says so
    assert "Follow-up skipped: it does not come back" in result.output
    assert "it will come back in a later session" not in result.output
    sid = result.output.split("--resume ")[1].split()[0]
    assert [s.id for s in SessionEngine(fake).unfinished()] == [sid]
    result = run(["--resume", "last"], "nope\n:skip\n")
    assert result.exit_code == 0 and "Question 2/2" in result.output and "Session summary" in result.output
    assert SessionEngine(fake).unfinished() == []


def test_end_of_input_keeps_session_and_errors_are_one_line(fake):
    result = run(["--length", "2"], ":skip\n")  # end of input after a skip: kept, resumable
    assert result.exit_code == 0 and "Session saved" in result.output
    result = CliRunner().invoke(cli, ["chat", "--topics", "cooking"], input="")
    # (the fake's index "builds" each time: piped, each stage is one "Indexing:" line on stderr)
    said = [line for line in result.output.strip().splitlines() if not line.startswith("Indexing: ")]
    assert result.exit_code == 1 and len(said) == 1 and said[0].startswith("Error: no questions for cooking")


def test_terminal_output_strips_control_characters(fake, monkeypatch):
    monkeypatch.setattr(fake, "followup", lambda grade, answer="": "\x1b[31mred\x1b[0m follow-up?")
    result = run(["--topics", "dl", "--length", "2"], "nope\n:followup\n:quit\n")
    assert result.exit_code == 0
    assert "[31mred[0m follow-up?" in result.output and "\x1b" not in result.output


def test_a_session_on_a_read_only_home_is_not_called_saved(fake, monkeypatch):
    """On a read-only home the session lives in memory: "Resume with: coach chat --resume ..." then failed."""
    monkeypatch.setattr(fake, "read_only", True, raising=False)
    monkeypatch.setattr(fake, "read_only_note", lambda: "read-only home", raising=False)
    result = run(["--length", "2"], ":quit\n")
    assert result.exit_code == 0 and "not saved" in result.output and "Resume with" not in result.output


def test_a_question_answered_meanwhile_elsewhere_is_a_message_and_the_chat_goes_on(fake, monkeypatch):
    """Another terminal answered the open question: the answer here is refused with a message, not a traceback."""
    from coach.errors import CoachError

    calls = []
    real = SessionEngine.answer

    def refused_once(self, sid, text):
        calls.append(text)
        if len(calls) == 1:
            raise CoachError("this question was already answered, skipped or ended meanwhile (another tab?)")
        return real(self, sid, text)

    monkeypatch.setattr(SessionEngine, "answer", refused_once)
    result = run(["--length", "1"], "it is max(0, x)\nit is max(0, x)\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Error: this question was already answered" in out and "Score " in out.split("Error: this question")[1]


NOTE = ("Graded against key points drafted from a.txt, not a reviewed rubric: where the source is wrong and the "
        "audit did not flag it, this grade is too.")


def test_a_note_is_shown_in_full_once_per_session(fake):
    # a walkthrough read the same three-line drafted-rubric note under every answer
    fake.notes = [NOTE]
    result = run(["--length", "3", "--seed", "1"], "nope\n:skip\nnope\n:skip\nnope\n:skip\n")
    out = result.output
    assert result.exit_code == 0, out
    assert out.count("Note: " + NOTE) == 1
    short = "Note: Graded against key points drafted from a.txt, not a reviewed rubric (see the note above)."
    assert out.count(short) == 2 and out.index("Note: " + NOTE) < out.index(short)


def test_a_session_that_cannot_start_says_what_the_sources_have(fake):
    # a walkthrough guessed at topics and difficulties; one asked for 50 questions and got 10 without a word
    from test_session_support import BANK

    result = run(["--topics", "cooking"], "")
    topics = sorted({i.topic for i in BANK})
    assert result.exit_code == 1 and "the sources have questions on " + ", ".join(
        f"{t} ({sum(i.topic == t for i in BANK)})" for t in topics) in result.output
    result = run(["--topics", "python", "--difficulty", "1"], "")
    levels = sorted({i.difficulty for i in BANK if i.topic == "python"})
    assert result.exit_code == 1 and "python's questions are at difficulty " in result.output
    assert all(f"{d} (" in result.output for d in levels)
    result = run(["--length", "50"], ":quit\n")
    assert result.exit_code == 0 and f"Only {len(BANK)} question(s) match: the session has {len(BANK)}, not 50." in result.output


def test_a_flag_of_the_quoted_passage_is_said_once(fake, monkeypatch):
    # a walkthrough read each flag twice (under the citation and as a warning), and warnings about passages the
    # answer did not quote
    from types import SimpleNamespace

    from coach.ask import flag_warning
    from coach.grading.types import Citation

    flag = {"verdict": "error", "reason": "Reported as wrong.", "correction": "FINALLY ALWAYS RUNS.", "line_start": 4,
            "line_end": 4}
    other = dict(flag, correction="DEFAULTS ARE BOUND ONCE.", line_start=9, line_end=9)
    quoted = Citation("a.md:3", "a.md", 3, 5, "When does finally run?", passage="p", flags=[flag])
    related = Citation("a.md:8", "a.md", 8, 9, "Mutable defaults?", passage="p", flags=[other])
    monkeypatch.setattr(fake, "ask", lambda q, cancel=None, hold_back=(): SimpleNamespace(
        stream=iter(["It always runs. [1]"]), citations=[quoted, related], warnings=[flag_warning("a.md", flag)]))
    out = run(["--length", "1", "--seed", "1"], ":ask when does finally run?\n:quit\n").output
    assert out.count("FINALLY ALWAYS RUNS.") == 1 and "Warning: a.md line 4 is flagged" in out
    assert out.count("DEFAULTS ARE BOUND ONCE.") == 1  # the related passage's flag: on its citation


def test_a_resumed_chat_shows_a_note_in_full_again(fake):
    # the earlier grades of a resumed session are not printed again, so their note is not "above" (a review)
    fake.notes = [NOTE]
    result = run(["--length", "3", "--seed", "1"], "nope\n:skip\n:quit\n")
    assert result.output.count("Note: " + NOTE) == 1
    result = run(["--resume", "last"], "nope\n:skip\n")
    assert result.output.count("Note: " + NOTE) == 1, result.output


def test_a_session_quit_before_anything_was_done_is_not_kept(fake):
    """A walkthrough's `:help` then `:quit` left an "active 0/8 answered" session in `coach sessions list` for good."""
    result = run(["--length", "2"], ":help\n:quit\n")
    assert result.exit_code == 0 and "Nothing was answered, so the session was not kept." in result.output
    assert "Resume with" not in result.output and SessionEngine(fake).history() == []
    result = run(["--length", "2"], ":skip\n:quit\n")  # a question skipped: something to come back to
    assert "Resume with: coach chat --resume" in result.output and len(SessionEngine(fake).history()) == 1


def test_slash_commands_are_commands_and_a_path_is_still_an_answer(fake):
    """"/help" and "/quit", typed as in other chat tools, were graded as answers ("No attempt", "Off topic") and counted in
    the session's mean (a walkthrough); only the command names are read so: a path such as "/etc/passwd" is an answer."""
    result = run(["--topics", "dl", "--length", "2", "--seed", "1"], "/help\n/hint\n/quit\n")
    out = result.output
    assert result.exit_code == 0, out
    assert "Grading..." not in out and "Score " not in out, out
    assert out.count("Commands: :hint") == 2 and "Hint: " in out
    assert "Nothing was answered, so the session was not kept." in out
    result = run(["--topics", "dl", "--length", "1", "--seed", "1"], "/etc/passwd\n")
    assert "Grading..." in result.output and "Score " in result.output, result.output


def test_a_pasted_answer_of_several_lines_is_one_answer_in_a_terminal(monkeypatch):
    """A walkthrough pasted a three-line answer: each line was taken as the answer to the next question or follow-up,
    and every later input landed on the wrong prompt. Lines that arrive together at a terminal are one answer; a line
    typed later is the next input."""
    import os
    import pty
    import sys

    from coach.commands.chat import read_answer

    master, slave = pty.openpty()
    with os.fdopen(slave, "r") as terminal:
        monkeypatch.setattr(sys, "stdin", terminal)
        os.write(master, b"A Pod groups containers.\nThey can share volumes too.\nPods are ephemeral.\n")
        assert read_answer() == "A Pod groups containers.\nThey can share volumes too.\nPods are ephemeral."
        os.write(master, b":skip\n")
        assert read_answer() == ":skip"
    os.close(master)


def test_a_paste_without_a_closing_newline_is_one_answer_sent_with_enter():
    """A walkthrough pasted two lines with no newline after the second and pressed Enter: the first line was graded at
    once, and the second became the answer to the follow-up. The chat's input is read by readline, which asks the
    terminal for bracketed paste and keeps a paste whole until Enter. A pseudo-terminal plays the terminal: it marks
    the paste only if the chat asked for it, as terminals do."""
    import os
    import pty
    import select
    import time

    import sys

    pid, fd = pty.fork()
    if pid == 0:  # the chat's side, a fresh interpreter on the pseudo-terminal
        os.execve(sys.executable, [sys.executable, "-c", "from coach.commands.chat import read_answer; "
                                   "print('ANSWER=' + repr(read_answer()), flush=True)"],
                  {**os.environ, "TERM": "xterm", "PYTHONPATH": os.pathsep.join(sys.path)})
    seen = b""

    def pump(seconds, until=b""):
        nonlocal seen
        end = time.time() + seconds
        while time.time() < end and not (until and until in seen):
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    return

    pump(20, until=b"> ")  # the prompt is up
    paste = b"Partial<T> makes every property optional.\nPick<T, K> keeps only the keys in K."
    os.write(fd, b"\x1b[200~" + paste + b"\x1b[201~" if b"\x1b[?2004h" in seen else paste)
    pump(1.0)
    os.write(fd, b"\r")
    pump(20, until=b"ANSWER=")
    pump(0.5)
    os.waitpid(pid, 0)
    assert "ANSWER='Partial<T> makes every property optional.\\nPick<T, K> keeps only the keys in K.'" in \
        seen.decode(errors="replace"), seen[-400:]


def test_a_first_run_says_it_indexed_the_bundled_sources(capsys, tmp_path):
    """A walkthrough's first `coach chat` on a new home asked deep-learning questions of sources it had never added,
    without a word, while `coach index status` had said "no index yet". (Control flow: a stand-in index.)"""
    from types import SimpleNamespace

    from coach.startup import ensure_index_with_progress

    built = []
    index = SimpleNamespace(exists=lambda: bool(built))
    coach = SimpleNamespace(index=index, settings=SimpleNamespace(home=tmp_path),
                            ensure_index=lambda progress=None: built.append(1))
    ensure_index_with_progress(coach)
    assert "indexed the bundled sample sources" in capsys.readouterr().err
    ensure_index_with_progress(coach)  # an index already there: nothing said
    assert "bundled" not in capsys.readouterr().err


def test_a_follow_ups_drafted_note_is_shortened_after_the_questions_own():
    """A walkthrough: a follow-up's grade (against one gap, citing nothing) said "drafted from an added source" and so
    printed the three-line note again in full under every follow-up."""
    from coach.grading.types import Grade
    from coach.session.render import grade_text

    follow = NOTE.replace("from a.txt", "from an added source")
    out = grade_text(Grade(score=5.0, verdict="partial", feedback="", notes=[follow]), {}, {NOTE})
    assert "Graded against key points drafted from an added source, not a reviewed rubric (see the note above)." in out
    assert "this grade is too" not in out
    assert follow in grade_text(Grade(score=5.0, verdict="partial", feedback="", notes=[follow]), {}, set())


def test_ctrl_c_while_grading_quits_like_quit_and_gives_the_answer_back(fake):
    """A review: Ctrl-C during "Grading..." printed "Aborted!", exited 1 with the typed answer gone, no resume line,
    and an empty "active 0/3" session left behind."""
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    fake.grade = interrupted
    result = run(["--length", "2", "--seed", "3"], "a long carefully typed answer\n")
    out = result.output
    assert result.exit_code == 0, out
    assert "Interrupted. Your answer was not saved:\na long carefully typed answer" in out
    assert "Nothing was answered, so the session was not kept." in out and SessionEngine(fake).history() == []


def test_ctrl_c_after_the_last_answer_was_saved_shows_the_summary(fake):
    """A review: Ctrl-C landing after the last answer's grade was written said "Your answer was not saved" and printed
    a resume line for a finished session."""
    grade = fake.grade

    def saved_then_interrupted(*a, **k):
        fake.grade = grade  # the grade itself goes through; the interrupt comes while it is printed
        return grade(*a, **k)

    import coach.commands.chat as chat_cmd

    real_text = chat_cmd.__dict__.get("_act")

    def act_then_interrupt(*a, **k):
        real_text(*a, **k)
        raise KeyboardInterrupt

    fake.grade = saved_then_interrupted
    chat_cmd._act, old = act_then_interrupt, chat_cmd._act
    try:
        result = run(["--length", "1", "--seed", "3"], "it fits noise\n")
    finally:
        chat_cmd._act = old
    out = result.output
    assert result.exit_code == 0, out
    assert "Interrupted." in out and "not saved" not in out and "Resume with" not in out and "Session summary" in out
