"""A time limit for the zoo's step-by-step work: generating text, composing,
decoding translations.

Each of those loops calls ``check()`` between steps; inside ``within(seconds)``
a step that starts after the limit raises ``TimeLimitExceeded`` instead, so
that work nobody will wait for stops early (the HTTP service gives each
request a deadline this way). Outside ``within`` nothing is limited.

>>> import time
>>> with within(0.01):
...     check()               # in time
...     time.sleep(0.02)
...     check()
Traceback (most recent call last):
...
zoo.time_limit.TimeLimitExceeded: stopped after the time limit of 0.01 s
"""

import contextlib
import contextvars
import time

_LIMIT = contextvars.ContextVar("zoo_time_limit", default=None)  # (seconds, monotonic deadline)


class TimeLimitExceeded(TimeoutError):
    """Work stopped because its time limit passed."""


@contextlib.contextmanager
def within(seconds):
    """Limits the steps run inside this block to ``seconds`` from now."""
    token = _LIMIT.set((seconds, time.monotonic() + seconds))
    try:
        yield
    finally:
        _LIMIT.reset(token)


def check():
    """Raises ``TimeLimitExceeded`` if the current time limit has passed."""
    limit = _LIMIT.get()
    if limit is not None and time.monotonic() > limit[1]:
        raise TimeLimitExceeded(f"stopped after the time limit of {limit[0]:g} s")
