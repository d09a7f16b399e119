"""The models the speed benchmarks time (plain Keras 3: any backend).

``build(cell, shape, zoo)`` is ``Embedding -> recurrent layer -> Dense`` with
Keras' built-in layer or with ``zoo.layers.RNN`` and the zoo cell; ``data``
is one random batch for it. Shapes: ``imdb`` is batch 64, 200 steps,
embedding 64, 64 units, one logit per sequence (the IMDB recipes); ``char``
is batch 64, 100 steps, 65 symbols, embedding 64, 512 units, logits at every
step (the shakespeare-char recipe's shapes).
"""

import keras
import numpy as np

from zoo import cells
from zoo.layers import RNN
from zoo.parity import BUILTINS

SHAPES = {
    "imdb": {"batch": 64, "steps": 200, "vocab": 20000, "embedding": 64, "units": 64, "per_step": False},
    "char": {"batch": 64, "steps": 100, "vocab": 65, "embedding": 64, "units": 512, "per_step": True},
}
GATES = {"lstm": 4, "gru": 3, "simplernn": 1}


def build(cell, shape, zoo, layer_options=None):
    inputs = keras.Input((shape["steps"],), dtype="int32")
    x = keras.layers.Embedding(shape["vocab"], shape["embedding"])(inputs)
    seq = shape["per_step"]
    if zoo:
        h = RNN(cells.CELLS[cell](shape["units"]), return_sequences=seq, **(layer_options or {}))(x)
    else:
        h = BUILTINS[cell](shape["units"], return_sequences=seq)(x)
    if seq:
        out = keras.layers.Dense(shape["vocab"])(h)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    else:
        out = keras.layers.Dense(1)(h)  # a logit: differences show (a probability would round them off)
        loss = keras.losses.BinaryCrossentropy(from_logits=True)
    model = keras.Model(inputs, out)
    model.compile(keras.optimizers.Adam(1e-3), loss)
    return model


def data(shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, shape["vocab"], size=(shape["batch"], shape["steps"])).astype("int32")
    if shape["per_step"]:
        y = rng.integers(0, shape["vocab"], size=(shape["batch"], shape["steps"])).astype("int32")
    else:
        y = rng.integers(0, 2, size=(shape["batch"], 1)).astype("float32")
    return x, y
