"""Helpers for full-duplex tests and the bench: a simulated player (Piper speech as the partner)
streaming a microphone in real time, optionally with the avatar's own voice leaking in."""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Optional

import numpy as np
import soxr

from faceplex.models.speech.piper_voice import Voice
from faceplex.protocol import messages as m

MIC_CHUNK_S = 0.032


@functools.lru_cache(maxsize=16)
def partner_speech(text: str, rate: int = 48000, speed: float = 1.15) -> np.ndarray:
    """The partner's line: the Piper voice at another speed (a second 'voice'), float32 at ``rate``,
    trimmed of leading silence (so onset = sample 0 within ~10 ms). Piper's sampling noise is off,
    so every run hears the same line (its pauses vary from run to run otherwise)."""
    chunks = list(Voice.default().synthesize(text, speed=speed, noise=False))
    x = np.concatenate([c.audio for c in chunks]).astype(np.float32) / 32768.0
    x = soxr.resample(x, Voice.default().sample_rate, rate, quality="VHQ")
    on = np.flatnonzero(np.abs(x) > 0.02)
    return x[on[0]:] if len(on) else x


class MicSim:
    """Streams the microphone of ``client`` in real time: partner speech at given times (s after
    :meth:`start`), plus the avatar's own received audio at ``echo_db`` (None: no echo) delayed by
    ``echo_delay_s`` from the daemon's clock (a speaker-to-microphone path)."""

    def __init__(self, client, rate: int = 48000, channels: int = 1, echo_db: Optional[float] = None,
                 echo_delay_s: float = 0.08, declared: Optional[tuple[int, int]] = None, playback: bool = True):
        self.client, self.rate, self.channels = client, rate, channels
        self.echo_gain = None if echo_db is None else 10 ** (echo_db / 20)
        self.echo_delay_s = echo_delay_s
        self.declared = declared or (rate, channels)
        self.playback = playback
        self.lines: list[tuple[float, np.ndarray]] = []
        self.sent_samples = 0
        self.t_start = 0.0
        self._task = None
        self.onsets: list[float] = []     # perf_counter time each partner line starts in the mic

    def say_at(self, t: float, text: str, speed: float = 1.15) -> np.ndarray:
        x = partner_speech(text, self.rate, speed)
        self.lines.append((t, x))
        return x

    def _own_audio(self, pos_out: int, n_out: int) -> np.ndarray:
        """The avatar's received audio on the timeline [pos_out, pos_out + n_out) (zeros elsewhere)."""
        out = np.zeros(n_out, dtype=np.float32)
        for r in self.client.log:
            msg = r.msg
            if isinstance(msg, m.Audio):
                a = np.frombuffer(msg.pcm, dtype="<i2").astype(np.float32) / 32768.0
                lo, hi = max(pos_out, msg.sample), min(pos_out + n_out, msg.sample + len(a))
                if hi > lo:
                    out[lo - pos_out:hi - pos_out] = a[lo - msg.sample:hi - msg.sample]
        return out

    async def run(self, duration: float) -> None:
        client = self.client
        sr_out = client.welcome.audio.sample_rate
        n = int(self.rate * MIC_CHUNK_S)
        self.t_start = t0 = time.perf_counter()
        # daemon clock estimate: sample 0 at welcome arrival
        t_welcome = client.t_welcome
        k = 0
        last_report = 0.0
        while True:
            t_chunk = t0 + (k + 1) * MIC_CHUNK_S
            now = time.perf_counter()
            if t_chunk > now:
                await asyncio.sleep(t_chunk - now)
            if t_chunk - t0 > duration:
                return
            x = np.zeros(n, dtype=np.float32)
            i0 = k * n
            for t_line, line in self.lines:
                s = int(t_line * self.rate)
                lo, hi = max(i0, s), min(i0 + n, s + len(line))
                if hi > lo:
                    x[lo - i0:hi - i0] += line[lo - s:hi - s]
                    if lo == s:
                        self.onsets.append(t0 + s / self.rate)
            clock = (t0 + k * MIC_CHUNK_S - t_welcome - self.echo_delay_s)
            if self.echo_gain is not None:
                pos = int(clock * sr_out)
                n_out = int(MIC_CHUNK_S * sr_out)
                own = self._own_audio(pos, n_out)
                own = soxr.resample(own, sr_out, self.rate) if sr_out != self.rate else own
                x[:len(own)] += self.echo_gain * own[:n]
            if self.playback and t_chunk - last_report >= 0.1:
                last_report = t_chunk
                played = max(0, int((t_chunk - t_welcome - 0.05) * sr_out))
                await client.send(m.Playback(sample=played, client_time_us=int(t_chunk * 1e6)))
            pcm = (np.clip(x, -1, 1) * 32767).astype("<i2")
            if self.channels > 1:
                pcm = np.repeat(pcm[:, None], self.channels, axis=1).reshape(-1)
            await client.send(m.Mic(sample_rate=self.declared[0], channels=self.declared[1], pcm=pcm.tobytes()))
            self.sent_samples += n
            k += 1
