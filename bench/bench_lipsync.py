"""Lip-sync timing bench: the rule animator measured against the audio itself. Prints ONE JSON line.

The reference is independent of the product's timing: nothing here reads Piper's phone spans to
score the face (they only drive the animator, as in the daemon).

- ``lag_ms``: the lag that best correlates lip aperture with the audio's RMS envelope, per line
  (Pearson correlation over the speech span, lags -200..+200 ms at 100 fps, parabolic peak
  refinement), median over the lines. Positive = the face is late. Aperture =
  ``max(jawOpen - mouthClose, 0) + 0.5 * mouthLowerDown + 0.25 * mouthUpperUp`` (means of the
  left/right shapes); envelope = RMS of a 25 ms window centred on each frame time.
- ``closure_ms``: PocketSphinx forced alignment (``faceplex.models.speech.align``) of each line's
  own audio (resampled to 16 kHz) gives the acoustic P/B/M segments (closure + release for stops,
  the murmur for M); the face's closure is the run of frames with sealed lips (``lips_shut``)
  nearest the segment centre, and its centre minus the segment centre is the offset (positive =
  face late). Median and 10th/90th percentiles; ``closure_found`` = share of acoustic bilabials
  with a sealed run within +-120 ms.
- ``open_vowels``: share of aligned AA AE AH AO AW AY whose aperture (60 fps frames inside the
  aligned span) reaches 35 % of the take's 95th-percentile speech aperture.
- ``onset_jump``: the largest frame-to-frame change of any mouth channel at 60 fps around each
  utterance and clause start (from 0.1 s before it to the target time of its first voiced phone), driven the way the daemon's session drives
  the animator: idle frames are returned (final) up to the utterance start, then the speech is
  added. Also after a cut (barge-in: the speech is cut mid-line, new speech starts 0.25 s later).
  ``speech_max_step``: the largest step anywhere in speech, for comparison (bilabial releases:
  the lips part fast).
- ``piper_offset_ms`` (diagnostic): Piper's bilabial centres minus the aligned ones, median.

Usage: python bench/bench_lipsync.py [--fps-fine 100]

Baseline of an older animator, same bench (e.g. REV = 1d779d0, before the timing work):
``git worktree add --detach /tmp/old REV && mkdir -p /tmp/oldfp/faceplex && for d in bridge protocol
models; do ln -s /tmp/old/$d /tmp/oldfp/faceplex/$d; done && PYTHONPATH=/tmp/oldfp python
bench/bench_lipsync.py``. Measured here (10 lines): lag +33.5 -> -10.2 ms, closure +40 -> 0 ms,
open vowels 93.4 -> 97.4 %, onset step 0.43 -> 0.10, cut step 0.52 -> 0.16 (per 60 fps frame).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import soxr

from faceplex.models.face.animator import FaceAnimator
try:
    from faceplex.models.face.coarticulation import DEFAULT_ARTICULATION
except ImportError:  # an animator from before ArticulationParams (a baseline run): no timing shift
    DEFAULT_ARTICULATION = None
from faceplex.models.face.visemes import MOUTH_CHANNELS, lips_shut
from faceplex.models.speech.align import ALIGN_RATE, aligner
from faceplex.models.speech.piper_voice import Voice
from faceplex.protocol.names import CHANNEL_INDEX as C

#: Held-out lines: none of them is a test sentence.
LINES = [
    "Maybe the problem was never the map, but the people who made it.",
    "Bring me a bowl of warm soup before the meeting begins.",
    "My brother parked the van by the old barn at midnight.",
    "Please remember to buy bread, milk and a bag of apples.",
    "How about a walk along the harbor when the rain stops?",
    "The cat jumped past the lamp and knocked a bottle off the shelf.",
    "Somebody left the back door open, and the wind blew papers everywhere.",
    "Our team won the final match by a single point.",
    "Hello. Okay, I am ready whenever you are.",
    "Oh, I almost forgot: the boat leaves at seven.",
]
LEAD_S = 0.6
OPEN_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY"}
BILABIALS = {"P", "B", "M"}
_MOUTH = [C[n] for n in MOUTH_CHANNELS]


def aperture(f: np.ndarray) -> np.ndarray:
    """Lip aperture ``(T,)`` from wire frames ``(T, 59)`` (see the module docstring)."""
    gap = np.maximum(f[:, C["jawOpen"]] - f[:, C["mouthClose"]], 0.0)
    low = 0.5 * (f[:, C["mouthLowerDownLeft"]] + f[:, C["mouthLowerDownRight"]])
    up = 0.5 * (f[:, C["mouthUpperUpLeft"]] + f[:, C["mouthUpperUpRight"]])
    return gap + 0.5 * low + 0.25 * up


def envelope(audio: np.ndarray, sr: int, times: np.ndarray, win_s: float = 0.025) -> np.ndarray:
    x = audio.astype(np.float64) / 32768.0
    c = np.concatenate([[0.0], np.cumsum(x * x)])
    h = int(win_s * sr / 2)
    i = np.round(times * sr).astype(int)
    a, b = np.clip(i - h, 0, x.size), np.clip(i + h, 0, x.size)
    return np.sqrt((c[b] - c[a]) / np.maximum(b - a, 1))


def best_lag_ms(ap: np.ndarray, env: np.ndarray, fps: int, max_ms: float = 200.0) -> tuple[float, float]:
    """Lag (ms, + = aperture later than the envelope) maximising Pearson r, and that r."""
    kmax = int(max_ms * fps / 1000)
    rs = []
    for k in range(-kmax, kmax + 1):
        if k >= 0:
            a, e = ap[k:], env[: env.size - k]
        else:
            a, e = ap[: ap.size + k], env[-k:]
        rs.append(np.corrcoef(a, e)[0, 1])
    rs = np.nan_to_num(np.array(rs), nan=-1.0)
    j = int(rs.argmax())
    off = 0.0
    if 0 < j < rs.size - 1:
        y0, y1, y2 = rs[j - 1], rs[j], rs[j + 1]
        den = y0 - 2 * y1 + y2
        off = 0.5 * (y0 - y2) / den if den != 0 else 0.0
    return (j - kmax + off) * 1000.0 / fps, float(rs[j])


def shut_runs(shut: np.ndarray) -> list[tuple[int, int]]:
    runs, i = [], 0
    while i < shut.size:
        if shut[i]:
            j = i
            while j + 1 < shut.size and shut[j + 1]:
                j += 1
            runs.append((i, j))
            i = j + 1
        else:
            i += 1
    return runs


def take(voice: Voice, text: str):
    """The line's clauses laid out from LEAD_S (0.25 s apart): [(chunk, start_s)], end_s, audio."""
    out, t = [], LEAD_S
    for ch in voice.synthesize(text, noise=False):
        out.append((ch, t))
        t += ch.num_samples / ch.sample_rate + 0.25
    sr = out[0][0].sample_rate
    audio = np.zeros(int((t + 0.5) * sr), dtype=np.int16)
    for ch, s in out:
        i = int(round(s * sr))
        audio[i: i + ch.num_samples] = ch.audio
    return out, t, audio, sr


