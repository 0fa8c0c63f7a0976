"""Ask the coach on the real bundled index: grounded, cited, honest when nothing is relevant, and
warning when a cited passage is flagged by the source audit."""

from __future__ import annotations

import pytest


def own_coach(built_home, tmp_path):
    """A Coach over a copy of the shared built home, which it may change (sources added, drafts written)."""
    import shutil

    from coach.config import load_settings
    from coach.service import Coach

    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    return Coach(load_settings(home=home))


def coach_with(built_home, tmp_path, name: str, text: str):
    """``own_coach`` with one source of ``text`` added as ``name``."""
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    c = own_coach(built_home, tmp_path)
    c.add_sources([src])
    return c


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

    c = own_coach(built_home, tmp_path)
    chapter = tmp_path / "chapter.md"
    chapter.write_text(
        "# Regularisation\n\n## Dropout\n\nDropout randomly switches off a fraction of the units of a layer at every "
        "training step, so units cannot rely on specific other units. This reduces overfitting. At inference time "
        "all units are kept and activations are scaled so their expected value matches training.\n"
    )
    report = c.add_sources([chapter])
    assert report["added"] == ["chapter.md"]
    assert report["notes"] == ["chapter.md: no question/answer pairs found; indexed as 1 passage that Ask can quote; "
                               "asked as \"Explain ...\" questions: 1 of 1"]
    items = [q for q in c.question_bank() if q.record_ids[0].startswith("chapter.md")]
    assert items and items[0].question.startswith("Explain dropout")
    # an answer quoted from the added passage says that nothing vouches for it; one from a reviewed rubric does not
    from coach.ask import _unreviewed

    said = c.ask("Why can units not rely on specific other units during training?")
    assert "switches off a fraction of the units" in "".join(said.stream) and said.citations[0].source == "chapter.md"
    (warning,) = [w for w in said.warnings if w.startswith("This answer quotes")]
    assert warning.startswith("This answer quotes chapter.md lines") and "cannot verify" in warning
    assert _unreviewed(c, c.index.get("000_89ca2624adfbc5ce.txt:222")) == []  # the dropout question's reviewed rubric
    good = c.grade(items[0].question, "During training dropout randomly turns off some units so they cannot co-adapt, which reduces overfitting; at test time all units are used with scaled activations.", question_id=items[0].id)
    bad = c.grade(items[0].question, "Dropout is a learning-rate schedule that halves the step size every epoch.", question_id=items[0].id)
    assert good.score > bad.score + 2 and good.references[0].source == "chapter.md"


def test_added_source_gets_editable_draft_rubrics_versioned_by_hash(tmp_path, built_home):
    import yaml

    from coach.config import load_settings
    from coach.service import Coach


    c = own_coach(built_home, tmp_path)
    home = c.settings.home
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


def test_a_matched_source_answer_states_the_correction_not_the_flagged_sentence():
    from coach.ask import corrected_answer

    text = "A primary key identifies each row. A primary key can contain NULL values and duplicates. Tables use one."
    flags = [{"quote": "A primary key can contain NULL values and duplicates.", "correction": "A primary key is unique and never NULL.",
              "kind": "knowledge"}]
    out = corrected_answer(text, flags)
    assert "can contain NULL" not in out and "never NULL" in out and out.startswith("A primary key identifies")
    assert corrected_answer(text, [dict(flags[0], correction="")]).count("NULL") == 0  # no correction: dropped


