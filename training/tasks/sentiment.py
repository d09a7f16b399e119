"""Sentiment classification on IMDB: many-to-one over word tokens.

The vocabulary is learned on the training split by ``TextVectorization``
(lower-case, punctuation stripped, the ``vocab_size`` most frequent words,
each review truncated or padded to ``sequence_length`` tokens). The saved
inference model reads raw strings: the vectorizer lives inside it.
"""

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from training.data import load_imdb
from training.tasks import pipeline
from zoo.layers.bigrams import frequent_bigrams
from zoo.text import lower_and_strip_punctuation
from zoo.topologies import many_to_one


@dataclass
class Prepared:
    model: keras.Model          # what fit() trains: token ids -> p(positive)
    train: object               # (epoch, member=1) -> tf.data.Dataset
    validation: object          # tf.data.Dataset
    vectorizer: keras.layers.TextVectorization
    data: dict
    new_member: object = None   # member number -> another untrained network, same vocabularies
    members: list = field(default_factory=list)  # an ensemble's trained networks

    def inference_model(self):
        """Raw review strings in, p(positive) out (an ensemble's mean probability)."""
        texts = keras.Input(shape=(1,), dtype="string", name="text")
        tokens = self.vectorizer(texts)
        outputs = [network(tokens) for network in self.members or [self.model]]
        p = outputs[0] if len(outputs) == 1 else keras.layers.Average(name="ensemble_mean")(outputs)
        return keras.Model(texts, p, name=self.model.name.removesuffix("_member1"))


def make_vectorizer(recipe, texts):
    return pipeline.text_vectorizer(texts, recipe.vocab_size, recipe.sequence_length,
                                    lower_and_strip_punctuation, "vectorizer")


def load(data_dir=None, limit=None):
    return pipeline.limited(load_imdb(data_dir=data_dir), limit)


def build_model(recipe, bigram_vocabulary=None, member=None):
    """The network of ``recipe`` (``member``: its number in an ensemble, which names it)."""
    name = recipe.name.replace("-", "_") + (f"_member{member}" if member else "")
    model = many_to_one(recipe.cell, recipe.units, vocab_size=recipe.vocab_size,
                        embedding_dim=recipe.embedding_dim, num_layers=recipe.layers,
                        bidirectional=recipe.bidirectional, dropout=recipe.dropout,
                        pooling=recipe.pooling, input_dropout=recipe.input_dropout,
                        bigram_vocabulary=bigram_vocabulary, name=name)
    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def prepare(recipe, data_dir=None, limit=None):
    data = load(data_dir, limit)
    vectorizer = make_vectorizer(recipe, data["train"][0])
    ids = {k: pipeline.vectorize(vectorizer, t) for k, (t, _) in data.items() if k != "test"}
    labels = {k: np.asarray(y, "float32") for k, (_, y) in data.items()}

    def train(epoch, member=1):  # each member of an ensemble sees its own order
        return pipeline.batches((ids["train"], labels["train"]), recipe.batch_size,
                                seed=recipe.seed + member - 1, epoch=epoch)

    validation = pipeline.batches((ids["validation"], labels["validation"]), 256)
    pairs = (frequent_bigrams(ids["train"], recipe.vocab_size, recipe.bigrams)
             if recipe.bigrams else None)  # learned on the training split, like the words
    first = 1 if recipe.ensemble > 1 else None
    return Prepared(build_model(recipe, pairs, first), train, validation, vectorizer, data,
                    new_member=lambda member: build_model(recipe, pairs, member))


def evaluate(inference_model, data, split="test", batch_size=256):
    """Accuracy (and log loss) of a raw-string classifier on a split."""
    texts, labels = data[split]
    probs = inference_model.predict(tf.constant(list(texts))[:, None],
                                    batch_size=batch_size, verbose=0).reshape(-1)
    labels = np.asarray(labels)
    eps = 1e-7
    loss = -np.mean(labels * np.log(probs + eps) + (1 - labels) * np.log(1 - probs + eps))
    return {"split": split, "examples": int(len(labels)),
            "accuracy": float(np.mean((probs > 0.5) == (labels == 1))),
            "loss": float(loss)}


DEFAULT_SPLIT = "test"


def evaluate_saved(model_path, recipe, data_dir=None, split=DEFAULT_SPLIT, limit=None):
    data = load(data_dir, limit)
    return evaluate(keras.saving.load_model(model_path), data, split)
