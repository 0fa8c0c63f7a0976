"""Sessions are private to their owner, through the real HTTP API: two API clients (gradio_client, each
with its own cookie jar, like two browsers) against a server started on 127.0.0.1, plus plain HTTP for
the Host-header check (DNS rebinding). The fake Coach: ownership is control flow, not grading."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import httpx
import pytest
from test_session_support import FakeCoach

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # app.py lives at the repo root
import app  # noqa: E402
from coach.config import load_settings  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(auth=None):
    demo = app.build_app(FakeCoach(load_settings()))
    port = free_port()
    app.launch(demo, host="127.0.0.1", port=port, auth=auth, block=False)
    return demo, f"http://127.0.0.1:{port}/", port


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # module scope runs before the per-test COACH_HOME fixture: give the server its own home here, so
    # the user's real session database is never touched
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COACH_HOME", str(tmp_path_factory.mktemp("owners-home")))
        demo, url, port = serve()
        yield url, port
        demo.close()


def client(url, **kw):
    from gradio_client import Client

    return Client(url, verbose=False, **kw)


def text(chat) -> str:
    return "\n".join(str(m.get("content", "")) if isinstance(m, dict) else str(m) for m in chat)


def choices(update) -> list[str]:
    return [c[1] if isinstance(c, (list, tuple)) else c for c in update.get("choices", [])]


def refused(call) -> str:
    """The chat text of a call, or the error the API answered with (Gradio itself rejects a dropdown value
    that is not among the caller's own choices; the engine refuses another owner's id in any case)."""
    from gradio_client.exceptions import AppError

    try:
        return text(call())
    except AppError as exc:
        return str(exc)


def test_two_clients_never_see_or_touch_each_others_sessions(server):
    url, _ = server
    ann, bob = client(url), client(url)
    chat = ann.predict(["dl"], "any", 2, api_name="/start")
    assert "Question 1/2" in text(chat)
    ann.predict("partly", api_name="/answer")
    (sid,) = choices(ann.predict(api_name="/resume_choices"))
    assert choices(bob.predict(api_name="/resume_choices")) == []  # bob's list is his own: empty
    out = refused(lambda: bob.predict(sid, api_name="/resume"))  # resuming ann's session by its id is refused
    assert ("no session" in out or "not in the list of choices" in out) and "partly" not in out and "Score" not in out
    chat = bob.predict("max of zero and x", api_name="/answer")  # and nothing can be written into it
    assert "Start a session first" in text(chat)
    again = client(url, httpx_kwargs={"cookies": dict(ann.cookies)})  # ann's browser after a reload: same cookie, same sessions
    assert choices(again.predict(api_name="/resume_choices")) == [sid]
    chat = text(again.predict(sid, api_name="/resume"))
    assert "Score 5.0/10" in chat and "Follow-up: can you say more" in chat and "Session resumed" in chat  # untouched by bob


def test_the_engine_refuses_another_browsers_session_id_too():
    """Below Gradio's own dropdown check: a handler called with another browser's identity and a
    session id it should not know gets "no session" and nothing of the session."""
    from types import SimpleNamespace

    from coach.session import SessionEngine
    from coach.session.owners import COOKIE, new_secret

    coach = FakeCoach(load_settings())
    h = app.Handlers(coach, SessionEngine(coach))
    ann, bob = (SimpleNamespace(username=None, cookies={COOKIE: new_secret()}) for _ in range(2))
    st, _ = h.start({"sid": None, "history": []}, ["dl"], "any", 2, request=ann)
    *_, (st, _, _) = h.answer(st, "partly", request=ann)
    st_b, chat = h.resume({"sid": None, "history": []}, st["sid"], request=bob)
    assert st_b["sid"] is None and "no session" in text(chat) and "partly" not in text(chat)
    _, chat = h.hint(st, request=bob)  # even holding ann's state, bob's identity opens nothing
    assert "no session" in chat[-1]["content"]


def test_requests_for_another_host_name_are_refused(server):
    url, port = server
    for host in (f"attacker.example:{port}", "attacker.example", f"192.0.2.1:{port}"):
        res = httpx.get(url, headers={"Host": host})
        assert res.status_code == 400 and "Host" in res.text, host
        assert "set-cookie" not in res.headers
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
        res = httpx.get(url, headers={"Host": host})
        assert res.status_code == 200, host
    res = httpx.get(url)
    cookie = res.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "coach_owner=" in cookie
    assert "set-cookie" not in httpx.get(url, cookies=res.cookies).headers  # a valid identity is kept


def test_logged_in_users_each_get_their_own_history():
    demo, url, _ = serve(auth=[("ann", "pw-ann"), ("bob", "pw-bob")])
    try:
        ann, bob = client(url, auth=("ann", "pw-ann")), client(url, auth=("bob", "pw-bob"))
        ann.predict(["dl"], "any", 1, api_name="/start")
        (sid,) = choices(ann.predict(api_name="/resume_choices"))
        assert choices(bob.predict(api_name="/resume_choices")) == []
        out = refused(lambda: bob.predict(sid, api_name="/resume"))
        assert "no session" in out or "not in the list of choices" in out
        ann2 = client(url, auth=("ann", "pw-ann"))  # the same user from another browser: the same history
        assert choices(ann2.predict(api_name="/resume_choices")) == [sid]
    finally:
        demo.close()


def test_auth_setting_accepts_several_users():
    assert app.check_bind("0.0.0.0", "ann:pw1,bob:pw2") == [("ann", "pw1"), ("bob", "pw2")]
    assert app.check_bind("0.0.0.0", "ann:s3cret") == ("ann", "s3cret")


def test_cross_site_writes_and_oversized_uploads_are_refused(server):
    """A security review: any page the user visits could POST a 64 MiB upload into Gradio's temp folder (a form
    needs no CORS preflight), while the coach's own source limit is 5 MB. A state-changing request from another
    site's Origin is refused; one from the page itself or from an API client (no Origin) passes; a file over the
    source limit is refused by the server before it is stored."""
    url, port = server
    upload = url + "gradio_api/upload"
    small = {"files": ("notes.md", b"# Q\n\nWhat is X?\n\nX is y.\n", "text/markdown")}
    # another site, an opaque origin, another local app's page (another port: a review), a page under another name
    for origin in ("http://attacker.example", "null", f"http://attacker.example:{port}", "http://localhost:3000",
                   f"http://localhost:{port}"):
        res = httpx.post(upload, files=small, headers={"Origin": origin})
        assert res.status_code == 403 and "Origin" in res.text and "COACH_ALLOWED_HOSTS" in res.text, (origin, res.status_code)
    for headers in ({"Origin": f"http://127.0.0.1:{port}"}, {"Origin": f"http://localhost:{port}", "Host": f"localhost:{port}"},
                    {}):
        res = httpx.post(upload, files=small, headers=headers)
        assert res.status_code == 200, (headers, res.status_code, res.text[:200])
    assert httpx.get(url, headers={"Origin": "http://attacker.example"}).status_code == 200  # reading the page is harmless
    limit = load_settings().max_source_bytes
    big = {"files": ("big.md", b"a" * (limit + 1024), "text/markdown")}
    res = httpx.post(upload, files=big, headers={"Origin": f"http://127.0.0.1:{port}"})
    assert res.status_code >= 400 and res.status_code != 403, res.status_code
