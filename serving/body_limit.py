"""An ASGI middleware that refuses request bodies over a size limit with 413.

BentoML sets no limit of its own. A declared ``Content-Length`` over the limit
is refused before reading; a chunked body is read up to the limit and no
further. The accepted body is then handed on unchanged.
"""

import json


class BodySizeLimit:
    """``app`` with request bodies limited to ``max_bytes``."""

    def __init__(self, app, max_bytes):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(send, declared.decode("latin-1"))
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await self._refuse(send, f"more than {len(body)}")

        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)

    async def _refuse(self, send, size):
        payload = json.dumps({
            "error": f"request body of {size} bytes is over the limit of {self.max_bytes} bytes "
                     "(ZOO_SERVE_MAX_BODY_BYTES)",
            "field": "body", "limit": self.max_bytes,
        }).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})