def test_a_source_answers_list_stays_a_list_with_its_flagged_item_corrected():
    """A walkthrough's model answers ran a list on as prose ("It has three main modes: - --soft ... - --mixed ..."), in
    the chat, the Markdown export and the study cards."""
    from coach.ask import corrected_answer

    text = ("git reset moves the current branch pointer. It has three main modes:\n"
            "- --soft discards all changes in the staging area and the working directory.\n"
            "- --mixed (the default) unstages the changes but keeps them in the working directory.\n"
            "• --hard throws away all staged and unstaged changes.\n"
            "Use it with care.")
    flags = [{"quote": "--soft discards all changes in the staging area", "kind": "reported",
              "correction": "--soft only moves the branch pointer; the changes stay staged."}]
    assert corrected_answer(text, flags).split("\n") == [
        "git reset moves the current branch pointer. It has three main modes:",
        "- --soft only moves the branch pointer; the changes stay staged.",
        "- --mixed (the default) unstages the changes but keeps them in the working directory.",
        "- --hard throws away all staged and unstaged changes.", "", "Use it with care."]
    assert corrected_answer("Steps:\n1. Install it.\n2. Run it.", []) == "Steps:\n1. Install it.\n2. Run it."
    # a hard-wrapped item stays one item (it was cut in two around a blank line: a review)
    assert corrected_answer("Modes:\n- --soft moves HEAD and keeps\nthe index as it is.\n- --hard resets the index and\n"
                            "  the working tree.\nUse it with care.", []).split("\n") == [
        "Modes:", "- --soft moves HEAD and keeps the index as it is.", "- --hard resets the index and the working tree.",
        "", "Use it with care."]


def test_answers_are_sentences_of_one_passage_never_questions_or_flagged(coach):
    from coach import ask as ask_mod

    for q in ("why do gradients shrink to nothing in recurrent nets", "compare full batch GD and SGD",
              "What goes wrong if I start training with every weight set to zero?"):
        ans = ask_mod.answer(coach, q, allow_llm=False)
        assert ans.route in ("sentences", "record", "reviewed"), (q, ans.route)
        body = ans.text.rsplit(" [", 1)[0]
        assert not any(s.endswith("?") for s in ask_mod._sentences(body)), ans.text  # a heading is not an answer
        quotes = [ask_mod._norm(f.get("quote", "")) for c in ans.citations for f in c.flags if f.get("quote")]
        assert not any(ask_mod._flagged(s, quotes) for s in ask_mod._sentences(body)), ans.text


def test_out_of_scope_questions_are_declined(coach):
    from coach import ask as ask_mod

    for q in ("Walk me through the TLS handshake.", "How do I renew my passport?"):
        ans = ask_mod.answer(coach, q, allow_llm=False)
        assert ans.route == "refused" and not ans.citations and "won't guess" in ans.text


@pytest.mark.xfail(strict=True, reason="measured gap: the judge gives an unrelated passage sentence ('At test time all "
                   "units are kept.') entailment 0.54 for 'Dropout doubles the learning rate', so the check keeps it")
def test_generated_sentences_the_passage_does_not_support_are_dropped(coach):
    from coach.ask import supported_sentences

    passage = ("Dropout randomly switches off a fraction of the units during training so that units cannot co-adapt. "
               "At test time all units are kept.")
    kept, dropped = supported_sentences(coach.nli, "Dropout switches off random units while training. "
                                        "Dropout doubles the learning rate at every epoch.", [passage])
    assert kept == ["Dropout switches off random units while training."]
    assert dropped == ["Dropout doubles the learning rate at every epoch."]


def test_a_flagged_claim_in_a_bulleted_item_is_never_stated():
    """A list item cut at ";" kept its "- " bullet, so it neither held the flag's quote nor was held by it: Ask
    stated the flagged claim right beside its correction."""
    from coach.ask import _flagged, corrected_answer

    quote = "- Momentum: Used to get an idea of the next steps that occur with the data being executed; it is set to 0.9."
    flag = {"quote": quote, "correction": "Momentum keeps an exponentially decaying average of past gradients.",
            "kind": "factual"}
    text = ("- It is one of the optimizer settings tuned before training starts.\n"
            "- Momentum: Used to get an idea of the next steps that occur with the data being executed; it is set to 0.9.")
    out = corrected_answer(text, [flag])
    assert "next steps that occur" not in out and "decaying average of past gradients" in out
    assert _flagged("- Momentum: Used to get an idea of the next steps that occur with the data being executed", [quote])
    assert not _flagged("- It is one of the optimizer settings tuned before training starts.", [quote])


