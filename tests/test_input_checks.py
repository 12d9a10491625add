"""Input audio checks and limits (issues 13/14): float32 sent as PCM16, mic rate, queued lipsync."""

from __future__ import annotations

import asyncio
import functools

import numpy as np
import pytest
import soxr

from faceplex.bridge.client import FacePlexClient
from faceplex.bridge.listening.input_limits import MAX_SESSION_LIPSYNC_S, MicRateLimit
from faceplex.bridge.listening.listener import float32_suspect
from faceplex.models.speech.piper_voice import Voice
from faceplex.protocol import messages as m

from duplex_util import MicSim, partner_speech

TEXTS = ("Hello there, can you hear me? I am speaking quite clearly now.",
         "Bob, my mum bought a big map of Bombay. Maybe pop by?")


def run(coro, timeout=120):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@functools.lru_cache(maxsize=1)
def _speech() -> list[np.ndarray]:
    """Real speech (Piper, sampling noise off), float32 in (-1, 1) at 22050 Hz."""
    return [np.concatenate([c.audio for c in Voice.default().synthesize(t, noise=False)]).astype(np.float32) / 32768
            for t in TEXTS]


def _chunks(b: bytes, size: int) -> list[bytes]:
    return [b[i:i + size] for i in range(0, len(b) - size + 1, size)]


@pytest.mark.parametrize("rate", [16000, 24000, 48000])
@pytest.mark.parametrize("gain", [1.0, 0.01])
def test_float32_speech_is_recognised_and_pcm16_speech_is_not(rate, gain):
    """Every 32 ms chunk of float32 speech (also split in the middle of a float, also 40 dB
    down) is flagged; no chunk of the same speech as PCM16 (peak-normalised: its loud samples
    are the ones that could look like float exponents) is."""
    xs = [soxr.resample(x, 22050, rate) * gain for x in _speech()]
    size = int(0.032 * rate) * 2
    f32 = b"".join(x.astype("<f4").tobytes() for x in xs)
    i16 = b"".join((x / np.abs(x).max() * 0.99 * 32767).astype("<i2").tobytes() for x in xs)
    assert all(float32_suspect(c) for c in _chunks(f32, size))
    assert all(float32_suspect(c) for c in _chunks(f32[2:], size))
    verdicts = [float32_suspect(c) for c in _chunks(i16, size)]
    assert not any(verdicts) and verdicts.count(False) > 0.6 * len(verdicts)


def test_float32_check_leaves_noise_tones_and_silence_alone():
    rng = np.random.default_rng(0)
    t = np.arange(48000)
    for x in (rng.integers(-32768, 32767, 48000), 0.45 * 32767 * np.sin(t * 2 * np.pi * 440 / 48000),
              14000 * np.sign(np.sin(t * 2 * np.pi * 440 / 48000))):
        assert not any(float32_suspect(c) for c in _chunks(np.asarray(x).astype("<i2").tobytes(), 3072))
    assert all(float32_suspect(c) is None for c in _chunks(bytes(96000), 3072))   # silence: undecidable


def test_mic_rate_limit_is_a_token_bucket_that_ignores_the_declared_format():
    lim = MicRateLimit(rate=1.5, burst_s=3.0)
    t, admitted, reports = 0.0, 0.0, 0
    for _ in range(1000):          # 10 s of wall time, 0.1 s of audio every 10 ms: 10x real time
        ok, report = lim.admit(0.1, t)
        admitted += 0.1 if ok else 0.0
        reports += report
        t += 0.01
    assert 3.0 + 1.5 * 10 - 0.2 < admitted <= 3.0 + 1.5 * 10 + 1e-9
    assert reports > 0
    ok, _ = lim.admit(0.1, t + 1.0)   # back to real time: admitted again
    assert ok


