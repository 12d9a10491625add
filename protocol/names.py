"""Channel names and orders used on the wire and in the file formats FacePlex writes.

Sources:
- ARKit-52: Apple, ``ARFaceAnchor.BlendShapeLocation`` raw values, in the order of Unreal's
  ``EARFaceBlendShape`` enum (the order Live Link Face UDP packets use).
- Live Link Face CSV: the column order the Live Link Face app writes (note JawRight/JawLeft and
  MouthRight/MouthLeft come in the opposite order to the enum).
- Head and eye rotation channels: the extra values Live Link Face carries after the 52 shapes;
  their unit on the wire (radians), in Live Link Face UDP (half-turns, -1..1): see
  :func:`to_live_link_rotation`, and in the app's CSV takes (radians, yaw and roll negated): see
  :data:`LIVE_LINK_CSV_ROTATION_SIGN`.
"""

from __future__ import annotations

import math

#: The 52 ARKit blendshape names, spelled as Apple spells them, in EARFaceBlendShape order.
ARKIT_52: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawLeft", "jawRight", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)
assert len(ARKIT_52) == 52

#: Rotation channels after the 52 shapes, in radians on the wire (yaw: + turns to the character's left,
#: pitch: + looks down, roll: + tilts to the character's right), as Live Link Face orders them
#: (eye roll is not produced by FacePlex and is written as 0 where a format needs it).
POSE_CHANNELS: tuple[str, ...] = (
    "headYaw", "headPitch", "headRoll",
    "leftEyeYaw", "leftEyePitch", "rightEyeYaw", "rightEyePitch",
)

#: Every channel of a face frame, in wire order: (52 + 7) = 59 values per frame.
FRAME_CHANNELS: tuple[str, ...] = ARKIT_52 + POSE_CHANNELS
NUM_CHANNELS = len(FRAME_CHANNELS)
CHANNEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(FRAME_CHANNELS)}


def pascal(name: str) -> str:
    """``eyeBlinkLeft`` -> ``EyeBlinkLeft`` (Unreal's ARKit curve and Live Link Face spelling)."""
    return name[:1].upper() + name[1:]


