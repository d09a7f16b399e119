"""The gated recurrent unit (Cho et al. 2014)."""

import keras
from keras import activations, ops

from zoo.cells.base import RecurrentCell, affine


@keras.saving.register_keras_serializable(package="zoo")
class GRUCell(RecurrentCell):
    """One step of the GRU: an update gate ``z`` and a reset gate ``r``.

    Equations (README notation; ``σ`` is ``recurrent_activation``, ``tanh`` is
    ``activation``, ``⊙`` the element-wise product)::

        z_t = σ(W_xz x_t + W_hz h_{t-1} + b_z)           update gate
        r_t = σ(W_xr x_t + W_hr h_{t-1} + b_r)           reset gate
        reset_after=True  (default, the cuDNN form):
            g_t = tanh(W_xg x_t + b_g + r_t ⊙ (W_hg h_{t-1} + b'_g))
        reset_after=False (the 2014 paper's form):
            g_t = tanh(W_xg x_t + W_hg (r_t ⊙ h_{t-1}) + b_g)
        h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ g_t

    Weights are laid out as in ``keras.layers.GRUCell``: ``kernel``
    ``(input_dim, 3 units)`` and ``recurrent_kernel`` ``(units, 3 units)`` hold
    the ``z, r, g`` blocks side by side; ``bias`` is ``(3 units,)``, or
    ``(2, 3 units)`` with ``reset_after`` (row 0 input biases ``b``, row 1
    recurrent biases ``b'``).

    Example:

    >>> import numpy as np, keras
    >>> from zoo.cells import GRUCell
    >>> rnn = keras.layers.RNN(GRUCell(4, reset_after=False), return_sequences=True)
    >>> tuple(rnn(np.ones((2, 5, 3), "float32")).shape)
    (2, 5, 4)
    """

    gates = 3

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        reset_after=True,
        **kwargs,
    ):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after
        self.state_size = units

    def build(self, input_shape):
        bias_shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self.add_cell_weights(input_shape[-1], bias_shape=bias_shape)

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        h_prev = states[0] if nested else states
        x_t, h_rec = self.dropped(inputs, h_prev, training)
        u = self.units

        if self.use_bias and self.reset_after:
            b_x, b_h = self.bias[0], self.bias[1]
        else:
            b_x, b_h = self.bias, None

        x_proj = ops.matmul(x_t, self.kernel)  # W_x x_t for z, r, g at once
        if self.use_bias:
            x_proj = x_proj + b_x
        if self.reset_after:
            h_proj = ops.matmul(h_rec, self.recurrent_kernel)  # W_h h_{t-1}
            if self.use_bias:
                h_proj = h_proj + b_h
        else:
            h_proj = ops.matmul(h_rec, self.recurrent_kernel[:, : 2 * u])

        if self.reset_after:
            [h] = self.transition(x_proj, h_proj, [h_prev])
        else:
            z = self.recurrent_activation(x_proj[:, :u] + h_proj[:, :u])
            r = self.recurrent_activation(x_proj[:, u : 2 * u] + h_proj[:, u : 2 * u])
            g_rec = ops.matmul(r * h_rec, self.recurrent_kernel[:, 2 * u :])
            g = self.activation(x_proj[:, 2 * u :] + g_rec)
            h = z * h_prev + (1 - z) * g

        return h, [h] if nested else h

    # The same step for zoo.layers.RNN (reset_after=True only: W_h h_{t-1} + b'
    # is then the loop's one matmul q_t), which computes p_t = W_x x_t + b for
    # every step before its loop.

    def split_bias(self):
        if not self.use_bias:
            return None, None
        return self.bias[0], self.bias[1]

    #: Up to this many units, ``zoo.layers.RNN`` computes ``p_t`` inside its
    #: loop (``joint_step``); wider layers project ``x`` for all steps first,
    #: in one larger, faster matmul. Measured (two batch shards of 32, 64
    #: features): the loop took 32%, 22% and 11% less time at 64, 128 and 256
    #: units, and 6% more at 512.
    JOINT_UNITS = 256

    def joint_weights(self, w_x, b_x, w_h, b_h):
        """The weights of ``joint_step``: the ``z, r`` blocks in
        ``RecurrentCell``'s joint form (``[W_x,zr; W_h,zr]``, the biases summed),
        then ``W_x,g``, ``b_x,g``, ``W_h,g``, ``b_h,g`` (biases None without
        them); None above ``JOINT_UNITS``."""
        u = self.units
        if u > self.JOINT_UNITS:
            return None
        zr, g = slice(0, 2 * u), slice(2 * u, None)

        def part(b, block):
            return None if b is None else b[block]

        w_zr, b_zr = super().joint_weights(w_x[:, zr], part(b_x, zr), w_h[:, zr], part(b_h, zr))
        return w_zr, b_zr, w_x[:, g], part(b_x, g), w_h[:, g], part(b_h, g)

    def joint_step(self, x_t, h_prev, w_zr, b_zr, w_x_g, b_x_g, w_h_g, b_h_g):
        """``(p_t, q_t)`` from ``x_t`` and ``h_{t-1}`` in three matmuls, none
        with a zero block: the ``z, r`` blocks of ``p_t + q_t`` together, as
        ``RecurrentCell.joint_step`` computes them (in ``p_t``; ``q_t`` zero
        there), and the candidate's ``p_g`` and ``q_g`` apart, as ``r``
        multiplies only ``q_g``."""
        zr, zero = super().joint_step(x_t, h_prev, w_zr, b_zr)
        return (ops.concatenate([zr, affine(x_t, w_x_g, b_x_g)], axis=-1),
                ops.concatenate([zero, affine(h_prev, w_h_g, b_h_g)], axis=-1))

    def transition(self, p, q, states):
        return self._step(p, q, states[0])[0]

    def _step(self, p, q, h_prev):
        u = self.units
        z = self.recurrent_activation(p[:, :u] + q[:, :u])
        r = self.recurrent_activation(p[:, u : 2 * u] + q[:, u : 2 * u])
        q_g = q[:, 2 * u :]
        g = self.activation(p[:, 2 * u :] + r * q_g)
        return [z * h_prev + (1 - z) * g], (z, r, g, q_g)

    def transition_grad(self, p, q, states, d_new):
        """Backpropagation through one step, by hand (σ = sigmoid, tanh only):
        ``(dL/dp_t, dL/dq_t, [dL/dh_{t-1} direct])`` from ``dL/dh_t``."""
        if self.record_width() is None:
            return None
        return self._gates_grad(self._step(p, q, states[0])[1], states[0], d_new)

    def record_width(self):
        """The width of ``transition_record``'s record: ``z, r, g`` and ``q_g``."""
        if self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid:
            return 4 * self.units
        return None

    def transition_record(self, p, q, states):
        """``transition``, plus ``[z, r, g, q_g]``: all that ``record_grad``
        needs besides ``h_{t-1}``."""
        new, kept = self._step(p, q, states[0])
        return new, ops.concatenate(kept, axis=-1)

    def record_grad(self, record, states, d_new):
        """``transition_grad`` from the step's record (no activation recomputed)."""
        return self._gates_grad(ops.split(record, 4, axis=-1), states[0], d_new)

    def record_d_q(self, d_p, record):
        """``dL/dq`` from ``dL/dp`` and the records, for any number of steps
        at once (``zoo.layers.bptt`` then writes only ``dL/dp`` per step):
        they differ in the candidate's block, ``dL/dq_g = dL/dp_g ⊙ r``."""
        u = self.units
        return ops.concatenate([d_p[..., : 2 * u], d_p[..., 2 * u :] * record[..., u : 2 * u]], axis=-1)

    def _gates_grad(self, kept, h_prev, d_new):
        z, r, g, q_g = kept
        (d_h,) = d_new
        d_z = d_h * (h_prev - g) * z * (1 - z)                  # dL/d pre_z
        d_a = d_h * (1 - z) * (1 - g * g)                       # dL/d (p_g + r ⊙ q_g)
        d_r = d_a * q_g * r * (1 - r)                           # dL/d pre_r
        d_p = ops.concatenate([d_z, d_r, d_a], axis=-1)
        d_q = ops.concatenate([d_z, d_r, d_a * r], axis=-1)
        return d_p, d_q, [d_h * z]

    def get_config(self):
        config = {
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }
        return {**super().get_config(), **config}
