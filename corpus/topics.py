"""Topic tags from a fixed list, by keyword rules.

Each topic has a list of keyword patterns (whole words, case-insensitive). A record's score for a topic
is 3 x (matches in the question) + 1 x (distinct keywords in the answer, capped at 3); the best score
wins, ties go to the earlier topic in ``TOPICS`` (specific architectures before general ones). When the
question names no topic, the answer decides only if exactly one topic has 2+ distinct keywords there
(an answer surveying CNNs, RNNs and GANs is a fundamentals answer). ``fundamentals`` has no
keywords: it is what a record with no match at all gets (perceptrons, "what is deep learning"...).

Simplified on purpose: keywords, not a classifier; one topic per record.
"""

from __future__ import annotations

import re

TOPICS = (
    "cnn", "rnn_lstm", "transformers", "generative", "normalization", "regularization", "activation",
    "optimization", "evaluation", "frameworks", "training", "fundamentals",
)

_KEYWORDS: dict[str, list[str]] = {
    "cnn": [r"cnns?", r"convolution\w*", r"pooling", r"kernels?", r"filters?", r"padding", r"stride", r"receptive field",
            r"feature maps?", r"resnet\w*", r"vgg\S*", r"densenet", r"image classification", r"object detection",
            r"computer vision", r"anchor boxes", r"face detection"],
    "rnn_lstm": [r"rnns?", r"lstms?", r"gru\w*", r"recurrent", r"recursive neural", r"sequential data", r"time series",
                 r"hidden state"],
    "transformers": [r"transformers?", r"attention", r"self-attention", r"positional encoding", r"bert", r"gpt\S*",
                     r"llms?", r"large language models?", r"encoder-decoder",
                     # not a rate limiter's "token bucket" nor an access token (a walkthrough's rate limiting question
                     # was filed under "transformers")
                     r"(?<!access )(?<!auth )(?<!bearer )(?<!refresh )(?<!csrf )(?<!jwt )(?<!api )tokens?(?! bucket)"],
    "generative": [r"gans?", r"generative", r"autoencoders?", r"auto-encoders?", r"vaes?", r"generator", r"discriminator",
                   r"boltzmann", r"rbms?", r"diffusion", r"deep belief"],
    "normalization": [r"normali[sz]ation", r"normali[sz]e\w*", r"batch norm", r"layer norm", r"standardi[sz]\w*"],
    "regularization": [r"regulari[sz]ation", r"dropouts?", r"overfitting", r"over-fitting", r"underfitting",
                       # not a cache level ("L1 cache hit: about 1 ns": a walkthrough's cache questions were filed here)
                       r"l1(?!\s+(?:and\s+l2\s+)?(?:caches?|hits?|miss\w*|tlb|d-cache|i-cache))",
                       r"l2(?!\s+(?:and\s+l3\s+)?(?:caches?|hits?|miss\w*|tlb))",
                       r"weight decay", r"early stopping", r"data augmentation", r"label smoothing", r"bias-variance",
                       r"bias and variance", r"generali[sz]ation"],
    "activation": [r"activation functions?", r"activation", r"relu", r"leaky relu", r"sigmoid", r"tanh", r"softmax",
                   r"swish", r"non-linear\w*", r"nonlinear\w*"],
    "optimization": [r"gradient descent", r"sgd", r"optimi[sz]\w*", r"adam", r"momentum", r"learning rates?",
                     r"vanishing", r"exploding", r"gradient clipping", r"minima", r"convergence", r"cost functions?",
                     r"loss functions?", r"cross-entropy", r"backpropagation", r"back propagation"],
    "evaluation": [r"precision", r"recall", r"f1\S*", r"accuracy", r"confusion matrix", r"metrics?", r"evaluat\w*",
                   r"cross-validation", r"validation set"],
    "frameworks": [r"tensorflow", r"pytorch", r"keras", r"caffe\d*", r"theano", r"mxnet", r"cntk", r"tensors?",
                   r"computational graph", r"computation graph", r"frameworks?", r"libraries", r"library", r"placeholders?",
                   r"sessions?"],
    "training": [r"epochs?", r"batches", r"batch size", r"mini-batch", r"iterations?", r"hyperparameters?", r"weight initiali[sz]ation",
                 r"initiali[sz]\w*", r"transfer learning", r"fine-tun\w*", r"pre-trained", r"pretrained", r"training data",
                 r"gpus?", r"knowledge distillation", r"learning rate schedulers?"],
}
# the topic of every behavioural interview prompt (``corpus.behavioural``), whatever its source's topic
BEHAVIOURAL_TOPIC = "behavioural"

