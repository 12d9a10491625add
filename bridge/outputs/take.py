"""Takes on disk: WAV (speech), Live Link Face CSV (animation), PNG (a look at both).

The CSV is the exact format the Live Link Face app records (REFERENCE.md, "Formats"): header
``Timecode,BlendshapeCount,`` then 61 columns in the app's order, 60 rows per second, timecode
``HH:MM:SS:FF.fff`` (FF = frame within the second at 60 fps, .fff = sub-frame fraction). Unreal's
Live Link Face importer and FacePlex's own training data loader read it.
"""

from __future__ import annotations

import csv
import json
import warnings
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from faceplex.protocol.names import (CHANNEL_INDEX, FRAME_CHANNELS, LIVE_LINK_CSV_ORDER,
                                     LIVE_LINK_CSV_ROTATION_SIGN, from_live_link_csv_rotation, live_link_values)

CSV_FPS = 60


@dataclass
class Take:
    """A spoken line with its animation.

    ``audio``: ``(N,) int16`` mono at ``sample_rate`` Hz; ``frames``: ``(F, 59) float32`` in wire
    channel order, frame n at ``n / fps`` s; ``marks``: dicts ``{kind, sample, end, text, viseme}``
    in samples from the take's start.
    """

    text: str
    sample_rate: int
    audio: np.ndarray
    fps: int
    frames: np.ndarray
    marks: list = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.audio.shape[0] / self.sample_rate


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """Write ``(N,) int16`` mono PCM16LE WAV."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(np.asarray(audio, dtype="<i2").tobytes())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read a PCM16 WAV; returns ``((N, channels) int16, sample_rate Hz)``.

    Raises ValueError for a sample width other than 16 bits.
    """
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: {8 * w.getsampwidth()}-bit WAV; FacePlex reads PCM16")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.reshape(-1, w.getnchannels()), w.getframerate()


def timecode(row: int, fps: int = CSV_FPS) -> str:
    """Row index at ``fps`` -> ``HH:MM:SS:FF.fff`` (sub-frame 0 for rows on frame boundaries)."""
    seconds, ff = divmod(row, fps)
    hh, rem = divmod(seconds, 3600)
    mm, ss = divmod(rem, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}.000"


def parse_timecode(tc: str, fps: int = CSV_FPS) -> float:
    """``HH:MM:SS:FF.fff`` -> seconds."""
    hh, mm, ss, ff = tc.split(":")
    return int(hh) * 3600 + int(mm) * 60 + int(ss) + float(ff) / fps


def resample_frames(frames: np.ndarray, fps_in: int, fps_out: int, num_out: int) -> np.ndarray:
    """Linear interpolation of ``(F, C)`` frames from ``fps_in`` to ``num_out`` frames at ``fps_out``."""
    if fps_in == fps_out and frames.shape[0] == num_out:
        return frames
    t_in = np.arange(frames.shape[0]) / fps_in
    t_out = np.arange(num_out) / fps_out
    return np.stack([np.interp(t_out, t_in, frames[:, c]) for c in range(frames.shape[1])], axis=1).astype(np.float32)


def write_live_link_csv(path: Path, frames: np.ndarray, fps: int) -> None:
    """Write ``(F, 59)`` frames at ``fps`` as a Live Link Face CSV (60 rows per second): weights
    0..1, head/eye rotations as the app writes them: radians, yaw and roll negated
    (:func:`faceplex.protocol.names.to_live_link_csv_rotation`)."""
    num_rows = int(np.ceil(frames.shape[0] * CSV_FPS / fps))
    rows = resample_frames(frames, fps, CSV_FPS, num_rows)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["Timecode", "BlendshapeCount", *LIVE_LINK_CSV_ORDER])
        for i, frame in enumerate(rows):
            values = live_link_values(frame, LIVE_LINK_CSV_ORDER, csv=True)
            w.writerow([timecode(i), len(LIVE_LINK_CSV_ORDER), *(f"{v:.6f}" for v in values)])


