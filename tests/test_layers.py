"""zoo.layers.RNN: the fast path's arguments, fallbacks, shards, saving, and its
hand-written step gradients (its parity with Keras is in test_parity.py)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo import cells, parity, topologies
from zoo.layers import RNN


def test_config_round_trip_and_bad_arguments():
    layer = RNN(cells.GRUCell(3), return_sequences=True, jit_compile=False, shards=3)
    again = RNN.from_config(layer.get_config())
    assert (again.jit_compile, again.shards, again.return_sequences) == (False, 3, True)
    assert isinstance(again.cell, cells.GRUCell)
    with pytest.raises(ValueError, match="jit_compile"):
        RNN(cells.LSTMCell(2), jit_compile="yes")
    for bad in (0, -1, 1.5, "two"):
        with pytest.raises(ValueError, match="shards"):
            RNN(cells.LSTMCell(2), shards=bad)


def test_which_calls_take_the_fast_path():
    assert RNN(cells.LSTMCell(2)).supports_fast_path()
    assert RNN(cells.SimpleRNNCell(2, activation="relu")).supports_fast_path()
    assert RNN(cells.GRUCell(2)).supports_fast_path()
    assert not RNN(cells.GRUCell(2, reset_after=False)).supports_fast_path()     # two matmuls per step
    assert not RNN(cells.LSTMCell(2), unroll=True).supports_fast_path()
    dropped = RNN(cells.LSTMCell(2, recurrent_dropout=0.2))
    assert dropped.supports_fast_path(training=False) and not dropped.supports_fast_path(training=True)

    class Custom(cells.LSTMCell):  # a subclass may change the step: Keras' loop runs it
        pass

    assert not RNN(Custom(2)).supports_fast_path()


@pytest.mark.parametrize("name", sorted(cells.CELLS))
def test_shards_split_the_batch_without_changing_results(name):
    x = np.random.default_rng(0).normal(size=(5, 6, 3)).astype("float32")
    one = RNN(cells.CELLS[name](4), return_sequences=True, shards=1, jit_compile=True)
    ref = np.asarray(one(x))
    for shards in (2, 3, 8):  # 8 > batch: some shards are empty
        other = RNN(cells.CELLS[name](4), return_sequences=True, shards=shards, jit_compile=True)
        other(x)
        other.set_weights(one.get_weights())
        np.testing.assert_allclose(np.asarray(other(x)), ref, atol=1e-6)


def test_auto_shards_halve_for_each_direction_of_a_bidirectional(monkeypatch):
    """The two directions' loops run side by side: each takes half the cores."""
    import os

    for cores, alone, each_direction in ((4, 4, 2), (2, 2, 1), (1, 1, 1), (16, 4, 2)):
        monkeypatch.setattr(os, "cpu_count", lambda: cores)
        both = keras.layers.Bidirectional(RNN(cells.LSTMCell(3), name="lstm"))
        assert RNN(cells.LSTMCell(3), name="lstm")._shards() == alone
        assert both.forward_layer._shards() == both.backward_layer._shards() == each_direction
    assert keras.layers.Bidirectional(RNN(cells.LSTMCell(3), shards=3)).forward_layer._shards() == 3


@pytest.mark.parametrize("name", sorted(cells.CELLS))
def test_training_dropout_uses_one_mask_per_sequence(name):
    # With dropout on the inputs only and equal inputs at every step, the
    # output of a layer whose h_0 = 0 differs between training and inference,
    # and two calls in training draw different masks.
    layer = RNN(cells.CELLS[name](4, dropout=0.5, seed=1), return_sequences=True, jit_compile=True)
    x = np.ones((8, 5, 6), "float32")
    train1, train2 = np.asarray(layer(x, training=True)), np.asarray(layer(x, training=True))
    infer = np.asarray(layer(x, training=False))
    assert not np.allclose(train1, infer) and not np.allclose(train1, train2)
    assert np.isfinite(train1).all()


def test_linear_cell_dropout_mask_is_the_same_at_every_step():
    cell = cells.SimpleRNNCell(4, activation=None, dropout=0.5, use_bias=False,
                               kernel_initializer="ones", recurrent_initializer="zeros", seed=1)
    layer = RNN(cell, return_sequences=True, jit_compile=True)
    train = np.asarray(layer(np.ones((8, 5, 6), "float32"), training=True))
    np.testing.assert_allclose(train, np.repeat(train[:, :1], 5, axis=1))


