"""Backend selection from settings, the model cache, and the errors users see (control flow only)."""

from __future__ import annotations

import sys

import pytest

import coach.llm as llm_pkg
from coach.config import load_settings
from coach.errors import CoachError
from coach.llm import LLMDisabled, load_llm, optional_llm, resolve_backend
from coach.models import default_gguf_path

GGUF = str(default_gguf_path())


def test_auto_prefers_llamacpp_for_gguf_when_installed(monkeypatch):
    monkeypatch.setattr(llm_pkg, "llama_cpp_available", lambda: True)
    assert resolve_backend(load_settings()) == ("llamacpp", GGUF)
    assert resolve_backend(load_settings(llm_model=GGUF)) == ("llamacpp", GGUF)


def test_auto_falls_back_to_transformers_without_llama_cpp(monkeypatch):
    monkeypatch.setattr(llm_pkg, "llama_cpp_available", lambda: False)
    assert resolve_backend(load_settings()) == ("transformers", GGUF)


def test_auto_uses_http_when_a_base_url_is_set():
    settings = load_settings(llm_base_url="http://127.0.0.1:8000/v1", llm_model="qwen")
    assert resolve_backend(settings) == ("openai", "qwen")


def test_forced_backends_and_none():
    assert resolve_backend(load_settings(llm_backend="transformers")) == ("transformers", GGUF)
    assert resolve_backend(load_settings(llm_backend="none")) == ("none", "")
    with pytest.raises(LLMDisabled, match="COACH_LLM_BACKEND=none"):
        load_llm(load_settings(llm_backend="none"))
    assert optional_llm(load_settings(llm_backend="none")) is None
    with pytest.raises(CoachError, match="COACH_LLM_BASE_URL"):
        resolve_backend(load_settings(llm_backend="openai"))


def test_llamacpp_needs_a_gguf(tmp_path):
    folder = tmp_path / "some-model"
    folder.mkdir()
    with pytest.raises(CoachError, match=r"needs a \.gguf file"):
        resolve_backend(load_settings(llm_backend="llamacpp", llm_model=str(folder)))
    (folder / "m.gguf").write_bytes(b"")
    settings = load_settings(llm_backend="llamacpp", llm_model=str(folder), llm_gguf_file="m.gguf")
    assert resolve_backend(settings) == ("llamacpp", str(folder / "m.gguf"))


def test_unknown_model_names_the_setting():
    with pytest.raises(CoachError, match="COACH_LLM_MODEL"):
        resolve_backend(load_settings(llm_model="nobody/no-such-model-xyz"))


def test_missing_llama_cpp_names_the_extra(monkeypatch):
    from coach.llm.llamacpp import LlamaCppLLM

    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # `import llama_cpp` now raises ImportError
    with pytest.raises(CoachError, match=r"pip install 'interview-coach\[llama\]'"):
        LlamaCppLLM(GGUF)


def test_missing_transformers_names_the_install(monkeypatch):
    from coach.llm.hf import TransformersLLM

    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(CoachError, match="pip install"):
        TransformersLLM(GGUF)


def test_transformers_missing_local_model_names_the_setting(tmp_path):
    from coach.llm.hf import TransformersLLM

    empty = tmp_path / "empty-model"
    empty.mkdir()
    with pytest.raises(CoachError, match="COACH_LLM_MODEL"):
        TransformersLLM(str(empty))


def test_models_are_cached_per_backend_and_model():
    pytest.importorskip("llama_cpp")
    a = load_llm(load_settings(llm_backend="llamacpp"))
    b = load_llm(load_settings(llm_backend="llamacpp", llm_model=GGUF))
    assert a is b
    assert load_llm(load_settings(llm_backend="llamacpp", llm_max_tokens=17)) is not a
