"""Every topology builds, trains (its loss goes down), masks padding and survives a save/load."""

import keras
import numpy as np
import pytest

from zoo import cells
from zoo.topologies import (
    encoder_decoder, many_to_many_synced, many_to_one, one_to_many, one_to_one,
)

RNG = np.random.default_rng(0)
V = 12  # vocabulary of the synthetic tasks; id 0 is padding


def one_to_one_task(cell):
    x = RNG.integers(1, V, size=256)
    return one_to_one(cell, 16, vocab_size=V), x, (x + 1) % V


def one_to_many_task(cell):
    label = RNG.integers(0, 3, size=256)
    condition = np.eye(3)[label]
    target = np.stack([label + 2, label + 3, label + 4], axis=1)
    previous = np.concatenate([np.ones((256, 1), int), target[:, :-1]], axis=1)  # start token 1
    return one_to_many(cell, 16, vocab_size=V, condition_dim=3), [condition, previous], target


def many_to_one_task(cell, **kwargs):
    x = RNG.integers(1, V, size=(256, 8))
    y = (x == 5).any(axis=1).astype("float32")
    return many_to_one(cell, 16, vocab_size=V, **kwargs), x, y


def synced_task(cell, **kwargs):
    x = RNG.integers(1, V, size=(256, 8))
    y = np.concatenate([np.zeros((256, 1), int), x[:, :-1]], axis=1)  # y_t = x_{t-1}
    return many_to_many_synced(cell, 16, vocab_size=V, **kwargs), x, y


def encoder_decoder_task(cell, **kwargs):
    src = RNG.integers(2, V, size=(256, 5))
    tgt = src[:, ::-1][:, :4]
    tgt_in = np.concatenate([np.ones((256, 1), int), tgt[:, :-1]], axis=1)
    model = encoder_decoder(cell, 16, source_vocab_size=V, target_vocab_size=V, **kwargs)
    return model, [src, tgt_in], tgt


TASKS = {
    "one_to_one": one_to_one_task,
    "one_to_many": one_to_many_task,
    "many_to_one": many_to_one_task,
    "many_to_one_bidirectional": lambda c: many_to_one_task(c, bidirectional=True),
    "many_to_one_pooled": lambda c: many_to_one_task(c, bidirectional=True, pooling="mean+max"),
    "many_to_many_synced": synced_task,
    "many_to_many_stacked": lambda c: synced_task(c, num_layers=2),
    "encoder_decoder": encoder_decoder_task,
    "encoder_decoder_attention": lambda c: encoder_decoder_task(c, bidirectional=True, attention="dot"),
    "encoder_decoder_additive": lambda c: encoder_decoder_task(c, attention="additive"),
}


def loss_name(model):
    return "binary_crossentropy" if model.output_shape[-1] == 1 else "sparse_categorical_crossentropy"


@pytest.mark.parametrize("cell", ["simplernn", "gru", "lstm"])
@pytest.mark.parametrize("task", list(TASKS))
def test_trains_and_loss_goes_down(task, cell):
    model, x, y = TASKS[task](cell)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss=loss_name(model))
    before = float(model.evaluate(x, y, verbose=0, batch_size=256))
    for _ in range(40):
        model.train_on_batch(x, y)
    after = float(model.evaluate(x, y, verbose=0, batch_size=256))
    assert after < 0.7 * before, (before, after)


@pytest.mark.parametrize("task", list(TASKS))
def test_save_and_load_round_trip(task, tmp_path):
    model, x, _ = TASKS[task]("gru")
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)


def test_every_model_ends_with_the_output_layer():
    for task in TASKS:
        model = TASKS[task]("lstm")[0]
        assert isinstance(model.get_layer("output"), keras.layers.Dense), task


