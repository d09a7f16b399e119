"""Pieces every topology builder shares: inputs, the recurrent stack, the head.

Layer names are part of the contract: ``embedding``/``source_embedding``/
``target_embedding`` for token inputs, ``rnn_<i>``/``encoder_<i>``/
``decoder_<i>`` for the recurrent layers, ``output`` for ``y_t = f(W_y h_t + b_y)``.
Step-by-step code (``zoo.generation``) finds the layers by these names.
"""

import keras

from zoo import cells
from zoo.layers import RNN


def sequence_input(name, *, vocab_size=None, input_dim=None, embedding_dim=None,
                   mask_zero=True, mask_value=None, embedding_name="embedding", steps=None):
    """A sequence input and its features: token ids through an ``Embedding``
    (id 0 is padding when ``mask_zero``) or float vectors (masked where every
    feature equals ``mask_value``, if given)."""
    if (vocab_size is None) == (input_dim is None):
        raise ValueError("Give exactly one of `vocab_size` (token ids) or `input_dim` (vectors).")
    if vocab_size is not None:
        inputs = keras.Input(shape=(steps,), dtype="int32", name=name)
        features = keras.layers.Embedding(
            vocab_size, embedding_dim or 64, mask_zero=mask_zero, name=embedding_name
        )(inputs)
    else:
        inputs = keras.Input(shape=(steps, input_dim), name=name)
        features = inputs
        if mask_value is not None:
            features = keras.layers.Masking(mask_value, name="masking")(inputs)
    return inputs, features


def make_cells(cell, units, num_layers, **cell_kwargs):
    """``num_layers`` cells: the given one (a name or an instance) and fresh copies."""
    if not isinstance(num_layers, int) or num_layers < 1:
        raise ValueError(f"`num_layers` must be a positive integer, got {num_layers!r}.")
    first = cells.get(cell, units, **cell_kwargs)
    config = {**first.get_config(), "name": None}
    return [first] + [first.__class__.from_config(dict(config)) for _ in range(num_layers - 1)]


def state_sizes(cell):
    sizes = cell.state_size
    return list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]


def recurrent_stack(x, layer_cells, *, prefix="rnn", bidirectional=False,
                    return_sequences=True, return_state=False, initial_states=None):
    """Runs ``x`` through one ``zoo.layers.RNN`` per cell.

    Returns ``(outputs, states)`` where ``states[i]`` is the list of final
    states of layer ``i`` (empty unless ``return_state``); bidirectional layers
    give the forward states then the backward ones.
    """
    all_states = []
    last = len(layer_cells) - 1
    for i, cell in enumerate(layer_cells):
        layer = RNN(
            cell,
            return_sequences=return_sequences or i < last,
            return_state=return_state,
            name=f"{prefix}_{i}",
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"{prefix}_{i}")
        kwargs = {}
        if initial_states is not None:
            kwargs["initial_state"] = initial_states[i]
        out = layer(x, **kwargs)
        if return_state:
            x, states = out[0], list(out[1:])
        else:
            x, states = out, []
        all_states.append(states)
    return x, all_states


def numbered_layers(model, prefix):
    """``model``'s layers ``<prefix>_0``, ``<prefix>_1``, ... in order (the
    recurrent stack of ``recurrent_stack``), for code that steps through it."""
    names = {layer.name for layer in model.layers}
    layers = []
    while f"{prefix}_{len(layers)}" in names:
        layers.append(model.get_layer(f"{prefix}_{len(layers)}"))
    return layers


def output_layer(x, output_dim, activation):
    """The output layer ``y_t = f(W_y h_t + b_y)``."""
    return keras.layers.Dense(output_dim, activation=activation, name="output")(x)
