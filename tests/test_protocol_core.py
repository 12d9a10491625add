"""Protocol v1 core without sockets: codec, golden vectors, server/client state machines."""

from __future__ import annotations

import json

import msgpack
import pytest

from faceplex.protocol import messages as m
from faceplex.protocol.codec import decode_any, encode, unpack_map
from faceplex.protocol.connection import ClientConnection, ServerConnection
from faceplex.protocol.errors import ErrorCode, ProtocolError
from faceplex.protocol.golden import VECTOR_DIR, examples, from_json_twin, render
from faceplex.protocol.names import ARKIT_52, FRAME_CHANNELS, LIVE_LINK_CSV_ORDER, LIVE_LINK_UDP_ORDER


def _error(conn: ServerConnection) -> m.Error:
    out = conn.data_to_send()
    assert len(out) == 1
    msg = decode_any(out[0])
    assert isinstance(msg, m.Error)
    return msg


def test_committed_vectors_equal_the_generator():
    for name, (data, text) in render().items():
        assert (VECTOR_DIR / f"{name}.msgpack").read_bytes() == data, name
        assert (VECTOR_DIR / f"{name}.json").read_text(encoding="utf-8") == text, name


@pytest.mark.parametrize("path", sorted(VECTOR_DIR.glob("*.msgpack")), ids=lambda p: p.stem)
def test_vector_decodes_to_its_json_twin_and_reencodes_identically(path):
    data = path.read_bytes()
    twin = from_json_twin(json.loads(path.with_suffix(".json").read_text(encoding="utf-8")))
    assert msgpack.unpackb(data, raw=False) == twin
    msg = decode_any(data)
    assert encode(msg) == data


def test_every_message_type_has_a_vector():
    covered = {msg.type for msg in examples().values()}
    assert covered == set(m.ALL_TYPES)


def test_reader_accepts_float64_and_any_key_order():
    data = msgpack.packb({"values": [0.5] * 59, "sample": 800, "frame": 1, "seq": 1, "utt": None, "type": "face"},
                         use_single_float=False)
    msg = decode_any(data)
    assert msg.values[0] == 0.5 and msg.sample == 800
    assert encode(msg) != data  # re-encoding is canonical (float32, field order)


def test_channel_names_are_apple_spelling_and_live_link_orders_differ_only_in_swaps():
    assert FRAME_CHANNELS[:52] == ARKIT_52
    assert ARKIT_52[17] == "jawOpen" and ARKIT_52[0] == "eyeBlinkLeft" and ARKIT_52[-1] == "tongueOut"
    assert FRAME_CHANNELS[52:] == ("headYaw", "headPitch", "headRoll", "leftEyeYaw", "leftEyePitch",
                                   "rightEyeYaw", "rightEyePitch")
    diff = [(a, b) for a, b in zip(LIVE_LINK_UDP_ORDER, LIVE_LINK_CSV_ORDER) if a != b]
    assert diff == [("JawLeft", "JawRight"), ("JawRight", "JawLeft"), ("MouthLeft", "MouthRight"), ("MouthRight", "MouthLeft")]


def test_server_requires_hello_first():
    conn = ServerConnection()
    assert conn.receive(encode(m.Say(id="s1", utt="u", text="hi"))) is None
    err = _error(conn)
    assert (err.code, err.reply_to) == ("hello_required", "s1")


def test_server_accepts_hello_then_rejects_a_second():
    conn = ServerConnection()
    hello = conn.receive(encode(m.Hello(id="h")))
    assert isinstance(hello, m.Hello) and hello.audio.sample_rate == 48000 and hello.face.fps == 60
    conn.accept(m.Welcome(session="s", server="t", audio=m.AudioFormat(), face=m.FaceFormatInfo(fps=60, channels=[]),
                          voices=[], config={}, limits=m.Limits(max_message_bytes=1, max_text_chars=1,
                                                                max_pending_chars=1, max_queued_utterances=1)))
    assert conn.state == "open"
    conn.data_to_send()
    assert conn.receive(encode(m.Hello(id="h2"))) is None
    assert _error(conn).code == "duplicate_hello"


@pytest.mark.parametrize("hello, code", [
    (m.Hello(id="x", protocol=2), "unsupported_version"),
    (m.Hello(id="x", audio=m.AudioFormat(sample_rate=11025)), "unsupported_sample_rate"),
    (m.Hello(id="x", audio=m.AudioFormat(channels=2)), "unsupported_audio_format"),
    (m.Hello(id="x", audio=m.AudioFormat(format="f32le")), "unsupported_audio_format"),
    (m.Hello(id="x", face=m.FaceFormat(fps=24)), "unsupported_fps"),
])
def test_server_rejects_unsupported_hello_and_stays_awaiting(hello, code):
    conn = ServerConnection()
    assert conn.receive(encode(hello)) is None
    err = _error(conn)
    assert (err.code, err.reply_to) == (code, "x")
    assert conn.state == "awaiting_hello"
    assert isinstance(conn.receive(encode(m.Hello())), m.Hello)


