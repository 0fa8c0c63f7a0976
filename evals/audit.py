"""Source-audit evaluator: the auditor's flags against the team's independent answer key.

A flag matches a key row when it names the same source, its line span overlaps the row's and, when
both are single lines with a quote, the quotes share at least half of the shorter one's words: a scraped paragraph is
often one line holding several sentences, and a flag on a correct sentence must not count as finding
the error in the next sentence of the same line (nor the other way round).
For split S: recall (all errors, and major errors) over S's error rows; precision over the flags
that do not match a row of the OTHER split (a flag matching no row at all is a false positive in
both splits); false-positive rate = share of S's correct claims overlapped by any flag. Per-check
precision is reported so each check method's quality is visible on its own.
"""

from __future__ import annotations

import re
from collections import defaultdict

from evals.base import DATA_DIR, EvalResult, load_jsonl, select_split

SOURCE_ERRORS = DATA_DIR / "source_errors.jsonl"
CORRECT_CLAIMS = DATA_DIR / "correct_claims.jsonl"


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def overlaps(a: dict, b: dict) -> bool:
    if not (a["source"] == b["source"] and a["line_start"] <= b["line_end"] and b["line_start"] <= a["line_end"]):
        return False
    if a["line_start"] != a["line_end"] or b["line_start"] != b["line_end"]:
        return True  # a block (code, a wrapped sentence): its line span is specific enough
    wa, wb = _words(a.get("quote") or ""), _words(b.get("quote") or "")
    if not wa or not wb:
        return True
    return len(wa & wb) >= 0.5 * min(len(wa), len(wb))


class AuditEvaluator:
    name = "audit"

    def __init__(self, flags: list[dict], errors: list[dict] | None = None, claims: list[dict] | None = None):
        self.flags = flags
        self.errors = errors if errors is not None else load_jsonl(SOURCE_ERRORS)
        self.claims = claims if claims is not None else load_jsonl(CORRECT_CLAIMS)

    def __call__(self, *, split: str = "test", limit: int | None = None) -> EvalResult:
        errs = select_split(self.errors, split)[:limit]
        other = [] if split == "all" else [e for e in self.errors if e.get("split") != split]
        claims = select_split(self.claims, split)[:limit]

        considered = [f for f in self.flags if not any(overlaps(f, e) for e in other) or any(overlaps(f, e) for e in errs)]
        tp_flags = [f for f in considered if any(overlaps(f, e) for e in errs)]
        found = [e for e in errs if any(overlaps(f, e) for f in self.flags)]
        major = [e for e in errs if e.get("severity") == "major"]
        found_major = [e for e in major if any(overlaps(f, e) for f in self.flags)]
        fp_claims = [c for c in claims if any(overlaps(f, c) for f in self.flags)]

        precision = len(tp_flags) / len(considered) if considered else 0.0
        recall = len(found) / len(errs) if errs else 0.0
        m = {
            "precision": precision,
            "recall": recall,
            "recall_major": len(found_major) / len(major) if major else 0.0,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "false_positive_rate": len(fp_claims) / len(claims) if claims else 0.0,
            "flags": float(len(considered)),
            # flags matching neither an error row nor a correct claim: counted as false positives above
            # (conservative), reported so a reader can see how many are unjudged rather than known-wrong
            "flags_unjudged": float(sum(1 for f in considered if not any(overlaps(f, e) for e in self.errors) and not any(overlaps(f, c) for c in self.claims))),
            "errors_in_key": float(len(errs)),
            "correct_claims_in_key": float(len(claims)),
        }
        per_check = defaultdict(lambda: [0, 0])
        for f in considered:
            c = f.get("check", "unknown")
            per_check[c][1] += 1
            per_check[c][0] += any(overlaps(f, e) for e in errs)
        for c, (tp, n) in sorted(per_check.items()):
            m[f"precision_{c}"] = tp / n if n else 0.0
            m[f"flags_{c}"] = float(n)
        details = [
            {"id": e["id"], "source": e["source"], "line_start": e["line_start"], "severity": e.get("severity"), "kind": e.get("kind"), "found": e in found}
            for e in errs
        ] + [
            {"flag": f"{f['source']}:{f['line_start']}-{f['line_end']}", "check": f.get("check"), "quote": f.get("quote", "")[:120], "true_positive": f in tp_flags}
            for f in considered
        ]
        return EvalResult(self.name, m, "f1", n=len(errs) + len(claims), failures=0, details=details)


def own_audit_flags(coach) -> list[dict]:
    """The audit's flags on the coach's indexed sources WITHOUT the errors a user reported in this home (`coach
    corrections`): the audit's own judgement is what is measured. Not ``coach.audit.all_flags()``: there a reported
    flag absorbs another check's flag on the same lines. Per-source results come from the audit cache; the
    cache's "latest" file (the full audit's) is left as it is."""
    from coach.audit import AuditCache, audit_sources
    from coach.audit.checks import DEFAULT_CHECKS, AuditContext
    from coach.audit_link import parsed_from_index

    class _KeepLatest(AuditCache):
        def write_latest(self, flags) -> None:
            pass

    checks = tuple(c for c in DEFAULT_CHECKS if c != "reported")
    ctx = AuditContext(settings=coach.settings, embedder=coach.index.embedder.model)
    parsed = parsed_from_index(coach.index) if coach.index.exists() else []
    return [f.to_dict() for f in audit_sources(parsed, coach.settings, checks=checks, cache=_KeepLatest(coach.settings),
                                               context=ctx)]
