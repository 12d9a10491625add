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

/** Per-utterance delivery (nullopt = the session's setting): speed 0.5..2.0, expressiveness 0..2,
 *  emotion one of neutral happy sad angry surprised afraid disgusted, emotion_intensity 0..1. */
struct Style {
    std::optional<double> Speed;
    std::optional<double> Expressiveness;
    std::optional<std::string> Emotion;
    std::optional<double> EmotionIntensity;
};

// ------------------------------------------------------------------ client -> daemon
struct HelloMsg {
    std::optional<std::string> Id;
    int64_t Protocol = kProtocolVersion;
    AudioFormat Audio;
    int64_t Fps = 60;  // face.fps: 30 or 60
    std::optional<std::string> Client;
    /** The daemon's per-launch secret from its ready line (PROTOCOL.md §12); never log it. */
    std::optional<std::string> Token;
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
/** One installed voice (welcome.voice_catalog, PROTOCOL.md §5). */
struct VoiceInfo {
    std::string Id;                     // as say.voice and the `voice` setting take it
    std::string Language;               // BCP-47: "en-US", "es"
    std::optional<std::string> Gender;  // "female" | "male" | nullopt
    std::optional<std::string> Accent;  // "American" | "British" | ... | nullopt
    int64_t SampleRate = 0;             // the voice's own rate, Hz (the daemon resamples)
    std::string Engine;                 // "piper" | "kokoro"
};

/** What the daemon can do with the models it found (welcome.features; the ready line's "features").
 *  A request for a missing feature gets error `feature_unavailable`. */
struct Features {
    bool VadAvailable = false;                       // `mic` needs it
    std::optional<std::string> VadReason;            // what is missing and how to install it
    bool TranscriptionAvailable = false;             // `partner_transcript` can be sent
    std::vector<std::string> TranscriptionModels;    // "tiny.en", "base"
    std::optional<std::string> TranscriptionDefault; // what transcription "auto" uses
    std::optional<std::string> TranscriptionFallback;  // "pocketsphinx" or nullopt
};

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
    /** Effective settings (§7) and limits (§8): ordered generic maps, re-encoded as received
     *  (the daemon adds keys over time). Read e.g. Limits.Find("max_message_bytes"). */
    MsgValue Config = MsgValue::Map();
    MsgValue Limits = MsgValue::Map();
    /** Details of every voice (empty from a daemon older than the catalogue, PROTOCOL.md §9). */
    std::vector<VoiceInfo> VoiceCatalog;
    /** nullopt from a daemon that does not say. */
    std::optional<Features> DaemonFeatures;
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
    /** Samples of silence the daemon inserted because synthesis or appended text came late. */
    int64_t InsertedSilence = 0;
};