def test_stateful_layer_carries_its_state_like_keras():
    x = np.random.default_rng(2).normal(size=(2, 4, 3)).astype("float32")
    ours = RNN(cells.LSTMCell(5), stateful=True, return_sequences=True, jit_compile=True)
    theirs = keras.layers.RNN(cells.LSTMCell(5), stateful=True, return_sequences=True)
    ours(x), theirs(x)
    theirs.set_weights(ours.get_weights())
    ours.reset_state(), theirs.reset_state()
    for _ in range(2):  # the second call starts from the first call's final state
        np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), atol=1e-6)


def test_topologies_use_it_and_a_model_saves_and_loads(tmp_path):
    model = topologies.many_to_one("gru", 4, vocab_size=30, bidirectional=True, output_dim=2)
    rnn = model.get_layer("rnn_0")
    assert isinstance(rnn.forward_layer, RNN) and isinstance(rnn.backward_layer, RNN)
    x = np.random.default_rng(3).integers(0, 30, size=(3, 7))
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(again.get_layer("rnn_0").forward_layer, RNN)
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), atol=1e-6)


CELL_CASES = {
    "lstm": lambda: cells.LSTMCell(4),
    "gru": lambda: cells.GRUCell(4),
    "simplernn-tanh": lambda: cells.SimpleRNNCell(4),
    "simplernn-sigmoid": lambda: cells.SimpleRNNCell(4, activation="sigmoid"),
    "simplernn-relu": lambda: cells.SimpleRNNCell(4, activation="relu"),
    "simplernn-linear": lambda: cells.SimpleRNNCell(4, activation=None),
}


@pytest.mark.parametrize("case", list(CELL_CASES))
def test_hand_written_step_gradient_equals_autodiff(case, float64):
    cell = CELL_CASES[case]()
    cell.build((None, 3))
    gates = cell.units * cell.gates
    rng = np.random.default_rng(4)
    p, q = (tf.constant(rng.normal(size=(2, gates))) for _ in range(2))
    states = [tf.constant(rng.normal(size=(2, 4))) for _ in cell.get_initial_state(2)]
    d_new = [tf.constant(rng.normal(size=(2, 4))) for _ in states]
    with tf.GradientTape() as tape:
        tape.watch([p, q, *states])
        new = cell.transition(p, q, states)
    auto = tape.gradient(new, [p, q, *states], output_gradients=d_new,
                         unconnected_gradients=tf.UnconnectedGradients.ZERO)
    d_p, d_q, d_states = cell.transition_grad(p, q, states, d_new)
    hand = [d_p, d_q, *(np.zeros((2, 4)) if d is None else d for d in d_states)]
    for a, b in zip(hand, auto):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-12)


def test_other_activations_fall_back_to_autodiff_of_the_step():
    cell = cells.LSTMCell(3, activation="relu")
    cell.build((None, 2))
    z = tf.zeros((1, 12))
    assert cell.transition_grad(z, z, [tf.zeros((1, 3))] * 2, [tf.zeros((1, 3))] * 2) is None
    assert RNN(cell).supports_fast_path()  # still the fast loop, with the step's autodiff
    err = parity.compare("lstm", "float64", cell_kwargs={"activation": "relu"}, masked=True,
                         layer=RNN, training=True)  # training: the fast path
    assert err["output"] <= 1e-6 and err["gradient"] <= 1e-6, err


@pytest.mark.parametrize("name, cell_kwargs", [
    ("simplernn", {}), ("lstm", {"activation": "relu"}), ("lstm", {}), ("gru", {})])
def test_wide_layers_keep_q_or_records_for_the_backward_pass(name, cell_kwargs):
    from zoo.layers import bptt

    err = parity.compare(name, "float64", units=bptt.KEEP_Q_UNITS, masked=True, steps=4,
                         layer=RNN, training=True, cell_kwargs=cell_kwargs)
    assert err["output"] <= 1e-6 and err["gradient"] <= 1e-6, err


