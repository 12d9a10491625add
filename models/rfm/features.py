"""Conditioning features of the RFM model, in numpy only (serving never needs torch).

Per internal frame ``i`` (at ``i / FPS`` s, spec.py) the model sees ``D_COND`` values:

- own-speech log-mel: audio resampled to 16 kHz (soxr), 4 sub-frames centred at
  ``i/FPS + (j - 1.5)/120`` s (8.3 ms apart), each a 25 ms Hann window (n_fft 512) -> 32 mel bands
  (60-7600 Hz), ``log(mel + 1e-6)``; 128 values. Computed from PCM, so the same model serves our
  voice and any external audio.
- phones: occupancy of the 15 OVRLipSync visemes over the frame's span ``[t - 1/60, t + 1/60)``
  plus a "phones known" flag (all zero when the phones are unknown, e.g. external audio).
- partner log-mel: the same 128 values from the conversation partner's audio (listening).
- flags: own speech active (inside a clause: speaking); partner speech active (the Silero VAD
  state, as the daemon's listener reports it: :func:`vad_state_flag`); partner audio known (live,
  the partner is heard only up to the media clock: frames past it have the partner log-mel at its
  corpus mean, i.e. 0 after normalization, and this flag 0; :func:`mask_partner`).
"""

from __future__ import annotations

import numpy as np

from faceplex.models.face.visemes import VISEMES, viseme_for

from . import spec

_N_FFT = 512
_WIN = 400  # 25 ms at 16 kHz
_HANN = np.hanning(_WIN + 2)[1:-1].astype(np.float32)
_SUB_OFFSETS_S = (np.arange(spec.MEL_SUB) - (spec.MEL_SUB - 1) / 2) / 120.0
VIS_INDEX = {v: i for i, v in enumerate(VISEMES)}
#: Partner VAD: RMS (int16 full scale = 1) above this counts as partner speech.
VAD_RMS = 0.01


def _mel_filterbank(n_mels: int = spec.N_MELS, sr: int = spec.AUDIO_SR, n_fft: int = _N_FFT,
                    fmin: float = 60.0, fmax: float = 7600.0) -> np.ndarray:
    def hz2mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel2hz(m):
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    pts = mel2hz(np.linspace(hz2mel(fmin), hz2mel(fmax), n_mels + 2))
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    fb = np.zeros((n_mels, freqs.size), dtype=np.float64)
    for m in range(n_mels):
        lo, c, hi = pts[m], pts[m + 1], pts[m + 2]
        up = (freqs - lo) / (c - lo)
        down = (hi - freqs) / (hi - c)
        fb[m] = np.maximum(0.0, np.minimum(up, down))
    fb /= np.maximum(fb.sum(axis=1, keepdims=True), 1e-9)
    return fb.T.astype(np.float32)  # (bins, mels)


_FB = _mel_filterbank()


