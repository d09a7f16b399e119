"""Zoo cells inside keras.layers.RNN equal Keras' built-in layers, given the same weights."""

import functools

import keras
import numpy as np
import pytest

from zoo import cells, layers, parity

TOLERANCE = {"float32": 1e-5, "float64": 1e-6}

LAYOUTS = {
    "sequences": dict(),
    "masked": dict(masked=True),
    "last+state": dict(return_sequences=False, return_state=True),
    "backwards+masked": dict(go_backwards=True, masked=True, return_state=True),
    "bidirectional+masked": dict(bidirectional=True, masked=True),
    "bidirectional+state": dict(bidirectional=True, return_state=True, return_sequences=False),
}


#: The zoo cell in Keras' generic RNN layer, and in zoo.layers.RNN's fast path
#: on 2 batch shards: inference (states kept only for the gradient's re-run)
#: and training (states kept in the forward pass).
FAST = functools.partial(layers.RNN, shards=2, jit_compile=True)
WRAPPERS = {
    "keras.RNN": {"layer": keras.layers.RNN},
    "zoo.RNN": {"layer": FAST},
    "zoo.RNN-training": {"layer": FAST, "training": True},
}


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("case", list(parity.CASES))
def test_outputs_and_gradients_match_builtin(case, layout, dtype, wrapper):
    cell, kwargs = parity.CASES[case]
    err = parity.compare(cell, dtype, cell_kwargs=kwargs, **LAYOUTS[layout], **WRAPPERS[wrapper])
    assert err["output"] <= TOLERANCE[dtype], err
    assert err["gradient"] <= TOLERANCE[dtype], err


@pytest.mark.parametrize("name,builtin,kwargs", [
    ("simplernn", keras.layers.SimpleRNNCell, {}),
    ("simplernn", keras.layers.SimpleRNNCell, {"use_bias": False}),
    ("gru", keras.layers.GRUCell, {"reset_after": True}),
    ("gru", keras.layers.GRUCell, {"reset_after": False}),
    ("gru", keras.layers.GRUCell, {"use_bias": False}),
    ("lstm", keras.layers.LSTMCell, {}),
    ("lstm", keras.layers.LSTMCell, {"use_bias": False}),
])
def test_cell_weight_layout_and_step_match_builtin_cell(name, builtin, kwargs):
    ours, theirs = cells.CELLS[name](5, **kwargs), builtin(5, **kwargs)
    ours.build((None, 3))
    theirs.build((None, 3))
    assert [(w.path.split("/")[-1], w.shape) for w in ours.weights] == \
           [(w.path.split("/")[-1], w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3)).astype("float32")
    states = [rng.normal(size=(2, 5)).astype("float32") for _ in range(len(ours.get_initial_state(2)))]
    y_ours, s_ours = ours(x, states)
    y_theirs, s_theirs = theirs(x, states)
    np.testing.assert_array_equal(np.asarray(y_ours), np.asarray(y_theirs))
    for a, b in zip(s_ours, s_theirs):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_unit_forget_bias_matches_builtin_initial_bias():
    ours, theirs = cells.LSTMCell(4), keras.layers.LSTMCell(4)
    ours.build((None, 2))
    theirs.build((None, 2))
    np.testing.assert_array_equal(np.asarray(ours.bias), np.asarray(theirs.bias))
    assert np.asarray(ours.bias)[4:8].tolist() == [1.0] * 4


def test_bidirectional_is_rejected_with_go_backwards():
    with pytest.raises(ValueError, match="go_backwards"):
        parity.compare("lstm", bidirectional=True, go_backwards=True)


def test_cells_match_builtins_on_the_jax_backend_without_tensorflow():
    """The cells, zoo.layers.RNN and zoo.parity are plain Keras 3: on the JAX
    backend (with TensorFlow made unimportable) the zoo cells still equal
    Keras' built-in layers, gradients included (taken by jax.grad there)."""
    import os
    import subprocess
    import sys

    code = ("import sys; sys.modules['tensorflow'] = None\n"
            "from zoo_cli.main import main\n"
            "main(['parity', '--masked'])\n"
            "assert 'zoo.models' not in sys.modules\n")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [fields for fields in map(str.split, result.stdout.splitlines())
            if len(fields) >= 4 and fields[-3] in ("float32", "float64")]
    assert len(rows) == 2 * len(parity.CASES)
    for *label, dtype, out, grad in rows:
        assert float(out) <= TOLERANCE[dtype] and float(grad) <= TOLERANCE[dtype], (label, dtype)
