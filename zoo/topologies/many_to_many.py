"""Synced many-to-many: one output per input step (tagging, next-character)."""

import keras

from zoo.topologies._stack import (
    make_cells, output_layer, recurrent_stack, sequence_input, state_sizes,
)


def many_to_many_synced(cell="lstm", units=64, *, vocab_size=None, input_dim=None,
                        embedding_dim=None, num_layers=1, bidirectional=False,
                        dropout=0.0, output_dim=None, output_activation="softmax",
                        mask_zero=False, mask_value=None, carry_state=False,
                        name="many_to_many_synced", **cell_kwargs):
    """Builds ``x_1..x_T -> y_1..y_T`` with ``y_t = f(W_y h_t + b_y)``.

    With ``carry_state=True`` the model takes ``[x, *h_0]`` and returns
    ``[y, *h_T]`` (the states of every layer, in order), so a caller can carry
    the state from one window to the next: truncated backpropagation through
    time (``training.tbptt``) and stateful generation use this form.

    Args:
        cell: "simplernn", "gru", "lstm" or a cell instance.
        vocab_size / input_dim: token-id or vector sequences.
        output_dim: size of ``y_t``; defaults to ``vocab_size`` (next-token models).
        bidirectional: each ``y_t`` sees the whole sequence (tagging); not with
            ``carry_state``.

    >>> import numpy as np
    >>> from zoo.topologies import many_to_many_synced
    >>> model = many_to_many_synced("gru", 8, vocab_size=20, carry_state=True)
    >>> y, h = model([np.array([[1, 2, 3]]), np.zeros((1, 8))])
    >>> tuple(y.shape), tuple(h.shape)
    ((1, 3, 20), (1, 8))
    """
    if carry_state and bidirectional:
        raise ValueError("`carry_state` needs a causal model: it cannot be bidirectional.")
    output_dim = output_dim or vocab_size
    if output_dim is None:
        raise ValueError("`output_dim` is required with vector inputs.")
    inputs, x = sequence_input("x", vocab_size=vocab_size, input_dim=input_dim,
                               embedding_dim=embedding_dim or units, mask_zero=mask_zero,
                               mask_value=mask_value)
    layer_cells = make_cells(cell, units, num_layers, **cell_kwargs)
    model_inputs, initial_states = [inputs], None
    if carry_state:
        initial_states = []
        for i, c in enumerate(layer_cells):
            layer_states = [keras.Input(shape=(size,), name=f"h0_{i}_{j}")
                            for j, size in enumerate(state_sizes(c))]
            initial_states.append(layer_states)
            model_inputs += layer_states
    h, states = recurrent_stack(x, layer_cells, bidirectional=bidirectional,
                                return_sequences=True, return_state=carry_state,
                                initial_states=initial_states)
    if dropout:
        h = keras.layers.Dropout(dropout, name="dropout")(h)
    y = output_layer(h, output_dim, output_activation)
    if carry_state:
        return keras.Model(model_inputs, [y] + [s for layer in states for s in layer], name=name)
    return keras.Model(inputs, y, name=name)
