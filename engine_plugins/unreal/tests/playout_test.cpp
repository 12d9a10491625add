// Playout rules of the FacePlex C++ core under game-thread hitches (issue 21, items 2 and 3),
// without a network or an engine. Prints "PASS name" / "FAIL name: why" lines; exits non-zero on
// any failure.
//
// A deterministic simulation, 10 ms per step, all in samples (no wall clock):
//  - the daemon, modelled as PROTOCOL.md §6 paces it: media for timeline positions up to its clock
//    + lead (150 ms) in 20 ms audio chunks, utterance_started with the first chunk, marks, a face
//    frame for every frame position (tagged inside an utterance), utterance_finished after the last
//    chunk; encoded with the core's own codec and fed to ClientSession::Receive();
//  - the game thread, which delivers the WebSocket messages (Unreal's IWebSocket calls back on the
//    game thread) and polls events -- except during a stall, when messages wait in the queue;
//  - the audio device, which pulls 10 ms every step whatever the game thread does, with a queue of
//    two blocks ahead of the speaker and 10 ms output latency.
// The speech PCM never contains 0 and encodes its timeline position (1000 + pos mod 29000), so the
// device output can be checked independently of the timeline's own bookkeeping: with the silence
// removed it must equal the utterances' PCM in order, and the sample at the speaker identifies the
// position heard.
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "Core/ClientSession.h"
#include "Core/Codec.h"
#include "Core/Timeline.h"

using namespace FacePlexCore;

namespace {

int failures = 0;

void Check(bool ok, const char* name, const std::string& why = "")
{
    // "PASS name detail" (tests/test_cpp_core.py splits on the first two spaces)
    std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, why.empty() ? "" : " ", why.c_str());
    if (!ok) ++failures;
}

std::string Str(int64_t v) { return std::to_string(v); }

constexpr int64_t kRate = 48000, kFps = 60, kBlock = 480, kLead = 7200, kChunk = 960;
constexpr int64_t kDeviceQueue = 2 * kBlock, kOutputLatency = kBlock;

int16_t SampleFor(int64_t pos) { return static_cast<int16_t>(1000 + pos % 29000); }

struct Utterance {
    std::string Utt;
    int64_t Start = 0;
    int64_t Samples = 0;
};

/** The daemon's side: what it has sent by its clock (§6 pacing). */
class Daemon {
public:
    explicit Daemon(std::vector<Utterance> utts) : utts_(std::move(utts)), sent_(utts_.size(), 0) {}

    std::vector<std::vector<uint8_t>> Produce(int64_t clock)
    {
        std::vector<std::vector<uint8_t>> out;
        const int64_t horizon = clock + kLead;
        for (size_t k = 0; k < utts_.size(); ++k) {
            const Utterance& u = utts_[k];
            while (sent_[k] < u.Samples && u.Start + sent_[k] <= horizon) {
                if (sent_[k] == 0) {
                    UtteranceStartedMsg s;
                    s.Utt = u.Utt;
                    s.Sample = u.Start;
                    out.push_back(Encode(s));
                }
                const int64_t n = std::min(kChunk, u.Samples - sent_[k]);
                AudioMsg a;
                a.Utt = u.Utt;
                a.Seq = seq_++;
                a.Sample = u.Start + sent_[k];
                for (int64_t i = 0; i < n; ++i) {
                    const uint16_t v = static_cast<uint16_t>(SampleFor(a.Sample + i));
                    a.Pcm.push_back(static_cast<uint8_t>(v & 0xff));
                    a.Pcm.push_back(static_cast<uint8_t>(v >> 8));
                }
                out.push_back(Encode(a));
                // A word every 0.25 s of the line, sent with the chunk it starts in.
                for (int64_t w = ((sent_[k] + 11999) / 12000) * 12000; w < sent_[k] + n; w += 12000) {
                    MarkMsg m;
                    m.Utt = u.Utt;
                    m.Kind = "word";
                    m.Sample = u.Start + w;
                    m.End = std::min(u.Start + w + 9000, u.Start + u.Samples);
                    m.Text = u.Utt + "w" + Str(w / 12000);
                    out.push_back(Encode(m));
                }
                sent_[k] += n;
                if (sent_[k] == u.Samples) {
                    UtteranceFinishedMsg f;
                    f.Utt = u.Utt;
                    f.Sample = u.Start + u.Samples;
                    f.Samples = u.Samples;
                    out.push_back(Encode(f));
                }
            }
        }
        // A face frame for every frame position up to the horizon (idle frames carry no utt).
        for (; nextFrame_ * kRate / kFps <= horizon; ++nextFrame_) {
            FaceMsg f;
            f.Seq = seq_++;
            f.Frame = nextFrame_;
            f.Sample = nextFrame_ * kRate / kFps;
            for (const Utterance& u : utts_)
                if (f.Sample >= u.Start && f.Sample < u.Start + u.Samples) f.Utt = u.Utt;
            f.Values.assign(3, static_cast<float>(f.Sample));  // the face encodes its position too
            out.push_back(Encode(f));
        }
        return out;
    }

private:
    std::vector<Utterance> utts_;
    std::vector<int64_t> sent_;
    int64_t nextFrame_ = 0;
    int64_t seq_ = 0;
};

