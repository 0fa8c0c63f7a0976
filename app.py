"""The Gradio UI: a thin adapter over ``coach.service.Coach`` and ``coach.session.SessionEngine``.

Run it with `coach serve` (or `python app.py`). Tabs: Interview (chat, session controls, grade cards
with expandable citations, ask the coach, exports), Sources (upload + re-index with a progress bar,
list/remove, audit report), Progress (per-topic mastery over time).

Safety: binds 127.0.0.1 by default and never uses ``share=True``; a non-loopback host requires
``COACH_AUTH=user:password[,user2:password2...]``. Requests for a Host name the server does not answer to
are refused (``coach.web_guard``: DNS rebinding). Every text that comes from a source, the model or the
user goes through ``coach.session.render.safe`` (HTML and Markdown escaped) before it reaches a
Markdown/HTML component. Each browser keeps its own session id and chat history in ``gr.State``; all
session data lives in SQLite and belongs to an owner (``coach.session.owners``): the logged-in user, else
the browser's HttpOnly cookie secret. Every handler works on ``engine.for_owner(owner)``, so a browser or
API client lists, resumes and writes only its own sessions.
Simplified on purpose: the chat history shown is rebuilt from the DB only on resume; a page reload
starts with a chat that says where the browser's unfinished session is (resume it from the list to get it back).
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr
import pandas as pd

from coach.errors import CoachError
from coach.grading.feedback import unsaid_missing
from coach.grading.types import lines_of
from coach.session import SessionEngine
from coach.session.engine import QUESTION_CHANGED, kept_answer
from coach.session.export import anki_apkg, anki_csv, ask_citations_now, session_json_text, session_markdown
from coach.session.owners import LOCAL_OWNER, owner_of
from coach.session.render import (
    citations_md,
    grade_md,
    notes_shown_before,
    question_md,
    quoted_numbers,
    safe,
    safe_block,
    skip_note,
    summary_md,
)
from coach.session.render import models_md as render_models_md

log = logging.getLogger(__name__)

SOURCE_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf"]
# index/audit progress stages (coach.service.Coach.add_sources) as the progress bar names them
STAGES = {"parse": ("Parsing files", "files"), "group": ("Grouping questions", "questions"),
          "chunk": ("Chunking records", "records"), "embed": ("Embedding chunks", "chunks"),
          "index": ("Indexing vectors", "chunks"), "write": ("Writing the index", "steps"),
          "audit": ("Auditing sources", "steps"), "draft": ("Drafting rubrics", "sources")}
CSS = "#coach-chat details{margin:.2em 0} #coach-chat details summary{cursor:pointer}"
# Gradio labels each chat message for screen readers with its raw Markdown/HTML source; relabel each
# one with the text it shows (what a sighted reader sees), whenever messages change.
LABEL_JS = """() => {
  const relabel = () => document.querySelectorAll('#coach-chat [data-testid="bot"], #coach-chat [data-testid="user"]')
    .forEach(el => {
      const who = el.getAttribute('data-testid') === 'user' ? 'You' : 'Coach';
      const label = who + ': ' + el.innerText.replace(/\\s+/g, ' ').trim().slice(0, 400);
      if (el.getAttribute('aria-label') !== label) el.setAttribute('aria-label', label);
    });
  new MutationObserver(relabel).observe(document.body, {subtree: true, childList: true, characterData: true,
                                                        attributes: true, attributeFilter: ['aria-label']});
  relabel();
}"""


# ---- binding policy -----------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, auth: str):
    """The (user, password) to require (a list of them for ``user:pw,user2:pw2``), or None.
    Refuses a non-loopback host without a password. Each user has their own session history."""
    creds = []
    for entry in filter(None, (e.strip() for e in auth.split(","))):
        user, sep, password = entry.partition(":")
        if not sep or not user or not password:
            raise CoachError("COACH_AUTH must look like user:password (or user:password,user2:password2)")
        creds.append((user, password))
    creds = None if not creds else creds[0] if len(creds) == 1 else creds
    if not is_loopback(host) and creds is None:
        raise CoachError(f"refusing to serve on {host} without a password: set COACH_AUTH=user:password or bind 127.0.0.1")
    return creds


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth=None, block: bool = True,
           extra_hosts: str = "", max_file_bytes: int | None = None):
    from starlette.middleware import Middleware

    from coach.config import load_settings
    from coach.web_guard import WebGuard, allowed_hosts, listed_hosts

    # Long work (grading, indexing) runs in the queue; 2 workers match the 2-core target machine.
    demo.queue(default_concurrency_limit=2)
    guard = Middleware(WebGuard, allowed=allowed_hosts(host, extra_hosts),  # Host, Origin, owner cookie
                       origins=listed_hosts(extra_hosts))
    return demo.launch(server_name=host, server_port=port, auth=auth, share=False, inbrowser=False,
                       prevent_thread_lock=not block, quiet=True, show_error=True, css=CSS,
                       footer_links=[], mcp_server=False, js=LABEL_JS, app_kwargs={"middleware": [guard]},
                       # an upload larger than a source may be is refused before it is stored (a security review's
                       # 64 MiB upload was kept in Gradio's temp folder, the coach's 5 MB limit applied only after)
                       max_file_size=max_file_bytes or load_settings().max_source_bytes)


# ---- handlers (plain functions of the engine; no logic a test cannot reach) -----------------------
def _say(history: list, text: str, role: str = "assistant") -> list:
    return [*history, {"role": role, "content": text}]


def _ask_body(answer: str, citations, warnings, titles) -> str:
    """An Ask reply as the chat shows it: the answer, its citations (those it does not quote marked) and warnings."""
    body = safe_block(answer) or "_(no answer)_"
    if citations:
        body += "\n\n**Citations:**\n\n" + citations_md(citations, titles, quoted_numbers(answer))
    return body + "".join(f"\n\n⚠️ {safe(w)}" for w in warnings)


def _say_once(history: list, text: str) -> list:
    """``_say``, unless it is the last thing said (a note pressed for twice is not repeated)."""
    return history if history and history[-1].get("content") == text else _say(history, text)


def _question(engine: SessionEngine, turn) -> str:
    total = len(engine.info(turn.session_id).plan)
    return question_md(turn.question, turn.position + 1, total, turn.topic, turn.kind, turn.lead_in)


def _next_or_summary(engine, sid, turn) -> str:
    return _question(engine, turn) if turn else summary_md(engine.summary(sid))


# what an upload did, in a user's words (a walkthrough read "drafted: git-md.yaml (stages: Parsing files → ...)"), file
# names only, never the server's paths
_UPLOAD_SAID = (("added", "Added"), ("updated", "Replaced by the new upload (same file name)"),
                ("unchanged", "Already indexed, unchanged"), ("skipped", "Could not read"))


def _upload_said(result: dict) -> str:
    said = [f"{label}: {safe(', '.join(str(x) for x in result[key]))}." for key, label in _UPLOAD_SAID if result.get(key)]
    drafted = result.get("drafted") or []
    if drafted:  # the editable practice-question files, by name (power users edit them; `coach index status`)
        said.append(f"Practice questions drafted: {safe(', '.join(Path(str(x)).name for x in drafted))}.")
    return " ".join(said) or "Nothing to do."


def _audit_said(audit: dict | None) -> str:
    """What the audit found in the sources just added, and what it cannot check (two walkthroughs: the upload said
    nothing of the audit, and the caveat that statements of fact are not checked was found only in a report)."""
    if not audit:
        return ""
    if "error" in audit:
        return f"\n\nAudit: unavailable ({safe(audit['error'])})."
    n, errors = audit["flags"], audit["errors"]
    out = (f"\n\nAudit of the new or changed source(s): {n} flag(s) ({errors} error(s), {n - errors} suspect); "
           "each is in **Source audit report** below.")
    from coach.audit.checks import not_verified

    try:
        unchecked = bool(not_verified(("trusted",)))
    except Exception:  # noqa: BLE001 - the upload is done: saying what the audit cannot check must not undo that
        unchecked = True
    if unchecked:
        out += ("\n\n⚠️ The audit checks code, arithmetic and known error patterns, not statements of fact: a wrong "
                "sentence in a source can become what answers are graded against. If you find one, report it under "
                "**Report a wrong sentence in a source** below.")
    return out


def _err(exc: Exception) -> str:
    return f"⚠️ {safe(exc)}"


def request_owner(request) -> str:
    """The owner behind a Gradio request (``coach.session.owners``); ``LOCAL_OWNER`` for direct calls.
    A request with no identity at all (the web guard always gives one) gets a throwaway owner: it sees
    nothing and what it starts is its own."""
    if request is None:
        return LOCAL_OWNER
    try:
        cookies = dict(getattr(request, "cookies", None) or {})
    except (TypeError, ValueError):
        cookies = {}
    return owner_of(getattr(request, "username", None), cookies) or "anonymous:" + secrets.token_hex(16)


# Exports are written to one private temp folder per app (0700, removed when the process exits); Gradio
# copies a returned file into its own cache, so an export older than this is removed by the next export.
EXPORT_KEEP_S = 600


BUSY = "_Still grading your answer: wait for its grade first._"


def _shown(engine, sid) -> int | None:
    """The id of the question the chat ends with (the open one), kept in the browser's state so that an answer, Skip
    or Show answer acts on the question the user saw, not one another tab opened meanwhile."""
    turn = engine.current(sid) if sid else None
    return turn.id if turn is not None else None


class Handlers:
    def __init__(self, coach, engine: SessionEngine):
        self.coach, self.engine = coach, engine
        self._exports: tempfile.TemporaryDirectory | None = None
        # sessions with an answer being graded: one action at a time per session (a review: Skip pressed while an
        # answer was graded threw the answer away, and a second submit replaced the grade with an error)
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()

    def _claim(self, sid: str) -> bool:
        with self._busy_lock:
            if sid in self._busy:
                return False
            self._busy.add(sid)
            return True

    def _release(self, sid: str) -> None:
        with self._busy_lock:
            self._busy.discard(sid)

    def _export_dir(self) -> Path:
        """A fresh folder for one export, inside this app's export folder; earlier exports older than
        ``EXPORT_KEEP_S`` are removed first (before, every export left a folder in /tmp for good)."""
        if self._exports is None:
            self._exports = tempfile.TemporaryDirectory(prefix="coach-export-")  # removed at exit
        root = Path(self._exports.name)
        now = time.time()
        for old in root.iterdir():
            try:
                if now - old.stat().st_mtime > EXPORT_KEEP_S:
                    shutil.rmtree(old, ignore_errors=True)
            except OSError:  # removed meanwhile by another export
                pass
        return Path(tempfile.mkdtemp(dir=root))

    def _engine(self, request) -> SessionEngine:
        return self.engine.for_owner(request_owner(request))

    def start(self, st, topics, difficulty, length, request: gr.Request = None):
        engine = self._engine(request)
        try:
            diff = None if difficulty in (None, "", "any") else int(difficulty)
            turn = engine.start(list(topics or []), diff, int(length))
        except CoachError as exc:
            return st, _say(st["history"], _err(exc))
        info = engine.info(turn.session_id)
        fewer = (f" Only {len(info.plan)} question(s) match, not {int(length)}." if len(info.plan) < int(length) else "")
        history = [{"role": "assistant", "content": f"Session started: {safe(info.title)}.{fewer} Answer in the box below, "
                    "or use Hint / Skip / Show answer / Ask."}, {"role": "assistant", "content": _question(engine, turn)}]
        return {"sid": turn.session_id, "history": history, "turn": turn.id}, history

    def answer(self, st, text, request: gr.Request = None):
        engine = self._engine(request)
        sid, text = st["sid"], (text or "").strip()
        if not text:  # said, as `coach chat` says it (a walkthrough's empty answer added nothing at all)
            hint = ("_Type your answer in the box first, or use Hint / Skip / Show answer._" if sid
                    else f"_{self._no_session(engine)}_")
            st = {**st, "history": _say_once(st["history"], hint)}
            yield st, st["history"], text
            return
        if not sid:
            st = {**st, "history": _say(st["history"], self._no_session(engine, typed=True))}
            yield st, st["history"], text
            return
        if not self._claim(sid):  # a second submit while the first is graded: that one's grade is coming
            yield gr.skip(), gr.skip(), gr.skip()
            return
        try:
            history = _say(st["history"], safe_block(kept_answer(text)), "user")
            yield {**st, "history": history}, _say(history, "_Grading…_"), ""
            try:
                res = engine.answer(sid, text, turn_id=st.get("turn"))
                shown = notes_shown_before(engine.turns(sid), res.turn.id)
                history = _say(history, grade_md(res.grade, engine.source_titles(), shown))
                if (res.turn.kind == "main" and (unsaid_missing(res.grade) or res.grade.wrong) and not res.finished
                        and not (res.next and res.next.kind == "followup")):  # a finished session takes no follow-up
                    history = _say(history, "_Press **Follow-up** for a question on the gaps._")
                history = _say(history, _next_or_summary(engine, sid, res.next))
            except Exception as exc:  # noqa: BLE001 - said in the chat, never left on "Grading…"
                if not isinstance(exc, CoachError):
                    log.exception("grading an answer failed")
                    exc = CoachError(f"the answer could not be graded ({type(exc).__name__}): it was not saved")
                # the text goes back in the box, and the open question is shown again: after an error the chat ended
                # on the answer, with the question now open out of sight (a review)
                history = _say(history, _err(exc) + " Your answer is back in the box.")
                history = self._open_again(engine, sid, history)
                try:
                    turn = _shown(engine, sid)
                except Exception:  # noqa: BLE001 - the session cannot be read now (gone, locked): the error said so
                    turn = st.get("turn")
                st = {**st, "history": history, "turn": turn}
                yield st, history, text
                return
            st = {**st, "history": history, "turn": res.next.id if res.next else None}
            yield st, history, ""
        finally:
            self._release(sid)

    @staticmethod
    def _open_again(engine, sid, history: list) -> list:
        """The open question said again after an error (or the summary of a session that ended)."""
        try:
            return _say(history, _next_or_summary(engine, sid, engine.current(sid)))
        except Exception:  # noqa: BLE001 - the session cannot be read now (gone, not this owner's, locked): said above
            return history

    def ask(self, st, text, request: gr.Request = None):
        engine = self._engine(request)
        text = (text or "").strip()
        if not text:
            st = {**st, "history": _say_once(st["history"], "_Type your question in the box first, then press **Ask the coach**._")}
            yield st, st["history"], text
            return
        history = _say(st["history"], "**Question for the coach:** " + safe_block(text), "user")
        try:
            reply = engine.ask(text, session_id=st["sid"])
        except CoachError as exc:
            history = _say(history, _err(exc))
            yield {**st, "history": history}, history, ""
            return
        answer = ""
        for delta in reply.stream:
            answer += delta
            shown = _say(history, safe_block(answer) + " ▌")
            # the state holds what is shown: a stopped answer stayed on screen only until the next click (a review)
            yield {**st, "history": shown}, shown, ""
        body = _ask_body(answer, reply.citations, reply.warnings, self.engine.source_titles())
        if st["sid"] and engine.current(st["sid"]):
            body += "\n\n_Back to the interview: answer the question above when ready._"
        history = _say(history, body)
        yield {**st, "history": history}, history, ""

    def _act(self, st, request, action):
        """Run ``action(engine, sid)`` on this browser's current session; its text goes to the chat (a list of texts:
        one message each)."""
        sid = st["sid"]
        if not sid:
            history = _say(st["history"], self._no_session(self._engine(request)))
            return {**st, "history": history}, history
        if not self._claim(sid):  # an answer of this session is being graded: its grade would replace this
            history = _say_once(st["history"], BUSY)
            return {**st, "history": history}, history
        engine = self._engine(request)
        try:
            said = action(engine, sid)
            history = st["history"]
            for text in [said] if isinstance(said, str) else said:
                history = _say(history, text)
        except CoachError as exc:
            history = _say(st["history"], _err(exc))
            if str(exc) == QUESTION_CHANGED:
                history = self._open_again(engine, sid, history)
        finally:
            self._release(sid)
        try:
            turn = _shown(engine, sid)
        except CoachError:
            turn = None
        return {**st, "history": history, "turn": turn}, history

    def hint(self, st, request: gr.Request = None):
        return self._act(st, request, lambda e, sid: "**Hint:** " + safe(e.hint(sid)))

    def skip(self, st, request: gr.Request = None):
        def act(e, sid):
            current = e.current(sid)
            note = skip_note(current.kind if current is not None else "main")
            return note + "\n\n" + _next_or_summary(e, sid, e.skip(sid, turn_id=st.get("turn")))
        return self._act(st, request, act)

    def reveal(self, st, request: gr.Request = None):
        def act(e, sid):
            item, nxt = e.reveal(sid, turn_id=st.get("turn"))
            refs = ", ".join(item.record_ids)
            # the next question in a message of its own (it shared the model answer's, a walkthrough)
            return [f"**Model answer:** {safe_block(item.model_answer) or '(none)'}\n\n_Records: {safe(refs)}_",
                    _next_or_summary(e, sid, nxt)]
        return self._act(st, request, act)

    def followup(self, st, request: gr.Request = None):
        def act(e, sid):
            open_now = e.current(sid)
            if open_now is not None and open_now.kind == "followup" and open_now.id == st.get("turn"):
                # pressed again: it was posted a second time (a review)
                return "_This is the follow-up: answer it, or press **Skip**._"
            return _question(e, e.followup(sid))
        return self._act(st, request, act)

    def finish(self, st, request: gr.Request = None):
        return self._act(st, request, lambda e, sid: summary_md(e.finish(sid)))

    @staticmethod
    def _no_session(engine, typed: bool = False) -> str:
        """What to do with no session open in this browser: resume the kept one when there is one (after a reload, a
        walkthrough's answer got "Start a session first" while its session was kept), else start one."""
        kept = engine.unfinished()  # this owner's only, newest first
        if kept:
            return (f"Your session {safe(kept[0].title)} ({kept[0].id}) is kept but not open here: pick it under "
                    "**Resume a session** and press **Resume** (or start a new one)."
                    + (" Your text is still in the box." if typed else ""))
        return "Start a session first (or press **Ask the coach**)."

    def resume_choices(self, request: gr.Request = None):
        sessions = self._engine(request).unfinished()  # this owner's only
        return gr.update(choices=[(f"{s.title} ({s.id})", s.id) for s in sessions], value=None)

    def welcome(self, st, request: gr.Request = None):
        """On a page load, an empty chat says where this browser's unfinished session is (a walkthrough reloaded
        mid-session and found a blank chat, with nothing saying the session was kept). The chat only: the browser's
        state is not written, so a session started meanwhile is never overwritten."""
        if st.get("history"):
            return st["history"]
        sessions = self._engine(request).unfinished()  # this owner's only, newest first
        if not sessions:
            return []
        latest = sessions[0]
        more = f" ({len(sessions)} unfinished in all)" if len(sessions) > 1 else ""
        note = (f"_Welcome back: your session {safe(latest.title)} ({latest.id}, last used {_date(latest.updated_at)}) is "
                f"kept{more}. Pick it under **Resume a session** and press **Resume** to go on, or start a new one._")
        return _say([], note)

    def resume(self, st, sid, request: gr.Request = None):
        if not sid:
            return st, st["history"]
        engine = self._engine(request)
        try:
            turns = engine.turns(sid)  # another owner's session: "no session", nothing shown or opened
        except CoachError as exc:
            history = _say(st["history"], _err(exc))
            return {**st, "history": history}, history
        history, titles, info = [], engine.source_titles(), engine.info(sid)
        # the session as it was lived, in the order it happened: questions, hints taken, answers, revealed answers,
        # Asks and the summary (a walkthrough's reopened session showed 38 of its 50 messages, and a later one listed
        # every Ask after the last answer)
        blocks = []  # (time, messages) in the session's order: each question, then what became of it
        used_by = {t.position: t.hints_used for t in turns if t.kind == "main"}
        for t in turns:
            item = info.plan[t.position]
            # a follow-up's hints start after those its question gave (``SessionEngine.hint``)
            start = used_by.get(t.position, 0) if t.kind == "followup" else 0
            blocks.append((t.asked_at, [(_question(engine, t), "assistant")] + [
                ("**Hint:** " + safe(h), "assistant") for h in (item.hints or [])[start: start + t.hints_used]]))
            if t.status == "answered":
                done = [(safe_block(t.answer), "user"), (grade_md(t.grade, titles, notes_shown_before(turns, t.id)), "assistant")]
            elif t.status == "revealed" and t.kind == "main":
                done = [(f"_Revealed._\n\n**Model answer:** {safe_block(item.model_answer) or '(none)'}", "assistant")]
            elif t.status != "pending":
                done = [(f"_{t.status.capitalize()}._", "assistant")]
            else:
                done = []
            if done:
                blocks.append((t.answered_at if t.answered_at is not None else t.asked_at, done))
        for a in engine.asks(sid):  # each Ask after what had happened when it was asked
            cites, since = ask_citations_now(engine, a)  # flagged since (an error reported): said beside it
            body = _ask_body(a["answer"], cites, list(a.get("warnings") or []) + since, titles)
            at = a.get("created_at") or 0.0
            where = next((i for i in range(len(blocks) - 1, -1, -1) if blocks[i][0] <= at), -1) + 1
            blocks.insert(where, (at, [("**Question for the coach:** " + safe_block(a["question"]), "user"), (body, "assistant")]))
        for _, messages in blocks:
            for text, role in messages:
                history = _say(history, text, role)
        finished = info.status == "finished"
        if finished:
            history = _say(history, summary_md(engine.summary(sid)))
        history = _say(history, "_Finished session, read-only: export it, or start a new session._" if finished
                       else "_Session resumed._")
        return {"sid": sid, "history": history, "turn": _shown(engine, sid)}, history

    # -- history: every session of this browser (or user), finished ones included --
    def history_view(self, current=None, request: gr.Request = None):
        """The table and the session picker; a session already picked stays picked (coming back to the
        tab must not lose it)."""
        rows = self._engine(request).history()
        table = pd.DataFrame(
            [[_date(r["created_at"]), r["title"], ", ".join(r["topics"]) or "all", r["status"],
              f"{r['answered']}/{r['planned']}", r["skipped"], "" if r["mean_score"] is None else r["mean_score"]]
             for r in rows],
            columns=["date", "session", "topics", "status", "answered", "skipped", "mean score (0-10)"])
        choices = [(f"{_date(r['created_at'])} · {r['title']} ({r['status']})", r["id"]) for r in rows]
        keep = current if current in {r["id"] for r in rows} else None
        return table, gr.update(choices=choices, value=keep)

    def open_session(self, st, sid, request: gr.Request = None):
        """Open any of this owner's sessions in the Interview tab: an unfinished one resumes, a finished
        one is shown read-only (and can then be exported)."""
        if not sid:
            raise gr.Error("Pick a session in the history first.", print_exception=False)
        return self.resume(st, sid, request)

    def export_session(self, sid, request: gr.Request = None):
        if not sid:
            raise gr.Error("Pick a session in the history first.", print_exception=False)
        return self.export({"sid": sid}, request)

    def export(self, st, request: gr.Request = None):
        sid = st["sid"]
        if not sid:  # a routine user error: a message for the user, no traceback in the log
            raise gr.Error("Start a session first, or open one from the History tab.", print_exception=False)
        engine = self._engine(request)
        try:
            engine.info(sid)
        except CoachError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        out = self._export_dir()
        files = {f"session-{sid}.md": session_markdown(engine, sid),
                 f"session-{sid}.json": session_json_text(engine, sid),
                 f"missed-{sid}.csv": anki_csv(engine, sid)}
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
        anki_apkg(engine, out / f"missed-{sid}.apkg", sid)
        paths = [out / name for name in files] + [out / f"missed-{sid}.apkg"]
        for path in paths:  # owner-only: Gradio's copy into its cache keeps the mode (its folders are 0755)
            path.chmod(0o600)
        return [str(path) for path in paths]

    # -- sources --
    def sources_table(self):
        rows = [[s.get("source"), s.get("title") or "", s.get("records"), s.get("flags", 0),
                 ", ".join(f"{k}: {v}" for k, v in (s.get("boilerplate_removed") or {}).items()), (s.get("sha256") or "")[:12]]
                for s in self.coach.sources()]
        return pd.DataFrame(rows, columns=["source", "title", "records", "flags", "boilerplate removed", "sha256"])

    def sources_view(self, report_source: str | None = None):
        """The Sources tab's views; ``report_source`` stays picked in the report form when still indexed (a failed
        report cleared it, and the next try said "Pick the source the sentence is in": a walkthrough)."""
        table = self.sources_table()
        choices = [(f"{t} ({s})" if t else s, s) for s, t in zip(table["source"], table["title"])]
        keep = report_source if report_source in set(table["source"]) else None
        return (table, gr.update(choices=choices, value=[]), self.audit_md(), self.warnings_md(),
                gr.update(choices=choices, value=keep), *self.reports_view())

    # -- errors the user reports in a source (coach/audit/reported.py) --
    def reports_view(self):
        """(the reports as Markdown, every text escaped; the withdraw dropdown's choices)."""
        try:
            rows = self.coach.reported_errors()
        except Exception as exc:  # a report list that cannot be read never breaks the Sources tab
            log.warning("reported errors unavailable: %s", exc)
            return f"Reported errors unavailable: {safe(exc)}", gr.update(choices=[], value=[])
        if not rows:
            md = "No sentences reported as wrong yet."
        else:
            def state(r):
                if r["found"]:
                    return ""
                return (" *(no longer in the source: flags nothing)*" if r["indexed"]
                        else " *(source not indexed: flags nothing)*")

            md = "\n".join(f"- `{safe(r['id'])}` **{safe(r['source'])}**: ~~{safe(r['quote'])}~~ → "
                            f"{safe(r['correction'])}{state(r)}" for r in rows)
        choices = [(f"{r['id']}: {r['quote'][:60]}", r["id"]) for r in rows]
        return md, gr.update(choices=choices, value=[])

    def report_error(self, source, sentence, correction):
        if not source:
            return "Pick the source the sentence is in.", *self.sources_view()
        try:
            out = self.coach.report_error(source, sentence or "", correction or "")
        except CoachError as exc:  # not indexed, a sentence the source does not contain, an empty correction
            return _err(exc), *self.sources_view(report_source=source)
        where = ", ".join(lines_of(f["line_start"], f["line_end"]) for f in out["flagged"])
        state = f"{where} is flagged as an error" if where else "the report is saved"
        redrafted = "\n\nIts drafted rubrics now grade against the correction." if out["drafted"] else ""
        notes = "".join(f"\n\nNote: {safe(n)}" for n in [
            *(f"it replaces the earlier report of the same sentence ({old.quote} → {old.correction})"
              for old in out["replaced"]),
            *out["notes"]])
        return (f"✓ Reported: {safe(source)}, {state}.\n\nCorrection: {safe(out['report'].correction)}"
                f"{redrafted}{notes}", *self.sources_view())

    def withdraw_reports(self, ids):
        if not ids:
            return "Pick reports to withdraw.", *self.sources_view()
        try:
            out = self.coach.remove_reported_errors(list(ids))
        except CoachError as exc:
            return _err(exc), *self.sources_view()
        return f"Withdrawn: {len(out['removed'])} report(s).", *self.sources_view()

    def warnings_md(self) -> str:
        return "".join(f"⚠️ {safe(p)}\n\n" for p in self.coach.rubric_problems())

    def audit_md(self):
        try:
            return self.coach.audit_report_html()  # HTML built with every source text escaped
        except Exception as exc:  # the audit is optional for the rest of the UI
            log.warning("audit report unavailable: %s", exc)
            return f"Audit report unavailable: {safe(exc)}"

    def add_sources(self, files, progress=gr.Progress()):
        if not files:
            return "Choose files to upload first.", *self.sources_view(), self.topic_choices()
        paths = [Path(f if isinstance(f, str) else f.name) for f in files]

        def report(done, total, stage):
            label, unit = STAGES.get(stage, (str(stage).capitalize(), "steps"))
            progress((done, total or 1), desc=label, unit=unit)

        progress(0, desc="Parsing")
        try:
            # copies kept under COACH_HOME/uploads: Gradio's temporary upload files are cleaned away
            result = self.coach.add_sources(paths, progress=report, keep_copies=True)
        except CoachError as exc:
            return _err(exc), *self.sources_view(), self.topic_choices()
        notes = "".join(f"\n\nNote: {safe(n)}" for n in result.get("notes") or [])  # each on its own line
        return (f"✓ Indexed. {_upload_said(result)}" + notes + _audit_said(result.get("audit")),
                *self.sources_view(), self.topic_choices())

    def remove_sources(self, names):
        if not names:
            return "Pick sources to remove.", *self.sources_view(), self.topic_choices()
        try:
            removed = self.coach.remove_sources(list(names))
        except CoachError as exc:  # a read-only home, a full disk, a name no longer indexed
            return _err(exc), *self.sources_view(), self.topic_choices()
        return f"Removed: {safe(', '.join(removed)) or 'nothing'}", *self.sources_view(), self.topic_choices()

    def topic_choices(self):
        return gr.update(choices=self.engine.topics())

    def session_setup(self, st, request: gr.Request = None):
        """The topics, difficulty and length of the session open in this browser, shown in the setup panel: after
        Resume it kept its defaults, so the panel said "all topics, 5 questions" beside a resumed 8-question SQL
        session (a walkthrough). Nothing open: the panel as it is."""
        sid = st.get("sid")
        if not sid:
            return gr.update(), gr.update(), gr.update()
        try:
            info = self._engine(request).info(sid)  # this owner's session only
        except CoachError:
            return gr.update(), gr.update(), gr.update()
        known = set(self.engine.topics())
        return (gr.update(value=[t for t in info.topics if t in known]),
                gr.update(value="any" if info.difficulty is None else str(info.difficulty)),
                gr.update(value=max(1, min(20, int(info.length)))))

    # -- progress --
    def progress_view(self, request: gr.Request = None):
        engine = self._engine(request)  # this owner's answers and review schedule only
        hist = engine.mastery_history()
        latest = {p["topic"]: p for p in hist}
        due = {}
        for s in engine.due():
            due[s.topic] = due.get(s.topic, 0) + 1
        table = pd.DataFrame([[t, p["mastery"], p["answers"], p["skipped"], due.get(t, 0)] for t, p in sorted(latest.items())],
                             columns=["topic", "mastery", "answers", "skipped", "due for review"])
        return mastery_figure(hist), table


def _date(ts: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def mastery_figure(history: list[dict]):
    """Per-topic mastery over days on the scores' 0-10 scale, one line per topic (markers, so a single
    day shows too); one x tick per day at most, so no date repeats."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.6), layout="constrained")
    topics = sorted({p["topic"] for p in history if p["mastery"] is not None})
    for topic in topics:
        points = [p for p in history if p["topic"] == topic and p["mastery"] is not None]
        ax.plot(pd.to_datetime([p["date"] for p in points]), [p["mastery"] for p in points], "o-", label=topic)
    ax.set_ylim(0, 10.3)
    ax.set_ylabel("mastery (0-10, like scores)")
    ax.set_title("Mastery per topic over time" if topics else "No answers yet: mastery appears after your first answer")
    if topics:
        days = pd.to_datetime([p["date"] for p in history if p["mastery"] is not None])
        lo, hi = days.min() - pd.Timedelta(days=1), days.max() + pd.Timedelta(days=1)  # one day still reads well
        ax.set_xlim(lo, hi)
        span = (hi - lo).days
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, -(-span // 8))))  # <= ~8 ticks, whole days
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
        fig.autofmt_xdate()
    plt.close(fig)  # gradio renders the figure; keep pyplot's registry empty
    return fig


def models_md(coach) -> str:
    try:
        return render_models_md(coach.models())
    except Exception as exc:
        log.warning("models unavailable: %s", exc)
        return "Models unavailable."


# ---- layout ---------------------------------------------------------------------------------------
def build_app(coach) -> gr.Blocks:
    engine = SessionEngine(coach)
    h = Handlers(coach, engine)
    # Gradio's cache (uploads, the copies of exports) is cleaned: files older than an hour, hourly and at
    # shutdown; an uploaded source is indexed from its copy under COACH_HOME/uploads (Coach.keep_uploads)
    with gr.Blocks(title="Interview Coach", delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# Interview Coach\nPractise interviews against your own sources, fully offline.")
        if getattr(coach, "read_only", False):
            gr.Markdown(f"⚠️ {safe(coach.read_only_note())}", elem_id="read-only-banner")
        st = gr.State({"sid": None, "history": []})  # per browser: its own session id and chat
        with gr.Tabs(elem_id="tabs") as tabs:
            with gr.Tab("Interview", id="interview"):
                with gr.Row():
                    with gr.Column(scale=1, min_width=240):
                        topics = gr.CheckboxGroup(engine.topics(), label="Topics (none = all)", elem_id="topics")
                        difficulty = gr.Radio(["any", "1", "2", "3"], value="any", label="Difficulty",
                                              elem_id="difficulty")
                        length = gr.Slider(1, 20, value=5, step=1, label="Questions", elem_id="length")
                        start = gr.Button("Start session", variant="primary", elem_id="start")
                        with gr.Accordion("Resume a session", open=False):
                            resume_dd = gr.Dropdown([], label="Unfinished sessions", elem_id="resume-list")
                            resume_btn = gr.Button("Resume", elem_id="resume")
                        export_btn = gr.Button("Export session", elem_id="export")
                        export_files = gr.File(label="Exports (Markdown, JSON, Anki CSV and deck)",
                                               file_count="multiple",
                                               interactive=False, elem_id="exports")
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(label="Interview", height=560, elem_id="coach-chat", feedback_options=None,
                                          sanitize_html=True, group_consecutive_messages=False)
                        # Shift+Enter sends a box of several lines, Enter starts a new line: said, since a walkthrough
                        # pressed Enter and Ctrl+Enter and nothing was sent
                        box = gr.Textbox(label="Your answer (or a question for the coach)", lines=3,
                                         elem_id="answer-box",
                                         placeholder="Enter starts a new line; Shift+Enter or Send answer sends it.")
                        with gr.Row():
                            send = gr.Button("Send answer", variant="primary", elem_id="send")
                            ask = gr.Button("Ask the coach", elem_id="ask")
                            hint = gr.Button("Hint", elem_id="hint")
                            skip = gr.Button("Skip", elem_id="skip")
                            reveal = gr.Button("Show answer", elem_id="reveal")
                            follow = gr.Button("Follow-up", elem_id="followup")
                            finish = gr.Button("Finish", elem_id="finish")
                            stop = gr.Button("Stop answer", elem_id="stop")
            with gr.Tab("Sources", id="sources"):
                uploads = gr.File(label="Add sources (txt, md, html, pdf)", file_count="multiple",
                                  file_types=SOURCE_TYPES,
                                  elem_id="upload")
                add_btn = gr.Button("Add and re-index", variant="primary", elem_id="add-sources")
                add_status = gr.Markdown(elem_id="add-status")
                table = gr.Dataframe(label="Indexed sources", interactive=False, elem_id="sources-table")
                source_warnings = gr.Markdown(elem_id="source-warnings")  # skipped rubric files, one line each
                with gr.Row():
                    remove_dd = gr.Dropdown([], multiselect=True, label="Sources to remove", elem_id="remove-list")
                    remove_btn = gr.Button("Remove", variant="stop", elem_id="remove")
                with gr.Accordion("Source audit report", open=False):
                    audit = gr.Markdown(elem_id="audit")
                with gr.Accordion("Report a wrong sentence in a source", open=False):
                    gr.Markdown("The audit cannot check every statement. If a source says something wrong, copy the "
                                "sentence (a few words of it are enough) and write what is true: it is flagged from now on, "
                                "and answers to its question are graded against your correction.")
                    with gr.Row():
                        report_src = gr.Dropdown([], label="Source", elem_id="report-source")
                        report_quote = gr.Textbox(label="The wrong sentence, as it reads in the source", lines=2,
                                                  elem_id="report-quote")
                        report_fix = gr.Textbox(label="The correction", lines=2, elem_id="report-correction")
                    report_btn = gr.Button("Report", elem_id="report-error")
                    report_status = gr.Markdown(elem_id="report-status")
                    reports_md = gr.Markdown(elem_id="reports")
                    with gr.Row():
                        withdraw_dd = gr.Dropdown([], multiselect=True, label="Reports to withdraw",
                                                  elem_id="withdraw-list")
                        withdraw_btn = gr.Button("Withdraw", elem_id="withdraw")
            with gr.Tab("History", id="history") as history_tab:
                history_table = gr.Dataframe(label="Your sessions (newest first)", interactive=False,
                                             elem_id="history-table")
                with gr.Row():
                    history_dd = gr.Dropdown([], label="Session", elem_id="history-list")
                    open_btn = gr.Button("Open in the Interview tab", elem_id="history-open")
                    history_export = gr.Button("Export", elem_id="history-export")
                history_files = gr.File(label="Exports", file_count="multiple", interactive=False,
                                        elem_id="history-exports")
            with gr.Tab("Progress", id="progress") as progress_tab:
                plot = gr.Plot(label="Mastery per topic over time", elem_id="mastery-plot")
                mastery = gr.Dataframe(label="Current mastery", interactive=False, elem_id="mastery-table")
                refresh = gr.Button("Refresh", elem_id="refresh-progress")
        gr.Markdown(models_md(coach), elem_id="models")

        coach_q = dict(concurrency_id="coach", concurrency_limit=2)
        start.click(h.start, [st, topics, difficulty, length], [st, chat], **coach_q).then(h.resume_choices, None, resume_dd)
        # the unfinished sessions as they are after each step: a session that just finished stayed listed (a walkthrough)
        send.click(h.answer, [st, box], [st, chat, box], **coach_q).then(h.resume_choices, None, resume_dd)
        box.submit(h.answer, [st, box], [st, chat, box], **coach_q).then(h.resume_choices, None, resume_dd)
        ask_evt = ask.click(h.ask, [st, box], [st, chat, box], **coach_q)
        stop.click(None, None, None, cancels=[ask_evt])  # closes the stream generator: generation stops
        for btn, fn in ((hint, h.hint), (skip, h.skip), (reveal, h.reveal), (follow, h.followup), (finish, h.finish)):
            btn.click(fn, st, [st, chat], **coach_q).then(h.resume_choices, None, resume_dd)
        resume_btn.click(h.resume, [st, resume_dd], [st, chat]).then(h.session_setup, st, [topics, difficulty, length])
        export_btn.click(h.export, st, export_files)
        index_q = dict(concurrency_id="index", concurrency_limit=1)  # one re-index at a time
        sources_out = [table, remove_dd, audit, source_warnings, report_src, reports_md, withdraw_dd]
        add_btn.click(h.add_sources, uploads, [add_status, *sources_out, topics], **index_q)
        remove_btn.click(h.remove_sources, remove_dd, [add_status, *sources_out, topics], **index_q)
        report_btn.click(h.report_error, [report_src, report_quote, report_fix], [report_status, *sources_out], **index_q)
        withdraw_btn.click(h.withdraw_reports, withdraw_dd, [report_status, *sources_out], **index_q)
        history_tab.select(h.history_view, history_dd, [history_table, history_dd])
        # ...and shows it there (the button loaded the chat on the Interview tab and stayed on History: a walkthrough)
        open_btn.click(h.open_session, [st, history_dd], [st, chat]).success(
            lambda: gr.Tabs(selected="interview"), None, tabs).then(h.session_setup, st, [topics, difficulty, length])
        history_export.click(h.export_session, history_dd, history_files)
        refresh.click(h.progress_view, None, [plot, mastery])
        progress_tab.select(h.progress_view, None, [plot, mastery])
        # the topics as indexed now: built into the page once, they missed a source added since (in another tab, or
        # before a reload: a walkthrough's new topic was refused "not in the list of choices" until a restart)
        demo.load(h.sources_view, None, sources_out).then(h.resume_choices, None, resume_dd).then(
            h.topic_choices, None, topics).then(h.welcome, st, chat)
    return demo


def main(argv: list[str] | None = None) -> None:
    """``python app.py [--host HOST] [--port PORT]``: the same start as ``coach serve`` (a walkthrough's
    ``python app.py --port 7871`` served on 7860 without a word)."""
    import argparse
    import sys

    from coach.config import load_settings
    from coach.startup import serve_ui

    parser = argparse.ArgumentParser(prog="app.py", description="Serve the Interview Coach web UI.")
    parser.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1; others need COACH_AUTH)")
    parser.add_argument("--port", type=int, default=None, help="port (default 7860)")
    args = parser.parse_args(argv)
    try:
        serve_ui(sys.modules[__name__], load_settings(), args.host, args.port)
    except CoachError as exc:
        sys.exit(f"Error: {exc}")


if __name__ == "__main__":
    main()
