"""What the character hears: the partner's microphone, voice activity, and speech it did not make.

In: ``mic`` and ``lipsync`` PCM. Out: partner speech events, listening cues, phone timing of
external audio (PocketSphinx in a worker process). May use: ``timeline``, ``models``.
"""