/** `Sample`: the first timeline sample NOT sent; `Samples`: how many were sent. */
struct UtteranceCancelledMsg {
    std::string Utt;
    std::optional<std::string> ReplyTo;
    std::string Reason;
    int64_t Sample = 0;
    int64_t Samples = 0;
    int64_t InsertedSilence = 0;
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

/** Something the client should know that did not stop its request (e.g. language_not_supported). */
struct WarningMsg {
    std::optional<std::string> ReplyTo;
    std::optional<std::string> Utt;
    std::string Code;
    std::string Message;
};

// ------------------------------------------------------------------ full duplex (PROTOCOL.md §11)
/** The partner's microphone, upstream in real time: interleaved PCM16LE, `Channels` 1..8 at
 *  `SampleRate` Hz (8000..192000), a whole number of frames, 20..100 ms per message. */
struct MicMsg {
    std::optional<std::string> Id;
    int64_t SampleRate = 48000;
    int64_t Channels = 1;
    std::vector<uint8_t> Pcm;
};

/** Speech FacePlex did not make, to animate (chunks of one `Utt`; `Text`: transcript, first chunk). */
struct LipsyncMsg {
    std::optional<std::string> Id;
    std::string Utt;
    int64_t SampleRate = 48000;
    int64_t Channels = 1;
    std::vector<uint8_t> Pcm;
    std::optional<std::string> Text;
    bool Final = false;
};

/** The partner's speech began at timeline `Sample`. */
struct PartnerSpeechStartedMsg {
    int64_t Sample = 0;
};

/** The partner's speech ended at timeline `Sample` after `Samples` samples. */
struct PartnerSpeechStoppedMsg {
    int64_t Sample = 0;
    int64_t Samples = 0;
};

/** Barge-in: `Utt` was cut at timeline `Sample` (first sample NOT sent); the listener heard
 *  `SamplesPlayed` (<= `SamplesSent`) samples of it and the words in `WordsSpoken`. */
struct InterruptedMsg {
    std::string Utt;
    std::optional<std::string> ReplyTo;
    int64_t Sample = 0;
    int64_t SamplesSent = 0;
    int64_t SamplesPlayed = 0;
    std::vector<std::string> WordsSpoken;
    std::string TextSpoken;
    int64_t PartnerSample = 0;
};

/** Push-to-talk released: the partner's turn ends now (partner_speech_stopped if speaking, then
 *  the final partner_transcript). */
struct MicEndMsg {
    std::optional<std::string> Id;
};

/** One word of a transcript on timeline samples [Start, End). */
struct TranscriptWord {
    std::string Text;
    int64_t Start = 0;
    int64_t End = 0;
};

/** What the partner said on timeline samples [Start, End) (the timeline and unit of
 *  partner_speech_started/stopped). `Final` false: interim, superseded by later ones with the same
 *  `Start`. `Confidence` 0..1; `Model`: "tiny.en" | "base" | "pocketsphinx". */
struct PartnerTranscriptMsg {
    std::string Text;
    int64_t Start = 0;
    int64_t End = 0;
    std::string Language;
    double Confidence = 0.0;
    bool Final = false;
    std::string Model;
    std::vector<TranscriptWord> Words;
};

using Message = std::variant<HelloMsg, ConfigMsg, SayMsg, CancelMsg, PingMsg, PlaybackMsg, MicMsg, LipsyncMsg,
                             WelcomeMsg, ConfiguredMsg, AudioMsg, FaceMsg, MarkMsg,
                             UtteranceStartedMsg, UtteranceFinishedMsg, UtteranceCancelledMsg,
                             ErrorMsg, WarningMsg, PongMsg,
                             PartnerSpeechStartedMsg, PartnerSpeechStoppedMsg, InterruptedMsg,
                             MicEndMsg, PartnerTranscriptMsg>;

// ------------------------------------------------------------------ version checks (PROTOCOL.md §9)
/** A daemon of another protocol version, found in its ready line or its welcome. The core does not
 *  go on with it (no session opens, the launcher does not restart it); log `Message`. */
struct IncompatibleDaemon {
    int64_t DaemonProtocol = 0;  // 0: its ready line names none
    int64_t ClientProtocol = kProtocolVersion;
    std::string Source;          // "ready line" | "welcome"
    std::string Message;         // names both versions
};

/** nullopt when `daemonProtocol` is this core's version, else what to report. */
inline std::optional<IncompatibleDaemon> CheckDaemonProtocol(int64_t daemonProtocol, const std::string& source)
{
    if (daemonProtocol == kProtocolVersion) return std::nullopt;
    IncompatibleDaemon r;
    r.DaemonProtocol = daemonProtocol;
    r.Source = source;
    r.Message = "FacePlex: incompatible daemon: its " + source + " says protocol " +
                (daemonProtocol == 0 ? std::string("(none)") : std::to_string(daemonProtocol)) +
                ", this plugin speaks protocol " + std::to_string(kProtocolVersion) +
                "; install the FacePlex daemon that matches this plugin version";
    return r;
}

/** Every wire `type` this core knows, client and daemon messages (for the vector coverage test). */
const std::vector<const char*>& KnownTypes();

/** The wire `type` of a message ("hello", "face", ...). */
const char* TypeName(const Message& msg);

}  // namespace FacePlexCore
