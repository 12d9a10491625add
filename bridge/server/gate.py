"""Who may connect to the daemon (PROTOCOL.md §12): the launch token, ``Host`` and ``Origin``.

Three independent checks, because each stops a different intruder:

- ``Origin`` (every WebSocket handshake): a browser always sends it, so a web page from another
  site is refused before it can speak a single message. Requests without ``Origin`` (native
  clients: the engine plugins, Python) pass; the token stops those.
- ``Host`` (every HTTP request, page and WebSocket alike): DNS rebinding points an attacker's
  name at 127.0.0.1, after which the attacker's page is "same origin" with the daemon. Its
  requests still carry the attacker's name in ``Host``, so only loopback names, IP literals the
  daemon is bound to and any IP literal on a wildcard bind are accepted (a rebinding needs a
  name; an IP literal cannot be rebound).
- The token (``hello.token``): a per-launch secret only the launching engine reads (from the
  ready line on its stdout pipe), so another local program or user cannot drive the character.
  Compared in constant time (``secrets.compare_digest``).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from typing import Iterable, Optional
from urllib.parse import urlsplit

#: Environment variable that fixes the token instead of a generated one (PROTOCOL.md §12).
TOKEN_ENV = "FACEPLEX_TOKEN"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})


def new_token() -> str:
    """A fresh per-launch secret: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def token_from_env() -> Optional[str]:
    """``FACEPLEX_TOKEN`` if set and non-empty, else None."""
    value = os.environ.get(TOKEN_ENV, "")
    return value or None


def is_loopback(host: str) -> bool:
    """True for loopback names and addresses (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, Optional[int]]:
    """``Host`` header value -> (lower-case name without brackets, port or None).

    Raises ValueError for a malformed value."""
    parts = urlsplit("//" + value.strip())
    name = (parts.hostname or "").lower()
    if not name:
        raise ValueError(f"no host name in {value!r}")
    return name, parts.port


class Gate:
    """The three checks for one daemon.

    Args:
        host: the bind address (``127.0.0.1``, ``::1``, ``0.0.0.0``, a specific address...).
        token: the launch secret; None disables the check (loopback only: see :meth:`require`).
        allow_origins: extra browser origins allowed to open a WebSocket
            (``scheme://host[:port]``, e.g. a game's own web UI), besides the daemon's own page.
    """

    def __init__(self, host: str, token: Optional[str], allow_origins: Iterable[str] = ()):
        self.host = host
        self.token = token
        self.allow_origins = {o.rstrip("/").lower() for o in allow_origins}
        self.port: Optional[int] = None

    @property
    def wildcard(self) -> bool:
        return self.host in WILDCARD_HOSTS

    def require(self) -> None:
        """Raise ValueError when the daemon would serve beyond loopback without a token."""
        if self.token is None and not is_loopback(self.host):
            raise ValueError(f"--host {self.host} serves beyond loopback: a token is required "
                             f"(drop --no-token; clients send the ready line's token as hello.token)")

    def host_allowed(self, value: Optional[str]) -> bool:
        """The request's ``Host`` header names this daemon (not a rebound foreign name)."""
        if not value:
            return False
        try:
            name, port = split_host(value)
        except ValueError:
            return False
        if self.port is not None and (port or 80) != self.port:
            return False
        if is_loopback(name):
            return True
        try:
            addr = ipaddress.ip_address(name)
        except ValueError:
            return False  # a DNS name that is not localhost: possibly rebound
        if self.wildcard:
            return True
        try:
            return addr == ipaddress.ip_address(self.host.strip("[]"))
        except ValueError:
            return False

    def origin_allowed(self, origin: Optional[str], host: Optional[str]) -> bool:
        """A WebSocket handshake's ``Origin``: absent (native client), the daemon's own preview
        page (the origin is ``http://`` + an allowed ``Host`` of this request), or allow-listed."""
        if origin is None:
            return True
        origin = origin.strip().rstrip("/").lower()
        if origin in self.allow_origins:
            return True
        if not host or not self.host_allowed(host):
            return False
        return origin == f"http://{host.strip().lower()}"

    def token_ok(self, token: Optional[str]) -> bool:
        """``hello.token`` matches (constant-time); always true when no token is set."""
        if self.token is None:
            return True
        if not isinstance(token, str):
            return False
        return secrets.compare_digest(token.encode("utf-8", "surrogatepass"), self.token.encode())