@pytest.mark.parametrize("pooling", ["last", "mean", "max", "mean+max"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_many_to_one_ignores_padding_at_either_end(bidirectional, pooling):
    model = many_to_one("lstm", 8, vocab_size=V, bidirectional=bidirectional, pooling=pooling)
    tokens = [3, 7, 4, 9]
    base = model(np.array([tokens]))
    post = model(np.array([tokens + [0, 0, 0]]))
    np.testing.assert_allclose(post, base, atol=1e-6)
    if not bidirectional and pooling == "last":  # h_0 = 0 is carried unchanged through leading padding
        np.testing.assert_allclose(model(np.array([[0, 0] + tokens])), base, atol=1e-6)


@pytest.mark.parametrize("mode", ["mean", "max", "mean+max"])
def test_pooling_an_empty_sequence_gives_zeros(mode):
    from zoo.topologies.pooling import SequencePooling

    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    mask = np.array([[False] * 3, [True, True, False]])
    out = np.asarray(SequencePooling(mode)(x, mask=mask))
    np.testing.assert_array_equal(out[0], 0.0)  # no step left: zeros, not -1e9 (a huge logit after it)
    kept = {"mean": x[1, :2].mean(0), "max": x[1, :2].max(0)}
    expected = np.concatenate([kept[m] for m in mode.split("+")])
    np.testing.assert_allclose(out[1], expected, rtol=1e-6)


def test_vector_sequences_with_a_mask_value():
    model = many_to_one("gru", 4, input_dim=3, mask_value=0.0)
    x = np.random.default_rng(1).normal(size=(1, 5, 3)).astype("float32")
    padded = np.concatenate([x, np.zeros((1, 2, 3), "float32")], axis=1)
    np.testing.assert_allclose(model(padded), model(x), atol=1e-6)


def test_cell_instance_is_used_and_copied_for_deeper_layers():
    first = cells.GRUCell(6, reset_after=False)
    model = many_to_one(first, num_layers=3, vocab_size=V)
    layer_cells = [model.get_layer(f"rnn_{i}").cell for i in range(3)]
    assert layer_cells[0] is first
    assert all(isinstance(c, cells.GRUCell) and not c.reset_after and c.units == 6 for c in layer_cells)
    assert len({id(c.kernel) for c in layer_cells}) == 3  # separate weights


def test_one_to_one_is_a_single_step_from_zero_state():
    model = one_to_one("simplernn", 5, input_dim=3, output_dim=4, output_activation=None)
    x = np.random.default_rng(2).normal(size=(2, 3)).astype("float32")
    kernel, _, bias = model.get_layer("rnn_0").get_weights()
    w_y, b_y = model.get_layer("output").get_weights()
    np.testing.assert_allclose(model(x), np.tanh(x @ kernel + bias) @ w_y + b_y, atol=1e-5)


def test_carry_state_continues_where_it_stopped():
    model = many_to_many_synced("lstm", 8, vocab_size=V, num_layers=2, carry_state=True)
    x = RNG.integers(1, V, size=(2, 10))
    zeros = [np.zeros((2, 8), "float32")] * 4
    whole = model([x, *zeros])
    first = model([x[:, :6], *zeros])
    second = model([x[:, 6:], *[np.asarray(s) for s in first[1:]]])
    np.testing.assert_allclose(np.concatenate([first[0], second[0]], axis=1), whole[0], atol=1e-6)
    for a, b in zip(second[1:], whole[1:]):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("build, message", [
    (lambda: many_to_one("lstm", 4), "exactly one of"),
    (lambda: many_to_one("lstm", 4, vocab_size=5, input_dim=3), "exactly one of"),
    (lambda: many_to_one("lstm", 4, vocab_size=5, num_layers=0), "num_layers"),
    (lambda: many_to_many_synced("gru", 4, vocab_size=5, bidirectional=True, carry_state=True), "causal"),
    (lambda: many_to_many_synced("gru", 4, input_dim=3), "output_dim"),
    (lambda: encoder_decoder("gru", 4, source_vocab_size=5, target_vocab_size=5, attention="magic"), "attention"),
    (lambda: one_to_many("gru", 4, vocab_size=5), "condition"),
    (lambda: many_to_one("cnn", 4, vocab_size=5), "Unknown cell"),
])
def test_bad_arguments_are_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_encoder_decoder_dropout_acts_in_training_only():
    kwargs = dict(source_vocab_size=V, target_vocab_size=V, bidirectional=True, attention="dot")
    plain = encoder_decoder("lstm", 8, **kwargs)
    dropped = encoder_decoder("lstm", 8, dropout=0.5, **kwargs)
    assert {"source_dropout", "target_dropout", "output_dropout"} <= {l.name for l in dropped.layers}
    assert len(dropped.weights) == len(plain.weights)  # dropout adds no weights
    for layer in plain.layers:
        dropped.get_layer(layer.name).set_weights(layer.get_weights())
    x = [RNG.integers(1, V, size=(4, 6)), RNG.integers(1, V, size=(4, 5))]
    x[0][:, 4:] = 0  # padding stays masked through the dropout layers
    np.testing.assert_allclose(np.asarray(dropped(x)), np.asarray(plain(x)), atol=1e-6)
    assert not np.allclose(np.asarray(dropped(x, training=True)), np.asarray(plain(x)), atol=1e-3)
