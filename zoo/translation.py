"""Stateful decoding for the zoo's translators (``zoo.topologies.encoder_decoder``
behind a source ``TextVectorization``, as ``training.tasks.translation`` saves them).

The encoder reads each sentence once; the decoder then takes one step per new
token, carrying its recurrent state, and attends over the encoder outputs kept
from that one pass. Beams are rows of one batch: a step gathers each beam's
parent state, so ``n`` tokens cost ``n`` decoder steps, not the ``n^2`` of
re-running the decoder over the prefix (``zoo.prefix_decoding``, which gives
the same translations).

>>> import zoo   # doctest: +SKIP
>>> zoo.load("spa-eng-translator").translate(["I love you."], beam_size=4)   # doctest: +SKIP
['Te quiero.']
"""

import re
import weakref

import keras
import numpy as np
import tensorflow as tf

from zoo import time_limit
from zoo.text import detokenize, split_punctuation
from zoo.topologies._stack import numbered_layers

START, END, UNKNOWN = "[start]", "[end]", "[UNK]"

_STEPS = weakref.WeakKeyDictionary()


def _special_tokens(vocabulary):
    """Ids of ``[start]``, ``[end]`` and ``[UNK]`` (``None`` if absent)."""
    return (vocabulary.index(START), vocabulary.index(END),
            vocabulary.index(UNKNOWN) if UNKNOWN in vocabulary else None)


def _known_words(probs, unknown):
    """Next-token ``probs`` with the out-of-vocabulary token never chosen: a
    translation names a word or leaves it out."""
    probs = np.array(probs[:, -1])
    if unknown is not None:
        probs[:, unknown] = 0.0
    return probs


def _words(row, vocabulary, end):
    words = []
    for token in row:
        if token in (0, end):
            break
        words.append(vocabulary[token])
    return detokenize(words)


def split_sentences(text):
    """``text`` cut after each ``.``, ``!``, ``?`` or ``…`` that a space follows.

    >>> split_sentences("Hello. How are you? Fine!")
    ['Hello.', 'How are you?', 'Fine!']
    """
    return [part for part in re.split(r"(?<=[.!?…])\s+", text.strip()) if part] or [text]


def source_tokens(texts):
    """How many tokens (words and punctuation marks) the source vectorizer
    splits each text into, before it cuts them to the model's length."""
    return [len(text.split()) for text in split_punctuation(tf.constant(list(texts))).numpy()]


class Steps:
    """A translation model taken apart for stateful decoding.

    ``encode(sources)`` gives the encoder outputs, their mask and the decoder's
    initial states; ``step(...)`` feeds one token per row through the decoder
    cells, attention and output layer, and gives the ``k`` most likely next
    tokens (``[UNK]`` never among them) with the rows' new states. Both are
    graphs over any batch size, traced once.

    ``model`` is the inference model: source strings ``(batch, 1)`` and target
    prefixes in, next-token probabilities out, built of a ``source_vectorizer``
    and the network of ``encoder_decoder`` (its layer names are the contract).
    """

    def __init__(self, model, unknown=None):
        vectorizer = model.get_layer("source_vectorizer")
        network = next(layer for layer in model.layers if isinstance(layer, keras.Model))
        decoders = numbered_layers(network, "decoder")
        names = {layer.name for layer in network.layers}
        self.cells = [decoder.cell for decoder in decoders]
        self.state_counts = [len(decoder.input) - 1 for decoder in decoders]
        initial_states = [state for decoder in decoders for state in decoder.input[1:]]
        self.attention = network.get_layer("attention") if "attention" in names else None
        outputs = list(initial_states)
        if self.attention:
            self.join = network.get_layer("attention_join")
            self.combine = network.get_layer("attention_combine")
            outputs.append(self.attention.input[1])  # the encoder outputs attended over
        self.embedding = network.get_layer("target_embedding")
        self.output = network.get_layer("output")
        encoder = keras.Model(network.inputs[0], outputs)
        vocabulary_size = self.output.units
        self.keep = tf.constant(np.arange(vocabulary_size) != (-1 if unknown is None else unknown))
        state_specs = [tf.TensorSpec([None, s.shape[-1]], tf.float32) for s in initial_states]
        memory_spec = tf.TensorSpec([None, None, outputs[-1].shape[-1]] if self.attention else [None],
                                    tf.float32)

        def encode(sources):
            ids = vectorizer(sources)
            out = encoder(ids, training=False)
            out = out if isinstance(out, (list, tuple)) else [out]
            states = list(out[:len(initial_states)])
            memory = out[-1] if self.attention else tf.zeros([tf.shape(ids)[0]])
            return states, memory, ids != 0

        self.encode = tf.function(encode, input_signature=[tf.TensorSpec([None, 1], tf.string)])
        self.step = tf.function(self._step, input_signature=[
            tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32), state_specs,
            tf.TensorSpec([None], tf.int32), memory_spec, tf.TensorSpec([None, None], tf.bool),
            tf.TensorSpec([], tf.int32)])

    def _step(self, tokens, parents, states, sentences, memory, mask, k):
        """One decoder step for each row: ``tokens[r]`` continues the beam whose
        states are row ``parents[r]`` of ``states``, translating sentence
        ``sentences[r]`` (its row of ``memory`` and ``mask``)."""
        x = tf.gather(self.embedding.embeddings, tokens)  # the embedding without its padding mask
        states = [tf.gather(s, parents) for s in states]
        new_states, at = [], 0
        for cell, count in zip(self.cells, self.state_counts):
            x, layer_states = cell(x, states[at:at + count], training=False)
            new_states += tf.nest.flatten(layer_states)
            at += count
        if self.attention:
            context = self.attention([x[:, None], tf.gather(memory, sentences)],
                                     mask=[None, tf.gather(mask, sentences)])[:, 0]
            x = self.combine(self.join([x, context]))
        probs = tf.where(self.keep, self.output(x), 0.0)
        best = tf.math.top_k(probs, k)
        return best.values, best.indices, new_states


