"""The simple (Elman) recurrent cell."""

import keras
from keras import activations, ops

from zoo.cells.base import RecurrentCell

#: The activations the textbook lists for the simple RNN.
TEXTBOOK_ACTIVATIONS = ("tanh", "sigmoid", "relu")


@keras.saving.register_keras_serializable(package="zoo")
class SimpleRNNCell(RecurrentCell):
    """One step of the simple recurrent network.

    Equations (README notation; ``f`` is ``activation``, tanh by default,
    sigmoid or relu as the textbook lists)::

        h_t = f(W_x x_t + W_h h_{t-1} + b)

    ``W_x`` is ``kernel`` ``(input_dim, units)``, ``W_h`` is
    ``recurrent_kernel`` ``(units, units)`` and ``b`` is ``bias`` ``(units,)``:
    the layout of ``keras.layers.SimpleRNNCell``. The step's output is ``h_t``;
    the output layer ``y_t = f(W_y h_t + b_y)`` is a ``Dense`` on top (see
    ``zoo.topologies``).

    Args:
        units: size of ``h_t``.
        activation: ``f``; "tanh", "sigmoid", "relu" or any Keras activation.
        The remaining arguments are those of ``keras.layers.SimpleRNNCell``.

    Example:

    >>> import numpy as np, keras
    >>> from zoo.cells import SimpleRNNCell
    >>> rnn = keras.layers.RNN(SimpleRNNCell(4, activation="relu"))
    >>> tuple(rnn(np.ones((2, 5, 3), "float32")).shape)
    (2, 4)
    """

    gates = 1

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.state_size = units

    def build(self, input_shape):
        self.add_cell_weights(input_shape[-1], bias_shape=(self.units,))

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        h_prev = states[0] if nested else states
        x_t, h_prev = self.dropped(inputs, h_prev, training)

        pre = ops.matmul(x_t, self.kernel)  # W_x x_t
        if self.use_bias:
            pre = pre + self.bias  # + b
        [h] = self.transition(pre, ops.matmul(h_prev, self.recurrent_kernel), None)  # + W_h h_{t-1}
        return h, [h] if nested else h

    # For zoo.layers.RNN: W_x x_t + b for every step at once, then per step
    # the recurrent term W_h h_{t-1} and the activation.
    def transition(self, p, q, states):
        pre = p + q
        return [self.activation(pre) if self.activation is not None else pre]

    def transition_grad(self, p, q, states, d_new):
        """Backpropagation through one step, by hand, for tanh, sigmoid, relu and
        linear: ``(dL/dp_t, dL/dq_t, [None])`` from ``dL/dh_t``."""
        act, (d_h,) = self.activation, d_new
        if act is None or act is activations.linear:
            d_pre = d_h
        elif act is activations.relu:
            d_pre = ops.where(p + q > 0, d_h, ops.zeros_like(d_h))
        elif act is activations.tanh:
            h = ops.tanh(p + q)
            d_pre = d_h * (1 - h * h)
        elif act is activations.sigmoid:
            h = ops.sigmoid(p + q)
            d_pre = d_h * h * (1 - h)
        else:
            return None
        return d_pre, d_pre, [None]
