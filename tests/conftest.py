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
