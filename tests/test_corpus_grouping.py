"""Topics and cross-source groups (text keys, and the real all-MiniLM-L6-v2 via the `embedder` fixture)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from corpus import TOPICS, group_and_tag, parse_paths, question_key, topic_of
from corpus.topics import source_topic
from corpus.grouping import DEFAULT_THRESHOLD


def by_id(parsed):
    return {r.id: r for ps in parsed for r in ps.records}


def groups(parsed):
    out = defaultdict(list)
    for ps in parsed:
        for r in ps.records:
            out[r.group_id].append(r)
    return out


def test_question_key_normalises_wording():
    assert question_key("What is a perceptron?") == question_key("What is the Perceptron")
    assert question_key("What are hyperparameters in Deep Learning?") == question_key("What Are Hyperparameters?")
    assert question_key("What are autoencoders?") != question_key("What are some of the uses of Autoencoders?")


def test_text_grouping_without_a_model(bundled_dir):
    parsed = parse_paths([bundled_dir])
    ids = by_id(parsed)
    assert ids["000_89ca2624adfbc5ce.txt:38"].group_id == ids["001_ab552e0b46fc54ef.txt:16"].group_id  # perceptron
    assert ids["000_89ca2624adfbc5ce.txt:38"].group_id == "000_89ca2624adfbc5ce.txt:38"  # first member names it
    assert ids["000_89ca2624adfbc5ce.txt:114"].group_id != ids["000_89ca2624adfbc5ce.txt:290"].group_id
    multi = [g for g in groups(parsed).values() if len({r.source for r in g}) > 1]
    assert len(multi) == 11  # measured


def test_embedding_grouping_is_conservative(bundled_dir, embedder):
    parsed = parse_paths([bundled_dir])
    group_and_tag(parsed, embedder=embedder)
    ids = by_id(parsed)
    same = [("000_89ca2624adfbc5ce.txt:30", "001_ab552e0b46fc54ef.txt:12"),  # ML vs DL, reworded
            ("000_89ca2624adfbc5ce.txt:150", "001_ab552e0b46fc54ef.txt:121"),  # backpropagation
            ("003_c016992a1932b139.txt:82", "004_db51e9162b39e910.txt:83"),  # batch vs stochastic GD
            ("002_8b468431436e823b.txt:173", "004_db51e9162b39e910.txt:355")]  # transfer learning
    for a, b in same:
        assert ids[a].group_id == ids[b].group_id, (ids[a].question, ids[b].question)
    different = [("000_89ca2624adfbc5ce.txt:114", "000_89ca2624adfbc5ce.txt:290"),  # autoencoders: what vs where used
                 ("000_89ca2624adfbc5ce.txt:236", "000_89ca2624adfbc5ce.txt:308"),  # Boltzmann vs restricted BM
                 ("000_89ca2624adfbc5ce.txt:399", "000_89ca2624adfbc5ce.txt:407")]  # supervised vs unsupervised
    for a, b in different:
        assert ids[a].group_id != ids[b].group_id, (ids[a].question, ids[b].question)
    multi = [g for g in groups(parsed).values() if len({r.source for r in g}) > 1]
    assert len(multi) >= 25  # measured: 30 (11 from text keys alone)
    # complete linkage: every pair inside a group is similar (or has the same normalised text)
    for members in groups(parsed).values():
        if len(members) < 2:
            continue
        emb = embedder.encode([r.question for r in members], normalize_embeddings=True)
        sim = emb @ emb.T
        keys = [question_key(r.question) for r in members]
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                assert sim[i, j] >= DEFAULT_THRESHOLD - 1e-4 or keys[i] == keys[j]


@pytest.mark.parametrize("question, topic", [
    ("What is a CNN?", "cnn"), ("What is the use of LSTM?", "rnn_lstm"),
    ("What are generative adversarial networks (GANs)?", "generative"),
    ("Explain the concept of positional encoding in Transformers.", "transformers"),
    ("What is the meaning of dropout in Deep Learning?", "regularization"),
    ("Why should we use batch normalization?", "normalization"), ("What Is Gradient Descent?", "optimization"),
    ("What is the Swish Function?", "activation"), ("What are tensors?", "frameworks"),
    ("Define epoch, iteration, and batches.", "training"),
    ("What is the difference between precision, recall, and F1-score?", "evaluation"),
    ("What is a perceptron?", "fundamentals"),
])
def test_topic_rules(question, topic):
    assert topic_of(question) == topic


def test_every_record_has_a_known_topic(bundled_dir):
    parsed = parse_paths([bundled_dir])
    topics = [r.topic for ps in parsed for r in ps.records]
    assert set(topics) <= set(TOPICS) and len(set(topics)) >= 10
    assert all(r.group_id for ps in parsed for r in ps.records)


def test_a_source_the_topic_list_does_not_describe_is_tagged_with_what_its_questions_ask(tmp_path):
    """A git FAQ: every record would be "fundamentals" (the list is deep learning's), which names nothing; its
    records are tagged with the word its questions keep asking about. A deep-learning source keeps its topics."""
    (tmp_path / "git-faq.md").write_text(
        "# Git interview questions\n\n"
        "## What does git rebase do?\nIt replays your commits on top of another base commit.\n\n"
        "## How is git merge different from rebase?\nA merge keeps both histories and adds a merge commit.\n\n"
        "## What is a detached HEAD in Git?\nHEAD points at a commit directly instead of at a branch.\n\n"
        "## What does git cherry-pick do?\nIt applies the changes of one commit onto the current branch.\n\n"
        # the list's words in another sense: a git "session" and its "tokens" are not frameworks or transformers
        "## How do you keep a git session authenticated?\nA credential helper stores access tokens for the session.\n",
        encoding="utf-8")
    (tmp_path / "dl.md").write_text(
        "# DL\n\n## What is a CNN?\nA network of convolutions.\n\n## What is a perceptron?\nA linear unit.\n\n"
        "## What is dropout?\nRandomly zeroing units while training.\n", encoding="utf-8")
    parsed = parse_paths([tmp_path])
    topics = {ps.source: [r.topic for r in ps.records] for ps in parsed}
    assert topics["git-faq.md"] == ["git"] * 5
    assert topics["dl.md"] == ["cnn", "fundamentals", "regularization"]
    # the index regroups every record of every source as ONE batch (index/core.py): the same tags
    from types import SimpleNamespace

    merged = [r for ps in parsed for r in ps.records]
    group_and_tag([SimpleNamespace(records=merged)])
    assert {src: [r.topic for r in merged if r.source == src] for src in topics} == topics


def test_a_plain_text_title_underlined_with_equals_signs_names_the_sources_topic(tmp_path):
    """Plain-text notes titled the setext way ("... prep" over a line of "="): the title was not read as a heading,
    so the questions of a subject the topic list does not describe all fell to "fundamentals" (a walkthrough). A line
    of prose over "---" further down is no title."""
    qa = ("Q: What does a state file record?\nA: The real resources each configured block maps to.\n\n"
          "Q: Why lock a shared backend?\nA: Two concurrent applies would overwrite each other's changes.\n\n"
          "Q: What is a provider?\nA: A plugin that talks to one platform's API.\n\n"
          "Q: What does plan show?\nA: The changes an apply would make, before making them.\n")
    (tmp_path / "iac_notes.txt").write_text("Terraform interview prep\n========================\n(my notes)\n\n" + qa,
                                            encoding="utf-8")
    (tmp_path / "plain.txt").write_text("(my notes)\nSome words here.\n---\n\n" + qa, encoding="utf-8")
    parsed = {ps.source: ps for ps in parse_paths([tmp_path])}
    notes = parsed["iac_notes.txt"]
    assert (notes.title, notes.title_is_heading) == ("Terraform interview prep", True)
    assert [r.topic for r in notes.records] == ["terraform"] * 4
    assert not parsed["plain.txt"].title_is_heading


def test_behavioural_prompts_are_their_own_topic(tmp_path):
    """A page of "Tell me about a time ..." prompts was filed under the topic "time" (a walkthrough's chat showed
    it); a behavioural prompt on a technical page takes neither the page's topic nor the list's."""
    (tmp_path / "prep.md").write_text(
        "# My prep\n\n## Tell me about a time you resolved a conflict with a colleague.\nI listened first.\n\n"
        "## Tell me about a time you failed.\nI missed a deadline and owned it.\n\n"
        "## What is your greatest weakness?\nDelegating.\n\n## Why do you want to work here?\nThe product.\n",
        encoding="utf-8")
    (tmp_path / "git-faq.md").write_text(
        "# Git interview questions\n\n"
        "## What does git rebase do?\nIt replays your commits on top of another base commit.\n\n"
        "## How is git merge different from rebase?\nA merge keeps both histories and adds a merge commit.\n\n"
        "## What does git cherry-pick do?\nIt applies the changes of one commit onto the current branch.\n\n"
        "## Tell me about a time you broke the main branch.\nI force-pushed once and restored it from the reflog.\n",
        encoding="utf-8")
    topics = {ps.source: [r.topic for r in ps.records] for ps in parse_paths([tmp_path])}
    assert topics["prep.md"] == ["behavioural"] * 4
    assert topics["git-faq.md"] == ["git"] * 3 + ["behavioural"]


@pytest.mark.parametrize("questions, topic", [
    (["What is a database index?", "What is a composite index?", "When is a hash index a good choice?",
      "What does a covering index do?"], "index"),
    (["What does the Cache-Control max-age directive do?", "What does no-cache mean?",
      "What is a shared cache?"], "cache"),  # hyphenated words count by their parts; "does" is no topic
    (["What are the four types of objects in Git?", "How does Git store an object?", "What is a Git tag object?"],
     "object_git"),  # two words as common as each other, in reading order
    (["What is a mutex?", "What is a deadlock?", "What is a page fault?"], None),  # nothing shared
])
def test_source_topic(questions, topic):
    assert source_topic(questions) == topic


OS_QUESTIONS = ["What is the difference between a process and a thread?", "What is a context switch?",
                "What is a page fault?", "What is a deadlock?", "What is a zombie process?",
                "What is the difference between a mutex and a semaphore?"]


@pytest.mark.parametrize("questions, title, topic", [
    # a user walkthrough: "process" (2 of 6 questions) named every question, deadlocks and mutexes included
    (OS_QUESTIONS, "Operating Systems Interview Notes", "operating_systems"),
    (OS_QUESTIONS, "", "process"),  # no title: the word a third of them share, as before
    (OS_QUESTIONS, "Interview Notes", "process"),  # a title that names no subject
    (["What is a database index?", "What is a composite index?", "When is a hash index a good choice?"],
     "Databases - Some Site", "index"),  # a word most questions share comes before the title
    (["What is a mutex?", "What is a deadlock?", "What is a page fault?"], "Top 40 Node.js Q&A (2025)", "node.js"),
    # a walkthrough's "12 Python Interview Questions Every Backend Developer Should Know" was "python_every_backend"
    (OS_QUESTIONS, "12 Python Interview Questions Every Backend Developer Should Know", "python_backend"),
    # a walkthrough's "System Design / Distributed Systems" was "system_design_distributed": whole phrases only
    (OS_QUESTIONS, "System Design / Distributed Systems \u2014 interview prep notes", "system_design"),
    (OS_QUESTIONS, "Machine Learning / Deep Learning FAQ", "machine_learning"),
    (OS_QUESTIONS, "Data Structures & Algorithms", "data_structures_algorithms"),
])
def test_a_source_topic_comes_from_its_title_when_few_questions_share_a_word(questions, title, topic):
    assert source_topic(questions, title=title) == topic


def test_an_added_source_is_tagged_with_its_title_in_the_index(tmp_path, embedder):
    """`coach index add` regroups every record as one batch, without the parsed sources: the titles come from
    the index's source list, so an added source gets the topic parsing it alone gives."""
    from coach.config import load_settings
    from index import CoachIndex

    doc = tmp_path / "os.md"
    doc.write_text("# Operating Systems Interview Notes\n\n" + "".join(
        f"## {q}\nAn answer about it with a few words.\n\n" for q in OS_QUESTIONS), encoding="utf-8")
    parsed = parse_paths([doc])
    assert {r.topic for ps in parsed for r in ps.records} == {"operating_systems"}
    idx = CoachIndex(load_settings(home=tmp_path / "home"), model=embedder)
    idx.add(parsed)
    assert {r.topic for r in idx.records()} == {"operating_systems"}


class AngleEmbedder:
    """Hand-checkable fake (control flow only): question "q<k>" -> unit vector at k * 18 degrees.

    cos(18°) = 0.951 >= 0.92 but cos(36°) = 0.809 < 0.92: q0~q1 and q1~q2, yet q0 and q2 differ.
    Only ``encode(texts)`` (no keyword arguments), like ``index.embedder.Embedder``.
    """

    def encode(self, texts):
        import numpy as np

        angles = [np.radians(18 * int(t[1:])) for t in texts]
        return np.array([[np.cos(a), np.sin(a)] for a in angles]) * 3.0  # not unit length on purpose


def test_complete_linkage_never_chains():
    from corpus.records import ParsedSource, Record

    recs = [Record(id=f"s{k}.txt:1", source=f"s{k}.txt", question=f"q{k}", answer="", line_start=1, line_end=1)
            for k in range(3)]
    parsed = [ParsedSource(source=r.source, path=r.source, sha256="", records=[r]) for r in recs]
    group_and_tag(parsed, embedder=AngleEmbedder(), threshold=0.92)
    g = [r.group_id for r in recs]
    assert g[0] != g[2]  # single linkage would have chained q0-q1-q2
    assert g[1] in (g[0], g[2])  # q1 joins one neighbour
    group_and_tag(parsed, embedder=AngleEmbedder(), threshold=0.80)
    assert len({r.group_id for r in recs}) == 1  # all pairs >= 0.809


def test_duplicate_source_names_are_skipped(tmp_path):
    from corpus import parse_batch

    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text("1. What is A?\nA.\n2. What is B?\nB.\n")
    batch = parse_batch([tmp_path / "one", tmp_path / "two"])
    assert [ps.source for ps in batch.sources] == ["a.txt"]
    assert len(batch.skipped) == 1 and "already named 'a.txt'" in batch.skipped[0].reason


def test_a_dotted_name_counts_for_its_module_in_a_sources_topic():
    """A walkthrough's plain-text asyncio page (its title no heading) asked about asyncio.gather, asyncio.run and
    asyncio.create_task: "asyncio" was counted in 2 of its 10 questions, so the page was filed under "fundamentals"
    beside the bundled deep-learning questions and could not be practised on its own."""
    from corpus.topics import source_topic

    qs = ["What is the difference between concurrency and parallelism?", "What is the event loop?",
          "What is the difference between asyncio.gather and asyncio.wait?", "What does asyncio.create_task do?",
          "How do you run blocking code from asyncio code?", "What does asyncio.run do?",
          "What happens if you call time.sleep() inside a coroutine?", "What does async def define?"]
    assert source_topic(qs) == "asyncio"
