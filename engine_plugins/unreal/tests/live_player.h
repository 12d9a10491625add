// Shared by the live tests (live_test, duplex_live_test): a real-time "engine" around one
// ClientSession and the test-only WebSocket transport. An "audio device" pulls PCM from the
// timeline every 10 ms by the steady clock, the "game" asks FaceAt(position) and polls events
// (at the heard sample: 20 ms of output delay), playback reports and captured microphone chunks
// go back to the daemon.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "Core/ClientSession.h"
#include "ws_transport.h"

using namespace FacePlexCore;
using Clock = std::chrono::steady_clock;

namespace {

int failures = 0;

void Report(bool ok, const char* name, const std::string& detail)
{
    std::printf("%s %s %s\n", ok ? "PASS" : "FAIL", name, detail.c_str());
    std::fflush(stdout);
    if (!ok) ++failures;
}

int64_t NowUs()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

/** Drives one session in real time and records everything for the checks. */
class Player {
public:
    Player(ClientSession& session, WsTransport& ws) : s_(session), ws_(ws) {}

    // what arrived
    std::map<int64_t, FaceMsg> frames;                 // by frame number
    std::map<std::string, std::vector<AudioMsg>> audio;
    std::map<std::string, std::vector<MarkMsg>> marks;
    std::map<std::string, UtteranceStartedMsg> started;
    std::map<std::string, UtteranceFinishedMsg> finished;
    std::vector<UtteranceCancelledMsg> cancelled;
    std::vector<ErrorMsg> errors;
    std::vector<PongMsg> pongs;
    std::vector<TimelineEvent> events;
    // full duplex: what the daemon said about the partner, and barge-ins
    std::vector<InterruptedMsg> interrupted;
    int64_t partnerStarted = 0, partnerStopped = 0;
    std::map<std::string, int64_t> audioAfterInterrupted;  // audio messages after `interrupted`
    std::map<std::string, int64_t> positionAtInterrupted;  // local playback position when it arrived
    std::map<std::string, int64_t> audioAfterCancelMsg;  // audio messages that arrived after utterance_cancelled
    // what was played: sample values by timeline position
    std::vector<int16_t> played;
    // face checks
    int64_t faceChecked = 0, faceMismatch = 0, midChecked = 0, midMismatch = 0, lateFrames = 0;
    std::string firstMismatch;
    // cancelled utterance -> playback position at the cancel (its frames after it are dropped)
    std::map<std::string, int64_t> cancelPos;
    int64_t reportsSent = 0, lastReported = 0;
    bool micFlush = false;  // set when capture has stopped: send the partial rest too
    /** Output between the timeline and the "ear", as an engine's audio queue + device latency
     *  (20 ms at 48 kHz): events and playback reports use the heard sample, as in the glue. */
    int64_t outputDelaySamples = 960;

    void Flush()
    {
        for (auto& bytes : s_.TakeOutgoing()) {
            DecodeResult d = Decode(bytes.data(), bytes.size());
            if (d.Ok) {
                if (const auto* p = std::get_if<PlaybackMsg>(&d.Msg)) { ++reportsSent; lastReported = p->Sample; }
            }
            ws_.Send(bytes);
        }
    }

    /** Receive, play due audio, check faces, poll events, report; about 5-10 ms per call. */
    void Step()
    {
        for (auto& bytes : ws_.Receive(5)) OnMessage(bytes);
        if (s_.State() == SessionState::Open) PlayDueAudio();
        s_.SetOutputDelaySamples(outputDelaySamples);
        for (TimelineEvent& e : s_.PollEvents(NowUs())) events.push_back(e);
        s_.MaybeReportPlayback(NowUs());
        s_.PumpMic(micFlush);  // what the capture thread pushed, as 20-100 ms mic messages
        Flush();
    }

    template <class Pred> bool RunUntil(Pred done, double seconds)
    {
        const auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
        while (Clock::now() < deadline) {
            Step();
            if (done()) return true;
        }
        return false;
    }

