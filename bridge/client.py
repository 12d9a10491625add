"""Reference asyncio client of protocol v1 (used by ``faceplex demo``, the bench and the tests).

It keeps every received message with its arrival time (``time.perf_counter()`` seconds), so
latency can be measured from the moment a request was sent.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import msgpack
import numpy as np
from websockets.asyncio.client import connect

from faceplex.protocol import messages as m
from faceplex.protocol.connection import ClientConnection


def _construct(data: bytes):
    """Decode a server message without validation (trusted daemon, benchmark use)."""
    obj = msgpack.unpackb(data, raw=False)
    return m.SERVER_TYPES[obj["type"]].model_construct(**obj)


@dataclass
class Received:
    """A server message and its arrival time (perf_counter seconds)."""

    msg: Any
    t: float


@dataclass
class UtteranceRecord:
    """Everything received for one utterance.

    ``audio``: ``(N,) int16`` concatenated in timeline order; ``start``/``end`` timeline samples;
    ``frames``: ``(F, C) float32`` face values of the frames tagged with this utterance;
    ``frame_samples``: ``(F,)`` their timeline samples; ``marks``: Mark messages;
    ``t_say``: when the say was sent; ``t_first_audio``/``t_first_face``: arrival times.
    """

    utt: str
    t_say: float
    start: Optional[int] = None
    end: Optional[int] = None
    outcome: Optional[str] = None  # finished | cancelled
    cancel: Optional[m.UtteranceCancelled] = None
    audio_chunks: list = field(default_factory=list)
    frames: list = field(default_factory=list)
    frame_samples: list = field(default_factory=list)
    marks: list = field(default_factory=list)
    t_first_audio: Optional[float] = None
    t_first_face: Optional[float] = None
    errors: list = field(default_factory=list)

    @property
    def audio(self) -> np.ndarray:
        if not self.audio_chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate([np.frombuffer(c.pcm, dtype="<i2") for c in self.audio_chunks])

    @property
    def face(self) -> np.ndarray:
        return np.asarray(self.frames, dtype=np.float32)


class FacePlexClient:
    """One session with a FacePlex daemon.

    Usage::

        async with FacePlexClient("ws://127.0.0.1:PORT/", sample_rate=48000, fps=60) as client:
            rec = await client.speak("Hello there.")
    """

    def __init__(self, url: str, sample_rate: int = 48000, fps: int = 60, client_name: str = "faceplex-python",
                 validate: bool = True, token: Optional[str] = None):
        self.url = url
        # The daemon's launch token (PROTOCOL.md §12): from its ready line when we launched it,
        # else a setting; None reads FACEPLEX_TOKEN (how a daemon launched elsewhere shares it).
        self.token = token if token is not None else os.environ.get("FACEPLEX_TOKEN") or None
        # validate=False skips pydantic validation of server messages (benchmarks with many
        # sessions in one process, where the client's own CPU use would distort the figures).
        self.validate = validate
        self.sample_rate, self.fps = sample_rate, fps
        self.client_name = client_name
        self.conn = ClientConnection()
        self.ws = None
        self.welcome: Optional[m.Welcome] = None
        self.log: list[Received] = []
        self.t_welcome: Optional[float] = None
        self._queue: asyncio.Queue = asyncio.Queue()
        self._reader: Optional[asyncio.Task] = None
        self._utt_ids = itertools.count(1)

    async def __aenter__(self) -> "FacePlexClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self, **ws_kwargs) -> m.Welcome:
        """Open the WebSocket and do the handshake. Raises RuntimeError if the daemon says no."""
        self.ws = await connect(self.url, max_size=None, compression=None, **ws_kwargs)
        self.conn.hello(self.sample_rate, self.fps, self.client_name, token=self.token)
        await self._flush()
        msg = self.conn.receive(await self.ws.recv())
        self.t_welcome = time.perf_counter()  # the daemon's timeline starts about now
        if not isinstance(msg, m.Welcome):
            raise RuntimeError(f"handshake refused: {msg}")
        self.welcome = msg
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return msg

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _flush(self) -> None:
        for data in self.conn.data_to_send():
            await self.ws.send(data)

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                t = time.perf_counter()
                msg = self.conn.receive(data) if self.validate else _construct(data)
                item = Received(msg, t)
                self.log.append(item)
                await self._queue.put(item)
        except Exception as exc:  # surface a closed socket to whoever waits
            await self._queue.put(Received(exc, time.perf_counter()))

    async def send(self, msg) -> float:
        """Send one message model; returns the send time (perf_counter seconds)."""
        self.conn.send(msg)
        t = time.perf_counter()
        await self._flush()
        return t

    async def send_raw(self, data: bytes | str) -> None:
        """Send raw bytes (tests of bad input)."""
        await self.ws.send(data)

    async def recv(self, timeout: float = 10.0) -> Received:
        """Next received message (any type). Raises TimeoutError, or the socket's exception."""
        item = await asyncio.wait_for(self._queue.get(), timeout)
        if isinstance(item.msg, Exception):
            raise item.msg
        return item

    async def wait_for(self, predicate, timeout: float = 10.0) -> Received:
        """Receive until ``predicate(msg)`` is true; returns that message."""
        deadline = time.perf_counter() + timeout
        while True:
            item = await self.recv(max(0.01, deadline - time.perf_counter()))
            if predicate(item.msg):
                return item

    def new_utt(self) -> str:
        return f"u{next(self._utt_ids)}"

    async def say(self, text: str, utt: Optional[str] = None, **fields) -> tuple[str, float]:
        """Send ``say``; returns ``(utt, send time)``."""
        utt = utt or self.new_utt()
        t = await self.send(m.Say(id=f"say-{utt}", utt=utt, text=text, **fields))
        return utt, t

    async def cancel(self, utt: Optional[str] = None) -> float:
        return await self.send(m.Cancel(id=f"cancel-{utt}", utt=utt))

    async def configure(self, **settings) -> dict:
        """Partial settings update; returns the full effective config. Raises on an error reply."""
        await self.send(m.Config(id="cfg", settings=settings))
        item = await self.wait_for(lambda x: isinstance(x, (m.Configured, m.Error)) and x.reply_to == "cfg")
        if isinstance(item.msg, m.Error):
            raise ValueError(f"{item.msg.code}: {item.msg.message}")
        return item.msg.config

    async def ping(self) -> tuple[float, m.Pong]:
        """Round trip in seconds and the pong."""
        t0 = time.perf_counter()
        await self.send(m.Ping(id="ping", client_time_us=int(t0 * 1e6)))
        item = await self.wait_for(lambda x: isinstance(x, m.Pong))
        return item.t - t0, item.msg

    async def collect(self, utt: str, t_say: float, timeout: float = 60.0) -> UtteranceRecord:
        """Receive until ``utt`` finishes or is cancelled; returns what arrived for it."""
        rec = UtteranceRecord(utt=utt, t_say=t_say)
        deadline = time.perf_counter() + timeout
        while rec.outcome is None:
            item = await self.recv(max(0.01, deadline - time.perf_counter()))
            self._record(rec, item)
        return rec

    async def speak(self, text: str, timeout: float = 60.0, **fields) -> UtteranceRecord:
        """``say`` then ``collect``."""
        utt, t = await self.say(text, **fields)
        return await self.collect(utt, t, timeout)

    @staticmethod
    def _record(rec: UtteranceRecord, item: Received) -> None:
        msg = item.msg
        if isinstance(msg, m.Error) and msg.reply_to == f"say-{rec.utt}":
            rec.errors.append(msg)
            rec.outcome = "error"
        if getattr(msg, "utt", None) != rec.utt:
            return
        if isinstance(msg, m.UtteranceStarted):
            rec.start = msg.sample
        elif isinstance(msg, m.Audio):
            rec.audio_chunks.append(msg)
            rec.t_first_audio = rec.t_first_audio or item.t
        elif isinstance(msg, m.Face):
            rec.frames.append(msg.values)
            rec.frame_samples.append(msg.sample)
            rec.t_first_face = rec.t_first_face or item.t
        elif isinstance(msg, m.Mark):
            rec.marks.append(msg)
        elif isinstance(msg, m.UtteranceFinished):
            rec.end, rec.outcome = msg.sample, "finished"
        elif isinstance(msg, m.UtteranceCancelled):
            rec.end, rec.outcome, rec.cancel = msg.sample, "cancelled", msg
