"""Record one real session's raw server messages, and describe them line by line for cross-language checks.

Recording file format (``.fpxrec``): a sequence of records, each a 4-byte little-endian unsigned
length followed by that many bytes of one server message exactly as received (msgpack). The first
record is ``welcome``.

:func:`describe` turns one decoded message into one text line; every decoder (Python here, the C#
core's ``CrossLangDump.exe``, the C++ core's dumper) must print exactly these lines for the same file:

- ``welcome session=S sample_rate=R fps=F channels=N``
- ``audio utt=U seq=N sample=S n=SAMPLES fnv=HEX16`` (FNV-1a 64 of the PCM bytes, 16 lowercase hex digits)
- ``face utt=U|- seq=N frame=N sample=S values=H,H,...`` (each value's float32 bits as 8 lowercase hex digits)
- ``mark utt=U kind=K sample=S end=E text=T viseme=V|-`` (UTF-8)
- ``utterance_started utt=U sample=S`` / ``utterance_finished utt=U sample=S samples=N``
- ``utterance_cancelled utt=U reason=R sample=S samples=N``
- anything else: its ``type``
"""

from __future__ import annotations

import asyncio
import os
import struct
from pathlib import Path

from websockets.asyncio.client import connect

from faceplex.protocol import messages as m
from faceplex.protocol.codec import decode_server, encode


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def describe(msg) -> str:
    """One text line per message (see the module docstring)."""
    t = msg.type
    if isinstance(msg, m.Welcome):
        return f"welcome session={msg.session} sample_rate={msg.audio.sample_rate} fps={msg.face.fps} channels={len(msg.face.channels)}"
    if isinstance(msg, m.Audio):
        return f"audio utt={msg.utt} seq={msg.seq} sample={msg.sample} n={len(msg.pcm) // 2} fnv={fnv1a64(msg.pcm)}"
    if isinstance(msg, m.Face):
        vals = ",".join(struct.pack(">f", v).hex() for v in msg.values)
        return f"face utt={msg.utt or '-'} seq={msg.seq} frame={msg.frame} sample={msg.sample} values={vals}"
    if isinstance(msg, m.Mark):
        return f"mark utt={msg.utt} kind={msg.kind} sample={msg.sample} end={msg.end} text={msg.text} viseme={msg.viseme or '-'}"
    if isinstance(msg, m.UtteranceStarted):
        return f"utterance_started utt={msg.utt} sample={msg.sample}"
    if isinstance(msg, m.UtteranceFinished):
        return f"utterance_finished utt={msg.utt} sample={msg.sample} samples={msg.samples}"
    if isinstance(msg, m.UtteranceCancelled):
        return f"utterance_cancelled utt={msg.utt} reason={msg.reason} sample={msg.sample} samples={msg.samples}"
    return t


def read_records(path: Path) -> list[bytes]:
    data = Path(path).read_bytes()
    out, i = [], 0
    while i < len(data):
        (n,) = struct.unpack_from("<I", data, i)
        out.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return out


def describe_file(path: Path) -> list[str]:
    """Python's lines for a recording."""
    return [describe(decode_server(rec)) for rec in read_records(path)]


async def record_session(url: str, path: Path, text: str = "Hello there, traveller. Mind the bridge.",
                         sample_rate: int = 48000, fps: int = 60, tail_frames: int = 10, timeout: float = 60.0) -> int:
    """Connect, say ``text``, and record every server message until the utterance finished plus
    ``tail_frames`` idle frames. Returns the number of records written."""
    records: list[bytes] = []
    async with connect(url, max_size=None, compression=None) as ws:
        await ws.send(encode(m.Hello(id="c1", audio=m.AudioFormat(sample_rate=sample_rate), face=m.FaceFormat(fps=fps),
                                     client="crosslang-recorder", token=os.environ.get("FACEPLEX_TOKEN"))))
        records.append(await ws.recv())
        await ws.send(encode(m.Say(id="say-u1", utt="u1", text=text)))
        finished, tail = False, 0

        async def pump():
            nonlocal finished, tail
            while tail < tail_frames:
                data = await ws.recv()
                records.append(data)
                msg = decode_server(data)
                if isinstance(msg, (m.UtteranceFinished, m.UtteranceCancelled)) and msg.utt == "u1":
                    finished = True
                elif finished and isinstance(msg, m.Face):
                    tail += 1
                elif isinstance(msg, m.Error):
                    raise RuntimeError(f"daemon error while recording: {msg}")

        await asyncio.wait_for(pump(), timeout)
    with open(path, "wb") as f:
        for rec in records:
            f.write(struct.pack("<I", len(rec)))
            f.write(rec)
    return len(records)
