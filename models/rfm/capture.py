"""Live Link Face takes as the iPhone app records them, for ``faceplex train`` / ``faceplex eval``.

The app writes, per take, ``NAME.csv`` (header ``Timecode,BlendshapeCount,`` + 61 columns,
REFERENCE.md "Formats") and ``NAME.mov`` (video + the phone's microphone). Differences from the
corpus FacePlex writes, handled here:

- the timecode is the **time of day** of each row (``HH:MM:SS:FF.fff``, ``FF`` the frame within the
  second at the app's own frame rate, e.g. 60, 30 or 24): :func:`read_take_csv` detects the rate
  from the largest ``FF``, converts, and **zeroes** the times at the first row (a take that
  crosses midnight keeps counting up);
- head/eye rotations are the app's radians with yaw and roll negated (not the degrees / 180 of
  Epic's streamed Live Link; ``faceplex.protocol.names.LIVE_LINK_CSV_ROTATION_SIGN`` says how that
  was measured): converted to FacePlex radians by
  ``faceplex.protocol.names.from_live_link_csv_rotation`` inside
  :func:`faceplex.models.face.live_link_csv.read_live_link_csv` (contract 4);
- the audio lives in the ``.mov``. Extract it once, 16-bit mono (the rate is kept; FacePlex
  resamples), with ffmpeg::

      ffmpeg -i NAME.mov -vn -ac 1 -c:a pcm_s16le NAME.wav

  (:func:`extract_audio` runs exactly that);
- nothing gives phone timing: :func:`write_phone_timing` writes ``NAME.phonemes.json`` from a
  PocketSphinx forced alignment of the audio to ``NAME.txt`` (the transcript) or, without one,
  from phone recognition. Takes without it train with phones "unknown".
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np

COMMON_FPS = (24, 25, 30, 48, 50, 60, 120)


def _tc_parts(tc: str) -> tuple[int, float]:
    hh, mm, ss, ff = tc.strip().split(":")
    return int(hh) * 3600 + int(mm) * 60 + int(ss), float(ff)


def read_take_csv(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """A Live Link Face CSV -> ``(times (F,) s from the first row, frames (F, 59) float32, fps)``.

    Frames are in wire order with rotations in radians. Raises ValueError for a file that is not
    a Live Link Face CSV, has no rows, or whose timecode does not increase."""
    from faceplex.models.face.live_link_csv import read_live_link_csv

    path = Path(path)
    _, frames = read_live_link_csv(path)
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        tcs = [row[0] for row in reader if row]
    if not tcs:
        raise ValueError(f"{path}: no rows")
    try:
        parts = [_tc_parts(tc) for tc in tcs]
    except ValueError:
        raise ValueError(f"{path}: timecode is not HH:MM:SS:FF.fff") from None
    top = int(np.floor(max(p[1] for p in parts))) + 1
    fps = next((r for r in COMMON_FPS if r >= top), top)
    secs = np.array([s for s, _ in parts], dtype=np.float64)
    secs = np.where(secs < secs[0], secs + 86400.0, secs)   # crossed midnight
    times = secs + np.array([ff for _, ff in parts]) / fps
    times -= times[0]
    if times.shape[0] > 1 and np.any(np.diff(times) <= 0):
        raise ValueError(f"{path}: timecode does not increase row by row")
    return times, frames, fps


def extract_audio(mov: Path, wav: Path | None = None) -> Path:
    """``ffmpeg -i NAME.mov -vn -ac 1 -c:a pcm_s16le NAME.wav``. Raises ValueError without ffmpeg
    or when it fails (its last line of stderr)."""
    mov = Path(mov)
    wav = Path(wav) if wav is not None else mov.with_suffix(".wav")
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise ValueError("ffmpeg not found (apt-get install ffmpeg)")
    r = subprocess.run([exe, "-y", "-loglevel", "error", "-i", str(mov), "-vn", "-ac", "1", "-c:a", "pcm_s16le",
                        str(wav)], capture_output=True, text=True)
    if r.returncode != 0:
        raise ValueError(f"ffmpeg failed on {mov}: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
    return wav


def write_phone_timing(wav: Path, text: str | None = None) -> Path:
    """``NAME.phonemes.json`` (``{sample_rate, phonemes: [{phoneme, start, end}]}``, IPA phones in
    samples of ``NAME.wav``) from PocketSphinx: forced alignment to ``text`` (default: ``NAME.txt``
    when it exists), else phone recognition."""
    from faceplex.models.audio.wav import read_wav
    from faceplex.models.speech.align import aligner, to_chunk

    from .features import to_16k

    wav = Path(wav)
    if text is None and wav.with_suffix(".txt").exists():
        text = wav.with_suffix(".txt").read_text(encoding="utf-8").strip()
    audio, sr = read_wav(wav)
    x16 = np.clip(np.round(to_16k(audio[:, 0], sr) * 32768.0), -32768, 32767).astype(np.int16)
    al = aligner()
    phones, words = al.align(x16, text) if text else (al.recognize(x16), [])
    chunk = to_chunk(x16, phones, words, text or "")
    k = sr / 16000
    out = wav.with_suffix(".phonemes.json")
    # never silently: a transcript that could not be aligned says so (Aligner.align returns words
    # exactly when the alignment succeeded; it falls back to recognition otherwise)
    extra = {"warning": "transcript_not_used"} if text and not words else {}
    out.write_text(json.dumps({"sample_rate": sr, "source": "pocketsphinx " + ("alignment" if words else "recognition"),
                               **extra, "phonemes": [{"phoneme": p.phoneme, "start": int(round(p.start * k)),
                                             "end": int(round(p.end * k))} for p in chunk.phonemes]},
                              ensure_ascii=False))
    return out


def prepare_takes(root: Path) -> list[dict]:
    """For every ``NAME.csv`` under ``root`` with a ``NAME.mov`` (or ``NAME.wav``): extract the
    audio if needed and write the phone timing if missing. Returns one dict per take it changed."""
    done = []
    for csv_p in sorted(Path(root).rglob("*.csv")):
        wav = csv_p.with_suffix(".wav")
        mov = next((p for p in (csv_p.with_suffix(".mov"), csv_p.with_suffix(".MOV")) if p.exists()), None)
        if not wav.exists() and mov is not None:
            extract_audio(mov, wav)
        if not wav.exists():
            continue
        ph = wav.with_suffix(".phonemes.json")
        if not ph.exists():
            write_phone_timing(wav)
            done.append({"take": str(csv_p.with_suffix("")), "phonemes": str(ph)})
    return done
