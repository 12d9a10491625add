#include "Timeline.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>

namespace FacePlexCore {

namespace {
int64_t Ms(int64_t sampleRate, int64_t ms) { return sampleRate * ms / 1000; }
float SmoothStep(float t) { return t * t * (3.0f - 2.0f * t); }
}  // namespace

void Timeline::Configure(int64_t sampleRate, int64_t fps, size_t channelCount, const TimelineOptions& options)
{
    std::lock_guard<std::mutex> lock(mutex_);
    sampleRate_ = sampleRate > 0 ? sampleRate : 48000;
    fps_ = fps > 0 ? fps : 60;
    channels_ = channelCount;
    frameLen_ = std::max<int64_t>(1, sampleRate_ / fps_);
    options_ = options;
    if (options_.PreRollSamples < 0) options_.PreRollSamples = Ms(sampleRate_, 60);
    if (options_.EaseSamples < 0) options_.EaseSamples = Ms(sampleRate_, 150);
    if (options_.HistorySamples < 0) options_.HistorySamples = Ms(sampleRate_, 500);
    if (options_.MaxLagSamples < 0) options_.MaxLagSamples = Ms(sampleRate_, 3000);
    if (options_.MaxIdleLatencySamples < 0) options_.MaxIdleLatencySamples = Ms(sampleRate_, 500);
    if (options_.HeardHistorySamples < 0) options_.HeardHistorySamples = Ms(sampleRate_, 2000);
    ResetLocked();
}

void Timeline::Reset()
{
    std::lock_guard<std::mutex> lock(mutex_);
    ResetLocked();
}

void Timeline::ResetLocked()
{
    playing_ = false;
    position_ = 0;
    bufferedEnd_ = 0;
    audio_.clear();
    frames_.clear();
    pending_.clear();
    ready_.clear();
    spans_.clear();
    dropped_.clear();
    stats_ = TimelineStats();
    holding_ = false;
    holdRun_ = 0;
    lag_ = 0;
    outTotal_ = 0;
    out_.clear();
}

// ------------------------------------------------------------------ input
void Timeline::PushAudio(const std::string& utt, int64_t sample, const int16_t* pcm, size_t count)
{
    std::lock_guard<std::mutex> lock(mutex_);
    PushAudioLocked(utt, sample, std::vector<int16_t>(pcm, pcm + count));
}

void Timeline::PushAudioBytes(const std::string& utt, int64_t sample, const uint8_t* pcm16le, size_t bytes)
{
    std::vector<int16_t> pcm(bytes / 2);
    for (size_t i = 0; i < pcm.size(); ++i)
        pcm[i] = static_cast<int16_t>(pcm16le[2 * i] | (pcm16le[2 * i + 1] << 8));
    std::lock_guard<std::mutex> lock(mutex_);
    PushAudioLocked(utt, sample, std::move(pcm));
}

void Timeline::PushAudioLocked(const std::string& utt, int64_t sample, std::vector<int16_t> pcm)
{
    const int64_t count = static_cast<int64_t>(pcm.size());
    if (count == 0) return;
    if (dropped_.count(utt)) {
        stats_.CancelledDroppedSamples += count;
        return;
    }
    bufferedEnd_ = std::max(bufferedEnd_, sample + count);
    if (playing_ && sample < position_) {  // (partly) for positions already played: never late
        const int64_t late = std::min(count, position_ - sample);
        stats_.LateDroppedSamples += late;
        if (late == count) return;
        pcm.erase(pcm.begin(), pcm.begin() + late);
        sample += late;
    }
    AudioChunk& chunk = audio_[sample];
    chunk.Utt = utt;
    chunk.Pcm = std::move(pcm);
}

void Timeline::PushFace(int64_t frame, int64_t sample, const std::string* utt, const float* values, size_t count)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (utt && dropped_.count(*utt)) {
        ++stats_.CancelledDroppedFrames;
        return;
    }
    Frame& f = frames_[sample];
    f.Number = frame;
    f.Utt = utt ? *utt : std::string();
    f.Values.assign(values, values + std::min(count, channels_ ? channels_ : count));
    f.Values.resize(channels_ ? channels_ : count, 0.0f);
    bufferedEnd_ = std::max(bufferedEnd_, sample + frameLen_);
}

