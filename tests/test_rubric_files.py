"""A broken rubric file people edited is skipped with one warning naming it; everything else keeps grading."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach.cli import cli
from coach.config import load_settings
from coach.grading.rubrics import RubricBank

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # app.py lives at the repo root

Q = "What is a perceptron?"


def break_files(home: Path) -> tuple[Path, Path]:
    drafts = home / "rubrics" / "drafts"
    drafts.mkdir(parents=True, exist_ok=True)
    bad_draft = drafts / "x.yaml"
    bad_draft.write_text("rubrics: [\n", encoding="utf-8")  # unclosed YAML list
    bad_user = home / "rubrics" / "mine.yaml"
    bad_user.write_text("rubrics:\n  - id: r1\n", encoding="utf-8")  # valid YAML, missing required fields
    return bad_draft, bad_user


def test_bank_skips_bad_files_and_warns_once(tmp_path, caplog):
    settings = load_settings(home=tmp_path / "home")
    bad_draft, bad_user = break_files(settings.home)
    with caplog.at_level(logging.WARNING, logger="coach.grading.rubrics"):
        bank = RubricBank.load(settings)
        again = RubricBank.load(settings)
    assert len(bank) == len(RubricBank.load()) >= 120 and len(again) == len(bank)  # every bundled rubric loaded
    assert [p.split(":")[0] for p in bank.problems] == [f"skipped rubric file {bad_draft}", f"skipped rubric file {bad_user}"]
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2 and str(bad_draft) in warned[0] and str(bad_user) in warned[1]  # once each, not per load


@pytest.fixture
def broken_home(built_home, tmp_path, monkeypatch, embedder):
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    monkeypatch.setenv("COACH_HOME", str(home))
    monkeypatch.setattr("index.embedder.load_sentence_transformer", lambda settings: embedder)
    return home, *break_files(home)


def test_grade_and_status_go_on_with_a_bad_rubric_file(broken_home, tmp_path):
    home, bad_draft, bad_user = broken_home
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text(json.dumps({"question": Q, "answer": "A single neuron with a weighted sum and a step function."}) + "\n")
    res = CliRunner().invoke(cli, ["grade", "--input", str(inp), "--output", str(out)])
    assert res.exit_code == 0, res.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert "score" in row["grade"], row["grade"]
    assert sum("x.yaml" in line for line in res.stderr.splitlines()) == 1
    assert sum("mine.yaml" in line for line in res.stderr.splitlines()) == 1

    res = CliRunner().invoke(cli, ["index", "status"])
    assert res.exit_code == 0, res.output
    assert f"skipped rubric file {bad_draft}" in res.stdout and f"skipped rubric file {bad_user}" in res.stdout
    st = json.loads(CliRunner().invoke(cli, ["index", "status", "--json"]).stdout)
    assert len(st["rubric_problems"]) == 2


def test_sources_tab_shows_the_skipped_file(broken_home):
    import app
    from coach.service import Coach
    from coach.session import SessionEngine
    from coach.session.render import safe

    home, bad_draft, _ = broken_home
    coach = Coach(load_settings(home=home))
    table, _, _, warnings, *_ = app.Handlers(coach, SessionEngine(coach)).sources_view()
    assert safe(f"skipped rubric file {bad_draft}") in warnings and len(table) == 5  # escaped Markdown


@pytest.mark.parametrize("points,why", [
    ("[{text: 'A perceptron is a linear classifier.', weight: .nan}]", "positive number"),
    ("[{text: 'A perceptron is a linear classifier.', weight: -1}]", "positive number"),
    ("[{text: 'A perceptron is a linear classifier.', weight: 0}]", "positive number"),
    ("[{text: '   '}]", "no text"),
    ("[]", "at least one key point"),
])
def test_a_rubric_that_would_grade_nonsense_is_refused_naming_why(tmp_path, points, why):
    """A weight of NaN made every score NaN (and `coach grade` stopped at that line); a negative one gave
    coverage above 1; no key point graded every answer 'incorrect'. Such a file is skipped, saying why."""
    from coach.grading.rubrics import RubricFileError, load_rubric_file

    path = tmp_path / "mine.yaml"
    path.write_text(f"rubrics:\n  - id: r1\n    question: {Q}\n    model_answer: A linear classifier.\n"
                    f"    key_points: {points}\n", encoding="utf-8")
    with pytest.raises(RubricFileError, match=why):
        load_rubric_file(path, "user")


def test_a_key_point_written_twice_is_kept_once(tmp_path):
    from coach.grading.rubrics import load_rubric_file

    path = tmp_path / "mine.yaml"
    path.write_text(f"rubrics:\n  - id: r1\n    question: {Q}\n    model_answer: A linear classifier.\n"
                    "    key_points: [{text: 'It learns a linear boundary.'}, {text: ' it learns  a linear BOUNDARY.'},"
                    " {text: 'It updates weights on errors.'}]\n", encoding="utf-8")
    (rubric,) = load_rubric_file(path, "user")
    assert [kp.text for kp in rubric.key_points] == ["It learns a linear boundary.", "It updates weights on errors."]


def _drafts(source_text: str):
    from coach.grading.draft import draft_rubric

    return [draft_rubric("draft-q", Q, [("notes.md:1", source_text)], [])]


def test_every_rewrite_of_a_drafts_file_keeps_the_previous_one_under_its_own_backup(tmp_path):
    """Two source changes in a row: both earlier versions (hand edits included) are still on disk, and no
    backup is loaded as a rubric."""
    from coach.grading.draft import write_drafts

    path = tmp_path / "drafts" / "notes-md.yaml"
    assert write_drafts(path, "notes.md", "sha-1", _drafts("A perceptron is a single artificial neuron."))
    path.write_text(path.read_text(encoding="utf-8") + "# my edit 1\n", encoding="utf-8")
    assert write_drafts(path, "notes.md", "sha-2", _drafts("A perceptron is a linear binary classifier."))
    path.write_text(path.read_text(encoding="utf-8") + "# my edit 2\n", encoding="utf-8")
    assert write_drafts(path, "notes.md", "sha-3", _drafts("A perceptron learns by correcting its errors."))
    backups = sorted(p.name for p in path.parent.iterdir() if p != path)
    assert backups == ["notes-md.yaml.bak", "notes-md.yaml.bak.2"], backups
    kept = " ".join((path.parent / b).read_text(encoding="utf-8") for b in backups)
    assert "# my edit 1" in kept and "# my edit 2" in kept
    assert [p.name for p in path.parent.glob("*.yaml")] == ["notes-md.yaml"]


def test_drafts_written_by_two_threads_at_once_are_never_lost_or_missing(tmp_path):
    """Two uploads of one source at once: both writers used one temporary name (one moved the other's file
    away: FileNotFoundError), and the file was briefly missing between the move to backup and the rename."""
    import threading

    from coach.grading.draft import write_drafts
    from coach.grading.rubrics import load_rubric_file

    path = tmp_path / "drafts" / "notes-md.yaml"
    rubrics = _drafts("A perceptron is a single artificial neuron.")
    assert write_drafts(path, "notes.md", "sha-0", rubrics)
    errors, missing, stop = [], [], threading.Event()

    def writer(t):
        for i in range(40):
            try:
                write_drafts(path, "notes.md", f"sha-{t}-{i}", rubrics)
            except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                errors.append(exc)

    def reader():
        while not stop.is_set():
            if not path.exists():
                missing.append(1)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(2)]
    watch = threading.Thread(target=reader)
    watch.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watch.join()
    assert not errors, errors[:3]
    assert not missing
    assert [r.question for r in load_rubric_file(path, "draft")] == [Q]
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_two_sources_with_one_slug_get_drafts_files_of_their_own(tmp_path):
    """"my notes.md" and "my-notes.md" shared one drafts file: every `coach index add` rewrote it twice (one
    source's edits pushed aside each time), and removing one source retired the other's drafts."""
    from coach.grading.draft import drafts_path, retire_drafts, write_drafts

    drafts = tmp_path / "drafts"
    a = drafts_path(drafts, "my notes.md")
    assert write_drafts(a, "my notes.md", "sha-a", _drafts("A perceptron is a single artificial neuron."))
    b = drafts_path(drafts, "my-notes.md")
    assert b != a and write_drafts(b, "my-notes.md", "sha-b", _drafts("A perceptron is a linear classifier."))
    # each source finds its own file again, and an unchanged source rewrites nothing
    assert drafts_path(drafts, "my notes.md") == a and drafts_path(drafts, "my-notes.md") == b
    assert not write_drafts(a, "my notes.md", "sha-a", _drafts("A perceptron is a single artificial neuron."))
    assert not write_drafts(b, "my-notes.md", "sha-b", _drafts("A perceptron is a linear classifier."))
    assert retire_drafts(drafts, ["my notes.md"]) == [str(a)]
    assert b.exists() and not a.exists()


def test_a_drafts_file_that_no_longer_parses_is_never_overwritten(tmp_path):
    """A typo in a hand-edited drafts file: left exactly as it is (the bank warns, naming it), even when the
    source changes, so fixing the typo keeps the edits."""
    from coach.grading.draft import drafts_unreadable, write_drafts

    path = tmp_path / "drafts" / "notes-md.yaml"
    assert write_drafts(path, "notes.md", "sha-1", _drafts("A perceptron is a single artificial neuron."))
    broken = path.read_text(encoding="utf-8").replace("rubrics:", "rubrics: [", 1)
    path.write_text(broken, encoding="utf-8")
    assert drafts_unreadable(path)
    assert not write_drafts(path, "notes.md", "sha-2", _drafts("A perceptron is a linear binary classifier."))
    assert path.read_text(encoding="utf-8") == broken and not list(path.parent.glob("*.bak*"))


def test_a_drafted_key_point_is_a_sentence_that_stands_alone():
    """Scraped answers put a list under a lead-in: the lead-in claims nothing alone, so it becomes one key point
    with its items; a lead-in with no list after it is no key point; a clause cut at ";" is joined back."""
    source = (
        "Activation functions decide whether a neuron fires from its weighted input.\n\n"
        "There are many types of activation functions:\n\n- ReLU\n- Sigmoid\n- Tanh\n\n"
        "Here is the difference between the two kinds of layer:\n\n"
        "Dense layer Convolutional layer\n"
        "A shallow network has only one hidden layer; it can still fit any function given enough units."
    )
    (rubric,) = _drafts(source)
    points = [kp.text for kp in rubric.key_points]
    assert points == [
        "Activation functions decide whether a neuron fires from its weighted input.",
        "There are many types of activation functions: ReLU, Sigmoid, Tanh.",
        "A shallow network has only one hidden layer; it can still fit any function given enough units.",
    ], points
    assert not any(p.endswith((":", ";")) or p[:1].islower() for p in points)
    assert rubric.model_answer == " ".join(points)


def test_a_sentence_hard_wrapped_across_lines_is_one_key_point():
    """PDF text keeps the page's line breaks: a line that starts in lowercase after one with no closing punctuation
    continues its sentence. A line after a finished sentence, or a list item, stays its own."""
    from coach.grading.draft import point_sentences

    text = ("Self-attention weighs every token of the\nsequence against every other token, so its cost grows\n"
            "quadratically with the length.\nwhich is why long inputs are split.\n- masked heads look\nonly to the left")
    assert point_sentences(text) == [
        "Self-attention weighs every token of the sequence against every other token, so its cost grows "
        "quadratically with the length.",
        "which is why long inputs are split.",
        "masked heads look only to the left",
    ]


CACHE_TABLE = (
    "They differ in who writes to the cache and when the database is updated. The table below compares them.\n"
    "| Strategy | How writes work | Consistency | Typical use |\n"
    "| Cache-aside | App writes to the DB and invalidates the cache; reads fill it on a miss | Stale reads until "
    "invalidation | Read-heavy workloads, e.g. product catalogues |\n"
    "| Write-back | Writes go to the cache; the DB is updated later | Risk of data loss if the cache node fails | "
    "Write-heavy counters |\n"
    "Pick one per workload. Shell users write cat f | grep x | wc -l here.")


def test_each_table_row_is_one_key_point_labelled_by_its_header():
    """A system-design walkthrough's table question was graded against "The table below compares them." and the
    header row, and its first row was cut at "e.g."; the other rows were no key point at all. Each row is now one point
    with its cells labelled by the header; the header row and a sentence that only points at the table say nothing."""
    from coach.grading.draft import point_sentences
    from coach.grading.text import statements

    points = point_sentences(CACHE_TABLE)
    assert points == [
        "They differ in who writes to the cache and when the database is updated.",
        "Strategy: Cache-aside; How writes work: App writes to the DB and invalidates the cache; reads fill it on a miss; "
        "Consistency: Stale reads until invalidation; Typical use: Read-heavy workloads, e.g. product catalogues.",
        "Strategy: Write-back; How writes work: Writes go to the cache; the DB is updated later; Consistency: Risk of "
        "data loss if the cache node fails; Typical use: Write-heavy counters.",
        "Pick one per workload.",
        "Shell users write cat f | grep x | wc -l here.",  # one line with bars after a table is not one of its rows
    ]
    assert statements(CACHE_TABLE) == points  # Ask reads a passage the same way
    # a Markdown table: the separator row is no row; two columns of whole sentences, each labelled
    md = "| Batch | Stochastic |\n|---|---|\n| Uses the whole dataset. | Uses one sample. |"
    assert statements(md) == ["Batch: Uses the whole dataset; Stochastic: Uses one sample."]
    assert statements("a | b | c") == ["a | b | c"]  # a line alone is not a table
    # found in a review: cells keep their columns (a blank corner cell shifted every label), a GFM delimiter row with
    # colons is no row, an escaped bar is the cell's text, list items and prose with bars are no table, and a
    # sentence that says something and "below" is kept
    assert statements("|  | TCP | UDP |\n|---|---|---|\n| Reliable | Yes | No |") == ["Reliable: TCP: Yes; UDP: No."]
    assert statements("| Feature | SQL | NoSQL |\n|---|---|---|\n| Joins |  | limited |") == ["Feature: Joins; NoSQL: limited."]
    assert statements("| A | B |\n| :-: | -: |\n| x | y |") == ["A: x; B: y."]
    assert statements("| Op | Meaning |\n|---|---|\n| a \\| b | bitwise or |") == ["Op: a | b; Meaning: bitwise or."]
    assert statements("ps aux | grep python | wc -l counts\ncat f | sort | uniq drops") == [
        "ps aux | grep python | wc -l counts", "cat f | sort | uniq drops"]
    assert len(statements("- ps aux | grep python | wc -l counts\n- cat f | sort | uniq drops")) == 2
    assert statements("Batch | SGD\n--- | ---\nWhole dataset | One sample\n") == ["Batch: Whole dataset; SGD: One sample."]
    assert statements("Keep the load factor below 0.75 to avoid collisions.\n| Load | Cost |\n|---|---|\n| 0.5 | low |") \
        == ["Keep the load factor below 0.75 to avoid collisions.", "Load: 0.5; Cost: low."]
    assert statements("See P(A|B) and P(B|A) in the table below:\n| Term | Formula |\n| Bayes | P(A|B) = P(B|A) P(A) / P(B) |") \
        == ["Term: Bayes; Formula: P(A|B) = P(B|A) P(A) / P(B)."]


def test_a_sentence_mark_inside_a_short_quote_ends_no_sentence():
    """A walkthrough's key point was cut at the "..." of `f"... WHERE email = '{x}'"`; an inch mark is no quote (a
    review: "A 12" pizza is large." took the next sentence in), and a long text is read in linear time."""
    import time

    from coach.grading.text import sentences

    assert sentences("Never build it with formatting such as f\"... WHERE email = '{x}'\". Use parameters.") == [
        "Never build it with formatting such as f\"... WHERE email = '{x}'\".", "Use parameters."]
    assert sentences('A 12" pizza is large. A "medium" is 10 inches. Done.') == [
        'A 12" pizza is large.', 'A "medium" is 10 inches.', "Done."]
    assert sentences('He said "no". Then he left.') == ['He said "no".', "Then he left."]
    start = time.perf_counter()
    assert len(sentences(" ".join('"a. b".' for _ in range(20000)))) == 20000
    assert time.perf_counter() - start < 20  # a hang guard, not a speed target (it was quadratic: minutes)


def test_a_long_list_under_a_lead_in_is_cut_into_readable_key_points_and_keeps_every_item():
    """Items past the length limit go on in a further point under the same lead-in: they were dropped, and a user
    walkthrough's TLS answer lost steps 3-5 from its key points and its model answer."""
    from coach.grading.draft import MAX_POINT_WORDS, point_sentences

    steps = "\n".join(f"- Step {i}: adjust weights by gradients" for i in range(9))  # short items: joined
    points = point_sentences("There are nine steps in training:\n" + steps)
    assert len(points) > 1 and all(p.startswith("There are nine steps in training: Step ") for p in points)
    assert all(len(p.split()) <= MAX_POINT_WORDS and p.endswith(".") for p in points)
    assert [i for i in range(9) if any(f"Step {i}:" in p for p in points)] == list(range(9))
    numbered = point_sentences("In a TLS handshake the steps are:\n" + "\n".join(
        f"{i}. The {w} message is sent by one side and read by the other side before the next step" for i, w in
        enumerate(["ClientHello", "ServerHello", "Certificate", "KeyShare", "Finished"], 1)))
    assert all(any(w in p for p in numbered) for w in ["ClientHello", "Certificate", "Finished"]), numbered
    # an item that ends with "!" ends the point ("Use it with care!." in a walkthrough)
    assert point_sentences("It has two modes:\n- --soft keeps changes.\n- --hard drops them. Use it with care!") == [
        "It has two modes: --soft keeps changes; --hard drops them. Use it with care!"]


def test_a_drafts_file_nobody_edited_is_rewritten_without_a_backup(tmp_path):
    """A walkthrough's drafts folder held eleven ``.bak`` files, one per reported error, each the drafter's own
    text: only a file holding something the drafter did not write is kept aside."""
    from coach.grading.draft import edited_by_hand, write_drafts
    from coach.grading.rubrics import load_rubric_file

    path = tmp_path / "drafts" / "notes-md.yaml"
    for n, text in enumerate(("A perceptron is a single artificial neuron.", "A perceptron is a linear classifier.",
                              "A perceptron learns by correcting its errors.")):
        assert write_drafts(path, "notes.md", f"sha-{n}", _drafts(text))
        assert not edited_by_hand(path)
    assert [p.name for p in path.parent.iterdir()] == ["notes-md.yaml"]
    assert [kp.text for kp in load_rubric_file(path, "draft")[0].key_points] == ["A perceptron learns by correcting its errors."]
    path.write_text(path.read_text(encoding="utf-8").replace("correcting its errors", "correcting its mistakes"),
                    encoding="utf-8")
    assert edited_by_hand(path)
    assert write_drafts(path, "notes.md", "sha-9", _drafts("A perceptron is a single artificial neuron."))
    assert "correcting its mistakes" in (path.parent / "notes-md.yaml.bak").read_text(encoding="utf-8")


def test_drafts_written_by_older_drafting_rules_are_redrafted_and_kept_as_a_backup(tmp_path):
    """Drafting rules change between versions: a drafts file written by older rules is redrafted (like one whose
    source changed), and the older file, hand edits included, stays on disk as a backup."""
    import yaml

    from coach.grading.draft import DRAFTER, drafts_state, write_drafts

    path = tmp_path / "drafts" / "notes-md.yaml"
    assert write_drafts(path, "notes.md", "sha-1", _drafts("A perceptron is a single artificial neuron."))
    assert drafts_state(path, "sha-1") == "current"
    assert not write_drafts(path, "notes.md", "sha-1", _drafts("A perceptron is a single artificial neuron."))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["drafter"] == DRAFTER
    del data["drafter"]  # as the first drafting rules wrote it
    path.write_text(yaml.safe_dump(data) + "# my edit\n", encoding="utf-8")
    assert drafts_state(path, "sha-1") == "stale"
    assert write_drafts(path, "notes.md", "sha-1", _drafts("A perceptron is a single artificial neuron."))
    assert drafts_state(path, "sha-1") == "current"
    assert "# my edit" in (path.parent / "notes-md.yaml.bak").read_text(encoding="utf-8")


def test_a_flagged_claims_correction_is_a_key_point_past_the_cap_and_e_g_cuts_no_sentence():
    """A walkthrough reported the fifth sentence of a source answer as wrong: a drafted rubric keeps four key points,
    so the correction was never one, and a correct answer scored 5.2 partial. Its key points also ended at "e.g."
    ("... a request that changes state, e.g.")."""
    from coach.grading.draft import MAX_POINTS, draft_rubric

    answer = ("Raft elects a leader with randomized election timeouts in every cluster of nodes. "
              "A candidate needs votes from a majority of the nodes to become leader. "
              "The leader appends entries to its log and replicates them to followers. "
              "An entry is committed once a majority of nodes have stored it, e.g. three of five nodes. "
              "A five-node cluster tolerates at most three failed nodes at the same time. "
              "Followers redirect client requests to the current leader node.")
    plain = draft_rubric("d", "How does Raft work?", [("n.md:1", answer)], [])
    assert len(plain.key_points) == MAX_POINTS
    assert plain.key_points[3].text == "An entry is committed once a majority of nodes have stored it, e.g. three of five nodes."
    flag = {"quote": "A five-node cluster tolerates at most three failed nodes at the same time.", "verdict": "error",
            "correction": "A five-node cluster tolerates at most two failed nodes (a majority of three must survive).",
            "kind": "reported", "record_id": "n.md:1"}
    fixed = draft_rubric("d", "How does Raft work?", [("n.md:1", answer)], [flag])
    texts = [kp.text for kp in fixed.key_points]
    assert texts[:MAX_POINTS] == [kp.text for kp in plain.key_points] and texts[MAX_POINTS:] == [flag["correction"]]
    assert "three failed nodes" not in " ".join(texts) and fixed.misconceptions[0].text == flag["quote"]


def test_list_items_that_are_sentences_are_key_points_without_their_lead_in():
    """A walkthrough's drafted points each began with the answer's lead-in ("Neither can be instantiated directly, and
    they serve different purposes: Since Java 8 ..."), and the hints named its words ("instantiated", "purposes"):
    items that are all sentences stand alone; short items are still joined with their lead-in."""
    from coach.grading.draft import point_sentences

    text = ("Neither can be instantiated directly, and they serve different purposes:\n"
            "- A class can extend only one abstract class, but it can implement many interfaces.\n"
            "- Since Java 8 an interface can have default and static methods, and private ones since Java 9.")
    assert point_sentences(text) == [
        "A class can extend only one abstract class, but it can implement many interfaces.",
        "Since Java 8 an interface can have default and static methods, and private ones since Java 9."]
    mixed = text + "\n\nThe common ones are:\n- ReLU\n- a long item that is a whole sentence about tanh units"
    assert point_sentences(mixed)[-1] == "The common ones are: ReLU; a long item that is a whole sentence about tanh units."
