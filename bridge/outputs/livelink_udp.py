"""Live Link Face UDP output: drive a MetaHuman in stock Unreal with no FacePlex plugin.

``faceplex serve --livelink-udp HOST:PORT`` sends every face frame of every session as one
Live Link Face packet (the layout the iPhone app sends; Unreal's Live Link Face source listens on
UDP 11111). One Live Link subject per session: ``FacePlex-<session id>``.

Packet layout, version 6 (as Unreal's ``AppleARKitFaceSupport`` reads it; all multi-byte fields
big-endian except where said):

====== ======================= ==============================================================
bytes  field                   notes
====== ======================= ==============================================================
1      uint8 version = 6       open-source senders write ``uint32 LE 6``: the same byte plus
                               three zero bytes that are the top of the next length
4      int32 device id length  36 for a UUID (the low byte is ``'$'``, 0x24)
n      device id               ASCII, no terminator
4      int32 subject length
n      subject name            UTF-8
4      uint32 frame number     here: the face frame index *n* of the session timeline
4      float32 sub-frame       0.0 (FacePlex frames sit exactly on frame boundaries)
4      uint32 fps numerator    the session's face fps (30 or 60)
4      uint32 fps denominator  1
1      uint8 value count = 61
244    61 x float32            52 ARKit shapes in EARFaceBlendShape order, then HeadYaw,
                               HeadPitch, HeadRoll, LeftEyeYaw, LeftEyePitch, LeftEyeRoll,
                               RightEyeYaw, RightEyePitch, RightEyeRoll (degrees / 180,
                               Live Link Face's unit: names.to_live_link_rotation; eye roll 0)
====== ======================= ==============================================================
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import uuid
from typing import Callable, Sequence

import numpy as np

from faceplex.protocol.names import LIVE_LINK_UDP_ORDER, live_link_values

log = logging.getLogger("faceplex.livelink_udp")

PACKET_VERSION = 6
#: UDP port Unreal's Live Link Face source listens on.
DEFAULT_PORT = 11111
NUM_VALUES = 61
_VALUES = struct.Struct(f">B{NUM_VALUES}f")
_TIMING = struct.Struct(">IfII")  # frame number, sub-frame, fps, denominator
#: Namespace for deterministic per-session device ids (uuid5 of the subject name).
_DEVICE_NAMESPACE = uuid.UUID("6f1f5c1e-3b0e-4f7a-9a51-faceb1e00000")


def encode_packet(subject: str, device_id: str, frame_number: int, fps: int, values61: Sequence[float]) -> bytes:
    """One Live Link Face packet (version 6). ``device_id``: a 36-character UUID string;
    ``values61``: 61 floats in :data:`LIVE_LINK_UDP_ORDER` (blendshape weights 0..1, rotations in
    degrees / 180 as :func:`faceplex.protocol.names.live_link_values` converts them)."""
    if len(values61) != NUM_VALUES:
        raise ValueError(f"need {NUM_VALUES} values, got {len(values61)}")
    dev = device_id.encode("ascii")
    if len(dev) != 36:
        raise ValueError(f"device_id must be a 36-character UUID, got {len(dev)} characters")
    name = subject.encode("utf-8")
    return b"".join((
        struct.pack(">B", PACKET_VERSION),
        struct.pack(">i", len(dev)), dev,
        struct.pack(">i", len(name)), name,
        _TIMING.pack(frame_number & 0xFFFFFFFF, 0.0, fps, 1),
        _VALUES.pack(NUM_VALUES, *(float(v) for v in values61)),
    ))


def decode_packet(data: bytes) -> dict:
    """Parse one packet into ``{version, device_id, subject, frame, sub_frame, fps, denominator,
    values}`` (``values``: 61 floats, :data:`LIVE_LINK_UDP_ORDER`). Raises ValueError on a bad packet."""
    try:
        pos = 0
        (version,) = struct.unpack_from(">B", data, pos); pos += 1
        if version != PACKET_VERSION:
            raise ValueError(f"packet version {version}, expected {PACKET_VERSION}")
        (n,) = struct.unpack_from(">i", data, pos); pos += 4
        device_id = data[pos:pos + n].decode("ascii"); pos += n
        (n,) = struct.unpack_from(">i", data, pos); pos += 4
        subject = data[pos:pos + n].decode("utf-8"); pos += n
        frame, sub_frame, fps, denominator = _TIMING.unpack_from(data, pos); pos += _TIMING.size
        count, *values = _VALUES.unpack_from(data, pos); pos += _VALUES.size
    except struct.error as exc:
        raise ValueError(f"truncated Live Link Face packet: {exc}") from None
    if count != NUM_VALUES:
        raise ValueError(f"value count {count}, expected {NUM_VALUES}")
    if pos != len(data):
        raise ValueError(f"{len(data) - pos} trailing bytes")
    return {"version": version, "device_id": device_id, "subject": subject, "frame": frame,
            "sub_frame": sub_frame, "fps": fps, "denominator": denominator, "values": values}


def parse_target(text: str) -> tuple[str, int]:
    """``"HOST:PORT"`` / ``"HOST"`` / ``"[::1]:PORT"`` -> ``(host, port)``; port defaults to 11111."""
    text = text.strip()
    if text.startswith("["):  # bracketed IPv6
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, ""
    if not host:
        raise ValueError(f"no host in {text!r}")
    try:
        port_n = int(port) if port else DEFAULT_PORT
    except ValueError:
        raise ValueError(f"bad port in {text!r}") from None
    if not 0 < port_n < 65536:
        raise ValueError(f"bad port in {text!r}")
    return host, port_n


def sink_factory(host: str, port: int) -> Callable[[object], Callable[[int, np.ndarray], None]]:
    """``factory(session) -> sink(frame_index, values59)`` sending one packet per face frame.

    One UDP socket serves every session; a send that fails (nobody listening, network down) is
    logged once per session and never disturbs the session.

    Packets leave at their frame's time on the session's media clock, not when the frame is
    produced (up to ``lead_ms`` earlier): Unreal's Live Link Face source shows the newest packet,
    so sending ahead would make the face lead the audio the game plays.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setblocking(False)
    target = (host, port)

    def factory(session) -> Callable[[int, np.ndarray], None]:
        subject = f"FacePlex-{session.id}"
        device_id = str(uuid.uuid5(_DEVICE_NAMESPACE, subject))
        fps = int(session.fps)
        warned = False

        def send(packet: bytes) -> None:
            nonlocal warned
            try:
                sock.sendto(packet, target)
            except OSError as exc:
                if not warned:
                    log.warning("Live Link UDP send to %s:%d failed: %s", host, port, exc)
                    warned = True

        def sink(frame_index: int, values: np.ndarray) -> None:
            packet = encode_packet(subject, device_id, frame_index, fps,
                                   live_link_values(values, LIVE_LINK_UDP_ORDER))
            delay = (session.frame_sample(frame_index) - session.clock_sample()) / session.sample_rate
            if delay > 0.001:
                asyncio.get_running_loop().call_later(delay, send, packet)
            else:
                send(packet)

        return sink

    return factory
