"""`coach chat`: a terminal interview over the same session engine as the web UI.

Type an answer, or a command: :hint :skip :answer (show the model answer) :followup :ask <question>
:quit. An unfinished session can be continued with ``--resume last`` (or its id).
Answers are read line by line; in a terminal, lines that arrive together (a pasted answer) are one answer.
"""

from __future__ import annotations

import click

from coach.startup import ensure_index_with_progress, make_coach
from coach.errors import CoachError

HELP = ("Commands: :hint  :skip  :answer  :followup  :ask <question>  :quit. An answer is one line; "
        "a pasted answer of several lines is read as one.")
PASTE_WAIT = 0.05  # seconds: a line already waiting this soon after the one read came in the same paste


COMMANDS = (":hint", ":skip", ":answer", ":followup", ":ask", ":quit")
# typed the way other chat tools take commands: "/help" and "/quit" were graded as answers ("No attempt", "Off topic"),
# counted in the session's mean and scheduled for review (a walkthrough)
_ALIASES = {"/" + c[1:]: c for c in COMMANDS} | {"/help": ":help", "/exit": ":quit", ":exit": ":quit", "/q": ":quit",
                                                 ":q": ":quit"}


def command_of(line: str) -> tuple[str, str]:
    """(command, its argument) of a typed line, ("", "") for an answer. A command starts with ":"; the same names with
    "/" are read as commands too, but only those names: "/etc/passwd" or "/dev/null." stays an answer."""
    head, _, arg = line.strip().partition(" ")
    if head.startswith(":"):
        return _ALIASES.get(head.lower(), head.lower()), arg
    if head.lower() in _ALIASES and (head.lower() == "/ask" or not arg.strip()):
        return _ALIASES[head.lower()], arg
    return "", ""


def read_answer() -> str:
    """One answer: the line typed, and in a terminal every line already waiting behind it. A pasted answer of three
    lines was three answers, to this question and the next two, and every later input landed on the wrong prompt (a
    walkthrough). Piped input is read a line at a time, as scripts send it."""
    import select
    import sys

    if sys.stdin.isatty():
        try:  # line editing, and a paste inserted whole until Enter (readline's bracketed paste): a paste of two lines
            import readline  # noqa: F401  without a newline at its end was graded as its first line (a walkthrough)
        except ImportError:  # a Python built without it: the lines waiting behind the first are read below
            pass
    line = click.prompt("", prompt_suffix="> ", default="", show_default=False)
    if command_of(line)[0] or not sys.stdin.isatty():
        return line.strip()
    more = []
    while select.select([sys.stdin], [], [], PASTE_WAIT)[0]:
        extra = sys.stdin.readline()
        if not extra:
            break
        more.append(extra.rstrip("\n"))
    return "\n".join([line, *more]).strip()


def _show_question(engine, turn) -> None:
    from coach.session.render import plain, turn_label

    total = len(engine.info(turn.session_id).plan)
    label = turn_label(turn.kind, turn.position + 1, total)
    click.secho(f"\n{label} [{plain(turn.topic)}]", bold=True)
    click.echo(plain(f"{turn.lead_in} {turn.question}" if turn.lead_in else turn.question))


def _ask(engine, sid, question) -> None:
    import threading

    from coach.ask import flag_warning
    from coach.session.render import citation_text, plain, quoted_numbers

    cancel = threading.Event()
    reply = engine.ask(question, session_id=sid, cancel=cancel)
    said = ""
    try:
        for delta in reply.stream:
            said += delta
            click.echo(plain(delta), nl=False)
    except KeyboardInterrupt:
        cancel.set()
        click.echo("\n(stopped)")
    click.echo("")
    titles = engine.source_titles()
    quoted = quoted_numbers(said)
    for i, c in enumerate(reply.citations):
        # a flag already said in a warning is not printed twice (a walkthrough read each one twice)
        said_in_warning = any(flag_warning(c.source, f) in reply.warnings for f in c.flags)
        click.echo(citation_text(c, i + 1, titles, quoted, flags_said=said_in_warning))
    for w in reply.warnings:
        click.secho(f"Warning: {plain(w)}", fg="yellow")


@click.command()
@click.option("--topics", multiple=True, help="Topic(s), repeatable or comma-separated (default: all).")
@click.option("--length", default=5, show_default=True, type=int, help="Number of questions (1-50).")
@click.option("--difficulty", type=click.IntRange(1, 3), default=None, help="1 (easy) to 3 (hard); default any.")
@click.option("--resume", default=None, help="Continue an unfinished session: its id, or 'last'.")
@click.option("--seed", type=int, default=None,
              help="Fix the order of the questions not yet seen and their phrasing. Questions due for review "
                   "come first, so the same seed gives the same session only with the same history.")