void Timeline::PushEvent(const TimelineEvent& event)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (!event.Utt.empty() && dropped_.count(event.Utt)) return;
    if (event.Kind == TimelineEventKind::UtteranceStarted) spans_[event.Utt].Start = event.Sample;
    if (event.Kind == TimelineEventKind::UtteranceFinished) {
        auto it = spans_.find(event.Utt);
        if (it != spans_.end()) it->second.End = event.Sample;
    }
    if (FiresAtOnce(event.Kind)) ready_.push_back(event);
    else pending_.emplace(event.Sample, event);
}

int64_t Timeline::DropUtterance(const std::string& utt, const std::string& reason)
{
    TimelineEvent ev;
    ev.Kind = TimelineEventKind::UtteranceCancelled;
    ev.Reason = reason;
    return DropUtteranceWith(utt, std::move(ev));
}

int64_t Timeline::DropUtteranceWith(const std::string& utt, TimelineEvent ev)
{
    std::lock_guard<std::mutex> lock(mutex_);
    int64_t droppedSamples = 0;
    for (auto it = audio_.begin(); it != audio_.end();) {
        if (it->second.Utt == utt) {
            const int64_t end = it->second.End(it->first);
            droppedSamples += end - std::max(it->first, position_);
            it = audio_.erase(it);
        } else {
            ++it;
        }
    }
    // Frames at or before the playback position stay (the face holds, then eases); later ones go.
    for (auto it = frames_.upper_bound(position_); it != frames_.end();) {
        if (it->second.Utt == utt) { it = frames_.erase(it); ++stats_.CancelledDroppedFrames; }
        else ++it;
    }
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.Utt == utt) it = pending_.erase(it);
        else ++it;
    }
    spans_.erase(utt);
    dropped_.insert(utt);
    stats_.CancelledDroppedSamples += droppedSamples;
    ev.Utt = utt;
    ev.Sample = ev.End = position_;
    ready_.push_back(std::move(ev));
    return droppedSamples;
}

void Timeline::ForgetDropped(const std::string& utt)
{
    std::lock_guard<std::mutex> lock(mutex_);
    dropped_.erase(utt);
}

// ------------------------------------------------------------------ playback
size_t Timeline::ReadAudio(int16_t* out, size_t count, int64_t* firstPosition)
{
    std::lock_guard<std::mutex> lock(mutex_);
    std::memset(out, 0, count * sizeof(int16_t));
    const int64_t n = static_cast<int64_t>(count);
    if (firstPosition) *firstPosition = position_;
    if (!playing_) {
        if (bufferedEnd_ - position_ < options_.PreRollSamples) {
            RecordOutputLocked(position_, n, false);
            return 0;
        }
        playing_ = true;
    }
    if (bufferedEnd_ - position_ > options_.MaxLagSamples)
        SkipForwardLocked(bufferedEnd_ - options_.PreRollSamples);

    // A hold ends once the utterance can play on smoothly: a pre-roll of its audio (or all of it).
    if (holding_) {
        auto span = spans_.end();
        for (auto it = spans_.begin(); it != spans_.end(); ++it)
            if (it->second.Start <= position_ && (it->second.End < 0 || position_ < it->second.End)) span = it;
        const int64_t need = span == spans_.end() || span->second.End < 0
                                 ? options_.PreRollSamples
                                 : std::min(options_.PreRollSamples, span->second.End - position_);
        if (span != spans_.end() && ContiguousAudioLocked(position_) < std::max<int64_t>(1, need)) {
            stats_.HeldSamples += n;
            stats_.UnderrunSamples += n;
            lag_ += n;
            holdRun_ += n;
            RecordOutputLocked(position_, n, false);
            return 0;
        }
        holding_ = false;
        holdRun_ = 0;
    }

    // Catch-up before the first sample: give lag back over idle positions (never over speech).
    const int64_t excessIdle = bufferedEnd_ - position_ - options_.MaxIdleLatencySamples;
    const int64_t want = std::max(lag_, excessIdle);
    if (want > 0) {
        const int64_t skip = IdleRunLocked(position_, position_ + want);
        if (skip > 0) {
            position_ += skip;
            stats_.CaughtUpSamples += skip;
            lag_ = std::max<int64_t>(0, lag_ - skip);
            PruneLocked();
        }
    }
    if (firstPosition) *firstPosition = position_;

    int64_t done = 0, speech = 0;
    while (done < n) {
        const int64_t pos = position_;
        // Audio covering pos?
        auto it = audio_.upper_bound(pos);
        bool covered = false;
        if (it != audio_.begin()) {
            auto prev = std::prev(it);
            const int64_t end = prev->second.End(prev->first);
            if (end > pos) {
                const int64_t len = std::min(end - pos, n - done);
                std::memcpy(out + done, prev->second.Pcm.data() + (pos - prev->first),
                            static_cast<size_t>(len) * sizeof(int16_t));
                RecordOutputLocked(pos, len, true);
                position_ += len;
                done += len;
                speech += len;
                covered = true;
            }
        }
        if (covered) continue;
        if (SpeakingAtLocked(pos)) {
            // Underrun inside an utterance: hold the position; silence fills the rest of the read.
            holding_ = true;
            ++stats_.Holds;
            stats_.HeldSamples += n - done;
            stats_.UnderrunSamples += n - done;
            lag_ += n - done;
            holdRun_ += n - done;
            RecordOutputLocked(pos, n - done, false);
            done = n;
            break;
        }
        // Idle: silence up to the next audio chunk or utterance start (the position advances).
        int64_t next = pos + (n - done);
        if (it != audio_.end()) next = std::min(next, it->first);
        for (const auto& kv : spans_)
            if (kv.second.Start > pos) next = std::min(next, kv.second.Start);
        const int64_t len = std::max<int64_t>(1, next - pos);
        RecordOutputLocked(pos, len, true);
        position_ += len;
        done += len;
    }
    stats_.PlayedSamples += n;
    stats_.AudioSamples += speech;
    PruneLocked();
    return static_cast<size_t>(speech);
}

