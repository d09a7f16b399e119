"""``zoo.layers.RNN``: ``keras.layers.RNN``, faster for the zoo cells."""

import os

import keras
from keras import ops

from zoo.cells import GRUCell, LSTMCell, SimpleRNNCell


@keras.saving.register_keras_serializable(package="zoo")
class RNN(keras.layers.RNN):
    """A drop-in for ``keras.layers.RNN`` that runs the zoo cells faster.

    Same arguments, outputs and gradients as ``keras.layers.RNN`` (and it
    works inside ``keras.layers.Bidirectional``). On the TensorFlow backend,
    for ``LSTMCell``, ``SimpleRNNCell`` and ``GRUCell(reset_after=True)``,
    wherever the loops are compiled with XLA (see ``jit_compile``), the
    sequence runs as:

    - ``W_x x_t + b`` for all time steps in one matmul before the loop;
    - a loop whose step is one matmul ``W_h h_{t-1}`` plus the cell's
      element-wise ``transition``; in training it also keeps each step's
      gate activations (the cell's record: LSTM and GRU);
    - where nothing after the loop needs ``W_x x_t`` (inference; LSTM and
      GRU training), the loop computes it instead: ``[x_t, h_{t-1}]
      [W_x; W_h]`` in one matmul a step for the simple RNN and the LSTM,
      three matmuls for a GRU of up to 256 units (wider ones keep the
      projection before the loop);
    - backpropagation through time written out by hand
      (``zoo.layers.bptt``): the backward loop carries only the state
      gradients, from the records without recomputing an activation, and
      ``dL/dx``, ``dL/dW_x`` and ``dL/dW_h`` are one matmul each over all
      steps;
    - both loops compiled with XLA, which fuses a step's element-wise work;
    - the batch split into ``shards`` whose projections, loops and gradient
      matmuls run on separate cores, each on its own part of the data.

    Anything else (other backends or cells, ``unroll=True``, recurrent
    dropout in training, calls not compiled with XLA) runs exactly as
    ``keras.layers.RNN`` does: without XLA the hand-written loops measured
    no faster than Keras' own.

    Args:
        cell: the recurrent cell, as for ``keras.layers.RNN``.
        jit_compile: ``True``: always the fast path, compiled with XLA (once
            per input shape, a fraction of a second); ``False``: never (Keras'
            loop); ``"auto"`` (the default): the fast path in training and
            wherever the sequence length is known when the call is traced
            (eager calls, ``predict``, ``evaluate``, graphs for any batch
            size), Keras' loop in graphs for any length. Outside training a
            batch whose size the graph leaves open (or an eager call's) is
            padded with rows of zeros to the next of a few sizes (1 to 8, then
            10, 12, 14, 16, 20, 24, ...: at most a quarter padding), so that
            XLA compiles once per size class and length (~0.1-0.3 s a layer
            on a CPU), not once per batch size.
        shards: how many parts of the batch run their loops side by side
            (on separate CPU cores); ``"auto"``: the CPU count, at most 4,
            half of it for each direction of a ``keras.layers.Bidirectional``
            (whose two layers run side by side), or 1 on a GPU.
        **kwargs: every other ``keras.layers.RNN`` argument.

    Example:

    >>> import numpy as np
    >>> from zoo.cells import LSTMCell
    >>> from zoo.layers import RNN
    >>> rnn = RNN(LSTMCell(4), return_sequences=True)
    >>> tuple(rnn(np.ones((2, 5, 3), "float32")).shape)
    (2, 5, 4)
    """

    def __init__(self, cell, jit_compile="auto", shards="auto", **kwargs):
        if jit_compile not in ("auto", True, False):
            raise ValueError(f"`jit_compile` must be True, False or 'auto', got {jit_compile!r}.")
        if shards != "auto" and not (isinstance(shards, int) and shards >= 1):
            raise ValueError(f"`shards` must be a positive integer or 'auto', got {shards!r}.")
        super().__init__(cell, **kwargs)
        self.jit_compile = jit_compile
        self.shards = shards
        # How often each path ran: once per trace in a graph, once per eager call.
        self.fast_path_runs = 0
        self.keras_path_runs = 0

    def supports_fast_path(self, training=False):
        """Whether this layer's cell and settings allow the fast path (taken
        when the loops are also compiled with XLA; see the class docstring)."""
        cell = self.cell
        fast_cell = type(cell) in (LSTMCell, SimpleRNNCell) or (
            type(cell) is GRUCell and cell.reset_after)
        return (keras.backend.backend() == "tensorflow" and fast_cell and not self.unroll
                and not (training and cell.recurrent_dropout > 0))

    def _use_xla(self, training, sequences):
        if self.jit_compile != "auto":
            return self.jit_compile
        # XLA compiles once per input shape. Training shapes repeat (one
        # compile per run, two with a ragged last batch); outside training a
        # known length and the batch padded to a size class (``_padded``)
        # bound the compiles. A graph for any length might see a new one at
        # every call, and would stall on each.
        return bool(training) or sequences.shape[1] is not None

    def _shards(self):
        import tensorflow as tf

        if self.shards != "auto":
            return self.shards
        if tf.config.list_logical_devices("GPU"):
            return 1
        cores = max(1, min(4, os.cpu_count() or 1))
        if self.name.startswith(("forward_", "backward_")):
            # One direction of a keras.layers.Bidirectional (which names them so):
            # the two directions' loops already run side by side.
            return max(1, cores // 2)
        return cores

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not (self.supports_fast_path(training) and self._use_xla(training, sequences)):
            self.keras_path_runs += 1
            return super().inner_loop(sequences, initial_state, mask, training=training)
        self.fast_path_runs += 1
        import tensorflow as tf

        from zoo.layers import bptt

        cell = self.cell
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        x = sequences
        if training and cell.dropout > 0:  # one mask per sequence, as the cell's own step does
            x = x * ops.expand_dims(cell.get_dropout_mask(x[:, 0]), 1)

        if mask is not None:
            mask = tf.cast(mask, tf.bool)
        if self.go_backwards:
            x = tf.reverse(x, [1])
            mask = None if mask is None else tf.reverse(mask, [1])

        b_x, b_h = cell.split_bias()
        # Outside training, a batch whose size the graph leaves open (or an
        # eager call's) is padded to its size class: one compile per class.
        rows = tf.shape(x)[0]
        fixed = bool(training) or (x.shape[0] is not None and not tf.executing_eagerly())
        pad = None if fixed else _pad_rows(rows)
        scan_x, scan_states, scan_mask = (x, states, mask) if fixed else _padded(pad, x, states, mask)
        h, final_states = bptt.scan(
            cell, scan_x, cell.kernel, b_x, scan_states, cell.recurrent_kernel, b_h, mask=scan_mask,
            return_sequences=self.return_sequences, store=bool(training),
            shards=self._shards())
        if pad is not None:  # the padding rows dropped
            h = None if h is None else h[:, :rows]
            final_states = [s[:rows] for s in final_states]

        # Keras' outputs where a row is masked: zeros with zero_output_for_mask,
        # else the last unmasked output (zeros before the first).
        mask = None if mask is None else tf.transpose(mask)  # time-major, as h
        if self.return_sequences:
            if mask is not None:
                shown = mask if self.zero_output_for_mask else tf.cumsum(tf.cast(mask, "int32"), 0) > 0
                h = tf.where(shown[:, :, None], h, tf.zeros_like(h))
            last_output = h[-1]
            outputs = tf.transpose(h, [1, 0, 2])
        else:
            last_output = final_states[0]
            if mask is not None:
                shown = mask[-1] if self.zero_output_for_mask else tf.reduce_any(mask, 0)
                last_output = tf.where(shown[:, None], last_output, tf.zeros_like(last_output))
            outputs = last_output[:, None]
        return last_output, outputs, final_states

    def get_config(self):
        return {**super().get_config(), "jit_compile": self.jit_compile, "shards": self.shards}


#: Batch sizes XLA compiles for outside training: 1 to 8, then four per
#: doubling (10, 12, 14, 16, 20, 24, 28, 32, 40, ...): at most a quarter of
#: a padded batch is padding.
SIZE_CLASSES = list(range(1, 9)) + [2**k + j * 2 ** (k - 2) for k in range(3, 30) for j in range(1, 5)]


def _pad_rows(rows):
    """How many rows of zeros bring a batch of ``rows`` to its size class."""
    import tensorflow as tf

    classes = tf.constant(SIZE_CLASSES, tf.int32)
    return tf.gather(classes, tf.searchsorted(classes, tf.reshape(rows, [1]))[0]) - rows


def _padded(pad, x, states, mask):
    """``x``, ``states`` and ``mask`` with ``pad`` rows of zeros (unmasked) after the batch."""
    import tensorflow as tf

    def rows(t, value=0):
        return tf.pad(t, [[0, pad]] + [[0, 0]] * (len(t.shape) - 1), constant_values=value)

    if mask is not None:
        mask = tf.cast(rows(tf.cast(mask, tf.int8), 1), tf.bool)
    return rows(x), [rows(s) for s in states], mask
