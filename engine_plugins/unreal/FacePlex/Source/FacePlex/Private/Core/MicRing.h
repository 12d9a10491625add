// FacePlex core: the microphone's path from the capture thread to the network (PROTOCOL.md §11 `mic`).
//
// The capture callback calls Push() with whatever the device delivered (interleaved PCM16, its own
// rate and channel count); Push() never locks, never allocates and never waits: a single-producer /
// single-consumer ring of int16 samples with atomic read/write indices. The network side calls
// TakeChunk() until it returns false and sends each chunk as one `mic` message of ChunkMs
// (20-100 ms, as §11 asks; at most 60000 bytes so a message stays under 64 KiB).
//
// A format change (another device, rate or channel count) is handed over without a lock: the
// producer announces the new format and drops its samples until the consumer has sent every
// sample of the old format and adopted the new one (a few ms lost at a device switch). When the
// ring is full new samples are dropped and counted. The network side never sends more than
// MaxBacklogMs at once: after a stall (a loaded machine) the oldest audio is skipped, because the
// daemon expects the microphone in real time: it anchors a stream that pauses >= 300 ms anew and
// rejects one that delivers over 1.4x real time (PROTOCOL.md §11 format checks), so a burst of
// stale audio would be refused while a gap is harmless.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace FacePlexCore {

/** One chunk ready to send as `mic`: interleaved PCM16 (host order) at SampleRate Hz. */
struct MicChunk {
    int64_t SampleRate = 0;
    int64_t Channels = 0;
    std::vector<int16_t> Pcm;
};

class MicRing {
public:
    /** `capacitySamples`: ring size in int16 samples (default 2 s of 48 kHz stereo). */
    explicit MicRing(size_t capacitySamples = 48000 * 2 * 2);

    /** Capture thread: append `frames` frames of `channels` interleaved int16 samples at
     *  `sampleRate` Hz. Lock-free, wait-free, no allocation. Returns the frames accepted. */
    size_t Push(const int16_t* pcm, size_t frames, int64_t sampleRate, int64_t channels);

    /** Network side: the next whole chunk of ChunkMs (or, with `flush`, whatever is left, e.g. when
     *  capture stops); false when there is not enough. */
    bool TakeChunk(MicChunk& out, bool flush = false);

    /** Chunk length in ms, clamped to 20..100 (default 40). Network side. */
    void SetChunkMs(int64_t ms);
    int64_t ChunkMs() const { return chunkMs_; }
    /** Most audio sent at once after a stall, in ms (default 200; at least one chunk). */
    void SetMaxBacklogMs(int64_t ms) { maxBacklogMs_ = ms; }

    /** Frames dropped because the ring was full, a format change was pending, or the backlog
     *  after a stall exceeded MaxBacklogMs. */
    uint64_t DroppedFrames() const { return dropped_.load(std::memory_order_relaxed); }
    /** Frames accepted by Push() so far. */
    uint64_t PushedFrames() const { return pushed_.load(std::memory_order_relaxed); }

    /** Network side, while no producer runs: forget everything buffered (e.g. after a reconnect). */
    void Clear();

private:
    static int64_t PackFormat(int64_t rate, int64_t channels) { return rate * 16 + channels; }
    size_t Available() const;  // samples readable by the consumer

    std::vector<int16_t> buf_;
    std::atomic<size_t> write_{0};  // total samples written (producer)
    std::atomic<size_t> read_{0};   // total samples read (consumer)
    std::atomic<int64_t> announced_{0};  // format the producer is capturing (PackFormat), 0 = none yet
    std::atomic<int64_t> current_{0};    // format of the samples in the ring (set by the consumer)
    std::atomic<uint64_t> dropped_{0};
    std::atomic<uint64_t> pushed_{0};
    int64_t chunkMs_ = 40;
    int64_t maxBacklogMs_ = 200;
};

}  // namespace FacePlexCore