WelcomeMsg Welcome()
{
    WelcomeMsg w;
    w.Session = "s1";
    w.Server = "sim";
    w.Audio.SampleRate = kRate;
    w.Fps = kFps;
    w.Channels = {"jawOpen", "headYaw", "eyeBlinkLeft"};
    w.Voices = {"v"};
    return w;
}

struct Fired {
    std::string Text;
    int64_t Sample = 0;
    int64_t Heard = 0;  // HeardSample() when it was polled
};

struct Run {
    std::vector<int16_t> output;         // everything the device played, in order
    std::vector<Fired> words;
    std::vector<int64_t> lagAt;          // LagSamples() after each step
    int64_t firstOutputOf2 = -1;         // output index of u2's first sample (content check)
    int64_t heardChecked = 0, heardWrong = 0;
    int64_t reportsChecked = 0, reportsWrong = 0, reportsBehindPulled = 0;
    std::string firstHeardWrong;
    TimelineStats stats;
    int64_t lagAtUtt2 = -1;
    int64_t maxLag = 0;
    std::vector<int64_t> aheadAt;        // buffered ahead of the playback position after each step
    int64_t aheadAtUtt2 = -1;            // buffered ahead when u2 started playing
    int64_t pausedAt = -1;               // heard sample when the pause began
    bool heardMovedWhilePaused = false;
};

int64_t FirstOutputOf(const Run& r, const std::vector<Utterance>& utts, size_t k);

/** Runs the simulation; game-thread stalls (no delivery, no polling) at [from, from + len) samples
 *  of the clock; `pausedFrom/pausedLen`: the audio device does not pull (a paused game). */
