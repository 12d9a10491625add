"""Upper-face statistics of real faces, from public Live Link Face takes (issue 23), for
calibrating and benchmarking the animator (``bench/bench_lipsync.py``). The takes are not
committed; these numbers are all that is used from them.

Per take: the standard deviation over the whole take of ``browInnerUp``, of the mean of
``browDownLeft/Right``, of the mean of ``cheekSquintLeft/Right`` and of the mean of
``mouthSmileLeft/Right`` (ARKit weights, 0..1), and blinks per minute (``eyeBlink`` mean crossing
0.5 upward). The takes were recorded with Epic's Live Link Face app (60 fps CSV, the app's column
order); they hold no audio, so "while speaking" cannot be separated out: the whole take counts.
Two range-of-motion takes of the second source (``anim/alex_rom_3.csv``, ``alex_rom_4.csv``:
deliberate extremes, not behaviour) are left out. Their head columns are all 0 (head rotation was
not recorded): there is **no public head reference** here.

Sources (both MIT licensed; NeuroSync_Player is dual-licensed, MIT below $1M revenue):

- ``AnimaVR/NeuroSync_Player`` at ``f31b8fad5d86``, ``livelink/animations/<Emotion>/*.csv``
  (emotion takes, acted; the ``Happy.csv`` copies under Neutral/Surprised/default_anim are the
  same file and counted once);
- ``alexdjulin/LiveLinkFace-CSV-Retarget-For-Motionbuilder``, ``anim/S07-001.csv``,
  ``anim/S88-001.csv``, ``csv/apfel.csv``, ``csv/facial.csv`` as they were before the commits
  that removed them (``122e2b234116^``, ``bf5ea3f81a7e^``, ``058ba054eba5^``).
"""

from __future__ import annotations

import numpy as np

#: (source, path, seconds, browInnerUp sd, browDown sd, cheekSquint sd, mouthSmile sd, blinks/min)
TAKES: tuple[tuple[str, str, float, float, float, float, float, float], ...] = (
    ("alexdjulin/LiveLinkFace-CSV-Retarget-For-Motionbuilder@122e2b234116^", "anim/S07-001.csv", 33.8, 0.022, 0.012, 0.008, 0.157, 12.4),
    ("alexdjulin/LiveLinkFace-CSV-Retarget-For-Motionbuilder@bf5ea3f81a7e^", "anim/S88-001.csv", 27.7, 0.024, 0.081, 0.020, 0.083, 54.2),
    ("alexdjulin/LiveLinkFace-CSV-Retarget-For-Motionbuilder@058ba054eba5^", "csv/apfel.csv", 31.5, 0.063, 0.062, 0.007, 0.072, 20.9),
    ("alexdjulin/LiveLinkFace-CSV-Retarget-For-Motionbuilder@058ba054eba5^", "csv/facial.csv", 31.9, 0.031, 0.029, 0.011, 0.126, 20.7),
    ("AnimaVR/NeuroSync_Player@f31b8fad5d86", "livelink/animations/Angry/MySlate_164_iPhone_cal.csv", 31.6, 0.197, 0.049, 0.106, 0.211, 28.5),
    ("AnimaVR/NeuroSync_Player@f31b8fad5d86", "livelink/animations/Angry/MySlate_165_iPhone_cal.csv", 30.9, 0.042, 0.114, 0.104, 0.162, 25.3),
    ("AnimaVR/NeuroSync_Player@f31b8fad5d86", "livelink/animations/Angry/MySlate_166_iPhone_cal.csv", 30.8, 0.041, 0.102, 0.118, 0.206, 15.6),
    ("AnimaVR/NeuroSync_Player@f31b8fad5d86", "livelink/animations/Fearful/MySlate_161_iPhone_cal.csv", 30.8, 0.105, 0.000, 0.011, 0.000, 2.0),
    ("AnimaVR/NeuroSync_Player@f31b8fad5d86", "livelink/animations/Fearful/MySlate_162_iPhone_cal.csv", 30.5, 0.067, 0.196, 0.013, 0.000, 3.9),
    ("AnimaVR/NeuroSync_Player@f31b8fad5d86", "livelink/animations/Fearful/MySlate_163_iPhone_cal.csv", 31.1, 0.070, 0.196, 0.026, 0.010, 7.7),
    ("AnimaVR/NeuroSync_Player@f31b8fad5d86", "livelink/animations/Happy/Happy.csv", 50.8, 0.015, 0.000, 0.065, 0.076, 8.3),
    ("AnimaVR/NeuroSync_Player@f31b8fad5d86", "livelink/animations/Sad/MySlate_167_iPhone_cal.csv", 30.4, 0.042, 0.091, 0.015, 0.010, 19.7),
    ("AnimaVR/NeuroSync_Player@f31b8fad5d86", "livelink/animations/Sad/MySlate_168_iPhone_cal.csv", 30.6, 0.075, 0.081, 0.047, 0.014, 41.1),
    ("AnimaVR/NeuroSync_Player@f31b8fad5d86", "livelink/animations/Sad/MySlate_169_iPhone_cal.csv", 30.9, 0.098, 0.117, 0.033, 0.016, 25.3),
)
#: The statistics' names, in TAKES's column order (from the 4th column).
NAMES = ("browInnerUp", "browDown", "cheekSquint", "mouthSmile", "blinks_per_min")
#: Medians over :data:`TAKES` (the bench's references; targets are +-30 % of these).
MEDIAN: dict[str, float] = {n: float(np.median([t[3 + i] for t in TAKES])) for i, n in enumerate(NAMES)}
#: Tolerance of the bench's targets (issue 23): within +-30 % of the reference.
TOLERANCE = 0.30


def spreads(frames: np.ndarray, mask=slice(None)) -> dict[str, float]:
    """The upper-face statistics of :data:`NAMES` (but blinks) of wire frames ``(F, 59)`` over
    ``mask`` (frames while speaking), plus the head's yaw/pitch/roll sd in radians (no reference)."""
    from faceplex.protocol.names import CHANNEL_INDEX as C

    f = np.asarray(frames)[mask]

    def mean2(a: str) -> np.ndarray:
        return 0.5 * (f[:, C[a + "Left"]] + f[:, C[a + "Right"]])

    return {"browInnerUp": float(f[:, C["browInnerUp"]].std()), "browDown": float(mean2("browDown").std()),
            "cheekSquint": float(mean2("cheekSquint").std()), "mouthSmile": float(mean2("mouthSmile").std()),
            "headYaw": float(f[:, C["headYaw"]].std()), "headPitch": float(f[:, C["headPitch"]].std()),
            "headRoll": float(f[:, C["headRoll"]].std())}
