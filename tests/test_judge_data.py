"""The judge's training data: valid records, splits by record and by subject, labels that the
generated variants preserve, and no evaluation answers or hand-test pairs inside it."""

from __future__ import annotations

import json
import random
from collections import Counter

from coach.datafiles import LABELLED_DIR, load_jsonl
from coach.judge.data import (NOT_CONTRADICTION, build_pairs, expand, load_records, split_of, true_pairs, unrelated_pairs,
                              validate)
from coach.judge.model import CONTRADICTION, ENTAILMENT, NEUTRAL


def test_all_records_valid_and_large_enough():
    records, rejected = load_records()
    assert rejected == []
    assert len(records) >= 2500
    subjects = Counter(r["_set"] for r in records)
    assert len(subjects) >= 6


def test_splits_are_by_record_and_networking_is_never_trained_on():
    records, _ = load_records()
    splits = build_pairs(records)
    seen = {}
    for name, pairs in splits.items():
        # extra pairs of a split come from its records
        home = (name.removeprefix("lex_").removeprefix("true_").removeprefix("close_").removeprefix("unrelated_")
                .removeprefix("graded_").removeprefix("graded4_").removeprefix("graded5_"))
        for p in pairs:
            assert seen.setdefault(p.record, home) == home  # a record's pairs live in one split
    trained = (splits["train"] + splits["lex_train"] + splits["true_train"] + splits["close_train"] + splits["unrelated_train"]
               + splits["graded_train"] + splits["graded4_train"] + splits["graded5_train"])
    assert all(not p.record.startswith("net-") for p in trained)
    assert {k for k in splits if k.startswith("close_")} == {"close_train", "close_dev", "close_test"}
    assert len(splits["close_train"]) >= 15000 and len(splits["close_test"]) >= 1500
    assert {k for k in splits if k.startswith("lex_")} == {"lex_train", "lex_dev"}
    assert {k for k in splits if k.startswith("true_")} == {"true_train", "true_dev"}
    assert {k for k in splits if k.startswith("unrelated_")} == {"unrelated_train", "unrelated_dev"}
    # graded answers follow the answer scorer's question split: its dev questions (a grading dev set) and its
    # test questions are never trained on
    from coach.judge.scorer_train import question_split

    from coach.judge.scorer_train import load_graded, question_key

    from coach.judge.scorer_train import ROUND4_DIR, ROUND5_DIR

    from coach.judge.data import _near_held_out

    rounds = {"graded": load_graded()[0], "graded4": load_graded(ROUND4_DIR)[0], "graded5": load_graded(ROUND5_DIR)[0]}
    near = _near_held_out()
    assert {k for k in splits if k.startswith("graded")} == {f"{kind}_{s}" for kind in rounds for s in ("train", "dev")}
    text = {f"{kind}:{r['id']}": question_key(r["question"]) for kind, rows in rounds.items() for r in rows}
    held_texts = {text[f"{kind}:{r['id']}"] for kind, rows in rounds.items() for r in rows
                  if question_split(r["id"]) != "train"}
    for kind in rounds:
        for s in ("train", "dev"):
            pairs = splits[f"{kind}_{s}"]
            assert pairs and {question_split(p.record.split(":", 1)[1]) for p in pairs} == {s}
            assert {p.record.split(":")[0] for p in pairs} == {kind} and {p.kind.split("_")[0] for p in pairs} == {kind}
        # nor a train question whose TEXT is also a dev or test question of any round (the same question
        # under two ids), nor one NEAR such a question or an evaluation question
        assert not {text[p.record] for p in splits[kind + "_train"]} & held_texts
        assert not {p.record for p in splits[kind + "_train"]} & near
    # near-copies found by a review: a round-4 train question 0.99 from a test question of the first rounds, a
    # round-5 one 0.99 from a dev question of theirs, and a first-round train question that IS an evaluation question
    assert {"graded4:sse-018", "graded5:tdl-024", "graded:nds-040"} <= near
    # every graded pair fits the judge's training length (a longer one would be cut, not left out)
    from transformers import AutoTokenizer

    from coach.judge.data import GRADED_MAX_PIECES
    from coach.models import default_embedding_path

    tok = AutoTokenizer.from_pretrained(str(default_embedding_path()), local_files_only=True)
    assert max(len(tok(p.premise, p.hypothesis)["input_ids"])
               for p in splits["graded_train"] + splits["graded4_train"] + splits["graded5_train"]) <= GRADED_MAX_PIECES
    assert {p.record.split("-")[0] for p in splits["oos"]} == {"net"}
    assert sum(len(v) for v in splits.values()) >= 20000


