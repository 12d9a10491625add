#include "MicRing.h"

#include <algorithm>

namespace FacePlexCore {

namespace {
constexpr size_t kMaxChunkBytes = 60000;  // a `mic` message must stay under 64 KiB (§11)
}

MicRing::MicRing(size_t capacitySamples) : buf_(std::max<size_t>(capacitySamples, 1024)) {}

void MicRing::SetChunkMs(int64_t ms) { chunkMs_ = std::min<int64_t>(100, std::max<int64_t>(20, ms)); }

size_t MicRing::Available() const
{
    return write_.load(std::memory_order_acquire) - read_.load(std::memory_order_relaxed);
}

size_t MicRing::Push(const int16_t* pcm, size_t frames, int64_t sampleRate, int64_t channels)
{
    if (!pcm || frames == 0 || sampleRate <= 0 || channels <= 0) return 0;
    const int64_t fmt = PackFormat(sampleRate, channels);
    int64_t cur = current_.load(std::memory_order_acquire);
    if (cur == 0 && current_.compare_exchange_strong(cur, fmt, std::memory_order_acq_rel)) cur = fmt;
    if (cur != fmt) {
        // The ring still holds another format: let the consumer send it out first.
        announced_.store(fmt, std::memory_order_release);
        dropped_.fetch_add(frames, std::memory_order_relaxed);
        return 0;
    }
    announced_.store(fmt, std::memory_order_relaxed);
    const size_t ch = static_cast<size_t>(channels);
    const size_t w = write_.load(std::memory_order_relaxed);
    const size_t used = w - read_.load(std::memory_order_acquire);
    const size_t freeFrames = (buf_.size() - used) / ch;
    const size_t take = std::min(frames, freeFrames);
    const size_t n = take * ch;
    for (size_t i = 0; i < n; ++i) buf_[(w + i) % buf_.size()] = pcm[i];
    write_.store(w + n, std::memory_order_release);
    pushed_.fetch_add(take, std::memory_order_relaxed);
    if (take < frames) dropped_.fetch_add(frames - take, std::memory_order_relaxed);
    return take;
}

bool MicRing::TakeChunk(MicChunk& out, bool flush)
{
    const int64_t cur = current_.load(std::memory_order_acquire);
    if (cur == 0) return false;
    const int64_t rate = cur / 16;
    const size_t ch = static_cast<size_t>(cur % 16);
    const bool switching = announced_.load(std::memory_order_acquire) != cur;
    size_t availFrames = Available() / ch;
    if (switching && availFrames == 0) {
        // Every sample of the old format is out: adopt the producer's new format.
        current_.store(announced_.load(std::memory_order_acquire), std::memory_order_release);
        return false;
    }
    size_t chunkFrames = static_cast<size_t>(rate * chunkMs_ / 1000);
    chunkFrames = std::max<size_t>(1, std::min(chunkFrames, kMaxChunkBytes / (2 * ch)));
    const size_t maxFrames = std::max(chunkFrames, static_cast<size_t>(rate * maxBacklogMs_ / 1000));
    if (availFrames > maxFrames) {  // stalled: skip the oldest audio rather than send a burst
        const size_t skip = availFrames - maxFrames;
        read_.store(read_.load(std::memory_order_relaxed) + skip * ch, std::memory_order_release);
        dropped_.fetch_add(skip, std::memory_order_relaxed);
        availFrames = maxFrames;
    }
    size_t frames = chunkFrames;
    if (availFrames < chunkFrames) {
        if (!(flush || switching) || availFrames == 0) return false;
        frames = availFrames;
    }
    const size_t n = frames * ch;
    const size_t r = read_.load(std::memory_order_relaxed);
    out.SampleRate = rate;
    out.Channels = static_cast<int64_t>(ch);
    out.Pcm.resize(n);
    for (size_t i = 0; i < n; ++i) out.Pcm[i] = buf_[(r + i) % buf_.size()];
    read_.store(r + n, std::memory_order_release);
    return true;
}

void MicRing::Clear() { read_.store(write_.load(std::memory_order_acquire), std::memory_order_release); }

}  // namespace FacePlexCore
