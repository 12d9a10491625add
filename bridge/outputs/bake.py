"""Offline bake: text -> Take, through the same clause path the daemon streams.

Clauses are synthesized, resampled and placed back to back exactly as a session places them
(``bridge.utterance``), and the same :class:`FaceAnimator` animates them, so a baked take equals a
streamed utterance with the same seed; the voice's noise is seeded too (bit-identical bakes).
"""

from __future__ import annotations

import numpy as np

from faceplex.models.face.animator import FaceAnimator
from faceplex.models.face.visemes import viseme_for
from faceplex.models.speech.piper_voice import Voice
from faceplex.models.speech.text import split_clauses

from faceplex.bridge.outputs.take import Take, read_wav
from faceplex.bridge.timeline.utterance import resample_clause


def bake_text(text: str, sample_rate: int = 22050, fps: int = 60, seed: int = 0, speed: float = 1.0,
              voice: Voice | None = None, emotion: str = "neutral", emotion_intensity: float = 0.5) -> Take:
    """Speak ``text`` and animate it (with ``emotion`` at ``emotion_intensity``, 0-1). Raises
    ValueError for text with nothing speakable or an unknown emotion."""
    voice = voice or Voice.default()
    clauses = split_clauses(text)
    if not clauses:
        raise ValueError("empty_text: nothing speakable in the text (as the daemon's say answers)")
    animator = FaceAnimator(fps, seed=seed, emotion=emotion, emotion_intensity=emotion_intensity)
    pcm_parts, marks, pos = [], [], 0
    for clause_text in clauses:
        for chunk in voice.synthesize(clause_text, speed=speed, seed=seed):
            clause = resample_clause(chunk, sample_rate)
            animator.add_speech(chunk, pos / sample_rate)
            pcm_parts.append(clause.pcm)
            marks.extend({"kind": mk.kind, "sample": mk.start + pos, "end": mk.end + pos, "text": mk.text,
                          "viseme": mk.viseme} for mk in clause.marks)
            pos += clause.pcm.shape[0]
    num_frames = -(-pos * fps // sample_rate)  # frames whose sample lies in [0, pos)
    frames = animator.frames(0, num_frames)
    return Take(text=text, sample_rate=sample_rate, audio=np.concatenate(pcm_parts), fps=fps, frames=frames, marks=marks)


def bake_audio(path, text: str | None = None, sample_rate: int | None = None, fps: int = 60, seed: int = 0,
               emotion: str = "neutral", emotion_intensity: float = 0.5) -> Take:
    """Animate a recorded line (a PCM16 WAV, any rate, mono or stereo) as the daemon animates a
    ``lipsync`` utterance: PocketSphinx phone timing (forced alignment when ``text`` is given,
    phone recognition otherwise). The take's audio is the recording at ``sample_rate`` (default:
    its own rate)."""
    import soxr

    from faceplex.bridge.listening.lipsync import analyse_file

    audio, rate = read_wav(path)
    audio = audio[:, 0] if audio.shape[1] == 1 else audio.astype(np.float32).mean(axis=1).astype(np.int16)
    sample_rate = sample_rate or rate
    _, chunk = analyse_file(audio, rate, text)
    animator = FaceAnimator(fps, seed=seed, emotion=emotion, emotion_intensity=emotion_intensity)
    animator.add_speech(chunk, 0.0)
    out = audio if sample_rate == rate else soxr.resample(audio, rate, sample_rate, quality="VHQ").astype(np.int16)
    ratio = sample_rate / chunk.sample_rate

    def scale(x: int) -> int:
        return min(len(out), int(round(x * ratio)))

    marks = [{"kind": "word", "sample": scale(w.start), "end": scale(w.end), "text": w.text, "viseme": None}
             for w in chunk.words]
    marks += [{"kind": "phoneme", "sample": scale(p.start), "end": scale(p.end), "text": p.phoneme,
               "viseme": viseme_for(p.phoneme)} for p in chunk.phonemes]
    marks.sort(key=lambda mk: (mk["sample"], mk["kind"] != "word"))
    num_frames = -(-len(out) * fps // sample_rate)
    return Take(text=text or "", sample_rate=sample_rate, audio=out, fps=fps, frames=animator.frames(0, num_frames),
                marks=marks)
