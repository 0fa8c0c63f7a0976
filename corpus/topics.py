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
                     r"llms?", r"large language models?", r"encoder-decoder", r"tokens?"],
    "generative": [r"gans?", r"generative", r"autoencoders?", r"auto-encoders?", r"vaes?", r"generator", r"discriminator",
                   r"boltzmann", r"rbms?", r"diffusion", r"deep belief"],
    "normalization": [r"normali[sz]ation", r"normali[sz]e\w*", r"batch norm", r"layer norm", r"standardi[sz]\w*"],
    "regularization": [r"regulari[sz]ation", r"dropouts?", r"overfitting", r"over-fitting", r"underfitting", r"l1", r"l2",
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
_COMPILED = {t: re.compile(r"\b(" + "|".join(ks) + r")\b", re.IGNORECASE) for t, ks in _KEYWORDS.items()}


def topic_of(question: str, answer: str = "") -> str:
    scores: dict[str, int] = {}
    answer_only: list[str] = []
    for topic in TOPICS[:-1]:  # all but the fundamentals fallback
        rx = _COMPILED[topic]
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