Run Simulate(const std::vector<Utterance>& utts, const std::vector<std::pair<int64_t, int64_t>>& stalls,
             int64_t endClock, std::pair<int64_t, int64_t> paused = {-1, 0})
{
    Run r;
    ClientSession s;
    s.Hello();
    const std::vector<uint8_t> welcome = Encode(Welcome());
    s.Receive(welcome.data(), welcome.size());
    s.TakeOutgoing();
    Daemon d(utts);
    std::deque<std::vector<uint8_t>> network;
    std::vector<int16_t> buf(kBlock);
    const int64_t u2Start = utts.size() > 1 ? utts[1].Start : -1;
    for (int64_t clock = 0; clock < endClock; clock += kBlock) {
        for (auto& m : d.Produce(clock)) network.push_back(std::move(m));
        bool stalled = false;
        for (const auto& st : stalls) stalled = stalled || (clock >= st.first && clock < st.first + st.second);
        // Audio render thread: always pulls, except while the game is paused (the engine pauses
        // the audio component with the game; the game thread still receives messages).
        const bool isPaused = clock >= paused.first && clock < paused.first + paused.second;
        if (isPaused) {
            const int64_t heardBefore = s.HeardSample();
            r.heardMovedWhilePaused = r.heardMovedWhilePaused || (r.pausedAt >= 0 && heardBefore != r.pausedAt);
            if (r.pausedAt < 0) r.pausedAt = heardBefore;
        } else {
            s.GetTimeline().ReadAudio(buf.data(), buf.size());
            for (int16_t v : buf) r.output.push_back(v);
        }
        r.aheadAt.push_back(s.GetTimeline().BufferedEnd() - s.GetTimeline().PlaybackSample());
        const int64_t lag = s.GetTimeline().LagSamples();
        r.lagAt.push_back(lag);
        r.maxLag = std::max(r.maxLag, lag);
        if (u2Start >= 0 && r.lagAtUtt2 < 0 && s.GetTimeline().PlaybackSample() >= u2Start) {
            r.lagAtUtt2 = lag;
            r.aheadAtUtt2 = s.GetTimeline().BufferedEnd() - s.GetTimeline().PlaybackSample();
        }
        if (stalled) continue;
        // Game thread: deliver, then what the glue's tick does.
        while (!network.empty()) {
            s.Receive(network.front().data(), network.front().size());
            network.pop_front();
        }
        s.SetOutputDelaySamples(kDeviceQueue + kOutputLatency);
        const int64_t heard = s.HeardSample();
        // Independent check of the heard position: the sample at the speaker now encodes it.
        const int64_t speakerIdx = static_cast<int64_t>(r.output.size()) - kDeviceQueue - kOutputLatency;
        if (!isPaused && speakerIdx >= 0 && r.output[static_cast<size_t>(speakerIdx)] != 0) {
            const int64_t pos = r.output[static_cast<size_t>(speakerIdx)] - 1000;
            ++r.heardChecked;
            if (heard % 29000 != pos) {
                if (r.firstHeardWrong.empty())
                    r.firstHeardWrong = "output " + Str(speakerIdx) + ": heard " + Str(heard) + ", speaker plays " + Str(pos);
                ++r.heardWrong;
            }
        }
        for (const TimelineEvent& e : s.PollEvents(clock)) {
            if (e.Kind == TimelineEventKind::Word) r.words.push_back({e.Text, e.Sample, heard});
        }
        if (s.MaybeReportPlayback(clock * 1000000 / kRate)) {
            for (const auto& bytes : s.TakeOutgoing()) {
                DecodeResult dr = Decode(bytes.data(), bytes.size());
                const auto* p = dr.Ok ? std::get_if<PlaybackMsg>(&dr.Msg) : nullptr;
                if (!p) continue;
                ++r.reportsChecked;
                if (p->Sample != heard) ++r.reportsWrong;
                if (p->Sample < s.GetTimeline().PlaybackSample()) ++r.reportsBehindPulled;
            }
        }
        s.TakeOutgoing();
    }
    r.stats = s.GetTimeline().Stats();
    if (u2Start >= 0) r.firstOutputOf2 = FirstOutputOf(r, utts, 1);
    return r;
}

/** Output index of utterance k's first sample: the speech PCM has no zeros, so it is the
 *  (samples of the utterances before it)-th non-zero output sample. */
int64_t FirstOutputOf(const Run& r, const std::vector<Utterance>& utts, size_t k)
{
    int64_t before = 0;
    for (size_t j = 0; j < k; ++j) before += utts[j].Samples;
    for (size_t i = 0; i < r.output.size(); ++i)
        if (r.output[i] != 0 && before-- == 0) return static_cast<int64_t>(i);
    return -1;
}

