"""The real daemon over a real loopback WebSocket with the real voice (no mocks)."""

from __future__ import annotations

import asyncio
import socket

import msgpack
import numpy as np
import pytest
from websockets.asyncio.client import connect

from conftest import TOKEN, assert_lips_shut_near_pbm

from faceplex.bridge.client import FacePlexClient
from faceplex.protocol import messages as m
from faceplex.protocol.codec import encode
from faceplex.protocol.names import CHANNEL_INDEX, FRAME_CHANNELS

LINE = "Peter bought a big map of Bombay, and maybe more."


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def frame_sample(n: int, sr: int, fps: int) -> int:
    return n * sr // fps


async def _speak(url: str, text: str, sr: int = 48000, fps: int = 60):
    async with FacePlexClient(url, sample_rate=sr, fps=fps) as client:
        rec = await client.speak(text)
        return client, rec


# ----------------------------------------------------------------------------- handshake
@pytest.mark.parametrize("sr", [16000, 22050, 24000, 44100, 48000])
@pytest.mark.parametrize("fps", [30, 60])
def test_welcome_names_channels_and_negotiated_formats(daemon, sr, fps):
    async def go():
        async with FacePlexClient(daemon.url, sample_rate=sr, fps=fps) as client:
            w = client.welcome
            assert (w.audio.sample_rate, w.audio.channels, w.audio.format) == (sr, 1, "pcm_s16le")
            assert w.face.fps == fps and tuple(w.face.channels) == FRAME_CHANNELS
            assert "en_US-joe-medium" in w.voices and w.config["lead_ms"] == 150  # + the cast where installed
            first = await client.wait_for(lambda x: isinstance(x, m.Face))
            assert first.msg.frame == 0 and first.msg.sample == 0 and first.msg.utt is None
    run(go())


def test_ready_line_names_port_and_pid(daemon):
    assert daemon.ready["port"] == daemon.port > 0
    assert daemon.ready["pid"] == daemon.proc.pid


# ----------------------------------------------------------------------------- idle
def test_idle_face_flows_paced_and_never_frozen(daemon):
    async def go():
        async with FacePlexClient(daemon.url, sample_rate=24000, fps=30) as client:
            await asyncio.sleep(2.0)
            faces = [r for r in client.log if isinstance(r.msg, m.Face)]
            frames = [r.msg.frame for r in faces]
            assert frames == list(range(len(frames)))
            # paced: about 2 s of frames plus at most the lead, not a burst
            assert 50 <= len(frames) <= 2.0 * 30 + 30 * 0.15 + 3
            values = np.array([r.msg.values for r in faces])
            head_eye = values[:, 52:]
            assert np.all(head_eye.std(axis=0)[[0, 1, 3]] > 1e-4)  # head yaw/pitch, eye yaw move
            assert np.all((values[:, :52] >= 0) & (values[:, :52] <= 1))
    run(go())


# ----------------------------------------------------------------------------- speech
@pytest.mark.parametrize("sr, fps", [(48000, 60), (22050, 30), (16000, 60)])
def test_say_streams_audio_and_frames_covering_every_sample(daemon, sr, fps):
    async def go():
        client, rec = await _speak(daemon.url, LINE, sr, fps)
        assert rec.outcome == "finished" and not rec.errors
        # audio: contiguous chunks from start to end
        pos = rec.start
        for chunk in rec.audio_chunks:
            assert chunk.sample == pos
            pos += len(chunk.pcm) // 2
        assert pos == rec.end and rec.audio.shape[0] == rec.end - rec.start > sr
        seqs = [c.seq for c in rec.audio_chunks]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        # face: every frame whose sample lies in [start, end) arrived, tagged with the utterance
        faces = [r.msg for r in client.log if isinstance(r.msg, m.Face)]
        assert [f.frame for f in faces] == list(range(len(faces)))  # whole session: monotonic, no gaps
        for f in faces:
            assert f.sample == frame_sample(f.frame, sr, fps) and f.seq == f.frame
            assert (f.utt == rec.utt) == (rec.start <= f.sample < rec.end)
        expected = [n for n in range(len(faces) + 1000) if rec.start <= frame_sample(n, sr, fps) < rec.end]
        assert [f.frame for f in faces if f.utt == rec.utt] == expected
        # lockstep order: a speech frame never arrives before the audio covering it
        audio_end = rec.start
        for r in client.log:
            if isinstance(r.msg, m.Audio) and r.msg.utt == rec.utt:
                audio_end = r.msg.sample + len(r.msg.pcm) // 2
            elif isinstance(r.msg, m.Face) and r.msg.utt == rec.utt:
                assert r.msg.sample < audio_end
        # real speech, not silence
        assert np.abs(rec.audio.astype(np.float32)).mean() > 300
    run(go())


