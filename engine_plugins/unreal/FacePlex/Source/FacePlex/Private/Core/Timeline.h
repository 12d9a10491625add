// FacePlex core: the session timeline / jitter buffer (no engine headers).
//
// Audio chunks and face frames are stored by their timeline position (samples at the session's
// output rate, 0 at `welcome`). The audio device pulls PCM with ReadAudio(), which advances the
// playback position; the game asks FaceAt(position) and gets the face for that sample,
// interpolated between the two frames around it -- never "the newest frame received".
//
// Rules:
//  - Playback starts once PreRollSamples of media are buffered; before that ReadAudio gives
//    silence and the position stays at 0.
//  - Where no audio is buffered (between utterances, or an underrun) ReadAudio gives silence; audio
//    that arrives for a position already played is dropped, so stale audio is never played late
//    and never repeated.
//  - After the newest frame (face underrun, or frames dropped by a cancel) the face holds for one
//    frame, then eases to neutral (all zeros) over EaseSamples.
//  - DropUtterance() removes everything queued for an utterance at once (audio, frames, events)
//    and ignores media of it that is still in flight.
//  - If the buffer runs more than MaxLagSamples ahead of playback (the app stopped pulling audio
//    for seconds, e.g. a breakpoint), playback skips forward instead of burst-replaying what piled
//    up -- the one rule that may skip speech.
//  - Heard position: ReadAudio records which timeline position each output sample came from
//    (advancing, held silence, skips), so HeardSample(delay) maps "the output sample the speaker
//    plays now" (everything handed out minus what the device still queues, minus its latency) back
//    to the timeline. Playback reports, word events and the face use it.
//
// Thread safety: every method locks an internal mutex, so the audio thread may call ReadAudio()
// while the game thread pushes media and calls FaceAt().
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace FacePlexCore {

/** Tuning in samples at the session's output rate; a negative value picks the default. */
struct TimelineOptions {
    int64_t PreRollSamples = -1;   // default 60 ms: media buffered before playback starts
    int64_t EaseSamples = -1;      // default 150 ms: face ease to neutral after the last frame
    int64_t HistorySamples = -1;   // default 500 ms: frames kept behind the playback position
    int64_t MaxLagSamples = -1;    // default 3 s: buffered-ahead limit before skipping forward
    int64_t MaxIdleLatencySamples = -1;  // default 500 ms: buffered ahead above which idle is skipped
    int64_t HeardHistorySamples = -1;    // default 2 s: output kept for the heard-position map
};

enum class TimelineEventKind {
    UtteranceStarted, UtteranceFinished, UtteranceCancelled, Word, Phoneme,
    // Fired at once (not when played): the partner's voice activity, barge-in, daemon warnings.
    PartnerSpeechStarted, PartnerSpeechStopped, Interrupted, Warning,
    // PartnerTranscript: Text = what the partner said, [Sample, End) its span, Reason "final" | "interim".
    // IncompatibleDaemon: the welcome names another protocol version; Text = the error (names both),
    // Sample = the daemon's protocol, End = this core's (PROTOCOL.md §9).
    PartnerTranscript, IncompatibleDaemon
};

/** Kinds that PollEvents() returns as soon as they are pushed, in arrival order. */
inline bool FiresAtOnce(TimelineEventKind k)
{
    return k == TimelineEventKind::UtteranceCancelled || k == TimelineEventKind::PartnerSpeechStarted ||
           k == TimelineEventKind::PartnerSpeechStopped || k == TimelineEventKind::Interrupted ||
           k == TimelineEventKind::Warning || k == TimelineEventKind::PartnerTranscript ||
           k == TimelineEventKind::IncompatibleDaemon;
}

/** Something that happens at a timeline position; returned by PollEvents() once played
 *  (FiresAtOnce kinds: at once). */
struct TimelineEvent {
    TimelineEventKind Kind = TimelineEventKind::Word;
    std::string Utt;
    int64_t Sample = 0;   // where it happens (samples)
    int64_t End = 0;      // Word/Phoneme: end (exclusive); UtteranceFinished: == Sample;
                          // PartnerSpeechStopped: Sample + the partner's samples
    std::string Text;     // Word: the word; Phoneme: IPA; Interrupted / Cancelled by an
                          // interruption: text_spoken; Warning: the message
    std::string Viseme;   // Phoneme: OVRLipSync viseme
    std::string Reason;   // UtteranceCancelled: client | client_too_slow | error | shutdown |
                          // interrupted | empty | disconnected (the connection was lost); Warning: code
    /** Interrupted, and the UtteranceCancelled that ends an interrupted utterance: samples of it
     *  the listener heard (daemon's count, <= samples sent) and the words that fully played. */
    int64_t SamplesPlayed = 0;
    std::vector<std::string> WordsSpoken;
};

/** Counters in samples (audio) or frames. */
struct TimelineStats {
    int64_t PlayedSamples = 0;            // samples handed to the audio device since start
    int64_t AudioSamples = 0;             // ... of which speech audio
    int64_t UnderrunSamples = 0;          // silence inside an utterance that had not finished
    int64_t LateDroppedSamples = 0;       // audio that arrived for a position already played
    int64_t CancelledDroppedSamples = 0;  // queued or in-flight audio dropped by DropUtterance
    int64_t CancelledDroppedFrames = 0;
    int64_t SkippedSamples = 0;           // positions skipped because playback lagged too far
    int64_t HeldSamples = 0;              // silence output while the position held (underrun in speech)
    int64_t Holds = 0;                    // underruns that held the position
    int64_t CaughtUpSamples = 0;          // idle positions skipped to give lag back
};

class Timeline {
public:
    /** Set the session's format (after `welcome`) and clear everything. */
    void Configure(int64_t sampleRate, int64_t fps, size_t channelCount, const TimelineOptions& options = {});
    /** Clear all media and restart at position 0 (e.g. a new session after a reconnect). */
    void Reset();

    // ---------------------------------------------------------------- input (from the codec)
    /** Speech PCM (mono int16) whose first sample sits at timeline `sample`. */
    void PushAudio(const std::string& utt, int64_t sample, const int16_t* pcm, size_t count);
    /** Same, from PCM16LE bytes as they arrive on the wire. */
    void PushAudioBytes(const std::string& utt, int64_t sample, const uint8_t* pcm16le, size_t bytes);
    /** Face frame `frame` at timeline `sample`; `count` values (the session's channel count). */
    void PushFace(int64_t frame, int64_t sample, const std::string* utt, const float* values, size_t count);
    /** An event that fires when playback reaches event.Sample (marks, utterance start/finish);
     *  FiresAtOnce() kinds are ready at once. */
    void PushEvent(const TimelineEvent& event);
    /** Drop everything queued for `utt` now (audio, frames after the playback position, pending
     *  events), ignore its media still in flight, and emit UtteranceCancelled at once.
     *  Returns the number of audio samples dropped. */
    int64_t DropUtterance(const std::string& utt, const std::string& reason);
    /** Like DropUtterance, but the event emitted is `ended` (its Kind, Reason and interruption
     *  fields; Utt and Sample are filled in). */
    int64_t DropUtteranceWith(const std::string& utt, TimelineEvent ended);
    /** Stop ignoring media of a dropped `utt` (the daemon confirmed no more of it follows). */
    void ForgetDropped(const std::string& utt);

    // ---------------------------------------------------------------- playback (audio thread)
    /** Fill `out` with the next `count` samples and advance the playback position (silence where
     *  nothing is buffered, and everything before the pre-roll; holds inside an utterance, see the
     *  rules). Catch-up skips happen only before the first sample, and a hold only ends a read, so
     *  out[0 .. PlaybackSample() - *firstPosition) are the samples of positions *firstPosition ...
     *  `firstPosition` (optional): the timeline position of out[0]. Returns the samples of speech. */
    size_t ReadAudio(int16_t* out, size_t count, int64_t* firstPosition = nullptr);

    // ---------------------------------------------------------------- queries (game thread)
    /** The next sample to be played (everything before it has been handed to the device). */
    int64_t PlaybackSample() const;
    /** True once the pre-roll was reached. */
    bool IsPlaying() const;
    /** The face at timeline `sample`, interpolated between the frames around it (see the rules
     *  above). Writes min(count, channels) values; false while no frame has arrived. */
    bool FaceAt(int64_t sample, float* out, size_t count) const;
    /** Events whose position has been played, in timeline order; cancellations at once. */
    std::vector<TimelineEvent> PollEvents();
    /** Events at or before timeline `sample` (pass the heard sample), in timeline order; FiresAtOnce
     *  kinds at once. Never returns an event whose position has not been played. */
    std::vector<TimelineEvent> PollEventsUpTo(int64_t sample);
    /** The timeline sample the listener hears now (samples), given `delaySamples`: output handed
     *  to the device and not yet heard (what its queue still holds + its output latency). Held
     *  silence maps to the held position, skips to where they landed; before playback 0; a delay
     *  older than the kept history maps to the oldest kept output. delaySamples 0 = PlaybackSample(). */
    int64_t HeardSample(int64_t delaySamples) const;
    /** Silence inserted by holds and not yet given back by catch-up (samples). */
    int64_t LagSamples() const;
    /** Samples output to the device since Configure/Reset. */
    int64_t OutputSamples() const;
    /** The utterance whose audio spans `sample` (nullopt between utterances). */
    std::optional<std::string> UtteranceAt(int64_t sample) const;
    /** Audio samples buffered at or after the playback position (all utterances, or one). */
    int64_t BufferedAudioSamples(const std::string* utt = nullptr) const;
    /** The furthest timeline position any buffered media reaches (samples). */
    int64_t BufferedEnd() const;
    TimelineStats Stats() const;

    int64_t SampleRate() const { return sampleRate_; }
    int64_t Fps() const { return fps_; }
    size_t ChannelCount() const { return channels_; }
    /** Timeline sample of face frame `frame`: floor(frame * sample_rate / fps). */
    int64_t FrameSample(int64_t frame) const { return fps_ ? frame * sampleRate_ / fps_ : 0; }

private:
    struct AudioChunk {
        std::string Utt;
        std::vector<int16_t> Pcm;
        int64_t End(int64_t start) const { return start + static_cast<int64_t>(Pcm.size()); }
    };
    struct Frame {
        int64_t Number = 0;
        std::string Utt;  // empty for idle frames
        std::vector<float> Values;
    };
    struct Span {
        int64_t Start = 0;
        int64_t End = -1;  // -1 while unknown (not finished yet)
    };
    /** Output samples [Out, Out + Len) came from positions [Pos, Pos + Len) (Advancing) or all
     *  from the held position Pos (silence while holding or before the pre-roll). */
    struct OutSegment {
        int64_t Out = 0;
        int64_t Pos = 0;
        int64_t Len = 0;
        bool Advancing = false;
    };

    void ResetLocked();
    void PushAudioLocked(const std::string& utt, int64_t sample, std::vector<int16_t> pcm);
    void SkipForwardLocked(int64_t newPosition);
    void PruneLocked();
    bool SpeakingAtLocked(int64_t sample) const;
    int64_t IdleRunLocked(int64_t from, int64_t limit) const;
    int64_t ContiguousAudioLocked(int64_t from) const;
    void RecordOutputLocked(int64_t pos, int64_t len, bool advancing);
    void ReleaseEventsLocked(int64_t upTo);

    mutable std::mutex mutex_;
    int64_t sampleRate_ = 48000;
    int64_t fps_ = 60;
    size_t channels_ = 0;
    int64_t frameLen_ = 800;
    TimelineOptions options_;

    bool playing_ = false;
    int64_t position_ = 0;
    int64_t bufferedEnd_ = 0;
    std::map<int64_t, AudioChunk> audio_;              // by first sample
    std::map<int64_t, Frame> frames_;                  // by timeline sample
    std::multimap<int64_t, TimelineEvent> pending_;    // by timeline sample
    std::vector<TimelineEvent> ready_;
    std::map<std::string, Span> spans_;
    std::set<std::string> dropped_;
    TimelineStats stats_;
    bool holding_ = false;       // the position is held by an underrun inside an utterance
    int64_t holdRun_ = 0;        // silence output in the current hold (samples)
    int64_t lag_ = 0;            // held silence not yet given back (samples)
    int64_t outTotal_ = 0;       // samples handed to the device
    std::deque<OutSegment> out_;     // the heard-position map, oldest first
};

}  // namespace FacePlexCore