def read_live_link_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a Live Link Face CSV (ours or the app's).

    Returns ``(times (F,) seconds, frames (F, 59) float32 in wire order)``; columns are matched by
    name, case-insensitively (eye roll is dropped); rotations come back in FacePlex radians
    (:func:`faceplex.protocol.names.from_live_link_csv_rotation`: the app's radians, yaw and roll
    negated). Raises ValueError on a file without the header.
    """
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if [h.lower() for h in header[:2]] != ["timecode", "blendshapecount"]:
            raise ValueError(f"{path}: not a Live Link Face CSV (header starts {header[:2]})")
        cols, signs = {}, {}
        for j, name in enumerate(header[2:], start=2):
            wire = name[:1].lower() + name[1:]
            idx = CHANNEL_INDEX.get(wire)
            if idx is None:
                idx = next((i for n, i in CHANNEL_INDEX.items() if n.lower() == name.lower()), None)
            if idx is not None:
                cols[j] = idx
                pose = next((p for p in LIVE_LINK_CSV_ROTATION_SIGN if p.lower() == name.lower()), None)
                if pose is not None:
                    signs[idx] = from_live_link_csv_rotation(pose, 1.0)
        times, frames = [], []
        for row in reader:
            if not row:
                continue
            times.append(parse_timecode(row[0]))
            frame = np.zeros(len(FRAME_CHANNELS), dtype=np.float32)
            for j, idx in cols.items():
                frame[idx] = float(row[j])
            for idx, sign in signs.items():   # the app's radians -> FacePlex's signs
                frame[idx] *= sign
            frames.append(frame)
    return np.asarray(times), np.asarray(frames, dtype=np.float32).reshape(-1, len(FRAME_CHANNELS))


PLOT_CHANNELS = ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft",
                 "eyeBlinkLeft", "browInnerUp", "headPitch")


def plot_take(path: Path, take: Take) -> None:
    """Waveform with word labels on top, the main mouth/jaw/blink/brow/head curves below (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t_audio = np.arange(take.audio.shape[0]) / take.sample_rate
    t_face = np.arange(take.frames.shape[0]) / take.fps
    fig, axes = plt.subplots(2, 1, figsize=(12, 6), sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    axes[0].plot(t_audio, take.audio / 32768.0, lw=0.4, color="0.3")
    axes[0].set_ylabel("speech")
    axes[0].set_ylim(-1, 1)
    for mk in take.marks:
        if mk["kind"] == "word":
            axes[0].text(mk["sample"] / take.sample_rate, 0.8, mk["text"], fontsize=8)
    for name in PLOT_CHANNELS:
        axes[1].plot(t_face, take.frames[:, CHANNEL_INDEX[name]], lw=1.0, label=name)
    axes[1].set_xlabel("time (s)")
    axes[1].set_ylabel("weight / rad")
    axes[1].legend(loc="upper right", fontsize=7, ncol=4)
    axes[0].set_title(take.text[:100])
    with warnings.catch_warnings():
        # matplotlib's fonts have no CJK or Devanagari glyphs: the title and word labels of such
        # a take show boxes; one warning per missing glyph would flood the CLI's stderr
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    plt.close(fig)


def write_take(take: Take, out_dir: Path) -> dict[str, Path]:
    """Write ``take.wav``, ``take.csv``, ``take.png`` and ``take.marks.json`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"wav": out_dir / "take.wav", "csv": out_dir / "take.csv", "png": out_dir / "take.png",
             "marks": out_dir / "take.marks.json"}
    write_wav(paths["wav"], take.audio, take.sample_rate)
    write_live_link_csv(paths["csv"], take.frames, take.fps)
    plot_take(paths["png"], take)
    paths["marks"].write_text(json.dumps({"text": take.text, "sample_rate": take.sample_rate, "marks": take.marks},
                                         ensure_ascii=False, indent=1))
    return paths
