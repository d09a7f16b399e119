"""Constructor arguments, config, serialization and dropout of the zoo cells."""

import subprocess
import sys

import keras
import numpy as np
import pytest

from zoo import cells


@pytest.mark.parametrize("name", sorted(cells.CELLS))
def test_config_round_trip_keeps_every_argument(name):
    cell = cells.CELLS[name](
        7, use_bias=False, kernel_initializer="he_normal", recurrent_initializer="glorot_normal",
        bias_initializer="ones", kernel_regularizer="l2", recurrent_regularizer="l1",
        bias_regularizer=keras.regularizers.L1L2(0.1, 0.2), kernel_constraint="max_norm", recurrent_constraint="unit_norm",
        bias_constraint="non_neg", dropout=0.25, recurrent_dropout=0.125, seed=3)
    config = cell.get_config()
    again = cells.CELLS[name].from_config(config)
    assert again.get_config() == config
    assert config["units"] == 7 and config["dropout"] == 0.25 and config["recurrent_dropout"] == 0.125


def test_cell_specific_arguments_survive_config():
    assert cells.GRUCell.from_config(cells.GRUCell(3, reset_after=False).get_config()).reset_after is False
    lstm = cells.LSTMCell.from_config(cells.LSTMCell(3, unit_forget_bias=False).get_config())
    assert lstm.unit_forget_bias is False
    simple = cells.SimpleRNNCell.from_config(cells.SimpleRNNCell(3, activation="relu").get_config())
    assert simple.activation is keras.activations.relu


@pytest.mark.parametrize("bad, message", [
    (dict(units=0), "units"), (dict(units=2.5), "units"),
    (dict(units=3, dropout=1.0), "dropout"), (dict(units=3, recurrent_dropout=-0.1), "recurrent_dropout"),
])
def test_bad_arguments_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        cells.LSTMCell(**bad)


def test_get_by_name_and_unknown_name():
    assert isinstance(cells.get("GRU", 4), cells.GRUCell)
    assert isinstance(cells.get("simple_rnn", 4), cells.SimpleRNNCell)
    instance = cells.LSTMCell(2)
    assert cells.get(instance) is instance
    with pytest.raises(ValueError, match="Unknown cell 'transformer'"):
        cells.get("transformer", 4)


def test_regularizers_add_losses():
    layer = keras.layers.RNN(cells.LSTMCell(3, kernel_regularizer="l2"))
    layer(np.ones((1, 2, 2), "float32"))
    assert len(layer.losses) == 1 and float(layer.losses[0]) > 0


def test_dropout_mask_is_the_same_at_every_step():
    # Linear cell, no recurrence: h_t = (x_t * m) W, so equal inputs give equal
    # outputs at every step exactly when the mask m is drawn once per sequence.
    cell = cells.SimpleRNNCell(4, activation=None, dropout=0.5, use_bias=False,
                               kernel_initializer="ones", recurrent_initializer="zeros", seed=1)
    layer = keras.layers.RNN(cell, return_sequences=True)
    x = np.ones((8, 5, 6), "float32")
    train = np.asarray(layer(x, training=True))
    infer = np.asarray(layer(x, training=False))
    assert not np.allclose(train, infer)          # dropout acts in training...
    np.testing.assert_allclose(infer, 6.0)        # ...and not in inference
    np.testing.assert_allclose(train, np.repeat(train[:, :1], 5, axis=1))  # one mask per sequence


@pytest.mark.parametrize("name", sorted(cells.CELLS))
def test_recurrent_dropout_trains(name):
    layer = keras.layers.RNN(cells.CELLS[name](4, dropout=0.3, recurrent_dropout=0.3))
    out = np.asarray(layer(np.ones((2, 5, 3), "float32"), training=True))
    assert np.isfinite(out).all()


SAVE_AND_LOAD = """
import sys, numpy as np, keras, zoo
model = keras.saving.load_model(sys.argv[1])
x = np.load(sys.argv[2])
np.save(sys.argv[3], np.concatenate([np.asarray(o).reshape(len(x), -1) for o in model(x)], axis=1))
"""


def test_saved_model_loads_in_a_fresh_process_after_import_zoo(tmp_path):
    inputs = keras.Input((None, 3))
    outputs = [
        keras.layers.RNN(cells.SimpleRNNCell(2, activation="relu"))(inputs),
        keras.layers.Bidirectional(keras.layers.RNN(cells.GRUCell(2, reset_after=False)))(inputs),
        keras.layers.RNN(cells.LSTMCell(2, dropout=0.1), go_backwards=True)(inputs),
    ]
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    expected = np.concatenate([np.asarray(o).reshape(2, -1) for o in model(x)], axis=1)
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    subprocess.run([sys.executable, "-c", SAVE_AND_LOAD, str(tmp_path / "m.keras"),
                    str(tmp_path / "x.npy"), str(tmp_path / "y.npy")], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected)