def test_of_two_flags_on_a_sentence_the_one_with_a_correction_is_said():
    # a code flag listed first on the same sentence hid the fact flag's correction (a review)
    from coach.ask import corrected_answer

    text = "Call model.fit(x) to train; it never overfits. Then evaluate it."
    code = {"quote": "Call model.fit(x) to train; it never overfits.", "kind": "code", "correction": "Close the bracket."}
    fact = {"quote": "Call model.fit(x) to train; it never overfits.", "kind": "knowledge",
            "correction": "Training can overfit: watch the validation loss."}
    assert corrected_answer(text, [code, fact]).startswith("Training can overfit: watch the validation loss.")


def test_a_source_answers_table_is_shown_as_a_table_and_a_flagged_row_as_its_correction():
    """A walkthrough's model answers showed a table as run-on prose ("Property: Layout; Parquet: Columnar; CSV:
    Row-based text. Property: Schema; ..."): it is shown as one fixed-width block with its columns lined up; a table
    with a flagged cell is said row by row, the flagged row as its correction."""
    from coach.audit.corrected import corrected_answer

    text = ("They differ in layout. The table below compares them.\n| Property | Parquet | CSV |\n|---|---|---|\n"
            "| Layout | Columnar | Row-based text |\n| Schema | Embedded | None |\nPick by workload.")
    assert corrected_answer(text, []) == (
        "They differ in layout. The table below compares them.\n\n```text\n| Property | Parquet  | CSV            |\n"
        "|----------|----------|----------------|\n| Layout   | Columnar | Row-based text |\n"
        "| Schema   | Embedded | None           |\n```\n\nPick by workload.")
    flagged = corrected_answer(text.replace("| Columnar |", "| Row-oriented |"),
                               [{"quote": "Row-oriented", "correction": "Parquet stores data by column."}])
    assert "```" not in flagged and "Parquet stores data by column." in flagged and "Row-oriented" not in flagged
    assert "Property: Schema; Parquet: Embedded; CSV: None." in flagged


def test_a_source_answer_keeps_its_code_block_whole_and_a_report_never_edits_code():
    """A walkthrough's Ask answer showed its code as one line with the fence marks, stopped after three of five lines,
    and after a report on the sentence beside it lost "items = []" (code that crashes on None)."""
    from coach.ask import _marked, corrected_answer
    from coach.grading.text import text_and_code

    code = "def add(item, items=None):\n    if items is None:\n        items = []\n    items.append(item)\n    return items"
    text = ("Default values are evaluated once. Use None as the default.\n\n```python\n" + code + "\n```\n\n"
            "This is why def add(item, items=[]) is the recommended way.")
    flags = [{"quote": "This is why def add(item, items=[]) is the recommended way.",
              "correction": "Never use a mutable default such as items=[].", "kind": "knowledge"}]
    out = corrected_answer(text, flags)
    assert ("```python\n" + code + "\n```") in out and "recommended way" not in out, out
    assert [c for c, lang in text_and_code(out) if lang is not None] == [code]
    assert out.endswith("Never use a mutable default such as items=[].")
    marked = _marked("Use None.\n\n```python\n" + code + "\n```")
    assert marked.endswith("```\n\n[1]") and [c for c, lang in text_and_code(marked) if lang] == [code]
    assert _marked("Use None.") == "Use None. [1]"


