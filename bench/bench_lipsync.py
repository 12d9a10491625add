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
- ``jaw_max_step``: the largest one-frame change of ``jawOpen`` at 60 fps anywhere in the Piper
  lines (target <= 0.2, issue 23: 12 units/s).
- ``upper_face``: spread (sd over the speaking span) of browInnerUp, browDown, cheekSquint and
  mouthSmile on the Piper lines, each beside its reference, the median of 14 public Live Link
  Face takes (``faceplex.models.face.reference_stats``; target within +-30 %), and the head's
  rotation sd in radians (no public reference: those takes hold no head rotation).
- ``lipsync``: lines from voices the product never uses, with exact digital silence (espeak-ng's
  command line ``en-us+m3``, flite ``slt`` noise-gated; ``tests/silence_recording.py``), streamed
  through :class:`~faceplex.bridge.listening.lipsync.LipsyncStream` step by step as the daemon
  streams a ``lipsync`` utterance (each commit placed and animated as the session does, frames
  returned up to the committed audio), with the transcript and without (phone recognition), at
  the default 200 ms look-ahead. Per mode: ``closure`` (share of the P/B/M of a forced alignment
  of the whole line to its transcript with lips shut in one of the three 60 fps frames nearest
  the phone's centre; target >= 0.95), ``words`` (share of the transcript's words with a word
  mark; target >= 0.95, with the transcript), ``lag_ms`` (aperture-envelope lag at 100 fps,
  median over the lines; target -33..0), ``jaw_max_step`` (target <= 0.2) and the upper-face
  spreads against their references. Every figure is printed as ``[value, target, ok]``.
- ``warnings``: lipsync lines with a transcript that sent ``transcript_not_used`` (see
  ``LipsyncStream.transcript_note``).