    TimelineStats Stats() const { return s_.GetTimeline().Stats(); }

    bool HasEvent(TimelineEventKind kind, const std::string& utt) const
    {
        for (const auto& e : events)
            if (e.Kind == kind && e.Utt == utt) return true;
        return false;
    }

private:
    void OnMessage(const std::vector<uint8_t>& bytes)
    {
        ReceiveResult r = s_.Receive(bytes.data(), bytes.size());
        if (!r.Ok) {
            ErrorMsg e;
            e.Code = "client_decode:" + r.ErrorCode;
            e.Message = r.ErrorMessage;
            errors.push_back(e);
            return;
        }
        const int64_t position = s_.GetTimeline().PlaybackSample();
        if (const auto* f = std::get_if<FaceMsg>(&r.Msg)) {
            if (s_.GetTimeline().IsPlaying() && f->Sample < position) ++lateFrames;
            frames[f->Frame] = *f;
        } else if (const auto* a = std::get_if<AudioMsg>(&r.Msg)) {
            audio[a->Utt].push_back(*a);
            for (const auto& in : interrupted)
                if (in.Utt == a->Utt) ++audioAfterInterrupted[a->Utt];
            for (const auto& c : cancelled)
                if (c.Utt == a->Utt) ++audioAfterCancelMsg[a->Utt];
        } else if (const auto* m = std::get_if<MarkMsg>(&r.Msg)) {
            marks[m->Utt].push_back(*m);
        } else if (const auto* st = std::get_if<UtteranceStartedMsg>(&r.Msg)) {
            started[st->Utt] = *st;
        } else if (const auto* fin = std::get_if<UtteranceFinishedMsg>(&r.Msg)) {
            finished[fin->Utt] = *fin;
        } else if (const auto* c = std::get_if<UtteranceCancelledMsg>(&r.Msg)) {
            cancelled.push_back(*c);
        } else if (const auto* e = std::get_if<ErrorMsg>(&r.Msg)) {
            errors.push_back(*e);
        } else if (const auto* p = std::get_if<PongMsg>(&r.Msg)) {
            pongs.push_back(*p);
        } else if (const auto* in = std::get_if<InterruptedMsg>(&r.Msg)) {
            interrupted.push_back(*in);
            positionAtInterrupted[in->Utt] = position;
        } else if (std::get_if<PartnerSpeechStartedMsg>(&r.Msg)) {
            ++partnerStarted;
        } else if (std::get_if<PartnerSpeechStoppedMsg>(&r.Msg)) {
            ++partnerStopped;
        }
    }

    void PlayDueAudio()
    {
        Timeline& t = s_.GetTimeline();
        if (!clockStarted_) { clockStart_ = Clock::now(); clockStarted_ = true; }
        const double elapsed = std::chrono::duration<double>(Clock::now() - clockStart_).count();
        const int64_t due = static_cast<int64_t>(elapsed * static_cast<double>(t.SampleRate()));
        const size_t block = static_cast<size_t>(t.SampleRate() / 100);  // 10 ms device buffer
        std::vector<int16_t> buf(block);
        while (devicePulled_ + static_cast<int64_t>(block) <= due) {
            int64_t from = 0;  // where out[0] came from (after any catch-up skip)
            t.ReadAudio(buf.data(), block, &from);
            devicePulled_ += static_cast<int64_t>(block);
            const int64_t to = t.PlaybackSample();
            if (to <= from) continue;  // pre-roll
            if (static_cast<int64_t>(played.size()) < to) played.resize(static_cast<size_t>(to), 0);
            std::copy(buf.begin(), buf.begin() + (to - from), played.begin() + from);
            CheckFaces(from, to);
        }
    }

    bool Dropped(const FaceMsg& f) const
    {
        if (!f.Utt) return false;
        auto it = cancelPos.find(*f.Utt);
        return it != cancelPos.end() && f.Sample > it->second;
    }