def test_a_drafted_questions_model_answer_is_its_sources_answer_with_its_code(tmp_path, built_home):
    """A walkthrough's Python source had seven code blocks and none reached a model answer, a revealed answer or a study
    card (a drafted model answer was its key points joined: no code, nothing past the fourth sentence)."""
    from coach.service import Coach
    from coach.session import SessionEngine

    c = own_coach(built_home, tmp_path)
    code = "def read_lines(path):\n    with open(path) as f:\n        for line in f:\n            yield line"
    src = tmp_path / "py.md"
    src.write_text("# Python notes\n\n## 1. How do you read a huge file lazily?\n\nIterate over the file object: it yields "
                   "one line at a time, so memory stays constant.\n\n```python\n" + code + "\n```\n\nEach line is read "
                   "only when the loop asks for it.\n\n## 2. What is a decorator?\n\nA decorator is a function that "
                   "takes a function and returns a new function that wraps it.\n", encoding="utf-8")
    c.add_sources([src])
    (item,) = [i for i in c.question_bank() if i.question == "How do you read a huge file lazily?"]
    assert ("```python\n" + code + "\n```") in item.model_answer and item.model_answer.startswith("Iterate over")
    assert item.model_answer.rstrip().endswith("only when the loop asks for it.")
    g = c.grade(item.question, "Loop over the file object; it yields lines lazily.", question_id=item.id)
    assert g.model_answer == item.model_answer
    assert SessionEngine(c).model_answer_now(item.id, item.question) == item.model_answer
    rubric = c.rubrics.get(item.id)
    assert "```" not in rubric.model_answer  # what grading reads is unchanged: the key points
    # read from the rubric's own misconceptions, never the audit's view (it made `coach sessions export` 8 s slower)
    from unittest import mock

    with mock.patch.object(Coach, "audit", new_callable=mock.PropertyMock, side_effect=AssertionError("audit read")):
        assert c.shown_model_answer(rubric) == item.model_answer


def test_a_table_row_is_quoted_whole_with_its_header(tmp_path, built_home):
    """A walkthrough asked which caching strategy risks losing data and got cells of three rows run together, never
    the row's own name; a table question was drafted against its header row. Ask now reads a table row as one
    statement labelled by its header, and a drafted question's key points are its rows."""
    from coach.ask import answer

    c = own_coach(built_home, tmp_path)
    src = tmp_path / "net.md"
    src.write_text("# Networking notes\n\n## 1. How do TCP and UDP differ?\n\nBoth are transport protocols. The table "
                   "below compares them.\n\n| Protocol | Delivery | Connection | Typical use |\n|---|---|---|---|\n"
                   "| TCP | Reliable, ordered delivery with retransmission of lost segments | Connection-oriented, "
                   "three-way handshake | Web pages, e.g. HTTP/1.1 and email |\n| UDP | Best effort: datagrams may be "
                   "lost, duplicated or reordered | Connectionless | Video calls, DNS lookups and online games |\n",
                   encoding="utf-8")
    added = c.add_sources([src])
    assert added["audit"] == {"flags": 0, "errors": 0}  # what the audit found in it, for the upload's message
    a = answer(c, "Which transport protocol may lose, duplicate or reorder datagrams?", allow_llm=False)
    assert "Protocol: UDP; Delivery: Best effort: datagrams may be lost, duplicated or reordered" in a.text, a.text
    assert "|" not in a.text and "TCP" not in a.text, a.text  # the row asked about, whole; not the whole table
    # a one-question page is read as passages: its heading is the question, without its number
    (item,) = [i for i in c.question_bank() if i.question == "How do TCP and UDP differ?"]
    points = [kp.text for kp in c.rubrics.get(item.id).key_points]
    assert points == ["Protocol: TCP; Delivery: Reliable, ordered delivery with retransmission of lost segments; "
                      "Connection: Connection-oriented, three-way handshake; Typical use: Web pages, e.g. HTTP/1.1 and email.",
                      "Protocol: UDP; Delivery: Best effort: datagrams may be lost, duplicated or reordered; Connection: "
                      "Connectionless; Typical use: Video calls, DNS lookups and online games."], points


