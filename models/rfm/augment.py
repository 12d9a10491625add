"""Audio augmentation for the RFM corpus: what recorded voice-over and microphones add to speech.

:func:`augment` applies, each drawn from ``rng`` (reproducible for a seed), to ``(N,) int16`` PCM:

- gain: -18 .. +6 dB (then clipped to int16, as a hot recording clips);
- EQ: a spectral tilt of -6 .. +6 dB/octave around 1 kHz and a low cut (60-300 Hz), applied in
  the frequency domain (one FFT of the whole take: numpy only);
- reverb (40 %): an exponentially decaying noise impulse response, RT60 0.1-0.6 s, wet 0.1-0.5
  (the textbook synthetic room model, e.g. Lehmann & Johansson 2008's diffuse tail);
- noise floor (85 %): white or pink noise at -90 .. -45 dBFS everywhere, so the model never learns
  that digital silence means "mouth shut" (a -70 dBFS floor opened the old model's jaw 4x).
"""

from __future__ import annotations

import numpy as np


def _dbfs(db: float) -> float:
    return 10.0 ** (db / 20.0)


def augment(audio: np.ndarray, sr: int, rng: np.random.Generator, strength: float = 1.0) -> tuple[np.ndarray, dict]:
    """``(N,) int16`` -> augmented ``(N,) int16`` and the parameters drawn (for the take's json)."""
    x = audio.astype(np.float64) / 32768.0
    n = x.shape[0]
    p: dict = {}
    if n == 0 or strength <= 0:
        return audio.copy(), p
    # EQ: tilt + low cut
    tilt = float(rng.uniform(-6, 6)) * strength
    lowcut = float(rng.uniform(60, 300))
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(n, 1.0 / sr)
    octaves = np.log2(np.maximum(f, 20.0) / 1000.0)
    g = 10 ** (tilt * octaves / 20.0) / np.sqrt(1.0 + (lowcut / np.maximum(f, 1.0)) ** 4)
    x = np.fft.irfft(spec * g, n)
    p.update(eq_tilt_db_per_oct=round(tilt, 2), low_cut_hz=round(lowcut, 1))
    if rng.uniform() < 0.4 * strength:
        rt60 = float(rng.uniform(0.1, 0.6))
        wet = float(rng.uniform(0.1, 0.5))
        L = int(rt60 * sr)
        t = np.arange(L) / sr
        ir = rng.standard_normal(L) * np.exp(-6.9 * t / rt60)
        ir /= np.sqrt((ir ** 2).sum()) + 1e-12
        m = 1 << int(np.ceil(np.log2(n + L)))
        rev = np.fft.irfft(np.fft.rfft(x, m) * np.fft.rfft(ir, m), m)[:n]
        x = (1 - wet) * x + wet * rev
        p.update(reverb_rt60_s=round(rt60, 3), reverb_wet=round(wet, 3))
    gain_db = float(rng.uniform(-18, 6))
    x = x * _dbfs(gain_db)
    p["gain_db"] = round(gain_db, 2)
    if rng.uniform() < 0.85:
        floor_db = float(rng.uniform(-90, -45))
        pink = rng.uniform() < 0.5      # every parameter is drawn before the noise itself
        w = rng.standard_normal(n)
        if pink:   # pink: 1/sqrt(f) amplitude
            ws = np.fft.rfft(w)
            ws /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1.0 / sr), 20.0) / 20.0)
            w = np.fft.irfft(ws, n)
            p["noise"] = "pink"
        else:
            p["noise"] = "white"
        w *= _dbfs(floor_db) / (np.sqrt((w ** 2).mean()) + 1e-12)
        x = x + w
        p["noise_floor_dbfs"] = round(floor_db, 1)
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16), p
