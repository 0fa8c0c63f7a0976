"""Foundation: CLI wiring, configuration, model location, and user errors as one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach.cli import SUBCOMMANDS, cli
from coach.config import ConfigError, load_settings
from coach.models import ModelNotFound, default_embedding_path, default_gguf_path, resolve_model


def test_every_subcommand_has_help():
    runner = CliRunner()
    res = runner.invoke(cli, ["--help"])
    assert res.exit_code == 0
    for name in SUBCOMMANDS:
        assert name in res.output
        sub = runner.invoke(cli, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
        assert "Usage:" in sub.output


def test_config_honours_coach_home_and_env(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("COACH_PORT", "7999")
    res = CliRunner().invoke(cli, ["config"])
    assert res.exit_code == 0, res.output
    cfg = json.loads(res.output)
    assert cfg["home"] == str(tmp_path / "h") and cfg["port"] == 7999
    assert cfg["host"] == "127.0.0.1"
    assert cfg["embedding_model_path"].endswith("model")
    assert cfg["llm_model_path"].endswith(".gguf")


def test_cli_flag_overrides_env(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_HOME", str(tmp_path / "env"))
    res = CliRunner().invoke(cli, ["--home", str(tmp_path / "flag"), "config"])
    assert json.loads(res.output)["home"] == str(tmp_path / "flag")


def test_bad_setting_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("COACH_PORT", "lots")
    res = subprocess.run([sys.executable, "-m", "coach.cli", "config"], capture_output=True, text=True)
    assert res.returncode == 1
    assert res.stderr.strip().count("\n") == 0 and "COACH_PORT" in res.stderr
    assert "Traceback" not in res.stderr


def test_unknown_backend_rejected(monkeypatch):
    monkeypatch.setenv("COACH_LLM_BACKEND", "gpt9")
    with pytest.raises(ConfigError, match="COACH_LLM_BACKEND"):
        load_settings()


@pytest.mark.parametrize("raw,mode", [("drafts", "drafts"), ("ALL", "all"), ("off", "off"), ("1", "all"),
                                      ("true", "all"), ("0", "off"), ("false", "off")])
def test_judge_grading_modes(monkeypatch, raw, mode):
    assert load_settings().judge_grading == "drafts"  # the default
    monkeypatch.setenv("COACH_JUDGE_GRADING", raw)
    assert load_settings().judge_grading == mode


def test_unknown_judge_grading_mode_rejected(monkeypatch):
    monkeypatch.setenv("COACH_JUDGE_GRADING", "sometimes")
    with pytest.raises(ConfigError, match="COACH_JUDGE_GRADING"):
        load_settings()
    monkeypatch.delenv("COACH_JUDGE_GRADING")
    assert load_settings(judge_grading=True).judge_grading == "all"  # a boolean from older callers


def test_default_models_come_from_installed_wheels():
    emb = default_embedding_path()
    assert (emb / "modules.json").exists() and "site-packages" in str(emb)
    gguf = default_gguf_path()
    assert gguf.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and gguf.stat().st_size > 50_000_000


def test_missing_model_names_the_setting(tmp_path):
    with pytest.raises(ModelNotFound, match="COACH_LLM_MODEL"):
        resolve_model(str(tmp_path / "nope.gguf"), setting="COACH_LLM_MODEL", default=default_gguf_path)
    with pytest.raises(ModelNotFound, match="COACH_EMBEDDING_MODEL"):
        resolve_model("someone/not-cached-model", setting="COACH_EMBEDDING_MODEL", default=default_embedding_path)
    assert resolve_model(str(tmp_path), setting="X", default=default_gguf_path) == str(tmp_path)


def test_missing_model_via_cli_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_EMBEDDING_MODEL", str(tmp_path / "missing-model"))
    res = subprocess.run(
        [sys.executable, "-m", "coach.cli", "grade", "--input", "-", "--output", "-"],
        input='{"question": "q", "answer": "a"}\n', capture_output=True, text=True,
    )
    assert res.returncode == 1
    assert "COACH_EMBEDDING_MODEL" in res.stderr and "Traceback" not in res.stderr


def test_bundled_sources_ship_with_the_package():
    from coach.service import bundled_sources_dir

    files = sorted(p.name for p in bundled_sources_dir().iterdir() if p.suffix == ".txt")
    assert len(files) == 5 and files[0].startswith("000_")


def test_readme_file_map_matches_tree():
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    section = readme.split("## File map", 1)[1].split("\n## ", 1)[0]
    listed = {line.split("`")[1] for line in section.splitlines() if line.startswith("- `")}
    for path in listed:
        assert (root / path).exists(), f"README lists {path}, which does not exist"
    for pkg in ("coach", "corpus", "index", "evals", "prompts"):
        for py in (root / pkg).rglob("*.py"):
            rel = py.relative_to(root).as_posix()
            if py.name == "__init__.py" and rel.count("/") > 1:
                continue
            covered = rel in listed or any(rel.startswith(p.rstrip("/") + "/") for p in listed if p.endswith("/"))
            assert covered, f"{rel} is missing from the README file map"
