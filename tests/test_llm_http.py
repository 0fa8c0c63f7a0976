"""The OpenAI-compatible HTTP backend against a REAL llama_cpp.server started on 127.0.0.1."""

from __future__ import annotations

import http.server
import threading

import pytest

from coach.errors import CoachError
from coach.llm.openai_http import OpenAIHTTPLLM, normalise_base_url
from coach.llm.server import LocalLlamaServer, free_port
from coach.models import default_gguf_path

pytest.importorskip("llama_cpp.server")

PYTHON_Q = [{"role": "user", "content": "What is Python?"}]


@pytest.fixture(scope="session")
def llama_server():
    server = LocalLlamaServer(default_gguf_path(), n_threads=1)  # 1 thread: robust on a shared CPU
    server.start()
    try:
        yield server
    finally:
        server.stop()  # always terminated, even when a test fails
    assert server.process is None


@pytest.fixture
def client(llama_server):
    llm = OpenAIHTTPLLM(llama_server.base_url, "default", timeout_s=120)
    yield llm
    llm.close()


def test_generate_matches_the_in_process_model(client):
    # Same GGUF, same greedy decoding as tests/test_llm_llamacpp.py::test_exact_greedy_output.
    gen = client.complete(PYTHON_Q, max_tokens=12)
    assert gen.text == "Python is a high-level, versatile programming language designed for"
    assert gen.finish_reason == "length"


def test_stream_joins_to_generate_and_cancels(client):
    deltas = list(client.stream(PYTHON_Q, max_tokens=16))
    assert len(deltas) > 5
    assert "".join(deltas) == client.generate(PYTHON_Q, max_tokens=16)
    cancel = threading.Event()
    got = []
    for d in client.stream([{"role": "user", "content": "Write a long essay about databases."}], max_tokens=300, cancel=cancel):
        got.append(d)
        if len(got) == 2:
            cancel.set()
    assert 2 <= len(got) <= 3


def test_wall_clock_limit_over_http(client):
    gen = client.complete([{"role": "user", "content": "Write a long essay about databases."}], max_tokens=400, timeout_s=0.4)
    assert gen.finish_reason == "timeout"
    assert gen.deltas < 400  # stopped at the deadline, long before the token limit


def test_server_token_counts(client):
    from coach.llm.llamacpp import LlamaCppLLM

    local = LlamaCppLLM(default_gguf_path(), n_threads=1)
    text = "Hello world, this is a test of the tokenizer endpoint."
    assert client.count_tokens(text) == local.count_tokens(text)
    local.close()
    assert client._tokenize_route == "llama-cpp-python"


def test_refused_port_retries_then_clear_error(monkeypatch):
    import coach.llm.openai_http as openai_http

    port = free_port()  # nothing listens there
    llm = OpenAIHTTPLLM(f"http://127.0.0.1:{port}", max_retries=2, backoff_s=0.05, connect_timeout_s=1)
    slept = []
    monkeypatch.setattr(openai_http.time, "sleep", slept.append)  # the backoff, recorded instead of waited
    with pytest.raises(CoachError, match=r"cannot reach the LLM server at http://127.0.0.1:\d+/v1 .*COACH_LLM_BASE_URL"):
        llm.generate(PYTHON_Q, max_tokens=4)
    assert slept == [0.05, 0.1]  # two retries, each after its exponential backoff, then the error


class _Flaky(http.server.BaseHTTPRequestHandler):
    """A real HTTP server: 503 for the first ``fail`` requests, then a 400 (client error)."""

    calls = 0
    fail = 2

    def do_POST(self):
        type(self).calls += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        code = 503 if type(self).calls <= self.fail else 400
        body = b'{"error": "busy"}' if code == 503 else b'{"error": "bad model"}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_server():
    _Flaky.calls = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_5xx_is_retried_but_4xx_is_not(flaky_server):
    llm = OpenAIHTTPLLM(flaky_server, "m", max_retries=5, backoff_s=0.01)
    with pytest.raises(CoachError, match="refused the request .*HTTP 400"):
        llm.generate(PYTHON_Q, max_tokens=4)
    assert _Flaky.calls == 3  # two 503s retried, the 400 not retried


def test_5xx_until_retries_run_out(flaky_server):
    _Flaky.fail = 100
    try:
        llm = OpenAIHTTPLLM(flaky_server, "m", max_retries=2, backoff_s=0.01)
        with pytest.raises(CoachError, match="keeps failing"):
            llm.generate(PYTHON_Q, max_tokens=4)
        assert _Flaky.calls == 3
    finally:
        _Flaky.fail = 2


def test_api_key_from_named_env_var(monkeypatch):
    monkeypatch.setenv("MY_TEST_KEY", "sk-test-123")
    llm = OpenAIHTTPLLM("http://127.0.0.1:9", api_key_env="MY_TEST_KEY")
    assert llm._client.headers["Authorization"] == "Bearer sk-test-123"
    assert "sk-test" not in llm.name and "sk-test" not in repr(llm)


def test_base_url_normalisation():
    assert normalise_base_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/v1"
    assert normalise_base_url("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/v1"
    with pytest.raises(CoachError, match="COACH_LLM_BASE_URL"):
        normalise_base_url("127.0.0.1:8000")


class _Slow(http.server.BaseHTTPRequestHandler):
    """A real HTTP server that answers only once ``release`` is set (a busy vLLM queue, say); 30 s at most, a hang
    guard."""

    release = threading.Event()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.release.wait(30)
        try:
            self.send_response(500)
            self.end_headers()
        except OSError:
            pass

    def log_message(self, *args):
        pass


def test_deadline_before_first_byte_is_a_timeout_not_an_error():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        llm = OpenAIHTTPLLM(f"http://127.0.0.1:{server.server_address[1]}", "m", backoff_s=0.01)
        _Slow.release.clear()
        gen = llm.complete(PYTHON_Q, max_tokens=4, timeout_s=0.5)
        # the server answers only after release (below), and then with a 500: a client that waited for it would
        # report a server error, not a timeout
        assert gen.finish_reason == "timeout" and gen.text == ""
    finally:
        _Slow.release.set()
        server.shutdown()
        server.server_close()
