"""Training data: a corpus of takes (WAV + Live Link Face CSV [+ partner WAV, transcript, timed phones]).

A take is any folder holding ``take.wav`` and ``take.csv`` (or any ``NAME.wav`` + ``NAME.csv`` pair, as
the Live Link Face app exports them); see :mod:`.corpus` for the optional files. Each take becomes
internal-rate arrays (spec.FPS): ``motion (N, 59)`` (the CSV resampled linearly by its timecodes) and
``cond (N, D_COND)`` (:func:`.features.cond_features`), cached in ``take.rfm.npz`` beside the take.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceplex.models.audio.wav import read_wav

from . import features, spec

CACHE_VERSION = 3


@dataclass
class TakeArrays:
    name: str
    motion: np.ndarray   # (N, 59) float32
    cond: np.ndarray     # (N, D_COND) float32
    style: int
    character: int
    kind: str
    partner_segments: np.ndarray = None   # (S, 2) s, Silero VAD segments of the partner track


def find_takes(root: Path) -> list[tuple[Path, Path]]:
    """``(wav, csv)`` pairs under ``root`` (sorted; a partner WAV is not a take)."""
    root = Path(root)
    pairs = []
    for csv in sorted(root.rglob("*.csv")):
        wav = csv.with_suffix(".wav")
        if wav.exists():
            pairs.append((wav, csv))
    return pairs


def load_take(wav: Path, csv: Path, use_cache: bool = True) -> TakeArrays:
    d = wav.parent
    stem = wav.stem
    cache = d / f"{stem}.rfm.npz"
    meta_p = d / f"{stem}.json"
    meta = json.loads(meta_p.read_text()) if meta_p.exists() else {}
    if use_cache and cache.exists():
        z = np.load(cache)
        if int(z["version"]) == CACHE_VERSION:
            return TakeArrays(str(d.name), z["motion"], z["cond"], int(meta.get("style", 0)),
                              int(meta.get("character", 0)), str(meta.get("kind", "take")), z["segments"])
    audio, sr = read_wav(wav)
    own16 = features.to_16k(audio[:, 0], sr)
    from .capture import read_take_csv

    times, frames, _ = read_take_csv(csv)   # the app's time-of-day timecode zeroed, rotations in radians
    dur = min(own16.shape[0] / spec.AUDIO_SR, float(times[-1]) if len(times) else 0.0)
    n = int(np.floor(dur * spec.FPS)) + 1
    t = np.arange(n) / spec.FPS
    motion = np.stack([np.interp(t, times, frames[:, c]) for c in range(frames.shape[1])], axis=1).astype(np.float32)
    partner16 = None
    pw = d / "partner.wav"
    if pw.exists():
        pa, psr = read_wav(pw)
        partner16 = features.to_16k(pa[:, 0], psr)
    ph_p = d / f"{stem}.phonemes.json"
    if ph_p.exists():
        pj = json.loads(ph_p.read_text())
        table = features.phone_table(pj["phonemes"], int(pj["sample_rate"]), 0.0)
        known = True
    else:
        table, known = np.zeros((0, 3)), False
    if meta.get("clauses") is not None:
        spans = np.asarray([(c["start_s"], c["end_s"]) for c in meta["clauses"]], dtype=np.float64).reshape(-1, 2)
    else:  # a captured take: speaking where the own track has energy
        idx = np.arange(n)
        act = features.vad_flag(own16, idx)
        spans = np.asarray([(i / spec.FPS - 0.5 / spec.FPS, i / spec.FPS + 0.5 / spec.FPS) for i in idx[act > 0]]).reshape(-1, 2)
    segments = features.silero_segments(partner16)
    cond = features.cond_features(own16, table, known, spans, partner16, np.arange(n), segments)
    if use_cache:
        np.savez(cache, version=CACHE_VERSION, motion=motion, cond=cond, segments=segments)
    return TakeArrays(str(d.name), motion, cond, int(meta.get("style", 0)), int(meta.get("character", 0)),
                      str(meta.get("kind", "take")), segments)


def load_corpus(root: Path, use_cache: bool = True) -> list[TakeArrays]:
    from .capture import prepare_takes

    prepare_takes(root)   # captured takes: audio out of the .mov, phone timing written
    takes = [load_take(w, c, use_cache) for w, c in find_takes(root)]
    if not takes:
        raise FileNotFoundError(f"no takes (NAME.wav + NAME.csv) under {root}")
    return takes


def split_takes(takes: list[TakeArrays], holdout: float = 0.0) -> tuple[list[TakeArrays], list[TakeArrays]]:
    """Deterministic hold-out by name (every take whose index mod round(1/holdout) == 0)."""
    if holdout <= 0:
        return takes, []
    k = max(2, int(round(1.0 / holdout)))
    return [t for i, t in enumerate(takes) if i % k], [t for i, t in enumerate(takes) if i % k == 0]


def statistics(takes: list[TakeArrays]) -> dict[str, np.ndarray]:
    """Per-channel mean/std of motion and conditioning (floors keep near-constant channels sane)."""
    m = np.concatenate([t.motion for t in takes])
    c = np.concatenate([t.cond for t in takes])
    return {"motion_mean": m.mean(0).astype(np.float32), "motion_std": np.maximum(m.std(0), 0.02).astype(np.float32),
            "cond_mean": c.mean(0).astype(np.float32), "cond_std": np.maximum(c.std(0), 0.05).astype(np.float32)}


class WindowSampler:
    """Random training windows: ``CTX`` clean frames + ``W`` target frames, with their conditioning.

    Context frames before a take's start are padding (``ctx_valid`` 0). Partner conditioning is
    causal as the live path sees it: for all but :data:`~.spec.OFFLINE_PARTNER_P` of the windows a
    horizon is drawn from :data:`~.spec.HORIZON_FRAMES` (relative to the first window frame); the
    partner is unknown from it on (:func:`.features.mask_partner`) and the VAD state is what the
    listener knew at the horizon (:func:`.features.vad_state_flag`)."""

    def __init__(self, takes: list[TakeArrays], stats: dict[str, np.ndarray]):
        self.unknown_mel = stats["cond_mean"][spec.PARTNER]
        self.takes = [t for t in takes if t.motion.shape[0] >= spec.W + 1]
        if not self.takes:
            raise ValueError("no take is long enough for one window")
        self.mm, self.ms = stats["motion_mean"], stats["motion_std"]
        self.lengths = np.array([t.motion.shape[0] - spec.W + 1 for t in self.takes], dtype=np.float64)
        self.p = self.lengths / self.lengths.sum()

    def batch(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        ti = rng.choice(len(self.takes), size=size, p=self.p)
        motion = np.zeros((size, spec.T, spec.D_MOTION), np.float32)
        cond = np.zeros((size, spec.T, spec.D_COND), np.float32)
        valid = np.zeros((size, spec.CTX), np.float32)
        style = np.zeros(size, np.int64)
        char = np.zeros(size, np.int64)
        for b, i in enumerate(ti):
            tk = self.takes[i]
            f0 = int(rng.integers(0, tk.motion.shape[0] - spec.W + 1))
            lo = f0 - spec.CTX
            src = np.arange(lo, f0 + spec.W)
            ok = src >= 0
            mo = (tk.motion[np.clip(src, 0, None)] - self.mm) / self.ms
            mo[~ok] = 0.0
            motion[b] = mo
            cond[b] = tk.cond[np.clip(src, 0, None)]
            cond[b, ~ok] = tk.cond[0]  # before the take: as its first frame (silence)
            valid[b] = ok[:spec.CTX]
            style[b], char[b] = tk.style, tk.character
            if rng.uniform() >= spec.OFFLINE_PARTNER_P:
                h_s = (f0 + int(rng.integers(spec.HORIZON_FRAMES[0], spec.HORIZON_FRAMES[1] + 1))) / spec.FPS
                segs = tk.partner_segments if tk.partner_segments is not None else np.zeros((0, 2))
                cond[b, :, spec.F_LISTENING] = features.vad_state_flag(segs, src, h_s)
                features.mask_partner(cond[b], src, h_s, self.unknown_mel)
        return {"motion": motion, "cond": cond, "ctx_valid": valid, "style": style, "character": char}
