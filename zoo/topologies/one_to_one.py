"""One-to-one: one input, one output, a single recurrent step from h_0 = 0."""

import keras

from zoo.layers import RNN
from zoo.topologies._stack import make_cells, output_layer


def one_to_one(cell="simplernn", units=64, *, vocab_size=None, input_dim=None,
               embedding_dim=None, output_dim=None, output_activation="softmax",
               name="one_to_one", **cell_kwargs):
    """Builds ``x -> h_1 = f(W_x x + b) -> y = f(W_y h_1 + b_y)``.

    With no history, ``W_h h_0`` vanishes and the recurrent cell reduces to a
    feed-forward layer: the recurrence-free baseline (e.g. a character bigram
    model, one character in and the next out).

    Args:
        cell: "simplernn", "gru", "lstm" or a cell instance.
        units: size of ``h``.
        vocab_size: input is one token id per example (an ``Embedding`` reads it).
        input_dim: input is one vector per example.
        output_dim: size of ``y``; defaults to ``vocab_size``.

    >>> import numpy as np
    >>> from zoo.topologies import one_to_one
    >>> model = one_to_one("gru", 8, vocab_size=10)
    >>> tuple(model(np.array([1, 2])).shape)
    (2, 10)
    """
    if (vocab_size is None) == (input_dim is None):
        raise ValueError("Give exactly one of `vocab_size` (token ids) or `input_dim` (vectors).")
    output_dim = output_dim or vocab_size
    if output_dim is None:
        raise ValueError("`output_dim` is required with vector inputs.")
    if vocab_size is not None:
        inputs = keras.Input(shape=(), dtype="int32", name="x")
        x = keras.layers.Embedding(vocab_size, embedding_dim or units, name="embedding")(inputs)
        width = embedding_dim or units
    else:
        inputs = keras.Input(shape=(input_dim,), name="x")
        x, width = inputs, input_dim
    x = keras.layers.Reshape((1, width), name="one_step")(x)
    (rnn_cell,) = make_cells(cell, units, 1, **cell_kwargs)
    h = RNN(rnn_cell, name="rnn_0")(x)
    return keras.Model(inputs, output_layer(h, output_dim, output_activation), name=name)