def animate_one_pass(cws, fps: int, n: int) -> np.ndarray:
    anim = FaceAnimator(fps, seed=0)
    for ch, s in cws:
        anim.add_speech(ch, s)
    return anim.frames(0, n)


def animate_like_session(cws, fps: int, n: int, cut_at_s: float | None = None, after=None):
    """Frames returned up to each clause's start before it is added (the daemon's late add).

    ``cut_at_s``: cut there (barge-in), then add ``after`` = (chunk, start_s)."""
    anim = FaceAnimator(fps, seed=0)
    out, pos = [], 0
    events = [(s, "add", ch) for ch, s in cws]
    if cut_at_s is not None:
        events.append((cut_at_s, "cut", None))
        events.append((after[1], "add", after[0]))
    for s, kind, ch in sorted(events, key=lambda e: e[0]):
        upto = min(int(np.ceil(s * fps)), n)
        if upto > pos:
            out.append(anim.frames(pos, upto - pos))
            pos = upto
        if kind == "add":
            anim.add_speech(ch, s)
        else:
            anim.cut_speech(s)
    out.append(anim.frames(pos, n - pos))
    return np.concatenate(out)


def first_voiced_end(ch, start_s: float) -> float:
    """Centre (s) of the chunk's first phone that is not a pause, on the animator's timing: the
    onset window ends there (a first bilabial's release is not an onset)."""
    art = DEFAULT_ARTICULATION
    for p in ch.phonemes:
        if p.phoneme not in ("_", "ʔ"):
            shift = 0.0 if art is None else art.bilabial_shift_s if p.phoneme in "pbm" else art.shift_s
            return start_s + 0.5 * (p.start + p.end) / ch.sample_rate - shift
    return start_s + ch.num_samples / ch.sample_rate


def max_step(f: np.ndarray, lo: int, hi: int) -> tuple[float, str]:
    seg = f[max(lo, 0): hi][:, _MOUTH]
    if seg.shape[0] < 2:
        return 0.0, ""
    d = np.abs(np.diff(seg, axis=0))
    j = int(d.max(axis=0).argmax())
    return float(d.max()), MOUTH_CHANNELS[j]


