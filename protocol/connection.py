"""Sans-I/O session state machines for protocol v1, one per side.

Modelled on the websockets library's protocol objects: feed received bytes to ``receive()``,
get typed messages (or None when the bytes produced an ``error`` for the peer), and collect what
must be written with ``data_to_send()``. No sockets, no clocks: the asyncio layers in
``faceplex.bridge`` only move bytes.
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel

from . import messages as m
from .codec import MAX_MESSAGE_BYTES, decode_client, decode_server, encode
from .errors import ErrorCode, ProtocolError
from .names import FRAME_CHANNELS


class ServerConnection:
    """Server side of one session: ``awaiting_hello`` -> ``open``.

    ``receive(data)`` returns the decoded client message, or None after queuing an ``error``
    (malformed bytes, unknown type, wrong field type, message before ``hello``, unsupported
    formats). No error closes the session.
    """

    def __init__(self, max_message_bytes: int = MAX_MESSAGE_BYTES):
        self.max_message_bytes = max_message_bytes
        self.state = "awaiting_hello"
        self._out: list[bytes] = []

    def receive(self, data: bytes | str) -> Optional[BaseModel]:
        try:
            msg = decode_client(data, self.max_message_bytes)
            self._check_state(msg)
        except ProtocolError as err:
            self.send_error(err.code, err.message, err.reply_to)
            return None
        return msg

    def _check_state(self, msg: BaseModel) -> None:
        if isinstance(msg, m.Hello):
            if self.state == "open":
                raise ProtocolError(ErrorCode.DUPLICATE_HELLO, "the session is already open", msg.id)
            check_hello(msg)
        elif self.state != "open":
            raise ProtocolError(ErrorCode.HELLO_REQUIRED, f"send 'hello' before '{msg.type}'", msg.id)

    def accept(self, welcome: m.Welcome) -> None:
        """Open the session: queue ``welcome``."""
        self.state = "open"
        self.send(welcome)

    def send(self, msg: BaseModel) -> None:
        self._out.append(encode(msg))

    def send_bytes(self, data: bytes) -> None:
        """Queue an already-encoded message (hot path: media built with ``codec.pack_map``)."""
        self._out.append(data)

    def send_error(self, code: ErrorCode, message: str, reply_to: Optional[str] = None) -> None:
        self.send(m.Error(code=code.value, message=message, reply_to=reply_to))

    def data_to_send(self) -> list[bytes]:
        out, self._out = self._out, []
        return out


def check_hello(hello: m.Hello) -> None:
    """Reject formats v1 does not offer. Raises :class:`ProtocolError`."""
    if hello.protocol != m.PROTOCOL_VERSION:
        raise ProtocolError(ErrorCode.UNSUPPORTED_VERSION,
                            f"protocol {hello.protocol} is not supported; this server speaks {m.PROTOCOL_VERSION}", hello.id)
    if hello.audio.sample_rate not in m.SUPPORTED_SAMPLE_RATES:
        raise ProtocolError(ErrorCode.UNSUPPORTED_SAMPLE_RATE,
                            f"sample_rate {hello.audio.sample_rate} Hz is not one of {list(m.SUPPORTED_SAMPLE_RATES)}", hello.id)
    if hello.audio.channels != 1 or hello.audio.format != m.AUDIO_FORMAT:
        raise ProtocolError(ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
                            f"output audio is mono {m.AUDIO_FORMAT}; got {hello.audio.channels} channel(s) {hello.audio.format!r}", hello.id)
    if hello.face.fps not in m.SUPPORTED_FPS:
        raise ProtocolError(ErrorCode.UNSUPPORTED_FPS,
                            f"fps {hello.face.fps} is not one of {list(m.SUPPORTED_FPS)}", hello.id)


def check_daemon_protocol(protocol: object, where: str = "welcome") -> None:
    """Refuse a daemon of another protocol version (PROTOCOL.md §9, "Version checks by clients").

    ``protocol``: the ``protocol`` value of the daemon's ready line or ``welcome`` (None: absent);
    ``where``: which of the two, for the message.

    Raises:
        ProtocolError: ``unsupported_version``, naming the daemon's version and this client's.
    """
    if protocol != m.PROTOCOL_VERSION:
        raise ProtocolError(ErrorCode.UNSUPPORTED_VERSION,
                            f"incompatible FacePlex daemon: its {where} says protocol {protocol}; "
                            f"this client speaks protocol {m.PROTOCOL_VERSION}")


class ClientConnection:
    """Client side of one session: build requests, decode server messages, track the handshake.

    After ``welcome``: ``session``, ``sample_rate`` (Hz), ``fps``, ``channels`` (names, wire order).
    """

    def __init__(self) -> None:
        self.state = "connecting"
        self.session: Optional[str] = None
        self.sample_rate: Optional[int] = None
        self.fps: Optional[int] = None
        self.channels: tuple[str, ...] = FRAME_CHANNELS
        self.welcome: Optional[m.Welcome] = None
        self._out: list[bytes] = []
        self._next_id = 0

    def _id(self) -> str:
        self._next_id += 1
        return f"c{self._next_id}"

    def send(self, msg: BaseModel) -> None:
        self._out.append(encode(msg))

    def hello(self, sample_rate: int = 48000, fps: int = 60, client: str = "faceplex-python",
              token: Optional[str] = None) -> str:
        """Queue ``hello``; ``token``: the daemon's launch secret (PROTOCOL.md §12)."""
        msg_id = self._id()
        self.send(m.Hello(id=msg_id, audio=m.AudioFormat(sample_rate=sample_rate), face=m.FaceFormat(fps=fps), client=client,
                          token=token))
        self.state = "awaiting_welcome"
        return msg_id

    def mic_end(self) -> str:
        """Queue ``mic_end`` (push-to-talk released, PROTOCOL.md §11). Returns its id."""
        msg_id = self._id()
        self.send(m.MicEnd(id=msg_id))
        return msg_id

    def receive(self, data: bytes) -> BaseModel:
        """Decode one server message.

        Raises:
            ProtocolError: on bytes that are not v1; ``unsupported_version`` for a ``welcome``
                whose ``protocol`` is not this client's (PROTOCOL.md §9: the session is refused,
                the message names both versions).
        """
        msg = decode_server(data)
        if isinstance(msg, m.Welcome):
            check_daemon_protocol(msg.protocol, "welcome")
            self.state = "open"
            self.welcome = msg
            self.session = msg.session
            self.sample_rate = msg.audio.sample_rate
            self.fps = msg.face.fps
            self.channels = tuple(msg.face.channels)
        return msg

    def data_to_send(self) -> list[bytes]:
        out, self._out = self._out, []
        return out
