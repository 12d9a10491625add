"""Connection caps (PROTOCOL.md §8, §12): every TCP connection is counted from accept.

A connection is *pending* from TCP accept until its ``hello`` succeeds, then a *session*. Caps:

- sessions: at :attr:`Admission.max_sessions`, a new WebSocket handshake is refused with HTTP 503
  (``Retry-After: 1``) before any work is done for it;
- pending: past :attr:`Admission.max_pending`, the **oldest** pending connection is dropped (a
  WebSocket gets close 1013 "too many connections without hello", a bare TCP connection is
  reset). A real client sends its ``hello`` milliseconds after connecting, so it is never the
  oldest; idle connections only push each other out, and the descriptor count stays bounded
  (no more ``accept() out of system resource``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Optional

from websockets.asyncio.server import ServerConnection
from websockets.protocol import State

log = logging.getLogger("faceplex.daemon")

#: Seconds a close frame may take to go out before the connection is dropped.
CLOSE_SEND_TIMEOUT_S = 0.5


async def close_or_drop(ws: ServerConnection, code: int, reason: str, timeout_s: float = CLOSE_SEND_TIMEOUT_S) -> None:
    """Close with ``code``/``reason``; drop the TCP connection if that takes over ``timeout_s``.

    websockets' ``close()`` waits for the send buffer to drain with no time limit, so for a
    client that never reads it would never return; here it is bounded."""
    try:
        await asyncio.wait_for(ws.close(code, reason), timeout_s)
    except (asyncio.TimeoutError, OSError):
        pass
    finally:
        ws.transport.abort()


class Admission:
    """Pending connections (in accept order) and open sessions of one daemon."""

    def __init__(self, max_sessions: int, max_pending: int):
        self.max_sessions, self.max_pending = max_sessions, max_pending
        self.pending: dict[ServerConnection, None] = {}  # insertion order = accept order
        self.sessions: set[ServerConnection] = set()
        self.dropped = 0
        self._tasks: set[asyncio.Task] = set()

    def connection_class(self) -> type[ServerConnection]:
        """A websockets connection class that reports accept and loss here (``serve(create_connection=...)``)."""
        admission = self

        class CountedConnection(ServerConnection):
            def connection_made(self, transport) -> None:
                super().connection_made(transport)
                admission.connected(self)

            def connection_lost(self, exc) -> None:
                super().connection_lost(exc)
                admission.lost(self)

        return CountedConnection

    def connected(self, conn: ServerConnection) -> None:
        self.pending[conn] = None
        while len(self.pending) > self.max_pending:
            oldest = next(iter(self.pending))
            self.pending.pop(oldest)
            self.dropped += 1
            self._drop(oldest)
        if self.dropped and self.dropped % 1000 == 1:  # one line per thousand, not one each
            log.warning("dropped %d connections that sent no hello (cap %d)", self.dropped, self.max_pending)

    def _drop(self, conn: ServerConnection) -> None:
        if conn.protocol.state is State.OPEN:
            task = asyncio.get_running_loop().create_task(close_or_drop(conn, 1013, "too many connections without hello"))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            conn.transport.abort()

    def refuse_reason(self) -> Optional[str]:
        """Why a new WebSocket handshake must be refused now (HTTP 503), or None."""
        if len(self.sessions) >= self.max_sessions:
            return f"too many sessions (limit {self.max_sessions}); retry later"
        return None

    def opened(self, conn: ServerConnection) -> bool:
        """A ``hello`` succeeded: the connection becomes a session (False: no room, refuse)."""
        if conn not in self.pending or len(self.sessions) >= self.max_sessions:
            return False
        self.pending.pop(conn)
        self.sessions.add(conn)
        return True

    def lost(self, conn: ServerConnection) -> None:
        self.pending.pop(conn, None)
        self.sessions.discard(conn)

    def all(self) -> list[ServerConnection]:
        return [*self.pending, *self.sessions]
