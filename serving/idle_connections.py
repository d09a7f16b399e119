"""Connections that do not send a whole request head in time are closed: with
408 if part of one came, silently if nothing did (an idle connection).

uvicorn's keep-alive clock starts only after a response and stops at the first
byte of the next request: a connection that never sent a byte, or stopped in
the middle of its headers, stayed open until the server stopped. ``install(seconds)``
arms a clock when a connection opens and after each response (beside uvicorn's
keep-alive one, which may close an idle connection first); the clock stops
when a request's head has arrived. It patches uvicorn's h11 protocol, the one
BentoML's workers run.
"""

import json

from uvicorn.protocols.http import h11_impl

_BODY = json.dumps({"error": "no complete request arrived in time (ZOO_SERVE_BODY_TIMEOUT)",
                    "field": "headers", "limit": None}).encode()
_ANSWER = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
           b"content-length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY)


def install(seconds):
    """Patches uvicorn's ``H11Protocol`` in this process (once)."""
    protocol = h11_impl.H11Protocol
    if getattr(protocol, "head_clock", None) is not None:
        return
    opened, handled, completed, lost = (protocol.connection_made, protocol.handle_events,
                                        protocol.on_response_complete, protocol.connection_lost)

    def arm(self):
        disarm(self)
        self.head_clock = self.loop.call_later(seconds, expire, self)

    def disarm(self):
        if self.head_clock is not None:
            self.head_clock.cancel()
            self.head_clock = None

    def expire(self):
        self.head_clock = None
        waiting = self.cycle is None or self.cycle.response_complete  # no request being answered
        if waiting and not self.transport.is_closing():
            if self.conn.trailing_data[0]:  # part of a request head came
                self.transport.write(_ANSWER)
            self.transport.close()

    def connection_made(self, transport):
        opened(self, transport)
        arm(self)

    def handle_events(self):
        before = self.cycle
        handled(self)
        if self.cycle is not before:  # a request's head arrived
            disarm(self)

    def on_response_complete(self):
        completed(self)
        if not self.transport.is_closing():
            arm(self)

    def connection_lost(self, exc):
        disarm(self)
        lost(self, exc)

    protocol.head_clock = None
    protocol.connection_made, protocol.handle_events = connection_made, handle_events
    protocol.on_response_complete, protocol.connection_lost = on_response_complete, connection_lost