    /** The face for every frame position played in [from, to) is that frame; half-way between
     *  two frames it is their average. */
    void CheckFaces(int64_t from, int64_t to)
    {
        Timeline& t = s_.GetTimeline();
        const size_t n = t.ChannelCount();
        std::vector<float> v(n);
        const int64_t firstFrame = (from * t.Fps() + t.SampleRate() - 1) / t.SampleRate();
        for (int64_t k = firstFrame; t.FrameSample(k) < to; ++k) {
            auto it = frames.find(k);
            if (it == frames.end() || Dropped(it->second)) continue;
            const FaceMsg& f = it->second;
            t.FaceAt(f.Sample, v.data(), n);
            ++faceChecked;
            if (!std::equal(v.begin(), v.end(), f.Values.begin())) {
                if (firstMismatch.empty()) firstMismatch = "frame " + std::to_string(k);
                ++faceMismatch;
            }
            auto next = frames.find(k + 1);
            if (next == frames.end() || Dropped(next->second)) continue;
            const int64_t mid = (f.Sample + next->second.Sample) / 2;
            t.FaceAt(mid, v.data(), n);
            const float w = static_cast<float>(mid - f.Sample) / static_cast<float>(next->second.Sample - f.Sample);
            ++midChecked;
            for (size_t i = 0; i < n; ++i) {
                const float want = f.Values[i] + (next->second.Values[i] - f.Values[i]) * w;
                if (std::fabs(v[i] - want) > 1e-5f) { ++midMismatch; break; }
            }
        }
    }

