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
//   game thread:   s.GetTimeline().FaceAt(position, values, count); s.PollEvents(); s.ReportPlayback(nowUs);
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "Codec.h"
#include "Timeline.h"

namespace FacePlexCore {

struct ClientSessionOptions {
    int64_t SampleRate = 48000;  // Hz: 16000, 22050, 24000, 44100 or 48000
    int64_t Fps = 60;            // 30 or 60
    std::string ClientName = "FacePlexCpp/0.1";
    TimelineOptions Playback;
    /** Interval of `playback` reports while audio plays, in microseconds (protocol: 100-250 ms). */
    int64_t ReportIntervalUs = 100000;
};

enum class SessionState { Idle, AwaitingWelcome, Open };

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
    /** Queue `hello` (resets the session; call again after a reconnect). Returns its id. */
    std::string Hello();
    /** Queue `say`; `utt` must be unique among open utterances. Returns the message id. */
    std::string Say(const std::string& utt, const std::string& text, bool append = false, bool final = true,
                    const std::optional<std::string>& voice = std::nullopt,
                    const std::optional<Style>& style = std::nullopt);
    /** Stop `utt` (nullopt: every open utterance): its queued audio and frames are dropped now,
     *  UtteranceCancelled is emitted now, and the daemon is told. Returns the message id. */
    std::string Cancel(const std::optional<std::string>& utt = std::nullopt);
    /** Queue a partial settings update (a msgpack map). */
    std::string Configure(const MsgValue& settings);
    /** Queue `ping` with the client's clock (µs). */
    std::string Ping(int64_t clientTimeUs);
    /** Queue a `playback` report of the current playback position now. */
    void ReportPlayback(int64_t clientTimeUs);
    /** Queue a `playback` report if ReportIntervalUs passed since the last one and audio plays. */
    bool MaybeReportPlayback(int64_t clientTimeUs);

    /** Encoded messages to send, oldest first (each one binary WebSocket message). */
    std::vector<std::vector<uint8_t>> TakeOutgoing();

    // ---------------------------------------------------------------- incoming
    /** Decode one daemon message and apply it (handshake, timeline, utterance bookkeeping). */
    ReceiveResult Receive(const uint8_t* data, size_t size);

    /** Timeline events that have been played (start, words, phonemes, finish) and cancellations.
     *  Also queues the `playback` report the protocol asks for when an utterance ends. */
    std::vector<TimelineEvent> PollEvents(int64_t clientTimeUs);

    // ---------------------------------------------------------------- state
    SessionState State() const { return state_; }
    const std::optional<WelcomeMsg>& Welcome() const { return welcome_; }
    Timeline& GetTimeline() { return timeline_; }
    const Timeline& GetTimeline() const { return timeline_; }
    /** Utterances said and not yet fully played or cancelled. */
    std::vector<std::string> OpenUtterances() const;
    bool IsOpen(const std::string& utt) const { return open_.count(utt) != 0; }
    const ClientSessionOptions& Options() const { return options_; }

private:
    struct UttState {
        bool DaemonDone = false;  // utterance_finished received: the daemon sends no more of it
    };

    std::string NextId();
    void Queue(const Message& msg) { outgoing_.push_back(Encode(msg)); }
    void Apply(const Message& msg);
    void DropLocally(const std::string& utt, const std::string& reason);

    ClientSessionOptions options_;
    SessionState state_ = SessionState::Idle;
    std::optional<WelcomeMsg> welcome_;
    Timeline timeline_;
    std::map<std::string, UttState> open_;
    std::vector<std::vector<uint8_t>> outgoing_;
    int64_t nextId_ = 0;
    int64_t lastReportUs_ = 0;
    bool reportedOnce_ = false;
};

}  // namespace FacePlexCore
