// FacePlex core: the client side of one session, sans-I/O (no sockets, no clocks, no engine).
//
// Feed every binary WebSocket message to Receive(); write every buffer from TakeOutgoing() to the
// socket as one binary message. The session keeps the handshake state, feeds media into its
// Timeline, tracks the utterances it asked for, and builds `playback` reports.
//
//   ClientSession s({48000, 60, "FacePlexUnreal/0.1"});
//   s.Hello();                      -> send TakeOutgoing()
//   s.Receive(bytes, n);            <- welcome, face, audio, mark, ...
//   s.Say("u1", "Hello there.");
//   audio thread:  s.GetTimeline().ReadAudio(buffer, n);
//   capture thread: s.SendMic(pcm, frames, 48000, 1);        (lock-free, never blocks)
//   network side:  s.PumpMic(); then send TakeOutgoing()      (mic chunks of 20-100 ms)
//   game thread:   s.GetTimeline().FaceAt(position, values, count); s.PollEvents(); s.ReportPlayback(nowUs);
//
// A welcome of another protocol version does not open the session: state Incompatible and an
// IncompatibleDaemon event whose Text names both versions (log it; PROTOCOL.md §9).
// Full duplex (PROTOCOL.md §11): `partner_speech_started/stopped`, `partner_transcript` and `warning` become events at
// once; on `interrupted` the utterance's unplayed audio and frames are dropped at once and it ends
// with an Interrupted event then an UtteranceCancelled (reason "interrupted"), both carrying
// samples_played, words_spoken and text_spoken. A reconnect (Hello() again) ends every open
// utterance with UtteranceCancelled (reason "disconnected"), so nothing waits forever.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "Codec.h"
#include "MicRing.h"
#include "Settings.h"
#include "Timeline.h"

namespace FacePlexCore {

struct ClientSessionOptions {
    int64_t SampleRate = 48000;  // Hz: 16000, 22050, 24000, 44100 or 48000
    int64_t Fps = 60;            // 30 or 60
    std::string ClientName = "FacePlexCpp/0.1";
    /** The daemon's per-launch secret (its ready line's "token", or a setting when the game did
     *  not launch the daemon); sent as hello.token. Never log it. */
    std::optional<std::string> Token;
    /** Length of one `mic` message in ms (clamped to 20..100). */
    int64_t MicChunkMs = 40;
    TimelineOptions Playback;
    /** Interval of `playback` reports while audio plays, in microseconds (protocol: 100-250 ms). */
    int64_t ReportIntervalUs = 100000;
};

/** Incompatible: the daemon's welcome named another protocol version; the session does not open
 *  (an IncompatibleDaemon event, IncompatibleDaemonInfo() names both versions; PROTOCOL.md §9). */
enum class SessionState { Idle, AwaitingWelcome, Open, Incompatible };

/** What Receive() decoded (Ok=false: bytes that are not v1; the session stays usable). */
struct ReceiveResult {
    bool Ok = false;
    Message Msg;
    std::string ErrorCode;
    std::string ErrorMessage;
};

class ClientSession {
public:
    explicit ClientSession(ClientSessionOptions options = {});

    // ---------------------------------------------------------------- requests (queue bytes)
    /** The connection was lost: every open utterance ends now with UtteranceCancelled (reason
     *  "disconnected"), returned by the next PollEvents(), and the session waits for Hello(). */
    void Disconnected();
    /** Queue `hello` (resets the session; call again after a reconnect; ends open utterances as
     *  Disconnected() does). Returns its id. */
    std::string Hello();
    /** Queue `say`; `utt` must be unique among open utterances. Returns the message id. */
    std::string Say(const std::string& utt, const std::string& text, bool append = false, bool final = true,
                    const std::optional<std::string>& voice = std::nullopt,
                    const std::optional<Style>& style = std::nullopt);
    /** Streaming say: add `text` to the open utterance `utt` (`final`: no more text follows). */
    std::string SayAppend(const std::string& utt, const std::string& text, bool final = false)
    {
        return Say(utt, text, true, final);
    }
    /** Stop `utt` (nullopt: every open utterance): its queued audio and frames are dropped now,
     *  UtteranceCancelled is emitted now, and the daemon is told. Returns the message id. */
    std::string Cancel(const std::optional<std::string>& utt = std::nullopt);
    /** Queue a partial settings update (a msgpack map). */
    std::string Configure(const MsgValue& settings);
    /** Queue a typed partial settings update (interruption policy, emotion, voice, ...). */
    std::string Configure(const SessionSettings& settings) { return Configure(settings.ToMsgValue()); }

    /** Thread-safe, lock-free: the partner's microphone from the capture thread (interleaved
     *  PCM16, the device's own rate and channel count; the daemon resamples). Never blocks.
     *  Returns the frames accepted (fewer when the ring is full). */
    size_t SendMic(const int16_t* pcm, size_t frames, int64_t sampleRate, int64_t channels)
    {
        return mic_.Push(pcm, frames, sampleRate, channels);
    }
    /** Network side: queue the captured microphone as `mic` messages of MicChunkMs (with `flush`,
     *  also the partial rest, e.g. when capture stops). Dropped while the session is not open.
     *  Returns the number of messages queued. */
    size_t PumpMic(bool flush = false);
    const MicRing& Mic() const { return mic_; }
    /** Push-to-talk released (PROTOCOL.md §11 `mic_end`): queues what the ring still holds as `mic`
     *  (PumpMic(true)), then `mic_end`; the daemon ends the partner's turn now and sends the final
     *  `partner_transcript`. Network side, like PumpMic. Returns its id (empty unless open). */
    std::string SendMicEnd();

