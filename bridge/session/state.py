"""What the parts of one session share: its timeline, utterance queue, settings and face.

:class:`SessionState` is a plain shared object, not a part: the coordinator
(:mod:`~faceplex.bridge.session.session`) creates it and hands it to the pacer, the speaking side
and the listening side, which read and change these fields (and only these) of one another.
Everything here runs on the event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Callable, Optional

import numpy as np

from faceplex.models.face.animator import FaceAnimator
from faceplex.protocol.connection import ServerConnection

from faceplex.bridge.session.settings import SessionConfig
from faceplex.bridge.timeline.utterance import Utterance


class SessionState:
    """The session's timeline (output samples since ``welcome``) and what is placed on it.

    Attributes:
        id: the session id (``"s1"``...); conn: the sans-I/O server connection (messages out).
        sample_rate: output rate in Hz; fps: face frames per second.
        config: the session's settings (replaced whole by ``config``).
        animator: the motion backend (``bridge.session.motion``), rebuilt while idle once
            ``animator_dirty`` is set.
        queue: ``[current, queued...]`` utterances; by_id: utterance id -> utterance.
        next_frame: the first face frame not produced yet.
        t0_ns: ``time.monotonic_ns()`` at ``welcome`` (sample 0 of the timeline).
        closed: no more media is produced (closed, shut down or overflowed).
        played_sample, played_utt, played_at: the client's last playback report (sample, its
            utterance, and the ``time.monotonic()`` seconds it arrived).
        frame_sink: optional ``(frame, values)`` callback for every face frame (Live Link UDP).
        wake: set to run the pacer's next step now instead of at its next tick.
    """

    def __init__(self, session_id: str, conn: ServerConnection, sample_rate: int, fps: int,
                 animator_cls: Callable = FaceAnimator):
        self.id = session_id
        self.conn = conn
        self.sample_rate = sample_rate
        self.fps = fps
        self.animator_cls = animator_cls
        self.config = SessionConfig()
        self.animator: Optional[FaceAnimator] = None
        self.animator = self.new_animator()
        self.animator_dirty = False
        self.queue: deque[Utterance] = deque()
        self.by_id: dict[str, Utterance] = {}
        self.next_frame = 0
        self.t0_ns = 0
        self.closed = False
        self.played_sample: Optional[int] = None
        self.played_utt: Optional[str] = None
        self.played_at: Optional[float] = None
        self.frame_sink: Optional[Callable[[int, np.ndarray], None]] = None
        self.wake = asyncio.Event()

    # ------------------------------------------------------------------ clocks
    def clock_sample(self) -> int:
        """The daemon's media clock: output samples since ``welcome``."""
        return (time.monotonic_ns() - self.t0_ns) * self.sample_rate // 1_000_000_000

    def frame_sample(self, n: int) -> int:
        """Timeline sample of face frame ``n``: floor(n * sample_rate / fps)."""
        return n * self.sample_rate // self.fps

    # ------------------------------------------------------------------ face
    def new_animator(self) -> FaceAnimator:
        """A motion backend built from the current settings (the old one is closed first)."""
        old = self.animator
        if old is not None and hasattr(old, "close"):
            old.close()
        c = self.config
        anim = self.animator_cls(self.fps, seed=c.seed, expressiveness=c.expressiveness,
                                 blink_rate_per_min=c.blink_rate_per_min, idle_motion=c.idle_motion)
        if hasattr(anim, "set_emotion"):
            anim.set_emotion(c.emotion, c.emotion_intensity, at_s=0.0)
        return anim

    def place_ready(self, utt: Utterance) -> None:
        """Place every ready piece of ``utt`` on the timeline and hand it to the animator."""
        while utt.ready:
            at = utt.placed_end
            clause = utt.place_next()
            self.animator.add_speech(clause.chunk, (at + clause.anim_shift) / self.sample_rate)

    def set_expressiveness(self, value: Optional[float]) -> None:
        """Per-utterance ``style.expressiveness``: applies to the frames produced while it plays."""
        if hasattr(self.animator, "expressiveness"):
            self.animator.expressiveness = self.config.expressiveness if value is None else value

    def set_emotion(self, utt: Optional[Utterance]) -> None:
        """Per-utterance ``style.emotion``/``emotion_intensity`` (else the session's settings): the
        face eases into it from the next frame (``FaceAnimator.set_emotion``)."""
        if hasattr(self.animator, "set_emotion"):
            c = self.config
            name = utt.emotion if utt is not None and utt.emotion is not None else c.emotion
            value = utt.emotion_intensity if utt is not None and utt.emotion_intensity is not None else c.emotion_intensity
            self.animator.set_emotion(name, value)