def test_validate_rejects_broken_records():
    good = {"id": "x-1", "subject": "s", "topic": "t", "concept": "c", "premise": "A B C D",
            "entail": ["e"], "contradict": [{"text": "c", "type": "swap"}], "neutral": ["n"],
            "answer_good": "g", "answer_bad": "b"}
    assert validate(good) == []
    assert validate({**good, "contradict": [{"text": "c", "type": "sarcasm"}]})
    assert validate({k: v for k, v in good.items() if k != "premise"})


def test_generated_variants_keep_labels():
    rec = {"id": "x-1", "subject": "s", "topic": "t", "concept": "c", "premise": "P is true of Q.",
           "entail": ["Q has P.", "So Q has P."], "contradict": [{"text": "P is false of Q.", "type": "negation"}],
           "neutral": ["Q is blue."], "answer_good": "Well, Q has P.", "answer_bad": "Well, Q lacks P."}
    other = {**rec, "id": "x-2", "premise": "R is S.", "entail": ["S is R."], "answer_good": "I think R is S."}
    pairs = expand(rec, [rec, other], random.Random(0))
    by = {(p.premise, p.hypothesis): p.label for p in pairs}
    assert by[("P is true of Q.", "P is false of Q.")] == CONTRADICTION
    assert by[("P is false of Q.", "P is true of Q.")] == CONTRADICTION  # symmetric
    assert by[("Q has P.", "P is true of Q.")] == ENTAILMENT  # paraphrase back
    assert by[("P is true of Q.", "R is S.")] == NEUTRAL  # another fact of the topic
    assert by[("Well, Q lacks P.", "P is true of Q.")] == CONTRADICTION


def test_no_evaluation_answers_or_test_pairs_in_training_data():
    records, _ = load_records()
    texts = set()
    for r in records:
        texts.update([r["premise"], r["answer_good"], r["answer_bad"], *r["entail"], *r["neutral"]])
        texts.update(c["text"] for c in r["contradict"])
    norm = {" ".join(t.lower().split()) for t in texts}
    evals = [row["answer"] for row in load_jsonl(LABELLED_DIR / "graded_answers.jsonl")]
    for extra in ("other_subject/graded_networking.jsonl", "new_sources/graded_answers.jsonl"):
        path = LABELLED_DIR / extra
        if path.exists():
            evals += [row["answer"] for row in load_jsonl(path)]
    assert not [a for a in evals if " ".join(a.lower().split()) in norm]


def test_true_pairs_join_two_correct_statements_and_never_say_contradiction():
    base = {"subject": "s", "topic": "t", "concept": "c", "contradict": [{"text": "WRONG", "type": "swap"}],
            "neutral": ["NEUTRAL"], "answer_bad": "BAD"}
    a = {**base, "id": "x-1", "premise": "Both bagging and boosting are ensemble methods combining many models.",
         "entail": ["Bagging and boosting each combine several models."],
         "answer_good": "Well, both are ensemble methods. They combine many models into one prediction."}
    b = {**base, "id": "x-2", "premise": "Boosting trains models one after another on the previous errors.",
         "entail": ["Boosting is sequential."], "answer_good": "Boosting trains its models one after another."}
    pairs = true_pairs([a, b], random.Random(0), k=2)
    assert pairs and all(p.label == NOT_CONTRADICTION for p in pairs)
    correct = {a["premise"], b["premise"], *a["entail"], *b["entail"], "They combine many models into one prediction.",
               "Boosting trains its models one after another."}
    for p in pairs:  # only correct statements, never the written contradiction, neutral or bad answer
        assert {p.premise, p.hypothesis} <= correct | {"Well, both are ensemble methods."}, p
        assert a["premise"] in (p.premise, p.hypothesis) or b["premise"] in (p.premise, p.hypothesis)
    # the other record's overlapping sentences are paired with a premise, never a record with itself
    assert any(p.kind.startswith("true_overlap") for p in pairs)


