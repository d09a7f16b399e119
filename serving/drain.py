"""Graceful shutdown: on SIGTERM or Ctrl-C, 503 to newcomers while the
requests in flight finish, then stop.

uvicorn (under BentoML) stops listening as soon as it is signalled; the port
stays open in BentoML's main process, so a new connection then waited with no
answer until the whole server had exited. Here the first SIGTERM or SIGINT
instead turns every new request, ``/readyz`` included (a load balancer stops
sending), into a 503 with ``Retry-After`` and ``Connection: close``; once no
request is in flight, or ``seconds`` have passed, uvicorn's own shutdown runs:
it closes the listening socket and the idle keep-alive connections, and past
the drain window it stops waiting. A second signal stops at once.
"""

import asyncio
import json
import signal
import time

import uvicorn


class _State:
    draining = False
    in_flight = 0


STATE = _State()


class Drain:
    """``app`` that answers 503 once the server is shutting down, and counts the requests in flight."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if STATE.draining:
            payload = json.dumps({"error": "the server is shutting down", "field": None,
                                  "limit": None}).encode()
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                (b"retry-after", b"5"), (b"connection", b"close")]})
            return await send({"type": "http.response.body", "body": payload})
        STATE.in_flight += 1
        try:
            return await self.app(scope, receive, send)
        finally:
            STATE.in_flight -= 1


def install(seconds):
    """Makes uvicorn's servers in this process drain first on a signal (once)."""
    stop = uvicorn.Server.handle_exit
    if getattr(stop, "drains", False):
        return

    def handle_exit(server, sig, frame):
        try:
            loop = asyncio.get_running_loop()  # a signal handler runs on the loop's (main) thread
        except RuntimeError:
            loop = None
        if STATE.draining or loop is None or sig not in (signal.SIGTERM, signal.SIGINT):
            return stop(server, sig, frame)  # a second signal: now
        STATE.draining = True
        deadline = time.monotonic() + seconds

        def when_done():
            if STATE.in_flight and time.monotonic() < deadline:
                loop.call_later(0.05, when_done)
                return
            stop(server, sig, frame)
            if STATE.in_flight:  # the drain window is over: uvicorn waits no longer either
                server.force_exit = True

        loop.call_soon_threadsafe(when_done)

    handle_exit.drains = True
    uvicorn.Server.handle_exit = handle_exit