def test_a_plain_text_sources_indented_code_is_shown_as_code(tmp_path, built_home):
    """A walkthrough's .txt source had an indented sqlite3 snippet: the model answer ran it into its sentences
    ("it looks like this: import sqlite3 conn = ..."), and the sentence after it was cut at the "..." inside its
    f-string, in the drafted key point and in Ask's answer."""

    c = own_coach(built_home, tmp_path)
    src = tmp_path / "sec.txt"
    src.write_text(
        "Security notes\n\nQ1: How do you prevent SQL injection?\nA: Use parameterised queries, where the query text and "
        "the data are sent separately. With sqlite3 it looks like this:\n\n    import sqlite3\n\n    conn = "
        "sqlite3.connect(\"app.db\")\n    cur = conn.cursor()\n    cur.execute(\"SELECT id FROM users WHERE email = ?\", "
        "(email,))\n\nNever build the query with string formatting such as f\"... WHERE email = '{email}'\". "
        "Least-privilege accounts limit the damage.\n\nQ2: What is XSS?\nA: Cross-site scripting injects a script into "
        "a page that other users load.\n", encoding="utf-8")
    c.add_sources([src])
    (item,) = [i for i in c.question_bank() if i.question == "How do you prevent SQL injection?"]
    code = "```\nimport sqlite3\n\nconn = sqlite3.connect(\"app.db\")\ncur = conn.cursor()\n"
    assert code in item.model_answer, item.model_answer
    assert "Never build the query with string formatting such as f\"... WHERE email = '{email}'\"." in item.model_answer
    assert item.model_answer.rstrip().endswith("Least-privilege accounts limit the damage.")
    points = [kp.text for kp in c.rubrics.get(item.id).key_points]
    assert "Never build the query with string formatting such as f\"... WHERE email = '{email}'\"." in points, points


def test_a_fenced_answer_never_puts_a_fence_in_a_fence(tmp_path):
    """A review: a code run holding a bare line before its Markdown fence was wrapped again, so the prose after it was
    shown as code and the block lost its language. A run that holds a fence line is left as it is."""
    from coach.audit.corrected import corrected_answer
    from coach.grading.text import text_and_code
    from corpus import parse_paths
    from corpus.records import Block, Record

    doc = tmp_path / "a.md"
    doc.write_text("# Python questions\n\n## 1. How do you read a file lazily?\n\nUse a generator.\n\nimport os\n\n"
                   "```python\ndef read_lines(path):\n    with open(path) as f:\n        yield from f\n```\n\n"
                   "This keeps memory constant.\n\n## 2. What is the GIL?\n\nA lock that lets one thread run bytecode.\n",
                   encoding="utf-8")
    rec = parse_paths([doc])[0].records[0]
    assert rec.fenced_answer().count("```") == 2
    assert [lang for _, lang in text_and_code(corrected_answer(rec.fenced_answer(), []))][-2:] == ["python", None]
    code = "x = 1\ny = 2"
    rec = Record(id="s:1", source="s", question="q", answer="Look:\n" + code + "\nDone.", line_start=1, line_end=4,
                 blocks=[Block(type="code", text=code, line_start=2, line_end=3)])
    assert rec.fenced_answer() == "Look:\n```\n" + code + "\n```\nDone."


def test_a_question_that_names_something_of_the_code_is_shown_the_code(tmp_path, built_home):
    """A walkthrough asked what calling next() twice returns in its makeCounter example and got the prose around the
    snippet; the answer (1, then 2) was only in the collapsed citation."""
    from coach.ask import _names_code, answer

    c = own_coach(built_home, tmp_path)
    src = tmp_path / "js.md"
    src.write_text("# JavaScript notes\n\n## 1. What is a closure?\n\nA closure is a function bundled with the variables "
                   "of the scope it was created in; it keeps them after the outer function returns.\n\n```js\n"
                   "function makeCounter() {\n  let count = 0;\n  return () => ++count;\n}\nconst next = makeCounter();\n"
                   "next(); // 1\nnext(); // 2\n```\n\n## 2. What is hoisting?\n\nDeclarations are moved to the top of "
                   "their scope before the code runs.\n", encoding="utf-8")
    c.add_sources([src])
    a = answer(c, "What does calling next() twice return in the makeCounter closure example?", allow_llm=False)
    assert "next(); // 2" in a.text and "```js" in a.text, a.text
    assert not _names_code("What is e.g. a closure?", "e.g = 1") and not _names_code("What is a closure?", "x")
    # no sentence of the prose is close to a question about the code alone: the passage whose code it names answers
    # (a walkthrough's "What does the daily_revenue function do?" was declined)
    a = answer(c, "What does makeCounter return?", allow_llm=False)
    assert a.route == "sentences" and "function makeCounter()" in a.text, (a.text, a.signals)


