"""Truncated BPTT: k >= T is full BPTT; k < T matches a hand-computed reference."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from training.tbptt import TruncatedBPTT, tbptt_step, windows
from zoo.topologies import many_to_many_synced

B, T, LR = 2, 7, 0.1


def tiny_network():
    """h_t = tanh(W_x x_t + W_h h_{t-1} + b), y_t = W_y h_t + b_y; 1 input, 2 units, 1 output."""
    model = many_to_many_synced("simplernn", 2, input_dim=1, output_dim=1,
                                output_activation=None, carry_state=True)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(scale=0.8, size=w.shape) for w in model.get_weights()])
    return model


def data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(B, T, 1)), rng.normal(size=(B, T, 1))


def mse(y, y_pred):
    return tf.reduce_mean((y - y_pred) ** 2)


def hand_tbptt(weights, x, y, k, lr):
    """The textbook algorithm written out with NumPy: forward a window from the
    carried h, backpropagate inside the window only, take an SGD step, carry h."""
    Wx, Wh, b, Wy, by = [w.copy() for w in weights]
    h = np.zeros((x.shape[0], Wh.shape[0]))
    for start in range(0, x.shape[1], k):
        xs, ys = x[:, start:start + k], y[:, start:start + k]
        n = xs.shape[1]
        hs, preds = [h], []
        for t in range(n):
            hs.append(np.tanh(xs[:, t] @ Wx + hs[-1] @ Wh + b))
            preds.append(hs[-1] @ Wy + by)
        grads = [np.zeros_like(w) for w in (Wx, Wh, b, Wy, by)]
        dh_next = np.zeros_like(h)
        for t in reversed(range(n)):
            dy = 2 * (preds[t] - ys[:, t]) / (xs.shape[0] * n)
            grads[3] += hs[t + 1].T @ dy
            grads[4] += dy.sum(0)
            da = (dy @ Wy.T + dh_next) * (1 - hs[t + 1] ** 2)
            grads[0] += xs[:, t].T @ da
            grads[1] += hs[t].T @ da
            grads[2] += da.sum(0)
            dh_next = da @ Wh.T  # stops at the window's start: h_start is a constant
        h = hs[-1]
        Wx, Wh, b, Wy, by = [w - lr * g for w, g in zip((Wx, Wh, b, Wy, by), grads)]
    return [Wx, Wh, b, Wy, by]


def test_windows():
    assert windows(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert windows(5, 5) == windows(5, 99) == [(0, 5)]
    for bad in (0, -2, 1.5):
        with pytest.raises(ValueError, match="window k"):
            windows(10, bad)


@pytest.mark.parametrize("k", [T, T + 5])
def test_k_at_least_T_is_full_bptt(float64, k):
    x, y = data()
    truncated, full = tiny_network(), tiny_network()
    tbptt_step(truncated, keras.optimizers.SGD(LR), mse, x, y, k)

    zeros = [tf.zeros((B, 2), "float64")]
    with tf.GradientTape() as tape:
        loss = mse(y, full([tf.constant(x), *zeros], training=True)[0])  # as tbptt_step calls it
    grads = tape.gradient(loss, full.trainable_variables)
    keras.optimizers.SGD(LR).apply(grads, full.trainable_variables)
    for a, b in zip(truncated.get_weights(), full.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_k_below_T_matches_the_hand_computed_reference(float64, k):
    x, y = data()
    model = tiny_network()
    expected = hand_tbptt(model.get_weights(), x, y, k, LR)
    losses, states = tbptt_step(model, keras.optimizers.SGD(LR), mse, x, y, k)
    assert len(losses) == len(windows(T, k))
    for a, b in zip(model.get_weights(), expected):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert states[0].shape == (B, 2)


def test_truncation_changes_the_update(float64):
    x, y = data()
    w = tiny_network().get_weights()
    short, full = hand_tbptt(w, x, y, 2, LR), hand_tbptt(w, x, y, T, LR)
    assert max(np.abs(a - b).max() for a, b in zip(short, full)) > 1e-3


def test_fit_with_truncated_bptt_learns_and_updates_once_per_window():
    V, steps, k = 8, 12, 4
    rng = np.random.default_rng(0)
    x = rng.integers(1, V, size=(64, steps))
    y = np.concatenate([np.zeros((64, 1), int), x[:, :-1]], axis=1)  # y_t = x_{t-1}
    net = many_to_many_synced("lstm", 16, vocab_size=V, carry_state=True)
    trainer = TruncatedBPTT(net, k=k)
    trainer.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    data_set = tf.data.Dataset.from_tensor_slices((x, y)).batch(16, drop_remainder=True)
    history = trainer.fit(data_set, epochs=6, verbose=0, shuffle=False)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]
    assert int(trainer.optimizer.iterations) == 6 * 4 * (steps // k)
    probs = trainer.predict(x[:4], verbose=0)
    assert probs.shape == (4, steps, V)
