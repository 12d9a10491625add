"""Motion backends the daemon can animate with (``faceplex serve --motion``).

Every backend has the :class:`faceplex.models.face.animator.FaceAnimator` interface:
``Backend(fps, seed=, expressiveness=, blink_rate_per_min=, idle_motion=)`` with
``add_speech(chunk, start_s)``, ``cut_speech(at_s)``, ``frames(first_frame, count) -> (count, 59)
float32``, ``speech_end_s()`` and ``reset()``.

- ``rules``: the phoneme-driven animator (visemes + Cohen-Massaro coarticulation + idle layer).
- ``rfm``: FacePlex's Rolling Flow Matching model (``faceplex.models.rfm``), served with
  onnxruntime from the ONNX file shipped in the package. The daemon's RFM animators share one
  :class:`~faceplex.models.rfm.pool.MotionPool`: inference runs off the event loop, the commits of
  all sessions that are due together in one batched graph call. :func:`close_motion` closes it
  (contract 5: the daemon's shutdown calls it).
"""

from __future__ import annotations

import functools
from typing import Callable

MOTION_BACKENDS = ("rules", "rfm")


def animator_factory(kind: str = "rules", pooled: bool = True) -> Callable:
    """The animator class for backend ``kind`` (for ``rfm`` with ``pooled``: bound to the process's
    motion pool, which loads the model now). Raises ValueError for an unknown kind."""
    if kind == "rules":
        from faceplex.models.face.animator import FaceAnimator

        return FaceAnimator
    if kind == "rfm":
        from faceplex.models.rfm.animator import RfmAnimator

        if not pooled:
            return RfmAnimator
        from faceplex.models.rfm.pool import default_pool

        return functools.partial(RfmAnimator, pool=default_pool())
    raise ValueError(f"unknown motion backend {kind!r}; choose one of {MOTION_BACKENDS}")


def close_motion(timeout_s: float = 2.0) -> bool:
    """Close the motion pool if one runs (stop accepting, drop queued work, join the worker)."""
    import sys

    pool = sys.modules.get("faceplex.models.rfm.pool")
    return pool.close_default_pool(timeout_s) if pool is not None else True