#: The 61 Live Link Face columns/values: 52 shapes then 9 head/eye rotations.
LIVE_LINK_POSE: tuple[str, ...] = (
    "HeadYaw", "HeadPitch", "HeadRoll",
    "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)

#: Live Link Face UDP value order (Unreal's EARFaceBlendShape enum order + 9 rotations).
LIVE_LINK_UDP_ORDER: tuple[str, ...] = tuple(pascal(n) for n in ARKIT_52) + LIVE_LINK_POSE


def _csv_order() -> tuple[str, ...]:
    order = list(LIVE_LINK_UDP_ORDER)

    def swap(a: str, b: str) -> None:
        i, j = order.index(a), order.index(b)
        order[i], order[j] = order[j], order[i]

    # The app's CSV writes JawRight before JawLeft and MouthRight before MouthLeft.
    swap("JawLeft", "JawRight")
    swap("MouthLeft", "MouthRight")
    return tuple(order)


#: Live Link Face CSV column order after ``Timecode,BlendshapeCount``.
LIVE_LINK_CSV_ORDER: tuple[str, ...] = _csv_order()
assert len(LIVE_LINK_CSV_ORDER) == 61


def to_live_link_rotation(radians):
    """A FacePlex head/eye rotation (radians, float or array) -> the Live Link Face value.

    Live Link Face carries rotations as **degrees / 180** (a half-turn is 1.0; range -1..1), with
    the same signs as FacePlex: yaw + = the character turns to its own left, pitch + = it looks
    down, roll + = it tilts to its own right. So the value is ``radians / pi``.

    Source: Epic's ARKit -> Live Link conversion, which is what the Live Link Face app sends and
    what MetaHuman's Live Link face AnimBP reads: ``ToBlendShapeMap`` in
    ``Engine/Plugins/Runtime/AR/AppleAR/AppleARKitFaceSupport/Source/AppleARKitFaceSupport/Private/
    AppleARKitFaceMeshConversion.h`` sets ``HeadYaw = FRotator(Transform.GetRotation()).Yaw / 180``
    ("Map the -180..180 range to -1..1"), the same for pitch, roll and each eye's transform, and
    negates yaw and roll when the face is not mirrored (the face-relative default). Signs, derived
    from that code: ARKit's face anchor has +x = the face's own left, +z = out of the face (Apple,
    ``ARFaceAnchor``); ``FAppleARKitTransform::ToFTransform`` (AppleARKitTransform.h) maps ARKit
    (x, y, z) to Unreal (-z, x, y), so the face looks along Unreal -X; turning to its own left moves
    -X toward +Y, a negative FRotator yaw, negated -> positive. Looking down moves -X toward -Z, a
    positive pitch (not negated). Tilting to its own right moves +Z toward -Y, a negative roll,
    negated -> positive.
    """
    return radians / math.pi


def from_live_link_rotation(value):
    """A Live Link Face head/eye rotation (degrees / 180, float or array) -> radians; the inverse
    of :func:`to_live_link_rotation` (same signs)."""
    return value * math.pi


#: Live Link Face **CSV** takes (as the app records them): rotations in **radians**, with yaw and
#: roll of the opposite sign to FacePlex's (pitch the same). Measured on 16 public takes recorded
#: with the app (AnimaVR/NeuroSync_Player ``livelink/animations/*``, 10 takes;
#: alexdjulin/LiveLinkFace-CSV-Retarget-For-Motionbuilder ``anim/*.csv``, ``csv/*.csv``, 6 takes):
#: each eye's yaw follows its own row's eyeLook shapes at -0.59..-0.73 per unit of
#: ``eyeLookOutLeft - eyeLookInLeft`` (r -0.74..-1.00) and reaches +-0.59, i.e. +-34 deg as
#: radians; as degrees/180 that would be +-106 deg, beyond any eye (the ``LeftEyeYaw = -0.62``
#: of issue 23). Pitch follows ``eyeLookDown - eyeLookUp`` at +0.45..+0.56 (FacePlex's sign).
#: FacePlex pairs yaw + with ``eyeLookOutLeft`` (``models/face/idle.py``), the app pairs it with
#: ``eyeLookInLeft``: its yaw is FacePlex's negated; roll is negated with it (the app writes
#: ARKit's angles without the mirror that Epic's Live Link conversion applies to yaw and roll
#: together; roll is not measurable in these takes: their head columns are 0, eye roll noise).
#: The streamed UDP path keeps Epic's degrees/180 (:func:`to_live_link_rotation`).
LIVE_LINK_CSV_ROTATION_SIGN: dict[str, float] = {
    "HeadYaw": -1.0, "HeadPitch": 1.0, "HeadRoll": -1.0,
    "LeftEyeYaw": -1.0, "LeftEyePitch": 1.0, "LeftEyeRoll": -1.0,
    "RightEyeYaw": -1.0, "RightEyePitch": 1.0, "RightEyeRoll": -1.0,
}


def to_live_link_csv_rotation(name: str, radians):
    """A FacePlex head/eye rotation (radians, float or array) -> the value of Live Link Face CSV
    column ``name`` (``HeadYaw`` ...): radians, yaw and roll negated
    (:data:`LIVE_LINK_CSV_ROTATION_SIGN`)."""
    return LIVE_LINK_CSV_ROTATION_SIGN[name] * radians


def from_live_link_csv_rotation(name: str, value):
    """A Live Link Face CSV rotation (column ``name``, the app's radians) -> FacePlex radians."""
    return LIVE_LINK_CSV_ROTATION_SIGN[name] * value


#: The Live Link Face names that are rotations (converted by :func:`to_live_link_rotation`).
LIVE_LINK_ROTATIONS: frozenset[str] = frozenset(LIVE_LINK_POSE)


def live_link_values(frame, order: tuple[str, ...] = LIVE_LINK_UDP_ORDER, csv: bool = False) -> list[float]:
    """Map one wire frame ``(59,) float`` to the 61 Live Link Face values in ``order``: weights
    as they are, rotations converted from radians by :func:`to_live_link_rotation` (UDP, Epic's
    degrees/180) or, with ``csv``, by :func:`to_live_link_csv_rotation` (the app's CSV takes).

    Eye roll (not produced by FacePlex) is 0.0.
    """
    out = []
    for name in order:
        wire = name[:1].lower() + name[1:]
        if wire in CHANNEL_INDEX:
            v = float(frame[CHANNEL_INDEX[wire]])
            if name in LIVE_LINK_ROTATIONS:
                v = to_live_link_csv_rotation(name, v) if csv else to_live_link_rotation(v)
            out.append(v)
        else:
            out.append(0.0)  # LeftEyeRoll / RightEyeRoll
    return out
