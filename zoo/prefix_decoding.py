"""Decoding by re-running the whole decoder over the prefix for every new token
(and every beam): ``n`` tokens cost ``O(n^2)`` decoder steps. It needs nothing
but the translation model's own call, and it is the reference the stateful
decoding of ``zoo.translation`` is checked against (same translations) and
timed against (``benchmarks/translation_speed.py``)."""

import weakref

import numpy as np
import tensorflow as tf

from zoo.translation import _batched, _best, _known_words, _special_tokens, _words

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


def greedy(model, vocabulary, texts, max_length=21, batch_size=256):
    """Feeds the decoder its own most likely token, step by step."""
    start, end, unknown = _special_tokens(vocabulary)
    next_probabilities = _next_probabilities(model)
    results = []
    for i in range(0, len(texts), batch_size):
        src = tf.constant(list(texts[i:i + batch_size]))[:, None]
        out = np.zeros((len(src), max_length), "int32")
        out[:, 0] = start
        done = np.zeros(len(src), bool)
        for t in range(max_length - 1):
            probs = _known_words(next_probabilities(src, out[:, : t + 1]), unknown)
            token = probs.argmax(-1)
            out[:, t + 1] = np.where(done, 0, token)
            done |= token == end
            if done.all():
                break
        results += [_words(row, vocabulary, end) for row in out[:, 1:]]
    return results


def beam(model, vocabulary, texts, beam_size=4, max_length=21, length_penalty=0.6, batch_size=128):
    """Beam search: for each text, keeps the ``beam_size`` best prefixes by
    log-probability; a prefix ending in ``[end]`` is finished. The best finished
    one by log-probability normalized by ``((5 + n) / 6) ** length_penalty``
    (Wu et al. 2016) wins. The live prefixes of ``batch_size`` texts go through
    the model together, one call per step."""
    return _batched(texts, batch_size,
                    lambda batch: _beam(model, vocabulary, batch, beam_size, max_length, length_penalty))


def _beam(model, vocabulary, texts, beam_size, max_length, length_penalty):
    start, end, unknown = _special_tokens(vocabulary)
    next_probabilities = _next_probabilities(model)
    live = [[([start], 0.0)] for _ in texts]
    finished = [[] for _ in texts]
    for _ in range(max_length - 1):
        rows = [(i, prefix) for i, beams in enumerate(live) for prefix in beams]
        if not rows:
            break
        src = tf.constant([[texts[i]] for i, _ in rows])
        prefixes = np.array([tokens for _, (tokens, _) in rows], "int32")
        log_probs = np.log(_known_words(next_probabilities(src, prefixes), unknown) + 1e-12)
        candidates = [[] for _ in texts]
        for (i, (tokens, score)), p in zip(rows, log_probs):
            for token in np.argsort(p)[-beam_size:]:
                candidates[i].append((tokens + [int(token)], score + float(p[token])))
        for i, options in enumerate(candidates):
            if not options:
                continue
            options.sort(key=lambda c: c[1], reverse=True)
            live[i] = []
            for tokens, score in options[:beam_size]:
                (finished[i] if tokens[-1] == end else live[i]).append((tokens, score))
    return _best(finished, live, vocabulary, end, length_penalty)