/** The output with silence removed equals every utterance's PCM in order. */
bool PlaysEverySampleInOrder(const Run& r, const std::vector<Utterance>& utts, std::string& why)
{
    std::vector<int16_t> want;
    for (const Utterance& u : utts)
        for (int64_t i = 0; i < u.Samples; ++i) want.push_back(SampleFor(u.Start + i));
    std::vector<int16_t> got;
    for (int16_t v : r.output)
        if (v != 0) got.push_back(v);
    size_t firstDiff = 0;
    while (firstDiff < got.size() && firstDiff < want.size() && got[firstDiff] == want[firstDiff]) ++firstDiff;
    why = Str(static_cast<int64_t>(got.size())) + " of " + Str(static_cast<int64_t>(want.size())) +
          " samples played, first difference at " + Str(static_cast<int64_t>(firstDiff)) + ", late dropped " +
          Str(r.stats.LateDroppedSamples) + ", skipped " + Str(r.stats.SkippedSamples);
    return got == want;
}

void StallMidUtterance()
{
    // u1: 2.5 s from 0.1 s; a 0.6 s pause; u2: 1 s. The game thread stalls 500 ms at 1.0 s.
    const std::vector<Utterance> utts = {{"u1", 4800, 120000}, {"u2", 4800 + 120000 + 28800, 48000}};
    const int64_t end = 4800 + 120000 + 28800 + 48000 + kRate;
    const Run base = Simulate(utts, {}, end);
    const Run hit = Simulate(utts, {{48000, 24000}}, end);
    std::string why, whyHit;
    const bool baseInOrder = PlaysEverySampleInOrder(base, utts, why);
    Check(baseInOrder && base.stats.Holds == 0 && base.maxLag == 0, "no_stall_baseline",
          why + ", holds " + Str(base.stats.Holds));
    const bool hitInOrder = PlaysEverySampleInOrder(hit, utts, whyHit);
    Check(hitInOrder && hit.stats.LateDroppedSamples == 0 && hit.stats.SkippedSamples == 0,
          "stall_500ms_loses_no_sample_plays_in_order", whyHit);
    // The hitch was real: the position held (the 150 ms lead covered only part of the 500 ms).
    Check(hit.stats.Holds >= 1 && hit.stats.HeldSamples >= 24000 - kLead - kChunk, "stall_holds_position",
          "holds " + Str(hit.stats.Holds) + ", held " + Str(hit.stats.HeldSamples) + " samples");
    // Bound while it lasts: the lag never exceeds the stall plus the pre-roll to resume plus a block.
    Check(hit.maxLag <= 24000 + 2880 + kBlock, "lag_never_exceeds_stall",
          "max lag " + Str(hit.maxLag) + " samples");
    // Given back at the first pause: when u2 starts the lag is under one device block (10 ms), and
    // u2's first sample leaves the device within one block of where it does without the stall.
    const int64_t shift = hit.firstOutputOf2 - base.firstOutputOf2;
    Check(hit.lagAtUtt2 >= 0 && hit.lagAtUtt2 <= kBlock && shift >= 0 && shift <= kBlock && hit.stats.CaughtUpSamples > 0,
          "lag_returns_under_10ms_by_next_utterance",
          "lag at u2 " + Str(hit.lagAtUtt2) + ", u2 shifted by " + Str(shift) + " samples, caught up " +
              Str(hit.stats.CaughtUpSamples));
    // Every word event once, in order, as in the run without the stall.
    bool same = hit.words.size() == base.words.size() && !base.words.empty();
    for (size_t i = 0; same && i < base.words.size(); ++i) same = hit.words[i].Text == base.words[i].Text;
    Check(same, "stall_every_word_once_in_order",
          Str(static_cast<int64_t>(hit.words.size())) + " vs " + Str(static_cast<int64_t>(base.words.size())));
    Check(hit.reportsChecked > 10 && hit.reportsWrong == 0 && hit.reportsBehindPulled > 0, "playback_reports_carry_heard_sample",
          Str(hit.reportsChecked) + " reports, " + Str(hit.reportsWrong) + " not the heard sample, " +
              Str(hit.reportsBehindPulled) + " behind the pulled position");
    Check(hit.heardChecked > 100 && hit.heardWrong == 0 && base.heardWrong == 0, "heard_sample_is_at_the_speaker",
          Str(hit.heardChecked) + " checked, " + Str(hit.heardWrong) + " wrong " + hit.firstHeardWrong + base.firstHeardWrong);
}

