"""Behavioural answers graded as stories: situation, own actions, result, reflection, red flags, relevance.

A behavioural question ("Tell me about a time you disagreed with a teammate", "What is your greatest weakness?",
``corpus.behavioural.behavioural``) has no key points to cover: a source's sample story is one person's, and a strong
answer tells another. Measured on a blind test set (README, thirty-ninth session), grading such answers against the
sample's sentences correlated 0.09 with an interviewer's grades, below plain cosine (0.28). This module reads what an
interviewer looks for instead, in any story:

- relevance: the answer is about the question asked, not another common interview prompt (``OTHER_PROMPTS``);
- a specific situation of one's own (past tense, a time or place), not habits ("I always...", "I would...");
- what *I* did, in the first person, rather than what "we" did;
- a result, ideally with a number; a lesson learned;
- red flags: a sentence that reads like blaming others, covering up, taking credit, humiliating or retaliating,
  dishonesty, overreach, bad-mouthing an employer, money as the only motive: read three ways, by phrasings candidates
  use for them (``RED_CUES``), by closeness to prototype sentences (``RED_FLAGS``) and by a logistic regression on the
  answer's embedding.

The features are read by regular expressions and the index's embedding model (no judge, no network); a ridge
regression fit on three development sets of graded behavioural answers, each written by a helper blind to the test
sets (``evals/data/behavioural_dev/``), turns them into a 0-10 score (``story_model.json``, no pickle; fit with
``coach judge train-story``). Off by default (``COACH_STORY_MODEL=on``): on three blind test sets it ranks answers far
better than the sample-answer grade, but scores excellent answers 6.4-6.6 on average, under the 7.0 its rule asked for
(README, "Behavioural answers read as stories, opt-in"). Simplified on purpose: English only, and a story's truth cannot be
checked; a polished story with a red flag in other words is read as a good story.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np


MODEL_FILE = Path(__file__).with_name("story_model.json")

# common interview prompts an off-topic answer answers instead (relevance is read against the nearest of them that
# is not the question asked): written by hand, generic, not taken from any evaluation set
OTHER_PROMPTS = (
    "What is your greatest strength?",
    "What is your greatest weakness?",
    "What are your salary expectations?",
    "Where do you see yourself in five years?",
    "Why do you want to work for this company?",
    "Why are you leaving your current job?",
    "Tell me about yourself and your background.",
    "What do you do in your free time and what are your hobbies?",
    "Explain how a piece of technology works.",
    "What questions do you have for us?",
    "What is your notice period and when could you start?",
    "Tell me about a time you failed.",
    "Tell me about a time you showed leadership.",
    "Tell me about a time you solved a hard problem.",
    "Tell me about a time you worked well in a team.",
    "Tell me about a time you had a conflict at work.",
)

# red flags an interviewer marks down, one prototype sentence per way of saying it: written by hand from what
# interview guides list, generic (no evaluation answer was read for them)
RED_FLAGS = {
    "blames others": (
        "It was my colleague's fault, not mine.",
        "The project failed because the rest of the team was incompetent.",
        "My manager gave me bad instructions, so it wasn't my fault.",
        "I made sure everyone knew it was his mistake.",
        "Honestly the problem was that nobody else pulled their weight.",
    ),
    "hides a mistake": (
        "I quietly fixed it so nobody would find out.",
        "I didn't tell my manager about the mistake.",
        "I changed the numbers so the report looked fine.",
        "Nobody ever noticed, so I didn't mention it.",
        "I kept it to myself and hoped it would go away.",
    ),
    "takes credit that is not theirs": (
        "I presented my colleague's work as my own.",
        "I took the credit for the team's success.",
        "I told the director it was all my idea.",
    ),
    "humiliates or retaliates": (
        "I called him out in front of the whole team.",
        "I raised my voice until she backed down.",
        "I embarrassed him in the meeting so he would learn.",
        "I got back at him by leaving him off the next project.",
        "After that I stopped helping them.",
    ),
    "is dishonest or oversteps": (
        "I lied to the client to keep them happy.",
        "I told the customer it was a system error when it was actually my mistake.",
        "I went over my manager's head without telling her.",
        "I ignored the policy because I knew better.",
        "I overrode the decision without asking anyone.",
        "I used a colleague's login to get it done faster.",
    ),
    "bad-mouths an employer": (
        "My last boss was an idiot.",
        "The company is a joke and the management is clueless.",
        "My current employer is terrible and everyone there is lazy.",
    ),
    "is only about money or status": (
        "Honestly, I'm only here for the money.",
        "The main reason is the higher salary, that's all I care about.",
        "I just want a bigger title as fast as possible.",
    ),
    # told calmly, with no negative word in it (experiment 46, after set 4's calm red flags were read: tuning data;
    # the sentences are generic, none from a dataset)
    "breaks a rule or a trust": (
        "I shared the customer's personal details with a friend who asked for them.",
        "I skipped the safety check to save time.",
        "I signed off the inspection without actually doing it.",
        "I gave the contract to a company my brother-in-law runs.",
        "I approved the payment myself so we did not have to wait for finance.",
        "I backdated the form so that the audit would pass.",
        "I took a copy of the client list with me when I left.",
    ),
    "shows no self-awareness": (
        "My greatest weakness is that I work too hard.",
        "I'm a perfectionist, I just care too much.",
        "I don't really have any weaknesses.",
        "I refused to change my approach because I was right.",
        "I never admit that I was wrong.",
    ),
}
# the same red flags in the words candidates use for them ("he never noticed", "without asking", "that's on him", "I
# presented it as my initiative"): written by hand after reading the development set's red-flag answers (tuning data),
# generic phrasings, none taken from the test set; one or more in a sentence lists it as a red flag
RED_CUES = re.compile(
    r"\b(?:(?:he|she|they|nobody|no one|no-one|anyone|the client|my manager|my boss) (?:never (?:noticed|knew|found out|"
    r"realised|realized)|(?:didn't|did not) (?:notice|find out|realise|realize))|"
    r"without (?:asking|telling|checking with|consulting|running it past|permission|sign-?off|approval)|"
    r"(?:wasn't|was not|isn't|not) (?:on me|my fault|my problem)|(?<!wasn't )(?<!not )(?<!isn't )(?:his|her|their) fault|"
    r"(?:that's|that is|it's|it was) on (?:him|her|them)\b|"
    r"I (?:didn't|did not|never) (?:tell|mention|report|admit) (?:it|this|that|anyone|anybody|my manager|my boss|the client|"
    r"the customer|them|him|her)\b|so (?:nobody|no one|no-one) would (?:know|notice|find out|see)|kept (?:it )?quiet|"
    r"kept (?:it|that) to myself|(?:it's|it is|just|only|all about|in it for) (?:for )?the money|"
    r"bigger (?:salary|title)|went (?:over|around) (?:his|her|their|my manager's|my boss's) head|"
    r"behind (?:his|her|their) back|(?:presented|framed|pitched) it as (?:my|mine)|took (?:the |all the )?credit|"
    r"made it look like|did the (?:bare )?minimum|some people just|"
    r"(?:he|she|they|manager|boss|management|colleagues?|team|everyone|people) (?:is|was|are|were)(?: just| so| totally|"
    r" completely| frankly| really)? (?:clueless|an idiot|idiots|useless|lazy|incompetent|a joke)\b)", re.I)
# the same situations handled well: a sentence close to these is read as owning the situation, not as a red flag
OWNERSHIP = (
    "I took responsibility for my mistake and told my manager straight away.",
    "I apologised, fixed the problem and explained what had gone wrong.",
    "I gave the credit to the colleague who did the work.",
    "I spoke to him privately and listened to his side.",
    "I asked my manager for a one-to-one to talk it through.",
    "I was honest with the client about the delay and what we would do about it.",
    "I followed the escalation process and kept everyone informed.",
    "I told them what I had learned and what I would do differently.",
)

_PAST_IRREGULAR = (
    "went made took told spoke sat wrote built found got gave led ran set saw began brought bought caught chose came "
    "did drew drove fell felt fought forgot grew heard held kept knew laid left lent let lost meant met paid put quit "
    "read rode rang rose said sought sold sent shut sang slept spent stood stole struck swore taught thought threw "
    "understood woke wore won split cut hit broke stuck became"
)
_I_PAST = re.compile(r"\bI\s+(?:(?:then|also|just|finally|first|actually|quickly|immediately|personally|really|eventually|"
                     r"initially|basically|still)\s+)?(?:(?!(?:need|feed|exceed|proceed|succeed)\b)\w+ed|" + "|".join(_PAST_IRREGULAR.split()) + r")\b")
_I = re.compile(r"\b(?:I|[Mm]e|[Mm]y|[Mm]yself)\b")  # "I" is the pronoun in any case; "Me", "My" open sentences
_WE = re.compile(r"\b(?:we|us|our|ourselves)\b", re.I)
_GENERIC = re.compile(
    r"\b(?:I (?:always|usually|generally|normally|tend to|try to|would|will|believe|like to|make sure|just|think)|"
    r"I'?m (?:a|an|very|quite|really|someone|the kind|the type|naturally|pretty)|I am (?:a|an|someone|very|naturally)|"
    r"whenever|in general|generally|typically|my approach is|I'd|you (?:have|need|should|just|can)|it'?s important to)\b",
    re.I)
_TIME = re.compile(
    r"\b(?:last (?:year|month|week|spring|summer|autumn|fall|winter|quarter|term|christmas)|"
    r"(?:a|one|two|three|four|five|few|couple of|several) (?:years?|months?|weeks?|days?) (?:ago|back|in|into)|"
    r"in (?:19|20)\d\d|at my (?:last|previous|old|first|current|second) \w+|when I was\b|"
    r"in my (?:last|previous|first|current|second|old) \w+|one (?:time|day|night|morning|afternoon|evening|week|shift|"
    r"year|summer|winter|friday|monday)|back (?:in|when)|(?:january|february|march|april|june|july|august|september|"
    r"october|november|december)\b|during (?:my|a|the|our)\b|at the time\b|(?:this|that) (?:year|spring|summer|"
    r"autumn|winter|quarter|term))", re.I)
_NUMBER = re.compile(
    r"\b\d[\d,.]*\s*(?:%|percent|per cent|k\b|m\b)?|£\s?\d|\$\s?\d|€\s?\d|\b(?:two|three|four|five|six|seven|eight|nine|"
    r"ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|hundred|thousand|half|halved|double|doubled|tripled|"
    r"dozen)\b", re.I)
_RESULT = re.compile(
    r"\b(?:as a result|in the end|ended up|by the end|the result|results?\b|outcome|turned out|afterwards|"
    r"reduc\w+|increas\w+|improv\w+|sav(?:ed|ing)|dropp?ed|went (?:up|down|from)|grew|halved|doubled|on time|"
    r"ahead of (?:schedule|time)|(?:got|was) (?:promoted|approved|signed off|adopted)|fewer|no longer|"
    r"(?:hit|met|beat|missed) (?:the|our|my) (?:target|deadline|goal)|shipped|launched|delivered|finished|completed|"
    r"retention|thanked|succeed\w*|faster|slower|quicker|cheaper|sooner|(?:from|by) (?:about |around |roughly )?\S*\d\S*"
    r"(?: \w+)? (?:to|down to|up to) \S*\d|\d[\d,.]*\s*(?:%|percent|per cent))", re.I)
_REFLECT = re.compile(
    r"\b(?:learn(?:ed|t)|lessons?|taught me|since then|ever since|now I|these days|next time|in hindsight|looking back|"
    r"I reali[sz]ed|I'?d do (?:it |things )?differently|would do (?:it |things )?differently|changed (?:how|the way) I|"
    r"made me|I still|I now|going forward|from then on)\b", re.I)

FEATURES = ("q_sim", "q_margin", "ref_sim", "log_words", "i_past", "we_share", "generic", "time", "numbers", "result",
            "reflection", "red_flag", "red_margin", "red_cues", "red_lr")


@dataclass
class StoryReading:
    """What the story features found in one answer: the model's inputs and what the card shows."""

    features: dict[str, float]  # FEATURES but "red_lr", which the model reads from ``vector`` (StoryModel.features)
    flags: list[dict] = field(default_factory=list)  # {"sentence", "kind", "similarity", "margin", "cued", "index"}
    other_prompt: str = ""  # the common interview prompt the answer is closest to, when not the question asked
    vector: np.ndarray | None = None  # the answer's unit vector
    sentence_vectors: np.ndarray | None = None  # (sentences, d), in the order of ``sentences``
    sentences: list[str] = field(default_factory=list)


