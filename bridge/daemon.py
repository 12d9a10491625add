"""The FacePlex daemon: a websockets (asyncio) server, one :class:`Session` per connection.

The asyncio layer only moves bytes: decoding, validation and session state live in
``faceplex.protocol.connection`` (sans-I/O) and :mod:`faceplex.bridge.session`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
from importlib import metadata
from typing import Callable, Optional

from websockets.asyncio.server import ServerConnection as WsConnection
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from faceplex.models.speech.language import warm_up as language_warm_up
from faceplex.models.speech.piper_voice import Voice
from faceplex.protocol import messages as m
from faceplex.protocol.codec import unpack_map
from faceplex.protocol.connection import ServerConnection
from faceplex.protocol.errors import ErrorCode, ProtocolError

from .analysis import close as analysis_close
from .vad_pool import close as vad_close
from .gate import Gate, is_loopback, new_token, token_from_env
from .lipsync import warm_up as lipsync_warm_up
from .motion import animator_factory, close_motion
from .session import Session
from .synthesis import SynthesisScheduler

log = logging.getLogger("faceplex.daemon")

#: Hard WebSocket message limit: larger messages close the connection (1009). Messages between
#: the protocol limit (64 KiB) and this get an error and the session stays open.
WS_MAX_SIZE = 1 << 20
#: Kernel send buffer per connection: keeps a stalled client's unread media small, so the
#: daemon notices it (PROTOCOL.md §6) instead of the kernel hiding megabytes.
SO_SNDBUF_BYTES = 64 * 1024


def server_name() -> str:
    try:
        return f"faceplex/{metadata.version('faceplex')}"
    except metadata.PackageNotFoundError:
        return "faceplex/dev"


class Daemon:
    """Serves protocol v1 on ``host:port`` (port 0 picks a free port).

    Args:
        voices: name -> :class:`Voice`; defaults to the embedded en_US-joe-medium.
        frame_sink_factory: optional ``session -> callable(frame, values)`` for extra outputs
            (e.g. Live Link Face UDP).
        token: the launch secret every ``hello`` must carry (PROTOCOL.md §12); ``None``: the
            ``FACEPLEX_TOKEN`` environment variable, else a fresh random one; ``""``: no token
            (loopback only).
        allow_origins: browser origins allowed besides the daemon's own preview page.

    Raises:
        ValueError: serving beyond loopback without a token.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, voices: Optional[dict[str, Voice]] = None,
                 synth_workers: int = 2, frame_sink_factory: Optional[Callable] = None, motion: str = "rules",
                 token: Optional[str] = None, allow_origins: tuple[str, ...] = ()):
        self.host, self.port = host, port
        if token is None:
            token = token_from_env() or new_token()
        self.token: Optional[str] = token or None
        self.gate = Gate(host, self.token, allow_origins)
        self.gate.require()
        if voices is None:
            voice = Voice.default()
            voices = {voice.name: voice}
        self.voices = voices
        self.scheduler = SynthesisScheduler(workers=synth_workers)
        self.frame_sink_factory = frame_sink_factory
        self.animator_cls = animator_factory(motion)
        self.sessions: set[Session] = set()
        self._server = None

    def warm_up(self) -> None:
        """Run each voice once so the first ``say`` does not pay onnxruntime's first-run cost."""
        lipsync_warm_up()   # the analysis worker process starts and loads its decoders meanwhile
        language_warm_up(wait=False)  # the language identifier's model loads beside the voices
        for voice in self.voices.values():
            list(voice.synthesize("Ready."))
            list(voice.synthesize("Ready.", wide=True))
        lipsync_warm_up(wait=True)  # PocketSphinx's decoders (lip sync of external audio)
        language_warm_up()  # ... and is loaded before the ready line (say.text that is not English warns)

    async def start(self) -> int:
        """Start listening; returns the bound port."""
        from .web import request_processor  # the browser preview page, same port (plain HTTP GET)

        self._server = await serve(self._handler, self.host, self.port, max_size=WS_MAX_SIZE,
                                   compression=None, ping_interval=20, ping_timeout=60,
                                   process_request=request_processor(self.gate))
        self.port = self._server.sockets[0].getsockname()[1]
        self.gate.port = self.port
        return self.port

    def ready_line(self) -> dict:
        """The first stdout line (PROTOCOL.md §1, §12): the only place the token is printed."""
        shown = "127.0.0.1" if self.gate.wildcard else self.host
        shown = f"[{shown}]" if ":" in shown else shown
        page = f"http://{shown}:{self.port}/"
        return {"event": "ready", "port": self.port, "pid": os.getpid(), "host": self.host,
                "protocol": m.PROTOCOL_VERSION, "url": f"ws://{shown}:{self.port}/",
                "page": page + (f"#token={self.token}" if self.token else ""),
                "token": self.token, "server": server_name()}

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self.scheduler.shutdown()
        analysis_close(1.0)   # the PocketSphinx worker process (contract 5)
        vad_close(1.0)        # the speech-detection threads
        close_motion(2.0)     # the RFM motion pool's worker (contract 5)

    async def _handler(self, ws: WsConnection) -> None:
        sock = ws.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SO_SNDBUF_BYTES)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = ServerConnection()
        session: Optional[Session] = None
        try:
            async for data in ws:
                if session is None and not self._authorized(data):
                    conn.send_error(ErrorCode.UNAUTHORIZED, "hello.token is missing or wrong: send the token "
                                    "from the daemon's ready line (PROTOCOL.md §12)", _id_of(data))
                    for out in conn.data_to_send():
                        await ws.send(out)
                    await ws.close(1008, "unauthorized")
                    break
                msg = conn.receive(data)
                if isinstance(msg, m.Hello):
                    session = Session(conn, ws.send, self.voices, self.scheduler,
                                      sample_rate=msg.audio.sample_rate, fps=msg.face.fps,
                                      animator_cls=self.animator_cls)
                    if self.frame_sink_factory is not None:
                        session.frame_sink = self.frame_sink_factory(session)
                    session.open(msg, server_name())
                    self.sessions.add(session)
                    log.info("session %s open: %d Hz, %d fps", session.id, session.sample_rate, session.fps)
                elif msg is not None:
                    session.handle(msg)
                if session is not None:
                    session._flush(None)
                    # a burst of buffered messages (e.g. a recorded line sent as lipsync at once)
                    # is otherwise handled without returning to the loop: other sessions wait
                    await asyncio.sleep(0)
                else:
                    for out in conn.data_to_send():
                        await ws.send(out)
        except ConnectionClosed:
            pass
        finally:
            if session is not None:
                self.sessions.discard(session)
                await session.close()
                log.info("session %s closed", session.id)

    def _authorized(self, data) -> bool:
        """Before the session opens: a ``hello`` must carry the token (other messages before
        ``hello`` only get ``hello_required``). The token itself is never logged."""
        try:
            obj = unpack_map(data)
        except ProtocolError:
            return True  # not a hello: the connection answers it with an error
        return obj["type"] != "hello" or self.gate.token_ok(obj.get("token"))