    /** Animate speech FacePlex did not make (a recorded line, another TTS): queue `lipsync`
     *  messages for `frames` frames of interleaved PCM16 at `sampleRate` Hz, split into messages
     *  under 64 KiB. `transcript` (first call of `utt` only) enables forced alignment; `final`:
     *  no more audio follows. Call again with more audio of the same `utt` to stream. The daemon
     *  returns the audio (resampled) with marks and frames on the session timeline: it plays like
     *  a spoken line. Returns the first message's id. */
    std::string LipSync(const std::string& utt, const int16_t* pcm, size_t frames, int64_t sampleRate,
                        int64_t channels, const std::optional<std::string>& transcript = std::nullopt,
                        bool final = true);
    /** Queue `ping` with the client's clock (µs). */
    std::string Ping(int64_t clientTimeUs);
    /** Queue a `playback` report of the heard position (HeardSample()) now. */
    void ReportPlayback(int64_t clientTimeUs);
    /** Queue a `playback` report if ReportIntervalUs passed since the last one and audio plays. */
    bool MaybeReportPlayback(int64_t clientTimeUs);

    /** Encoded messages to send, oldest first (each one binary WebSocket message). */
    std::vector<std::vector<uint8_t>> TakeOutgoing();

    // ---------------------------------------------------------------- incoming
    /** Decode one daemon message and apply it (handshake, timeline, utterance bookkeeping). */
    ReceiveResult Receive(const uint8_t* data, size_t size);

    /** Timeline events that have been heard (start, words, phonemes, finish: at or before
     *  HeardSample()) and cancellations. Also queues the `playback` report the protocol asks for
     *  when an utterance ends. */
    std::vector<TimelineEvent> PollEvents(int64_t clientTimeUs);

    // ---------------------------------------------------------------- heard position (PROTOCOL.md §4)
    /** Output between the timeline and the listener's ear, in samples at the session rate: what
     *  the engine's audio queue still holds plus the device's output latency. Set it each tick
     *  before PollEvents / MaybeReportPlayback (game thread). 0 = the pulled position is heard. */
    void SetOutputDelaySamples(int64_t samples) { outputDelay_ = samples > 0 ? samples : 0; }
    int64_t OutputDelaySamples() const { return outputDelay_; }
    /** The timeline sample the listener hears now: Timeline::HeardSample(OutputDelaySamples()).
     *  Playback reports, word events (hence the daemon's text_spoken) and the face use it. */
    int64_t HeardSample() const { return timeline_.HeardSample(outputDelay_); }

    // ---------------------------------------------------------------- state
    SessionState State() const { return state_; }
    const std::optional<WelcomeMsg>& Welcome() const { return welcome_; }
    /** Set when the daemon's welcome named another protocol version (state Incompatible). */
    const std::optional<IncompatibleDaemon>& IncompatibleDaemonInfo() const { return incompatible_; }
    Timeline& GetTimeline() { return timeline_; }
    const Timeline& GetTimeline() const { return timeline_; }
    /** Utterances said and not yet fully played or cancelled. */
    std::vector<std::string> OpenUtterances() const;
    bool IsOpen(const std::string& utt) const { return open_.count(utt) != 0; }
    const ClientSessionOptions& Options() const { return options_; }
    /** The token the next Hello() sends (e.g. a restarted daemon's new one). */
    void SetToken(std::optional<std::string> token) { options_.Token = std::move(token); }

private:
    struct UttState {
        bool DaemonDone = false;  // utterance_finished received: the daemon sends no more of it
        bool LipsyncSent = false; // a lipsync chunk of it went out (the transcript rides the first)
    };

    std::string NextId();
    void Queue(const Message& msg) { outgoing_.push_back(Encode(msg)); }
    void Apply(const Message& msg);
    void DropLocally(const std::string& utt, const std::string& reason);
    void OnInterrupted(const InterruptedMsg& msg);
    void PushNow(TimelineEventKind kind, int64_t sample, int64_t end, std::string text, std::string reason,
                 std::string utt = std::string());

    ClientSessionOptions options_;
    SessionState state_ = SessionState::Idle;
    std::optional<WelcomeMsg> welcome_;
    std::optional<IncompatibleDaemon> incompatible_;
    Timeline timeline_;
    std::map<std::string, UttState> open_;
    std::vector<std::vector<uint8_t>> outgoing_;
    std::vector<TimelineEvent> sessionEvents_;  // events of the session, not of the timeline (reconnect)
    MicRing mic_;
    int64_t nextId_ = 0;
    int64_t lastReportUs_ = 0;
    int64_t outputDelay_ = 0;
    bool reportedOnce_ = false;
};

}  // namespace FacePlexCore