def test_unrelated_pairs_take_the_premise_from_another_subject_and_are_neutral():
    def rec(rid, subject, premise):
        return {"id": rid, "subject": subject, "topic": "t", "concept": "c", "premise": premise,
                "entail": [premise.replace("is", "is indeed", 1)], "contradict": [{"text": "WRONG", "type": "swap"}],
                "neutral": ["NEUTRAL"], "answer_good": f"Sure. {premise}", "answer_bad": "BAD"}

    recs = [rec("db-1", "databases", "A primary key is unique and never NULL in a relational table."),
            rec("db-2", "databases", "An index is a structure that speeds up lookups on a column."),
            rec("os-1", "operating systems", "A context switch is the saving of one thread's registers for another."),
            rec("os-2", "operating systems", "Virtual memory is a mapping from each process's addresses to frames.")]
    pairs = unrelated_pairs(recs, random.Random(0), k=2)
    assert len(pairs) == 3 * len(recs) and all(p.label == NEUTRAL for p in pairs)
    own = {r["id"]: {r["premise"], *r["entail"], f"Sure. {r['premise']}", "Sure."} for r in recs}
    subject = {r["id"]: r["subject"] for r in recs}
    for p in pairs:
        assert p.hypothesis in own[p.record]  # the record's own statement is the hypothesis...
        others = [rid for rid in own if subject[rid] != subject[p.record]]
        # ...and the premise comes from a record of ANOTHER subject (whole, or cut to a few words)
        assert any(p.premise in own[o] or any(t.startswith(p.premise.rstrip(".")) for t in own[o]) for o in others), p
        assert "WRONG" not in p.premise and "NEUTRAL" not in p.premise and "BAD" not in p.premise
    assert {p.kind for p in pairs} == {"unrelated", "unrelated_short"}
    assert unrelated_pairs(recs[:2], random.Random(0)) == []  # one subject: nothing to pair


def test_graded_pairs_label_each_answer_by_its_tier_and_leave_out_wrong_references():
    from coach.judge.data import GRADED_LABELS, graded_pairs

    ref = "A stack is last in, first out: the element pushed last is the first one popped."
    tiers = ["excellent", "good", "short_correct", "partial", "vague", "mixed", "wrong", "off_topic"]
    answers = [{"text": f"An answer of the {t} tier.", "tier": t} for t in tiers]
    rows = [{"id": "q-1", "reference": ref, "answers": answers},
            {"id": "q-2", "reference": ref, "reference_error": "first out => last out", "answers": answers},
            {"id": "q-3", "reference": ref, "reference_style": "flawed", "answers": answers},
            {"id": "q-4", "reference": " ".join(["word"] * 126), "answers": [{"text": "Five words long, this one.", "tier": "good"}]}]
    pairs = graded_pairs(rows)
    assert {p.record for p in pairs} == {"graded:q-1"}  # a wrong reference, or a pair over 130 words: left out
    assert {p.record for p in graded_pairs(rows[3:], fits=lambda a, b: True)} == {"graded:q-4"}  # the length check given
    assert all(p.premise == ref for p in pairs)
    assert {p.kind: p.label for p in pairs} == {"graded_" + t: GRADED_LABELS[t] for t in tiers}
    round4 = graded_pairs(rows[:1], tag="graded4")  # another round: the same labels under its own name
    assert {p.record for p in round4} == {"graded4:q-1"} and {p.kind: p.label for p in round4} == {"graded4_" + t: GRADED_LABELS[t] for t in tiers}
    assert (GRADED_LABELS["wrong"], GRADED_LABELS["mixed"], GRADED_LABELS["off_topic"]) == (CONTRADICTION, CONTRADICTION, NEUTRAL)
    assert GRADED_LABELS["good"] == GRADED_LABELS["partial"] == ENTAILMENT
    assert GRADED_LABELS["excellent"] == GRADED_LABELS["vague"] == NOT_CONTRADICTION
    # a "good" answer longer than its (short) reference says more than the reference can entail
    short = [{"id": "q-5", "reference": "Stacks are LIFO.", "answers": [{"text": "A stack is last in, first out.", "tier": "good"},
                                                                       {"text": "LIFO.", "tier": "partial"}]}]
    assert [p.label for p in graded_pairs(short)] == [NOT_CONTRADICTION, ENTAILMENT]
    # nor can a vague (correct but loose) reference entail a specific answer
    vague = [{**short[0], "reference": "Stacks are basically LIFO, used for lots of things.", "reference_style": "vague",
              "answers": short[0]["answers"] + [{"text": "Stacks are LIFO and pop in O(n).", "tier": "mixed"},
                                                {"text": "Stacks are FIFO.", "tier": "wrong"}]}]
    # ... and its "mixed" answer's one wrong fact may be one it never states: left out
    assert [p.label for p in graded_pairs(vague)] == [NOT_CONTRADICTION, NOT_CONTRADICTION, CONTRADICTION]


