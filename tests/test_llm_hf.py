"""The transformers backend on the bundled GGUF (gguf_file=), a handful of greedy tokens (~25 s load)."""

from __future__ import annotations

import threading

import pytest

from coach.llm.hf import TransformersLLM, split_gguf
from coach.models import default_gguf_path

PYTHON_Q = [{"role": "user", "content": "What is Python?"}]


@pytest.fixture(scope="module")
def hf_llm():
    return TransformersLLM(str(default_gguf_path()), max_tokens=12)


def test_split_gguf():
    assert split_gguf("/m/x.gguf") == ("/m", "x.gguf")
    assert split_gguf("org/name", "q4.gguf") == ("org/name", "q4.gguf")
    assert split_gguf("/m/folder") == ("/m/folder", None)


def test_transformers_gguf_greedy_exact_and_streaming(hf_llm):
    # Copied from a real run; the same text llama.cpp produces for the same GGUF.
    gen = hf_llm.complete(PYTHON_Q, max_tokens=12)
    assert gen.text == "Python is a high-level, versatile programming language designed for"
    assert gen.finish_reason == "length"
    deltas = list(hf_llm.stream(PYTHON_Q, max_tokens=12))
    assert len(deltas) > 3 and "".join(deltas) == gen.text
    assert hf_llm.count_message_tokens(PYTHON_Q) == 34  # same chat template as the GGUF metadata
    assert hf_llm.count_tokens("Hello world") == 2


def test_transformers_cancel_and_deadline(hf_llm):
    cancel = threading.Event()
    got = []
    for d in hf_llm.stream([{"role": "user", "content": "Write a long essay about databases."}], max_tokens=200, cancel=cancel):
        got.append(d)
        if len(got) == 2:
            cancel.set()
    assert 2 <= len(got) <= 4
    gen = hf_llm.complete([{"role": "user", "content": "Write a long essay about databases."}], max_tokens=300, timeout_s=0.5)
    assert gen.finish_reason == "timeout"
    assert gen.seconds < 10  # 0.5 s + one token + prompt, on a possibly busy CPU
