"""One-to-many: one input conditions a generated sequence (e.g. captioning)."""

import keras

from zoo.topologies._stack import make_cells, output_layer, recurrent_stack, state_sizes


def one_to_many(cell="lstm", units=64, *, vocab_size, condition_dim=None,
                condition_vocab_size=None, embedding_dim=None, num_layers=1,
                output_activation="softmax", name="one_to_many", **cell_kwargs):
    """Builds ``c -> h_0 = tanh(W_c c + b_c) -> y_1..y_T`` trained with teacher forcing.

    The condition ``c`` (a vector, or a token id read by an ``Embedding``) sets
    the initial state of every recurrent layer through its own ``Dense``
    (``init_<layer>_<state>``). The decoder reads the previous target token at
    each step (teacher forcing: the targets shifted right behind a start
    token), and ``y_t = softmax(W_y h_t + b_y)`` predicts the next one.

    Inputs are ``[condition, previous_tokens]``. To generate, use
    ``zoo.generation.generate_from_condition``, which runs one step at a time
    and carries the state, so each new token costs the same.

    >>> import numpy as np
    >>> from zoo.topologies import one_to_many
    >>> model = one_to_many("lstm", 8, vocab_size=12, condition_dim=3)
    >>> tuple(model([np.ones((2, 3)), np.array([[1, 4, 5], [1, 6, 7]])]).shape)
    (2, 3, 12)
    """
    if (condition_dim is None) == (condition_vocab_size is None):
        raise ValueError("Give exactly one of `condition_dim` or `condition_vocab_size`.")
    if condition_vocab_size is not None:
        condition = keras.Input(shape=(), dtype="int32", name="condition")
        c = keras.layers.Embedding(condition_vocab_size, embedding_dim or units,
                                   name="condition_embedding")(condition)
    else:
        condition = keras.Input(shape=(condition_dim,), name="condition")
        c = condition
    previous = keras.Input(shape=(None,), dtype="int32", name="previous_tokens")
    x = keras.layers.Embedding(vocab_size, embedding_dim or units, name="embedding")(previous)

    layer_cells = make_cells(cell, units, num_layers, **cell_kwargs)
    initial_states = [
        [keras.layers.Dense(size, activation="tanh", name=f"init_{i}_{j}")(c)
         for j, size in enumerate(state_sizes(rnn_cell))]
        for i, rnn_cell in enumerate(layer_cells)
    ]
    h, _ = recurrent_stack(x, layer_cells, return_sequences=True, initial_states=initial_states)
    y = output_layer(h, vocab_size, output_activation)
    return keras.Model([condition, previous], y, name=name)