def test_unrelated_pairs_never_cross_splits():
    recs, _ = load_records()
    splits = build_pairs(recs)
    split = {r["id"]: split_of(r) for r in recs}
    texts = {s: {t for r in recs if split_of(r) == s for t in (r["premise"], *r["entail"])} for s in ("train", "dev")}
    for s in ("train", "dev"):
        ps = splits["unrelated_" + s]
        assert len(ps) >= 2 * sum(v == s for v in split.values())
        assert all(split[p.record] == s and p.label == NEUTRAL for p in ps)
        other = "dev" if s == "train" else "train"
        assert not any(p.premise in texts[other] or p.hypothesis in texts[other] for p in ps)


def test_not_contradiction_target_is_entailment_or_neutral():
    import torch

    from coach.judge.train import _loss

    logits = torch.tensor([[2.0, 2.0, -4.0], [-4.0, -4.0, 4.0], [0.0, 0.0, 0.0]])
    soft = torch.tensor([NOT_CONTRADICTION] * 3)
    per = [float(_loss(logits[i : i + 1], soft[i : i + 1])) for i in range(3)]
    assert per[0] < 0.01 < per[2] < per[1]  # no conflict predicted: no loss; contradiction: large loss
    hard = torch.tensor([0, 2, 1])
    assert abs(float(_loss(logits, hard)) - float(torch.nn.functional.cross_entropy(logits, hard))) < 1e-6


