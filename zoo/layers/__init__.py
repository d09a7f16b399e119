"""Layers that drive the zoo cells over sequences.

``RNN`` is ``keras.layers.RNN`` with a faster path for the zoo cells; the
topology builders use it. ``bptt`` holds that path's loops and their
hand-written backpropagation through time.
"""

from zoo.layers.rnn import RNN

__all__ = ["RNN"]
