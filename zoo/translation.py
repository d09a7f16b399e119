"""Decoding with a translation inference model: source strings and target-token
prefixes in, next-token probabilities out (``training.tasks.translation``)."""

import weakref

import numpy as np
import tensorflow as tf

from zoo.text import detokenize

START, END = "[start]", "[end]"


_DECODERS = weakref.WeakKeyDictionary()


def _next_probabilities(model):
    """``model`` as one graph over (sources, prefixes) of any batch size and
    prefix length: decoding then never retraces (``predict_on_batch`` would,
    for every new shape)."""
    if model not in _DECODERS:
        _DECODERS[model] = tf.function(
            lambda src, prefix: model([src, prefix], training=False),
            input_signature=[tf.TensorSpec([None, 1], tf.string), tf.TensorSpec([None, None], tf.int32)])
    return _DECODERS[model]


def _words(row, vocabulary, end):
    words = []
    for token in row:
        if token in (0, end):
            break
        words.append(vocabulary[token])
    return detokenize(words)


def greedy(model, vocabulary, texts, max_length=21, batch_size=256):
    """Feeds the decoder its own most likely token, step by step."""
    start, end = vocabulary.index(START), vocabulary.index(END)
    next_probabilities = _next_probabilities(model)
    results = []
    for i in range(0, len(texts), batch_size):
        src = tf.constant(list(texts[i:i + batch_size]))[:, None]
        out = np.zeros((len(src), max_length), "int32")
        out[:, 0] = start
        done = np.zeros(len(src), bool)
        for t in range(max_length - 1):
            probs = np.asarray(next_probabilities(src, out[:, : t + 1]))
            token = probs[:, -1].argmax(-1)
            out[:, t + 1] = np.where(done, 0, token)
            done |= token == end
            if done.all():
                break
        results += [_words(row, vocabulary, end) for row in out[:, 1:]]
    return results


def beam(model, vocabulary, text, beam_size=4, max_length=21, length_penalty=0.6):
    """Beam search for one sentence: keeps the ``beam_size`` best prefixes by
    log-probability, normalized by ``((5 + n) / 6) ** length_penalty`` (Wu et al. 2016)."""
    start, end = vocabulary.index(START), vocabulary.index(END)
    next_probabilities = _next_probabilities(model)
    beams, finished = [([start], 0.0)], []
    src = tf.constant([[text]])
    for _ in range(max_length - 1):
        prefixes = np.array([b[0] for b in beams], "int32")
        probs = np.asarray(next_probabilities(tf.repeat(src, len(beams), 0), prefixes))[:, -1]
        candidates = []
        for (tokens, score), p in zip(beams, np.log(probs + 1e-12)):
            for token in np.argsort(p)[-beam_size:]:
                candidates.append((tokens + [int(token)], score + float(p[token])))
        candidates.sort(key=lambda c: c[1], reverse=True)
        beams = []
        for tokens, score in candidates[:beam_size]:
            (finished if tokens[-1] == end else beams).append((tokens, score))
        if not beams:
            break
    finished += beams
    best = max(finished, key=lambda c: c[1] / (((5 + len(c[0])) / 6) ** length_penalty))
    return _words(best[0][1:], vocabulary, end)