def test_marks_tile_the_utterance_and_name_the_words(daemon):
    async def go():
        _, rec = await _speak(daemon.url, LINE)
        phones = [mk for mk in rec.marks if mk.kind == "phoneme"]
        words = [mk for mk in rec.marks if mk.kind == "word"]
        assert [w.text for w in words] == ["Peter", "bought", "a", "big", "map", "of", "Bombay", "and", "maybe", "more"]
        assert phones[0].sample == rec.start and phones[-1].end <= rec.end
        assert all(a.end == b.sample for a, b in zip(phones, phones[1:])) or rec.end > phones[-1].end
        assert all(rec.start <= w.sample < w.end <= rec.end for w in words)
        assert {p.viseme for p in phones if p.text in ("p", "b", "m")} == {"PP"}
    run(go())


@pytest.mark.parametrize("fps", [60, 30])
def test_lips_shut_within_one_frame_of_every_aligned_pbm(daemon, fps):
    async def go():
        sr = 48000
        _, rec = await _speak(daemon.url, "Bob, my mum bought a big map of Bombay. Maybe pop by?", sr, fps)
        assert assert_lips_shut_near_pbm(rec, sr, fps) >= 10
        assert len(set(rec.frame_samples)) == len(rec.frames)
    run(go())


def test_open_vowels_open_the_jaw(daemon):
    async def go():
        _, rec = await _speak(daemon.url, "Ah, father saw a large bath.")
        jaw = np.asarray(rec.frames)[:, CHANNEL_INDEX["jawOpen"]]
        assert jaw.max() > 0.25 and jaw.min() < 0.1
    run(go())


