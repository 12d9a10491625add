"""HTTP side of the daemon's port: the browser preview page and its static files.

The daemon's websockets server calls :func:`process_request` for every HTTP request on its port.
WebSocket upgrades go through to the protocol (``ws://HOST:PORT/``); a plain ``GET`` is answered
from ``static/`` inside the package (``/`` is ``index.html``), so the preview page lives at
``http://HOST:PORT/`` and connects back to the same host and port. Nothing is fetched from the
internet: the page's only third-party code (``@msgpack/msgpack``) is vendored under
``static/vendor/``.
"""

from __future__ import annotations

import posixpath
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Response

#: The page and its assets (package data ``faceplex.bridge``: ``static/*``, ``static/**/*``).
STATIC_DIR = Path(__file__).resolve().parent / "static"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE
}


def resolve(path: str) -> Optional[Path]:
    """Map a request path to a file under :data:`STATIC_DIR`, or None (missing, or outside it)."""
    rel = unquote(urlsplit(path).path)
    if "\x00" in rel or "\\" in rel:
        return None
    rel = posixpath.normpath("/" + rel.lstrip("/"))
    if rel == "/":
        rel = "/index.html"
    parts = [p for p in rel.split("/") if p]
    if any(p.startswith(".") for p in parts):
        return None
    target = STATIC_DIR.joinpath(*parts).resolve()
    try:
        target.relative_to(STATIC_DIR)
    except ValueError:
        return None
    return target if target.is_file() else None


@lru_cache(maxsize=64)
def _read(path: Path, mtime_ns: int) -> bytes:
    return path.read_bytes()


def static_response(path: str) -> Response:
    """The HTTP response for a plain GET of ``path``."""
    target = resolve(path)
    if target is None:
        body = b"FacePlex: not found (the preview page is at /; the protocol is a WebSocket on /)\n"
        status = HTTPStatus.NOT_FOUND
        ctype = CONTENT_TYPES[".txt"]
    else:
        body = _read(target, target.stat().st_mtime_ns)
        status = HTTPStatus.OK
        ctype = CONTENT_TYPES.get(target.suffix.lower(), "application/octet-stream")
    headers = Headers([
        ("Content-Type", ctype),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-cache"),
        ("X-Content-Type-Options", "nosniff"),
    ])
    return Response(status.value, status.phrase, headers, body)


def process_request(connection, request):
    """websockets ``process_request`` hook: None lets a WebSocket handshake proceed; any other
    request is a plain GET of the preview page or one of its files."""
    if "websocket" in request.headers.get("Upgrade", "").lower():
        return None
    return static_response(request.path)
