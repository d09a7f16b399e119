"""An ASGI middleware that holds the JSON routes to the HTTP they declare.

- A ``POST`` with a body to a JSON route must say ``Content-Type: application/json``
  (a ``charset`` parameter, if any, ``utf-8``): anything else, multipart form
  data included, is answered 415 before a parser sees the body.
- A request with both ``Content-Length`` and ``Transfer-Encoding`` is
  ambiguous (request smuggling's way in) and answered 400.
- More than ``MAX_HEADERS`` headers, or more than ``MAX_HEADER_BYTES`` of them,
  is answered 431 (the HTTP parser under BentoML takes any number).

Every refusal is a JSON body ``{"error": ..., "field": ..., "limit": ...}`` as
the service's other refusals.
"""

import json

ALLOWED = "application/json"
MAX_HEADERS = 100
MAX_HEADER_BYTES = 16384


def _media_type(value):
    """``("application/json", {"charset": "utf-8"})`` of a Content-Type header value."""
    kind, *params = value.split(";")
    pairs = (p.split("=", 1) for p in params if "=" in p)
    return kind.strip().lower(), {k.strip().lower(): v.strip().strip('"').lower() for k, v in pairs}


class StrictHttp:
    """``app`` whose POST routes in ``json_routes`` take JSON bodies only."""

    def __init__(self, app, json_routes):
        self.app = app
        self.json_routes = set(json_routes)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        size = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if len(scope["headers"]) > MAX_HEADERS or size > MAX_HEADER_BYTES:
            return await _refuse(send, 431, f"{len(scope['headers'])} headers of {size} bytes: over the limit of "
                                            f"{MAX_HEADERS} headers and {MAX_HEADER_BYTES} bytes", "headers",
                                 MAX_HEADER_BYTES)
        headers = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.lower(), value.decode("latin-1"))
        if b"content-length" in headers and b"transfer-encoding" in headers:
            return await _refuse(send, 400, "a request may not give both Content-Length and "
                                            "Transfer-Encoding", "headers", "one of them")
        has_body = headers.get(b"content-length", "0") != "0" or b"transfer-encoding" in headers
        if scope["method"] == "POST" and scope["path"] in self.json_routes and has_body:
            kind, params = _media_type(headers.get(b"content-type", ""))
            if kind != ALLOWED or params.get("charset", "utf-8") not in ("utf-8", "utf8"):
                given = headers.get(b"content-type") or "none"
                return await _refuse(send, 415, f"Content-Type {given!r} is not accepted: send JSON as "
                                                f"{ALLOWED} (utf-8)", "content-type", ALLOWED)
        return await self.app(scope, receive, send)


async def _refuse(send, status, error, field, limit):
    payload = json.dumps({"error": error, "field": field, "limit": limit}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
