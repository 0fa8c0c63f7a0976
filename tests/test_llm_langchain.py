"""LangChain interop: a real chain over the real bundled model."""

from __future__ import annotations

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from coach.llm.langchain import CoachChatModel
from coach.models import default_gguf_path

pytest.importorskip("llama_cpp")


@pytest.fixture(scope="module")
def model():
    from coach.llm.llamacpp import LlamaCppLLM

    llm = LlamaCppLLM(default_gguf_path(), n_threads=1)  # 1 thread: robust on a shared CPU
    yield CoachChatModel(llm=llm, max_tokens=12)
    llm.close()


def test_prompt_model_parser_chain(model):
    chain = ChatPromptTemplate.from_messages([("human", "What is {topic}?")]) | model | StrOutputParser()
    # Same messages as the exact-output test of the llama.cpp backend, so the same greedy text.
    assert chain.invoke({"topic": "Python"}) == "Python is a high-level, versatile programming language designed for"
    chunks = list(chain.stream({"topic": "Python"}))
    assert len(chunks) > 3 and "".join(chunks) == "Python is a high-level, versatile programming language designed for"


def test_stop_and_metadata(model):
    msg = model.invoke("What is Python?", stop=["programming"])
    assert msg.content == "Python is a high-level, versatile "
    assert msg.response_metadata["finish_reason"] == "stop"
    assert model._llm_type == "interview-coach"


def test_rejects_non_coach_llm():
    with pytest.raises(Exception, match="coach.llm.base.LLM"):
        CoachChatModel(llm=object())