@pytest.mark.parametrize("data, code", [
    (b"\xc1\x00", "malformed_msgpack"),
    (msgpack.packb([1, 2]), "malformed_message"),
    (msgpack.packb({"id": "q"}), "malformed_message"),
    (msgpack.packb({"type": "dance", "id": "q"}), "unknown_type"),
    (msgpack.packb({"type": "hello", "id": "q", "protocol": "1"}), "invalid_field"),
    (msgpack.packb({"type": "hello", "id": "q", "audio": {"sample_rate": 48000.0}}), "invalid_field"),
    (b"\x80" + b"\x00" * 70000, "message_too_large"),
    ("hello", "text_frame"),
])
def test_server_answers_bad_bytes_with_a_coded_error(data, code):
    conn = ServerConnection()
    assert conn.receive(data) is None
    assert _error(conn).code == code


def test_unknown_fields_are_ignored():
    conn = ServerConnection()
    msg = conn.receive(msgpack.packb({"type": "hello", "future": {"x": 1}, "face": {"fps": 30, "extra": True}}))
    assert isinstance(msg, m.Hello) and msg.face.fps == 30


def test_error_carries_the_id_of_the_message_that_caused_it():
    with pytest.raises(Exception) as info:
        unpack_map(msgpack.packb({"id": "abc", "type": 5}))
    assert info.value.reply_to == "abc"


def test_client_connection_tracks_the_welcome():
    client = ClientConnection()
    client.hello(sample_rate=24000, fps=30)
    sent = decode_any(client.data_to_send()[0])
    assert isinstance(sent, m.Hello) and sent.audio.sample_rate == 24000 and sent.face.fps == 30
    welcome = examples()["welcome"]
    client.receive(encode(welcome))
    assert client.state == "open" and client.session == "s1" and client.sample_rate == 48000
    assert client.channels == FRAME_CHANNELS


def _welcome_map(**changes) -> dict:
    """The golden welcome as a plain map, with ``changes`` applied (None deletes a key)."""
    raw = unpack_map(encode(examples()["welcome"]))
    for key, value in changes.items():
        if value is None:
            raw.pop(key)
        else:
            raw[key] = value
    return raw


def test_welcome_of_an_older_v1_daemon_without_catalog_or_features_decodes():
    msg = decode_any(msgpack.packb(_welcome_map(voice_catalog=None, features=None), use_bin_type=True))
    assert isinstance(msg, m.Welcome) and msg.voices == ["en_US-joe-medium", "ef_dora"]
    assert msg.voice_catalog == [] and msg.features is None


def test_client_refuses_a_welcome_of_another_protocol_naming_both_versions():
    conn = ClientConnection()
    conn.hello()
    with pytest.raises(ProtocolError) as err:
        conn.receive(msgpack.packb(_welcome_map(protocol=2), use_bin_type=True))
    assert err.value.code == ErrorCode.UNSUPPORTED_VERSION
    assert "protocol 2" in err.value.message and "protocol 1" in err.value.message
    assert conn.state != "open" and conn.welcome is None


def test_mic_end_is_accepted_where_mic_is():
    conn = ServerConnection()
    assert conn.receive(encode(m.MicEnd(id="e1"))) is None
    assert _error(conn).code == "hello_required"
    conn.receive(encode(m.Hello(id="h")))
    conn.accept(examples()["welcome"])
    conn.data_to_send()
    client = ClientConnection()
    msg_id = client.mic_end()
    got = conn.receive(client.data_to_send()[0])
    assert isinstance(got, m.MicEnd) and got.id == msg_id and conn.data_to_send() == []


def test_blend_ids_parse_and_normalise():
    from faceplex.protocol.voices import parse_voice_id

    assert parse_voice_id("en_US-joe-medium") == [("en_US-joe-medium", 1.0)]
    assert parse_voice_id("af_bella*0.6+am_adam*0.4") == [("af_bella", 0.6), ("am_adam", 0.4)]
    assert parse_voice_id("af_bella*3+am_adam*1") == [("af_bella", 0.75), ("am_adam", 0.25)]
    assert parse_voice_id("af_bella*2") == [("af_bella", 1.0)]
    for bad in ("", "af_bella*0.6+", "af_bella*0+am_adam*1", "af_bella*-1+am_adam*1", "af_bella+am_adam",
                "af_bella*x", "*0.5+am_adam*0.5", "af_bella*nan+am_adam*1", "af_bella*1e3+am_adam*1", "af_bella* 0.5"):
        with pytest.raises(ProtocolError) as err:
            parse_voice_id(bad, reply_to="c1")
        assert err.value.code == ErrorCode.INVALID_VOICE and err.value.reply_to == "c1", bad
