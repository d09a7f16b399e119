"""The zoo's ready-to-use models: a trained Keras model plus its task's method.

``zoo.load(name)`` returns one of these; each is a ``keras.Model`` (calling it
runs the wrapped network) with the method its task needs.
"""

import functools

import keras
import numpy as np
import tensorflow as tf

from zoo import generation, translation
from zoo.layers import RNN
from zoo.length_groups import split_by_length
from zoo.text import CharVocabulary


def _strings(texts, what="texts"):
    if isinstance(texts, str):
        texts = [texts]
    texts = list(texts)
    if not texts or not all(isinstance(t, str) for t in texts):
        raise ValueError(f"`{what}` must be a non-empty list of strings.")
    return texts


#: Texts from which a classifier's batch runs compiled loops (see ``TextClassifier.predict``).
COMPILED_ROWS = 32


class TextClassifier(keras.Model):
    """Raw strings in, class probabilities out; ``classify`` names the label.

    A two-class network has one sigmoid output, ``p(labels[1])``; a network of
    more classes has one softmax output per label.

    >>> m = zoo.load("imdb-lstm")                                  # doctest: +SKIP
    >>> m.predict(["a wonderful, moving film", "dull and far too long"])  # doctest: +SKIP
    array([0.97, 0.03], dtype=float32)
    >>> m.classify(["a wonderful, moving film"])                     # doctest: +SKIP
    [('positive', 0.97)]
    """

    def __init__(self, network, labels=("negative", "positive"), **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.labels = list(labels)
        self._parts = _split_classifier(network)
        length = self._parts and self._parts[0].get_config().get("output_sequence_length")
        self._lengths = length_classes(length) if length else None
        self._bodies = {}  # steps (None: any) -> the network after its vectorizer, over that many steps
        self._compiled = set()  # (rows, steps) whose loops are compiled: any batch that fits runs them
        self.missed = {}  # (rows, steps) -> batches that ran Keras' loop for want of them
        self.group_by_length = True  # False: one call per batch (see predict)
        self._fast = any(isinstance(layer, RNN) and layer.supports_fast_path()
                         for layer in network._flatten_layers())
        # Graphs for every batch size: no retracing per new batch (as
        # predict_on_batch does), and no eager per-step loop (seconds per call).
        if self._lengths:
            self._tokens = tf.function(self._parts[0], input_signature=[tf.TensorSpec([None, 1], tf.string)])
        else:
            self._probabilities = tf.function(lambda texts: self.network(texts, training=False),
                                              input_signature=[tf.TensorSpec([None, 1], tf.string)])

    def call(self, texts):
        return self.network(texts)

    def _body(self, steps, dtype):
        """The network after its vectorizer, over token ids cut to ``steps``:
        traced for that length, its recurrent layers compile their loops (the
        zoo layers' fast path); ``steps=None``: any length, Keras' loop."""
        if steps not in self._bodies:
            _, bodies, join = self._parts

            def run(tokens):
                outputs = [body(tokens, training=False) for body in bodies]
                return join(outputs) if join else outputs[0]

            body = tf.function(run, input_signature=[tf.TensorSpec([None, steps], dtype)])
            body._omit_frequent_tracing_warning = True  # one trace per length class, on purpose
            self._bodies[steps] = body
        return self._bodies[steps]

    def predict(self, texts, batch_size=256, **kwargs):
        """``p(labels[1])`` per text for two classes (shape ``(n,)``), else the
        probability of every label (shape ``(n, len(labels))``).

        The texts are read in order of length, ``batch_size`` at a time, each
        batch cut after its longest text: the vectorizer pads every text to the
        recipe's length, and the steps after a text's last token are masked out
        anyway (same result, to float32 rounding), so a short review costs about
        its own length, not 600 steps. A batch of at least ``COMPILED_ROWS``
        texts is cut at its length class and padded to a power of two rows, and
        runs compiled loops (compiled once per class and size: a second or so
        each); so does a smaller one whose shape ``compile_loop`` compiled
        (several times faster); any other runs Keras' loop, which needs no
        compiling. A batch runs as several calls, each for texts of similar
        length, where the shapes they need are compiled and the estimate
        (``zoo.length_groups``) says they cost less than one: a batch of
        random reviews costs about its longest review in every row
        (``group_by_length = False``: one call per batch)."""
        texts = _strings(texts)
        batches = range(0, len(texts), batch_size)
        if not self._lengths:
            probs = np.concatenate([np.asarray(self._probabilities(tf.constant(texts[i:i + batch_size])[:, None]))
                                    for i in batches])
            return probs.reshape(-1) if probs.shape[-1] == 1 else probs
        tokens = np.concatenate([np.asarray(self._tokens(tf.constant(texts[i:i + batch_size])[:, None]))
                                 for i in batches])
        dtype = tf.as_dtype(tokens.dtype)
        lengths = (tokens != 0).sum(axis=1)
        order = np.argsort(lengths, kind="stable")
        probs = None
        compiled = lambda size, steps: (size, steps) in self._compiled  # noqa: E731
        for i in batches:
            batch = order[i:i + batch_size]
            # Groups of similar length, each its own call, where that costs
            # less; only the whole batch may compile a shape on first use.
            groups = [(0, len(batch))]
            if self.group_by_length:
                groups = split_by_length(lengths[batch], self._lengths, compiled, whole=len(batch) >= COMPILED_ROWS)
            for start, stop in groups:
                rows = batch[start:stop]
                longest = max(int(lengths[rows[-1]]), 1)  # sorted: the last row is the longest
                steps = next(c for c in self._lengths if c >= longest)
                size = 1 << (len(rows) - 1).bit_length()
                if len(rows) >= COMPILED_ROWS or (size, steps) in self._compiled:
                    out = self._run_compiled(tokens[rows], size, steps, dtype)
                else:
                    self.missed[size, steps] = self.missed.get((size, steps), 0) + 1
                    out = np.asarray(self._body(None, dtype)(tokens[rows, :longest]))
                if probs is None:
                    probs = np.empty((len(texts), out.shape[-1]), out.dtype)
                probs[rows] = out
        return probs.reshape(-1) if probs.shape[-1] == 1 else probs

    def _run_compiled(self, tokens, size, steps, dtype):
        """The network over ``tokens`` cut to ``steps`` and padded with empty
        rows to ``size``, in the graph for that length (compiled loops)."""
        batch = np.zeros((size, steps), tokens.dtype)
        batch[:len(tokens)] = tokens[:, :steps]
        out = np.asarray(self._body(steps, dtype)(batch))[:len(tokens)]
        self._compiled.add((size, steps))
        return out

    def loops_to_compile(self, rows=COMPILED_ROWS):
        """The ``(rows, steps)`` shapes of batches of up to ``rows`` texts (a
        power of two rows, each length class) whose loops are not compiled yet:
        first those ``predict`` ran in Keras' loop for want of them (the most
        often first), then the rest, smallest first. Empty for a network
        without the zoo's fast layers."""
        if not (self._lengths and self._fast):
            return []
        sizes = [1 << k for k in range(max(rows, 1).bit_length()) if 1 << k <= rows]
        todo = [(size, steps) for size in sizes for steps in self._lengths if (size, steps) not in self._compiled]
        return sorted(todo, key=lambda shape: -self.missed.get(shape, 0))  # stable: smallest first among equals

    def compile_loop(self, rows, steps):
        """Compiles the loops of a batch of ``rows`` texts cut to ``steps``
        tokens (a fraction of a second), so that ``predict`` runs them for such
        batches: a review alone took 3 ms there instead of 41 in Keras' loop
        (``imdb-bilstm-distilled``, 600 tokens, 2 cores)."""
        dtype = self._token_dtype
        self._run_compiled(np.zeros((rows, steps), dtype), rows, steps, tf.as_dtype(dtype))

    @functools.cached_property
    def _token_dtype(self):
        """The vectorizer's token id dtype (read once, from an empty text)."""
        return np.asarray(self._tokens(tf.constant([[""]]))).dtype

    def compile_loops(self, rows=COMPILED_ROWS):
        """Compiles the loops of every batch of up to ``rows`` texts (each
        ``loops_to_compile``; 72 shapes for 32 rows and 600 tokens: ~35 s of
        both cores here). Returns how many shapes were compiled."""
        shapes = self.loops_to_compile(rows)
        for shape in shapes:
            self.compile_loop(*shape)
        return len(shapes)

    def classify(self, texts, batch_size=256):
        """``(label, probability of that label)`` per text: the most likely label."""
        probs = self.predict(texts, batch_size)
        if probs.ndim == 1:
            return [(self.labels[1], float(p)) if p >= 0.5 else (self.labels[0], float(1.0 - p)) for p in probs]
        return [(self.labels[int(i)], float(row[i])) for row, i in zip(probs, probs.argmax(-1))]


def length_classes(length):
    """The step counts a classifier of ``length`` tokens cuts its batches to:
    multiples of 32 up to 128, of 64 beyond, and ``length`` itself (at most a
    third of a cut batch is padding past 96 steps; each class is one graph)."""
    steps = [c for c in (*range(32, 129, 32), *range(192, length, 64)) if c < length]
    return steps + [length]


def _split_classifier(network):
    """``(vectorizer, bodies, join)`` of a classifier built as text ->
    TextVectorization -> one model over padded token ids (0 = padding;
    ``join`` None), or several whose outputs a final ``Average`` layer joins
    (an ensemble; ``join`` is that layer); else ``None``."""
    layers = network.layers
    if len(layers) < 3 or not isinstance(layers[1], keras.layers.TextVectorization):
        return None
    bodies = [layer for layer in layers[2:] if isinstance(layer, keras.Model)]
    rest = [layer for layer in layers[2:] if not isinstance(layer, keras.Model)]
    if len(bodies) == 1 and not rest:
        return layers[1], bodies, None
    if len(bodies) > 1 and len(rest) == 1 and isinstance(rest[0], keras.layers.Average):
        return layers[1], bodies, rest[0]
    return None


class CharGenerator(keras.Model):
    """A character model that continues a prompt one character per step,
    carrying its recurrent state (the cost of a character does not grow with
    the text)."""

    def __init__(self, network, chars, carry_state=True, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.carry_state = carry_state  # False for a one-to-one (bigram) model
        self.vocabulary = CharVocabulary(chars)
        self._stepper = generation.Stepper(network)  # its compiled step is traced once, not per call

    def call(self, inputs):
        return self.network(inputs)

    def generate(self, prompt, length=200, temperature=1.0, seed=None):
        """``prompt`` followed by ``length`` sampled characters; same seed, same text."""
        if not isinstance(prompt, str) or not prompt:
            raise ValueError("`prompt` must be a non-empty string.")
        if not isinstance(length, int) or length < 0:
            raise ValueError("`length` must be a non-negative integer.")
        stepper = self._stepper
        if self.carry_state:
            logits, state = stepper.run(self.vocabulary.encode(prompt)[None], stepper.zero_state(1))
        else:
            logits, state = stepper.step(self.vocabulary.encode(prompt[-1]), stepper.zero_state(1))
        ids = generation.generate(stepper, logits, state, length, temperature, seed,
                                  self.carry_state, forbid=(0,))  # id 0: unknown character
        return prompt + self.vocabulary.decode(ids[0])


class SentenceTooLong(ValueError):
    """A sentence longer than a translator reads; ``index``: its text's position."""

    def __init__(self, message, index):
        super().__init__(message)
        self.index = index


class Translator(keras.Model):
    """An encoder-decoder that translates sentences (greedy, or beam search).

    The network reads at most ``max_source_tokens`` tokens (words and
    punctuation marks) of a source. ``translate`` cuts each text into sentences,
    translates them one by one and joins their translations; a sentence longer
    than the network reads is refused with ``SentenceTooLong`` (a ``ValueError``), never cut.
    """

    def __init__(self, network, target_vocabulary, max_length=21, max_source_tokens=None, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.target_vocabulary = list(target_vocabulary)
        self.max_length = max_length
        self.max_source_tokens = max_source_tokens

    def call(self, inputs):
        return self.network(inputs)

    def translate(self, texts, beam_size=1):
        texts = _strings(texts)
        if not isinstance(beam_size, int) or beam_size < 1:
            raise ValueError("`beam_size` must be a positive integer.")
        sentences, owners = [], []
        for i, text in enumerate(texts):
            for sentence in translation.split_sentences(text):
                sentences.append(sentence)
                owners.append(i)
        if self.max_source_tokens:
            for sentence, owner, n in zip(sentences, owners, translation.source_tokens(sentences)):
                if n > self.max_source_tokens:
                    start = sentence if len(sentence) <= 40 else sentence[:40] + "..."
                    raise SentenceTooLong(
                        f"text {owner + 1}: the sentence {start!r} has {n} tokens; this translator reads "
                        f"at most {self.max_source_tokens} tokens (words and punctuation marks) a sentence", owner)
        if beam_size == 1:
            out = translation.greedy(self.network, self.target_vocabulary, sentences, self.max_length)
        else:
            out = translation.beam(self.network, self.target_vocabulary, sentences, beam_size, self.max_length)
        joined = [[] for _ in texts]
        for owner, translated in zip(owners, out):
            joined[owner].append(translated)
        return [" ".join(parts) for parts in joined]
