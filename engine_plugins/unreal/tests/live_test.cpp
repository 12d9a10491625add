// The FacePlex C++ core against a real daemon on loopback (driven by tests/test_cpp_core.py).
//
//   live_test ws://127.0.0.1:PORT/
//
// Plays the session in real time like an engine would: an "audio device" pulls PCM from the
// timeline every 10 ms, the "game" asks FaceAt(position) and polls events, playback reports go
// back to the daemon. Checks: every audio sample of an utterance arrives; there is a frame for
// every frame position; the face returned for a playback position is the frame the daemon made
// for it (and the interpolation between two frames); cancel mid-utterance drops the queued audio
// at once and nothing of it plays afterwards; the daemon received the playback reports.
// Prints "PASS name detail" / "FAIL name detail" lines; exit status 1 on any failure.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
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
    std::map<std::string, int64_t> audioAfterCancelMsg;  // audio messages that arrived after utterance_cancelled
    // what was played: sample values by timeline position
    std::vector<int16_t> played;
    // face checks
    int64_t faceChecked = 0, faceMismatch = 0, midChecked = 0, midMismatch = 0, lateFrames = 0;
    std::string firstMismatch;
    // cancelled utterance -> playback position at the cancel (its frames after it are dropped)
    std::map<std::string, int64_t> cancelPos;
    int64_t reportsSent = 0, lastReported = 0;

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
        for (TimelineEvent& e : s_.PollEvents(NowUs())) events.push_back(e);
        s_.MaybeReportPlayback(NowUs());
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
            const int64_t from = t.PlaybackSample();
            t.ReadAudio(buf.data(), block);
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

void CheckAudioComplete(Player& p, const std::string& utt)
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

void CheckFramesEveryPosition(Player& p, const std::string& utt, int64_t rate, int64_t fps)
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

