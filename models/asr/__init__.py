"""The partner's speech as text (issue 22): installed models, a streaming per-session state, the
Whisper (CTranslate2) and PocketSphinx backends, and the worker process that runs them.

- :mod:`.models`: which transcription models are installed (``features.transcription``).
- :mod:`.stream`: :class:`~.stream.TranscriptStream`, one per session: segments, interim cadence,
  stable-prefix commits, bounded memory; sans-I/O (jobs out, hypotheses in).
- :mod:`.whisper`, :mod:`.sphinx`: the backends (16 kHz float32 audio -> :class:`~.result.Hypothesis`).
- :mod:`.worker`: one process at nice 10 that owns the models (off the daemon's interpreter lock).
"""
