"""A session's outgoing queue and its writer: encoded messages on their way to the socket.

The pacer never awaits the socket: it hands messages here (:meth:`Outgoing.flush`), each tagged
with the timeline sample it reaches, and only the writer task awaits ``send``. A client that stops
reading stops its own writer; the gap between the queued and written samples is its backlog
(PROTOCOL.md §6). Past ``MAX_OUTGOING_BYTES`` unread the queue is dropped at once (§8).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Awaitable, Callable, Optional

from faceplex.protocol.connection import ServerConnection

from faceplex.bridge.session.limits import MAX_OUTGOING_BYTES


class Outgoing:
    """The bounded outgoing queue of one session.

    Args:
        conn: the sans-I/O connection whose encoded messages are moved here.
        send: coroutine that writes one binary message to the socket.
        on_overflow: called with a reason once the queue passed ``MAX_OUTGOING_BYTES`` and was
            dropped (the session stops producing, the daemon closes the socket).
    """

    def __init__(self, conn: ServerConnection, send: Callable[[bytes], Awaitable[None]],
                 on_overflow: Callable[[str], None]):
        self.conn = conn
        self._send = send
        self._on_overflow = on_overflow
        self._out: deque[tuple[bytes, int]] = deque()   # (message, timeline sample it reaches)
        self._out_bytes = 0  # bytes in _out, every message counted (PROTOCOL.md §8)
        self._out_event = asyncio.Event()
        self.queued_sample = 0    # the furthest timeline sample handed to the queue
        self.written_sample = 0   # the furthest timeline sample handed to the socket

    @property
    def pending(self) -> bool:
        """Messages are waiting for the writer."""
        return bool(self._out)

    def backlog(self) -> int:
        """Samples of media queued but not yet written to the socket."""
        return self.queued_sample - self.written_sample

    def flush(self, sample: Optional[int]) -> None:
        """Move the connection's encoded messages to the writer queue, tagged with a position."""
        data = self.conn.data_to_send()
        if not data:
            return
        if sample is not None:
            self.queued_sample = max(self.queued_sample, sample)
        tag = self.queued_sample
        for item in data:
            self._out.append((item, tag))
            self._out_bytes += len(item)
        self._out_event.set()
        if self._out_bytes > MAX_OUTGOING_BYTES:
            self._overflow()

    def _overflow(self) -> None:
        """The client has not read ``MAX_OUTGOING_BYTES`` of messages: drop the queue now (its
        memory is returned at once) and say so."""
        queued = self._out_bytes
        self._out.clear()
        self._out_bytes = 0
        self._on_overflow(f"outgoing queue over {MAX_OUTGOING_BYTES} bytes ({queued} unread): client not reading")

    async def writer(self) -> None:
        """The writer task: hands queued messages to the socket in order until it closes."""
        while True:
            await self._out_event.wait()
            self._out_event.clear()
            while self._out:
                data, sample = self._out.popleft()
                self._out_bytes -= len(data)
                try:
                    await self._send(data)
                except Exception:  # the socket closed (the handler ends the session)
                    return
                self.written_sample = max(self.written_sample, sample)
