"""LangChain interop: any coach ``LLM`` as a langchain-core ``BaseChatModel``.

    from coach.llm.langchain import CoachChatModel
    chain = ChatPromptTemplate.from_messages([...]) | CoachChatModel(llm=load_llm(settings)) | StrOutputParser()

Simplified on purpose: text in, text out. No tool calling, structured output or token usage metadata;
message types map to roles (system/human/ai -> system/user/assistant; anything else is sent as user).
Decoding defaults are the coach's (greedy, the backend's max_tokens and timeout).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from coach.llm.base import LLM

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def to_chat_messages(messages: list[BaseMessage]) -> list[dict]:
    out = []
    for m in messages:
        content = m.content if isinstance(m.content, str) else "".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in m.content
        )
        out.append({"role": _ROLES.get(m.type, "user"), "content": content})
    return out


class CoachChatModel(BaseChatModel):
    """Wraps a coach ``LLM`` so LangChain chains can call it (``invoke``, ``stream``, ``batch``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llm: Any  # a coach.llm.base.LLM (typed Any so pydantic does not try to validate/copy it)
    max_tokens: int | None = None
    temperature: float = 0.0
    timeout_s: float | None = None
    cancel: Any = None  # an optional threading.Event shared with the caller

    def model_post_init(self, __context: Any) -> None:
        if not isinstance(self.llm, LLM):
            raise TypeError(f"CoachChatModel needs a coach.llm.base.LLM, got {type(self.llm).__name__}")
        if self.cancel is not None and not isinstance(self.cancel, threading.Event):
            raise TypeError("cancel must be a threading.Event")

    @property
    def _llm_type(self) -> str:
        return "interview-coach"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.llm.name, "max_tokens": self.max_tokens, "temperature": self.temperature}

    def _options(self, stop, kwargs) -> dict:
        return dict(
            max_tokens=kwargs.get("max_tokens", self.max_tokens),
            temperature=kwargs.get("temperature", self.temperature),
            stop=stop,
            timeout_s=kwargs.get("timeout_s", self.timeout_s),
            cancel=self.cancel,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        gen = self.llm.complete(to_chat_messages(messages), **self._options(stop, kwargs))
        message = AIMessage(content=gen.text, response_metadata={"finish_reason": gen.finish_reason, "model": self.llm.name})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for delta in self.llm.stream(to_chat_messages(messages), **self._options(stop, kwargs)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
            if run_manager is not None:
                run_manager.on_llm_new_token(delta, chunk=chunk)
            yield chunk