def _count(pattern: re.Pattern, text: str) -> int:
    return len(pattern.findall(text))


class StoryReader:
    """Reads an answer's story features with an embedding function (texts -> (n, d) vectors). The prototype
    sentences are embedded once, as fixed batches, so the same answer always reads the same."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray]):
        self._embed = embed
        self._protos: dict[str, np.ndarray] | None = None

    def _unit(self, texts: list[str]) -> np.ndarray:
        v = np.asarray(self._embed(list(texts)), dtype=np.float32)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    def prototypes(self) -> dict[str, np.ndarray]:
        if self._protos is None:
            kinds = [(k, s) for k, ss in RED_FLAGS.items() for s in ss]
            self._protos = {"prompts": self._unit(list(OTHER_PROMPTS)),
                            "flags": self._unit([s for _, s in kinds]),
                            "own": self._unit(list(OWNERSHIP))}
            self._flag_kinds = [k for k, _ in kinds]
        return self._protos

    def read(self, question: str, answer: str, reference: str = "") -> StoryReading:
        from coach.grading.text import sentences

        protos = self.prototypes()
        # typographic apostrophes read as plain ones ("wasn’t my fault" as "wasn't my fault"): every pattern here
        # is written with "'"
        question, answer, reference = (t.replace("’", "'").replace("‘", "'") for t in (question, answer, reference or ""))
        # the first 40 sentences are read (a longer answer's rest counts only in its length and the answer's vector)
        sents = [s for s in sentences(answer) if re.search(r"[A-Za-z]{3}", s)][:40] or [answer]
        v = self._unit([answer, question, reference or question, *sents])
        a, q, ref, sv = v[0], v[1], v[2], v[3:]
        q_sim = float(a @ q)
        # the nearest common prompt that is not the question asked (a prompt close to the question is the question)
        qp = protos["prompts"] @ q
        ap = protos["prompts"] @ a
        # a question about a trait or motive ("What is your greatest weakness?") is often answered with a story, so
        # its answers are compared only with the other prompts about traits and motives (a walkthrough's good weakness
        # answer read "closer to 'Tell me about a time you showed leadership'": off topic)
        story = is_story_prompt(question)
        others = [i for i in range(len(OTHER_PROMPTS)) if qp[i] < 0.6
                  and (story or not OTHER_PROMPTS[i].startswith("Tell me about a time"))]
        best = max(others, key=lambda i: ap[i]) if others else None
        q_margin = q_sim - (float(ap[best]) if best is not None else 0.0)
        flag_sims = sv @ protos["flags"].T  # (sentences, prototypes)
        own_sims = sv @ protos["own"].T
        per_sent = flag_sims.max(axis=1)
        own = own_sims.max(axis=1)
        i_top = int(np.argmax(per_sent))
        n_words = max(1, len(re.findall(r"\w+", answer)))
        i_count, we_count = _count(_I, answer), _count(_WE, answer)
        n_sents = max(1, len(sents))
        cues = [_count(RED_CUES, st) for st in sents]  # red-flag phrasings, sentence by sentence
        feats = {
            "q_sim": q_sim,
            "q_margin": q_margin,
            "ref_sim": float(a @ ref) if reference else q_sim,
            "log_words": math.log(n_words),
            "i_past": min(_count(_I_PAST, answer) / n_sents, 2.0),
            "we_share": we_count / max(1, i_count + we_count),
            "generic": min(_count(_GENERIC, answer) / n_sents, 2.0),
            "time": float(min(_count(_TIME, answer), 3)),
            "numbers": float(min(_count(_NUMBER, answer), 4)),
            "result": float(min(_count(_RESULT, answer), 4)),
            "reflection": float(min(_count(_REFLECT, answer), 3)),
            "red_flag": float(per_sent[i_top]),
            "red_margin": float(np.max(per_sent - own)),
            "red_cues": float(min(sum(cues), 3)),
        }
        # sentences with a red-flag phrasing first, then by their closeness to a red-flag prototype
        cued = [c > 0 for c in cues]
        flags = []
        for i in sorted(range(len(sents)), key=lambda i: (not cued[i], -per_sent[i]))[:3]:
            j = int(np.argmax(flag_sims[i]))
            flags.append({"sentence": sents[i], "kind": self._flag_kinds[j], "similarity": float(per_sent[i]),
                          "margin": float(per_sent[i] - own[i]), "cued": cued[i], "index": i})
        other = OTHER_PROMPTS[best] if best is not None and q_margin < 0 else ""
        return StoryReading(feats, flags, other, a, sv, sents)


Z_CLIP = 2.5  # standardised features are read within this many standard deviations of the fitted mean


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


@dataclass(frozen=True, eq=False)
class StoryModel:
    """A linear model over ``FEATURES`` (standardised with the stored means and scales), clipped to 0-10, and a
    logistic regression on the answer's embedding that reads how much it sounds like a red-flag answer (the feature
    "red_lr"). An answer is capped at ``flag_cap`` when a sentence says a red flag in a known phrasing
    (``RED_CUES``), reads ``flag_min`` closer to a red-flag prototype than to owning the situation, or when the
    logistic regression reaches ``red_min``; it is off topic when its relevance margin is under ``off_topic_below``.
    A threshold of 1.0 or more is off: the fit found no margin precise enough (the shipped ``flag_min``, so the
    prototypes count in the score only)."""

    embedding_model: str
    means: np.ndarray
    scales: np.ndarray
    weights: np.ndarray
    bias: float
    red_weights: np.ndarray
    red_bias: float
    flag_min: float
    red_min: float
    flag_cap: float
    off_topic_below: float
    info: dict = field(default_factory=dict)
    prompts: object = None  # coach.grading.prompts.PromptModel: behavioural prompts read by meaning (None: phrasings)

    def asks_for_story(self, question: str, embed) -> bool:
        """Whether the answer to ``question`` is read as a story: a behavioural prompt by its phrasing
        (``corpus.behavioural``) or, with a prompt model, by its meaning."""
        from corpus.behavioural import behavioural

        return behavioural(question) or (self.prompts is not None and self.prompts.reads(question, embed))

    def red_probability(self, vectors: np.ndarray) -> np.ndarray:
        return _sigmoid(np.asarray(vectors, dtype=np.float64) @ self.red_weights + self.red_bias)

    def features(self, reading: StoryReading) -> dict[str, float]:
        return {**reading.features, "red_lr": float(self.red_probability(reading.vector[None, :])[0])}

    def standardised(self, feats: dict[str, float]) -> np.ndarray:
        # clipped: an answer far outside the fitted range (a 10-word answer, a 400-word one) is read at the range's
        # edge rather than extrapolated
        return np.clip((np.array([feats[f] for f in FEATURES]) - self.means) / self.scales, -Z_CLIP, Z_CLIP)

    def linear(self, feats: dict[str, float]) -> float:
        return float(np.clip(np.dot(self.weights, self.standardised(feats)) + self.bias, 0.0, 10.0))

    def contributions(self, feats: dict[str, float]) -> dict[str, float]:
        """Each feature's share of ``linear`` (weight x standardised value): what raised and lowered the score."""
        return {f: float(w * v) for f, w, v in zip(FEATURES, self.weights, self.standardised(feats))}

    def red_flagged(self, feats: dict[str, float]) -> bool:
        return red_flagged(feats, self.flag_min, self.red_min)

    def score(self, feats: dict[str, float]) -> float:
        return capped(self.linear(feats), feats, self.flag_min, self.red_min, self.flag_cap, self.off_topic_below)

    def flagged_sentences(self, reading: StoryReading, feats: dict[str, float], n: int = 2) -> list[dict]:
        """The sentences a card lists as red flags: those in a red-flag phrasing or close to a prototype, else (when
        only the whole answer reads as a red flag) the sentence the logistic regression reads as the likeliest."""
        listed = [fl for fl in reading.flags if fl.get("cued") or fl["margin"] >= self.flag_min][:n]
        if not listed and reading.sentence_vectors is not None and reading.sentences:
            p = self.red_probability(reading.sentence_vectors)
            i = int(np.argmax(p))
            near = next((fl for fl in reading.flags if fl.get("index") == i), None)
            listed = [{"sentence": reading.sentences[i], "kind": near["kind"] if near else "", "similarity": float(p[i]),
                       "margin": 0.0, "cued": False, "index": i, "whole_answer": float(feats["red_lr"])}]
        return listed

    def to_json(self) -> dict:
        r = lambda a: [round(float(x), 8) for x in a]  # noqa: E731
        return {"format": 1, "embedding_model": self.embedding_model, "features": list(FEATURES),
                "means": r(self.means), "scales": r(self.scales), "weights": r(self.weights),
                "bias": round(self.bias, 8), "red_weights": r(self.red_weights), "red_bias": round(self.red_bias, 8),
                "flag_min": self.flag_min, "red_min": self.red_min, "flag_cap": self.flag_cap,
                "off_topic_below": self.off_topic_below, "info": self.info}

    def save(self, path: Path = MODEL_FILE) -> None:
        from coach.grading.modelfile import save_json

        save_json(path, self.to_json())

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "StoryModel":
        from coach.grading.modelfile import read_json

        raw = read_json(path, "story model")
        if list(raw.get("features") or []) != list(FEATURES):
            raise ValueError(f"{path}: fit on other features than this code reads")
        arrs = [np.asarray(raw[k], dtype=np.float64) for k in ("means", "scales", "weights")]
        if any(a.shape != (len(FEATURES),) or not np.all(np.isfinite(a)) for a in arrs) or np.any(arrs[1] <= 0):
            raise ValueError(f"{path}: bad weights")
        red = np.asarray(raw["red_weights"], dtype=np.float64)
        if red.ndim != 1 or not red.size or not np.all(np.isfinite(red)):
            raise ValueError(f"{path}: bad red-flag weights")
        nums = {k: float(raw[k]) for k in ("bias", "red_bias", "flag_min", "red_min", "flag_cap", "off_topic_below")}
        if not all(math.isfinite(x) for x in nums.values()):
            raise ValueError(f"{path}: bad thresholds")
        return cls(str(raw["embedding_model"]), *arrs, nums["bias"], red, nums["red_bias"], nums["flag_min"],
                   nums["red_min"], nums["flag_cap"], nums["off_topic_below"], info=dict(raw.get("info") or {}))

    @classmethod
    def for_embedder(cls, model_id: str, path: Path = MODEL_FILE) -> "StoryModel | None":
        """The shipped model where it reads ``model_id``'s vectors; None (behavioural answers graded like any
        other) otherwise."""
        from coach.grading.modelfile import load_for_embedder

        return load_for_embedder(cls.load, path, model_id, "the story model",
                                 "behavioural answers are graded like any other")


