"""Recurrent cell layers that read like their equations.

Each cell computes one time step with ``keras.ops`` only, and has the weight
layout of the matching Keras built-in cell, so
``zoo_cell.set_weights(keras_cell.get_weights())`` reproduces it.
"""

import keras

from zoo.cells.base import RecurrentCell
from zoo.cells.gru import GRUCell
from zoo.cells.lstm import LSTMCell
from zoo.cells.simple_rnn import SimpleRNNCell

#: Cell classes by the short names the builders and the command line accept.
CELLS = {"simplernn": SimpleRNNCell, "gru": GRUCell, "lstm": LSTMCell}


def get(identifier, units=None, **kwargs):
    """Returns a cell from a name ("simplernn", "gru", "lstm") or a cell instance.

    >>> from zoo import cells
    >>> cells.get("gru", 8).units
    8
    """
    if isinstance(identifier, keras.layers.Layer):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower().replace("_", "").replace("-", "")
        key = {"rnn": "simplernn", "simple": "simplernn"}.get(key, key)
        if key in CELLS:
            if units is None:
                raise ValueError(f"A '{identifier}' cell needs `units`.")
            return CELLS[key](units, **kwargs)
    raise ValueError(
        f"Unknown cell {identifier!r}: use one of {sorted(CELLS)} or a cell instance."
    )


__all__ = ["CELLS", "GRUCell", "LSTMCell", "RecurrentCell", "SimpleRNNCell", "get"]
