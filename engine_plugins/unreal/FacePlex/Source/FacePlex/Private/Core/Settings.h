// FacePlex core: a typed partial settings update for `config` (PROTOCOL.md §7). Unset fields are
// left out; set ones are written in the §7 table's order (the canonical form).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "MsgPack.h"

namespace FacePlexCore {

struct SessionSettings {
    std::optional<std::string> Voice;              // a voice from welcome.voices
    std::optional<double> Speed;                   // 0.5..2.0
    std::optional<double> Expressiveness;          // 0..2: brows, head and eye motion (not lips)
    std::optional<std::string> Emotion;            // neutral happy sad angry surprised afraid disgusted
    std::optional<double> EmotionIntensity;        // 0..1
    std::optional<std::string> Interruption;       // interrupt | duck | ignore
    std::optional<int64_t> MinInterruptionMs;      // 0..5000: partner speech needed to interrupt
    std::optional<bool> ResumeFalseInterruption;   // speak the unspoken rest if the game does not react
    std::optional<int64_t> FalseInterruptionTimeoutMs;  // 100..10000
    std::optional<int64_t> LipsyncLookaheadMs;     // 20..2000: audio-driven lip sync look-ahead

    /** The `config.settings` map (only the fields that are set). */
    MsgValue ToMsgValue() const
    {
        MsgValue m = MsgValue::Map();
        if (Voice) m.Set("voice", MsgValue::Str(*Voice));
        if (Speed) m.Set("speed", MsgValue::Float(*Speed));
        if (Expressiveness) m.Set("expressiveness", MsgValue::Float(*Expressiveness));
        if (Emotion) m.Set("emotion", MsgValue::Str(*Emotion));
        if (EmotionIntensity) m.Set("emotion_intensity", MsgValue::Float(*EmotionIntensity));
        if (Interruption) m.Set("interruption", MsgValue::Str(*Interruption));
        if (MinInterruptionMs) m.Set("min_interruption_ms", MsgValue::Int(*MinInterruptionMs));
        if (ResumeFalseInterruption) m.Set("resume_false_interruption", MsgValue::Bool(*ResumeFalseInterruption));
        if (FalseInterruptionTimeoutMs) m.Set("false_interruption_timeout_ms", MsgValue::Int(*FalseInterruptionTimeoutMs));
        if (LipsyncLookaheadMs) m.Set("lipsync_lookahead_ms", MsgValue::Int(*LipsyncLookaheadMs));
        return m;
    }
};

}  // namespace FacePlexCore
