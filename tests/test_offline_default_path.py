"""The whole default path with every socket to anything but loopback blocked: proof that no network
is touched at run time (index build from the bundled sources, grading, ask, audit, the CLI)."""

from __future__ import annotations

import ipaddress
import json
import socket

import pytest
from click.testing import CliRunner


class NetworkTouched(AssertionError):
    pass


def _is_loopback(address) -> bool:
    if isinstance(address, tuple):
        host = address[0]
    elif isinstance(address, (str, bytes)):
        return True  # AF_UNIX path
    else:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@pytest.fixture
def no_network(monkeypatch):
    attempts = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if not _is_loopback(address):
            attempts.append(address)
            raise NetworkTouched(f"network access attempted: {address}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _is_loopback(address):
            attempts.append(address)
            raise NetworkTouched(f"network access attempted: {address}")
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost", "127.0.0.1", "::1") and not str(host).startswith("127."):
            attempts.append(host)
            raise NetworkTouched(f"DNS lookup attempted: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert not attempts, f"network was touched: {attempts}"


def test_default_path_runs_offline(no_network, tmp_path):
    from coach.config import load_settings
    from coach.service import Coach

    coach = Coach(load_settings())
    coach.ensure_index()
    status = coach.index.status()
    assert len(status["sources"]) == 5

    # grade an answer to a question worded differently from the source (matched through the index)
    g = coach.grade(
        "Could you explain what a perceptron is?",
        "A perceptron is a single artificial neuron: it takes a weighted sum of its inputs plus a bias and "
        "applies a step function, so it can separate two linearly separable classes.",
    )
    # a real grade from the whole default path (every step ran, no model fell back); how this answer
    # SHOULD be graded is tests/test_grading.py::test_short_correct_answer_to_a_bundled_question_is_correct
    assert {s.name for s in g.steps} >= {"relevance", "coverage", "answer_score", "combined"}
    assert g.verdict in ("correct", "partial") and g.score >= 5 and not g.wrong, g.feedback
    assert any(c.source.startswith("00") for c in g.references)

    # ask the coach
    res = coach.ask("What does dropout do?")
    text = "".join(res.stream)
    assert text.strip() and res.citations

    # the audit over the indexed sources
    flags = coach.audit.all_flags()
    assert flags and all({"source", "line_start", "line_end", "quote", "verdict"} <= set(f) for f in flags)

    # the CLI grade contract
    from coach.cli import cli

    inp = tmp_path / "in.jsonl"
    inp.write_text(
        json.dumps({"question": "What is a perceptron?", "answer": "A single neuron with a step activation.", "who": "me"}) + "\n"
        + "not json\n"
        + json.dumps({"question": "What is a perceptron?"}) + "\n"
    )
    out = tmp_path / "out.jsonl"
    res = CliRunner().invoke(cli, ["grade", "--input", str(inp), "--output", str(out)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3
    assert rows[0]["who"] == "me" and set(rows[0]["grade"]) >= {"score", "verdict", "feedback", "references"}
    assert all({"source", "line_start", "line_end"} <= set(r) for r in rows[0]["grade"]["references"])
    assert "error" in rows[1]["grade"] and "error" in rows[2]["grade"]