_COMPILED = {t: re.compile(r"\b(" + "|".join(ks) + r")\b", re.IGNORECASE) for t, ks in _KEYWORDS.items()}


# "generator" is also Python's lazy iterator: with these words around, "generator" names no GAN (a walkthrough's
# "Generators versus lists: when would you use a generator?" was tagged "generative")
# (Python's own words only: "yields better samples" and "a lazy fashion" are ordinary ML prose, a review found)
_PYTHON_GENERATOR = re.compile(r"(\byield (from|statement|keyword|expression)\b|\biterators?\b|\biterables?\b|\bnext\(\)"
                               r"|\bgenerator (function|expression|object)s?\b|```|\bdef \w+\()", re.IGNORECASE)
_GAN_ONLY = re.compile(r"\b(gans?|generative|adversarial|discriminators?|latent|noise|generator (network|model)s?|fake)\b",
                       re.IGNORECASE)
_GENERATIVE_WITHOUT_ROLES = re.compile(  # the "generative" keywords but the two role names
    r"\b(" + "|".join(k for k in _KEYWORDS["generative"] if k not in ("generator", "discriminator")) + r")\b", re.IGNORECASE)


# "tokens" of a rate limiter's token bucket, not of a language model (a walkthrough's rate limiting question was filed
# under "transformers"): where the text speaks of one and of no model, tokens name no topic
_RATE_LIMIT = re.compile(r"\b(token buckets?|rate limit\w*|leaky bucket)\b", re.IGNORECASE)
_MODEL_WORDS = re.compile(r"\b(transformers?|attention|bert|gpt\S*|llms?|language models?|embeddings?|tokeni[sz]\w*)\b",
                          re.IGNORECASE)


def topic_of(question: str, answer: str = "") -> str:
    scores: dict[str, int] = {}
    answer_only: list[str] = []
    text = question + " " + answer[:5000]
    python_sense = bool(_PYTHON_GENERATOR.search(text)) and not _GAN_ONLY.search(text)
    rate_limit = bool(_RATE_LIMIT.search(text)) and not _MODEL_WORDS.search(text)
    for topic in TOPICS[:-1]:  # all but the fundamentals fallback
        if rate_limit and topic == "transformers":
            continue
        rx = _GENERATIVE_WITHOUT_ROLES if python_sense and topic == "generative" else _COMPILED[topic]
        in_question = len(rx.findall(question[:2000]))
        in_answer = len({m.lower() for m in rx.findall(answer[:5000])})  # distinct keywords
        if in_question == 0:
            if in_answer >= 2:
                answer_only.append(topic)
            continue
        scores[topic] = 3 * in_question + min(3, in_answer)
    if not scores and len(answer_only) == 1:  # the question names no topic: trust the answer only if unambiguous
        return answer_only[0]
    return max(scores, key=lambda t: (scores[t], -TOPICS.index(t))) if scores else "fundamentals"


# A source the list above does not describe (databases, networking, git...): nearly all its records fall to
# "fundamentals", which names nothing. Such a source's records are tagged instead with the words its questions
# keep asking about ("index", "tcp", "cache"), so a user's own source can be picked as a topic.
SOURCE_TOPIC_SHARE = 0.8  # this share of a source's records or more is "fundamentals": the list does not fit it
SOURCE_TOPIC_MIN_RECORDS = 3
_TOPIC_WORD_SHARE = 0.3  # a word names the source's topic when this share of its questions (and 2+) use it...
_TOPIC_WORD_MOST = 0.5  # ...before the source's title only when at least this share do
_NOT_TOPIC = frozenset("""
a an the and or of to in on for with without by from at as is are was were be been being do does did how what why
when where which who whom whose can could would should will shall may might must you your we our it its this that
these those there their they them i me my explain describe difference differences between different compare
versus vs use used using uses work works working mean means meaning define definition example examples give tell
about into over under than then versus more most some any other such each vs. way ways type types kind kinds
main common key important role purpose advantage advantages disadvantage disadvantages benefit benefits
interview question questions answer answers faq guide top know need happens happen make makes not no yes one two
good best better bad problem problems case cases get gets set sets name names mean list
every all should
""".split())
_WORD = re.compile(r"[a-z][a-z0-9+#.-]*[a-z0-9+#]|[a-z]")