@pytest.mark.parametrize("case", ["lstm", "gru"])
def test_records_give_the_step_and_its_gradient(case, float64):
    """A step's record (its gate activations, kept by the forward loop) gives
    the same new states as ``transition`` and the same gradients as
    ``transition_grad``; the GRU's dL/dq also follows from dL/dp and the record."""
    cell = CELL_CASES[case]()
    cell.build((None, 3))
    assert cell.record_width() == 4 * cell.units
    rng = np.random.default_rng(5)
    p, q = (tf.constant(rng.normal(size=(2, cell.units * cell.gates))) for _ in range(2))
    states = [tf.constant(rng.normal(size=(2, 4))) for _ in cell.get_initial_state(2)]
    d_new = [tf.constant(rng.normal(size=(2, 4))) for _ in states]
    new, record = cell.transition_record(p, q, states)
    assert tuple(record.shape) == (2, cell.record_width())
    for a, b in zip(new, cell.transition(p, q, states)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    by_record, by_step = cell.record_grad(record, states, d_new), cell.transition_grad(p, q, states, d_new)
    for a, b in zip(tf.nest.flatten(by_record), tf.nest.flatten(by_step)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-12)
    if case == "gru":
        np.testing.assert_allclose(np.asarray(cell.record_d_q(by_record[0], record)),
                                   np.asarray(by_record[1]), atol=1e-12)
    assert cells.LSTMCell(3, activation="relu").record_width() is None  # recomputed from p, q


@pytest.mark.parametrize("case", ["lstm", "simplernn-relu", "gru", "lstm-no-bias", "gru-no-bias"])
def test_joint_step_gives_the_step(case, float64):
    """``p_t`` and ``q_t`` from the cell's ``joint_step`` (computed inside the
    loop from ``x_t`` and ``h_{t-1}``) give the same new states as
    ``p_t = W_x x_t + b_x`` and ``q_t = W_h h_{t-1} + b_h``."""
    name, _, no_bias = case.partition("-no-")
    cell = cells.CELLS[name](4, use_bias=False) if no_bias else CELL_CASES[name]()
    cell.build((None, 3))
    rng = np.random.default_rng(6)
    for w in cell.weights:
        w.assign(rng.normal(size=w.shape))
    x = tf.constant(rng.normal(size=(2, 3)))
    states = [tf.constant(rng.normal(size=(2, 4))) for _ in cell.get_initial_state(2)]
    b_x, b_h = cell.split_bias()
    weights = cell.joint_weights(cell.kernel, b_x, cell.recurrent_kernel, b_h)
    joint = cell.transition(*cell.joint_step(x, states[0], *weights), states)
    p = tf.matmul(x, cell.kernel) + (0 if b_x is None else b_x)
    q = tf.matmul(states[0], cell.recurrent_kernel) + (0 if b_h is None else b_h)
    for a, c in zip(joint, cell.transition(p, q, states)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(c), atol=1e-12)


WIDE_GRU = cells.GRUCell.JOINT_UNITS + 1


@pytest.mark.parametrize("name, units, projects", [
    ("lstm", 4, False), ("simplernn", 4, False), ("gru", 4, False), ("gru", WIDE_GRU, True)])
def test_x_is_projected_before_the_loop_only_without_a_joint_form(name, units, projects, monkeypatch):
    from zoo.layers import bptt

    calls = []
    project = bptt._project
    monkeypatch.setattr(bptt, "_project", lambda *a: calls.append(1) or project(*a))
    layer = RNN(cells.CELLS[name](units), jit_compile=True, shards=2)
    x = tf.ones((4, 3, 2))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)  # inference: the fast path without stored states
    assert len(calls) == (2 if projects else 0)  # one projection a shard
    tape.gradient(y, x)  # the gradient's re-run needs p_t: projected now
    assert len(calls) == 2
    layer(x, training=True)  # training: projected only by a cell without records
    assert len(calls) == (4 if projects or name == "simplernn" else 2)


