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


def test_passages_become_questions_graded_against_a_draft(tmp_path, built_home, bundled_dir):
    import shutil

    from coach.config import load_settings
    from coach.service import Coach

    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    c = Coach(load_settings(home=home))
    chapter = tmp_path / "chapter.md"
    chapter.write_text(
        "# Regularisation\n\n## Dropout\n\nDropout randomly switches off a fraction of the units of a layer at every "
        "training step, so units cannot rely on specific other units. This reduces overfitting. At inference time "
        "all units are kept and activations are scaled so their expected value matches training.\n"
    )
    report = c.add_sources([chapter])
    assert report["added"] == ["chapter.md"]
    items = [q for q in c.question_bank() if q.record_ids[0].startswith("chapter.md")]
    assert items and items[0].question.startswith("Explain dropout")
    good = c.grade(items[0].question, "During training dropout randomly turns off some units so they cannot co-adapt, which reduces overfitting; at test time all units are used with scaled activations.", question_id=items[0].id)
    bad = c.grade(items[0].question, "Dropout is a learning-rate schedule that halves the step size every epoch.", question_id=items[0].id)
    assert good.score > bad.score + 2 and good.references[0].source == "chapter.md"


def test_added_source_gets_editable_draft_rubrics_versioned_by_hash(tmp_path, built_home):
    import shutil

    import yaml

    from coach.config import load_settings
    from coach.service import Coach

    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    c = Coach(load_settings(home=home))
    src = tmp_path / "notes.txt"
    src.write_text("1. What is gradient clipping?\nGradient clipping rescales gradients whose norm exceeds a threshold, which prevents exploding gradients in RNNs.\n")
    report = c.add_sources([src])
    assert len(report["drafted"]) == 1
    path = home / "rubrics" / "drafts" / "notes-txt.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["source"] == "notes.txt" and data["rubrics"][0]["records"] == ["notes.txt:1"]
    # a person edits the draft: the grader uses the edit
    data["rubrics"][0]["model_answer"] = "EDITED model answer about clipping gradient norms."
    path.write_text(yaml.safe_dump(data))
    c2 = Coach(load_settings(home=home))
    g = c2.grade("What is gradient clipping?", "It caps the gradient norm to stop exploding gradients.", question_id="notes.txt:1")
    assert g.model_answer.startswith("EDITED")
    # re-adding the unchanged source does not overwrite the edit; a changed source does (with a backup)
    assert c2.add_sources([src])["drafted"] == []
    src.write_text(src.read_text() + "It is common when training LSTMs.\n")
    assert len(c2.add_sources([src])["drafted"]) == 1
    assert (home / "rubrics" / "drafts" / "notes-txt.yaml.bak").exists()
