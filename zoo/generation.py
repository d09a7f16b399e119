"""Running a causal zoo model one step at a time, carrying the recurrent state.

A trained many-to-many (or one-to-many) model computes ``y_t`` from ``x_t`` and
``h_{t-1}`` alone, so generating a new token costs one cell step, whatever the
length of the text so far: the state ``h`` summarises it. ``Stepper`` pulls
the step out of a model built by ``zoo.topologies`` (layers ``embedding``,
``rnn_<i>``, ``output``); ``generate`` samples from it.
"""

import numpy as np
import keras
from keras import ops

from zoo import time_limit
from zoo.topologies._stack import numbered_layers


class Stepper:
    """The step function of a causal zoo model: ``(x_t, h_{t-1}) -> (logits_t, h_t)``.

    >>> import numpy as np
    >>> from zoo.topologies import many_to_many_synced
    >>> from zoo.generation import Stepper
    >>> model = many_to_many_synced("lstm", 8, vocab_size=20, num_layers=2)
    >>> stepper = Stepper(model)
    >>> logits, state = stepper.step(np.array([3]), stepper.zero_state(1))
    >>> tuple(logits.shape), len(state), len(state[0])
    ((1, 20), 2, 2)
    """

    def __init__(self, model):
        self.embedding = model.get_layer("embedding")
        self.head = model.get_layer("output")
        layers = numbered_layers(model, "rnn")
        if not layers:
            raise ValueError(f"Model {model.name!r} has no recurrent layer named 'rnn_0'.")
        if any(isinstance(layer, keras.layers.Bidirectional) for layer in layers):
            raise ValueError("A bidirectional model sees the future: it cannot generate step by step.")
        self.cells = [layer.cell for layer in layers]
        self.model = model
        self._step = _compiled(self._step_eagerly)

    def zero_state(self, batch_size):
        """``h_0 = 0`` for every layer: a list (per layer) of lists of states."""
        return [list(cell.get_initial_state(batch_size)) for cell in self.cells]

    def step(self, tokens, state):
        """One time step for a batch of token ids; returns ``(logits, new_state)``."""
        return self._step(ops.convert_to_tensor(tokens, dtype="int32"), state)

    def _step_eagerly(self, tokens, state):
        x = self.embedding(tokens)
        new_state = []
        for cell, layer_state in zip(self.cells, state):
            x, layer_state = cell(x, layer_state, training=False)
            new_state.append(list(layer_state))
        logits = ops.matmul(x, self.head.kernel)  # W_y h_t (+ b_y): y_t before f
        if self.head.use_bias:
            logits = logits + self.head.bias
        return logits, new_state

    def run(self, tokens, state):
        """Feeds a batch of token sequences ``(batch, T)`` step by step; returns
        the last logits and the state after them."""
        tokens = np.asarray(tokens)
        logits = None
        for t in range(tokens.shape[1]):
            time_limit.check()
            logits, state = self.step(tokens[:, t], state)
        return logits, state


def sample(logits, temperature=1.0, rng=None):
    """Draws one token id per row from ``softmax(logits / temperature)``;
    ``temperature == 0`` takes the most likely token."""
    logits = np.asarray(ops.convert_to_numpy(logits), dtype="float64")
    if temperature == 0:
        return logits.argmax(axis=-1)
    if temperature < 0:
        raise ValueError(f"`temperature` must be >= 0, got {temperature}.")
    rng = rng if rng is not None else np.random.default_rng()
    with np.errstate(over="ignore", invalid="ignore"):
        z = logits / temperature
    if not np.isfinite(z).all():  # a temperature so small that the logits overflow: its limit, greedy
        return logits.argmax(axis=-1)
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return np.array([rng.choice(p.shape[-1], p=row) for row in p])


def generate(stepper, logits, state, length, temperature=1.0, seed=None, carry_state=True,
             forbid=()):
    """Samples ``length`` tokens, starting from the given logits and state.

    Returns an int array ``(batch, length)``. Same seed, same tokens. With
    ``carry_state=False`` every step starts from ``h_0 = 0`` (a one-to-one
    model: the next token depends on the current one only). Token ids in
    ``forbid`` (e.g. padding or "unknown") are never drawn.
    """
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(length):
        time_limit.check()
        if forbid:
            logits = np.array(ops.convert_to_numpy(logits), dtype="float64")
            logits[:, list(forbid)] = -np.inf
        token = sample(logits, temperature, rng)
        out.append(token)
        if not carry_state:
            state = stepper.zero_state(len(token))
        logits, state = stepper.step(token, state)
    return np.stack(out, axis=1) if out else np.zeros((len(np.asarray(logits)), 0), "int64")


def continue_sequence(model, prompt, length, temperature=1.0, seed=None):
    """Continues token sequences with a synced many-to-many model.

    The prompt ``(batch, T)`` is read step by step to build the state, then
    ``length`` tokens are sampled, each costing one step.
    """
    stepper = Stepper(model)
    prompt = np.atleast_2d(np.asarray(prompt))
    if prompt.shape[1] == 0:
        raise ValueError("The prompt must hold at least one token.")
    logits, state = stepper.run(prompt, stepper.zero_state(prompt.shape[0]))
    return generate(stepper, logits, state, length, temperature, seed)


def generate_from_condition(model, condition, length, start_token=1, temperature=1.0, seed=None):
    """Generates from a ``one_to_many`` model: ``h_0`` from the condition, then
    ``start_token`` and one sampled token per step.

    >>> import numpy as np
    >>> from zoo.topologies import one_to_many
    >>> model = one_to_many("gru", 8, vocab_size=12, condition_dim=3)
    >>> generate_from_condition(model, np.ones((2, 3)), 5, seed=0).shape
    (2, 5)
    """
    stepper = Stepper(model)
    c = ops.convert_to_tensor(condition)
    if _has_layer(model, "condition_embedding"):
        c = model.get_layer("condition_embedding")(ops.cast(c, "int32"))
    state = [[model.get_layer(f"init_{i}_{j}")(c) for j in range(len(layer_state))]
             for i, layer_state in enumerate(stepper.zero_state(1))]
    batch = int(c.shape[0])
    logits, state = stepper.step(np.full((batch,), start_token), state)
    return generate(stepper, logits, state, length, temperature, seed)


def _compiled(fn):
    """``fn`` as one graph on the TensorFlow backend (a step then costs one
    call instead of one Python dispatch per op); unchanged elsewhere."""
    if keras.backend.backend() != "tensorflow":
        return fn
    import tensorflow as tf

    return tf.function(fn, reduce_retracing=True)


def _has_layer(model, name):
    return any(layer.name == name for layer in model.layers)
