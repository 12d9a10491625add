"""A take saved from the stream keeps only what the voice spoke: silence the daemon inserted is cut.

When synthesis falls behind, the daemon fills the timeline with silence so the client never
underruns (PROTOCOL.md §6) and reports it (``inserted_silence``). The voice's own phonemes tile its
audio exactly (pauses included), so inserted silence is exactly the stretches of the utterance
that no phoneme mark covers. :func:`drop_inserted_silence` removes them from a received take, in
whole face frames starting on a frame so that audio, frames and marks stay on one grid (a
remainder shorter than two steps of ``fps / gcd(rate, fps)`` frames stays: < 33 ms at 48 kHz /
60 fps).
"""

from __future__ import annotations

from math import gcd

import numpy as np


def inserted_gaps(marks: list[dict]) -> list[tuple[int, int]]:
    """``[start, end)`` sample ranges between consecutive phoneme marks (take-relative samples)."""
    phones = sorted((mk for mk in marks if mk["kind"] == "phoneme"), key=lambda mk: mk["sample"])
    return [(a["end"], b["sample"]) for a, b in zip(phones, phones[1:]) if b["sample"] > a["end"]]


def drop_inserted_silence(audio: np.ndarray, frames: np.ndarray, marks: list[dict], sample_rate: int,
                          fps: int) -> tuple[np.ndarray, np.ndarray, list[dict], int]:
    """Cut inserted silence from a take whose sample 0 is the utterance's first sample and whose
    frame ``i`` lies at sample ``floor(i * rate / fps)``.

    Args:
        audio: ``(N,) int16``; frames: ``(F, C) float32``; marks: dicts with ``kind``, ``sample``,
            ``end`` (take-relative samples).

    Returns:
        ``(audio, frames, marks, samples_cut)``.
    """
    step_frames = fps // gcd(sample_rate, fps)     # frames per whole number of samples
    step = step_frames * sample_rate // fps         # ... and those samples
    keep = np.ones(audio.shape[0], dtype=bool)
    keep_f = np.ones(frames.shape[0], dtype=bool)
    cuts = []  # (position, samples cut there)
    for a, b in inserted_gaps(marks):
        n = (b - a) // step
        if n <= 0:
            continue
        # Cut whole frame steps starting at the first frame at or after the gap's start.
        f0 = -(-a * fps // sample_rate)
        f0 = -(-f0 // step_frames) * step_frames
        s0 = f0 * sample_rate // fps
        n = min(n, (b - s0) // step)
        if n <= 0:
            continue
        keep[s0:s0 + n * step] = False
        keep_f[f0:f0 + n * step_frames] = False
        cuts.append((s0, n * step))

    def shift(x: int) -> int:
        return x - sum(c for p, c in cuts if p < x)

    out_marks = [{**mk, "sample": shift(mk["sample"]), "end": shift(mk["end"])} for mk in marks]
    return audio[keep], frames[keep_f], out_marks, sum(c for _, c in cuts)
