"""Offline bake: text -> Take, through the same clause path the daemon streams.

Clauses are synthesized, resampled and placed back to back exactly as a session places them
(``bridge.utterance``), and the same :class:`FaceAnimator` animates them, so a baked take equals a
streamed utterance with the same seed (up to Piper's own sampling noise).
"""

from __future__ import annotations

import numpy as np

from faceplex.models.face.animator import FaceAnimator
from faceplex.models.speech.piper_voice import Voice
from faceplex.models.speech.text import split_clauses

from .take import Take
from .utterance import resample_clause


def bake_text(text: str, sample_rate: int = 22050, fps: int = 60, seed: int = 0, speed: float = 1.0,
              voice: Voice | None = None) -> Take:
    """Speak ``text`` and animate it. Raises ValueError for text with nothing speakable."""
    voice = voice or Voice.default()
    clauses = split_clauses(text)
    if not clauses:
        raise ValueError("nothing speakable in the text")
    animator = FaceAnimator(fps, seed=seed)
    pcm_parts, marks, pos = [], [], 0
    for clause_text in clauses:
        for chunk in voice.synthesize(clause_text, speed=speed):
            clause = resample_clause(chunk, sample_rate)
            animator.add_speech(chunk, pos / sample_rate)
            pcm_parts.append(clause.pcm)
            marks.extend({"kind": mk.kind, "sample": mk.start + pos, "end": mk.end + pos, "text": mk.text,
                          "viseme": mk.viseme} for mk in clause.marks)
            pos += clause.pcm.shape[0]
    num_frames = -(-pos * fps // sample_rate)  # frames whose sample lies in [0, pos)
    frames = animator.frames(0, num_frames)
    return Take(text=text, sample_rate=sample_rate, audio=np.concatenate(pcm_parts), fps=fps, frames=frames, marks=marks)
