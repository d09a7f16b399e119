"""Side-by-side check of a zoo cell against Keras' built-in layer.

``compare("lstm")`` builds ``keras.layers.LSTM`` and ``keras.layers.RNN(zoo
LSTMCell)`` with the same arguments, gives both the same random weights,
runs both on the same inputs and returns the largest absolute differences of
the outputs and of the gradients (with respect to the inputs and every weight).
``zoo parity`` prints the table. It runs on the TensorFlow and JAX backends.
"""

import keras
import numpy as np

from zoo import cells

BUILTINS = {
    "simplernn": keras.layers.SimpleRNN,
    "gru": keras.layers.GRU,
    "lstm": keras.layers.LSTM,
}


def compare(cell, dtype="float32", *, cell_kwargs=None, return_sequences=True,
            return_state=False, go_backwards=False, bidirectional=False, masked=False,
            batch=3, steps=7, input_dim=5, units=6, seed=0, layer=None, training=False):
    """Returns ``{"output": max |zoo - keras|, "gradient": max |d zoo - d keras|}``.

    ``layer`` wraps the zoo cell (default ``keras.layers.RNN``; e.g.
    ``zoo.layers.RNN``); ``training`` is passed to both calls.
    """
    if bidirectional and go_backwards:
        raise ValueError("Keras' Bidirectional does not take a layer with go_backwards=True.")
    cell_kwargs = dict(cell_kwargs or {})
    rng = np.random.default_rng(seed)
    flags = dict(return_sequences=return_sequences, return_state=return_state,
                 go_backwards=go_backwards, dtype=dtype)
    builtin = BUILTINS[cell](units, **cell_kwargs, **flags)
    layer = layer or keras.layers.RNN
    ours = layer(cells.CELLS[cell](units, dtype=dtype, **cell_kwargs), **flags)
    if bidirectional:
        builtin = keras.layers.Bidirectional(builtin, dtype=dtype)
        ours = keras.layers.Bidirectional(ours, dtype=dtype)

    x = keras.ops.convert_to_tensor(rng.normal(size=(batch, steps, input_dim)), dtype=dtype)
    mask = None
    if masked:  # each row keeps a random number of leading steps
        lengths = rng.integers(1, steps + 1, size=batch)
        mask = keras.ops.convert_to_tensor(np.arange(steps)[None, :] < lengths[:, None])
    builtin(x, mask=mask)
    ours(x, mask=mask)
    weights = [rng.normal(scale=0.5, size=w.shape) for w in builtin.get_weights()]
    builtin.set_weights(weights)
    ours.set_weights(weights)

    def run(layer):
        return _outputs_and_gradients(layer, x, mask, training, np.random.default_rng(seed + 1))

    (out_k, grad_k), (out_z, grad_z) = run(builtin), run(ours)
    return {
        "output": max(float(np.abs(a - b).max()) for a, b in zip(out_k, out_z)),
        "gradient": max(float(np.abs(a - b).max()) for a, b in zip(grad_k, grad_z)),
    }


#: The configurations ``zoo parity`` reports, by a readable label.
CASES = {
    "SimpleRNN tanh": ("simplernn", {}),
    "SimpleRNN sigmoid": ("simplernn", {"activation": "sigmoid"}),
    "SimpleRNN relu": ("simplernn", {"activation": "relu"}),
    "GRU reset_after=True": ("gru", {"reset_after": True}),
    "GRU reset_after=False": ("gru", {"reset_after": False}),
    "LSTM": ("lstm", {}),
}


def table(dtypes=("float32", "float64"), **options):
    """Rows ``(label, dtype, output error, gradient error)`` for every case."""
    rows = []
    for label, (cell, kwargs) in CASES.items():
        for dtype in dtypes:
            err = compare(cell, dtype, cell_kwargs=kwargs, **options)
            rows.append((label, dtype, err["output"], err["gradient"]))
    return rows


def _outputs_and_gradients(layer, x, mask, training, probe):
    """The layer's outputs and the gradients of a fixed random loss over all
    of them, with respect to ``x`` and every trainable weight."""
    backend = keras.backend.backend()

    def outputs(out):
        return list(out) if isinstance(out, (list, tuple)) else [out]

    def loss_of(out):
        return sum(keras.ops.sum(o * keras.ops.convert_to_tensor(probe.normal(size=o.shape), o.dtype))
                   for o in out)

    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            out = outputs(layer(x, mask=mask, training=training))
            loss = loss_of(out)
        grads = tape.gradient(loss, [x, *layer.trainable_weights])
    elif backend == "jax":
        import jax

        trainable = [v.value for v in layer.trainable_variables]
        frozen = [v.value for v in layer.non_trainable_variables]

        def loss_fn(x, trainable):
            out, _ = layer.stateless_call(trainable, frozen, x, mask=mask, training=training)
            out = outputs(out)
            return loss_of(out), out

        (_, out), (d_x, d_w) = jax.value_and_grad(loss_fn, argnums=(0, 1), has_aux=True)(
            x, trainable)
        grads = [d_x, *d_w]
    else:
        raise NotImplementedError(f"zoo.parity needs the tensorflow or jax backend, not {backend!r}.")
    return [np.asarray(o) for o in out], [np.asarray(g) for g in grads]
