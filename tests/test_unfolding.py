"""The explicit k-step network equals the looped RNN, in outputs and in gradients."""

import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import cells
from zoo.unfolding import plot, render

CASES = {
    "simplernn": lambda: cells.SimpleRNNCell(5),
    "gru": lambda: cells.GRUCell(5),
    "gru-reset-before": lambda: cells.GRUCell(5, reset_after=False),
    "lstm": lambda: cells.LSTMCell(5),
}


def inputs(cell, k=4, batch=3, dim=2, seed=0):
    rng = np.random.default_rng(seed)
    sizes = cell.state_size if isinstance(cell.state_size, list) else [cell.state_size]
    x = rng.normal(size=(batch, k, dim)).astype("float32")
    h0 = [rng.normal(size=(batch, s)).astype("float32") for s in sizes]
    return x, h0


@pytest.mark.parametrize("name", list(CASES))
def test_unfolded_equals_looped(name):
    cell = CASES[name]()
    x, h0 = inputs(cell)
    unfolded = zoo.unfold(cell, 4, input_dim=2)
    looped = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    for a, b in zip(unfolded([x, *h0]), looped(x, initial_state=h0)):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_gradients_equal_backpropagation_through_time(name):
    cell = CASES[name]()
    x, h0 = inputs(cell, seed=1)
    head = keras.layers.Dense(3)
    unfolded = zoo.unfold(cell, 4, input_dim=2, output_layer=head)
    looped = keras.layers.RNN(cell, return_sequences=True)
    weights = cell.trainable_weights + head.trainable_weights
    with tf.GradientTape(persistent=True) as tape:
        loss_unfolded = tf.reduce_sum(unfolded([x, *h0])[0] ** 2)
        loss_looped = tf.reduce_sum(head(looped(x, initial_state=h0)) ** 2)
    np.testing.assert_allclose(loss_unfolded, loss_looped, rtol=1e-6)
    for a, b in zip(tape.gradient(loss_unfolded, weights), tape.gradient(loss_looped, weights)):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_trained_layer_unfolds_with_its_own_weights():
    layer = keras.layers.RNN(cells.GRUCell(3))
    x = np.random.default_rng(2).normal(size=(2, 6, 4)).astype("float32")
    last = layer(x)
    unfolded = zoo.unfold(layer.cell, 6)  # input_dim read from the built cell
    np.testing.assert_allclose(unfolded([x, np.zeros((2, 3), "float32")])[1], last, atol=1e-6)


def test_unfolded_model_saves_and_loads(tmp_path):
    model = zoo.unfold(cells.LSTMCell(3), 3, input_dim=2)
    x, h0 = inputs(cells.LSTMCell(3), k=3)
    expected = model([x, *h0])
    model.save(tmp_path / "unfolded.keras")
    loaded = keras.saving.load_model(tmp_path / "unfolded.keras")
    for a, b in zip(loaded([x, *h0]), expected):
        np.testing.assert_allclose(a, b, atol=1e-7)


def test_text_rendering_shows_k_copies_and_the_shared_weights():
    cell = cells.LSTMCell(4)
    cell.build((None, 3))
    text = render(cell, 5)
    assert text.count("[A]") == 5
    assert "h_0" in text and "h_5" in text and "x_5" in text and "y_5" in text
    assert "kernel (3, 16)" in text and "recurrent_kernel (4, 16)" in text


@pytest.mark.parametrize("k", [0, -1, 2.5])
def test_bad_k(k):
    with pytest.raises(ValueError, match="k"):
        zoo.unfold(cells.GRUCell(2), k, input_dim=2)


def test_unbuilt_cell_needs_input_dim():
    with pytest.raises(ValueError, match="input_dim"):
        zoo.unfold(cells.GRUCell(2), 3)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_picture(tmp_path):
    pytest.importorskip("pydot")
    path = plot(cells.GRUCell(2), 3, tmp_path / "unfolded.png")
    assert (tmp_path / "unfolded.png").read_bytes()[:4] == b"\x89PNG"
    assert path.endswith("unfolded.png")
