"""Character language models on tiny shakespeare.

``charlm``: synced many-to-many over characters, trained by truncated BPTT
(windows of ``bptt_k`` steps inside sequences of ``sequence_length``), the
state carried within each sequence. ``bigram``: one-to-one, one character in
and the next out, the recurrence-free baseline.

The vocabulary is the training text's characters, in sorted order, ids from
1; id 0 stands for a character never seen in training. The card metric is the
mean negative log-likelihood of every next character of the validation text
(nats/char, and bits/char), the text read as contiguous streams with the
state carried from one chunk to the next.
"""

import math
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from training.data import load_shakespeare
from training.data.sources import DataError
from training.tasks import pipeline
from training.tbptt import TruncatedBPTT
from zoo.text import CharVocabulary as Vocabulary
from zoo.topologies import many_to_many_synced, one_to_one


KIND = "generator"
DEFAULT_SPLIT = "validation"


def topology(recipe):
    return "one-to-one" if recipe.task == "bigram" else "synced many-to-many (one-to-many in generation)"


@dataclass
class Prepared:
    model: keras.Model          # what fit() trains
    train: object
    validation: object
    vocabulary: Vocabulary
    data: dict
    net: keras.Model            # the network itself (carry-state for charlm)

    def inference_model(self):
        return self.net

    def extra_files(self):
        return {"vocabulary.json": self.vocabulary.to_json()}


def sequences(ids, length, offset=0):
    """Non-overlapping (input, next-character target) sequences of ``length``."""
    ids = ids[offset:]
    n = (len(ids) - 1) // length
    return ids[: n * length].reshape(n, length), ids[1: n * length + 1].reshape(n, length)


def _compile(model, recipe):
    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate, clipnorm=5.0),
                  loss="sparse_categorical_crossentropy")


def load(recipe, data_dir=None, limit=None):
    return pipeline.limited(load_shakespeare(data_dir=data_dir), limit)


def _vocabulary_of(start, text):
    """The vocabulary of the trained model ``start``, which must hold every character of ``text``."""
    vocab = Vocabulary(start.extras()["vocabulary"]["chars"])
    unseen = sorted(set(text) - set(vocab.chars))
    if unseen:
        shown = ", ".join(repr(c) for c in unseen[:10]) + (" ..." if len(unseen) > 10 else "")
        raise DataError(f"--from {start.name}: the training text has {len(unseen)} character(s) its "
                        f"vocabulary lacks ({shown}); train from scratch instead")
    return vocab


def prepare(recipe, data_dir=None, limit=None, own=None, start=None):
    """The model and data of ``recipe``: its dataset, or ``own`` (a user's text);
    from scratch, or continuing the trained model ``start`` (a ``registry.Entry``)."""
    data = pipeline.limited(own.splits, limit) if own else load(recipe, data_dir, limit)
    vocab = _vocabulary_of(start, data["train"]) if start else Vocabulary.from_text(data["train"])
    ids = {k: vocab.encode(v) for k, v in data.items()}
    name = recipe.name.replace("-", "_")
    loaded = keras.saving.load_model(start.model_file, compile=False) if start else None

    if recipe.task == "bigram":
        net = loaded or one_to_one(recipe.cell, recipe.units, vocab_size=len(vocab),
                                   embedding_dim=recipe.embedding_dim, name=name)
        _compile(net, recipe)

        def train(epoch):
            return pipeline.batches((ids["train"][:-1], ids["train"][1:]), recipe.batch_size,
                                    seed=recipe.seed, epoch=epoch)

        validation = pipeline.batches((ids["validation"][:-1], ids["validation"][1:]), 4096)
        return Prepared(net, train, validation, vocab, data, net)

    T = recipe.sequence_length
    net = loaded or many_to_many_synced(recipe.cell, recipe.units, vocab_size=len(vocab),
                                        embedding_dim=recipe.embedding_dim, num_layers=recipe.layers,
                                        dropout=recipe.dropout, carry_state=True, name=name)
    trainer = TruncatedBPTT(net, k=recipe.bptt_k or T)
    _compile(trainer, recipe)

    def train(epoch):  # a new offset each epoch, so windows do not always start at the same places
        offset = int(np.random.default_rng(recipe.seed + epoch).integers(T))
        return pipeline.batches(sequences(ids["train"], T, offset), recipe.batch_size,
                                seed=recipe.seed, epoch=epoch, drop_remainder=True)

    validation = pipeline.batches(sequences(ids["validation"], T), recipe.batch_size)
    trainer(np.zeros((1, T), "int32"))  # build
    return Prepared(trainer, train, validation, vocab, data, net)


def stream_loss(net, ids, streams=32, chunk=500, progress=False):
    """Mean NLL (nats) of each next character of ``ids``, read as ``streams``
    contiguous pieces in parallel, the state carried across chunks."""
    streams = max(1, min(streams, len(ids) - 1))  # a text shorter than the streams: fewer of them
    n = (len(ids) - 1) // streams
    x = ids[: streams * n].reshape(streams, n)
    y = ids[1: streams * n + 1].reshape(streams, n)
    state = [tf.zeros((streams, *s.shape[1:]), s.dtype) for s in net.inputs[1:]]
    total = 0.0
    bar = keras.utils.Progbar(n, unit_name="step") if progress else None
    for start in range(0, n, chunk):
        if bar:
            bar.update(start)
        out = net([tf.constant(x[:, start:start + chunk]), *state], training=False)
        probs = out[0].numpy().astype("float64")
        target = y[:, start:start + chunk]
        total += -np.log(np.take_along_axis(probs, target[..., None], -1) + 1e-12).sum()
        state = list(out[1:])
    return total / x.size, int(x.size)


def pair_loss(net, ids, batch_size=8192, progress=False):
    """Mean NLL (nats) of each next character given only the current one."""
    probs = net.predict(ids[:-1], batch_size=batch_size, verbose=1 if progress else 0).astype("float64")
    return -np.log(probs[np.arange(len(probs)), ids[1:]] + 1e-12).mean(), len(probs)


def evaluate(net, data, vocabulary, split="validation", one_to_one_model=False, progress=False):
    ids = vocabulary.encode(data[split])
    nats, count = (pair_loss if one_to_one_model else stream_loss)(net, ids, progress=progress)
    return {"split": split, "characters": count, "loss_nats_per_char": float(nats),
            "bits_per_char": float(nats / math.log(2))}


def evaluate_file(model_path, extras, data, split=DEFAULT_SPLIT, progress=False):
    net = keras.saving.load_model(model_path)
    one_to_one_model = len(net.inputs) == 1  # a carry-state model also takes its states
    return evaluate(net, data, Vocabulary(extras["vocabulary"]["chars"]), split, one_to_one_model, progress)