# -- training (`coach judge train-story`) -------------------------------------------------------------------------
def _spearman(a, b) -> float:
    from coach.datafiles import spearman

    return spearman(list(a), list(b))


def _ridge(X: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    mu = y.mean()
    w = np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ (y - mu))
    return w, float(mu)


def _held_out(Z: np.ndarray, y: np.ndarray, groups: np.ndarray, alpha: float) -> np.ndarray:
    """Each group's ridge predictions from a fit without that group."""
    out = np.zeros(len(y))
    for g in np.unique(groups):
        tr = groups != g
        w, b = _ridge(Z[tr], y[tr], alpha)
        out[~tr] = Z[~tr] @ w + b
    return out


def red_flagged(feats: dict[str, float], flag_min: float, red_min: float) -> bool:
    """A sentence says a red flag in words candidates use for one or reads close to a red-flag prototype, or the
    whole answer reads like the development set's red-flag answers."""
    return feats["red_cues"] >= 1 or feats["red_margin"] >= flag_min or (red_min < 1.0 and feats.get("red_lr", 0.0) >= red_min)


def capped(score: float, feats: dict[str, float], flag_min: float, red_min: float, flag_cap: float,
           off_topic_below: float) -> float:
    if feats["q_margin"] < off_topic_below:
        score = min(score, 1.5)
    if red_flagged(feats, flag_min, red_min):
        score = min(score, flag_cap)
    return score