def test_a_sentence_with_every_word_asked_about_answers_the_question(tmp_path, built_home):
    """A Kubernetes walkthrough's "What is the default NodePort range?" and "What is a headless Service?" were refused
    ("I found nothing in your sources") though one sentence said each word for word: the passage as a whole was too
    far from the question (cosine 0.34 < 0.37), or its sentence was (0.33 < 0.40)."""
    from coach.ask import answer

    c = coach_with(built_home, tmp_path, "k8s.md",
        "# Kubernetes notes\n\n## 1. What types of Services are there in Kubernetes?\n\n"
        "ClusterIP is the default and exposes the Service on an internal virtual IP reachable only inside the cluster. "
        "NodePort exposes the Service on a static port on every node's IP; by default the port is allocated from the "
        "range 30000-32767. LoadBalancer provisions an external load balancer from the cloud provider, and ExternalName "
        "maps the Service to a DNS name with a CNAME record. A headless Service (clusterIP: None) gives each Pod its "
        "own DNS record, which StatefulSets rely on.\n\n## 2. What is a Pod?\n\nA Pod is the smallest deployable unit "
        "in Kubernetes: one or more containers that share a network namespace and storage volumes.\n")
    ranged = answer(c, "What is the default NodePort range?", allow_llm=False)
    assert ranged.route == "sentences" and "30000-32767" in ranged.text, (ranged.text, ranged.signals)
    headless = answer(c, "What is a headless Service?", allow_llm=False)
    assert "own DNS record" in headless.text, (headless.text, headless.signals)
    assert answer(c, "What is the default font size of a web page?", allow_llm=False).route == "refused"


def test_a_clause_that_leans_on_the_one_before_it_is_said_with_it(tmp_path, built_home):
    """A C++ walkthrough asked for the default stack size and was told "The stack holds local variables and function
    call frames. its lifetime is controlled by the programmer and allocation is slower ...": the back half of the
    source's sentence about the heap, cut at ";", read as a statement about the stack."""
    from coach.ask import answer

    src = tmp_path / "cpp.md"
    src.write_text(
        "# C++ memory\n\n## 1. What is the difference between stack and heap memory?\n\n"
        "The stack holds local variables and function call frames. Allocation is just a pointer bump, it is very fast, "
        "and memory is released automatically when the function returns. The heap (the free store) is used for dynamic "
        "allocation with new or malloc; its lifetime is controlled by the programmer and allocation is slower because "
        "the allocator has to find a free block.\n\nThe stack is small: the default stack size for the main thread on "
        "Linux is usually 8 MB, so large arrays and deep recursion can cause a stack overflow. The heap is limited only "
        "by available virtual memory.\n\n## 2. What is RAII?\n\nRAII ties a resource to an object's lifetime: it is "
        "acquired in the constructor and released in the destructor.\n", encoding="utf-8")
    c = own_coach(built_home, tmp_path)
    c.add_sources([src])
    a = answer(c, "What is the default stack size for the main thread on Linux?", allow_llm=False)
    assert a.route == "sentences" and "8 MB" in a.text, (a.text, a.signals)
    assert ". its" not in a.text, a.text  # never a clause that leans on a sentence not said
    if "its lifetime" in a.text:
        assert "with new or malloc; its lifetime is controlled" in a.text, a.text