def test_the_overlap_prior_is_the_mix_label_share_per_bucket_and_the_debiased_loss_reads_it():
    """Experiment 69 (README): ``--debias overlap`` trains the judge as a product of experts with a bias-only model, the
    training mix's label shares per word-overlap bucket; the judge is then charged only for what overlap does not tell."""
    import numpy as np
    import torch

    from coach.judge.data import Pair
    from coach.judge.train import _loss, overlap_bucket, overlap_prior

    assert overlap_bucket("The cat sat on the mat.", "the cat sat on the MAT") == 9
    assert overlap_bucket("Dropout fights overfitting.", "TCP retransmits lost segments.") == 0
    near = ("A stack is last in, first out.", "A stack is first in, first out.")
    far = ("A stack is last in, first out.", "Queues serve items in arrival order.")
    pairs = [Pair(*near, CONTRADICTION, "t", "r")] * 6 + [Pair(*near, NOT_CONTRADICTION, "t", "r")] * 2 + [Pair(*far, NEUTRAL, "t", "r")] * 3
    prior, buckets = overlap_prior(pairs)
    b_near, b_far = overlap_bucket(*near), overlap_bucket(*far)
    assert b_near > b_far and buckets == [b_near] * 8 + [b_far] * 3
    # add-one smoothed shares: 6 contradictions, 2 "not a contradiction" split between entailment and neutral
    assert np.allclose(np.exp(prior[b_near]), np.array([2, 2, 7]) / 11) and np.allclose(np.exp(prior[b_far]), np.array([1, 4, 1]) / 6)
    assert np.allclose(np.exp(prior).sum(1), 1.0)
    # a judge undecided between the labels: a contradiction where the bias expects one costs less with the bias
    # (overlap explains it), a "not a contradiction" there costs more; a uniform bias changes nothing
    logits = torch.zeros(1, 3)
    bias = torch.tensor(prior[b_near], dtype=torch.float32)[None]
    contra, soft = torch.tensor([CONTRADICTION]), torch.tensor([NOT_CONTRADICTION])
    assert float(_loss(logits, contra, bias)) < float(_loss(logits, contra)) - 0.3
    assert float(_loss(logits, soft, bias)) > float(_loss(logits, soft)) + 0.3
    flat = torch.full((1, 3), float(np.log(1 / 3)))
    assert abs(float(_loss(logits + torch.tensor([[0.5, -1.0, 2.0]]), contra, flat))
               - float(_loss(logits + torch.tensor([[0.5, -1.0, 2.0]]), contra))) < 1e-6


def test_an_unknown_debias_is_refused_before_the_data_and_the_model_load(tmp_path, monkeypatch):
    """``coach judge train --debias`` with a value it does not know fails at once, not after minutes of loading (the
    CLI's choice list refuses it there; this is the library call)."""
    import pytest

    import coach.judge.train as T

    def loads(*a, **k):  # control flow only: nothing may be read before the value is checked
        raise AssertionError("training data read before --debias was checked")

    monkeypatch.setattr(T, "load_records", loads)
    with pytest.raises(ValueError, match="debias 'length': choose overlap"):
        T.train(tmp_path / "judge", debias="length", progress=False)
    assert not (tmp_path / "judge").exists()


def test_close_rewordings_cover_every_trained_record_and_keep_both_labels():
    """Every in-subject record has two hand-written close rewordings (data/close/); each entails its
    premise both ways and contradicts each of the premise's contradictions."""
    from coach.judge.data import close_pairs, load_close
    from coach.judge.model import CONTRADICTION, ENTAILMENT

    records, _ = load_records()
    close = load_close()
    in_subject = [r for r in records if not r["id"].startswith("net-")]
    assert all(len(close.get(r["id"], [])) == 2 for r in in_subject)
    rec = in_subject[0]
    pairs = close_pairs(rec, close[rec["id"]])
    assert {(p.premise, p.hypothesis) for p in pairs if p.label == ENTAILMENT} >= {(rec["premise"].strip(), close[rec["id"]][0])}
    assert sum(p.label == CONTRADICTION for p in pairs) == 2 * len(rec["contradict"])
    assert all(close[rec["id"]][0] in (p.premise, p.hypothesis) or close[rec["id"]][1] in (p.premise, p.hypothesis) for p in pairs)