void Timeline::RecordOutputLocked(int64_t pos, int64_t len, bool advancing)
{
    if (len <= 0) return;
    if (!out_.empty()) {
        OutSegment& last = out_.back();
        const bool joins = last.Advancing == advancing &&
                           (advancing ? last.Pos + last.Len == pos : last.Pos == pos);
        if (joins) {
            last.Len += len;
            outTotal_ += len;
            return;
        }
    }
    out_.push_back(OutSegment{outTotal_, pos, len, advancing});
    outTotal_ += len;
    while (out_.size() > 1 && out_[1].Out <= outTotal_ - options_.HeardHistorySamples) out_.pop_front();
}

bool Timeline::SpeakingAtLocked(int64_t sample) const
{
    for (const auto& kv : spans_)
        if (kv.second.Start <= sample && (kv.second.End < 0 || sample < kv.second.End)) return true;
    return false;
}

int64_t Timeline::IdleRunLocked(int64_t from, int64_t limit) const
{
    if (SpeakingAtLocked(from)) return 0;
    int64_t to = std::min(limit, bufferedEnd_);
    auto it = audio_.upper_bound(from);
    if (it != audio_.begin() && std::prev(it)->second.End(std::prev(it)->first) > from) return 0;
    if (it != audio_.end()) to = std::min(to, it->first);
    for (const auto& kv : spans_)
        if (kv.second.Start > from) to = std::min(to, kv.second.Start);
    return std::max<int64_t>(0, to - from);
}

int64_t Timeline::ContiguousAudioLocked(int64_t from) const
{
    int64_t cur = from;
    auto it = audio_.upper_bound(from);
    if (it != audio_.begin()) --it;
    for (; it != audio_.end() && it->first <= cur; ++it) cur = std::max(cur, it->second.End(it->first));
    return cur - from;
}

void Timeline::SkipForwardLocked(int64_t newPosition)
{
    if (newPosition <= position_) return;
    stats_.SkippedSamples += newPosition - position_;
    lag_ = std::max<int64_t>(0, lag_ - (newPosition - position_));
    position_ = newPosition;
    holding_ = false;
    holdRun_ = 0;
    PruneLocked();
}

void Timeline::PruneLocked()
{
    // Played audio goes at once: it can never be played again.
    while (!audio_.empty() && audio_.begin()->second.End(audio_.begin()->first) <= position_)
        audio_.erase(audio_.begin());
    // Keep frames back to position - history, plus the one frame before that.
    const int64_t keepFrom = position_ - options_.HistorySamples;
    while (frames_.size() > 1 && std::next(frames_.begin())->first <= keepFrom)
        frames_.erase(frames_.begin());
    // Events wait in pending_ until polled (PollEvents: played; PollEventsUpTo: heard).
}