def test_a_number_asked_for_is_a_numeral_and_an_acronym_or_identifier_is_read_in_the_passages(tmp_path, built_home):
    """A C++/Linux walkthrough's "Which signal number is SIGTERM?" was declined though a sentence named SIGTERM with its
    number (a question's "number" is said as a numeral); "Which port does HTTPS use?" was answered with a sentence on
    finding the process listening on a port, where no source names HTTPS (experiment 57b). A source that spells out what
    the question abbreviates ("graphics processing unit" for GPU) still answers it, and one naming the question's
    identifier (TIME_WAIT) answers it in other words (experiment 59)."""
    from coach.ask import answer

    c = coach_with(built_home, tmp_path, "linux.md",
        "# Linux notes\n\n## 1. How do you stop a process?\n\n"
        "By default kill PID sends SIGTERM, signal 15, which asks the process to terminate so that it can clean up. "
        "kill -9 PID sends SIGKILL, which cannot be caught or ignored.\n\n"
        "## 2. How do you find which process listens on a port?\n\n"
        "Use ss -tulpn and filter for the port, or lsof -i :PORT; you need root to see other users' processes.\n\n"
        "## 3. What is a graphics processing unit good for?\n\n"
        "A graphics processing unit runs thousands of simple arithmetic operations in parallel, which suits the matrix "
        "multiplications of neural network training.\n\n"
        "## 4. How is a TCP connection closed?\n\n"
        "Normally with a four-way exchange: one side sends FIN, the other acknowledges it, later sends its own FIN, "
        "and the first side acknowledges that. The side that closed first then waits in TIME_WAIT for twice the "
        "maximum segment lifetime so that delayed segments from the old connection die out. A connection can also be "
        "torn down abruptly with an RST.\n")
    sig = answer(c, "Which signal number is SIGTERM?", allow_llm=False)
    assert sig.route != "refused" and "signal 15" in sig.text, (sig.text, sig.warnings, sig.signals)
    https = answer(c, "Which port does HTTPS use?", allow_llm=False)
    assert https.route == "refused" and any("HTTPS" in w for w in https.warnings), (https.text, https.warnings)
    gpu = answer(c, "Why is a GPU good for training neural networks?", allow_llm=False)
    assert gpu.route != "refused" and "in parallel" in gpu.text, (gpu.text, gpu.warnings)
    # a passage naming the identifier a question names answers it in other words (experiment 59: declined before)
    wait = answer(c, "What does the TIME_WAIT state protect against?", allow_llm=False)
    assert wait.route != "refused" and "delayed segments" in wait.text, (wait.text, wait.warnings, wait.signals)


def test_the_open_questions_records_are_held_back(coach):
    """A practice session's open question is not answered by Ask (a walkthrough's ":ask" quoted the answer being
    practised): the records held back are neither quoted nor cited, and the user is told why. When the passage that
    answers best is held back, nothing is quoted (a second walkthrough got an unrelated passage, cited, instead)."""
    from coach.ask import HELD_BACK

    q = "What is the purpose of dropout?"
    first = coach.ask(q)
    "".join(first.stream)
    assert first.citations and HELD_BACK not in first.warnings
    hits = coach.search(q, k=6)
    top = {hits[0].record.id}
    res = coach.ask(q, hold_back=top)
    assert "".join(res.stream) == HELD_BACK and not res.citations
    # a lower passage held back: the answer comes from the others, with the warning
    lower = {h.record.id for h in hits[1:]} - top
    res = coach.ask(q, hold_back=lower)
    text = "".join(res.stream)
    assert HELD_BACK in res.warnings and not lower & {c.record_id for c in res.citations}, res.citations
    assert text.strip() and text != HELD_BACK
    # held back, but about something else (below the relevance floor): nothing is said of it (a walkthrough was told "the
    # passage that answers this ... was left out" beside the passage that did answer it)
    from coach.ask import RELEVANT_MIN

    vecs = coach.index.embed([q] + [h.record.question + " " + h.chunk_text for h in hits])
    far = {h.record.id for h, sim in zip(hits, vecs[1:] @ vecs[0]) if sim < RELEVANT_MIN} - top
    assert far, "the dropout question's last hits are about something else"
    res = coach.ask(q, hold_back=far)
    "".join(res.stream)
    assert HELD_BACK not in res.warnings and res.citations
