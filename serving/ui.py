"""The web page at ``/ui`` (``serving/ui/``: plain HTML, JS and CSS, nothing
loaded from the internet), each served model's training curves at
``/curves/ALIAS``, and ``/`` sending a browser to ``/ui/``.
"""

from pathlib import Path

from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse
from starlette.staticfiles import StaticFiles

FOLDER = Path(__file__).parent / "ui"


def page():
    """The ASGI app of the page's files (mounted at ``/ui``)."""
    return StaticFiles(directory=FOLDER, html=True)


class Curves:
    """ASGI app: ``GET /ALIAS`` answers the curves picture of that served model."""

    def __init__(self, pictures):
        self.pictures = dict(pictures)  # {alias: Path of a PNG}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        alias = scope["path"].rstrip("/").rsplit("/", 1)[-1]  # the mount may leave its prefix in path
        picture = self.pictures.get(alias)
        if picture is None or not picture.exists():
            response = PlainTextResponse(f"no curves for {alias!r}", status_code=404)
        else:
            response = FileResponse(picture, media_type="image/png")
        await response(scope, receive, send)


class RootToPage:
    """ASGI middleware: ``GET /`` (BentoML's page, which loads scripts from the
    internet) redirects to the zoo's own page, ``/ui/``."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] in ("GET", "HEAD"):
            await RedirectResponse("/ui/", status_code=307)(scope, receive, send)
            return
        await self.app(scope, receive, send)
