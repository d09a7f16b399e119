"""The cells compute the README's equations: a NumPy float64 reference and finite differences."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo import cells


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


ACTIVATIONS = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": lambda a: np.maximum(a, 0.0)}


def simple_rnn(x, W, U, b, f):
    """h_t = f(W_x x_t + W_h h_{t-1} + b)"""
    h, hs = np.zeros((x.shape[0], U.shape[0])), []
    for t in range(x.shape[1]):
        h = f(x[:, t] @ W + h @ U + b)
        hs.append(h)
    return np.stack(hs, 1)


def gru(x, W, U, b, reset_after):
    n = U.shape[0]
    h, hs = np.zeros((x.shape[0], n)), []
    b_x, b_h = (b[0], b[1]) if reset_after else (b, np.zeros(3 * n))
    for t in range(x.shape[1]):
        xw = x[:, t] @ W + b_x
        z = sigmoid(xw[:, :n] + h @ U[:, :n] + b_h[:n])
        r = sigmoid(xw[:, n:2 * n] + h @ U[:, n:2 * n] + b_h[n:2 * n])
        if reset_after:
            g = np.tanh(xw[:, 2 * n:] + r * (h @ U[:, 2 * n:] + b_h[2 * n:]))
        else:
            g = np.tanh(xw[:, 2 * n:] + (r * h) @ U[:, 2 * n:])
        h = z * h + (1 - z) * g
        hs.append(h)
    return np.stack(hs, 1)


def lstm(x, W, U, b):
    n = U.shape[0]
    h, c, hs = np.zeros((x.shape[0], n)), np.zeros((x.shape[0], n)), []
    for t in range(x.shape[1]):
        a = x[:, t] @ W + h @ U + b
        i, f, g, o = sigmoid(a[:, :n]), sigmoid(a[:, n:2 * n]), np.tanh(a[:, 2 * n:3 * n]), sigmoid(a[:, 3 * n:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    return np.stack(hs, 1)


REFERENCES = {
    "simplernn-tanh": (lambda: cells.SimpleRNNCell(4, dtype="float64"), lambda x, w: simple_rnn(x, *w, np.tanh)),
    "simplernn-sigmoid": (lambda: cells.SimpleRNNCell(4, activation="sigmoid", dtype="float64"),
                          lambda x, w: simple_rnn(x, *w, sigmoid)),
    "simplernn-relu": (lambda: cells.SimpleRNNCell(4, activation="relu", dtype="float64"),
                       lambda x, w: simple_rnn(x, *w, ACTIVATIONS["relu"])),
    "gru-reset-after": (lambda: cells.GRUCell(4, dtype="float64"), lambda x, w: gru(x, *w, True)),
    "gru-reset-before": (lambda: cells.GRUCell(4, reset_after=False, dtype="float64"),
                         lambda x, w: gru(x, *w, False)),
    "lstm": (lambda: cells.LSTMCell(4, dtype="float64"), lambda x, w: lstm(x, *w)),
}


def random_layer(make_cell, seed=0):
    rng = np.random.default_rng(seed)
    layer = keras.layers.RNN(make_cell(), return_sequences=True, dtype="float64")
    x = rng.normal(size=(3, 6, 2))
    layer(x)
    layer.set_weights([rng.normal(scale=0.6, size=w.shape) for w in layer.get_weights()])
    return layer, x


@pytest.mark.parametrize("name", list(REFERENCES))
def test_matches_numpy_equations(name):
    make_cell, reference = REFERENCES[name]
    layer, x = random_layer(make_cell)
    ours = np.asarray(layer(x))
    expected = reference(x, layer.get_weights())
    assert np.abs(ours - expected).max() <= 1e-10


@pytest.mark.parametrize("name", list(REFERENCES))
def test_gradients_match_finite_differences(name):
    make_cell, _ = REFERENCES[name]
    layer, x = random_layer(make_cell, seed=2)
    probe = np.random.default_rng(3).normal(size=(3, 6, 4))

    def loss():
        return tf.reduce_sum(layer(x) * probe)

    with tf.GradientTape() as tape:
        value = loss()
    analytic = [np.asarray(g) for g in tape.gradient(value, layer.trainable_weights)]

    eps, numeric = 1e-6, []
    for var in layer.trainable_weights:
        base = np.asarray(var).copy()
        grad = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            for sign in (1, -1):
                shifted = base.copy()
                shifted[idx] += sign * eps
                var.assign(shifted)
                grad[idx] += sign * float(loss()) / (2 * eps)
        var.assign(base)
        numeric.append(grad)
    a, n = np.concatenate([g.ravel() for g in analytic]), np.concatenate([g.ravel() for g in numeric])
    relative = np.linalg.norm(a - n) / np.linalg.norm(a + n)
    assert relative <= 1e-6, relative
