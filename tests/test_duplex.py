"""Full duplex against the real daemon: the partner (Piper speech at another speed) talks into a
real-time microphone stream while the avatar speaks."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from faceplex.bridge.client import FacePlexClient
from faceplex.protocol import messages as m
from faceplex.protocol.names import CHANNEL_INDEX

from duplex_util import MicSim, partner_speech

LONG = ("Well, let me tell you about the old lighthouse on the northern cliffs. Every evening the keeper "
        "climbed the stairs, lit the great lamp and watched the ships pass by in the dark water below.")


def run(coro, timeout=90):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def _after(log, pred_first, pred):
    """Messages matching ``pred`` that arrived after the first one matching ``pred_first``."""
    idx = next(i for i, r in enumerate(log) if pred_first(r.msg))
    return [r.msg for r in log[idx + 1:] if pred(r.msg)]


async def _barge_in(url, interrupt_at=1.5, partner="Wait, stop, I have a question.", echo_db=-20.0, **cfg):
    client = FacePlexClient(url, sample_rate=48000, fps=60)
    await client.connect()
    await client.configure(min_interruption_ms=cfg.pop("min_interruption_ms", 300), **cfg)
    mic = MicSim(client, echo_db=echo_db)
    line = mic.say_at(interrupt_at, partner)
    utt, _ = await client.say(LONG)
    await client.wait_for(lambda x: isinstance(x, m.UtteranceStarted) and x.utt == utt)
    await mic.run(interrupt_at + len(line) / mic.rate + 0.8)
    return client, utt, mic


def test_barge_in_stops_the_utterance_and_reports_what_was_heard(daemon):
    async def go():
        client, utt, mic = await _barge_in(daemon.url)
        try:
            log = client.log
            kinds = [type(r.msg) for r in log]
            assert m.PartnerSpeechStarted in kinds and m.Interrupted in kinds
            ev = next(r for r in log if isinstance(r.msg, m.Interrupted))
            it = ev.msg
            start = next(r.msg.sample for r in log if isinstance(r.msg, m.UtteranceStarted) and r.msg.utt == utt)
            sent = sum(len(r.msg.pcm) // 2 for r in log if isinstance(r.msg, m.Audio) and r.msg.utt == utt)
            assert it.utt == utt and it.samples_sent == sent and it.sample == start + sent
            assert 0 < it.samples_played <= it.samples_sent
            # the words spoken are exactly the word marks that had fully played
            marks = [r.msg for r in log if isinstance(r.msg, m.Mark) and r.msg.utt == utt and r.msg.kind == "word"]
            heard = [w.text for w in marks if w.end <= start + it.samples_played]
            assert it.words_spoken == heard and it.text_spoken == " ".join(heard)
            # what was heard is the line's beginning (how much of it depends on the machine's speed)
            line = [w.text for w in marks]
            assert line[:3] == ["Well", "let", "me"] and it.words_spoken == line[:len(it.words_spoken)]
            # nothing of the old utterance after the event; it is closed as cancelled (interrupted)
            later = _after(log, lambda x: isinstance(x, m.Interrupted), lambda x: getattr(x, "utt", None) == utt)
            assert [type(x) for x in later] == [m.UtteranceCancelled] and later[0].reason == "interrupted"
            # the cut came after the partner began (how soon is bench/bench_duplex.py's figure:
            # a wall-clock bound here failed on a loaded machine)
            assert ev.t >= mic.onsets[0]
            assert it.samples_sent < 3.5 * 48000   # it was cut, not finished
            # the partner's stop is reported later
            stop = [r.msg for r in log if isinstance(r.msg, m.PartnerSpeechStopped)]
            assert len(stop) == 1 and stop[0].samples > 0.8 * 48000
        finally:
            await client.close()
    run(go())


def test_interrupt_a_then_say_b_animates_b_and_nothing_of_a(daemon):
    async def go():
        client, utt_a, mic = await _barge_in(daemon.url, partner="Stop!", min_interruption_ms=150)
        try:
            ev = next(r for r in client.log if isinstance(r.msg, m.Interrupted))
            utt_b, t_b = await client.say("Of course. What would you like to know?")
            rec = await client.collect(utt_b, t_b, timeout=30)
            assert rec.outcome == "finished"
            jaw = rec.face[:, CHANNEL_INDEX["jawOpen"]]
            assert jaw.max() > 0.2 and jaw.std() > 0.05            # B's face moves
            late_a = _after(client.log, lambda x: x is ev.msg,
                            lambda x: isinstance(x, (m.Audio, m.Face, m.Mark)) and x.utt == utt_a)
            assert late_a == []
            # B starts after A's cut on the timeline, frames stay gap-free
            assert rec.start >= ev.msg.sample
            frames = [r.msg.frame for r in client.log if isinstance(r.msg, m.Face)]
            assert frames == sorted(frames)
        finally:
            await client.close()
    run(go())


@pytest.mark.parametrize("playback", [True, False], ids=["echo_at_playback_position", "no_playback_reports"])
def test_own_voice_in_the_microphone_does_not_interrupt(daemon, playback):
    async def go():
        client = FacePlexClient(daemon.url, sample_rate=48000, fps=60)
        await client.connect()
        try:
            await client.configure(min_interruption_ms=200)
            utt, t = await client.say("I have been walking for days through the forest, and I am tired.")
            # with playback reports the gate looks at the output near the played position, without
            # them at the loudest output of the last 0.6 s
            mic = MicSim(client, echo_db=-20.0, playback=playback)
            task = asyncio.ensure_future(mic.run(4.5))
            rec = await client.collect(utt, t, timeout=30)
            await task
            assert rec.outcome == "finished"
            assert not [r for r in client.log if isinstance(r.msg, (m.PartnerSpeechStarted, m.Interrupted))]
            # the echo really was in the mic: the same stream with a partner line does trigger
        finally:
            await client.close()
    run(go())


def test_mic_48k_stereo_is_resampled_and_placed_on_the_timeline(daemon):
    async def go():
        client = FacePlexClient(daemon.url, sample_rate=24000, fps=30)
        await client.connect()
        try:
            await client.configure(vad_silence_ms=300)
            mic = MicSim(client, rate=48000, channels=2, playback=False)
            line = mic.say_at(0.5, "Hello there, can you hear me?")
            await mic.run(0.5 + len(line) / 48000 + 0.6)
            st = next(r for r in client.log if isinstance(r.msg, m.PartnerSpeechStarted))
            sp = next(r for r in client.log if isinstance(r.msg, m.PartnerSpeechStopped))
            onset_timeline = (mic.onsets[0] - client.t_welcome) * 24000
            assert abs(st.msg.sample - onset_timeline) < 0.15 * 24000
            assert abs(sp.msg.samples - len(line) / 2) < 0.25 * 24000   # speech length in output samples
            assert not [r for r in client.log if isinstance(r.msg, m.Error)]
        finally:
            await client.close()
    run(go())


def test_declared_format_mismatch_is_an_error_not_noise(daemon):
    async def go():
        client = FacePlexClient(daemon.url, sample_rate=48000, fps=60)
        await client.connect()
        try:
            # a byte count that is not whole stereo frames: rejected at once
            await client.send(m.Mic(id="odd", sample_rate=48000, channels=2, pcm=b"\x00\x01" * 3))
            err = await client.wait_for(lambda x: isinstance(x, m.Error), timeout=5)
            assert err.msg.code == "audio_format_mismatch" and err.msg.reply_to == "odd"
            # 48 kHz stereo declared as 16 kHz mono: the byte cadence gives it away
            mic = MicSim(client, rate=48000, channels=2, declared=(16000, 1), playback=False)
            mic.say_at(0.2, "Hello there, can you hear me? I am speaking quite clearly now.")
            await mic.run(2.0)
            errs = [r for r in client.log if isinstance(r.msg, m.Error)]
            assert len(errs) == 2 and errs[1].msg.code == "audio_format_mismatch"
            assert "16000" in errs[1].msg.message
            late = [r for r in client.log if r.t > errs[1].t and isinstance(r.msg, m.PartnerSpeechStarted)]
            assert late == []
        finally:
            await client.close()
    run(go())


def test_listening_face_follows_the_partner(daemon):
    async def go():
        async def session(with_partner: bool):
            client = FacePlexClient(daemon.url, sample_rate=24000, fps=30)
            await client.connect()
            await client.configure(seed=3)
            mic = MicSim(client, rate=24000, playback=False)
            if with_partner:
                mic.say_at(0.2, "I went to the market, and then, well, I saw something strange. A dragon!")
            await mic.run(4.0)
            await client.close()
            faces = np.array([r.msg.values for r in client.log if isinstance(r.msg, m.Face)])
            return client, faces

        quiet_client, quiet = await session(False)
        busy_client, busy = await session(True)
        n = min(len(quiet), len(busy))
        assert n > 90
        q, b = quiet[30:n], busy[30:n]
        brows = CHANNEL_INDEX["browInnerUp"]
        assert b[:, brows].max() > q[:, brows].max() + 0.05        # brows follow the partner's emphasis
        roll = CHANNEL_INDEX["headRoll"]
        assert b[:, roll].mean() > q[:, roll].mean() + 0.01        # attentive tilt while listening
        assert np.all(b[:, 52:].std(axis=0)[[0, 1]] > 1e-4)       # never frozen
        assert any(isinstance(r.msg, m.PartnerSpeechStarted) for r in busy_client.log)
    run(go())


def test_duck_policy_lowers_the_voice_while_the_partner_talks_and_does_not_interrupt(daemon):
    async def go():
        client, utt, mic = await _barge_in(daemon.url, interruption="duck", echo_db=None)
        try:
            log = client.log
            assert not any(isinstance(r.msg, (m.Interrupted, m.UtteranceCancelled)) for r in log)
            rec = await client.collect(utt, 0.0, timeout=30)
            assert rec.outcome == "finished"
            st = next(r.msg.sample for r in log if isinstance(r.msg, m.PartnerSpeechStarted))
            sp = next(r.msg.sample for r in log if isinstance(r.msg, m.PartnerSpeechStopped))
            chunks = [r.msg for r in log if isinstance(r.msg, m.Audio) and r.msg.utt == utt]

            def rms(lo, hi):
                parts = [np.frombuffer(c.pcm, "<i2").astype(np.float32) for c in chunks if lo <= c.sample < hi]
                return float(np.sqrt(np.mean(np.concatenate(parts) ** 2)))

            during = rms(st + 24000, sp)                 # after the duck took hold (lead + detection)
            before = rms(st - 48000, st)                 # the second before the partner spoke
            assert during < 0.5 * before, (during, before)   # ducked by ~12 dB, not silenced
            assert during > 0.05 * before
        finally:
            await client.close()
    run(go())


def test_listening_motion_is_deterministic_for_a_seed_and_follows_the_partner():
    from faceplex.models.face.animator import FaceAnimator

    line = partner_speech("Excuse me, could you tell me where the market is?", rate=16000)

    def listen(seed, partner=True):
        anim = FaceAnimator(60, seed=seed)
        if partner:
            anim.partner_turn("start", 0.5)
            for i in range(0, len(line), 640):  # 40 ms mic chunks
                anim.add_partner_audio(line[i:i + 640], 0.5 + i / 16000)
            anim.partner_turn("stop", 0.5 + len(line) / 16000)
        return anim.frames(0, int((1.0 + len(line) / 16000) * 60))

    a, b, c, idle = listen(3), listen(3), listen(4), listen(3, partner=False)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    upper = [CHANNEL_INDEX[n] for n in ("browInnerUp", "headPitch", "headRoll", "headYaw")]
    assert np.abs(a[:, upper] - idle[:, upper]).max() > 0.01   # listening differs from idle
    assert a[:, upper].std(axis=0).min() > 1e-4                # and never frozen


def test_misdeclared_mic_during_partner_speech_ends_the_turn_and_a_say_then_plays(daemon):
    """24 kHz audio labelled 48 kHz: it starts partner speech, then the cadence check rejects it
    (``audio_format_mismatch``). The turn it started must end (``partner_speech_stopped``) and a
    later ``say`` must play, also after correctly declared mic audio (issue 14: it was held forever)."""
    async def go():
        client = FacePlexClient(daemon.url, sample_rate=48000, fps=60)
        await client.connect()
        try:
            await client.configure(vad_silence_ms=2000)   # only the error can end this turn
            mic = MicSim(client, rate=24000, declared=(48000, 1), playback=False)
            mic.say_at(0.1, "Hello there, can you hear me? I am speaking quite clearly now, and for a while.")
            await mic.run(2.5)
            log = client.log
            started = [r for r in log if isinstance(r.msg, m.PartnerSpeechStarted)]
            errs = [r for r in log if isinstance(r.msg, m.Error)]
            assert started, "the mis-declared stream must have started partner speech (the bug's precondition)"
            assert [e.msg.code for e in errs] == ["audio_format_mismatch"]
            stopped = [r for r in log if isinstance(r.msg, m.PartnerSpeechStopped)]
            assert len(stopped) == 1 and started[0].t <= stopped[0].t <= errs[0].t
            assert stopped[0].msg.sample >= started[0].msg.sample
            # correctly declared audio of another format, silent: no new turn, and a say plays
            await MicSim(client, rate=16000, playback=False).run(0.5)
            utt, t = await client.say("Sorry, could you say that again?")
            rec = await client.collect(utt, t, timeout=60)
            assert rec.outcome == "finished" and len(rec.audio) > 0
        finally:
            await client.close()
    run(go())


def test_a_microphone_that_stops_mid_speech_does_not_hold_later_says(daemon):
    """The partner is speaking when the game stops sending ``mic`` (muted): the turn ends where
    the audio ended and a ``say`` plays."""
    async def go():
        client = FacePlexClient(daemon.url, sample_rate=48000, fps=60)
        await client.connect()
        try:
            await client.configure(vad_silence_ms=2000)
            mic = MicSim(client, rate=48000, playback=False)
            mic.say_at(0.1, "Hello there, can you hear me? I am speaking quite clearly now, and for a while.")
            await mic.run(1.2)   # stops in the middle of the line
            assert any(isinstance(r.msg, m.PartnerSpeechStarted) for r in client.log)
            utt, t = await client.say("Are you still there?")
            rec = await client.collect(utt, t, timeout=60)
            assert rec.outcome == "finished"
            stop = next(r for r in client.log if isinstance(r.msg, m.PartnerSpeechStopped))
            assert stop.msg.sample <= rec.start
        finally:
            await client.close()
    run(go())


def test_decimator_returns_nothing_for_an_empty_chunk_and_stays_continuous():
    from faceplex.bridge.listening.listener import _Decimator

    x = np.sin(np.arange(48000) * 2 * np.pi * 440 / 48000).astype(np.float32)
    one = _Decimator(3).resample_chunk(x)
    d = _Decimator(3)
    assert d.resample_chunk(np.zeros(0, np.float32)).shape == (0,)
    parts = [d.resample_chunk(x[:1000]), d.resample_chunk(x[1000:1000]), d.resample_chunk(x[1000:1001]),
             d.resample_chunk(np.zeros(0, np.float32)), d.resample_chunk(x[1001:])]
    assert np.array_equal(np.concatenate(parts), one) and len(one) == 16000
