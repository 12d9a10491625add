"""One client session: ``session.py``'s coordinator routes its messages to its parts.

In: decoded client messages (``say``, ``cancel``, ``config``, ``mic``, ``lipsync``, ...). Out:
``audio``/``face``/``mark``/event messages paced to real time. Parts (one object each, held by the
session, sharing ``state.py``'s timeline and queue): ``speaking.py`` (say -> clauses -> synthesis),
``listening.py`` (mic, VAD, barge-in, lipsync), ``pacing.py`` (the producer), ``outgoing.py`` (the
queue and writer). Also the settings, limits and motion backends. May use: ``timeline``,
``speaking``, ``listening``.
"""
