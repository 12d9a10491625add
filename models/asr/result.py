"""What a backend returns for one stretch of 16 kHz audio."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Hypothesis:
    """A backend's reading of ``audio[0:n]`` of a job.

    ``text``: the whole segment's text (a forced prefix included). ``words``: ``[(text, start_s,
    end_s)]`` in seconds from the job's first sample (empty when the job did not ask for them).
    ``language``: BCP-47 / ISO 639-1 code. ``confidence``: 0-1 (Whisper: the mean token probability;
    PocketSphinx: the mean of its words' posterior probabilities). ``model``: the backend's name as the protocol
    says it (``"tiny.en"``, ``"base"``, ``"pocketsphinx"``). ``tokens``: backend token ids (Whisper)
    of the text, for the next prompt. ``compute_s``: CPU time of the reading (the worker process's own
    ``process_time``; CTranslate2 computes on its own threads)."""

    text: str
    words: list[tuple[str, float, float]] = field(default_factory=list)
    language: str = "en"
    confidence: float = 0.0
    model: str = ""
    compute_s: float = 0.0
