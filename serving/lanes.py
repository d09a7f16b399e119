"""Each route's model work in a lane of its own, so that cheap requests never
wait behind expensive ones of another route.

A lane runs at most ``concurrency`` model calls at once, in worker threads,
and lets at most ``queue`` more requests wait for a turn. A request that finds
the queue full is refused at once, and one that waits longer than ``timeout``
seconds is refused then: both with 503 and ``Retry-After`` (``Busy``), instead
of queueing without bound. ``/models``, health and metrics run on the event
loop and wait for no lane.

>>> import anyio
>>> lane = Lane("/generate", concurrency=1, queue=2, timeout=5.0)
>>> anyio.run(lane.run, sum, [1, 2, 3])
6
"""

import math

import anyio


class Busy(Exception):
    """A request the lane cannot take now; ``retry_after`` in seconds."""

    def __init__(self, message, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


class Lane:
    def __init__(self, route, concurrency, queue, timeout):
        self.route, self.queue, self.timeout = route, queue, timeout
        self.slots = anyio.CapacityLimiter(concurrency)
        self.waiting = 0

    async def run(self, function, *args):
        """``function(*args)`` in a worker thread once the lane has a free slot."""
        if self.slots.available_tokens == 0 and self.waiting >= self.queue:
            raise Busy(f"{self.route} is busy: {self.queue} requests are waiting already "
                       "(ZOO_SERVE_QUEUE); try again shortly", self._retry_after())
        self.waiting += 1
        try:
            with anyio.move_on_after(self.timeout) as waited:
                await self.slots.acquire()
        finally:
            self.waiting -= 1
        if waited.cancelled_caught:
            raise Busy(f"{self.route} is busy: no turn within {self.timeout:g} s "
                       "(ZOO_SERVE_QUEUE_TIMEOUT); try again shortly", self._retry_after())
        try:
            return await anyio.to_thread.run_sync(function, *args)
        finally:
            self.slots.release()

    def _retry_after(self):
        """Seconds worth waiting: about one turn per request ahead, at least 1."""
        return max(1, math.ceil(self.timeout * self.waiting / max(self.queue, 1)))