def main() -> None:
    ap_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap_.add_argument("--fps-fine", type=int, default=100)
    args = ap_.parse_args()
    voice = Voice.default()
    al = aligner()
    fine, fps = args.fps_fine, 60
    lags, rs, closures, found, n_bilabial, piper_off = [], [], [], 0, 0, []
    vowels_ok, vowels_n = 0, 0
    onset, onset_ch, cut_jump, cut_ch, speech_step = 0.0, "", 0.0, "", 0.0
    for text in LINES:
        cws, end, audio, sr = take(voice, text)
        nf = int((end + 0.5) * fine)
        f_fine = animate_one_pass(cws, fine, nf)
        tf = np.arange(nf) / fine
        ap = aperture(f_fine)
        env = envelope(audio, sr, tf)
        span = (tf >= cws[0][1]) & (tf <= cws[-1][1] + cws[-1][0].num_samples / sr)
        lag, r = best_lag_ms(ap[span], env[span], fine)
        lags.append(lag)
        rs.append(r)
        # Forced alignment of the line's own audio (each clause separately, with its text).
        shut = lips_shut(f_fine)
        runs = shut_runs(shut)
        n60 = int((end + 0.5) * fps)
        f60 = animate_one_pass(cws, fps, n60)
        ap60 = aperture(f60)
        t60 = np.arange(n60) / fps
        sp60 = (t60 >= cws[0][1]) & (t60 <= end)
        p95 = float(np.percentile(ap60[sp60], 95))
        for ch, s in cws:
            a16 = soxr.resample(ch.audio, ch.sample_rate, ALIGN_RATE).astype(np.int16)
            phones, _ = al.align(a16, ch.text)
            piper_bil = [s + 0.5 * (p.start + p.end) / ch.sample_rate for p in ch.phonemes if p.phoneme in "pbm"]
            for p in phones:
                name = p.phone.upper()
                c0, c1 = s + p.start / ALIGN_RATE, s + p.end / ALIGN_RATE
                if name in BILABIALS:
                    n_bilabial += 1
                    centre = 0.5 * (c0 + c1)
                    best = None
                    for i, j in runs:
                        rc = 0.5 * (i + j) / fine
                        if abs(rc - centre) <= 0.12 and (best is None or abs(rc - centre) < abs(best - centre)):
                            best = rc
                    if best is not None:
                        found += 1
                        closures.append((best - centre) * 1000.0)
                    if piper_bil:
                        k = int(np.argmin([abs(x - centre) for x in piper_bil]))
                        if abs(piper_bil[k] - centre) < 0.08:
                            piper_off.append((piper_bil[k] - centre) * 1000.0)
                elif name in OPEN_VOWELS:
                    vowels_n += 1
                    inside = (t60 >= c0) & (t60 < c1)
                    v = ap60[inside].max() if inside.any() else ap60[int(round(0.5 * (c0 + c1) * fps))]
                    vowels_ok += bool(v >= 0.35 * p95)
        # Onsets, the way the session drives the animator.
        fs = animate_like_session(cws, fps, n60)
        for ch, s in cws:
            k = int(s * fps)
            v, name = max_step(fs, k - int(0.1 * fps), int(np.ceil(first_voiced_end(ch, s) * fps)) + 1)
            if v > onset:
                onset, onset_ch = v, name
        speech_step = max(speech_step, max_step(fs, int(cws[0][1] * fps), n60)[0])
        # Barge-in: cut in the middle of the first clause, new speech 0.25 s later.
        ch0, s0 = cws[0]
        cut = s0 + 0.5 * ch0.num_samples / ch0.sample_rate
        nxt = next(voice.synthesize("Wait, what?", noise=False))
        n_cut = int((cut + 0.25 + nxt.num_samples / nxt.sample_rate + 0.5) * fps)
        fc = animate_like_session([(ch0, s0)], fps, n_cut, cut_at_s=cut, after=(nxt, cut + 0.25))
        k = int(cut * fps)
        cj = max_step(fc, k - 2, int(np.ceil(first_voiced_end(nxt, cut + 0.25) * fps)) + 1)
        if cj[0] > cut_jump:
            cut_jump, cut_ch = cj
    out = {
        "bench": "lipsync", "lines": len(LINES), "fps": fps, "fine_fps": fine,
        "lag_ms": round(float(np.median(lags)), 1), "lag_ms_per_line": [round(x, 1) for x in lags],
        "corr": round(float(np.median(rs)), 3),
        "closure_ms": round(float(np.median(closures)), 1) if closures else None,
        "closure_ms_p10_p90": [round(float(np.percentile(closures, q)), 1) for q in (10, 90)] if closures else None,
        "closure_found": round(found / max(n_bilabial, 1), 3), "bilabials": n_bilabial,
        "open_vowels": round(vowels_ok / max(vowels_n, 1), 3), "open_vowel_count": vowels_n,
        "onset_jump": round(onset, 3), "onset_jump_channel": onset_ch,
        "cut_jump": round(cut_jump, 3), "cut_jump_channel": cut_ch, "speech_max_step": round(speech_step, 3),
        "piper_offset_ms": round(float(np.median(piper_off)), 1) if piper_off else None,
        "animator_cost_ms_per_frame": animator_cost_ms(voice),
    }
    print(json.dumps(out))


def animator_cost_ms(voice: Voice) -> float:
    """Thread CPU (ms) per 60 fps frame of the rule animator streaming 60 s, 2 frames per call
    (two clauses placed, the rest idle): the figure tests/test_face_animator.py used to bound
    with a wall clock (< 0.2 ms)."""
    from faceplex.models.face.animator import FaceAnimator

    anim = FaceAnimator(60, seed=0)
    start = 0.5
    for text in LINES[:2]:
        for ch in voice.synthesize(text, noise=False):
            anim.add_speech(ch, start)
            start += ch.num_samples / ch.sample_rate
    t0 = time.thread_time()
    for i in range(0, 3600, 2):
        anim.frames(i, 2)
    return round((time.thread_time() - t0) / 3600 * 1e3, 4)


if __name__ == "__main__":
    main()
