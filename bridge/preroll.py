"""When may an utterance start? A slightly later start rather than silence inside its first clause.

With streaming decoding the first piece of a clause (~140-280 ms of audio) is ready long before
the rest. Starting at once is right when the voice keeps up; when it does not (a busy machine),
the rest of the sentence would arrive after the audio before it has run out and the session would
have to insert silence mid-sentence. :func:`may_start` holds the start until the audio ready covers
the time to synthesize what follows, from the measured synthesis speed (audio seconds per wall
second of a step, ``SynthesisScheduler.speed``), so the pre-roll grows only as much as the
machine needs.
"""

from __future__ import annotations

from typing import Optional

#: The measured speed is divided by this: steps on a shared machine vary about 1.5x around it.
SAFETY = 1.5
#: Nominal length of a later piece (``clause_stream.WINDOW_FRAMES`` x 256 / 22050 Hz).
PIECE_S = 64 * 256 / 22050


def may_start(ready_s: float, remaining_s: Optional[float], speed: Optional[float], slack_s: float,
              piece_s: float = PIECE_S) -> bool:
    """True when an utterance with ``ready_s`` seconds of decoded audio may start.

    Args:
        ready_s: audio ready to place (s).
        remaining_s: audio of the first sentence still to decode (s); None when unknown
            (start at once, as before streaming).
        speed: measured synthesis speed, audio s per wall s (None: not measured yet, start).
        slack_s: how long the session can wait past the ready audio before it must insert
            silence (half the lead: ``session._produce``'s gap rule).
        piece_s: length of the next piece (s).

    The next piece arrives ``piece / speed`` after now (``speed`` divided by :data:`SAFETY`) and must come before the ready audio plus
    the slack has played; with ``speed < 1`` the whole rest must, which gives
    ``ready >= remaining (1 / speed - 1) - slack``. Both conditions hold at any speed once the
    whole sentence is ready.
    """
    if remaining_s is None or remaining_s <= 0 or speed is None or speed <= 0:
        return True
    speed = speed / SAFETY
    need = min(piece_s, remaining_s) / speed - slack_s
    if speed < 1.0:
        need = max(need, remaining_s * (1.0 / speed - 1.0) - slack_s)
    return ready_s >= need