# ----------------------------------------------------------------------------- control
def test_cancel_mid_utterance_stops_everything_of_it(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as client:
            utt, t = await client.say("This is a long sentence that keeps going for quite a while, so that we can "
                                      "cancel it in the middle without any trouble at all.")
            await client.wait_for(lambda x: isinstance(x, m.Audio) and x.sample - 0 > 0 and x.utt == utt)
            await asyncio.sleep(0.6)
            await client.cancel(utt)
            ev = await client.wait_for(lambda x: isinstance(x, m.UtteranceCancelled))
            cancelled_at = len(client.log)
            assert ev.msg.utt == utt and ev.msg.reason == "client" and ev.msg.reply_to == f"cancel-{utt}"
            audio = [r.msg for r in client.log[:cancelled_at] if isinstance(r.msg, m.Audio) and r.msg.utt == utt]
            sent = sum(len(a.pcm) // 2 for a in audio)
            assert ev.msg.samples == sent and ev.msg.sample == audio[-1].sample + len(audio[-1].pcm) // 2
            assert 0.3 * 48000 < sent < 2.5 * 48000  # stopped mid-way, at most the lead ahead of the clock
            await asyncio.sleep(0.5)
            after = client.log[cancelled_at:]
            assert not any(getattr(r.msg, "utt", None) == utt for r in after)
            assert any(isinstance(r.msg, m.Face) and r.msg.utt is None for r in after)  # idle goes on
            # the face eases to rest: mouth nearly closed 150 ms after the cut
            faces = [r.msg for r in after if isinstance(r.msg, m.Face)]
            later = [f for f in faces if f.sample >= ev.msg.sample + 0.15 * 48000]
            assert later and later[0].values[CHANNEL_INDEX["jawOpen"]] < 0.1
            rec = await client.speak("And now something else.")
            assert rec.outcome == "finished" and rec.start >= ev.msg.sample
    run(go())


def test_cancel_all_cancels_current_and_queued(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as client:
            a, _ = await client.say("First line that is long enough to still be playing.")
            b, _ = await client.say("Second line, queued.")
            await client.wait_for(lambda x: isinstance(x, m.UtteranceStarted) and x.utt == a)
            await client.cancel(None)
            got = {(await client.wait_for(lambda x: isinstance(x, m.UtteranceCancelled))).msg.utt for _ in range(2)}
            assert got == {a, b}
    run(go())


def test_utterances_queue_back_to_back_on_the_timeline(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as client:
            a, ta = await client.say("One.")
            b, tb = await client.say("Two.")
            ra = await client.collect(a, ta)
            rb = await client.collect(b, tb)
            assert ra.outcome == rb.outcome == "finished"
            # Queued on the timeline after the first, starting on a frame boundary (at the next one
            # when its audio is ready by then: how soon is the bench's figure, not a test limit,
            # issue 12: it failed on a loaded machine).
            assert ra.end <= rb.start and rb.start % (48000 // 60) == 0
    run(go())


def test_append_mode_speaks_clause_by_clause_before_the_text_is_final(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as client:
            tokens = "Sure, let me think about that for a moment. The answer is forty two. That is all.".split(" ")
            utt = "llm"
            await client.say(tokens[0] + " ", utt=utt, final=False)
            first_audio_before_final = False
            for tok in tokens[1:]:
                await client.say(tok + " ", utt=utt, append=True, final=False)
                await asyncio.sleep(0.12)
                first_audio_before_final |= any(isinstance(r.msg, m.Audio) and r.msg.utt == utt for r in client.log)
            t = await client.send(m.Say(utt=utt, text="", append=True, final=True))
            rec = await client.collect(utt, t)
            rec.audio_chunks = [r.msg for r in client.log if isinstance(r.msg, m.Audio) and r.msg.utt == utt]
            assert first_audio_before_final and rec.outcome == "finished"
            words = [r.msg.text for r in client.log if isinstance(r.msg, m.Mark) and r.msg.kind == "word" and r.msg.utt == utt]
            assert words[:3] == ["Sure", "let", "me"] and words[-2:] == ["is", "all"]
            assert sum(len(a.pcm) // 2 for a in rec.audio_chunks) == rec.end - [
                r.msg.sample for r in client.log if isinstance(r.msg, m.UtteranceStarted) and r.msg.utt == utt][0]
    run(go())


def test_config_is_a_partial_merge_answered_with_the_full_config(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as client:
            cfg = await client.configure(lead_ms=300, expressiveness=1.5)
            assert cfg["lead_ms"] == 300 and cfg["expressiveness"] == 1.5
            assert cfg["audio_chunk_ms"] == 40 and cfg["voice"] == "en_US-joe-medium" and len(cfg) == 22
            with pytest.raises(ValueError, match="invalid_config"):
                await client.configure(lead_ms=5)
            with pytest.raises(ValueError, match="invalid_config"):
                await client.configure(no_such_setting=1)
            assert (await client.configure())["lead_ms"] == 300  # unchanged by the rejected updates
    run(go())


def test_audio_chunk_setting_sets_chunk_length(daemon):
    async def go():
        async with FacePlexClient(daemon.url, sample_rate=16000) as client:
            await client.configure(audio_chunk_ms=20)
            rec = await client.speak("Short chunks.")
            sizes = [len(c.pcm) // 2 for c in rec.audio_chunks]
            assert set(sizes[:-1]) == {320} and 0 < sizes[-1] <= 320
    run(go())


def test_ping_answers_both_clocks_and_the_reported_playback_position(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as client:
            rtt, pong = await client.ping()
            assert rtt < 1.0 and pong.played is None and pong.client_time_us > 0 and pong.sample >= 0
            await client.send(m.Playback(utt=None, sample=4800, client_time_us=1))
            await client.send(m.Playback(utt=None, sample=2400, client_time_us=2))  # stale: ignored
            _, pong = await client.ping()
            assert pong.played == 4800
    run(go())


# ----------------------------------------------------------------------------- bad input
BAD_INPUTS = [
    ("malformed_msgpack", b"\xc1\xc1\xc1"),
    ("malformed_message", msgpack.packb("just a string")),
    ("unknown_type", msgpack.packb({"type": "dance", "id": "b1"})),
    ("invalid_field", msgpack.packb({"type": "say", "id": "b1", "utt": 7, "text": "hi"})),
    ("message_too_large", encode(m.Say(id="b1", utt="big", text="x" * 70000))),
    ("empty_text", encode(m.Say(id="b1", utt="e", text="  ...  "))),
    ("text_too_long", encode(m.Say(id="b1", utt="l", text="word " * 500))),
    ("unknown_voice", encode(m.Say(id="b1", utt="v", text="hi", voice="nobody"))),
    ("invalid_style", encode(m.Say(id="b1", utt="s", text="hi", style=m.Style(speed=9.0)))),
    ("unknown_utterance", encode(m.Cancel(id="b1", utt="nope"))),
    ("unknown_utterance", encode(m.Say(id="b1", utt="nope", text="more", append=True))),
    ("text_frame", "hello as text"),
    ("invalid_field", encode(m.Say(id="b1", utt="n", text="null\x00byte"))),
    ("invalid_field", msgpack.packb({"type": "say", "id": "b1", "utt": "", "text": "hi"})),
    ("invalid_field", msgpack.packb({"type": "config", "id": "b1"})),
    ("empty_text", encode(m.Say(id="b1", utt="under", text="_ _ _"))),
    ("invalid_config", encode(m.Config(id="b1", settings={"voice": "nobody"}))),
    ("invalid_voice", encode(m.Say(id="b1", utt="ev", text="hi", voice=""))),
    ("invalid_voice", encode(m.Config(id="b1", settings={"voice": ""}))),
    ("invalid_config", encode(m.Config(id="b1", settings={"transcription_language": "xx"}))),
    ("duplicate_hello", encode(m.Hello(id="b1", token=TOKEN))),
]


@pytest.mark.parametrize("code, data", BAD_INPUTS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(BAD_INPUTS)])
def test_bad_input_gets_a_coded_error_and_the_session_stays_open(daemon, code, data):
    async def go():
        async with FacePlexClient(daemon.url) as client:
            await client.send_raw(data)
            err = await client.wait_for(lambda x: isinstance(x, m.Error))
            assert err.msg.code == code
            if code not in ("malformed_msgpack", "malformed_message", "text_frame", "message_too_large"):
                assert err.msg.reply_to == "b1"
            rtt, _ = await client.ping()  # still open and answering
            rec = await client.speak("Still here.")
            assert rec.outcome == "finished"
    run(go())


def test_an_empty_voice_or_an_unknown_language_is_refused_and_changes_nothing(daemon):
    """``say.voice: ""`` was spoken with the session's voice and ``transcription_language: "xx"``
    (a language no transcription model knows) was taken silently; both are refused now, with
    the reason, and the session's settings stay as they were."""
    async def go():
        async with FacePlexClient(daemon.url) as client:
            before = await client.configure()
            await client.send(m.Say(id="s", utt="empty", text="Hello there.", voice=""))
            err = (await client.wait_for(lambda x: isinstance(x, m.Error) and x.reply_to == "s")).msg
            assert err.code == "invalid_voice" and "empty voice id" in err.message
            for settings, code, says in (({"voice": ""}, "invalid_voice", "empty voice id"),
                                         ({"voice": " "}, "invalid_voice", "empty voice id"),
                                         ({"transcription_language": "xx"}, "invalid_config", "transcription_language"),
                                         ({"transcription_language": "xx-YY", "lead_ms": 300}, "invalid_config",
                                          "not a language the transcription models know")):
                with pytest.raises(ValueError, match=code) as exc:
                    await client.configure(**settings)
                assert says in str(exc.value)
            assert await client.configure() == before
            assert (await client.configure(transcription_language="pt-BR"))["transcription_language"] == "pt-BR"
            assert not [r for r in client.log if isinstance(r.msg, m.UtteranceStarted) and r.msg.utt == "empty"]
            rec = await client.speak("Still here.")
            assert rec.outcome == "finished"
    run(go())


@pytest.mark.parametrize("hello, code", [
    (m.Hello(id="h", audio=m.AudioFormat(sample_rate=32000), token=TOKEN), "unsupported_sample_rate"),
    (m.Hello(id="h", face=m.FaceFormat(fps=25), token=TOKEN), "unsupported_fps"),
    (m.Hello(id="h", protocol=9, token=TOKEN), "unsupported_version"),
])
def test_unsupported_hello_is_refused_and_a_good_hello_still_works(daemon, hello, code):
    async def go():
        async with connect(daemon.url) as ws:
            await ws.send(encode(m.Say(id="early", utt="u", text="hi")))
            assert msgpack.unpackb(await ws.recv())["code"] == "hello_required"
            await ws.send(encode(hello))
            reply = msgpack.unpackb(await ws.recv())
            assert (reply["type"], reply["code"], reply["reply_to"]) == ("error", code, "h")
            await ws.send(encode(m.Hello(id="ok", token=TOKEN)))
            assert msgpack.unpackb(await ws.recv())["type"] == "welcome"
    run(go())


def test_duplicate_live_utterance_id_is_an_error(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as client:
            await client.say("A fairly long first line to keep it busy.", utt="same")
            await client.send(m.Say(id="dup", utt="same", text="again"))
            err = await client.wait_for(lambda x: isinstance(x, m.Error))
            assert (err.msg.code, err.msg.reply_to) == ("duplicate_utterance", "dup")
    run(go())


def test_bad_input_in_one_session_goes_unnoticed_by_another(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as bystander, FacePlexClient(daemon.url) as vandal:
            utt, t = await bystander.say(LINE)
            for _, data in BAD_INPUTS:
                await vandal.send_raw(data)
            errors = [await vandal.wait_for(lambda x: isinstance(x, m.Error)) for _ in BAD_INPUTS]
            assert len(errors) == len(BAD_INPUTS)
            rec = await bystander.collect(utt, t)
            assert rec.outcome == "finished" and not any(isinstance(r.msg, m.Error) for r in bystander.log)
            assert sum(len(c.pcm) // 2 for c in rec.audio_chunks) == rec.end - rec.start
    run(go())


def test_oversized_websocket_message_closes_only_that_connection(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as bystander:
            async with connect(daemon.url, max_size=None) as ws:
                await ws.send(b"\x00" * (2 << 20))
                with pytest.raises(Exception):
                    for _ in range(100):
                        await asyncio.wait_for(ws.recv(), 5)
                assert ws.close_code == 1009
            rec = await bystander.speak("Unbothered.")
            assert rec.outcome == "finished"
    run(go())


# ----------------------------------------------------------------------------- slow clients
def test_stalled_client_never_delays_another_session_and_is_cancelled_after_the_timeout(daemon):
    async def go():
        # A client with a tiny receive buffer that stops reading after the handshake.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", daemon.port))
        stalled = FacePlexClient(daemon.url)
        stalled.ws = await connect(daemon.url, sock=sock, max_queue=1, compression=None)
        await stalled.ws.send(encode(m.Hello(id="h", token=TOKEN)))
        assert msgpack.unpackb(await stalled.ws.recv())["type"] == "welcome"
        await stalled.ws.send(encode(m.Config(settings={"max_backlog_ms": 300, "stall_timeout_ms": 1500})))
        await stalled.ws.send(encode(m.Say(utt="slow", text="I am talking to someone who is not listening at all. " * 6)))
        # ... and does not read. Meanwhile a healthy session speaks and must be unaffected.
        await asyncio.sleep(1.0)
        async with FacePlexClient(daemon.url) as healthy:
            rec = await healthy.speak(LINE)
            assert rec.outcome == "finished"
            # Behaviour, not wall-clock (issue 12: the 0.5 s first-audio limit failed on a loaded
            # machine; latency under contention is bench/bench_daemon.py --load): the healthy
            # session's audio is complete and contiguous, and its speech carries no silence of
            # its own the voice did not speak while the stalled session is held back.
            chunks = [r.msg for r in healthy.log if isinstance(r.msg, m.Audio) and r.msg.utt == rec.utt]
            assert chunks[0].sample == rec.start
            assert all(a.sample + len(a.pcm) // 2 == b.sample for a, b in zip(chunks, chunks[1:]))
            assert chunks[-1].sample + len(chunks[-1].pcm) // 2 == rec.end
        await asyncio.sleep(1.0)
        # Now read: the daemon gave up on the stalled utterance and resynchronised the idle face.
        msgs = []
        while True:
            try:
                msgs.append(msgpack.unpackb(await asyncio.wait_for(stalled.ws.recv(), 2.0)))
            except asyncio.TimeoutError:
                break
            if msgs[-1]["type"] == "utterance_cancelled":
                break
        cancel = [x for x in msgs if x["type"] == "utterance_cancelled"]
        assert cancel and cancel[0]["reason"] == "client_too_slow" and cancel[0]["utt"] == "slow"
        for _ in range(30):
            msgs.append(msgpack.unpackb(await asyncio.wait_for(stalled.ws.recv(), 2.0)))
        frames = [x["frame"] for x in msgs if x["type"] == "face"]
        assert any(b - a > 1 for a, b in zip(frames, frames[1:]))  # skipped, not burst-replayed
        assert all(b > a for a, b in zip(frames, frames[1:]))
        await stalled.ws.close()
    run(go())


def test_several_sessions_speak_at_once_in_real_time(daemon):
    async def go():
        clients = [FacePlexClient(daemon.url) for _ in range(6)]
        for c in clients:
            await c.connect()
        try:
            recs = await asyncio.gather(*(c.speak(f"Session number {i} is speaking right now.") for i, c in enumerate(clients)))
            for c, rec in zip(clients, recs):
                assert rec.outcome == "finished" and rec.audio.shape[0] == rec.end - rec.start
            assert len({c.welcome.session for c in clients}) == 6
        finally:
            for c in clients:
                await c.close()
    run(go())


def test_style_expressiveness_applies_to_that_utterance_only(daemon):
    async def go():
        async with FacePlexClient(daemon.url) as client:
            line = "Well, I really do think this is a remarkable idea, my friend!"
            calm = await client.speak(line, style=m.Style(expressiveness=0.0))
            lively = await client.speak(line, style=m.Style(expressiveness=2.0))
            brow = CHANNEL_INDEX["browInnerUp"]
            assert np.abs(calm.face[:, 52:55]).max() == 0.0 and calm.face[:, brow].max() == 0.0
            assert lively.face[:, 52:55].std(axis=0).min() > 1e-3 and lively.face[:, brow].max() > 0.05
            jaw = CHANNEL_INDEX["jawOpen"]
            assert calm.face[:, jaw].max() > 0.2  # articulation is not scaled
            await asyncio.sleep(0.3)
            idle = [r.msg for r in client.log if isinstance(r.msg, m.Face) and r.msg.sample >= lively.end]
            assert np.abs(np.array([f.values[52:55] for f in idle])).max() > 0  # back to the session's 1.0
    run(go())


# ----------------------------------------------------------------------------- emotion
def test_emotion_per_utterance_and_per_session_reaches_the_face(daemon):
    """style.emotion shapes the utterance's frames (p/b/m still sealed); the emotion setting
    shapes the idle face and eases in (no jump); a neutral utterance after it returns the mood."""
    async def go():
        sr, fps = 48000, 60
        async with FacePlexClient(daemon.url, sample_rate=sr, fps=fps) as client:
            text = "Bob, my mum bought a big map of Bombay."
            plain = await client.speak(text)
            happy = await client.speak(text, style=m.Style(emotion="happy", emotion_intensity=1.0))
            assert happy.outcome == plain.outcome == "finished"
            smile = CHANNEL_INDEX["cheekSquintLeft"]
            fp, fh = np.array(plain.frames), np.array(happy.frames)
            assert fh[len(fh) // 2:, smile].mean() > fp[len(fp) // 2:, smile].mean() + 0.1
            assert assert_lips_shut_near_pbm(happy, sr, fps) >= 6
            await client.configure(emotion="sad", emotion_intensity=1.0)
            await asyncio.sleep(1.2)
            idle = [np.array(r.msg.values) for r in client.log if isinstance(r.msg, m.Face) and r.msg.utt is None]
            brow = CHANNEL_INDEX["browInnerUp"]
            trace = np.array([v[brow] for v in idle[-90:]])
            assert trace[-1] > 0.4
            assert np.abs(np.diff(trace)).max() < 0.1
    run(go())