void Timeline::ReleaseEventsLocked(int64_t upTo)
{
    upTo = std::min(upTo, position_);  // never an event that has not been played
    while (!pending_.empty() && pending_.begin()->first <= upTo) {
        const TimelineEvent& ev = pending_.begin()->second;
        if (ev.Kind == TimelineEventKind::UtteranceFinished) spans_.erase(ev.Utt);
        ready_.push_back(ev);
        pending_.erase(pending_.begin());
    }
}

// ------------------------------------------------------------------ queries
int64_t Timeline::PlaybackSample() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return position_;
}

bool Timeline::IsPlaying() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return playing_;
}

bool Timeline::FaceAt(int64_t sample, float* out, size_t count) const
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (frames_.empty()) return false;
    auto next = frames_.upper_bound(sample);  // first frame after `sample`
    if (next == frames_.begin()) {            // older than everything kept: the oldest frame
        const auto& v = next->second.Values;
        for (size_t i = 0; i < count; ++i) out[i] = i < v.size() ? v[i] : 0.0f;
        return true;
    }
    auto prev = std::prev(next);
    const std::vector<float>& a = prev->second.Values;
    const int64_t maxGap = frameLen_ + frameLen_ / 2 + 1;
    if (next != frames_.end() && next->first - prev->first <= maxGap) {
        // Between two neighbouring frames: linear interpolation by sample position.
        const std::vector<float>& b = next->second.Values;
        const float t = static_cast<float>(sample - prev->first) / static_cast<float>(next->first - prev->first);
        for (size_t i = 0; i < count; ++i) {
            const float va = i < a.size() ? a[i] : 0.0f;
            const float vb = i < b.size() ? b[i] : 0.0f;
            out[i] = t == 0.0f ? va : va + (vb - va) * t;
        }
        return true;
    }
    // After the newest frame (or inside a gap): hold one frame, then ease to neutral. While the
    // position is held by an underrun the held silence counts as time passing (the face rests
    // during a long hitch instead of freezing mid-phoneme).
    const int64_t since = sample - (prev->first + frameLen_) + (holding_ && sample >= position_ ? holdRun_ : 0);
    const float k = since <= 0 || options_.EaseSamples <= 0
                        ? (since <= 0 ? 1.0f : 0.0f)
                        : 1.0f - SmoothStep(std::min(1.0f, static_cast<float>(since) / static_cast<float>(options_.EaseSamples)));
    for (size_t i = 0; i < count; ++i) out[i] = (i < a.size() ? a[i] : 0.0f) * k;
    return true;
}

std::vector<TimelineEvent> Timeline::PollEvents() { return PollEventsUpTo(INT64_MAX); }

std::vector<TimelineEvent> Timeline::PollEventsUpTo(int64_t sample)
{
    std::lock_guard<std::mutex> lock(mutex_);
    ReleaseEventsLocked(sample);
    std::vector<TimelineEvent> out;
    out.swap(ready_);
    return out;
}

int64_t Timeline::HeardSample(int64_t delaySamples) const
{
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t idx = outTotal_ - std::max<int64_t>(0, delaySamples);
    if (out_.empty() || idx >= outTotal_) return out_.empty() ? 0 : position_;
    if (idx < out_.front().Out) return out_.front().Pos;
    // The last segment starting at or before idx (segments are contiguous in output order).
    auto it = std::upper_bound(out_.begin(), out_.end(), idx,
                               [](int64_t v, const OutSegment& s) { return v < s.Out; });
    const OutSegment& s = *std::prev(it);
    return s.Advancing ? s.Pos + (idx - s.Out) : s.Pos;
}

int64_t Timeline::LagSamples() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return lag_;
}

int64_t Timeline::OutputSamples() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return outTotal_;
}

std::optional<std::string> Timeline::UtteranceAt(int64_t sample) const
{
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& kv : spans_)
        if (sample >= kv.second.Start && (kv.second.End < 0 || sample < kv.second.End)) return kv.first;
    return std::nullopt;
}

int64_t Timeline::BufferedAudioSamples(const std::string* utt) const
{
    std::lock_guard<std::mutex> lock(mutex_);
    int64_t total = 0;
    for (const auto& kv : audio_) {
        if (utt && kv.second.Utt != *utt) continue;
        total += std::max<int64_t>(0, kv.second.End(kv.first) - std::max(kv.first, position_));
    }
    return total;
}

int64_t Timeline::BufferedEnd() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return bufferedEnd_;
}

TimelineStats Timeline::Stats() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
}

}  // namespace FacePlexCore
