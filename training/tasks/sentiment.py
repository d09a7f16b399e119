"""Text classification (IMDB sentiment, or your own labelled texts): many-to-one
over word tokens.

The vocabulary is learned on the training split by ``TextVectorization``
(lower-case, ``<br />`` and punctuation stripped, the ``vocab_size`` most
frequent words, each text truncated or padded to ``sequence_length`` tokens).
The saved inference model reads raw strings: the vectorizer lives inside it.
Two labels give one sigmoid output (the probability of the second label),
more give a softmax over the labels.
"""

import sys
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from training.data import load_imdb
from training.data.sources import DataError
from training.tasks import pipeline
from zoo.kinds import SENTIMENT_LABELS
from zoo.layers.bigrams import frequent_bigrams
from zoo.text import lower_and_strip_punctuation
from zoo.topologies import many_to_one

KIND = "classifier"
DEFAULT_SPLIT = "test"


def topology(recipe):
    return "many-to-one"


@dataclass
class Prepared:
    model: keras.Model          # what fit() trains: token ids -> class probabilities
    train: object               # (epoch, member=1) -> tf.data.Dataset
    validation: object          # tf.data.Dataset
    vectorizer: keras.layers.TextVectorization
    data: dict
    labels: list = field(default_factory=lambda: list(SENTIMENT_LABELS))
    new_member: object = None   # member number -> another untrained network, same vocabularies
    members: list = field(default_factory=list)  # an ensemble's trained networks

    def inference_model(self):
        """Raw strings in, class probabilities out (an ensemble's mean)."""
        texts = keras.Input(shape=(1,), dtype="string", name="text")
        tokens = self.vectorizer(texts)
        outputs = [network(tokens) for network in self.members or [self.model]]
        p = outputs[0] if len(outputs) == 1 else keras.layers.Average(name="ensemble_mean")(outputs)
        return keras.Model(texts, p, name=self.model.name.removesuffix("_member1"))

    def extra_files(self):
        return {}


def make_vectorizer(recipe, texts):
    return pipeline.text_vectorizer(texts, recipe.vocab_size, recipe.sequence_length,
                                    lower_and_strip_punctuation, "vectorizer")


def load(recipe, data_dir=None, limit=None):
    return pipeline.limited(load_imdb(data_dir=data_dir), limit)


def soft_accuracy(y_true, y_pred):
    """Two-class accuracy against targets that are probabilities: the same side of 0.5."""
    y_true = keras.ops.reshape(y_true, keras.ops.shape(y_pred))
    return keras.ops.cast(keras.ops.equal(y_true > 0.5, y_pred > 0.5), "float32")


soft_accuracy.__name__ = "accuracy"  # the history's column, as for hard targets


def _compile(model, classes, learning_rate, soft=False):
    """``soft``: targets are probabilities (a teacher's share in them), not
    class numbers: one per label for more than two classes."""
    if classes == 2:
        loss, metric = "binary_crossentropy", "accuracy" if not soft else soft_accuracy
    elif soft:
        loss, metric = "categorical_crossentropy", "categorical_accuracy"
    else:
        loss, metric = "sparse_categorical_crossentropy", "accuracy"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=[metric])
    return model


def build_model(recipe, bigram_vocabulary=None, member=None, classes=2):
    """The network of ``recipe`` (``member``: its number in an ensemble, which names it)."""
    name = recipe.name.replace("-", "_") + (f"_member{member}" if member else "")
    model = many_to_one(recipe.cell, recipe.units, vocab_size=recipe.vocab_size,
                        embedding_dim=recipe.embedding_dim, num_layers=recipe.layers,
                        bidirectional=recipe.bidirectional, dropout=recipe.dropout,
                        pooling=recipe.pooling, input_dropout=recipe.input_dropout,
                        bigram_vocabulary=bigram_vocabulary,
                        output_dim=1 if classes == 2 else classes,
                        output_activation="sigmoid" if classes == 2 else "softmax", name=name)
    return _compile(model, classes, recipe.learning_rate, soft=bool(recipe.teacher))


def _check_labels(option, entry, labels, advice=""):
    """A ``DataError`` unless the trained classifier ``entry`` has the data's ``labels``."""
    from zoo import kinds

    theirs = kinds.labels_of(entry.card)
    if theirs != list(labels):
        raise DataError(f"{option}: it was trained on the labels {', '.join(theirs)}, the data has "
                        f"{', '.join(labels)}{advice}")


def _continued(start, labels, learning_rate):
    """``(vectorizer, network over token ids)`` of a trained classifier
    (``start``: its ``registry.Entry``), to train further on data with ``labels``."""
    from zoo.models import _split_classifier

    _check_labels(f"--from {start.name}", start, labels,
                  "; give data with the same labels, or train from scratch")
    network = keras.saving.load_model(start.model_file, compile=False)
    parts = _split_classifier(network)
    if parts is None:
        raise DataError(f"--from {start.name}: not a text -> TextVectorization -> network classifier")
    vectorizer, bodies, join = parts
    tokens = keras.Input(shape=(None,), dtype="int64", name="tokens")
    outputs = [body(tokens) for body in bodies]
    model = keras.Model(tokens, join(outputs) if join else outputs[0], name=network.name)
    return vectorizer, _compile(model, len(labels), learning_rate)