def test_auto_compiles_wherever_the_length_is_known():
    layer = RNN(cells.GRUCell(3), return_sequences=True)
    x = tf.ones((2, 4, 3))
    assert layer._use_xla(True, x)                      # training
    assert layer._use_xla(False, x)                     # an eager inference call
    traced = []

    def tracing(spec):
        @tf.function(input_signature=[tf.TensorSpec(spec)])
        def f(x):
            traced.append(layer._use_xla(False, x))
            return x
        return f

    tracing((None, 4, 3))(x), tracing((2, 4, 3))(x), tracing((None, None, 3))(x)
    assert traced == [True, True, False]  # any batch size, fixed shape, any length
    assert RNN(cells.GRUCell(3), jit_compile=False)._use_xla(True, x) is False


def test_open_batch_sizes_are_padded_to_a_few_size_classes():
    from zoo.layers.rnn import SIZE_CLASSES, _pad_rows

    padded = {n: n + int(_pad_rows(tf.constant(n))) for n in range(1, 513)}
    assert set(padded.values()) <= set(SIZE_CLASSES)
    assert all(n <= size <= max(8, 1.25 * n) for n, size in padded.items())
    assert len(set(padded.values())) == 32  # 1 to 8, then 4 a doubling: compiles per length up to 512


def _recurrent_layers(model):
    return list({id(layer): layer for layer in model._flatten_layers() if isinstance(layer, RNN)}.values())


def _twins(units=8, steps=12, vocab=50):
    """A masked Embedding -> Bidirectional LSTM -> Dense classifier, built with
    Keras' LSTM and with the zoo's, the second given the first's weights."""
    models = []
    for zoo_layer in (False, True):
        inputs = keras.Input((steps,), dtype="int32")
        x = keras.layers.Embedding(vocab, 6, mask_zero=True)(inputs)
        rnn = RNN(cells.LSTMCell(units)) if zoo_layer else keras.layers.LSTM(units)
        x = keras.layers.Bidirectional(rnn)(x)
        model = keras.Model(inputs, keras.layers.Dense(1)(x))
        model.compile(keras.optimizers.SGD(0.01), keras.losses.BinaryCrossentropy(from_logits=True))
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    return models


@pytest.mark.parametrize("sizes", [(64, 8, 256), (256, 8, 64)])
def test_every_batch_size_and_keras_entry_point_takes_the_fast_path(sizes):
    """Whatever the order of batch sizes, no call of any Keras entry point
    falls back to Keras' loop, and every output equals Keras' LSTM's."""
    builtin, ours = _twins()
    layers = _recurrent_layers(ours)
    assert len(layers) == 2
    for layer in layers:  # building the model traced it: count from here
        layer.fast_path_runs = layer.keras_path_runs = 0
    rng = np.random.default_rng(0)

    def batch(n):  # padded sequences of random lengths, as a tokenizer gives
        x = rng.integers(1, 50, size=(n, 12)).astype("int32")
        x[np.arange(12) >= rng.integers(1, 13, size=(n, 1))] = 0
        return x

    calls = {
        "predict_on_batch": lambda m, x: m.predict_on_batch(x),
        "predict": lambda m, x: m.predict(x, batch_size=max(1, len(x) // 3), verbose=0),  # ragged last batch
        "direct call": lambda m, x: m(x),
        "tf.function": lambda m, x: tf.function(lambda x: m(x, training=False))(x),
    }
    for n in sizes:
        x = batch(n)
        for name, call in calls.items():
            np.testing.assert_allclose(np.asarray(call(ours, x)), np.asarray(call(builtin, x)),
                                       atol=1e-6, err_msg=f"{name} at batch {n}")
        y = rng.integers(0, 2, size=(n, 1)).astype("float32")
        np.testing.assert_allclose(ours.evaluate(x, y, batch_size=max(1, n // 3), verbose=0),
                                   builtin.evaluate(x, y, batch_size=max(1, n // 3), verbose=0), atol=1e-6)
        np.testing.assert_allclose(ours.train_on_batch(x, y), builtin.train_on_batch(x, y), atol=1e-6)
        ours.fit(x, y, batch_size=max(1, n // 3), epochs=1, verbose=0)
        builtin.fit(x, y, batch_size=max(1, n // 3), epochs=1, verbose=0)
        for a, b in zip(ours.get_weights(), builtin.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-5)
    assert [layer.keras_path_runs for layer in layers] == [0, 0]
    assert all(layer.fast_path_runs > 0 for layer in layers)