def _id_of(data) -> Optional[str]:
    try:
        value = unpack_map(data).get("id")
    except ProtocolError:
        return None
    return value if isinstance(value, str) else None


async def run_daemon(host: str, port: int, exit_on_stdin_eof: bool = False,
                     frame_sink_factory: Optional[Callable] = None, motion: str = "rules",
                     no_token: bool = False, allow_origins: tuple[str, ...] = ()) -> None:
    """Load the voice, listen, print the ready line, serve until SIGINT/SIGTERM (or stdin EOF).

    Raises ValueError for ``no_token`` beyond loopback."""
    token = "" if no_token else (token_from_env() or new_token())
    os.environ.pop("FACEPLEX_TOKEN", None)  # read once; children (worker processes) never see it
    daemon = Daemon(host, port, frame_sink_factory=frame_sink_factory, motion=motion, token=token,
                    allow_origins=allow_origins)
    if not is_loopback(host):
        log.warning("serving beyond loopback on %s: every client must send the ready line's token "
                    "(anyone on the network can reach this port)", host)
    daemon.warm_up()
    await daemon.start()
    print(json.dumps({**daemon.ready_line(), "motion": motion}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    if exit_on_stdin_eof:
        # An engine that launched the daemon holds its stdin; when the game exits (or crashes)
        # the pipe closes and the daemon goes with it.
        async def watch_stdin() -> None:
            await loop.run_in_executor(None, sys.stdin.buffer.read)
            stop.set()
        loop.create_task(watch_stdin())
    await stop.wait()
    await daemon.stop()
