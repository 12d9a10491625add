// FacePlex core: the 61 Live Link Face curve names (Unreal's ARKit spelling, EARFaceBlendShape
// order, then the 9 head/eye rotations) and the map from the daemon's wire channels to them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace FacePlexCore {

constexpr size_t kLiveLinkFaceCount = 61;
/** Live Link names from this index on are rotations (HeadYaw ... RightEyeRoll). */
constexpr size_t kLiveLinkFirstRotation = 52;

/** A FacePlex head/eye rotation (radians; yaw + = the character turns to its own left, pitch + =
 *  looks down, roll + = tilts to its own right) -> Live Link Face's unit, degrees / 180 (-1..1),
 *  same signs. Python twin and the derivation of the signs: faceplex.protocol.names
 *  .to_live_link_rotation. Source: Epic's AppleARKitFaceSupport, AppleARKitFaceMeshConversion.h
 *  ToBlendShapeMap (HeadYaw = FRotator.Yaw / 180, yaw and roll negated when not mirrored), which
 *  is what the Live Link Face app sends and MetaHuman's Live Link face AnimBP reads. */
inline float ToLiveLinkRotation(float radians) { return radians / 3.14159265358979323846f; }
/** The inverse of ToLiveLinkRotation: degrees / 180 -> radians. */
inline float FromLiveLinkRotation(float value) { return value * 3.14159265358979323846f; }

/** EyeBlinkLeft ... TongueOut, HeadYaw, HeadPitch, HeadRoll, LeftEyeYaw, LeftEyePitch, LeftEyeRoll,
 *  RightEyeYaw, RightEyePitch, RightEyeRoll: what a MetaHuman face AnimBP's ARKit mapping reads. */
inline const char* const* LiveLinkFaceNames()
{
    static const char* const names[kLiveLinkFaceCount] = {
        "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft",
        "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight",
        "EyeSquintRight", "EyeWideRight", "JawForward", "JawLeft", "JawRight", "JawOpen", "MouthClose",
        "MouthFunnel", "MouthPucker", "MouthLeft", "MouthRight", "MouthSmileLeft", "MouthSmileRight",
        "MouthFrownLeft", "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft",
        "MouthStretchRight", "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper",
        "MouthPressLeft", "MouthPressRight", "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft",
        "MouthUpperUpRight", "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight",
        "CheekPuff", "CheekSquintLeft", "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
        "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll", "RightEyeYaw",
        "RightEyePitch", "RightEyeRoll",
    };
    return names;
}

/** For each of the 61 Live Link names, the index of the wire channel with the same name (the
 *  wire spells it with a lowercase first letter: eyeBlinkLeft), or -1 (eye roll: written as 0). */
inline std::vector<int> LiveLinkChannelMap(const std::vector<std::string>& wireChannels)
{
    std::vector<int> map(kLiveLinkFaceCount, -1);
    for (size_t i = 0; i < kLiveLinkFaceCount; ++i) {
        std::string wire = LiveLinkFaceNames()[i];
        wire[0] = static_cast<char>(wire[0] - 'A' + 'a');
        for (size_t c = 0; c < wireChannels.size(); ++c)
            if (wireChannels[c] == wire) { map[i] = static_cast<int>(c); break; }
    }
    return map;
}

/** Fill the 61 Live Link values from one wire frame using a map from LiveLinkChannelMap():
 *  weights as they are, rotations converted with ToLiveLinkRotation. */
inline void ToLiveLinkValues(const std::vector<int>& map, const float* wire, size_t wireCount, float* out61)
{
    for (size_t i = 0; i < kLiveLinkFaceCount; ++i) {
        const int c = i < map.size() ? map[i] : -1;
        const float v = c >= 0 && static_cast<size_t>(c) < wireCount ? wire[c] : 0.0f;
        out61[i] = i >= kLiveLinkFirstRotation ? ToLiveLinkRotation(v) : v;
    }
}

}  // namespace FacePlexCore
