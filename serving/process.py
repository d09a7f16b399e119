"""``zoo serve`` as a subprocess on a free loopback port, and waiting for its
``/readyz`` (the tests and the load benchmark start servers this way)."""

import socket
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port, *options, **popen_options):
    """``zoo serve`` on 127.0.0.1:``port`` in its own session (so that its process
    group can be signalled)."""
    return subprocess.Popen([sys.executable, "-m", "zoo_cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), *options], start_new_session=True, **popen_options)


def wait_ready(port, process, timeout=240, while_waiting=None):
    """Seconds until ``/readyz`` answered 200; ``RuntimeError`` if the process
    exits or ``timeout`` passes first. ``while_waiting()`` runs between polls."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before it was ready")
        if while_waiting:
            while_waiting()
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).status == 200:
                return time.monotonic() - started
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server was not ready after {timeout} s")
