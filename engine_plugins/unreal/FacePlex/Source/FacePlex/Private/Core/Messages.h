// FacePlex core: protocol v1 messages as plain structs (protocol/PROTOCOL.md is normative).
//
// Field order in each struct is the canonical key order the encoder writes. Units: timeline
// positions (`Sample`, `End`) are integer samples at the session's output rate, counted from 0 at
// `welcome`; rates in Hz; wall clocks (`*TimeUs`) in microseconds of each side's monotonic clock;
// face values are float32 (weights 0..1, rotations in radians).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "MsgPack.h"

namespace FacePlexCore {

constexpr int64_t kProtocolVersion = 1;

/** Mono PCM16LE at `SampleRate` Hz. */
struct AudioFormat {
    int64_t SampleRate = 48000;
    int64_t Channels = 1;
    std::string Format = "pcm_s16le";
};

struct Limits {
    int64_t MaxMessageBytes = 65536;
    int64_t MaxTextChars = 2000;
    int64_t MaxPendingChars = 20000;
    int64_t MaxQueuedUtterances = 16;
};

/** Per-utterance delivery: speed 0.5..2.0, expressiveness 0..2 (nullopt = session setting). */
struct Style {
    std::optional<double> Speed;
    std::optional<double> Expressiveness;
};

// ------------------------------------------------------------------ client -> daemon
struct HelloMsg {
    std::optional<std::string> Id;
    int64_t Protocol = kProtocolVersion;
    AudioFormat Audio;
    int64_t Fps = 60;  // face.fps: 30 or 60
    std::optional<std::string> Client;
};

/** A partial settings update (a msgpack map, e.g. {"lead_ms": 200}). */
struct ConfigMsg {
    std::optional<std::string> Id;
    MsgValue Settings = MsgValue::Map();
};

struct SayMsg {
    std::optional<std::string> Id;
    std::string Utt;
    std::string Text;
    bool Append = false;
    bool Final = true;
    std::optional<std::string> Voice;
    std::optional<Style> StyleOverride;
};

/** Stop `Utt` (nullopt: the current utterance and every queued one). */
struct CancelMsg {
    std::optional<std::string> Id;
    std::optional<std::string> Utt;
};

struct PingMsg {
    std::optional<std::string> Id;
    int64_t ClientTimeUs = 0;
};

/** The client has played the timeline up to `Sample` (exclusive), inside `Utt` (nullopt = idle). */
struct PlaybackMsg {
    std::optional<std::string> Id;
    std::optional<std::string> Utt;
    int64_t Sample = 0;
    int64_t ClientTimeUs = 0;
};

// ------------------------------------------------------------------ daemon -> client
struct WelcomeMsg {
    std::optional<std::string> ReplyTo;
    int64_t Protocol = kProtocolVersion;
    std::string Session;
    std::string Server;
    AudioFormat Audio;
    int64_t Fps = 60;
    /** Names of the values of every face frame, in order (59 in v1: ARKit-52 then 7 rotations). */
    std::vector<std::string> Channels;
    std::vector<std::string> Voices;
    MsgValue Config = MsgValue::Map();
    Limits SessionLimits;
};

struct ConfiguredMsg {
    std::optional<std::string> ReplyTo;
    MsgValue Config = MsgValue::Map();
};

/** Speech: mono PCM16LE bytes whose first sample sits at timeline `Sample`. */
struct AudioMsg {
    std::string Utt;
    int64_t Seq = 0;
    int64_t Sample = 0;
    std::vector<uint8_t> Pcm;

    size_t SampleCount() const { return Pcm.size() / 2; }
    int16_t SampleAt(size_t i) const { return static_cast<int16_t>(Pcm[2 * i] | (Pcm[2 * i + 1] << 8)); }
};

/** Face frame `Frame` at timeline sample floor(Frame * sample_rate / fps). */
struct FaceMsg {
    std::optional<std::string> Utt;
    int64_t Seq = 0;
    int64_t Frame = 0;
    int64_t Sample = 0;
    std::vector<float> Values;
};

/** A word or phoneme on [Sample, End). `Kind` is "word" or "phoneme"; `Viseme` for phonemes. */
struct MarkMsg {
    std::string Utt;
    std::string Kind;
    int64_t Sample = 0;
    int64_t End = 0;
    std::string Text;
    std::optional<std::string> Viseme;
};

struct UtteranceStartedMsg {
    std::string Utt;
    std::optional<std::string> ReplyTo;
    int64_t Sample = 0;
};

/** All audio of `Utt` was sent; it spans [Sample - Samples, Sample). */
struct UtteranceFinishedMsg {
    std::string Utt;
    int64_t Sample = 0;
    int64_t Samples = 0;
};

/** `Sample`: the first timeline sample NOT sent; `Samples`: how many were sent. */
struct UtteranceCancelledMsg {
    std::string Utt;
    std::optional<std::string> ReplyTo;
    std::string Reason;
    int64_t Sample = 0;
    int64_t Samples = 0;
};

struct ErrorMsg {
    std::optional<std::string> ReplyTo;
    std::string Code;
    std::string Message;
};

/** `Sample`: the daemon's media clock; `Played`: the highest playback position reported. */
struct PongMsg {
    std::optional<std::string> ReplyTo;
    int64_t ClientTimeUs = 0;
    int64_t ServerTimeUs = 0;
    int64_t Sample = 0;
    std::optional<int64_t> Played;
};

using Message = std::variant<HelloMsg, ConfigMsg, SayMsg, CancelMsg, PingMsg, PlaybackMsg,
                             WelcomeMsg, ConfiguredMsg, AudioMsg, FaceMsg, MarkMsg,
                             UtteranceStartedMsg, UtteranceFinishedMsg, UtteranceCancelledMsg,
                             ErrorMsg, PongMsg>;

/** The wire `type` of a message ("hello", "face", ...). */
const char* TypeName(const Message& msg);

}  // namespace FacePlexCore
