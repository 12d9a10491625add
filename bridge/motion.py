"""Motion backends the daemon can animate with (``faceplex serve --motion``).

Every backend has the :class:`faceplex.models.face.animator.FaceAnimator` interface:
``Backend(fps, seed=, expressiveness=, blink_rate_per_min=, idle_motion=)`` with
``add_speech(chunk, start_s)``, ``cut_speech(at_s)``, ``frames(first_frame, count) -> (count, 59)
float32``, ``speech_end_s()`` and ``reset()``.

- ``rules``: the phoneme-driven animator (visemes + Cohen-Massaro coarticulation + idle layer).
- ``rfm``: FacePlex's Rolling Flow Matching model (``faceplex.models.rfm``), served with
  onnxruntime from the ONNX file shipped in the package.
"""

from __future__ import annotations

from typing import Callable

MOTION_BACKENDS = ("rules", "rfm")


def animator_factory(kind: str = "rules") -> Callable:
    """The animator class for backend ``kind``. Raises ValueError for an unknown kind."""
    if kind == "rules":
        from faceplex.models.face.animator import FaceAnimator

        return FaceAnimator
    if kind == "rfm":
        from faceplex.models.rfm.animator import RfmAnimator

        return RfmAnimator
    raise ValueError(f"unknown motion backend {kind!r}; choose one of {MOTION_BACKENDS}")
