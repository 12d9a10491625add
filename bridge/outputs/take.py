"""Takes on disk: WAV (speech), Live Link Face CSV (animation), PNG (a look at both).

The WAV and CSV formats themselves are :mod:`faceplex.models.audio.wav` and
:mod:`faceplex.models.face.live_link_csv` (the models' training reads and writes the same takes,
and models import nothing of ``bridge``); they are re-exported here for this room's callers.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from faceplex.models.audio.wav import read_wav, write_wav
from faceplex.models.face.live_link_csv import (CSV_FPS, parse_timecode, read_live_link_csv, resample_frames,
                                                timecode, write_live_link_csv)
from faceplex.protocol.names import CHANNEL_INDEX

__all__ = ["CSV_FPS", "Take", "parse_timecode", "plot_take", "read_live_link_csv", "read_wav", "resample_frames",
           "timecode", "write_live_link_csv", "write_take", "write_wav"]


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
