"""Channel names and orders used on the wire and in the file formats FacePlex writes.

Sources:
- ARKit-52: Apple, ``ARFaceAnchor.BlendShapeLocation`` raw values, in the order of Unreal's
  ``EARFaceBlendShape`` enum (the order Live Link Face UDP packets use).
- Live Link Face CSV: the column order the Live Link Face app writes (note JawRight/JawLeft and
  MouthRight/MouthLeft come in the opposite order to the enum).
- Head and eye rotation channels: the extra values Live Link Face carries after the 52 shapes.
"""

from __future__ import annotations

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

#: Rotation channels after the 52 shapes, in radians (yaw: + turns to the character's left,
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


def live_link_values(frame, order: tuple[str, ...] = LIVE_LINK_UDP_ORDER) -> list[float]:
    """Map one wire frame ``(59,) float`` to the 61 Live Link Face values in ``order``.

    Eye roll (not produced by FacePlex) is 0.0.
    """
    out = []
    for name in order:
        wire = name[:1].lower() + name[1:]
        if wire in CHANNEL_INDEX:
            out.append(float(frame[CHANNEL_INDEX[wire]]))
        else:
            out.append(0.0)  # LeftEyeRoll / RightEyeRoll
    return out