def _topic_word(w: str) -> str:
    w = w.strip(".-")
    if len(w) > 4 and w.endswith("es") and w[-3] in "sxz":
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


# words of a title that say what kind of page it is, not what it is about ("Operating Systems Interview Notes")
_TITLE_FILLER = frozenset("""
notes note cheat sheet cheatsheet prep preparation top tutorial tutorials basics basic introduction intro overview
part chapter faq faqs qa beginners beginner advanced experienced freshers fresher guide handbook reference
study revision quick short my personal collection list page edition updated complete ultimate essential
fundamentals home welcome blog post article untitled document draft frequently asked table contents
developer developers
""".split())
_TITLE_CUT = re.compile(r"\s[-|\u2013\u2014:]\s|[()|:\[\]]")
_TITLE_JOIN = re.compile(r"\s(?:/|&|\+|and)\s", re.IGNORECASE)  # two subjects named side by side
_TITLE_WORD = re.compile(r"[^\W\d_](?:[\w+#.'-]*[\w+#])?")  # letters of any script: "système", "d'exploitation"


def title_topic(title: str, max_words: int = 3) -> str | None:
    """A source's topic from its title: the words of its first part ("Operating Systems Interview Notes" ->
    "operating_systems", "SQL Interview Questions - Some Site" -> "sql"), without question words and words that
    say what kind of page it is; None when nothing is left."""
    for part in _TITLE_CUT.split(title or ""):  # the first part that names something: "Q&A: Operating Systems"
        out: list[str] = []
        for phrase in _TITLE_JOIN.split(part):  # "System Design / Distributed Systems": whole phrases while they fit,
            # never a phrase cut after its first word (a walkthrough's topic read "system_design_distributed")
            words = []
            for w in _TITLE_WORD.findall(phrase.lower()):  # as written: "systems", "kubernetes", "node.js"
                if w in _NOT_TOPIC or w in _TITLE_FILLER or w in words or len(w) < 2:
                    continue
                words.append(w)
            if out and len(out) + len(words) > max_words:  # the whole phrase, a word it repeats included
                break
            out += [w for w in words if w not in out]
        if out:
            return "_".join(out[:max_words])
    return None


def source_topic(questions: list[str], max_words: int = 2, title: str = "") -> str | None:
    """The words most of a source's questions ask about, joined by "_" ("index", "tcp", "git_object"): a word
    at least half of them use, else the source's title (``title_topic``: a word only a third of them share named
    every question of an operating-systems source "process" in a user walkthrough), else a word a third of them
    use; None when none of these is found."""
    seen: dict[str, int] = {}
    first: dict[str, int] = {}
    for q in questions:
        tokens = _WORD.findall(q.lower())
        tokens += [part for t in tokens if "-" in t for part in t.split("-")]  # "cache-control": cache, control
        # "asyncio.gather", "np.array": the module a dotted name starts with is a word its question asks about (a
        # walkthrough's asyncio page, whose questions name asyncio.gather, asyncio.run..., was filed under
        # "fundamentals" beside the bundled deep-learning questions)
        tokens += [t.split(".")[0] for t in tokens if "." in t.strip(".")]
        words = dict.fromkeys(_topic_word(w) for w in tokens if w not in _NOT_TOPIC)  # in reading order: ties go
        # to the word read first, the same on every run (a set's order changes with the hash seed)
        for w in words:
            if len(w) >= 3 and w not in _NOT_TOPIC and not w.isdigit():
                seen[w] = seen.get(w, 0) + 1
                first.setdefault(w, len(first))
    need = max(2, _TOPIC_WORD_SHARE * len(questions))
    best = sorted((w for w, n in seen.items() if n >= need), key=lambda w: (-seen[w], first[w]))
    # a second word only when nearly as common as the first ("git_object"), not a frequent aside ("tcp_control")
    best = best[:1] + [w for w in best[1:max_words] if seen[w] >= 0.8 * seen[best[0]]]
    if best and seen[best[0]] >= _TOPIC_WORD_MOST * len(questions):
        return "_".join(best)
    return title_topic(title) or "_".join(best) or None