void RepeatedHitchesDoNotAccumulate()
{
    // Three lines with 0.6 s pauses, a 500 ms stall inside each: the lag is back under one block
    // at the start of every next line, so it never grows from hitch to hitch.
    std::vector<Utterance> utts;
    int64_t start = 4800;
    for (int k = 0; k < 3; ++k) {
        utts.push_back({"u" + Str(k + 1), start, 96000});
        start += 96000 + 28800;
    }
    const std::vector<std::pair<int64_t, int64_t>> stalls = {
        {utts[0].Start + 40000, 24000}, {utts[1].Start + 40000, 24000}, {utts[2].Start + 40000, 24000}};
    const Run hit = Simulate(utts, stalls, start + kRate);
    std::string why;
    // The lag where each later line starts (output index of its first sample vs. its own position).
    bool back = true;
    std::string lags;
    for (size_t k = 1; k < utts.size(); ++k) {
        // Without lag, position p is output at index p + the pre-roll wait: the offset of u1's
        // first sample (before any stall).
        const int64_t idx = FirstOutputOf(hit, utts, k), idx1 = FirstOutputOf(hit, utts, 0);
        const int64_t lag = (idx - utts[k].Start) - (idx1 - utts[0].Start);
        lags += Str(lag) + " ";
        back = back && lag >= 0 && lag <= kBlock;
    }
    const bool inOrder = PlaysEverySampleInOrder(hit, utts, why);
    Check(inOrder, "three_stalls_lose_no_sample", why);
    Check(back && hit.stats.Holds >= 3 && hit.maxLag <= 24000 + 2880 + kBlock, "lag_does_not_grow_per_hitch",
          "lag at each next line (samples): " + lags + "max " + Str(hit.maxLag) + ", holds " + Str(hit.stats.Holds));
}

void PauseHoldsAndResumes()
{
    // The game is paused 2 s in the middle of a 2.5 s line (the audio device stops pulling; the
    // daemon keeps sending, the game thread keeps receiving); then 2.5 s of silence and a second line.
    const std::vector<Utterance> utts = {{"u1", 4800, 120000}, {"u2", 4800 + 120000 + 120000, 48000}};
    const int64_t pauseAt = 4800 + 48000, pauseLen = 2 * kRate;
    const Run r = Simulate(utts, {}, utts[1].Start + 48000 + pauseLen + kRate, {pauseAt, pauseLen});
    std::string why;
    const bool inOrder = PlaysEverySampleInOrder(r, utts, why);
    Check(inOrder && r.stats.SkippedSamples == 0 && !r.heardMovedWhilePaused, "pause_2s_holds_and_resumes_in_order",
          why + (r.heardMovedWhilePaused ? ", heard sample moved while paused" : ""));
    // While paused the media piles up (the daemon does not know); over the silence before u2 the
    // idle catch-up brings what is buffered ahead back to at most 500 ms (+ a chunk and a block),
    // and it never skipped speech (checked above).
    const int64_t aheadAtU2 = r.aheadAtUtt2;
    int64_t maxAhead = 0;
    for (int64_t a : r.aheadAt) maxAhead = std::max(maxAhead, a);
    Check(maxAhead >= pauseLen && aheadAtU2 >= 0 && aheadAtU2 <= kRate / 2 + kChunk + kBlock && r.stats.CaughtUpSamples > 0,
          "pause_backlog_caught_up_at_next_pause",
          "max ahead " + Str(maxAhead) + ", ahead when u2 is due " + Str(aheadAtU2) + ", caught up " + Str(r.stats.CaughtUpSamples));
}

