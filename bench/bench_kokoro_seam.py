"""What a short first run costs a one-pass engine, and what it buys: Kokoro's decode cost vs run
length, and the prosody at the seams ``text.split_growing`` makes.

Prints ONE JSON line:
- ``decode``: per text, phoneme tokens, decoded audio (s, the run's pads included) and the
  median wall ms of 3 runs on the narrow (1-thread) session, and a least-squares fit
  ``ms = fixed + per_audio_s * audio_s`` (is there a large fixed cost per call?);
- ``seams``: for each of ``bench_daemon``'s sentences that ``split_growing`` cuts, spoken as the
  session speaks it (each run but the last decoded with LOOKAHEAD_WORDS of the next after it,
  each but the first with as many of the one before; ``--no-lookahead``: without, seam pauses
  trimmed to SEAM_TAIL_S / SEAM_LEAD_S) and in one pass, at each
  seam: the pitch step across it (semitones, median F0 of the last 100 ms of voicing before the
  boundary vs the first 100 ms after), the duration of the word before it (s) and the pause at it
  (s), side by side for the cut and the one-pass audio; and the utterance length of both;
  medians over the seams, and of |cut - one-pass| pitch step.

F0 is an autocorrelation estimate (40 ms frames, 10 ms hop, 70-400 Hz, voiced where the
normalised peak exceeds 0.5): a plain reference, not a pitch tracker of record. Word boundaries
come from the voice's own word marks. The machine's load average is printed with the figures.

Usage: nice -n 10 python bench/bench_kokoro_seam.py [--voice af_bella] [--no-lookahead] [--no-decode]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_daemon import SENTENCES  # noqa: E402

from faceplex.bridge.session.speaking import SEAM_LEAD_S, SEAM_TAIL_S  # noqa: E402
from faceplex.models.speech.catalog import open_registry  # noqa: E402
from faceplex.models.speech.text import LOOKAHEAD_WORDS, split_clauses, split_growing  # noqa: E402

COST_TEXTS = ["Yes.", "The bridge", "Could you bring me", "The bridge is closed today.",
              "I saw a wolf near the old mill.", "Could you bring me three apples from the market?",
              "Be careful on the mountain road after dark, and keep to the path until the morning comes."]


def f0_track(audio: np.ndarray, sr: int, hop_s: float = 0.01, win_s: float = 0.04) -> np.ndarray:
    """F0 (Hz) per hop (``(F,)`` float, NaN where unvoiced) by normalised autocorrelation."""
    x = audio.astype(np.float64) / 32768.0
    hop, win = int(hop_s * sr), int(win_s * sr)
    lo, hi = int(sr / 400), int(sr / 70)
    out = []
    for start in range(0, max(0, len(x) - win), hop):
        f = x[start:start + win] - x[start:start + win].mean()
        if np.sqrt(np.mean(f * f)) < 0.01:
            out.append(np.nan)
            continue
        ac = np.correlate(f, f, "full")[win - 1:]
        ac = ac / (ac[0] + 1e-12)
        lag = lo + int(np.argmax(ac[lo:hi]))
        out.append(sr / lag if ac[lag] > 0.5 else np.nan)
    return np.array(out)


def pitch_step(f0: np.ndarray, before_end: int, after_start: int, sr: int, span_s: float = 0.1) -> float | None:
    """Semitones from the median F0 of the last ``span_s`` of voicing before sample ``before_end``
    to the first ``span_s`` of voicing from ``after_start``; None without voicing on a side."""
    hop = int(0.01 * sr)
    b = f0[:before_end // hop]
    a = f0[after_start // hop:]
    b, a = b[~np.isnan(b)][-int(span_s / 0.01):], a[~np.isnan(a)][:int(span_s / 0.01)]
    if len(b) < 3 or len(a) < 3:
        return None
    return float(12 * np.log2(np.median(a) / np.median(b)))


def speak(voice, text: str, trim_lead=None, trim_tail=None, one_pass=False, lookahead=None, lookbehind=None):
    stream = voice.stream(text, trim_lead=trim_lead, trim_tail=trim_tail, one_pass=one_pass, lookahead=lookahead,
                          lookbehind=lookbehind)
    pieces = []
    while not stream.done:
        pieces += stream.step()
    audio = np.concatenate([p.audio for p in pieces])
    words = [(w.text, w.start + p.offset, w.end + p.offset) for p in pieces for w in p.words]
    return audio, words


def decode_costs(voice) -> dict:
    model, rows = voice.model, []
    for text in COST_TEXTS:
        toks = voice.tokens(voice.phonemize(text))
        ms = []
        for _ in range(3):
            t = time.perf_counter()
            audio, _ = model.run(toks, voice.style[len(toks) - 1])
            ms.append((time.perf_counter() - t) * 1000)
        rows.append({"text": text, "tokens": len(toks), "audio_s": round(audio.shape[0] / voice.sample_rate, 2),
                     "ms": round(float(np.median(ms)))})
    a = np.array([[1.0, r["audio_s"]] for r in rows])
    fixed, per = np.linalg.lstsq(a, np.array([r["ms"] for r in rows], dtype=float), rcond=None)[0]
    return {"runs": rows, "fit_ms": {"fixed": round(float(fixed)), "per_audio_s": round(float(per))}}


def seams(voice, args) -> dict:
    sr = voice.sample_rate
    tail, lead = int(SEAM_TAIL_S * sr), int(SEAM_LEAD_S * sr)
    rows = []
    for sentence in SENTENCES:
        clause = split_clauses(sentence)[0]
        runs = split_growing(clause)
        if len(runs) < 2:
            continue
        whole, wwords = speak(voice, clause, one_pass=True)
        parts, words, joined, pos = [], [], False, 0
        for i, (text, joins) in enumerate(runs):
            look = " ".join(runs[i + 1][0].split()[:LOOKAHEAD_WORDS]) if joins and args.lookahead else None
            back = " ".join(runs[i - 1][0].split()[-LOOKAHEAD_WORDS:]) if joined and args.lookahead else None
            audio, ws = speak(voice, text, trim_lead=lead if joined else None, trim_tail=tail if joins else None,
                              lookahead=look, lookbehind=back)
            parts.append(audio)
            words.append([(w, s + pos, e + pos) for w, s, e in ws])
            pos += audio.shape[0]
            joined = joins
        cut = np.concatenate(parts)
        f_cut, f_whole = f0_track(cut, sr), f0_track(whole, sr)
        k = 0
        for i in range(len(runs) - 1):
            k += len(words[i])
            (_, bs, be), (_, as_, _) = words[i][-1], words[i + 1][0]
            (_, wbs, wbe), (_, was, _) = wwords[k - 1], wwords[k]
            rows.append({"sentence": clause, "seam_before": runs[i + 1][0].split()[0],
                         "pitch_step_st": {"cut": _r(pitch_step(f_cut, be, as_, sr)), "one_pass": _r(pitch_step(f_whole, wbe, was, sr))},
                         "word_before_s": {"cut": round((be - bs) / sr, 3), "one_pass": round((wbe - wbs) / sr, 3)},
                         "pause_s": {"cut": round((as_ - be) / sr, 3), "one_pass": round((was - wbe) / sr, 3)},
                         "utterance_s": {"cut": round(cut.shape[0] / sr, 2), "one_pass": round(whole.shape[0] / sr, 2)}})
    def med(key, which):
        vals = [abs(r[key][which]) if key == "pitch_step_st" else r[key][which] for r in rows if r[key][which] is not None]
        return round(float(np.median(vals)), 3) if vals else None
    summary = {f"median_{key}{'_abs' if key == 'pitch_step_st' else ''}": {w: med(key, w) for w in ("cut", "one_pass")}
               for key in ("pitch_step_st", "word_before_s", "pause_s")}
    diffs = [abs(r["pitch_step_st"]["cut"] - r["pitch_step_st"]["one_pass"]) for r in rows
             if r["pitch_step_st"]["cut"] is not None and r["pitch_step_st"]["one_pass"] is not None]
    summary["median_pitch_step_abs_diff_st"] = round(float(np.median(diffs)), 2) if diffs else None
    return {"n": len(rows), **summary, "rows": rows}


def _r(x):
    return None if x is None else round(x, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voice", default="af_bella")
    parser.add_argument("--no-lookahead", dest="lookahead", action="store_false",
                        help="decode each run alone (as before the lookahead), to compare")
    parser.add_argument("--no-decode", dest="decode", action="store_false", help="skip the decode-cost table")
    args = parser.parse_args()
    reg = open_registry()
    if args.voice not in reg or getattr(reg[args.voice], "engine", None) != "kokoro":
        raise SystemExit(f"bench_kokoro_seam: {args.voice!r} is not an installed Kokoro voice (faceplex install-cast)")
    voice = reg[args.voice]
    speak(voice, "Warm up.")
    out = {"bench": "kokoro_seam", "voice": args.voice, "loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    if args.decode:
        out["decode"] = decode_costs(voice)
    out["seams"] = seams(voice, args)
    out["lookahead_words"] = LOOKAHEAD_WORDS if args.lookahead else 0
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
