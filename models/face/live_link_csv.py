"""The Live Link Face CSV: the exact format the Live Link Face app records (REFERENCE.md,
"Formats"): header ``Timecode,BlendshapeCount,`` then 61 columns in the app's order, 60 rows per
second, timecode ``HH:MM:SS:FF.fff`` (FF = frame within the second at 60 fps, .fff = sub-frame
fraction). Unreal's Live Link Face importer, ``faceplex say``/``demo`` takes and FacePlex's own
training data (``models/rfm``) use it.

Here, below ``bridge/``, because the models read and write the same takes as the daemon's
outputs (``faceplex.bridge.outputs.take`` re-exports these).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from faceplex.protocol.names import (CHANNEL_INDEX, FRAME_CHANNELS, LIVE_LINK_CSV_ORDER,
                                     LIVE_LINK_CSV_ROTATION_SIGN, from_live_link_csv_rotation, live_link_values)

#: Rows per second of the CSV (the app's rate; other rates are resampled to it on writing).
CSV_FPS = 60


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
