// FacePlex core: when the player's microphone should open, reopen or close its capture device
// (issue 21 item 4). Engine-free; the glue (UFacePlexMicrophoneComponent) asks Tick() each game
// tick and does what it says with the engine's capture API.
//
//  - Start on connect: the microphone listens only while the character's session is open
//    (welcome received). Components of one actor have no BeginPlay order, so a microphone that
//    begins before its character simply waits, then opens when the session opens -- and again
//    after every reconnect.
//  - A device that cannot be opened (none plugged in) is retried every RetryUs.
//  - An open stream whose callbacks stop for SilentUs (the device was unplugged: the capture
//    backends stop calling back rather than report an error) is reopened; while the device is
//    missing the reopen fails and is retried, and once it is plugged back in, listening resumes.
// NoteCaptured() runs on the capture thread (lock-free); everything else on the game thread.
// Times are microseconds of any monotonic clock.
#pragma once

#include <atomic>
#include <cstdint>

namespace FacePlexCore {

class MicSupervisor {
public:
    enum class Action {
        None,    // nothing to do
        Open,    // open and start the capture stream, then call OpenResult()
        Reopen,  // close the stream (its device went silent), then open it: call OpenResult()
        Close,   // close the stream (not wanted, or the session closed)
    };

    struct Options {
        int64_t RetryUs = 2000000;   // between failed opens
        int64_t SilentUs = 1000000;  // no capture callback for this long: the device is gone
    };

    MicSupervisor() = default;
    explicit MicSupervisor(Options options) : options_(options) {}

    /** Capture thread: `frames` frames arrived (lock-free, never blocks). */
    void NoteCaptured(uint64_t frames) { captured_.fetch_add(frames, std::memory_order_relaxed); }
    uint64_t CapturedFrames() const { return captured_.load(std::memory_order_relaxed); }

    /** What to do now. `wanted`: the game wants to listen; `sessionOpen`: the character's session
     *  is open; `streamOpen`: a capture stream is open. */
    Action Tick(int64_t nowUs, bool wanted, bool sessionOpen, bool streamOpen)
    {
        if (!wanted || !sessionOpen) {
            failures_ = 0;
            nextTryUs_ = 0;
            return streamOpen ? Action::Close : Action::None;
        }
        if (!streamOpen) {
            if (nowUs < nextTryUs_) return Action::None;
            nextTryUs_ = nowUs + options_.RetryUs;  // until OpenResult says it worked
            return Action::Open;
        }
        const uint64_t frames = CapturedFrames();
        if (frames != lastFrames_) {
            lastFrames_ = frames;
            lastProgressUs_ = nowUs;
            return Action::None;
        }
        if (nowUs - lastProgressUs_ < options_.SilentUs) return Action::None;
        ++reopens_;
        nextTryUs_ = nowUs + options_.RetryUs;
        return Action::Reopen;
    }

    /** The glue tried to open (Open or Reopen): `ok` when the stream is open and started. */
    void OpenResult(int64_t nowUs, bool ok)
    {
        if (ok) {
            failures_ = 0;
            nextTryUs_ = 0;
            lastFrames_ = CapturedFrames();
            lastProgressUs_ = nowUs;  // the device gets SilentUs to deliver its first block
        } else {
            ++failures_;
            nextTryUs_ = nowUs + options_.RetryUs;
        }
    }

    /** Failed opens in a row (0 while listening). */
    int64_t Failures() const { return failures_; }
    /** Streams reopened because their device went silent. */
    int64_t Reopens() const { return reopens_; }

private:
    Options options_;
    std::atomic<uint64_t> captured_{0};
    uint64_t lastFrames_ = 0;
    int64_t lastProgressUs_ = 0;
    int64_t nextTryUs_ = 0;
    int64_t failures_ = 0;
    int64_t reopens_ = 0;
};

}  // namespace FacePlexCore
