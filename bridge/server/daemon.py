"""The FacePlex daemon: a websockets (asyncio) server, one :class:`Session` per connection.

The asyncio layer only moves bytes: decoding, validation and session state live in
``faceplex.protocol.connection`` (sans-I/O) and :mod:`faceplex.bridge.session.session`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from importlib import metadata
from typing import Callable, Optional

from websockets.asyncio.server import ServerConnection as WsConnection
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from faceplex.models.speech.language import warm_up as language_warm_up
from faceplex.models.speech.piper_voice import Voice
from faceplex.protocol import messages as m
from faceplex.protocol.codec import unpack_map
from faceplex.protocol.connection import ServerConnection
from faceplex.protocol.errors import ErrorCode, ProtocolError

from faceplex.bridge.server.admission import Admission, close_or_drop
from faceplex.bridge.server.gate import Gate, is_loopback, new_token, token_from_env
from faceplex.bridge.session.limits import (CLOSE_TIMEOUT_S, HELLO_TIMEOUT_S, MAX_MESSAGES_PER_S, SHUTDOWN_S, RateBucket, connection_caps,
                     raise_fd_limit)
from faceplex.bridge.listening.lipsync import warm_up as lipsync_warm_up
from faceplex.bridge.listening.transcription import installed as transcription_installed
from faceplex.bridge.listening.transcription import warm_up as transcription_warm_up
from faceplex.models.asr.models import transcription_feature
from faceplex.models.audio.vad import vad_status
from faceplex.bridge.session.motion import animator_factory, close_motion
from faceplex.bridge.session.session import Session
from faceplex.bridge.server.shutdown import close_pools
from faceplex.bridge.speaking.synthesis import SynthesisScheduler

log = logging.getLogger("faceplex.daemon")

#: Hard WebSocket message limit: larger messages close the connection (1009). Messages between
#: the protocol limit (64 KiB) and this get an error and the session stays open.
WS_MAX_SIZE = 1 << 20
#: Kernel send buffer per connection: keeps a stalled client's unread media small, so the
#: daemon notices it (PROTOCOL.md §6) instead of the kernel hiding megabytes.
SO_SNDBUF_BYTES = 64 * 1024
#: Client messages websockets buffers per connection before it stops reading the socket (with
#: ``WS_MAX_SIZE``, at most 4 MiB of input held per connection).
WS_MAX_QUEUE = 4


def default_voices():
    """The embedded Piper voice and, where installed, the Kokoro cast (``models/speech/catalog``);
    without the cast, a log line says how to add it."""
    from faceplex.models.speech.cast_install import HOW_TO_INSTALL, find_cast
    from faceplex.models.speech.catalog import VoiceRegistry

    voice = Voice.default()
    cast = find_cast()
    if cast is None:
        log.warning("only the embedded voice %s is installed; add the Kokoro cast (54 voices, 8 languages): %s",
                    voice.name, HOW_TO_INSTALL)
    return VoiceRegistry({voice.name: voice}, cast)


def server_name() -> str:
    try:
        return f"faceplex/{metadata.version('faceplex')}"
    except metadata.PackageNotFoundError:
        return "faceplex/dev"


class Daemon:
    """Serves protocol v1 on ``host:port`` (port 0 picks a free port).

    Args:
        voices: name -> :class:`Voice`; defaults to a ``catalog.VoiceRegistry`` of the embedded
            en_US-joe-medium and the Kokoro cast where ``faceplex install-cast`` put it.
        frame_sink_factory: optional ``session -> callable(frame, values)`` for extra outputs
            (e.g. Live Link Face UDP).
        token: the launch secret every ``hello`` must carry (PROTOCOL.md §12); ``None``: the
            ``FACEPLEX_TOKEN`` environment variable, else a fresh random one; ``""``: no token
            (loopback only).
        allow_origins: browser origins allowed besides the daemon's own preview page.
        max_sessions: cap on open sessions (default and upper bound: what the descriptor limit
            allows, at most ``limits.MAX_SESSIONS``).

    Raises:
        ValueError: serving beyond loopback without a token.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, voices: Optional[dict[str, Voice]] = None,
                 synth_workers: int = 2, frame_sink_factory: Optional[Callable] = None, motion: str = "rules",
                 token: Optional[str] = None, allow_origins: tuple[str, ...] = (),
                 max_sessions: Optional[int] = None, synthesis_priority: str = "deadline"):
        self.host, self.port = host, port
        if token is None:
            token = token_from_env() or new_token()
        self.token: Optional[str] = token or None
        self.gate = Gate(host, self.token, allow_origins)
        self.gate.require()
        if voices is None:
            voices = default_voices()
        self.voices = voices
        self.scheduler = SynthesisScheduler(workers=synth_workers, policy=synthesis_priority)
        self.frame_sink_factory = frame_sink_factory
        self.animator_cls = animator_factory(motion)
        self.sessions: set[Session] = set()
        self.admission: Optional[Admission] = None
        self.max_sessions = max_sessions
        self._kicks: set[asyncio.Task] = set()
        self._server = None
        #: What this install can do (ready line and welcome ``features``, PROTOCOL.md §11):
        #: filled by :meth:`warm_up`, which finds a missing model at start-up, not mid-session.
        self.features: dict = {}

    def warm_up(self) -> None:
        """Run each voice once so the first ``say`` does not pay onnxruntime's first-run cost."""
        lipsync_warm_up()   # the analysis worker process starts and loads its decoders meanwhile
        language_warm_up(wait=False)  # the language identifier's model loads beside the voices
        asr = threading.Thread(target=transcription_warm_up, name="faceplex-asr-warm", daemon=True)
        asr.start()   # the transcription worker process loads its default model meanwhile
        vad_ok, vad_why = vad_status()
        if not vad_ok:
            log.warning("voice activity detection unavailable (mic is refused): %s", vad_why)
        self.features = {"vad": {"available": vad_ok, "reason": vad_why},
                         "transcription": transcription_feature(transcription_installed())}
        # The first piece of each voice at both widths: every graph's first run (and the text
        # encoder, which a speed measure must not include) while the other models load.
        started = []
        # One voice per loaded model (a registry's Kokoro voices share one model).
        warm = getattr(self.voices, "warm_voices", None)
        for voice in (warm() if warm else self.voices.values()):
            for wide in (False, True):
                stream = voice.stream("Ready, steady, go on then.")
                stream.step(wide=wide)
                started.append((voice, wide, stream))
        lipsync_warm_up(wait=True)  # PocketSphinx's decoders (lip sync of external audio)
        asr.join()
        language_warm_up()  # ... and is loaded before the ready line (say.text that is not English warns)
        # Their next window seeds the scheduler's speeds (width choice, start rule) once nothing
        # else is loading: a wide step measured beside the analysis worker's start came out
        # slower than a narrow one, and the first lines then ran narrow.
        first_voice = next(iter(self.voices.values()))
        for voice, wide, stream in started:
            t = time.perf_counter()
            pieces = stream.step(wide=wide)
            if pieces and voice is first_voice:
                speed = pieces[0].num_samples / pieces[0].sample_rate / (time.perf_counter() - t)
                setattr(self.scheduler, "speed_wide" if wide else "speed", speed)
            stream.close()

    async def start(self) -> int:
        """Start listening; returns the bound port."""
        from faceplex.bridge.server.web import request_processor  # the browser preview page, same port (plain HTTP GET)

        sessions, pending = connection_caps(raise_fd_limit())
        self.admission = Admission(min(sessions, self.max_sessions or sessions), pending)
        self._server = await serve(self._handler, self.host, self.port, max_size=WS_MAX_SIZE, max_queue=WS_MAX_QUEUE,
                                   compression=None, ping_interval=20, ping_timeout=60,
                                   open_timeout=HELLO_TIMEOUT_S, close_timeout=CLOSE_TIMEOUT_S,
                                   create_connection=self.admission.connection_class(),
                                   process_request=request_processor(self.gate, self.admission.refuse_reason))
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
                "token": self.token, "server": server_name(), "features": self.features}

    async def stop(self, timeout_s: float = SHUTDOWN_S) -> bool:
        """Shut down within about ``timeout_s`` seconds (PROTOCOL.md §8, "Shutdown"): stop
        accepting; every open utterance gets ``utterance_cancelled {reason: "shutdown"}``; every
        socket a close frame (1001); sockets that do not take it in time are dropped; then every
        worker pool is closed and joined. Returns True when no worker thread is left running
        (else the caller must leave without interpreter finalization: :func:`shutdown.hard_exit`)."""
        deadline = time.monotonic() + timeout_s

        def left(share: float) -> float:
            return max(0.0, min(share, deadline - time.monotonic()))

        if self._server is not None:
            self._server.server.close()  # the listening socket: no new connections
        for session in list(self.sessions):
            session.shutdown()
        drains = [asyncio.ensure_future(s.drained()) for s in self.sessions]
        if drains:
            await asyncio.wait(drains, timeout=left(0.2 * timeout_s))
            for task in drains:
                task.cancel()
        conns = self.admission.all() if self.admission is not None else []
        closes = [asyncio.ensure_future(ws.close(1001, "daemon shutting down")) for ws in conns
                  if ws.protocol.state is State.OPEN]
        if closes:
            await asyncio.wait(closes, timeout=left(0.2 * timeout_s))
        for ws in conns:
            ws.transport.abort()  # a client that never reads or never answers the close frame
        if self._server is not None:
            self._server.close(close_connections=False)
            try:
                await asyncio.wait_for(self._server.wait_closed(), left(0.2 * timeout_s))
            except asyncio.TimeoutError:
                log.warning("connection handlers still running at shutdown")
        return close_pools(self._pools(), left(timeout_s))

    def _pools(self) -> list:
        """Every worker pool to close at shutdown (each has ``close(timeout_s)``: ``bridge/server/shutdown.py``)."""
        from faceplex.bridge.listening import analysis
        from faceplex.bridge.listening import vad_pool

        from faceplex.bridge.listening import transcription

        return [self.scheduler, analysis, vad_pool, transcription, close_motion]

    async def _handler(self, ws: WsConnection) -> None:
        sock = ws.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SO_SNDBUF_BYTES)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = ServerConnection()
        session: Optional[Session] = None
        bucket = RateBucket(MAX_MESSAGES_PER_S, MAX_MESSAGES_PER_S)
        try:
            try:
                async with asyncio.timeout(HELLO_TIMEOUT_S):
                    hello = await self._await_hello(ws, conn, bucket)
            except TimeoutError:
                await close_or_drop(ws, 1008, f"no hello within {HELLO_TIMEOUT_S:g} s")
                return
            if hello is None:
                return
            if not self.admission.opened(ws):
                await close_or_drop(ws, 1013, "too many sessions; retry later")
                return
            session = Session(conn, ws.send, self.voices, self.scheduler,
                              sample_rate=hello.audio.sample_rate, fps=hello.face.fps,
                              animator_cls=self.animator_cls)
            session.on_overflow = lambda reason: self._kick(ws, reason)
            session.features = self.features
            if self.frame_sink_factory is not None:
                session.frame_sink = self.frame_sink_factory(session)
            session.open(hello, server_name())
            self.sessions.add(session)
            log.info("session %s open: %d Hz, %d fps", session.id, session.sample_rate, session.fps)
            async for data in ws:
                session.receive(data)
                if session.closed:  # closed by a limit (outgoing queue): read nothing more
                    break
                wait = bucket.spend()
                # A flood: read this socket more slowly, nobody else's. Otherwise still yield: a
                # burst of buffered messages (e.g. a recorded line sent as lipsync at once) would
                # be handled without returning to the loop while other sessions wait.
                await asyncio.sleep(wait)
        except ConnectionClosed:
            pass
        finally:
            if session is not None:
                self.sessions.discard(session)
                await session.close()
                log.info("session %s closed", session.id)

    async def _await_hello(self, ws: WsConnection, conn: ServerConnection, bucket: RateBucket) -> Optional[m.Hello]:
        """Read until a valid ``hello`` with the token (returned), an unauthorized one (None,
        after error ``unauthorized`` and close 1008) or the end of the connection (None)."""
        async for data in ws:
            if not self._authorized(data):
                conn.send_error(ErrorCode.UNAUTHORIZED, "hello.token is missing or wrong: send the token "
                                "from the daemon's ready line (PROTOCOL.md §12)", _id_of(data))
                for out in conn.data_to_send():
                    await ws.send(out)
                await close_or_drop(ws, 1008, "unauthorized")
                return None
            msg = conn.receive(data)
            if isinstance(msg, m.Hello):
                return msg
            for out in conn.data_to_send():
                await ws.send(out)
            wait = bucket.spend()
            if wait > 0:
                await asyncio.sleep(wait)
        return None

    def _kick(self, ws: WsConnection, reason: str) -> None:
        """Close a session that broke a limit it cannot be answered for (its outgoing queue)."""
        log.warning("closing a session: %s", reason)
        task = asyncio.get_running_loop().create_task(close_or_drop(ws, 1008, reason))
        self._kicks.add(task)
        task.add_done_callback(self._kicks.discard)

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
                     no_token: bool = False, allow_origins: tuple[str, ...] = (),
                     max_sessions: Optional[int] = None, synthesis_priority: str = "deadline",
                     parent_pid: Optional[int] = None) -> bool:
    """Load the voice, listen, print the ready line, serve until SIGINT/SIGTERM (or stdin EOF,
    or the exit of process ``parent_pid``: :mod:`.parent_watch`), then shut down
    (:meth:`Daemon.stop`). Returns True when every worker joined (False: leave with
    :func:`faceplex.bridge.server.shutdown.hard_exit`).

    Raises ValueError for ``no_token`` beyond loopback, ProcessLookupError when ``parent_pid``
    is not running (before the voice loads)."""
    from .parent_watch import ParentProcess, watch_parent

    parent = ParentProcess(parent_pid) if parent_pid is not None else None
    token = "" if no_token else (token_from_env() or new_token())
    os.environ.pop("FACEPLEX_TOKEN", None)  # read once; children (worker processes) never see it
    daemon = Daemon(host, port, frame_sink_factory=frame_sink_factory, motion=motion, token=token,
                    allow_origins=allow_origins, max_sessions=max_sessions,
                    synthesis_priority=synthesis_priority)
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
        # A plain daemon thread, not the default executor: asyncio.run() joins executor threads
        # at exit, and this one only returns at EOF (a SIGTERM exit would wait for it forever).
        # os.read on the descriptor, not sys.stdin.buffer: a daemon thread blocked inside the
        # BufferedReader holds its lock, and finalization then aborts ("could not acquire lock
        # for <stdin> at interpreter shutdown", SIGABRT once the pools join quickly).
        def watch_stdin() -> None:
            try:
                while os.read(sys.stdin.fileno(), 65536):
                    pass
            except (OSError, ValueError):
                pass
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:  # the loop already ended (SIGTERM)
                pass
        threading.Thread(target=watch_stdin, name="stdin-eof-watch", daemon=True).start()
    parent_task = asyncio.create_task(watch_parent(parent, stop.set)) if parent is not None else None
    await stop.wait()
    if parent_task is not None:
        parent_task.cancel()
    return await daemon.stop()
