"""rnn-zoo: recurrent neural networks in Keras 3, exact and fast on a CPU.

>>> import zoo
>>> from zoo.cells import LSTMCell
>>> model = zoo.unfold(LSTMCell(4), k=3, input_dim=2)
>>> len(model.outputs)   # y and the two LSTM states h_3, c_3
3
"""

import os

# TensorFlow's start-up INFO lines (CPU features, no CUDA) say nothing a zoo
# user needs; warnings and errors still show. An explicit setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

import keras  # noqa: E402

from zoo import xla_flags  # noqa: E402

# XLA's CPU options for the zoo's loops (zoo/xla_flags.py), set before XLA
# compiles anything (it reads them once). An explicit setting wins.
xla_flags.set_defaults(backend=keras.backend.backend())

from zoo import cells, topologies  # noqa: E402
from zoo.cells import GRUCell, LSTMCell, SimpleRNNCell  # noqa: E402
from zoo.registry import card, list_models, load  # noqa: E402
from zoo.unfolding import unfold  # noqa: E402

try:  # the text standardizers the saved zoo models name (TensorFlow string ops)
    from zoo import text  # noqa: E402, F401
except ImportError:  # another Keras backend without TensorFlow: cells and topologies still work
    pass

__version__ = "0.1.0"

__all__ = ["GRUCell", "LSTMCell", "SimpleRNNCell", "card", "cells", "list_models", "load",
           "topologies", "unfold"]