def test_training_pairs_selection_never_takes_dev_or_test_pairs():
    import pytest

    from coach.judge.train import select_pairs

    records, _ = load_records()
    splits = build_pairs(records)
    held_out = {p.record for name in ("dev", "test", "oos") for p in splits[name]}
    mixed = select_pairs(splits, init=False, extra=("close", "true"), max_pairs=3000, rng=random.Random(13))
    assert len(mixed) == 3000 and not {p.record for p in mixed} & held_out
    kinds = Counter("close" if p in set(splits["close_train"]) else "main" if p in set(splits["train"]) else "true" for p in mixed)
    assert min(kinds.values()) > 300  # a uniform sample of the mix holds all three sources
    assert mixed == select_pairs(splits, init=False, extra=("close", "true"), max_pairs=3000, rng=random.Random(13))
    cont = select_pairs(splits, init=True, extra=("lex",), max_pairs=len(splits["lex_train"]) + 100, rng=random.Random(1))
    assert set(splits["lex_train"]) <= set(cont) and len(cont) == len(splits["lex_train"]) + 100
    assert select_pairs(splits, init=False, extra=(), max_pairs=50, rng=random.Random(1)) == splits["train"][:50]
    with pytest.raises(ValueError, match="unknown extra"):
        select_pairs(splits, init=False, extra=("bogus",), max_pairs=None, rng=random.Random(1))
    # KIND:N takes a sample of N pairs of that kind, the other kinds whole, and the refresher fills up
    part = select_pairs(splits, init=True, extra=("unrelated:100", "graded"), max_pairs=5000, rng=random.Random(2))
    assert len(part) == 5000 and set(splits["graded_train"]) <= set(part)
    unrelated = [p for p in part if p.kind.startswith("unrelated")]
    assert len(unrelated) == 100 and set(unrelated) <= set(splits["unrelated_train"])
    assert not {p.record for p in part} & (held_out | {p.record for p in splits["graded_dev"]})
    assert part == select_pairs(splits, init=True, extra=(" unrelated : 100 ", "graded"), max_pairs=5000, rng=random.Random(2))
    for kind in ("graded4", "graded5"):  # the later rounds
        later = select_pairs(splits, init=True, extra=(kind,), max_pairs=1000, rng=random.Random(3))
        assert set(splits[kind + "_train"]) <= set(later) and not set(splits[kind + "_dev"]) & set(later)
    with pytest.raises(ValueError, match="no training pairs"):  # a data folder missing: said, not trained without
        select_pairs({**splits, "graded5_train": []}, init=True, extra=("graded5",), max_pairs=100, rng=random.Random(1))
    for bad in ("unrelated:", "unrelated:0", "unrelated:x", "unrelated:\u00b2"):
        with pytest.raises(ValueError, match="KIND:N"):
            select_pairs(splits, init=True, extra=(bad,), max_pairs=100, rng=random.Random(1))
    with pytest.raises(ValueError, match="more pairs than they have"):
        select_pairs(splits, init=True, extra=(f"graded:{len(splits['graded_train']) + 1}",), max_pairs=100, rng=random.Random(1))
    with pytest.raises(ValueError, match="each kind once"):
        select_pairs(splits, init=True, extra=("unrelated", "unrelated:10"), max_pairs=100, rng=random.Random(1))


def test_cross_writer_pairs_read_the_train_half_only_and_keep_evaluation_premises_out():
    """The `cross` kind (experiment 66): another writer's statement never contradicts the bundled statement it
    matches, each of its wrong versions does; facts of the held-out half (measured by `coach eval judge`) and
    premises of the judge's dev/test/out-of-subject records are never read."""
    from coach.judge.data import NOT_CONTRADICTION, cross_pairs, load_cross, split_of
    from coach.judge.model import CONTRADICTION

    records, _ = load_records()
    rows = load_cross()
    assert len(rows) == 1200 and {r["split"] for r in rows} == {"train", "heldout"}
    held = {r["id"] for r in records if split_of(r) != "train"}
    pairs = build_pairs(records)["cross_train"]
    train_ids = {r["id"] for r in rows if r["split"] == "train"}
    assert pairs and {p.record for p in pairs} <= train_ids
    assert not held & {r["match"]["id"] for r in rows if r["match"] and r["id"] in {p.record for p in pairs if p.kind == "cross_same"}}
    r = next(r for r in rows if r["split"] == "train" and r["match"] and r["match"]["id"] not in held)
    own = cross_pairs([r])
    same = [p for p in own if p.kind == "cross_same"]
    assert [(p.premise, p.hypothesis, p.label) for p in same] == [(r["match"]["text"], r["statement"], NOT_CONTRADICTION)]
    assert {p.hypothesis for p in own if p.kind == "cross_contra" and p.label == CONTRADICTION} == {m["text"] for m in r["misconceptions"]}
    assert not [p for p in cross_pairs([r], held={r["match"]["id"]}) if p.kind != "cross_own"]
