"""An optional API key: an ASGI middleware that answers 401 to a request of a
model route without ``Authorization: Bearer <key>``.

Off unless a key is given (``zoo serve --api-key-file PATH`` or the variable
``ZOO_SERVE_API_KEY``). Health, readiness, metrics, the OpenAPI document and
the web page stay open; the page's own calls then need the key too.
"""

import hmac
import json
import os

VARIABLE = "ZOO_SERVE_API_KEY"


def configured(environ=os.environ):
    """The key, or ``None`` when the service is open."""
    return environ.get(VARIABLE, "").strip() or None


def read_key_file(path):
    """The key held in the file ``path`` (its first line); a missing or empty
    file is a ``ValueError`` naming it."""
    try:
        with open(path, encoding="utf-8") as f:
            key = f.readline().strip()
    except OSError as error:
        raise ValueError(f"--api-key-file {path}: {error.strerror or error}") from None
    if not key:
        raise ValueError(f"--api-key-file {path}: the file's first line is empty; put the key there")
    return key


class ApiKey:
    """``app`` whose ``protected`` routes need ``Authorization: Bearer key``."""

    def __init__(self, app, key, protected):
        self.app = app
        self.expected = f"Bearer {key}".encode()
        self.protected = set(protected)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] in self.protected:
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                payload = json.dumps({"error": "this server needs an API key: send the header "
                                               "`Authorization: Bearer KEY`", "field": "authorization",
                                      "limit": "Bearer KEY"}).encode()
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(payload)).encode()),
                                        (b"www-authenticate", b"Bearer")]})
                return await send({"type": "http.response.body", "body": payload})
        return await self.app(scope, receive, send)
