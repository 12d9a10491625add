"""Live Link Face UDP output (`faceplex serve --livelink-udp HOST:PORT`): packets decoded here must
carry exactly the face frames the WebSocket carried, mapped to Unreal's 61 ARKit values."""

from __future__ import annotations

import asyncio
import math
import socket
import struct
import time

import numpy as np
import pytest

from conftest import DaemonProcess
from faceplex.bridge.client import FacePlexClient
from faceplex.bridge.outputs.livelink_udp import decode_packet, encode_packet, parse_target
from faceplex.protocol import messages as m
from faceplex.protocol.names import (CHANNEL_INDEX, LIVE_LINK_ROTATIONS, LIVE_LINK_UDP_ORDER, NUM_CHANNELS,
                                     from_live_link_rotation, live_link_values, to_live_link_rotation)

UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def test_parse_target():
    assert parse_target("127.0.0.1:9000") == ("127.0.0.1", 9000)
    assert parse_target("studio-pc") == ("studio-pc", 11111)
    assert parse_target("[::1]:5000") == ("::1", 5000)
    with pytest.raises(ValueError):
        parse_target(":80")


def test_packet_layout_matches_open_source_senders():
    """Byte-for-byte the layout PyLiveLinkFace-style senders produce (uint32 LE version, '$' + UUID)."""
    values = [i / 100 for i in range(61)]
    pkt = encode_packet("Subj", UUID, 1234, 60, values)
    expected = (struct.pack("<I", 6) + b"$" + UUID.encode() + struct.pack(">i", 4) + b"Subj"
                + struct.pack(">IfII", 1234, 0.0, 60, 1) + struct.pack(">B61f", 61, *values))
    assert pkt == expected
    d = decode_packet(pkt)
    assert (d["version"], d["device_id"], d["subject"], d["frame"], d["fps"], d["denominator"]) == (6, UUID, "Subj", 1234, 60, 1)
    assert np.array_equal(np.float32(d["values"]), np.float32(values))
    with pytest.raises(ValueError):
        decode_packet(pkt[:-3])


def test_value_order_is_unreal_enum_order():
    frame = np.arange(NUM_CHANNELS, dtype=np.float32)
    v = live_link_values(frame, LIVE_LINK_UDP_ORDER)
    assert LIVE_LINK_UDP_ORDER[15:17] == ("JawLeft", "JawRight")
    assert v[LIVE_LINK_UDP_ORDER.index("JawOpen")] == frame[CHANNEL_INDEX["jawOpen"]]
    assert v[LIVE_LINK_UDP_ORDER.index("RightEyePitch")] == frame[CHANNEL_INDEX["rightEyePitch"]] / math.pi
    assert v[LIVE_LINK_UDP_ORDER.index("LeftEyeRoll")] == 0.0


def test_rotations_are_sent_in_live_link_face_units():
    """Head/eye rotations leave as degrees / 180 (Epic's ARKit -> Live Link convention), signs kept:
    a quarter turn to the character's left is HeadYaw 0.5; weights are not scaled."""
    frame = np.zeros(NUM_CHANNELS, dtype=np.float32)
    frame[CHANNEL_INDEX["headYaw"]] = math.pi / 2
    frame[CHANNEL_INDEX["headPitch"]] = -math.radians(18)
    frame[CHANNEL_INDEX["headRoll"]] = math.radians(9)
    frame[CHANNEL_INDEX["leftEyeYaw"]] = math.radians(-36)
    frame[CHANNEL_INDEX["rightEyePitch"]] = math.radians(27)
    frame[CHANNEL_INDEX["jawOpen"]] = 0.75
    pkt = encode_packet("S", UUID, 7, 60, live_link_values(frame, LIVE_LINK_UDP_ORDER))
    got = dict(zip(LIVE_LINK_UDP_ORDER, decode_packet(pkt)["values"]))
    want = {"HeadYaw": 0.5, "HeadPitch": -0.1, "HeadRoll": 0.05, "LeftEyeYaw": -0.2, "RightEyePitch": 0.15,
            "JawOpen": 0.75, "LeftEyeRoll": 0.0, "RightEyeYaw": 0.0}
    for name, value in want.items():
        assert got[name] == pytest.approx(value, abs=1e-6), name
        wire = name[:1].lower() + name[1:]
        if name in LIVE_LINK_ROTATIONS and wire in CHANNEL_INDEX:
            assert got[name] == pytest.approx(to_live_link_rotation(float(frame[CHANNEL_INDEX[wire]])), abs=1e-7)
            assert from_live_link_rotation(got[name]) == pytest.approx(float(frame[CHANNEL_INDEX[wire]]), abs=1e-6)


def _collect_udp(sock: socket.socket, packets: list, stop: float) -> None:
    while time.monotonic() < stop:
        try:
            data, _ = sock.recvfrom(4096)
        except (BlockingIOError, socket.timeout):
            time.sleep(0.002)
            continue
        packets.append(decode_packet(data))


def test_udp_packets_equal_websocket_frames():
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    udp.bind(("127.0.0.1", 0))
    udp.setblocking(False)
    port = udp.getsockname()[1]
    daemon = DaemonProcess("--livelink-udp", f"127.0.0.1:{port}")
    packets: list[dict] = []
    try:
        async def run():
            async with FacePlexClient(daemon.url, sample_rate=24000, fps=60) as client:
                rec = await client.speak("Live Link, from FacePlex.")
                await asyncio.sleep(0.3)  # a few idle frames after the utterance
                return client, rec

        loop_result = {}

        async def main():
            loop = asyncio.get_running_loop()
            stop = [False]

            def reader():
                while not stop[0]:
                    _collect_udp(udp, packets, time.monotonic() + 0.05)

            fut = loop.run_in_executor(None, reader)
            try:
                loop_result["client"], loop_result["rec"] = await asyncio.wait_for(run(), 30)
                await asyncio.sleep(0.3)
            finally:
                stop[0] = True
                await fut

        asyncio.run(main())
    finally:
        daemon.stop()
        udp.close()

    client, rec = loop_result["client"], loop_result["rec"]
    assert rec.outcome == "finished"
    ws_frames = {x.msg.frame: x.msg for x in client.log if isinstance(x.msg, m.Face)}
    session = client.welcome.session
    assert packets, "no Live Link UDP packets arrived"
    by_frame = {}
    for p in packets:
        assert p["subject"] == f"FacePlex-{session}"
        assert p["fps"] == 60 and p["denominator"] == 1 and len(p["device_id"]) == 36
        by_frame[p["frame"]] = p
    speech = [n for n, f in ws_frames.items() if f.utt == rec.utt]
    assert speech, "no speech frames over the WebSocket"
    # every speech frame (and every WebSocket frame) has its packet, with the same values
    missing = [n for n in ws_frames if n not in by_frame]
    assert not missing, f"{len(missing)} WebSocket frames without a UDP packet, e.g. {missing[:5]}"
    for n, f in ws_frames.items():
        want = np.float32(live_link_values(np.float32(f.values), LIVE_LINK_UDP_ORDER))
        got = np.float32(by_frame[n]["values"])
        assert np.array_equal(got, want), f"frame {n} differs"
    # the mouth moves in the speech packets (JawOpen), so Unreal sees speech, not a constant pose
    jaw = LIVE_LINK_UDP_ORDER.index("JawOpen")
    assert max(by_frame[n]["values"][jaw] for n in speech) > 0.05