def test_float32_mic_and_lipsync_are_refused_and_never_interrupt(daemon):
    async def go():
        client = FacePlexClient(daemon.url, sample_rate=48000, fps=60)
        await client.connect()
        try:
            await client.configure(min_interruption_ms=150)
            utt, t = await client.say("I have been walking for days through the forest, and I am tired of it.")
            await client.wait_for(lambda x: isinstance(x, m.UtteranceStarted) and x.utt == utt, timeout=60)
            # the partner's speech as float32 at 24 kHz, declared PCM16 48 kHz: the byte rate matches
            line = partner_speech("Wait, stop, I have a question for you.", rate=24000)
            n = int(0.032 * 24000)
            for i in range(0, len(line) - n, n):
                await client.send(m.Mic(sample_rate=48000, channels=1, pcm=line[i:i + n].astype("<f4").tobytes()))
                await asyncio.sleep(0.032)
            x = _speech()[1]
            await client.send(m.Lipsync(id="lf", utt="float", sample_rate=11025, channels=1,
                                        pcm=x[:11025].astype("<f4").tobytes(), text=None, final=True))
            rec = await client.collect(utt, t, timeout=60)
            assert rec.outcome == "finished"
            errs = [r.msg for r in client.log if isinstance(r.msg, m.Error)]
            assert [(e.code, e.reply_to) for e in errs] == [("audio_format_mismatch", None), ("audio_format_mismatch", "lf")]
            assert "float32" in errs[0].message and "float32" in errs[1].message
            assert not [r for r in client.log if isinstance(r.msg, (m.PartnerSpeechStarted, m.Interrupted))]
            assert not [r for r in client.log if getattr(r.msg, "utt", None) == "float"]
        finally:
            await client.close()
    run(go())


def test_mic_faster_than_real_time_is_refused_with_its_code_also_with_alternating_formats(daemon):
    """10 s of mic audio in ~1 s, the declared rate alternating 16/48 kHz every chunk (with the
    bytes to match each declaration): the session gets ``mic_rate_exceeded`` (the cadence check
    restarts with every format change; the rate limit does not) and keeps working."""
    async def go():
        client = FacePlexClient(daemon.url, sample_rate=48000, fps=60)
        await client.connect()
        try:
            line = {r: partner_speech("Hello there, can you hear me? I am speaking quite clearly now.", rate=r)
                    for r in (16000, 48000)}
            for k in range(300):                     # 300 x 32 ms = 9.6 s of audio
                r = (16000, 48000)[k % 2]
                n = int(0.032 * r)
                pcm = (line[r][k * n % (len(line[r]) - n):][:n] * 32767).astype("<i2").tobytes()
                await client.send(m.Mic(sample_rate=r, channels=1, pcm=pcm))
                if k % 10 == 9:
                    await asyncio.sleep(0.03)
            utt, t = await client.say("Sorry, what was that?")
            rec = await client.collect(utt, t, timeout=60)
            assert rec.outcome == "finished"
            codes = [r.msg.code for r in client.log if isinstance(r.msg, m.Error)]
            assert codes and set(codes) == {"mic_rate_exceeded"}
            assert len(codes) <= 3    # once per run of refused chunks, not per chunk
        finally:
            await client.close()
    run(go())


def test_queued_lipsync_audio_per_session_is_bounded(daemon):
    """Two open lipsync utterances of 100 s each: the chunk that would make the session hold
    more than MAX_SESSION_LIPSYNC_S of unsent lipsync audio is refused with ``lipsync_overflow``;
    cancelling frees the room."""
    async def go():
        client = FacePlexClient(daemon.url, sample_rate=48000, fps=60, validate=False)
        await client.connect()
        try:
            second = np.zeros(16000, "<i2").tobytes()      # 1 s at 16 kHz (32 KB per message)
            sent = 0
            for utt in ("a", "b"):
                for k in range(100):
                    await client.send(m.Lipsync(id=f"{utt}{k}", utt=utt, sample_rate=16000, channels=1, pcm=second,
                                                text=None, final=False))
                    sent += 1
            await client.send(m.Ping(id="sync", client_time_us=0))
            await client.wait_for(lambda x: isinstance(x, m.Pong) and x.reply_to == "sync", timeout=60)
            errs = [r.msg for r in client.log if isinstance(r.msg, m.Error)]
            assert errs and {e.code for e in errs} == {"lipsync_overflow"}
            first = int(errs[0].reply_to[1:]) + (100 if errs[0].reply_to[0] == "b" else 0)
            assert first == int(MAX_SESSION_LIPSYNC_S)      # chunk 181 (0-based 180) is the first refused
            await client.send(m.Cancel(id="c", utt=None))
            await client.send(m.Lipsync(id="again", utt="c", sample_rate=16000, channels=1, pcm=second,
                                        text=None, final=True))
            rec = await client.collect("c", 0.0, timeout=60)
            assert rec.outcome == "finished"
        finally:
            await client.close()
    run(go(), timeout=180)