@click.pass_obj
def chat(settings, topics, length, difficulty, resume, seed):
    """Practise an interview in the terminal."""
    from coach.session import SessionEngine
    from coach.session.render import grade_text, plain, summary_text

    coach = make_coach(settings)
    if getattr(coach, "read_only", False):
        click.echo(f"Warning: {coach.read_only_note()}", err=True)
    ensure_index_with_progress(coach)
    engine = SessionEngine(coach)
    if resume:
        open_sessions = engine.unfinished()
        if not open_sessions:
            raise CoachError("no unfinished session to resume")
        sid = open_sessions[0].id if resume == "last" else resume
        turn = engine.current(engine.info(sid).id)
    else:
        wanted = [t.strip() for group in topics for t in group.split(",") if t.strip()]
        turn = engine.start(wanted or None, difficulty, length, seed)
        sid = turn.session_id
        planned = len(engine.info(sid).plan)
        if planned < length:  # said, not silent (a walkthrough asked for 50 and got 10 without a word)
            click.echo(f"Only {planned} question(s) match: the session has {planned}, not {length}.")
    click.echo(f"Session {sid}. {HELP}")
    printed: set[str] = set()  # notes shown in full in this terminal
    while turn is not None:
        _show_question(engine, turn)
        try:
            line = read_answer()
        except click.Abort:  # end of input or Ctrl-D: keep the session resumable
            line = ":quit"
        cmd, arg = command_of(line)
        if cmd != ":quit":
            try:
                turn = _act(engine, sid, turn, cmd, arg, line, grade_text, plain, printed)
            except CoachError as exc:  # another tab or process changed the session meanwhile: say so, carry on
                click.echo(f"Error: {exc}")
                turn = engine.current(sid)
            except KeyboardInterrupt:  # Ctrl-C while grading: "Aborted!", exit 1, the answer gone and no resume line
                # (a review). A grade is written in one transaction after grading: the question is still open, or done
                still_open = any(t.id == turn.id and t.status == "pending" for t in engine.turns(sid))
                click.echo("\nInterrupted." + (f" Your answer was not saved:\n{line}" if still_open and line and not cmd
                                                 else ""))
                if engine.info(sid).status == "finished":  # the last answer was saved: the session is done
                    click.echo("\n" + summary_text(engine.summary(sid)))
                    return
                cmd = ":quit"
        if cmd == ":quit":
            if getattr(coach, "read_only", False):  # the session lived in memory only
                click.echo("\nThis session was not saved (the coach's home is read-only), so it cannot be resumed.")
            elif engine.discard_if_untouched(sid):
                click.echo("\nNothing was answered, so the session was not kept.")
            else:
                click.echo(f"\nSession saved. Resume with: coach chat --resume {sid}")
            return
    click.echo("\n" + summary_text(engine.summary(sid)))


def _act(engine, sid, turn, cmd, arg, line, grade_text, plain, printed: set[str]):
    """One line typed in ``coach chat``: a command or an answer. Returns the question now open (None: done).
    ``printed``: the notes this terminal has shown in full (shortened when they come again)."""
    if cmd == ":hint":
        click.secho("Hint: " + plain(engine.hint(sid)), fg="cyan")
    elif cmd == ":skip":
        from coach.session.render import skip_note

        kind = turn.kind
        turn = engine.skip(sid)
        click.echo(skip_note(kind))
    elif cmd == ":answer":
        item, turn = engine.reveal(sid)
        click.echo("Model answer:\n  " + plain(item.model_answer).replace("\n", "\n  "))
    elif cmd == ":followup":
        if turn.kind == "followup":  # it was printed again with no word (a walkthrough)
            click.echo("This is the follow-up: answer it, or :skip it.")
        try:
            turn = engine.followup(sid)
        except CoachError as exc:
            click.echo(str(exc))
    elif cmd == ":ask":
        if arg.strip():
            _ask(engine, sid, arg.strip())
        else:
            click.echo("Usage: :ask <your question>")
    elif cmd:
        click.echo(HELP)
    elif not line:
        click.echo("Type your answer, or " + HELP)
    else:
        click.echo("Grading...")
        result = engine.answer(sid, line)
        from coach.grading.feedback import unsaid_missing

        # the notes shown in THIS terminal: a resumed session's earlier grades are not printed again (a review)
        click.echo(grade_text(result.grade, engine.source_titles(), printed))
        printed.update(result.grade.notes)
        if (result.turn.kind == "main" and (unsaid_missing(result.grade) or result.grade.wrong) and result.next is not None
                and result.next.kind != "followup"):  # a finished session takes no follow-up
            click.echo("(:followup for a follow-up question on the gaps)")
        turn = result.next
    return turn