void HeardPositionModel()
{
    // Timeline::HeardSample maps output back through holds and skips.
    Timeline t;
    TimelineOptions o;
    o.PreRollSamples = 0;
    t.Configure(kRate, kFps, 1, o);
    TimelineEvent start;
    start.Kind = TimelineEventKind::UtteranceStarted;
    start.Utt = "u";
    start.Sample = 0;
    t.PushEvent(start);
    std::vector<int16_t> pcm(1000, 7);
    t.PushAudio("u", 0, pcm.data(), pcm.size());
    std::vector<int16_t> buf(600);
    t.ReadAudio(buf.data(), 600);   // out 0..600 = positions 0..600
    t.ReadAudio(buf.data(), 600);   // out 600..1000 = positions 600..1000, then held at 1000
    const bool advancing = t.HeardSample(700) == 500 && t.HeardSample(0) == 1000 && t.PlaybackSample() == 1000;
    const bool held = t.HeardSample(100) == 1000 && t.HeardSample(200) == 1000 && t.HeardSample(250) == 950;
    Check(advancing && held && t.LagSamples() == 200, "heard_maps_through_hold",
          "heard(700) " + Str(t.HeardSample(700)) + " heard(100) " + Str(t.HeardSample(100)) + " heard(250) " +
              Str(t.HeardSample(250)) + " lag " + Str(t.LagSamples()));
    // A word event at 900 is played (pulled) but fires only once heard.
    TimelineEvent word;
    word.Kind = TimelineEventKind::Word;
    word.Utt = "u";
    word.Sample = 900;
    word.Text = "w";
    t.PushEvent(word);
    bool notYet = true;
    for (const TimelineEvent& e : t.PollEventsUpTo(t.HeardSample(400)))  // heard 800: only the start
        notYet = notYet && e.Kind != TimelineEventKind::Word;
    const std::vector<TimelineEvent> now = t.PollEventsUpTo(t.HeardSample(250));  // heard 950
    Check(notYet && now.size() == 1 && now[0].Text == "w", "word_fires_when_heard_not_when_pulled");
}

void CancelDuringHold()
{
    // A hold ends when its utterance is cancelled (barge-in, Cancel): the position moves on at once
    // (idle), and the silence the hold inserted is given back over that idle time.
    Timeline t;
    TimelineOptions o;
    o.PreRollSamples = 0;
    t.Configure(kRate, kFps, 1, o);
    TimelineEvent start;
    start.Kind = TimelineEventKind::UtteranceStarted;
    start.Utt = "u";
    start.Sample = 0;
    t.PushEvent(start);
    std::vector<int16_t> pcm(960, 5);
    t.PushAudio("u", 0, pcm.data(), pcm.size());
    const float idle[1] = {0.0f};
    for (int64_t f = 0; f < 60; ++f) t.PushFace(f, t.FrameSample(f), nullptr, idle, 1);  // idle frames for 1 s
    std::vector<int16_t> buf(kBlock);
    for (int i = 0; i < 10; ++i) t.ReadAudio(buf.data(), buf.size());  // 960 played, then held
    const int64_t heldAt = t.PlaybackSample(), lagHeld = t.LagSamples();
    t.DropUtterance("u", "interrupted");
    t.ReadAudio(buf.data(), buf.size());
    const int64_t after = t.PlaybackSample();
    Check(heldAt == 960 && lagHeld == 8 * kBlock && after > heldAt && t.LagSamples() == 0,
          "cancel_during_hold_moves_on_and_gives_lag_back",
          "held at " + Str(heldAt) + " with lag " + Str(lagHeld) + ", after cancel at " + Str(after) + " with lag " +
              Str(t.LagSamples()));
}

}  // namespace

int main()
{
    StallMidUtterance();
    RepeatedHitchesDoNotAccumulate();
    PauseHoldsAndResumes();
    HeardPositionModel();
    CancelDuringHold();
    std::printf("%s %d failures\n", failures ? "FAILED" : "ALL PASSED", failures);
    return failures ? 1 : 0;
}
