"""Compiling the classifiers' loops for small batches while the server is idle.

A ``/classify`` batch whose shape (rows, length class) has compiled loops runs
them; any other runs Keras' loop, which needs no compiling but is several times
slower for a small batch (a review alone: 41 ms against 3 ms, the default
classifier on 2 cores). Compiling every shape at start-up would take about
half a minute of the CPU before ready, or from the requests after it. So a
thread compiles one shape at a time (a fraction of a second each), and only
once no model has run for ``quiet`` seconds: first the shapes that
requests ran in Keras' loop, then every shape of the default classifier up to
``rows`` texts. A request arriving during a compile waits for at most that
one shape's share of a core.
"""

import contextlib
import logging
import threading
import time

log = logging.getLogger(__name__)


class ModelCalls:
    """Counts the model calls in flight and ever started: ``with calls(): ...``
    around each (from any thread)."""

    def __init__(self):
        self.in_flight = self.started = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def __call__(self):
        with self._lock:
            self.in_flight += 1
            self.started += 1
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def counts(self):
        return self.in_flight, self.started


class IdleCompiler:
    """``start()``\\ s a thread that compiles the loops of ``models()``'s
    classifiers (``zoo.models.TextClassifier``) while the server is idle.

    ``models()`` returns the loaded classifiers, the default first: all its
    shapes of up to ``rows`` texts are compiled; of the others, only the shapes
    their requests missed. ``calls()`` is ``(model calls in flight, model
    calls ever started)`` (``ModelCalls.counts``): the server is quiet when no
    model runs (a probe or ``/metrics`` is not a model call).
    """

    def __init__(self, models, rows, calls, quiet=0.5, on_compiled=None):
        self.models = models
        self.rows = rows
        self.quiet = quiet
        self.calls = calls
        self.on_compiled = on_compiled  # called after each shape (metrics)
        self.compiled = 0
        self._quiet_since = None  # (calls started, when) at the end of the last compile

    def next_shape(self):
        """``(model, (rows, steps))`` to compile next, or ``None``: a shape
        some request missed, else the default's next shape."""
        models = [model for model in self.models() if hasattr(model, "loops_to_compile")]
        todo = [(model, shape) for index, model in enumerate(models)
                for shape in model.loops_to_compile(self.rows) if index == 0 or model.missed.get(shape)]
        missed = [(model, shape) for model, shape in todo if model.missed.get(shape)]
        return (missed or todo or [None])[0]

    def wait_for_quiet(self, poll=0.05):
        """Returns once no model call has run for ``quiet`` seconds (at once
        if none started since the last compile, itself after such a wait)."""
        in_flight, started = self.calls()
        since = time.monotonic()
        if self._quiet_since and self._quiet_since[0] == started and not in_flight:
            since = self._quiet_since[1] - self.quiet
        while time.monotonic() - since < self.quiet:
            time.sleep(poll)
            in_flight, now = self.calls()
            if in_flight or now != started:
                since, started = time.monotonic(), now
        return started

    def step(self):
        """Compiles one shape once the server is quiet; False when none is left."""
        found = self.next_shape()
        if found is None:
            return False
        started = self.wait_for_quiet()
        model, shape = found
        model.compile_loop(*shape)
        self._quiet_since = (started, time.monotonic())
        self.compiled += 1
        if self.on_compiled:
            self.on_compiled()
        return True

    def run(self, pause=1.0):
        """Forever: each shape as the server goes quiet; with none left, looks
        again every ``pause`` seconds (requests may miss new shapes)."""
        while True:
            try:
                if not self.step():
                    time.sleep(pause)
            except Exception:  # noqa: BLE001 - logged; serving goes on without it
                log.exception("compiling a classifier's loops failed; small batches stay in Keras' loop")
                return

    def start(self):
        thread = threading.Thread(target=self.run, daemon=True, name="compiling loops when idle")
        thread.start()
        return thread
