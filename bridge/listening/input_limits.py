"""Per-session limits on streamed input audio (issue 13; PROTOCOL.md §11 "Limits").

- ``mic``: at most :data:`MIC_MAX_RATE` seconds of audio per wall second, sustained, with a
  burst allowance of :data:`MIC_BURST_S` (a token bucket, counted in *declared* seconds:
  frames / declared ``sample_rate``, which is what speech detection costs). The bucket belongs
  to the session, not to a declared format, so alternating the declared rate does not reset it
  (the cadence check of :mod:`faceplex.bridge.listening.listener` does restart per format). Chunks over
  the limit are dropped, answered with ``mic_rate_exceeded`` once per episode of excess.
- ``lipsync``: a session holds at most :data:`MAX_SESSION_LIPSYNC_S` seconds of lipsync input
  that has not been sent back yet, over all its lipsync utterances (and one utterance at most
  ``MAX_LIPSYNC_SECONDS``); a chunk beyond it is refused with ``lipsync_overflow`` and lost
  for the client to resend later. Analysis is scheduled fairly anyway
  (:mod:`faceplex.bridge.listening.analysis`); this bounds the daemon's memory.

Both answer the offending session with an error; no other session is slowed.
"""

from __future__ import annotations

from typing import Optional

#: Sustained mic audio per wall second (1.0 = real time; jitter and bursts after a stall fit
#: in the burst allowance).
MIC_MAX_RATE = 1.5
MIC_BURST_S = 3.0
MAX_SESSION_LIPSYNC_S = 180.0


class MicRateLimit:
    """Token bucket in seconds of audio. ``admit(seconds, now_s)`` -> True if the chunk may be
    analysed; ``report`` is True for the first refusal of an episode, which ends only once the
    bucket is half full again (a flood refills it now and then by one chunk: not a new episode)."""

    def __init__(self, rate: float = MIC_MAX_RATE, burst_s: float = MIC_BURST_S):
        self.rate, self.burst = rate, burst_s
        self._tokens = burst_s
        self._t: Optional[float] = None
        self._refusing = False
        self.refused_s = 0.0

    def admit(self, seconds: float, now_s: float) -> tuple[bool, bool]:
        """-> ``(admitted, report)``."""
        if self._t is not None:
            self._tokens = min(self.burst, self._tokens + (now_s - self._t) * self.rate)
        self._t = now_s
        if seconds <= self._tokens:
            self._tokens -= seconds
            if self._tokens >= self.burst / 2:
                self._refusing = False   # back to real time for a while: report the next excess
            return True, False
        self.refused_s += seconds
        report = not self._refusing
        self._refusing = True
        return False, report