void CheckPlayedAudio(Player& p, const std::string& utt)
{
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
    Report(mismatched == 0 && silent == 0 && total > 0, "played_audio_is_received_audio",
           utt + ": " + Str(total) + " samples, " + Str(mismatched) + " different, " + Str(silent) + " silent (underrun)");
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 2) { std::fprintf(stderr, "usage: live_test ws://127.0.0.1:PORT/\n"); return 2; }
    WsTransport ws;
    if (!ws.Connect(argv[1])) { Report(false, "connect", ws.Error()); return 1; }
    ClientSessionOptions opt;
    opt.SampleRate = 48000;
    opt.Fps = 60;
    opt.ClientName = "FacePlexCppTest/0.1";
    opt.Playback.PreRollSamples = 48000 * 60 / 1000;  // 60 ms, below the daemon's 150 ms lead
    ClientSession s(opt);
    Player p(s, ws);
    s.Hello();
    p.Flush();
    const bool welcomed = p.RunUntil([&] { return s.State() == SessionState::Open; }, 10);
    Report(welcomed && s.Welcome()->Channels.size() == 59, "handshake",
           welcomed ? "session " + s.Welcome()->Session + ", " + Str(s.Welcome()->Channels.size()) + " channels" : "no welcome");
    if (!welcomed) return 1;
    const int64_t rate = s.Welcome()->Audio.SampleRate, fps = s.Welcome()->Fps;
    p.RunUntil([] { return false; }, 0.3);  // idle face, playback running

    // ---- one full utterance
    s.Say("u1", "Hello there! The quick brown fox jumps over the lazy dog.");
    p.Flush();
    const bool u1Done = p.RunUntil([&] { return p.HasEvent(TimelineEventKind::UtteranceFinished, "u1"); }, 30);
    Report(u1Done, "utterance_played", u1Done ? "u1 finished at playback" : "timeout");
    if (!u1Done) return 1;
    CheckAudioComplete(p, "u1");
    CheckFramesEveryPosition(p, "u1", rate, fps);
    CheckPlayedAudio(p, "u1");
    int64_t wordEvents = 0;
    for (const auto& e : p.events) wordEvents += e.Kind == TimelineEventKind::Word && e.Utt == "u1";
    int64_t wordMarks = 0;
    for (const auto& m : p.marks["u1"]) wordMarks += m.Kind == "word";
    Report(wordMarks > 0 && wordEvents == wordMarks && p.HasEvent(TimelineEventKind::UtteranceStarted, "u1"), "word_events",
           Str(wordEvents) + " word events for " + Str(wordMarks) + " word marks");

    // ---- cancel mid-utterance
    s.Say("u2", "This is a much longer sentence that will be interrupted before it can finish, "
                "so the rest of it must never be heard by anyone at all.");
    p.Flush();
    const bool u2Playing = p.RunUntil([&] {
        return p.HasEvent(TimelineEventKind::UtteranceStarted, "u2") &&
               s.GetTimeline().PlaybackSample() > p.started["u2"].Sample + rate * 4 / 10;
    }, 30);
    if (!u2Playing) { Report(false, "cancel_mid_utterance", "u2 never played 400 ms"); return 1; }
    const std::string u2 = "u2";
    const int64_t cancelAt = s.GetTimeline().PlaybackSample();
    const int64_t queuedBefore = s.GetTimeline().BufferedAudioSamples(&u2);
    p.cancelPos["u2"] = cancelAt;
    const std::string cancelId = s.Cancel(u2);
    const int64_t queuedAfter = s.GetTimeline().BufferedAudioSamples(&u2);
    p.Flush();
    Report(queuedBefore > 0 && queuedAfter == 0, "cancel_drops_queued_audio",
           "queued " + Str(queuedBefore) + " samples of u2 before cancel, " + Str(queuedAfter) + " after");
    p.RunUntil([] { return false; }, 1.0);
    int64_t heardAfter = 0;
    for (size_t i = static_cast<size_t>(cancelAt); i < p.played.size(); ++i) heardAfter += p.played[i] != 0;
    bool daemonCancelled = false;
    for (const auto& c : p.cancelled) daemonCancelled = daemonCancelled || (c.Utt == "u2" && c.Reason == "client" && c.ReplyTo == cancelId);
    int64_t cancelEvents = 0;
    for (const auto& e : p.events) cancelEvents += e.Kind == TimelineEventKind::UtteranceCancelled && e.Utt == "u2";
    Report(heardAfter == 0 && daemonCancelled && cancelEvents == 1 && !p.HasEvent(TimelineEventKind::UtteranceFinished, "u2") &&
               p.audioAfterCancelMsg["u2"] == 0,
           "cancel_mid_utterance",
           "cancel at " + Str(cancelAt) + ": " + Str(heardAfter) + " non-zero samples played after, daemon confirmed " +
               (daemonCancelled ? "yes" : "no") + ", cancel events " + Str(cancelEvents) + ", dropped " +
               Str(s.GetTimeline().Stats().CancelledDroppedSamples) + " samples");

    // ---- face for playback positions
    Report(p.faceChecked > 100 && p.faceMismatch == 0 && p.midChecked > 100 && p.midMismatch == 0, "face_at_playback_position",
           Str(p.faceChecked) + " frame positions exact (" + Str(p.faceMismatch) + " wrong" +
               (p.firstMismatch.empty() ? "" : ", first " + p.firstMismatch) + "), " + Str(p.midChecked) +
               " midpoints interpolated (" + Str(p.midMismatch) + " wrong), " + Str(p.lateFrames) + " late frames");

    // ---- playback reports reached the daemon (pong.played echoes the highest report)
    const std::string pingId = s.Ping(NowUs());
    p.Flush();
    const bool ponged = p.RunUntil([&] { return !p.pongs.empty(); }, 5);
    const PongMsg* pong = ponged ? &p.pongs.back() : nullptr;
    Report(pong && pong->ReplyTo == pingId && pong->Played && *pong->Played >= p.finished["u1"].Sample && p.reportsSent > 10,
           "playback_reports_reach_daemon",
           Str(p.reportsSent) + " reports sent, last " + Str(p.lastReported) + ", pong.played " +
               (pong && pong->Played ? Str(*pong->Played) : std::string("nil")) + ", daemon clock " + (pong ? Str(pong->Sample) : "?"));

    std::string errs;
    for (const auto& e : p.errors) errs += e.Code + "(" + e.Message + ") ";
    Report(p.errors.empty(), "no_errors", errs.empty() ? "none" : errs);
    const TimelineStats st = s.GetTimeline().Stats();
    std::printf("STATS played=%lld audio=%lld underrun=%lld late=%lld cancelled_dropped=%lld skipped=%lld\n",
                (long long)st.PlayedSamples, (long long)st.AudioSamples, (long long)st.UnderrunSamples,
                (long long)st.LateDroppedSamples, (long long)st.CancelledDroppedSamples, (long long)st.SkippedSamples);
    ws.Close();
    std::printf("%s %d failures\n", failures ? "FAILED" : "ALL PASSED", failures);
    return failures ? 1 : 0;
}