def to_16k(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """``(N,)`` int16 (or float in [-1, 1]) PCM at ``sample_rate`` -> float32 at 16 kHz in [-1, 1]."""
    x = np.asarray(audio)
    if x.ndim > 1:
        x = x.reshape(x.shape[0], -1)[:, 0]
    x = x.astype(np.float32) / 32768.0 if x.dtype == np.int16 else x.astype(np.float32)
    if int(sample_rate) != spec.AUDIO_SR and x.size:
        import soxr

        x = soxr.resample(x, int(sample_rate), spec.AUDIO_SR, quality="HQ").astype(np.float32)
    return x


def logmel_frames(audio16k: np.ndarray, frames: np.ndarray, offset: int = 0) -> np.ndarray:
    """Log-mel features ``(len(frames), D_MEL) float32`` of internal frames ``frames``.

    ``audio16k``: float32 16 kHz PCM whose first sample sits at session sample ``offset`` (16 kHz
    samples); samples outside it count as silence.
    """
    frames = np.asarray(frames, dtype=np.int64)
    t = frames[:, None] / spec.FPS + _SUB_OFFSETS_S[None, :]                 # (n, sub)
    centre = np.floor(t * spec.AUDIO_SR).astype(np.int64) - offset
    idx = centre[..., None] + (np.arange(_WIN) - _WIN // 2)[None, None, :]  # (n, sub, win)
    n = audio16k.shape[0]
    valid = (idx >= 0) & (idx < n)
    seg = np.where(valid, audio16k[np.clip(idx, 0, max(n - 1, 0))] if n else 0.0, 0.0).astype(np.float32)
    spec_ = np.fft.rfft(seg * _HANN, n=_N_FFT, axis=-1)
    power = (spec_.real ** 2 + spec_.imag ** 2).astype(np.float32)
    mel = power @ _FB
    return np.log(mel + 1e-6).astype(np.float32).reshape(frames.shape[0], spec.D_MEL)


def frame_rms(audio16k: np.ndarray, frames: np.ndarray, offset: int = 0) -> np.ndarray:
    """RMS of the 33 ms span of each internal frame (silence outside the buffer)."""
    frames = np.asarray(frames, dtype=np.int64)
    half = spec.AUDIO_SR // (2 * spec.FPS)
    c = np.floor(frames / spec.FPS * spec.AUDIO_SR).astype(np.int64) - offset
    idx = c[:, None] + np.arange(-half, half)[None, :]
    n = audio16k.shape[0]
    valid = (idx >= 0) & (idx < n)
    seg = np.where(valid, audio16k[np.clip(idx, 0, max(n - 1, 0))] if n else 0.0, 0.0)
    return np.sqrt((seg ** 2).mean(axis=1))


def phone_table(phonemes, sample_rate: int, start_s: float) -> np.ndarray:
    """Timed phones -> ``(P, 3) float64`` rows ``(start_s, end_s, viseme index)`` on the session axis.

    ``phonemes``: objects with ``phoneme``, ``start``, ``end`` (samples at ``sample_rate``) or dicts."""
    rows = []
    for p in phonemes:
        ph, a, b = (p["phoneme"], p["start"], p["end"]) if isinstance(p, dict) else (p.phoneme, p.start, p.end)
        rows.append((start_s + a / sample_rate, start_s + b / sample_rate, VIS_INDEX[viseme_for(ph)]))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)


def phone_features(table: np.ndarray, frames: np.ndarray, known: np.ndarray | bool = True) -> np.ndarray:
    """Viseme occupancy of each internal frame's span ``[t - 1/(2 FPS), t + 1/(2 FPS))`` + known flag.

    ``known``: scalar or per-frame bool; frames with unknown phones get all zeros."""
    frames = np.asarray(frames, dtype=np.int64)
    out = np.zeros((frames.shape[0], spec.D_PHONE), dtype=np.float32)
    lo = frames / spec.FPS - 0.5 / spec.FPS
    hi = lo + 1.0 / spec.FPS
    if table.shape[0]:
        # only phones that can overlap the requested frames
        sel = (table[:, 1] > lo.min()) & (table[:, 0] < hi.max())
        tb = table[sel]
        if tb.shape[0]:
            ov = np.clip(np.minimum(hi[:, None], tb[None, :, 1]) - np.maximum(lo[:, None], tb[None, :, 0]), 0.0, None)
            ov *= spec.FPS
            vis = tb[:, 2].astype(np.int64)
            for j in range(tb.shape[0]):
                out[:, vis[j]] += ov[:, j]
    out[:, spec.N_VIS] = 1.0
    known = np.broadcast_to(np.asarray(known, dtype=bool), frames.shape)
    out[~known] = 0.0
    return np.minimum(out, 1.0)


def spans_flag(spans: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """1.0 for internal frames whose time lies in any ``[start_s, end_s)`` of ``spans (S, 2)``."""
    t = np.asarray(frames, dtype=np.float64) / spec.FPS
    if len(spans) == 0:
        return np.zeros(t.shape, dtype=np.float32)
    s = np.asarray(spans, dtype=np.float64)
    return ((t[:, None] >= s[None, :, 0]) & (t[:, None] < s[None, :, 1])).any(axis=1).astype(np.float32)


def vad_flag(audio16k: np.ndarray, frames: np.ndarray, offset: int = 0) -> np.ndarray:
    """Energy VAD per internal frame, smoothed over +-2 frames (bridges stop closures and short gaps)."""
    frames = np.asarray(frames, dtype=np.int64)
    ext = np.arange(frames.min() - 2, frames.max() + 3) if frames.size else frames
    act = frame_rms(audio16k, ext, offset) > VAD_RMS
    sm = np.convolve(act.astype(np.float32), np.ones(5, dtype=np.float32), mode="same") > 0
    return sm[frames - ext[0]].astype(np.float32) if frames.size else np.zeros(0, np.float32)


def silero_segments(partner16k: np.ndarray | None, threshold: float = 0.5, silence_ms: int = 500) -> np.ndarray:
    """Partner speech segments ``(S, 2) float64`` ``[on_s, off_s)`` as the daemon's listener finds
    them: Silero VAD (32 ms windows) + :class:`~faceplex.models.audio.vad.VadSegmenter` with the
    session defaults (``vad_threshold`` 0.5, ``vad_silence_ms`` 500)."""
    if partner16k is None or partner16k.shape[0] == 0:
        return np.zeros((0, 2))
    from faceplex.models.audio.vad import WINDOW, SileroVad, VadSegmenter

    vad, seg = SileroVad(), VadSegmenter(threshold=threshold, silence_ms=silence_ms)
    probs = vad.push(np.asarray(partner16k, np.float32))
    out, on = [], None
    for k, p in enumerate(probs):
        for kind, w in seg.step(k, float(p)):
            if kind == "start":
                on = w * WINDOW / spec.AUDIO_SR
            elif on is not None:
                out.append((on, w * WINDOW / spec.AUDIO_SR))
                on = None
    if on is not None:
        out.append((on, len(probs) * WINDOW / spec.AUDIO_SR))
    return np.asarray(out, dtype=np.float64).reshape(-1, 2)


def vad_state_flag(segments: np.ndarray, frames: np.ndarray, horizon_s: float = np.inf) -> np.ndarray:
    """The listener's VAD state per internal frame, as known at ``horizon_s`` (the media clock).

    ``segments (S, 2)``: ``[on_s, off_s)``. A start is known :data:`~.spec.VAD_START_KNOWN_S` after
    its onset, a stop :data:`~.spec.VAD_STOP_KNOWN_S` after its end; until its stop is known a
    segment is open (the state stays "speaking", also past the horizon)."""
    t = np.asarray(frames, dtype=np.float64) / spec.FPS
    out = np.zeros(t.shape, dtype=bool)
    for on, off in np.asarray(segments, dtype=np.float64).reshape(-1, 2):
        if on + spec.VAD_START_KNOWN_S > horizon_s:
            continue
        end = off if off + spec.VAD_STOP_KNOWN_S <= horizon_s else np.inf
        out |= (t >= on) & (t < end)
    return out.astype(np.float32)


def mask_partner(cond: np.ndarray, frames: np.ndarray, horizon_s: float, unknown_mel: np.ndarray) -> None:
    """In place: partner log-mel of frames at or after ``horizon_s`` -> ``unknown_mel`` (the corpus
    mean), their "partner known" flag -> 0 (what the live path sees past the media clock)."""
    t = np.asarray(frames, dtype=np.float64) / spec.FPS
    late = t >= horizon_s
    cond[late, spec.PARTNER] = unknown_mel
    cond[:, spec.F_PARTNER_KNOWN] = (~late).astype(np.float32)


def cond_features(own16k: np.ndarray, phones: np.ndarray, phones_known, own_spans: np.ndarray,
                  partner16k: np.ndarray | None, frames: np.ndarray,
                  partner_segments: np.ndarray | None = None) -> np.ndarray:
    """All conditioning features ``(len(frames), D_COND) float32`` for whole-take arrays (offset 0),
    partner fully known (offline). ``partner_segments``: :func:`silero_segments` of the partner
    (computed here when None)."""
    frames = np.asarray(frames, dtype=np.int64)
    partner = partner16k if partner16k is not None else np.zeros(0, np.float32)
    segs = silero_segments(partner16k) if partner_segments is None else partner_segments
    return np.concatenate([
        logmel_frames(own16k, frames),
        phone_features(phones, frames, phones_known),
        logmel_frames(partner, frames),
        spans_flag(own_spans, frames)[:, None],
        vad_state_flag(segs, frames)[:, None],
        np.ones((frames.shape[0], 1), np.float32),
    ], axis=1).astype(np.float32)