STORY_TIERS = ("excellent", "good", "partial", "wrong")  # the red-flag regression reads stories: wrong against the rest


def _red_fit(V: np.ndarray, y: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(V, y)
    return clf.coef_[0].astype(np.float64), float(clf.intercept_[0])


def train_story_model(rows: list[dict], reader: StoryReader, embedding_model: str, *,
                      alphas=(0.3, 1.0, 3.0, 10.0, 30.0, 100.0), C: float = 1.0, flag_precision: float = 0.8,
                      off_topic_false_alarms: float = 0.02, flag_cap: float = 3.0, stretch_by: str | None = None,
                      progress: Callable[[str], None] = lambda s: None) -> StoryModel:
    """Fit on graded behavioural answers ({"question", "answer", "reference", "score", "tier", "question_id"}).

    - the red-flag regression: answers tiered wrong against the other stories (excellent, good, partial), on the
      answer's embedding; while the rest is fit, each question's answers read it from a regression fit without that
      question (leave-one-question-out), so the linear model learns how far to trust it on unseen questions;
    - the off-topic margin: the highest on a grid whose false alarms (answers not tiered off topic) stay at or under
      ``off_topic_false_alarms``;
    - the red-flag thresholds (prototype margin, then the regression's probability): each the lowest on its grid
      whose flagged answers are tiered wrong at least ``flag_precision`` of the time;
    - the ridge strength: the best leave-one-question-out Spearman of the capped score;
    - the linear stretch back onto the 0-10 scale: on the held-out predictions of that fit, or with ``stretch_by``
      (a row field, e.g. "writer") on predictions that hold out each value of that field instead (answers by writers
      the ridge never saw are pulled further towards the middle than answers to unseen questions).
    Every figure it reports is on the data it was fit on (tuning data), except the leave-one-question-out ones."""
    progress(f"reading {len(rows)} answers")
    readings = [reader.read(r["question"], r["answer"], r.get("reference") or "") for r in rows]
    V = np.stack([rd.vector for rd in readings]).astype(np.float64)
    y = np.array([float(r["score"]) for r in rows])
    tiers = np.array([r.get("tier", "") for r in rows])
    groups = np.array([r.get("question_id") or r["question"] for r in rows])
    stories, wrong = np.isin(tiers, STORY_TIERS), tiers == "wrong"
    if wrong.sum() < 2 or (stories & ~wrong).sum() < 2 or len(np.unique(groups)) < 2:
        raise ValueError("needs answers tiered wrong and other stories, from at least two questions")
    held = np.zeros(len(rows))
    for g in np.unique(groups):
        tr = (groups != g) & stories
        rw, rb = _red_fit(V[tr], wrong[tr], C)
        held[groups == g] = _sigmoid(V[groups == g] @ rw + rb)
    feats = [{**rd.features, "red_lr": float(p)} for rd, p in zip(readings, held)]
    X = np.array([[f[k] for k in FEATURES] for f in feats])
    means, scales = X.mean(axis=0), np.maximum(X.std(axis=0), 1e-6)
    Z = np.clip((X - means) / scales, -Z_CLIP, Z_CLIP)
    qm = X[:, FEATURES.index("q_margin")]
    off = tiers == "off_topic"
    off_topic_below = -1.0
    for t in np.round(np.arange(-0.40, 0.21, 0.01), 2):
        if (qm[~off] < t).mean() <= off_topic_false_alarms:
            off_topic_below = float(t)

    def precise(fired) -> bool:
        return fired.sum() < 3 or wrong[fired].mean() >= flag_precision

    flag_min = 1.0
    for t in np.round(np.arange(0.50, -0.01, -0.01), 2):
        if not precise(np.array([red_flagged(f, t, 2.0) for f in feats])):
            break
        flag_min = float(t)
    red_min = 1.0
    for t in np.round(np.arange(0.99, 0.49, -0.01), 2):
        if not precise(np.array([red_flagged(f, flag_min, t) for f in feats])):
            break
        red_min = float(t)
    fired = np.array([red_flagged(f, flag_min, red_min) for f in feats])
    progress(f"off topic below a margin of {off_topic_below:g} ({int((qm[off] < off_topic_below).sum())} of {int(off.sum())}"
             f" off-topic answers); a red flag from a prototype margin of {flag_min:g}, a red-flag phrasing, or the "
             f"regression's {red_min:g} (held out by question: {int(fired[wrong].sum())} of {int(wrong.sum())} wrong "
             f"answers, {int(fired[~wrong].sum())} others)")
    best = None
    for alpha in alphas:
        raw = _held_out(Z, y, groups, alpha)  # before the clip and the caps
        pred = np.array([capped(p, f, flag_min, red_min, flag_cap, off_topic_below)
                         for p, f in zip(np.clip(raw, 0, 10), feats)])
        rho = _spearman(pred, y)
        progress(f"alpha {alpha:g}: leave-one-question-out Spearman {rho:.3f}")
        if best is None or rho > best[0]:
            best = (rho, alpha, raw)
    rho, alpha, raw = best
    fit_raw = raw  # the held-out predictions the stretch is fit on
    if stretch_by is not None:
        by = np.array([str(r.get(stretch_by, "")) for r in rows])
        if len(np.unique(by)) < 2:
            raise ValueError(f"the stretch holds out each {stretch_by!r}: the rows need at least two")
        fit_raw = _held_out(Z, y, by, alpha)
    # ridge shrinks the scores towards the middle: a linear stretch fit on the held-out predictions (before the caps)
    # puts them back on the interviewers' scale (a monotone map: the Spearman above is unchanged but for the clip)
    uncapped = np.array([capped(10.0, f, flag_min, red_min, flag_cap, off_topic_below) == 10.0 for f in feats])
    if uncapped.sum() < 3 or np.ptp(fit_raw[uncapped]) <= 0:
        raise ValueError("too few answers are neither red flags nor off topic to put the scores on the 0-10 scale")
    stretch = max(1.0, float(np.polyfit(fit_raw[uncapped], y[uncapped], 1)[0]))
    shift = float(np.mean(y[uncapped]) - stretch * np.mean(fit_raw[uncapped]))
    pred = np.array([capped(float(np.clip(stretch * p + shift, 0, 10)), f, flag_min, red_min, flag_cap, off_topic_below)
                     for p, f in zip(raw, feats)])
    progress(f"stretch {stretch:.3f}: leave-one-question-out Spearman {_spearman(pred, y):.3f}")
    w, b = _ridge(Z, y, alpha)
    w, b = w * stretch, b * stretch + shift
    rw, rb = _red_fit(V[stories], wrong[stories], C)
    info = {"alpha": alpha, "C": C, "stretch": round(stretch, 4), **({"stretch_by": stretch_by} if stretch_by else {}),
            "n": len(rows), "questions": int(len(np.unique(groups))),
            "leave_one_question_out": {
                "spearman": round(_spearman(pred, y), 4), "pearson": round(float(np.corrcoef(pred, y)[0, 1]), 4),
                "mean_by_tier": {t: round(float(pred[tiers == t].mean()), 3) for t in sorted(set(tiers)) if t},
                "red_flagged": {"wrong": int(fired[wrong].sum()), "of_wrong": int(wrong.sum()),
                                "others": int(fired[~wrong].sum()), "of_others": int((~wrong).sum())}},
            "tuning_data": "fit and thresholds on these answers; the leave-one-question-out figures hold each question "
                           "out of the ridge fit and the red-flag regression, not out of the thresholds, the feature "
                           "scaling, the choice of alpha or the stretch (so they are somewhat optimistic)"}
    return StoryModel(embedding_model, means, scales, w, b, rw, rb, flag_min, red_min, flag_cap, off_topic_below, info)


# -- the grade ---------------------------------------------------------------------------------------------------
STORY_NOTE = ("A behavioural question: graded as a story of your own (relevance, a specific situation, what you did "
              "yourself, the result, what you learned, and red flags), not point by point against the sample answer "
              "(how close your answer is to the sample's topic counts a little). A model's reading: it cannot check "
              "that a story is true, and it can miss a red flag said in other words.")
# what a story has, in the order an interviewer listens for it (shown under "What you got right" / "What is missing")
SITUATION = "A specific situation of your own: when and where it happened, and what was at stake."
ACTIONS = "What you did yourself, step by step, in the first person (\"I\", not \"we\")."
RESULT = "The result: what changed, in numbers if you can."
REFLECTION = "What you learned from it, or what you would do differently."
CORRECTIONS = {
    "blames others": "this reads as blaming others. Say what your own part was and what you did about it.",
    "hides a mistake": "this reads as hiding a mistake. Say how you raised it and put it right.",
    "takes credit that is not theirs": "this reads as taking credit for others' work. Say who did what.",
    "humiliates or retaliates": "this reads as humiliating or getting back at someone. Show how you settled it "
                                "respectfully, one to one.",
    "is dishonest or oversteps": "this reads as dishonest, or as going beyond your authority. Show how you worked "
                                 "within the rules and were open about it.",
    "breaks a rule or a trust": "this reads as breaking a rule or a trust (safety, privacy, a control, a conflict of "
                                "interest), however calmly told. Show how you got it done within the rules.",
    "bad-mouths an employer": "this reads as bad-mouthing an employer. Say what you are looking for instead.",
    "is only about money or status": "this reads as being only about money or status. Say what draws you to the work.",
    "shows no self-awareness": "this reads as a lack of self-awareness. Show that you can see your own part and what "
                               "you learned.",
}
INCORRECT_BELOW = 2.0  # a story scored under this (with no red flag read) is graded incorrect, not partial
# prompts about motives or traits rather than a past event: no situation, actions or result to look for
_NOT_A_STORY = re.compile(r"^\W*(?:(?:q(?:uestion)?\s*)?\d{1,3}\s*[.):]\s*)?"  # "Q1.", "3)": a numbered prompt
                          r"(?:why\b|what(?:'s|’s| is| are| was| were) your\b|where do you see\b|what motivates\b|"
                          r"how would your\b|what would your\b|walk (?:me|us) through your\b|tell (?:me|us) about yourself\b|"
                          r"what (?:kind|type|sort) of\b)",
                          re.I)
# ...except "What was your biggest mistake?": a past event asked for by its name
_NAMED_EVENT = re.compile(r"\byour (?:greatest|biggest|proudest|hardest|worst) (?:mistake|failure|achievement|accomplishment"
                          r"|success|setback|challenge|decision)\b"
                          # ...and "What kind of conflicts have you had, and how did you resolve them?" (a review)
                          r"|\b(?:have you (?:had|faced|dealt|handled|been)|you(?:'ve| have) (?:had|faced))\b", re.I)


def is_story_prompt(question: str) -> bool:
    """A behavioural prompt that asks for a past event ("Tell me about a time ...", "What was your biggest mistake?"),
    not for a motive or a trait ("Why do you want to work here?", "What is your greatest weakness?")."""
    return bool(_NAMED_EVENT.search(question)) or not _NOT_A_STORY.search(question.strip())


def elements(feats: dict[str, float]) -> dict[str, bool]:
    """Which of a story's parts the answer has (set by hand; the score reads the features, not these)."""
    return {
        SITUATION: feats["time"] >= 1 or (feats["i_past"] >= 0.25 and feats["generic"] < 0.5),
        ACTIONS: feats["i_past"] >= 0.3 and feats["we_share"] <= 0.5,
        RESULT: feats["result"] >= 1,  # a number alone is no result ("1234 5678", a review)
        REFLECTION: feats["reflection"] >= 1,
    }


def _basis(fl: dict) -> str:
    if fl.get("cued"):
        return "red-flag reading: a phrasing interviewers mark down" + (f" (closest kind: \"{fl['kind']}\")" if fl["kind"] else "")
    if "whole_answer" in fl:
        return (f"red-flag reading of the embedding model: the answer as a whole reads like a red-flag answer "
                f"({fl['whole_answer']:.2f}), and this sentence reads the most like one")
    return f"red-flag reading of the embedding model: closest to \"{fl['kind']}\", {fl['similarity']:.2f}"


GENERIC_CORRECTION = ("this reads like a red flag: an interviewer may see a risk in what you did. Say what you would "
                      "do now, and what you owned of it.")


# what each feature means to a candidate ("Why this score" listed "q_sim 0.19, q_margin -0.25, ...": a walkthrough)
FEATURE_WORDS = {
    "q_sim": "closeness to the question", "q_margin": "closeness to this question over other interview questions",
    "ref_sim": "closeness to the sample's topic", "log_words": "length", "i_past": "first-person past actions",
    "we_share": "share of \"we\"", "generic": "habit talk (\"I always\", \"I would\")",
    "time": "time and place", "numbers": "numbers", "result": "result words", "reflection": "lesson words",
    "red_flag": "closeness to red-flag answers", "red_margin": "red flag over ownership",
    "red_cues": "red-flag phrasings", "red_lr": "the red-flag regression's reading",
}
WHY_SHOWN = 3  # the features that raised and lowered the score most, each side


def _why(model: StoryModel, feats: dict[str, float]) -> str:
    """" (raised most by length, high (+1.2); ...; lowered most by ...)" from the model's contributions: each
    feature's share of the score, with whether the answer reads high or low on it against the training answers."""
    x = dict(zip(FEATURES, model.standardised(feats)))
    parts = sorted(model.contributions(feats).items(), key=lambda kv: kv[1])

    def said(k: str, v: float) -> str:
        return f"{FEATURE_WORDS[k]}, {'high' if x[k] > 0 else 'low'} ({v:+.1f})"

    up = [said(k, v) for k, v in reversed(parts[-WHY_SHOWN:]) if v >= 0.05]
    down = [said(k, v) for k, v in parts[:WHY_SHOWN] if v <= -0.05]
    text = "; ".join(s for s in (("raised most by " + "; ".join(up)) if up else "",
                                 ("lowered most by " + "; ".join(down)) if down else "") if s)
    return f" ({text})" if text else ""


def grade_story(grade, question: str, reading: StoryReading, model: StoryModel) -> None:
    """Fill ``grade`` (coach.grading.types.Grade) from a story reading: score, verdict, the story's parts as right or
    missing, red-flag sentences as wrong (each with what an interviewer reads in it), the steps and the note."""
    from coach.grading.types import Step

    f = model.features(reading)
    raw = model.linear(f)
    off_topic = f["q_margin"] < model.off_topic_below
    flagged = model.flagged_sentences(reading, f) if model.red_flagged(f) and not off_topic else []
    grade.score = round(model.score(f), 1)
    if off_topic:
        grade.verdict = "off_topic"
    elif model.red_flagged(f):
        grade.verdict = "incorrect"
    else:
        # under 2: "Partly correct" beside 0.7/10 read as a contradiction (a walkthrough and a review)
        grade.verdict = "correct" if grade.score >= 6.5 else "partial" if grade.score >= INCORRECT_BELOW else "incorrect"
    if is_story_prompt(question) and not off_topic:
        parts = elements(f)
        grade.right = [t for t, ok in parts.items() if ok]
        grade.missing = [t for t, ok in parts.items() if not ok]
    else:
        grade.right, grade.missing = [], []
    grade.unconfirmed = []
    grade.wrong = [{"claim": fl["sentence"], "said": fl["sentence"], "source_error": False, "how": "red flag",
                    "correction": "An interviewer may stop here: " + CORRECTIONS.get(fl["kind"], GENERIC_CORRECTION)
                    if fl.get("cued") or "whole_answer" not in fl else "An interviewer may stop here: " + GENERIC_CORRECTION,
                    "basis": _basis(fl)} for fl in flagged]
    grade.steps = [Step("story", round(raw / 10, 3), f"the story model's reading, {raw:.1f}/10{_why(model, f)}")]
    if off_topic:
        grade.steps.append(Step("off_topic", round(f["q_margin"], 3), "the answer is closer to another interview "
                                f"question (\"{reading.other_prompt}\") than to the one asked: at most 1.5"))
    elif model.red_flagged(f):
        grade.steps.append(Step("red_flag", round(f["red_lr"], 3), "the answer reads as a red flag (a red-flag phrasing "
                                f"{int(f['red_cues'])}, prototype margin {f['red_margin']:.2f} against "
                                f"{model.flag_min:.2f}, the regression's {f['red_lr']:.2f} against {model.red_min:.2f}): "
                                f"at most {model.flag_cap:g}"))
    grade.notes.append(STORY_NOTE)
