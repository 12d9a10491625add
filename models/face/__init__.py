"""FacePlex face animation: phoneme-driven ARKit-52 frames (speech + idle layers).

Public API: :class:`FaceAnimator` (streaming, per session), :func:`animate_speech` (offline),
:func:`viseme_for` (OVRLipSync viseme of an IPA phone), :func:`lips_shut` (lip-seal test on a frame).
"""

from .animator import FaceAnimator, animate_speech
from .visemes import lips_shut, viseme_for

__all__ = ["FaceAnimator", "animate_speech", "lips_shut", "viseme_for"]
