import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The tests' BentoML model store: never the user's (~/bentoml). Set before anything imports
# BentoML, which reads it once; subprocesses inherit it.
os.environ["BENTOML_HOME"] = tempfile.mkdtemp(prefix="rnn-zoo-tests-bentoml-")

import keras  # noqa: E402
import pytest  # noqa: E402

import zoo  # noqa: E402,F401  (registers the zoo layers)


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


@pytest.fixture
def float64():
    """Builds layers in float64 for the duration of a test."""
    previous = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    yield
    keras.config.set_floatx(previous[0])
    keras.config.set_dtype_policy(previous[1])


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """A small data directory in the layout of ../shared/data (tests/fixtures.py)."""
    from tests.fixtures import make_data_dir

    return make_data_dir(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def own_data(tmp_path_factory):
    """Files a user would bring: a 3-language CSV, a text, a TSV of pairs (tests/own.py)."""
    from tests.own import make_data

    return make_data(tmp_path_factory.mktemp("own-data"))


@pytest.fixture(scope="session")
def own_runs(own_data, tmp_path_factory):
    """The three tiny models trained on ``own_data`` by `zoo train --data`."""
    from tests.own import train_runs

    return train_runs(own_data, tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="session")
def own_server(own_runs, tmp_path_factory):
    """`zoo serve --model` of the three, by alias (lid, poems, tr), for the HTTP and browser tests."""
    from tests.own import start_server

    info, started, log = start_server(own_runs, tmp_path_factory.mktemp("served"))
    yield info
    started.terminate()
    started.wait(timeout=60)
    log.close()