    ClientSession& s_;
    WsTransport& ws_;
    bool clockStarted_ = false;
    Clock::time_point clockStart_;
    int64_t devicePulled_ = 0;
};

std::string Str(int64_t v) { return std::to_string(v); }

/** The daemon's token from FACEPLEX_TOKEN (the pytest side sets it when the daemon has one). */
inline std::optional<std::string> TokenFromEnv()
{
    const char* t = std::getenv("FACEPLEX_TOKEN");
    if (t && *t) return std::string(t);
    return std::nullopt;
}

/** A PCM16 WAV file (RIFF, format 1): interleaved samples, rate and channels; false if not one. */
inline bool ReadWav(const std::string& path, std::vector<int16_t>& pcm, int64_t& rate, int64_t& channels)
{
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> d((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto u32 = [&](size_t i) { return static_cast<uint32_t>(d[i] | (d[i + 1] << 8) | (d[i + 2] << 16) | (d[i + 3] << 24)); };
    auto u16 = [&](size_t i) { return static_cast<uint16_t>(d[i] | (d[i + 1] << 8)); };
    if (d.size() < 12 || std::string(d.begin(), d.begin() + 4) != "RIFF") return false;
    bool fmt = false;
    for (size_t i = 12; i + 8 <= d.size();) {
        const std::string id(d.begin() + static_cast<long>(i), d.begin() + static_cast<long>(i) + 4);
        const size_t n = u32(i + 4);
        if (i + 8 + n > d.size()) return false;
        if (id == "fmt ") {
            fmt = u16(i + 8) == 1 && u16(i + 22) == 16;
            channels = u16(i + 10);
            rate = u32(i + 12);
        } else if (id == "data" && fmt) {
            pcm.resize(n / 2);
            for (size_t k = 0; k < pcm.size(); ++k) pcm[k] = static_cast<int16_t>(u16(i + 8 + 2 * k));
            return true;
        }
        i += 8 + n + (n & 1);
    }
    return false;
}

inline void CheckAudioComplete(Player& p, const std::string& utt)
{
    auto st = p.started.find(utt);
    auto fin = p.finished.find(utt);
    if (st == p.started.end() || fin == p.finished.end()) {
        Report(false, "audio_complete", "no utterance_started/finished for " + utt);
        return;
    }
    std::vector<AudioMsg> chunks = p.audio[utt];
    std::sort(chunks.begin(), chunks.end(), [](const AudioMsg& a, const AudioMsg& b) { return a.Sample < b.Sample; });
    int64_t cursor = st->second.Sample, total = 0;
    bool contiguous = true, seqOk = true;
    for (size_t i = 0; i < chunks.size(); ++i) {
        contiguous = contiguous && chunks[i].Sample == cursor;
        seqOk = seqOk && (i == 0 || chunks[i].Seq == chunks[i - 1].Seq + 1);
        cursor = chunks[i].Sample + static_cast<int64_t>(chunks[i].SampleCount());
        total += static_cast<int64_t>(chunks[i].SampleCount());
    }
    const bool ok = contiguous && seqOk && total == fin->second.Samples && cursor == fin->second.Sample &&
                    fin->second.Sample - fin->second.Samples == st->second.Sample && total > 0;
    Report(ok, "audio_complete", utt + ": " + Str(chunks.size()) + " chunks, " + Str(total) + " samples, span [" +
           Str(st->second.Sample) + ", " + Str(fin->second.Sample) + ")");
}

inline void CheckFramesEveryPosition(Player& p, const std::string& utt, int64_t rate, int64_t fps)
{
    int64_t first = p.frames.begin()->first, last = p.frames.rbegin()->first;
    int64_t missing = 0, badSample = 0, untagged = 0, speech = 0;
    const int64_t start = p.started[utt].Sample, end = p.finished[utt].Sample;
    for (int64_t n = first; n <= last; ++n) {
        auto it = p.frames.find(n);
        const int64_t sample = n * rate / fps;
        if (it == p.frames.end()) {
            if (sample >= start && sample < end) ++missing;  // speech frames are never skipped
            continue;
        }
        if (it->second.Sample != sample) ++badSample;
        if (sample >= start && sample < end) {
            ++speech;
            if (!it->second.Utt || *it->second.Utt != utt) ++untagged;
        }
    }
    const int64_t expected = (end * fps + rate - 1) / rate - (start * fps + rate - 1) / rate;
    Report(missing == 0 && badSample == 0 && untagged == 0 && speech == expected && speech > 0, "frames_every_position",
           utt + ": " + Str(speech) + "/" + Str(expected) + " speech frames, missing " + Str(missing) + ", wrong sample " +
               Str(badSample) + ", untagged " + Str(untagged) + ", frames " + Str(first) + ".." + Str(last));
}

inline void CheckPlayedAudio(Player& p, const std::string& utt)
{
    // Every sample played at a position of `utt` is the sample received for it. Silence there is
    // allowed only as much as the timeline accounted for (audio late on a loaded machine is
    // dropped, never played late): the check holds at any speed and still catches lost audio.
    int64_t mismatched = 0, silent = 0, total = 0;
    for (const AudioMsg& a : p.audio[utt]) {
        for (size_t i = 0; i < a.SampleCount(); ++i) {
            const int64_t pos = a.Sample + static_cast<int64_t>(i);
            ++total;
            const int16_t got = pos < static_cast<int64_t>(p.played.size()) ? p.played[static_cast<size_t>(pos)] : 0;
            if (got == a.SampleAt(i)) continue;
            if (got == 0) ++silent; else ++mismatched;
        }
    }
    // Silence counted by the timeline: an underrun inside a known span, or audio that arrived for a
    // position already played (late: dropped, never played late; this includes a span whose
    // utterance_started itself came late).
    const TimelineStats st = p.Stats();
    const int64_t accounted = st.UnderrunSamples + st.LateDroppedSamples;
    Report(mismatched == 0 && silent <= accounted && total > 0, "played_audio_is_received_audio",
           utt + ": " + Str(total) + " samples, " + Str(mismatched) + " different, " + Str(silent) +
               " silent (the timeline counted " + Str(st.UnderrunSamples) + " underrun + " +
               Str(st.LateDroppedSamples) + " late)");
}

}  // namespace
