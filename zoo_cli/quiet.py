"""TensorFlow's start-up lines, kept off a command's output.

Importing TensorFlow prints lines of its C++ libraries before their logging is
set up (``WARNING: All log messages before absl::InitializeLog() ...``, "Could
not find cuda drivers", "failed call to cuInit" on a machine without a GPU):
written to file descriptor 2 directly, so neither ``TF_CPP_MIN_LOG_LEVEL`` nor
Python's logging reaches them. ``tensorflow()`` imports TensorFlow and lists
its devices with that descriptor pointed at a temporary file, then shows
whatever was written there that is not one of those start-up lines. After it,
TensorFlow's warnings and errors reach stderr as usual.
"""

import os
import re
import sys
import tempfile

START_UP = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)"
                      r"|[IE]\d{4} .*(cudart_stub|cuda_platform|cuda_executor|cuda_diagnostics)"
                      r"|.*(Could not find cuda drivers|failed call to cuInit))")


def tensorflow():
    """Imports TensorFlow (and Keras) without its start-up lines; returns the module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()  # where "failed call to cuInit" is printed
            import keras  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", "replace")
    kept = [line for line in text.splitlines() if line.strip() and not START_UP.match(line)]
    if kept:
        print("\n".join(kept), file=sys.stderr)
    return tf