def steps(model, vocabulary):
    """The ``Steps`` of ``model`` (built once per model)."""
    if model not in _STEPS:
        _STEPS[model] = Steps(model, _special_tokens(vocabulary)[2])
    return _STEPS[model]


def _sources(texts):
    return tf.constant(list(texts), tf.string)[:, None]


def greedy(model, vocabulary, texts, max_length=21, batch_size=256):
    """Feeds the decoder its own most likely token, step by step."""
    start, end, _ = _special_tokens(vocabulary)
    decoder = steps(model, vocabulary)
    texts, results = list(texts), []
    one = tf.constant(1)
    for i in range(0, len(texts), batch_size):
        batch = texts[i:i + batch_size]
        states, memory, mask = decoder.encode(_sources(batch))
        rows = np.arange(len(batch), dtype="int32")
        token = np.full(len(batch), start, "int32")
        out = np.zeros((len(batch), max_length - 1), "int32")
        done = np.zeros(len(batch), bool)
        for t in range(max_length - 1):
            time_limit.check()
            _, best, states = decoder.step(token, rows, states, rows, memory, mask, one)
            token = best.numpy()[:, 0]
            out[:, t] = np.where(done, 0, token)
            done |= token == end
            if done.all():
                break
        results += [_words(row, vocabulary, end) for row in out]
    return results


def beam(model, vocabulary, texts, beam_size=4, max_length=21, length_penalty=0.6, batch_size=128):
    """Beam search: for each text, keeps the ``beam_size`` best prefixes by
    log-probability; a prefix ending in ``[end]`` is finished. The best finished
    one by log-probability normalized by ``((5 + n) / 6) ** length_penalty``
    (Wu et al. 2016) wins. The live prefixes of ``batch_size`` texts go through
    the decoder together, one step per token."""
    return _batched(texts, batch_size,
                    lambda batch: _beam(model, vocabulary, batch, beam_size, max_length, length_penalty))


def _batched(texts, batch_size, decode):
    """``decode(batch)`` of each batch of ``batch_size`` texts, joined."""
    texts = list(texts)
    return [out for i in range(0, len(texts), batch_size) for out in decode(texts[i:i + batch_size])]


def _best(finished, live, vocabulary, end, length_penalty):
    """The words of each text's best beam, finished or not: by log-probability
    over ``((5 + n) / 6) ** length_penalty`` (a beam is ``(tokens, log p, ...)``)."""
    return [_words(max(done + beams, key=lambda c: c[1] / (((5 + len(c[0])) / 6) ** length_penalty))[0][1:],
                   vocabulary, end) for done, beams in zip(finished, live)]


def _beam(model, vocabulary, texts, beam_size, max_length, length_penalty):
    start, end, _ = _special_tokens(vocabulary)
    decoder = steps(model, vocabulary)
    k = tf.constant(beam_size)
    states, memory, mask = decoder.encode(_sources(texts))
    live = [[([start], 0.0, i)] for i in range(len(texts))]  # (tokens, log-probability, state row)
    finished = [[] for _ in texts]
    for _ in range(max_length - 1):
        time_limit.check()
        rows = [(i, beam) for i, beams in enumerate(live) for beam in beams]
        if not rows:
            break
        tokens = np.array([tokens[-1] for _, (tokens, _, _) in rows], "int32")
        parents = np.array([row for _, (_, _, row) in rows], "int32")
        sentences = np.array([i for i, _ in rows], "int32")
        probs, best, states = decoder.step(tokens, parents, states, sentences, memory, mask, k)
        log_probs, best = np.log(probs.numpy() + 1e-12), best.numpy()
        candidates = [[] for _ in texts]
        for r, ((i, (tokens, score, _)), p, ids) in enumerate(zip(rows, log_probs, best)):
            for j in reversed(range(beam_size)):  # least likely first, as the reference decoding
                candidates[i].append((tokens + [int(ids[j])], score + float(p[j]), r))
        for i, options in enumerate(candidates):
            if not options:
                continue
            options.sort(key=lambda c: c[1], reverse=True)
            live[i] = []
            for option in options[:beam_size]:
                (finished[i] if option[0][-1] == end else live[i]).append(option)
    return _best(finished, live, vocabulary, end, length_penalty)
