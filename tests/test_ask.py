"""Ask the coach on the real bundled index: grounded, cited, honest when nothing is relevant, and
warning when a cited passage is flagged by the source audit."""

from __future__ import annotations


def test_answer_from_reviewed_rubric_with_citations(coach):
    res = coach.ask("What is the purpose of dropout?")
    text = "".join(res.stream)
    assert "dropout" in text.lower() or "neuron" in text.lower(), text
    assert res.citations and all(c.line_start >= 1 for c in res.citations)


def test_nothing_relevant_is_said_not_invented(coach):
    res = coach.ask("How do I bake sourdough bread with a rye starter?")
    text = "".join(res.stream)
    assert "nothing" in text.lower() and not res.citations
    assert res.warnings


def test_flagged_passage_comes_with_a_warning_and_correction(coach):
    res = coach.ask("What is the Fourier transform used for in deep learning?")
    "".join(res.stream)
    assert any("flagged by the source audit" in w and "Correction:" in w for w in res.warnings), res.warnings


def test_default_model_quotes_instead_of_generating(coach, monkeypatch):
    from coach import ask as ask_mod

    assert not ask_mod._llm_may_answer(coach.settings)  # bundled SmolLM2: quote, never generate facts
    monkeypatch.setattr(type(coach), "llm", property(lambda self: (_ for _ in ()).throw(AssertionError("LLM used"))))
    res = coach.ask("Which deep learning frameworks are popular and why?")
    assert "".join(res.stream).strip()
