"""The partner's microphone: format checks, downmix + resampling to 16 kHz, Silero voice activity
with an echo gate, partner speech events on the session timeline (sans-I/O: the caller passes
the clocks).

Timeline placement: a ``mic`` chunk was captured just before it arrived, so the first chunk of a
stream is placed to end at the daemon's media clock when it arrives; later chunks follow
contiguously. A pause in the stream (no chunk for :data:`GAP_S`) re-anchors it.

Format checks (PROTOCOL.md §11): a byte length that is not a whole number of frames
(``channels * 2`` bytes) is an error at once; over :data:`CADENCE_MIN_S` of continuous streaming,
the audio arriving per wall second must match the declared rate x channels within
:data:`CADENCE_TOLERANCE` (catches mono sent as stereo and vice versa, 16 kHz sent as 48 kHz, ...).
Not detectable: rates within the tolerance of the declared one (44.1 vs 48 kHz), swapped or
identical stereo channels, a mic sent faster or slower than real time on purpose.

Echo gate: the daemon knows what it sent. A VAD window counts as speech only if the mic is
louder than the avatar's own output around that time minus :data:`ECHO_GATE_DB`. "Around that
time": with a fresh ``playback`` report the caller passes ``echo_lag`` (media clock - the
client's extrapolated playback position), so what the speaker played while the window was
captured lies near ``[a - echo_lag, b - echo_lag]``; the reference is the loudest 10 ms output bin
from :data:`ECHO_BEFORE_S` before to :data:`ECHO_AFTER_S` after that span (acoustic path, capture
buffering, report jitter). Without a fresh report: the loudest 10 ms of the last
:data:`ECHO_LOOKBACK_S`. (Gating by the 0.6 s maximum ignored a partner's quiet onset while the
avatar had been loud anywhere in the last 0.6 s.) Silero alone cannot tell: on the avatar's own voice mixed at -20 dB it
still reports p = 0.99998 (it is level-invariant), so a higher threshold would not help.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import soxr

from faceplex.models.audio.vad import VAD_RATE, WINDOW, SileroVad, VadSegmenter
from faceplex.protocol.errors import ErrorCode, ProtocolError

GAP_S = 0.3
CADENCE_MIN_S = 1.0
CADENCE_TOLERANCE = (0.7, 1.4)
#: Audio (s) that may arrive at once on top of real time without failing the upper bound: when
#: the daemon's loop (or the client) stalls past GAP_S, the chunks queued meanwhile arrive in a
#: burst right after the re-anchor and would read as a too-high rate (seen at load ~15: 1.44x,
#: 1.58x, 1.70x, the stream then ignored and no barge-in). A real 2x mismatch still fails.
CADENCE_BURST_S = 0.5
ECHO_GATE_DB = 12.0
ECHO_LOOKBACK_S = 0.6
ECHO_BEFORE_S = 0.12
ECHO_AFTER_S = 0.06
MIC_RATES = (8000, 192000)
MAX_CHANNELS = 8


class _Decimator:
    """Integer-ratio downsampler (32/48/96/192 kHz -> 16 kHz) that withholds nothing: a causal
    windowed-sinc low-pass (8 taps per output sample, cut-off 0.9 x 8 kHz) then every r-th
    sample. soxr's stream resamplers withhold 28-59 ms (HQ) or 2.5-8 ms (LQ) of output, so a VAD
    window is complete only with the next mic chunk; here it is complete with the chunk that
    ends it. The filter's own delay is (taps - 1) / 2 input samples (0.08 ms at 48 kHz)."""

    def __init__(self, ratio: int):
        self.r = ratio
        n = 8 * ratio + 1
        t = np.arange(n) - (n - 1) / 2
        h = np.sinc(0.9 * t / ratio) * np.hamming(n)
        self.h = (h / h.sum()).astype(np.float32)
        self._hist = np.zeros(n - 1, dtype=np.float32)
        self._phase = 0          # index in the next input chunk of the next kept sample

    def resample_chunk(self, x: np.ndarray) -> np.ndarray:
        if self.r == 1 or len(x) == 0:
            # (empty: ``np.convolve`` swaps its inputs when the buffer is shorter than the filter
            # and would return bogus samples)
            return np.asarray(x, dtype=np.float32)
        buf = np.concatenate([self._hist, np.asarray(x, dtype=np.float32)])
        y = np.convolve(buf, self.h, mode="valid")      # y[i] ends at input sample i of x
        out = y[self._phase::self.r]
        self._phase = (self._phase - len(x)) % self.r
        self._hist = buf[len(buf) - (len(self.h) - 1):]
        return out


