"""An ASGI middleware that refuses request bodies over a size limit with 413,
and bodies that do not arrive in time with 408.

BentoML sets no limit of its own. A declared ``Content-Length`` over the limit
is refused before reading; a chunked body is read up to the limit and no
further. A body still incomplete ``timeout`` seconds after the request began
(shorter than its ``Content-Length``, or sent a byte at a time) is refused
with 408. The accepted body is then handed on unchanged.
"""

import json

import anyio


class BodySizeLimit:
    """``app`` with request bodies limited to ``max_bytes``."""

    def __init__(self, app, max_bytes, timeout=10.0):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(send, declared.decode("latin-1"))
        body, more = b"", True
        with anyio.move_on_after(self.timeout) as late:
            while more:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > self.max_bytes:
                    return await self._refuse(send, f"more than {len(body)}")
        if late.cancelled_caught:
            return await _answer(send, 408, {
                "error": f"the request body did not arrive within {self.timeout:g} s ({len(body)} bytes came; "
                         "ZOO_SERVE_BODY_TIMEOUT)", "field": "body", "limit": self.timeout})

        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)

    async def _refuse(self, send, size):
        await _answer(send, 413, {
            "error": f"request body of {size} bytes is over the limit of {self.max_bytes} bytes "
                     "(ZOO_SERVE_MAX_BODY_BYTES)",
            "field": "body", "limit": self.max_bytes})


async def _answer(send, status, body):
    """A JSON answer that closes the connection (the rest of the body is never read)."""
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
