"""Step-by-step generation carries the state and equals running the whole model."""

import keras
import numpy as np
import pytest

from zoo.generation import Stepper, continue_sequence, generate_from_condition, sample
from zoo.topologies import many_to_many_synced, many_to_one, one_to_many

V = 15


@pytest.mark.parametrize("cell", ["simplernn", "gru", "lstm"])
def test_steps_equal_the_whole_sequence(cell):
    model = many_to_many_synced(cell, 8, vocab_size=V, num_layers=2)
    x = np.random.default_rng(0).integers(1, V, size=(3, 9))
    probs = np.asarray(model(x))
    stepper = Stepper(model)
    state = stepper.zero_state(3)
    for t in range(9):
        logits, state = stepper.step(x[:, t], state)
        np.testing.assert_allclose(keras.ops.softmax(logits), probs[:, t], atol=1e-6)


def test_greedy_generation_equals_rerunning_the_growing_window():
    model = many_to_many_synced("lstm", 8, vocab_size=V)
    prompt = np.array([[3, 4, 5]])
    fast = continue_sequence(model, prompt, 6, temperature=0)
    window = prompt
    for _ in range(6):  # the slow way: re-run the model over the whole text each time
        next_token = np.asarray(model(window))[:, -1].argmax(-1)
        window = np.concatenate([window, next_token[:, None]], axis=1)
    np.testing.assert_array_equal(fast, window[:, 3:])


def test_same_seed_same_text_and_other_seed_other_text():
    model = many_to_many_synced("gru", 8, vocab_size=V)
    a = continue_sequence(model, [[1, 2]], 40, temperature=1.0, seed=7)
    b = continue_sequence(model, [[1, 2]], 40, temperature=1.0, seed=7)
    c = continue_sequence(model, [[1, 2]], 40, temperature=1.0, seed=8)
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()
    assert a.shape == (1, 40) and a.min() >= 0 and a.max() < V


def test_one_to_many_generation_follows_teacher_forcing():
    model = one_to_many("lstm", 8, vocab_size=V, condition_dim=4)
    condition = np.random.default_rng(1).normal(size=(2, 4)).astype("float32")
    tokens = generate_from_condition(model, condition, 5, start_token=1, temperature=0)
    previous = np.concatenate([np.ones((2, 1), int), tokens], axis=1)
    probs = np.asarray(model([condition, previous]))
    np.testing.assert_array_equal(probs[:, :5].argmax(-1), tokens)


def test_one_to_many_with_a_token_condition():
    model = one_to_many("gru", 8, vocab_size=V, condition_vocab_size=5)
    assert generate_from_condition(model, np.array([2, 3]), 4, seed=0).shape == (2, 4)


def test_sampling_rules():
    logits = np.array([[0.0, 5.0, 1.0]])
    assert sample(logits, 0).tolist() == [1]
    with pytest.raises(ValueError, match="temperature"):
        sample(logits, -1)
    rng = np.random.default_rng(0)
    draws = [int(sample(logits, 100.0, rng)[0]) for _ in range(200)]
    assert len(set(draws)) == 3  # a high temperature flattens the distribution
    for tiny in (5e-324, 1e-310, 1e-300):  # logits / temperature overflows: the limit, greedy (no NaN)
        assert sample(logits, tiny, rng).tolist() == [1]


def test_models_that_cannot_step_are_refused():
    with pytest.raises(ValueError, match="bidirectional"):
        Stepper(many_to_many_synced("lstm", 4, vocab_size=V, bidirectional=True))
    with pytest.raises(ValueError, match="prompt"):
        continue_sequence(many_to_many_synced("lstm", 4, vocab_size=V), np.zeros((1, 0), int), 3)
    assert isinstance(Stepper(many_to_one("lstm", 4, vocab_size=V)), Stepper)
