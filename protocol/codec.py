"""Sans-I/O msgpack codec for protocol v1: bytes in, typed messages out, and back.

No sockets here: the daemon, the reference client and the tests all use these functions.
Canonical encoding (what golden vectors pin down, see PROTOCOL.md "Encoding"): one msgpack map,
keys in model field order, every field present (None -> nil), str as msgpack str, bytes as bin,
floats as float32, ints in their shortest msgpack form.
"""

from __future__ import annotations

from typing import Any

import msgpack
from pydantic import BaseModel, ValidationError

from .errors import ErrorCode, ProtocolError
from .messages import ALL_TYPES, CLIENT_TYPES, SERVER_TYPES

#: Largest client message the daemon parses (bytes). Larger ones get ``message_too_large``.
MAX_MESSAGE_BYTES = 65536


def encode(msg: BaseModel) -> bytes:
    """Encode a message model to its canonical msgpack bytes."""
    return pack_map(msg.model_dump(mode="python"))


def pack_map(obj: dict[str, Any]) -> bytes:
    """Canonical msgpack for an already-ordered dict (float32, bin for bytes)."""
    return msgpack.packb(obj, use_bin_type=True, use_single_float=True)


def unpack_map(data: bytes, max_bytes: int | None = None) -> dict[str, Any]:
    """Parse one message into a dict with a string ``type``.

    Raises:
        ProtocolError: ``text_frame`` (a str was given), ``message_too_large``,
            ``malformed_msgpack``, ``malformed_message`` (not a map, or no string ``type``).
    """
    if isinstance(data, str):
        raise ProtocolError(ErrorCode.TEXT_FRAME, "text WebSocket messages are not accepted; send binary msgpack")
    if max_bytes is not None and len(data) > max_bytes:
        raise ProtocolError(ErrorCode.MESSAGE_TOO_LARGE, f"message is {len(data)} bytes; the limit is {max_bytes}")
    try:
        obj = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several unrelated exception types
        detail = str(exc) or "bytes that do not form one msgpack value"
        raise ProtocolError(ErrorCode.MALFORMED_MSGPACK, f"not valid msgpack ({type(exc).__name__}: {detail})") from None
    if not isinstance(obj, dict):
        raise ProtocolError(ErrorCode.MALFORMED_MESSAGE, f"a message must be a msgpack map, got {type(obj).__name__}")
    reply_to = obj.get("id") if isinstance(obj.get("id"), str) else None
    if not isinstance(obj.get("type"), str):
        raise ProtocolError(ErrorCode.MALFORMED_MESSAGE, "a message needs a string 'type' field", reply_to)
    return obj


def _validate(obj: dict[str, Any], table: dict[str, type[BaseModel]]) -> BaseModel:
    reply_to = obj.get("id") if isinstance(obj.get("id"), str) else None
    cls = table.get(obj["type"])
    if cls is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {obj['type']!r}", reply_to)
    try:
        return cls.model_validate(obj)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(message)'}: {e['msg']}" for e in exc.errors()
        )
        raise ProtocolError(ErrorCode.INVALID_FIELD, f"{obj['type']}: {problems}", reply_to) from None


def decode_client(data: bytes, max_bytes: int | None = MAX_MESSAGE_BYTES) -> BaseModel:
    """Decode a client -> server message (``hello``, ``config``, ``say``, ``cancel``, ``ping``).

    Raises:
        ProtocolError: with a code from :class:`ErrorCode` and the message's ``id`` if it had one.
    """
    return _validate(unpack_map(data, max_bytes), CLIENT_TYPES)


def decode_server(data: bytes) -> BaseModel:
    """Decode a server -> client message. Raises :class:`ProtocolError` like ``decode_client``."""
    return _validate(unpack_map(data), SERVER_TYPES)


def decode_any(data: bytes) -> BaseModel:
    """Decode a message of either direction (golden vectors, recordings)."""
    return _validate(unpack_map(data), ALL_TYPES)
