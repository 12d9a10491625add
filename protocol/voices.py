"""Voice ids and blend ids (PROTOCOL.md §5, "Voices and blends"): syntax only, sans-I/O.

``af_bella*0.6+am_adam*0.4`` names a blend of installed voices; weights are decimal numbers > 0,
normalised here to sum to 1. Whether each part is installed (``unknown_voice``), of one language
and of an engine that can mix (``invalid_voice``) is the daemon's check against its catalogue.
"""

from __future__ import annotations

import re
from typing import Optional

from .errors import ErrorCode, ProtocolError

_WEIGHT = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)\Z")


def parse_voice_id(voice: str, reply_to: Optional[str] = None) -> list[tuple[str, float]]:
    """``voice`` -> ``[(id, weight), ...]`` with the weights summing to 1 (a plain id: ``[(id, 1.0)]``).

    A voice named twice has its weights added (``a*1+a*1`` is ``a``), first place kept.

    Raises:
        ProtocolError: ``invalid_voice`` for an empty id or part, a part without ``*WEIGHT`` in a
            blend, a weight that is not a plain decimal number > 0.
    """
    if "+" not in voice and "*" not in voice:
        if not voice.strip():
            raise ProtocolError(ErrorCode.INVALID_VOICE, "empty voice id", reply_to)
        return [(voice, 1.0)]
    parts: dict[str, float] = {}
    for part in voice.split("+"):
        name, star, weight = part.partition("*")
        if not name or not star or not _WEIGHT.match(weight):
            raise ProtocolError(ErrorCode.INVALID_VOICE,
                                f"blend part {part!r} of {voice!r} is not VOICE*WEIGHT (e.g. af_bella*0.6+am_adam*0.4)",
                                reply_to)
        w = float(weight)
        if w <= 0.0:
            raise ProtocolError(ErrorCode.INVALID_VOICE, f"blend part {part!r} of {voice!r}: the weight must be > 0", reply_to)
        parts[name] = parts.get(name, 0.0) + w
    total = sum(parts.values())
    return [(name, w / total) for name, w in parts.items()]
