"""Limits that keep the daemon alive whatever one client does (PROTOCOL.md §8).

Every limit here acts on the session (or connection) that exceeds it and on nothing else: a
refused request gets an error with its own code, a flooding client is read more slowly (TCP
back-pressure on its own socket), a client that does not read is closed. No limit sleeps the
event loop or touches another session's work.
"""

from __future__ import annotations

import resource
import time
from typing import Optional

#: Seconds a connection may take from TCP accept to a successful ``hello`` (the WebSocket
#: handshake included); then it is closed (1008 once the WebSocket is open).
HELLO_TIMEOUT_S = 10.0
#: Open sessions (after ``hello``); another handshake gets HTTP 503.
MAX_SESSIONS = 64
#: Connections without a successful ``hello`` yet (TCP accepted, WebSocket handshake, waiting
#: for ``hello``); past it the OLDEST of them is dropped, so idle connections can never lock a
#: real client out (it sends its ``hello`` within milliseconds of connecting).
MAX_PENDING_CONNECTIONS = 64
#: Descriptors kept free for the rest of the daemon (model files, pipes, the listening socket).
FD_RESERVE = 64
#: Characters in one ``say`` (``limits.max_text_chars``), an utterance's unspoken text
#: (``limits.max_pending_chars``) and utterances waiting behind the one speaking (``queue_full``).
MAX_TEXT_CHARS = 2000
MAX_PENDING_CHARS = 20000
MAX_QUEUED_UTTERANCES = 16
#: Client messages per second per session (burst: one second's worth) before the daemon stops
#: reading that socket for a while: a flood slows only its sender (TCP back-pressure).
MAX_MESSAGES_PER_S = 500
#: ``say`` appends per second per session (burst: two seconds' worth); more get ``rate_limited``.
MAX_APPENDS_PER_S = 100
#: Unspoken text of one session, all its open and queued utterances together (characters);
#: more gets ``pending_text_full``.
MAX_SESSION_PENDING_CHARS = 40000
#: Encoded messages waiting for one client's socket (bytes, every message counted); past it the
#: session is closed (1008, "outgoing queue full") and its queue freed. The §6 back-pressure
#: keeps media far below it (max_backlog_ms of media: ~150 KB/s at 48 kHz and 60 fps).
MAX_OUTGOING_BYTES = 4 << 20
#: Close-handshake wait for one connection (s): a client that never answers a close frame is
#: dropped after it.
CLOSE_TIMEOUT_S = 0.5
#: Shutdown deadline (s): SIGTERM / stdin EOF -> cancellations, close frames, pools joined. The
#: process then exits (interpreter finalization adds tens of ms): within 1 s in all.
SHUTDOWN_S = 0.8


class RateBucket:
    """Token bucket: ``rate`` events per second, up to ``burst`` at once.

    ``take()`` spends one token: returns 0.0 if one was there, else the seconds until one will be
    (the caller decides: refuse, or wait). Clock: ``time.monotonic()``.
    """

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = float(rate), float(burst)
        self.tokens = float(burst)
        self._t = time.monotonic()

    def _refill(self) -> None:
        t = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (t - self._t) * self.rate)
        self._t = t

    def take(self) -> float:
        self._refill()
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def spend(self) -> float:
        """Spend one token even if that runs into debt; returns the wait before the balance is
        back to zero (for back-pressure: the sender is read again after it)."""
        self._refill()
        self.tokens -= 1.0
        return max(0.0, -self.tokens / self.rate)


def raise_fd_limit(want: int = 4096) -> int:
    """Raise this process's soft descriptor limit towards ``want`` (never above the hard limit);
    returns the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def connection_caps(fd_limit: Optional[int] = None) -> tuple[int, int]:
    """(max sessions, max pending connections) that fit well below the descriptor limit: each
    connection holds one descriptor; together they use at most half of what is left after
    :data:`FD_RESERVE`."""
    if fd_limit is None:
        fd_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    room = max(8, (fd_limit - FD_RESERVE) // 2)
    sessions = min(MAX_SESSIONS, room // 2)
    return sessions, min(MAX_PENDING_CONNECTIONS, room - sessions)
