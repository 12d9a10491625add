"""HTTP side of the daemon's port: the browser preview page and its static files.

The daemon's websockets server calls :func:`process_request` for every HTTP request on its port.
WebSocket upgrades go through to the protocol (``ws://HOST:PORT/``); a plain ``GET`` is answered
from ``static/`` inside the package (``/`` is ``index.html``), so the preview page lives at
``http://HOST:PORT/`` and connects back to the same host and port. Nothing is fetched from the
internet: the page's only third-party code (``@msgpack/msgpack``) is vendored under
``static/vendor/``.

Only ``GET`` and ``HEAD`` are answered (405 otherwise). Every request's ``Host`` and every
WebSocket handshake's ``Origin`` pass :class:`faceplex.bridge.server.gate.Gate` first (403 otherwise),
and every response carries a Content-Security-Policy that lets the page load only its own files
and talk only to its own daemon (no inline script, no framing by other sites).
"""

from __future__ import annotations

import posixpath
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import unquote, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Response

#: The page and its assets (package data ``faceplex.bridge.server``: ``static/*``, ``static/**/*``).
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


def content_security_policy(host: Optional[str]) -> str:
    """CSP of the preview page: its own scripts, styles and worklets, WebSocket to its own
    daemon only, no plugins, no framing, no forms posting elsewhere (CSP Level 3)."""
    ws = f" ws://{host}" if host else ""
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'{ws}; media-src 'self' blob:; worker-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def plain_response(status: HTTPStatus, text: str, extra: tuple = ()) -> Response:
    """A short text/plain answer that closes the connection (refusals)."""
    body = f"FacePlex: {text}\n".encode()
    # The same protective headers as the page (PROTOCOL.md §12: every response carries them).
    headers = Headers([("Content-Type", CONTENT_TYPES[".txt"]), ("Content-Length", str(len(body))),
                       ("Connection", "close"), ("X-Content-Type-Options", "nosniff"),
                       ("Content-Security-Policy", content_security_policy(None)),
                       ("Referrer-Policy", "no-referrer"), *extra])
    return Response(status.value, status.phrase, headers, body)


def static_response(path: str, host: Optional[str] = None, head: bool = False) -> Response:
    """The HTTP response for a plain GET (``head``: HEAD) of ``path``."""
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
        ("Content-Security-Policy", content_security_policy(host)),
        ("Referrer-Policy", "no-referrer"),  # the page URL carries the token in its fragment
    ])
    return Response(status.value, status.phrase, headers, b"" if head else body)


def request_processor(gate, admit: Optional[Callable[[], Optional[str]]] = None):
    """The websockets ``process_request`` hook for a daemon guarded by ``gate``.

    ``admit()`` (optional) returns a reason to refuse a new WebSocket with 503 (connection caps),
    or None. Returns None to let a WebSocket handshake proceed; else the HTTP response."""
    def process_request(connection, request):
        hosts = request.headers.get_all("Host")
        host = hosts[0] if len(hosts) == 1 else None
        if not gate.host_allowed(host):
            return plain_response(HTTPStatus.FORBIDDEN, "Host not allowed (use 127.0.0.1 or localhost)")
        if request.method not in ("GET", "HEAD"):
            return plain_response(HTTPStatus.METHOD_NOT_ALLOWED, f"{request.method} is not allowed",
                                  (("Allow", "GET, HEAD"),))
        if "websocket" not in request.headers.get("Upgrade", "").lower():
            return static_response(request.path, host, head=request.method == "HEAD")
        origins = request.headers.get_all("Origin")
        if len(origins) > 1 or not gate.origin_allowed(origins[0] if origins else None, host):
            return plain_response(HTTPStatus.FORBIDDEN, "Origin not allowed (see --allow-origin)")
        reason = admit() if admit is not None else None
        if reason is not None:
            return plain_response(HTTPStatus.SERVICE_UNAVAILABLE, reason, (("Retry-After", "1"),))
        return None
    return process_request
