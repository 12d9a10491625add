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
              piece_s: float = PIECE_S, pieces_ready: int = 1, contended: bool = False) -> bool:
    """True when an utterance with ``ready_s`` seconds of decoded audio may start.

    Args:
        ready_s: audio ready to place (s).
        remaining_s: audio of the first sentence still to decode (s); None when unknown
            (start at once, as before streaming).
        speed: synthesis speed this utterance can expect, audio s per wall s
            (``SynthesisScheduler.speed_per_job``: the measured step speed shared among the jobs in
            flight); None: not measured yet, start.
        slack_s: how long the session can wait past the ready audio before it must insert
            silence (half the lead: ``Pacer._produce``'s gap rule, ``bridge/session/pacing.py``).
        piece_s: length of the next piece (s), the planned cut when known.
        pieces_ready: decoded pieces not yet placed.
        contended: more clauses in flight than synthesis workers.

    Under contention at least two pieces must be ready: the next piece then waits behind other
    sessions' steps (several NPCs starting at once, a game's load), a wait no speed measured a
    moment ago foresees; measured beside a 2 x 50 % load with four sessions starting together,
    one piece ready left 4 of 12 starts short of audio, two pieces none.

    Then the next piece arrives ``piece / speed`` after now (``speed`` divided by :data:`SAFETY`)
    and must come before the ready audio plus the slack has played; with ``speed < 1`` the whole
    rest must, which gives ``ready >= remaining (1 / speed - 1) - slack``. Every condition holds
    at any speed once the whole sentence is ready.
    """
    if remaining_s is None or remaining_s <= 0:
        return True
    if contended and pieces_ready < 2:
        return False
    if speed is None or speed <= 0:
        return True
    speed = speed / SAFETY
    need = min(piece_s, remaining_s) / speed - slack_s
    if speed < 1.0:
        need = max(need, remaining_s * (1.0 / speed - 1.0) - slack_s)
    return ready_s >= need
