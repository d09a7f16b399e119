"""TensorFlow's housekeeping lines, kept off a command's output.

TensorFlow's C++ libraries print lines that say nothing to a user of the
command: at import (``WARNING: All log messages before absl::InitializeLog()
...``, "Could not find cuda drivers", "failed call to cuInit" on a machine
without a GPU, "oneDNN custom operations are on") and at a first run on a CPU
without AVX-512 ("oneDNN supports DT_BOOL only on platforms with AVX-512"). They
are written to file descriptor 2 directly, so neither ``TF_CPP_MIN_LOG_LEVEL``
nor Python's logging reaches them. ``tensorflow()`` points that descriptor at
a pipe whose reader passes every other line on to stderr, then imports
TensorFlow: its warnings and errors, and the command's own, still show.
"""

import atexit
import os
import re
import sys
import threading

NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)"
                   r"|[IE]\d{4} .*(cudart_stub|cuda_platform|cuda_executor|cuda_diagnostics)"
                   r"|.*(Could not find cuda drivers|failed call to cuInit)"
                   r"|[IWE]\d{4} .*\] oneDNN (custom operations are on"
                   r"|supports DT_\w+ only on platforms with AVX-512))")


def tensorflow():
    """Imports TensorFlow (and Keras) with its housekeeping lines filtered from
    stderr for the rest of the process; returns the module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    _filter_stderr()
    import tensorflow as tf

    tf.config.list_physical_devices()  # where "failed call to cuInit" is printed
    import keras  # noqa: F401

    return tf


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def _filter_stderr():
    """File descriptor 2 through a pipe; a thread passes on each line that is
    not ``NOISE``. At exit the descriptor is restored and the pipe drained."""
    sys.stderr.flush()
    terminal = os.dup(2)
    read, write = os.pipe()
    os.dup2(write, 2)
    os.close(write)

    def forward():
        with os.fdopen(read, "rb") as pipe:
            for line in pipe:
                if not NOISE.match(line.decode("utf-8", "replace")):
                    _write_all(terminal, line)

    thread = threading.Thread(target=forward, name="stderr-filter", daemon=True)
    thread.start()

    def restore():
        sys.stderr.flush()
        os.dup2(terminal, 2)  # the pipe's last writer goes: the reader sees its end
        thread.join(timeout=5)

    atexit.register(restore)
