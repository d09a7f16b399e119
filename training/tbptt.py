"""Truncated backpropagation through time (TBPTT) with a user-chosen window k.

The textbook algorithm (Williams & Peng 1990; here with k1 = k2 = k)::

    h <- 0
    for each window of k steps of the sequence:
        run the k steps forward from h
        compute the error on the window's outputs
        backpropagate inside the window only, and update the weights
        h <- the window's last state, carried on with no gradient through it

With k >= T there is one window and this is full BPTT. The model must be a
carry-state model, ``[x, *h_0] -> [y, *h_T]`` (e.g.
``zoo.topologies.many_to_many_synced(..., carry_state=True)``).

Training code uses the TensorFlow backend.
"""

import keras
import tensorflow as tf
from keras.src.losses.loss import unscale_loss_for_distribution


def windows(length, k):
    """The ``(start, stop)`` bounds of consecutive windows of ``k`` steps.

    >>> windows(10, 4)
    [(0, 4), (4, 8), (8, 10)]
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"The truncation window k must be a positive integer, got {k!r}.")
    return [(start, min(start + k, length)) for start in range(0, length, k)]


def zero_states(model, batch_size):
    """``h_0 = 0`` for every state input of a carry-state model."""
    return [tf.zeros((batch_size, *s.shape[1:]), dtype=s.dtype) for s in model.inputs[1:]]


def tbptt_step(model, optimizer, loss_fn, x, y, k, states=None):
    """Trains ``model`` by TBPTT over one batch of sequences ``x, y`` of shape
    ``(batch, T, ...)``: one weight update per window of ``k`` steps.

    Returns ``(window_losses, final_states)``; the final states carry no
    gradient, so a caller may pass them on to the next batch of a stream.
    """
    x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    length = x.shape[1]
    if length is None:
        raise ValueError("TBPTT needs a static sequence length (fixed-size batches).")
    if states is None:
        states = zero_states(model, tf.shape(x)[0])
    losses = []
    for start, stop in windows(length, k):
        with tf.GradientTape() as tape:
            out = model([x[:, start:stop], *states], training=True)
            loss = loss_fn(y[:, start:stop], out[0])
            if model.losses:
                loss = loss + tf.add_n(model.losses)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        states = [tf.stop_gradient(s) for s in out[1:]]  # carry h, cut the gradient
        losses.append(loss)
    return losses, states


class TruncatedBPTT(keras.Model):
    """Wraps a carry-state model so that ``fit()`` trains it by TBPTT.

    Each batch row is a sequence of length T; ``train_step`` walks it in
    windows of ``k`` steps from ``h = 0``, updating the weights after each
    window. Evaluation and prediction run the whole sequence from ``h = 0``.
    Save ``wrapper.model``, the model being trained.

    >>> from zoo.topologies import many_to_many_synced
    >>> net = many_to_many_synced("lstm", 8, vocab_size=20, carry_state=True)
    >>> trainer = TruncatedBPTT(net, k=5)
    >>> trainer.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    """

    def __init__(self, model, k, **kwargs):
        super().__init__(**kwargs)
        windows(1, k)  # validates k
        self.model = model
        self.k = k

    def call(self, x, training=False):
        return self.model([x, *zero_states(self.model, tf.shape(x)[0])], training=training)[0]

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x = tf.convert_to_tensor(x)
        if x.shape[1] is None:
            raise ValueError("TBPTT needs a static sequence length (fixed-size batches).")
        states = zero_states(self.model, tf.shape(x)[0])
        variables = self.trainable_variables
        for start, stop in windows(x.shape[1], self.k):
            y_w = y[:, start:stop]
            sw = None if sample_weight is None else sample_weight[:, start:stop]
            with tf.GradientTape() as tape:
                out = self.model([x[:, start:stop], *states], training=True)
                y_pred = out[0]
                # the same loss bookkeeping as Keras' own TensorFlow train_step
                loss = self._compute_loss(x=x, y=y_w, y_pred=y_pred, sample_weight=sw, training=True)
                self._loss_tracker.update_state(
                    unscale_loss_for_distribution(loss), sample_weight=tf.shape(y_pred)[0])
                scaled = self.optimizer.scale_loss(loss) if self.optimizer is not None else loss
            grads = tape.gradient(scaled, variables)
            self.optimizer.apply(grads, variables)
            states = [tf.stop_gradient(s) for s in out[1:]]
            self.compute_metrics(x, y_w, y_pred, sample_weight=sw)
        return self.get_metrics_result()

    def get_config(self):
        return {**super().get_config(), "k": self.k,
                "model": keras.saving.serialize_keras_object(self.model)}

    @classmethod
    def from_config(cls, config):
        model = keras.saving.deserialize_keras_object(config.pop("model"))
        return cls(model, **config)
