"""tf.data helpers shared by the tasks: deterministic order, no autotune."""

import keras
import numpy as np
import tensorflow as tf


def options():
    # Seen here: fit() could hang for seconds after the last batch in the
    # iterator teardown with autotune on; off, it did not, at no speed cost.
    opts = tf.data.Options()
    opts.autotune.enabled = False
    opts.deterministic = True
    return opts


def batches(arrays, batch_size, *, seed=None, epoch=0, drop_remainder=False):
    """Batches of in-memory arrays; shuffled by ``(seed, epoch)`` when ``seed`` is given,
    so an epoch's order is the same on every run and every machine."""
    data = tf.data.Dataset.from_tensor_slices(arrays)
    if seed is not None:
        data = data.shuffle(len(arrays[0]), seed=seed + epoch, reshuffle_each_iteration=False)
    return data.batch(batch_size, drop_remainder=drop_remainder).prefetch(2).with_options(options())


def text_vectorizer(texts, max_tokens, length, standardize, name):
    """A ``TextVectorization`` whose vocabulary is learned on ``texts``."""
    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_tokens, output_sequence_length=length, standardize=standardize, name=name)
    vectorizer.adapt(np.array(texts, dtype=object), batch_size=1024)
    return vectorizer


def vectorize(vectorizer, texts, batch_size=2048):
    """Token ids ``(len(texts), length)`` of a list of strings, in batches."""
    return np.concatenate([np.asarray(vectorizer(np.array(texts[i:i + batch_size], dtype=object)))
                           for i in range(0, len(texts), batch_size)]).astype("int32")


def limited(data, limit):
    """Each split cut to its first ``limit`` examples (``(texts, labels)`` pairs cut alike)."""
    if not limit:
        return data
    return {k: tuple(part[:limit] for part in v) if isinstance(v, tuple) else v[:limit]
            for k, v in data.items()}
