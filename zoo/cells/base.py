"""What every zoo cell shares: arguments, weights, dropout masks, config.

A cell computes one time step, ``(x_t, [h_{t-1}, ...]) -> (y_t, [h_t, ...])``,
and is driven over a sequence by ``keras.layers.RNN`` (or unrolled by hand with
``zoo.unfold``). The weight layout is Keras' own: ``kernel`` holds ``W_x`` for
all gates side by side, ``recurrent_kernel`` holds ``W_h``, ``bias`` holds
``b``, so weights copy between a zoo cell and the matching built-in cell with
``set_weights(get_weights())``.

Keras computes in row-vector form: the textbook's ``W_x x_t`` is
``ops.matmul(x_t, kernel)`` here, with ``x_t`` of shape ``(batch, input_dim)``.
"""

import keras
from keras import activations, constraints, initializers, ops, regularizers

try:  # Keras' RNN layer prepares masks only for cells of this class.
    from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell
except ImportError:  # pragma: no cover - a future Keras may move it
    class DropoutRNNCell:  # type: ignore[no-redef]
        """Stand-in that draws fresh masks; used only if Keras moves its own."""

        def get_dropout_mask(self, step_input):
            return _fresh_mask(self, step_input, self.dropout)

        def get_recurrent_dropout_mask(self, step_input):
            return _fresh_mask(self, step_input, self.recurrent_dropout)

        def reset_dropout_mask(self):
            pass

        def reset_recurrent_dropout_mask(self):
            pass

    def _fresh_mask(cell, step_input, rate):
        if rate <= 0:
            return None
        return keras.random.dropout(
            ops.ones_like(step_input), rate=rate, seed=cell.seed_generator
        )


class RecurrentCell(DropoutRNNCell, keras.layers.Layer):
    """Base class of the zoo cells.

    Subclasses set ``gates`` (how many ``units``-wide blocks the kernels hold),
    define ``state_size`` and implement ``call(inputs, states, training)``.
    One dropout mask is drawn per sequence for the inputs and one for
    ``h_{t-1}`` (variational dropout), and reused at every step.
    """

    gates = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"`units` must be a positive integer, got {units!r}."
            )
        for name, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= rate < 1.0:
                raise ValueError(f"`{name}` must be in [0, 1), got {rate!r}.")
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.output_size = units

    def add_cell_weights(self, input_dim, bias_shape, bias_initializer=None):
        """Creates ``kernel`` (W_x), ``recurrent_kernel`` (W_h) and ``bias`` (b)."""
        width = self.units * self.gates
        self.kernel = self.add_weight(
            shape=(input_dim, width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=bias_shape,
                name="bias",
                initializer=bias_initializer or self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def dropped(self, x_t, h_prev, training):
        """Applies this sequence's dropout masks to ``x_t`` and ``h_{t-1}``."""
        if training and self.dropout > 0:
            x_t = x_t * self.get_dropout_mask(x_t)
        if training and self.recurrent_dropout > 0:
            h_prev = h_prev * self.get_recurrent_dropout_mask(h_prev)
        return x_t, h_prev

    # zoo.layers.RNN computes p_t = W_x x_t + b_x for all steps before its loop
    # and q_t = W_h h_{t-1} + b_h in it; a cell with that form gives the split
    # of its bias, ``transition(p_t, q_t, states)`` and, optionally, a
    # hand-written ``transition_grad`` (None: autodiff of the transition).
    # A cell may also keep a per-step record for the backward pass
    # (``record_width``, ``transition_record`` and ``record_grad``; see LSTMCell).
    # Where the loop needs no p_t for later (inference, or a cell with a
    # record), it may compute p_t and q_t inside the loop (``joint_weights``
    # and ``joint_step``).
    def split_bias(self):
        """``(b_x, b_h)``: the bias added before the loop, and the one inside it."""
        return self.bias, None

    def joint_weights(self, w_x, b_x, w_h, b_h):
        """The weights ``joint_step`` takes (a tuple), or None: the cell has no
        joint form. This one, for cells that take ``p_t`` and ``q_t`` only as
        their sum (simple RNN, LSTM), is ``W = [W_x; W_h]`` and the summed
        bias (None without one)."""
        w = ops.concatenate([w_x, w_h], axis=0)
        b = b_h if b_x is None else b_x if b_h is None else b_x + b_h
        return w, b

    def joint_step(self, x_t, h_prev, w, b):
        """``(p_t, q_t)`` computed in the loop from ``x_t`` and ``h_{t-1}``:
        here one matmul ``[x_t, h_{t-1}] W + b``, the whole pre-activation in
        ``p_t``, and ``q_t`` zero."""
        z = affine(ops.concatenate([x_t, h_prev], axis=-1), w, b)
        return z, ops.zeros_like(z)

    def record_width(self):
        """The width of the per-step record ``transition_record`` keeps for
        ``record_grad``; None: no record (the backward pass recomputes the
        step from ``p_t`` and ``q_t``)."""
        return None

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in sizes]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


def affine(a, w, b):
    """``a W + b`` (``b`` None: no bias)."""
    a = ops.matmul(a, w)
    return a if b is None else a + b
