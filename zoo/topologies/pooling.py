"""Summarizing every step of a sequence into one vector, padding excluded."""

import keras
from keras import ops

MODES = ("mean", "max", "mean+max")


@keras.saving.register_keras_serializable(package="zoo")
class SequencePooling(keras.layers.Layer):
    """Masked mean, max, or both concatenated, over the time axis of ``(batch, T, n)``
    (zeros for a sequence whose every step is masked).

    A many-to-one model may read its output from every ``h_t`` instead of
    ``h_T`` alone: the loss then reaches early steps directly, not only
    through T - t recurrent steps.

    >>> import numpy as np
    >>> pool = SequencePooling("max")
    >>> x = np.array([[[1.0], [5.0], [9.0]]], "float32")
    >>> float(pool(x, mask=np.array([[True, True, False]]))[0, 0])
    5.0
    """

    def __init__(self, mode="mean+max", **kwargs):
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}, got {mode!r}.")
        self.mode = mode
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            mask = ops.ones(ops.shape(inputs)[:2], dtype="bool")
        keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        parts = []
        if "mean" in self.mode:
            weights = ops.cast(keep, inputs.dtype)
            count = ops.maximum(ops.sum(weights, axis=1), 1.0)
            parts.append(ops.sum(inputs * weights, axis=1) / count)
        if "max" in self.mode:
            lowest = ops.full_like(inputs, -1e9)
            largest = ops.max(ops.where(keep, inputs, lowest), axis=1)
            # a sequence with no step left (an empty text): 0, as its mean, not -1e9
            parts.append(ops.where(ops.any(keep, axis=1), largest, ops.zeros_like(largest)))
        return parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1] * (2 if self.mode == "mean+max" else 1))

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
