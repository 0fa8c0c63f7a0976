"""Golden records for the five bundled sources (hand-checked, see tests/golden/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus import parse_file

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
BUNDLED = sorted((ROOT / "corpus" / "bundled").glob("*.txt"))
FIELDS = ("id", "question", "line_start", "line_end", "kind", "answer", "answer_lines", "blocks")


def _rows(path: Path) -> list[dict]:
    out = []
    for r in parse_file(path).records:
        d = r.to_dict()
        out.append({k: d[k] for k in FIELDS})
    return out


def write_goldens() -> None:
    for path in BUNDLED:
        rows = _rows(path)
        (GOLDEN / f"{path.name}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name[:3])
def test_bundled_source_matches_golden(path):
    expected = [json.loads(line) for line in (GOLDEN / f"{path.name}.jsonl").read_text(encoding="utf-8").splitlines()]
    got = _rows(path)
    assert [r["id"] for r in got] == [r["id"] for r in expected]
    for g, e in zip(got, expected):
        assert g == e, f"record {e['id']} differs from its golden"
