"""Long short-term memory (Hochreiter & Schmidhuber 1997, with forget gate)."""

import keras
from keras import activations, initializers, ops

from zoo.cells.base import RecurrentCell


@keras.saving.register_keras_serializable(package="zoo")
class LSTMCell(RecurrentCell):
    """One step of the LSTM: input, forget and output gates around a cell state.

    Equations (README notation; ``σ`` is ``recurrent_activation``, ``tanh`` is
    ``activation``, ``⊙`` the element-wise product)::

        i_t = σ(W_xi x_t + W_hi h_{t-1} + b_i)           input gate
        f_t = σ(W_xf x_t + W_hf h_{t-1} + b_f)           forget gate
        g_t = tanh(W_xg x_t + W_hg h_{t-1} + b_g)        candidate
        o_t = σ(W_xo x_t + W_ho h_{t-1} + b_o)           output gate
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)

    The state is ``[h_t, c_t]``. Weights are laid out as in
    ``keras.layers.LSTMCell``: the ``i, f, g, o`` blocks side by side in
    ``kernel`` ``(input_dim, 4 units)``, ``recurrent_kernel``
    ``(units, 4 units)`` and ``bias`` ``(4 units,)``. ``unit_forget_bias``
    starts ``b_f`` at 1 (Jozefowicz et al. 2015).

    Example:

    >>> import numpy as np, keras
    >>> from zoo.cells import LSTMCell
    >>> rnn = keras.layers.RNN(LSTMCell(4), return_state=True)
    >>> y, h, c = rnn(np.ones((2, 5, 3), "float32"))
    >>> tuple(c.shape)
    (2, 4)
    """

    gates = 4

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        unit_forget_bias=True,
        **kwargs,
    ):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [units, units]

    def build(self, input_shape):
        bias_initializer = None
        if self.use_bias and self.unit_forget_bias:
            u, base = self.units, self.bias_initializer

            def bias_initializer(shape, dtype=None):
                return ops.concatenate([
                    base((u,), dtype=dtype),                     # b_i
                    initializers.Ones()((u,), dtype=dtype),      # b_f = 1
                    base((2 * u,), dtype=dtype),                 # b_g, b_o
                ])

        self.add_cell_weights(
            input_shape[-1], bias_shape=(4 * self.units,), bias_initializer=bias_initializer
        )

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        x_t, h_rec = self.dropped(inputs, h_prev, training)

        pre = ops.matmul(x_t, self.kernel)  # W_x x_t for i, f, g, o at once
        pre = pre + ops.matmul(h_rec, self.recurrent_kernel)  # + W_h h_{t-1}
        if self.use_bias:
            pre = pre + self.bias
        h, c = self.step_from(pre, c_prev)
        return h, [h, c]

    def step_from(self, pre, c_prev):
        """``[h_t, c_t]`` from the pre-activations ``W_x x_t + W_h h_{t-1} + b``."""
        return self._step(pre, c_prev)[0]

    def _step(self, pre, c_prev):
        pre_i, pre_f, pre_g, pre_o = ops.split(pre, 4, axis=-1)
        i = self.recurrent_activation(pre_i)
        f = self.recurrent_activation(pre_f)
        g = self.activation(pre_g)
        o = self.recurrent_activation(pre_o)
        c = f * c_prev + i * g
        h = o * self.activation(c)
        return [h, c], (i, f, g, o)

    # The same step for zoo.layers.RNN, which computes p_t = W_x x_t + b for
    # every step before its loop and q_t = W_h h_{t-1} in it.

    def transition(self, p, q, states):
        return self.step_from(p + q, states[1])

    def transition_grad(self, p, q, states, d_new):
        """Backpropagation through one step, by hand (σ = sigmoid, tanh only):
        ``(dL/dp_t, dL/dq_t, [dL/dh_{t-1} direct, dL/dc_{t-1}])`` from ``dL/d[h_t, c_t]``."""
        if self.record_width() is None:
            return None
        return self._gates_grad(self._step(p + q, states[1])[1], states[1], d_new)

    def record_width(self):
        """The width of ``transition_record``'s record: the four gates."""
        if self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid:
            return 4 * self.units
        return None

    def transition_record(self, p, q, states):
        """``transition``, plus the step's gates ``[i, f, g, o]``: all that
        ``record_grad`` needs besides ``c_{t-1}``."""
        new, gates = self._step(p + q, states[1])
        return new, ops.concatenate(gates, axis=-1)

    def record_grad(self, record, states, d_new):
        """``transition_grad`` from the step's record (no activation recomputed
        but ``tanh(c_t)``)."""
        return self._gates_grad(ops.split(record, 4, axis=-1), states[1], d_new)

    def _gates_grad(self, gates, c_prev, d_new):
        i, f, g, o = gates
        tanh_c = ops.tanh(f * c_prev + i * g)
        d_h, d_c = d_new
        d_c = d_c + d_h * o * (1 - tanh_c * tanh_c)          # through h_t = o ⊙ tanh(c_t)
        d_pre = ops.concatenate([
            d_c * g * i * (1 - i),                              # dL/d pre_i
            d_c * c_prev * f * (1 - f),                         # dL/d pre_f
            d_c * i * (1 - g * g),                              # dL/d pre_g
            d_h * tanh_c * o * (1 - o),                         # dL/d pre_o
        ], axis=-1)
        return d_pre, d_pre, [None, d_c * f]                    # h_{t-1} acts through q_t only

    def get_config(self):
        config = {
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }
        return {**super().get_config(), **config}