def _vad_resampler(sample_rate: int):
    """Mic -> 16 kHz for the VAD without stream delay where possible (every barge-in waits for
    it): :class:`_Decimator` for integer ratios; otherwise soxr LQ when downsampling (2.5-8 ms
    withheld, enough passband for the VAD; HQ withholds 28-59 ms) and HQ when upsampling (8 kHz:
    LQ withholds 52 ms, HQ 18 ms)."""
    if sample_rate > VAD_RATE and sample_rate % VAD_RATE == 0:
        return _Decimator(sample_rate // VAD_RATE)
    if sample_rate == VAD_RATE:
        return _Decimator(1)
    q = "LQ" if sample_rate > VAD_RATE else "HQ"
    return soxr.ResampleStream(sample_rate, VAD_RATE, 1, dtype="float32", quality=q)


def check_pcm_format(pcm: bytes, sample_rate: int, channels: int, reply_to: Optional[str]) -> None:
    """Declared format sanity. Raises ProtocolError (unsupported / mismatch)."""
    if not MIC_RATES[0] <= sample_rate <= MIC_RATES[1] or not 1 <= channels <= MAX_CHANNELS:
        raise ProtocolError(ErrorCode.UNSUPPORTED_AUDIO_FORMAT,
                            f"input audio must be 8000-192000 Hz, 1-{MAX_CHANNELS} channels; got {sample_rate} Hz, {channels}", reply_to)
    if len(pcm) % (2 * channels):
        raise ProtocolError(ErrorCode.AUDIO_FORMAT_MISMATCH,
                            f"{len(pcm)} bytes is not a whole number of {channels}-channel PCM16 frames", reply_to)


#: Float-as-PCM16 check (:func:`float32_suspect`): 32-bit words needed for a decision, and the
#: share of them whose high 16 bits read as a float32 sign + exponent of audio in (-1, 1).
FLOAT_MIN_WORDS = 128
FLOAT_SHARE = 0.9
FLOAT_OTHER_MAX = 0.6
_EXP_LO, _EXP_HI = 96, 127     # float32 exponents of 2**-31 <= |x| < 1


def float32_suspect(pcm: bytes) -> Optional[bool]:
    """Do these "PCM16" bytes look like float32 samples (IEEE 754, little-endian)?

    In float32 audio each 4-byte word's high half holds the sign, the 8-bit exponent and 7
    mantissa bits; audio in (-1, 1) has exponents in a narrow band (2**-31 <= |x| < 1: 96-126),
    while the low half is mantissa noise. Read as PCM16, every second sample then falls in the
    band, the others do not. Real PCM16 puts only its loud samples there (|v| ~ 12 288-16 383
    and -20 480..-16 385). Returns True (float32), False (not), None (too little signal to tell:
    fewer than :data:`FLOAT_MIN_WORDS` non-zero words, e.g. digital silence). Both word phases
    are tried (a chunk may start in the middle of a float). Not detected: float data outside
    (-1, 1) scaled like integers, float64, and 8-bit or 24-bit data (see PROTOCOL.md §11)."""
    n = min(len(pcm) // 4, 8192)
    if n < FLOAT_MIN_WORDS // 2:
        return None
    half = np.frombuffer(pcm, dtype="<u2", count=2 * n)
    best = None
    for phase in (0, 1):
        hi, lo = half[1 - phase::2], half[phase::2]
        if phase:
            hi, lo = hi[:-1], lo[1:]
        nz = (hi != 0) | (lo != 0)
        k = int(nz.sum())
        if k < FLOAT_MIN_WORDS:
            continue
        e_hi = (hi[nz] >> 7) & 0xFF
        e_lo = (lo[nz] >> 7) & 0xFF
        share = float(np.mean((e_hi >= _EXP_LO) & (e_hi <= _EXP_HI)))
        other = float(np.mean((e_lo >= _EXP_LO) & (e_lo <= _EXP_HI)))
        verdict = share >= FLOAT_SHARE and other <= FLOAT_OTHER_MAX
        if verdict:
            return True
        best = False
    return best


def to_mono_float(pcm: bytes, channels: int) -> np.ndarray:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    return x.reshape(-1, channels).mean(axis=1) if channels > 1 else x


class MicFormatError(ProtocolError):
    """The cadence check failed. ``events``: the partner speech events the failure caused (the
    ``("stop", ...)`` of speech in progress), which the caller must still act on."""

    def __init__(self, err: ProtocolError, events: list[tuple]):
        super().__init__(err.code, err.message, err.reply_to)
        self.events = events


class MicListener:
    """One session's microphone stream -> partner speech events.

    :meth:`push` returns ``(events, partner_audio)``: events ``("start", sample)``,
    ``("confirmed", onset_sample)`` (the speech has lasted ``min_ms``), ``("stop", sample,
    samples)``, timeline samples at ``out_rate``; ``partner_audio`` is ``(x16k, start_sample)``.
    """

    def __init__(self, out_rate: int):
        self.out_rate = out_rate
        self.vad = SileroVad()
        self.seg = VadSegmenter()
        self._fmt: Optional[tuple[int, int]] = None
        self._faulted: Optional[tuple[int, int]] = None
        self._rs = None
        self._anchor = 0          # timeline sample of 16 kHz sample 0 of this anchor
        self._n16 = 0             # 16 kHz samples since the anchor
        self._pending = np.zeros(0, dtype=np.float32)   # 16 kHz samples not yet in a VAD window
        self._t_first = None
        self._frames_after_first = 0
        self._t_last = None
        self._onset: Optional[int] = None
        self._confirmed = False
        bin_len = max(1, out_rate // 100)
        self._bin_len = bin_len
        self._out_rms: dict[int, float] = {}      # 10 ms output bin -> RMS (int16 units)
        self.in_speech = False

    # ---------------------------------------------------------------- the avatar's own output
    def note_output(self, start: int, pcm: np.ndarray) -> None:
        """The daemon sent ``pcm`` (int16) at timeline ``start``: reference for the echo gate."""
        L = self._bin_len
        x = pcm.astype(np.float32)
        first = start // L
        for b in range(first, (start + len(x) + L - 1) // L):
            seg = x[max(0, b * L - start): max(0, (b + 1) * L - start)]
            if len(seg):
                self._out_rms[b] = max(self._out_rms.get(b, 0.0), float(np.sqrt(np.mean(seg ** 2))))
        if len(self._out_rms) > 1000:
            for b in sorted(self._out_rms)[:-600]:
                del self._out_rms[b]

    def _echo_ref(self, a: int, b: int, echo_lag: Optional[int] = None) -> float:
        L, sr = self._bin_len, self.out_rate
        if echo_lag is None:
            lo, hi = a - int(ECHO_LOOKBACK_S * sr), b
        else:
            lo, hi = a - echo_lag - int(ECHO_BEFORE_S * sr), b - echo_lag + int(ECHO_AFTER_S * sr)
        vals = [self._out_rms.get(i, 0.0) for i in range(lo // L, hi // L + 1)]
        return max(vals) if vals else 0.0

    def echo_gated(self, x16: np.ndarray, start_sample: int, echo_lag: Optional[int] = None) -> np.ndarray:
        """``x16`` (16 kHz mic audio, first sample at timeline ``start_sample``) with each 32 ms
        block at or under the echo gate zeroed (the test :meth:`push` applies to VAD windows): the
        partner's voice without the avatar's own echo, for the listening motion."""
        out = np.array(x16, dtype=np.float32, copy=True)
        k = self.out_rate / VAD_RATE
        for i in range(0, out.shape[0], WINDOW):
            blk = out[i:i + WINDOW]
            a = start_sample + int(i * k)
            b = start_sample + int((i + blk.shape[0]) * k)
            gate = self._echo_ref(a, b, echo_lag) * 10 ** (-ECHO_GATE_DB / 20)
            if gate > 0 and float(np.sqrt(np.mean(blk ** 2))) * 32768.0 <= gate:
                blk[:] = 0.0
        return out

    # ---------------------------------------------------------------- input
    def push(self, pcm: bytes, sample_rate: int, channels: int, now_sample: int, now_s: float,
             threshold: float, silence_ms: int, min_ms: int, reply_to: Optional[str] = None,
             echo_lag: Optional[int] = None):
        check_pcm_format(pcm, sample_rate, channels, reply_to)
        fmt = (sample_rate, channels)
        if fmt == self._faulted:
            return [], None            # reported once; dropped until the declared format changes
        events: list[tuple] = []
        gap = self._t_last is not None and now_s - self._t_last > GAP_S
        if fmt != self._fmt or gap or self._rs is None:
            events += self._end_speech()
            self._fmt, self._faulted = fmt, None
            self._rs = _vad_resampler(sample_rate)
            frames = len(pcm) // (2 * channels)
            self._anchor = max(0, now_sample - frames * self.out_rate // sample_rate)
            self._n16 = 0
            self._pending = np.zeros(0, dtype=np.float32)
            self.vad.reset()
            self.seg = VadSegmenter()
            self._t_first, self._frames_after_first = now_s, 0
        else:
            self._frames_after_first += len(pcm) // (2 * channels)
            try:
                self._check_cadence(now_s, reply_to)
            except ProtocolError as err:
                # the speech in progress ends here: its stop must reach the client and the
                # session, or the session holds every later ``say`` (it waits for the turn)
                raise MicFormatError(err, events + self._end_speech()) from None
        self._t_last = now_s
        self.seg.threshold = threshold
        self.seg.silence_windows = max(1, round(silence_ms / 32))
        x = self._rs.resample_chunk(to_mono_float(pcm, channels))
        start16 = self._n16
        self._n16 += len(x)
        self._pending = np.concatenate([self._pending, x])
        probs = self.vad.push(x)
        first_k = self.vad.windows - len(probs)
        for i, prob in enumerate(probs):
            k = first_k + i
            win = self._pending[i * WINDOW:(i + 1) * WINDOW]
            a, b = self.sample_of(k * WINDOW), self.sample_of((k + 1) * WINDOW)
            mic_rms = float(np.sqrt(np.mean(win ** 2))) * 32768.0
            gate = self._echo_ref(a, b, echo_lag) * 10 ** (-ECHO_GATE_DB / 20)
            p = float(prob) if mic_rms > gate else 0.0
            for ev in self.seg.step(k, p):
                if ev[0] == "start":
                    self._onset, self._confirmed, self.in_speech = self.sample_of(ev[1] * WINDOW), False, True
                    events.append(("start", self._onset))
                else:
                    end = self.sample_of(ev[1] * WINDOW)
                    events.append(("stop", end, end - self._onset))
                    self._onset, self.in_speech = None, False
            if self.in_speech and not self._confirmed and b - self._onset >= min_ms * self.out_rate // 1000:
                self._confirmed = True
                events.append(("confirmed", self._onset))
        self._pending = self._pending[len(probs) * WINDOW:]
        return events, (x, self.sample_of(start16))

    def sample_of(self, i16: int) -> int:
        """Timeline sample of 16 kHz sample ``i16`` of the current anchor."""
        return self._anchor + i16 * self.out_rate // VAD_RATE

    def expire(self, now_s: float, timeout_s: float) -> list[tuple]:
        """The stream stopped (no chunk for ``timeout_s``) while the partner was speaking: end
        the speech where the audio ended, so the turn never outlives the microphone."""
        if self.in_speech and self._t_last is not None and now_s - self._t_last > timeout_s:
            return self._end_speech()
        return []

    def end_turn(self) -> list[tuple]:
        """``mic_end`` (push-to-talk released): the partner's speech ends where the audio ended,
        and the VAD's segmenter starts over (its speech run would otherwise stop later, a second
        time); the next chunk starts a new stream, re-anchored (PROTOCOL.md §11)."""
        events = self._end_speech()
        self.seg = VadSegmenter(self.seg.threshold)
        self._rs = None
        return events

    def _end_speech(self) -> list[tuple]:
        if not self.in_speech:
            return []
        end = self.sample_of(self._n16)
        ev = [("stop", end, end - self._onset)]
        self._onset, self.in_speech = None, False
        return ev

    def _check_cadence(self, now_s: float, reply_to: Optional[str]) -> None:
        elapsed = now_s - self._t_first
        if elapsed < CADENCE_MIN_S:
            return
        rate, channels = self._fmt
        ratio = self._frames_after_first / (elapsed * rate)
        ratio_beyond_burst = max(0.0, self._frames_after_first - CADENCE_BURST_S * rate) / (elapsed * rate)
        if ratio < CADENCE_TOLERANCE[0] or ratio_beyond_burst > CADENCE_TOLERANCE[1]:
            self._faulted = self._fmt
            self._rs = None
            raise ProtocolError(
                ErrorCode.AUDIO_FORMAT_MISMATCH,
                f"mic declared {rate} Hz x {channels} channel(s) but delivers {ratio:.2f}x that many bytes "
                f"per second: the real rate or channel count differs; chunks of this format are ignored", reply_to)
