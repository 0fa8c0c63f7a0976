"""The llama.cpp backend on the real bundled SmolLM2-135M GGUF (greedy, a few tokens each)."""

from __future__ import annotations

import threading

import pytest

from coach.llm import context_budget, fit_context
from coach.models import default_gguf_path

pytest.importorskip("llama_cpp")

PYTHON_Q = [{"role": "user", "content": "What is Python?"}]


@pytest.fixture(scope="module")
def llm():
    # One thread: other test processes share this 2-core machine, and llama.cpp's multi-thread barrier
    # collapses under contention (see coach/llm/llamacpp.py). Greedy output does not depend on the
    # thread count (test_output_is_the_same_with_two_threads).
    from coach.llm.llamacpp import LlamaCppLLM

    model = LlamaCppLLM(default_gguf_path(), n_threads=1)
    yield model
    model.close()


def test_exact_greedy_output(llm):
    # Copied from a real run (llama-cpp-python 0.3.36, SmolLM2-135M-Instruct Q4_1, greedy).
    gen = llm.complete(PYTHON_Q, max_tokens=12)
    assert gen.text == "Python is a high-level, versatile programming language designed for"
    assert gen.finish_reason == "length"
    assert llm.name == "llamacpp:SmolLM2-135M-Instruct.Q4_1.gguf"
    assert llm.context_window == 2048


def test_deterministic_same_input_same_output(llm):
    messages = [{"role": "user", "content": "Name three uses of a hash table."}]
    first = llm.generate(messages, max_tokens=24)
    llm.generate([{"role": "user", "content": "Something else entirely, to change the cache."}], max_tokens=5)
    assert llm.generate(messages, max_tokens=24) == first
    assert len(first) > 20


def test_stream_deltas_join_to_generate(llm):
    deltas = list(llm.stream(PYTHON_Q, max_tokens=20))
    assert len(deltas) > 5  # real deltas, not one block
    assert "".join(deltas) == llm.generate(PYTHON_Q, max_tokens=20)


def test_cancel_stops_stream_promptly(llm):
    cancel = threading.Event()
    got = []
    for delta in llm.stream([{"role": "user", "content": "Write a long essay about databases."}], max_tokens=400, cancel=cancel):
        got.append(delta)
        if len(got) == 3:
            cancel.set()
    assert 3 <= len(got) <= 4  # stopped right after the event, not after 400 tokens
    gen = llm.complete(PYTHON_Q, max_tokens=50, cancel=cancel)  # already cancelled: stops after one token
    assert gen.finish_reason == "cancelled" and gen.deltas <= 1


def test_max_tokens_limit(llm):
    gen = llm.complete([{"role": "user", "content": "Write a long essay about databases."}], max_tokens=7)
    assert gen.finish_reason == "length"
    assert gen.deltas == 7
    assert llm.count_tokens(gen.text) <= 8


def test_wall_clock_limit(llm):
    gen = llm.complete([{"role": "user", "content": "Write a long essay about databases."}], max_tokens=500, timeout_s=0.3)
    assert gen.finish_reason == "timeout"
    assert gen.deltas < 500
    assert gen.seconds < 10  # 0.3 s + at most one token and the (uninterruptible) prompt evaluation


def test_stop_strings_are_cut(llm):
    gen = llm.complete(PYTHON_Q, max_tokens=20, stop=["programming"])
    assert gen.text == "Python is a high-level, versatile "
    assert gen.finish_reason == "stop"


def test_bad_messages_rejected(llm):
    with pytest.raises(ValueError):
        llm.generate([{"role": "tool", "content": "x"}])
    with pytest.raises(ValueError):
        llm.generate([])


def test_token_counts_are_real(llm):
    assert llm.count_tokens("") == 0
    assert llm.count_tokens("Hello world") == 2
    # The chat prompt count matches what llama.cpp itself reports as prompt_tokens (34, measured).
    assert llm.count_message_tokens(PYTHON_Q) == 34


def test_fit_context_with_real_token_counts(llm):
    passages = [" ".join([w] * 50) for w in ("alpha", "beta", "gamma")]
    costs = [llm.count_tokens(p) for p in passages]
    assert costs == [50, 50, 50]  # one token per word in SmolLM2 BPE (chars/4 would say 62 to 75)
    # Room for the first passage whole (+8 overhead) and ~30 tokens of the second.
    budget = costs[0] + 8 + 8 + 30
    kept = fit_context(passages, budget, llm)
    assert kept[0] == passages[0]
    assert len(kept) == 2 and kept[1].startswith("beta beta") and kept[1].endswith(" …")
    assert llm.count_tokens(kept[1]) <= 30
    assert sum(llm.count_tokens(p) + 8 for p in kept) <= budget
    assert fit_context(passages, 10_000, llm) == passages
    assert fit_context(passages, 20, llm) == []  # not even a useful cut of the first


def test_context_budget_subtracts_prompt_and_reply(llm):
    budget = context_budget(llm, PYTHON_Q, max_tokens=200)
    assert budget == llm.context_window - 34 - 200 - 16


def test_ask_prompt_end_to_end_with_the_bundled_model(llm):
    import prompts

    passages = [
        "The Global Interpreter Lock (GIL) is a mutex that allows only one thread to execute Python bytecode at a time.",
        "Lists are mutable; tuples are immutable.",
    ]
    messages = prompts.render("ask", question="What is the GIL in Python?", passages=passages)
    spec = prompts.spec("ask")
    raw = llm.generate(messages, max_tokens=spec["max_tokens"], stop=spec["stop"])
    # Copied from a real run: the 135M model echoes the fence header, the stop strings end its loop,
    # and clean_reply removes the echo.
    assert raw.startswith("<<<DATA")
    assert prompts.clean_reply(raw) == "The GIL in Python is a mutex that allows only one thread to execute Python bytecode at a time."


def test_output_is_the_same_with_two_threads(llm):
    from coach.llm.llamacpp import LlamaCppLLM

    two = LlamaCppLLM(default_gguf_path(), n_threads=2)
    try:
        assert two.generate(PYTHON_Q, max_tokens=6) == llm.generate(PYTHON_Q, max_tokens=6) == "Python is a high-level"
    finally:
        two.close()
