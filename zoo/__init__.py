"""rnn-zoo: recurrent neural networks in Keras 3, exact and fast on a CPU.

>>> import zoo
>>> from zoo.cells import LSTMCell
>>> model = zoo.unfold(LSTMCell(4), k=3, input_dim=2)
>>> len(model.outputs)   # y and the two LSTM states h_3, c_3
3

``import zoo`` registers the zoo's layers and text standardizers with Keras,
so a saved model that uses them loads with ``keras.saving.load_model`` and no
``custom_objects``. The ``zoo`` command line sets ``ZOO_LAZY_IMPORT=1`` first:
then ``import zoo`` imports neither Keras nor TensorFlow (its cards and the
model registry need neither), and ``zoo.load`` or any name below imports them
when first used.
"""

import os

# TensorFlow's start-up INFO lines (CPU features, no CUDA) say nothing a zoo
# user needs; warnings and errors still show. An explicit setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

__version__ = "0.1.0"

_NAMES = {"GRUCell": "zoo.cells", "LSTMCell": "zoo.cells", "SimpleRNNCell": "zoo.cells",
          "cells": "zoo", "topologies": "zoo", "card": "zoo.registry", "list_models": "zoo.registry",
          "load": "zoo.registry", "unfold": "zoo.unfolding"}
__all__ = sorted(_NAMES)


_imported = False


def import_all():
    """Imports the zoo's Keras parts (registering them with Keras), after
    setting XLA's options for its loops (``zoo.xla_flags``), once."""
    global _imported
    if _imported:
        return
    import importlib

    import keras

    from zoo import xla_flags

    # XLA's CPU options for the zoo's loops, set before XLA compiles anything
    # (it reads them once). An explicit setting wins.
    xla_flags.set_defaults(backend=keras.backend.backend())
    for module in ("zoo.cells", "zoo.layers", "zoo.topologies", "zoo.unfolding"):
        importlib.import_module(module)
    try:  # the text standardizers the saved zoo models name (TensorFlow string ops)
        importlib.import_module("zoo.text")
    except ImportError:  # another Keras backend without TensorFlow: cells and topologies still work
        pass
    for name, module in _NAMES.items():
        globals()[name] = getattr(importlib.import_module(module), name)
    _imported = True


def __getattr__(name):
    if name in _NAMES:
        import_all()
        return globals()[name]
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")


if os.environ.get("ZOO_LAZY_IMPORT") != "1":
    import_all()
