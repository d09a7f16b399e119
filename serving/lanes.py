"""Each route's model work in a lane of its own, so that cheap requests never
wait behind expensive ones of another route.

A lane runs at most ``concurrency`` model calls at once, in worker threads,
and lets at most ``queue`` more requests wait for a turn. A request that finds
the queue full is refused at once, and one that waits longer than ``timeout``
seconds is refused then: both with 503 and ``Retry-After`` (``Busy``), instead
of queueing without bound. A request has a deadline from its arrival, waiting
included: ``deadline`` seconds for a request of the largest cost the limits
allow, and its share of that for a cheaper one (at least ``MIN_SHARE``): its
work runs within that time limit (``zoo.time_limit``: the model's loop stops
at its next step) and past it the request fails with ``Late`` (504). ``/models``, health and metrics run on the event loop and wait
for no lane.

>>> import anyio
>>> lane = Lane("/generate", concurrency=1, queue=2, timeout=5.0, deadline=30.0)
>>> anyio.run(lane.run, sum, [1, 2, 3])
6
"""

import math
import time

import anyio

from zoo import time_limit

#: The shortest deadline, as a share of the deadline of the costliest request.
MIN_SHARE = 0.1


class Busy(Exception):
    """A request the lane cannot take now; ``retry_after`` in seconds."""

    def __init__(self, message, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


class Late(Exception):
    """A request whose deadline (``seconds``) passed before its work was done."""

    def __init__(self, message, seconds):
        super().__init__(message)
        self.seconds = seconds


class Lane:
    def __init__(self, route, concurrency, queue, timeout, deadline):
        self.route, self.queue, self.timeout, self.deadline = route, queue, timeout, deadline
        self.slots = anyio.CapacityLimiter(concurrency)
        self.waiting = 0

    async def run(self, function, *args, share=1.0):
        """``function(*args)`` in a worker thread once the lane has a free slot;
        ``share``: the request's cost over the largest the limits allow."""
        arrived = time.monotonic()
        deadline = self.deadline * min(1.0, max(share, MIN_SHARE))
        wait = min(self.timeout, deadline)
        if self.slots.available_tokens == 0 and self.waiting >= self.queue:
            raise Busy(f"{self.route} is busy: {self.queue} requests are waiting already "
                       "(ZOO_SERVE_QUEUE); try again shortly", self._retry_after())
        self.waiting += 1
        try:
            with anyio.move_on_after(wait) as waited:
                await self.slots.acquire()
        finally:
            self.waiting -= 1
        if waited.cancelled_caught:
            raise Busy(f"{self.route} is busy: no turn within {wait:g} s "
                       "(ZOO_SERVE_QUEUE_TIMEOUT, or the request's deadline); try again shortly",
                       self._retry_after())
        try:
            left = deadline - (time.monotonic() - arrived)
            return await anyio.to_thread.run_sync(_limited, left, function, *args)
        except time_limit.TimeLimitExceeded:
            raise Late(f"{self.route}: not done within its deadline of {deadline:.3g} s (ZOO_SERVE_DEADLINE "
                       "for the costliest request, a share of it for a cheaper one); ask for less work, or "
                       "try again later", deadline) from None
        finally:
            self.slots.release()

    def _retry_after(self):
        """Seconds worth waiting: about one turn per request ahead, at least 1."""
        return max(1, math.ceil(self.timeout * self.waiting / max(self.queue, 1)))


def _limited(seconds, function, *args):
    with time_limit.within(seconds):
        return function(*args)
