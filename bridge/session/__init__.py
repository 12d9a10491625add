"""One client session: routes its messages, owns its timeline, pacing and outgoing queue.

In: decoded client messages (``say``, ``cancel``, ``config``, ``mic``, ``lipsync``, ...). Out:
``audio``/``face``/``mark``/event messages paced to real time. Also the per-session settings,
limits and motion backends. May use: ``timeline``, ``speaking``, ``listening``.
"""