def teacher_probabilities(teacher, texts, labels):
    """A teacher's probabilities for ``texts`` (``(n,)`` for two labels, else
    ``(n, len(labels))``). ``teacher``: a trained classifier's name or path
    (see ``zoo.registry.resolve``), trained on the same ``labels``."""
    from zoo import registry

    entry = registry.resolve(teacher)
    if entry.card.get("interface") != "classifier":
        raise DataError(f"--teacher {teacher}: a {entry.card.get('interface')}, not a classifier")
    _check_labels(f"--teacher {teacher}", entry, labels)
    print(f"Reading {len(texts):,} training texts with the teacher {entry.name} ...", file=sys.stderr, flush=True)
    return registry.load(teacher).predict(list(texts)).astype("float32")


def random_crops(texts, count, seed):
    """``count`` random windows of each text, in order: each a run of 25% to
    75% of its words (at least one)."""
    rng = np.random.default_rng(seed)
    crops = []
    for text in texts:
        words = text.split()
        for _ in range(count):
            k = max(1, round(len(words) * rng.uniform(0.25, 0.75)))
            start = int(rng.integers(0, max(1, len(words) - k + 1)))
            crops.append(" ".join(words[start:start + k]))
    return crops


def prepare(recipe, data_dir=None, limit=None, own=None, start=None):
    """The model and data pipelines of ``recipe``: on its dataset, or on
    ``own`` (``training.data.own.OwnData``); from scratch, or continuing the
    trained model ``start`` (a ``registry.Entry``)."""
    data = pipeline.limited(own.splits, limit) if own else load(recipe, data_dir, limit)
    labels = own.label_names if own else list(SENTIMENT_LABELS)
    classes = len(labels)
    if start:
        vectorizer, model = _continued(start, labels, recipe.learning_rate)
    else:
        vectorizer = make_vectorizer(recipe, data["train"][0])
    ids = {k: pipeline.vectorize(vectorizer, t) for k, (t, _) in data.items() if k != "test"}
    dtype = "float32" if classes == 2 else "int32"
    targets = {k: np.asarray(y, dtype) for k, (_, y) in data.items()}
    pairs = (frequent_bigrams(ids["train"], recipe.vocab_size, recipe.bigrams)
             if recipe.bigrams and not start else None)  # learned on the training split, like the words
    if recipe.teacher:  # distillation: the teacher's probability takes its share of each target
        if classes > 2:  # soft targets: a probability per label
            targets = {k: np.eye(classes, dtype="float32")[y] for k, y in targets.items()}
        texts = list(data["train"][0])
        crops = random_crops(texts, recipe.teacher_crops, recipe.seed)  # targets: the teacher's alone
        probs = teacher_probabilities(recipe.teacher, texts + crops, labels)
        w = recipe.teacher_weight
        targets["train"] = np.concatenate([(1.0 - w) * targets["train"] + w * probs[:len(texts)],
                                           probs[len(texts):]])
        if crops:
            ids["train"] = np.concatenate([ids["train"], pipeline.vectorize(vectorizer, crops)])

    def train(epoch, member=1):  # each member of an ensemble sees its own order
        return pipeline.batches((ids["train"], targets["train"]), recipe.batch_size,
                                seed=recipe.seed + member - 1, epoch=epoch)

    validation = pipeline.batches((ids["validation"], targets["validation"]), 256)
    if start:
        return Prepared(model, train, validation, vectorizer, data, labels)
    first = 1 if recipe.ensemble > 1 else None
    return Prepared(build_model(recipe, pairs, first, classes), train, validation, vectorizer, data,
                    labels, new_member=lambda member: build_model(recipe, pairs, member, classes))


def evaluate(inference_model, data, split="test", batch_size=256, progress=False):
    """Accuracy and log loss of a raw-string classifier on a split."""
    texts, labels = data[split]
    probs = inference_model.predict(tf.constant(list(texts))[:, None], batch_size=batch_size,
                                    verbose=1 if progress else 0).astype("float64")
    labels = np.asarray(labels)
    eps = 1e-7
    if probs.shape[-1] == 1:
        p = probs.reshape(-1)
        predicted = (p > 0.5).astype(int)
        loss = -np.mean(labels * np.log(p + eps) + (1 - labels) * np.log(1 - p + eps))
    else:
        predicted = probs.argmax(-1)
        loss = -np.mean(np.log(probs[np.arange(len(labels)), labels] + eps))
    return {"split": split, "examples": int(len(labels)),
            "accuracy": float(np.mean(predicted == labels)), "loss": float(loss)}


def evaluate_file(model_path, extras, data, split=DEFAULT_SPLIT, progress=False):
    return evaluate(keras.saving.load_model(model_path), data, split, progress=progress)