Baselines moved by issue 23's PocketSphinx dither and fresh feature state (same bench, same
busy 2-core machine, before -> after): closure_ms 0.0 -> -2.5, closure_found 0.895 -> 0.897
(57 -> 58 aligned bilabials), open_vowels 0.961 -> 0.960 (76 -> 75 aligned open vowels),
piper_offset_ms 39.5 -> 37.8; lag and onsets unchanged. bench_words (500 words, "after" only:
its "before" pass calls Piper's whole graph, which the streaming voice no longer loads):
matched 385 -> 379, median_signed 49.7 -> 51.2 ms, p90 93.1 -> 95.9 ms.

- ``--voice NAME``: any installed voice instead of Piper joe (issue 19: the cast's faces). An
  English voice is judged as joe is (forced alignment of its own audio); a voice of another
  language speaks ``faceplex.models.rfm.cast_corpus.SENTENCES`` and is judged on its own phone
  timing: the aperture-envelope lag, and ``unmapped_phones`` (phones that fall to no viseme;
  target none). PocketSphinx aligns English only.

Usage: python bench/bench_lipsync.py [--fps-fine 100] [--no-lipsync] [--voice NAME]

Baseline of an older animator, same bench (e.g. REV = 1d779d0, before the timing work):
``git worktree add --detach /tmp/old REV && mkdir -p /tmp/oldfp/faceplex && for d in bridge protocol
models; do ln -s /tmp/old/$d /tmp/oldfp/faceplex/$d; done && PYTHONPATH=/tmp/oldfp python
bench/bench_lipsync.py``. Measured here (10 lines): lag +33.5 -> -10.2 ms, closure +40 -> 0 ms,
open vowels 93.4 -> 97.4 %, onset step 0.43 -> 0.10, cut step 0.52 -> 0.16 (per 60 fps frame).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

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
    ap_.add_argument("--no-lipsync", action="store_true", help="skip the lipsync lines (espeak-ng, flite)")
    ap_.add_argument("--voice", default=None, help="an installed voice id (default: Piper joe)")
    args = ap_.parse_args()
    from faceplex.models.face.reference_stats import spreads
    piper_spreads, jaw_step = [], 0.0
    voice = Voice.default()
    lines = LINES
    if args.voice:
        from faceplex.models.speech.catalog import open_registry

        voice = open_registry()[args.voice]
        language = getattr(voice, "language", "en")
        if not language.startswith("en"):
            print(json.dumps(other_language(voice, language, args.fps_fine)))
            return
    al = aligner()
    fine, fps = args.fps_fine, 60
    lags, rs, closures, found, n_bilabial, piper_off = [], [], [], 0, 0, []
    vowels_ok, vowels_n = 0, 0
    onset, onset_ch, cut_jump, cut_ch, speech_step = 0.0, "", 0.0, "", 0.0
    for text in lines:
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
        jaw_step = max(jaw_step, float(np.abs(np.diff(f60[:, C["jawOpen"]])).max()))
        piper_spreads.append(spreads(f60, sp60))
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
        "bench": "lipsync", "voice": args.voice or "en_US-joe-medium", "lines": len(lines), "fps": fps,
        "fine_fps": fine,
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
        "jaw_max_step": judged(jaw_step, "<= 0.2", jaw_step <= 0.2),
        "upper_face": upper_face(piper_spreads),
    }
    if not args.no_lipsync and not args.voice:
        out["lipsync"] = lipsync_lines(al)
    print(json.dumps(out))


def other_language(voice, language: str, fine: int) -> dict:
    """A voice of another language on its own sentences: the aperture-envelope lag (median over
    the lines, target -33..0 ms), the jaw's largest 60 fps step, and the phones with no viseme."""
    from faceplex.models.face.visemes import PHONEME_TO_VISEME, is_modifier
    from faceplex.models.rfm.cast_corpus import SENTENCES

    lags, unmapped, jaw_step = [], set(), 0.0
    texts = SENTENCES[language.split("-")[0]]
    for text in texts:
        cws, end, audio, sr = take(voice, text)
        nf = int((end + 0.5) * fine)
        tf = np.arange(nf) / fine
        f_fine = animate_one_pass(cws, fine, nf)
        span = (tf >= cws[0][1]) & (tf <= cws[-1][1] + cws[-1][0].num_samples / sr)
        lags.append(best_lag_ms(aperture(f_fine)[span], envelope(audio, sr, tf)[span], fine)[0])
        f60 = animate_one_pass(cws, 60, int((end + 0.5) * 60))
        jaw_step = max(jaw_step, float(np.abs(np.diff(f60[:, C["jawOpen"]])).max()))
        unmapped |= {p.phoneme for ch, _ in cws for p in ch.phonemes if p.phoneme != "_"
                     and not all(c in PHONEME_TO_VISEME or is_modifier(c) for c in p.phoneme)}
    lag = float(np.median(lags))
    return {"bench": "lipsync", "voice": voice.name, "language": language, "lines": len(texts),
            "lag_ms": judged(lag, "-33..0", -33.0 <= lag <= 0.0), "lag_ms_per_line": [round(x, 1) for x in lags],
            "jaw_max_step": judged(jaw_step, "<= 0.2", jaw_step <= 0.2),
            "unmapped_phones": [sorted(unmapped), "none", not unmapped]}


def judged(value: float, target: str, ok: bool) -> list:
    """``[value, target, ok]``: each figure beside its target."""
    return [round(float(value), 3), target, bool(ok)]


def upper_face(rows: list[dict]) -> dict:
    """Median spreads over the lines, each beside its public-take reference (+-30 %)."""
    from faceplex.models.face.reference_stats import MEDIAN, TOLERANCE

    out = {}
    for k in rows[0]:
        v = float(np.median([r[k] for r in rows]))
        if k in MEDIAN:
            ref = MEDIAN[k]
            out[k] = judged(v, f"{ref:.3f} +-30%", abs(v - ref) <= TOLERANCE * ref)
        else:
            out[k] = [round(v, 4), "no public reference (radians)", None]
    return out


#: Lip-sync lines: none is a test sentence; voices the product never uses.
LIPSYNC_LINES = LINES[:6]
LIPSYNC_VOICES = (("espeak", "en-us+m3"), ("flite", "slt"))


def stream_lipsync(audio: np.ndarray, rate: int, text, fps: int, out_rate: int = 48000, lookahead_ms: int = 200,
                   hold_s: float | None = None):
    """Stream ``audio`` through a :class:`LipsyncStream` in 40 ms pieces as the daemon does; each
    commit is placed after the previous one and animated as the session animates it, frames
    returned up to the audio placed so far less the face's hold (``hold_s``, default the daemon's
    ``FACE_HOLD_S``). Returns ``(frames (F, 59), word marks, note)``."""
    from faceplex.bridge.listening.lipsync import FACE_HOLD_S, LipsyncStream

    hold_s = FACE_HOLD_S if hold_s is None else hold_s
    st = LipsyncStream(out_rate, lookahead_ms, text, 40)
    anim = FaceAnimator(fps, seed=0)
    parts, nxt, placed, words = [], 0, 0, []
    hop = int(0.04 * rate)
    n_total = int(len(audio) / rate * fps)

    def emit(upto_s: float) -> None:
        nonlocal nxt
        k = min(int(np.floor(upto_s * fps)), n_total)
        if k > nxt:
            parts.append(anim.frames(nxt, k - nxt))
            nxt = k

    for i in range(0, len(audio), hop):
        st.push(audio[i:i + hop].astype("<i2").tobytes(), rate, 1, i + hop >= len(audio))
        while st.wants_step():
            for cl in st.step():
                anim.add_speech(cl.chunk, placed / out_rate)
                words += [(mk.text, (placed + mk.start) / out_rate) for mk in cl.marks if mk.kind == "word"]
                placed += len(cl.pcm)
            emit(placed / out_rate - hold_s)
    emit(n_total / fps)
    return np.concatenate(parts) if parts else np.zeros((0, 59), np.float32), words, st.transcript_note


def lipsync_lines(al) -> dict:
    """The ``lipsync`` section (module docstring)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import shutil

    from silence_recording import espeak_line, flite_line

    from faceplex.models.face.reference_stats import spreads

    makers = {"espeak": espeak_line, "flite": flite_line}
    voices = [(k, v) for k, v in LIPSYNC_VOICES if shutil.which("espeak-ng" if k == "espeak" else k)]
    res = {}
    for mode in ("transcript", "audio_only"):
        shut_n = shut_ok = words_n = words_ok = warned = 0
        lags, jaw, rows = [], 0.0, []
        for text in LIPSYNC_LINES:
            for kind, voice in voices:
                audio, rate = makers[kind](text, voice)
                pad = np.zeros(int(0.3 * rate), np.int16)
                audio = np.concatenate([pad, audio, pad])   # more digital silence around the clip
                a16 = soxr.resample(audio.astype(np.float32) / 32768, rate, ALIGN_RATE).clip(-1, 1)
                ref, _ = al.align((a16 * 32767).astype(np.int16), text)
                f60, words, note = stream_lipsync(audio, rate, text if mode == "transcript" else None, 60)
                shut = lips_shut(f60)
                for p in ref:
                    if p.phone.upper() in BILABIALS:
                        shut_n += 1
                        k = int(round(0.5 * (p.start + p.end) / ALIGN_RATE * 60))
                        shut_ok += bool(shut[max(k - 1, 0): k + 2].any())
                if mode == "transcript":
                    known = al.known_words(text)
                    words_n += len(known)
                    words_ok += min(len(known), len(words))
                    warned += note is not None
                jaw = max(jaw, float(np.abs(np.diff(f60[:, C["jawOpen"]])).max()))
                t60 = np.arange(len(f60)) / 60
                env60 = envelope(audio, rate, t60)
                rows.append(spreads(f60, env60 > 0.01 * env60.max()))
                ff, _, _ = stream_lipsync(audio, rate, text if mode == "transcript" else None, 100)
                tf = np.arange(len(ff)) / 100
                env = envelope(audio, rate, tf)
                idx = np.flatnonzero(env > 0.01 * env.max())
                span = slice(idx[0], idx[-1] + 1)
                lags.append(best_lag_ms(aperture(ff)[span], env[span], 100)[0])
        lag = float(np.median(lags))
        r = {"lines": len(LIPSYNC_LINES) * len(voices), "voices": [f"{k} {v}" for k, v in voices],
             "closure": judged(shut_ok / max(shut_n, 1), ">= 0.95", shut_ok >= 0.95 * shut_n), "bilabials": shut_n,
             "lag_ms": judged(lag, "-33..0", -33 <= lag <= 0), "lag_ms_per_line": [round(x, 1) for x in lags],
             "jaw_max_step": judged(jaw, "<= 0.2", jaw <= 0.2), "upper_face": upper_face(rows)}
        if mode == "transcript":
            r["words"] = judged(words_ok / max(words_n, 1), ">= 0.95", words_ok >= 0.95 * words_n)
            r["transcript_not_used_warnings"] = warned
        res[mode] = r
    return res


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
