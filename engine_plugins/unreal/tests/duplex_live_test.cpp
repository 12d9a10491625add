// Full duplex of the FacePlex C++ core against a real daemon on loopback (driven by
// tests/test_cpp_core.py): barge-in by a recorded partner line streamed as the microphone, then a
// lip-sync round trip of a recorded line.
//
//   duplex_live_test ws://127.0.0.1:PORT/ PARTNER.wav LINE.wav EXPECTED_LINE_SAMPLES
//
// PARTNER.wav: real speech (a Piper recording), streamed by a "capture thread" through
// ClientSession::SendMic in 10 ms blocks at real time while the avatar speaks. LINE.wav: a recorded
// line sent as `lipsync`; EXPECTED_LINE_SAMPLES: its length resampled to the session rate (soxr
// VHQ, as the daemon resamples). Checks are about events, order and counts, never about speed:
// the waits below only guard against a hang. Prints "PASS name detail" / "FAIL name detail".
#include <atomic>
#include <thread>

#include "live_player.h"

namespace {

/** The "capture thread": the partner's line (and silence after it) in 10 ms blocks at real time. */
class MicCapture {
public:
    MicCapture(ClientSession& s, const std::vector<int16_t>& line, int64_t rate, double silenceAfterS)
        : s_(s), pcm_(line), rate_(rate)
    {
        pcm_.resize(pcm_.size() + static_cast<size_t>(silenceAfterS * static_cast<double>(rate)), 0);
    }
    ~MicCapture() { Join(); }

    void Start()
    {
        thread_ = std::thread([this] {
            const size_t block = static_cast<size_t>(rate_ / 100);
            const auto t0 = Clock::now();
            for (size_t i = 0, k = 1; i < pcm_.size(); i += block, ++k) {
                std::this_thread::sleep_until(t0 + std::chrono::milliseconds(10 * k));
                const size_t n = std::min(block, pcm_.size() - i);
                sent_ += static_cast<int64_t>(s_.SendMic(pcm_.data() + i, n, rate_, 1));
            }
            done_ = true;
        });
    }
    void Join() { if (thread_.joinable()) thread_.join(); }
    bool Done() const { return done_; }
    int64_t Sent() const { return sent_; }

private:
    ClientSession& s_;
    std::vector<int16_t> pcm_;
    int64_t rate_;
    std::thread thread_;
    std::atomic<bool> done_{false};
    std::atomic<int64_t> sent_{0};
};

const TimelineEvent* FindEvent(const Player& p, TimelineEventKind kind, const std::string& utt)
{
    for (const auto& e : p.events)
        if (e.Kind == kind && (utt.empty() || e.Utt == utt)) return &e;
    return nullptr;
}

int64_t AudioReceived(Player& p, const std::string& utt)
{
    int64_t n = 0;
    for (const AudioMsg& a : p.audio[utt]) n += static_cast<int64_t>(a.SampleCount());
    return n;
}

/** Played samples of `utt` that differ from what arrived (underrun silence aside) and how many played. */
void PlayedVsReceived(Player& p, const std::string& utt, int64_t& different, int64_t& heard)
{
    different = heard = 0;
    for (const AudioMsg& a : p.audio[utt]) {
        for (size_t i = 0; i < a.SampleCount(); ++i) {
            const size_t pos = static_cast<size_t>(a.Sample) + i;
            const int16_t got = pos < p.played.size() ? p.played[pos] : 0;
            if (got == a.SampleAt(i)) heard += got != 0;
            else if (got != 0) ++different;
        }
    }
}

void BargeIn(Player& p, ClientSession& s, const std::vector<int16_t>& partner, int64_t partnerRate)
{
    SessionSettings cfg;
    cfg.Interruption = "interrupt";
    cfg.MinInterruptionMs = 300;
    s.Configure(cfg);
    s.Say("u1", "Let me tell you a long story about the old lighthouse keeper, who lived alone on the rocks "
                "for forty years and never once missed a night, not even in the worst of the winter storms.");
    p.Flush();
    const int64_t rate = s.Welcome()->Audio.SampleRate;
    const bool speaking = p.RunUntil([&] {
        return p.HasEvent(TimelineEventKind::UtteranceStarted, "u1") &&
               s.GetTimeline().PlaybackSample() > p.started["u1"].Sample + rate / 2;
    }, 60);
    if (!speaking) { Report(false, "partner_speech_started", "u1 never played 500 ms"); return; }

    MicCapture mic(s, partner, partnerRate, 1.5);
    mic.Start();
    const bool cut = p.RunUntil([&] { return !p.interrupted.empty() || mic.Done(); }, 60);
    const TimelineEvent* started = FindEvent(p, TimelineEventKind::PartnerSpeechStarted, "");
    Report(started != nullptr && p.partnerStarted >= 1, "partner_speech_started",
           started ? "at sample " + Str(started->Sample) : "no event");
    if (!cut || p.interrupted.empty()) {
        Report(false, "interrupted", "no interrupted while the partner spoke");
        mic.Join();
        return;
    }
    const InterruptedMsg in = p.interrupted.front();
    const int64_t sentU1 = AudioReceived(p, "u1");
    const TimelineEvent* ev = FindEvent(p, TimelineEventKind::Interrupted, "u1");
    const TimelineEvent* end = nullptr;
    for (const auto& e : p.events)
        if (e.Kind == TimelineEventKind::UtteranceCancelled && e.Utt == "u1") end = &e;
    std::string joined;
    for (const auto& w : in.WordsSpoken) joined += (joined.empty() ? "" : " ") + w;
    Report(in.Utt == "u1" && in.SamplesPlayed <= in.SamplesSent && in.SamplesSent == sentU1 && ev &&
               ev->SamplesPlayed == in.SamplesPlayed && ev->Text == in.TextSpoken && end &&
               end->Reason == "interrupted" && end->Text == in.TextSpoken && joined == in.TextSpoken &&
               !s.IsOpen("u1"),
           "interrupted",
           "u1 cut at " + Str(in.Sample) + ": played " + Str(in.SamplesPlayed) + " <= sent " + Str(in.SamplesSent) +
               " (received " + Str(sentU1) + "), spoken \"" + in.TextSpoken + "\"");

    // Nothing of u1 plays after the cut: from the playback position at `interrupted` on, every
    // sample of u1's span was silence, and no u1 audio arrived after the message.
    p.RunUntil([&] { return mic.Done(); }, 60);
    mic.Join();
    p.micFlush = true;
    const bool stopped = p.RunUntil([&] { return FindEvent(p, TimelineEventKind::PartnerSpeechStopped, "") != nullptr; }, 30);
    const int64_t cutPos = p.positionAtInterrupted["u1"];
    const int64_t u1End = p.started["u1"].Sample + sentU1;
    // (On a loaded machine the local position may be past the cut: the daemon's sending fell
    // behind and the client played silence; then nothing of u1 was there to hear.)
    int64_t heardAfter = 0;
    for (int64_t i = std::min(cutPos, in.Sample); i < u1End && i < static_cast<int64_t>(p.played.size()); ++i)
        heardAfter += p.played[static_cast<size_t>(i)] != 0;
    Report(heardAfter == 0 && p.audioAfterInterrupted["u1"] == 0, "no_audio_after_cut",
           "position " + Str(cutPos) + " at the cut: " + Str(heardAfter) + " samples of u1 heard after, " +
               Str(p.audioAfterInterrupted["u1"]) + " u1 audio messages after interrupted, mic frames sent " +
               Str(mic.Sent()) + " (dropped " + Str(static_cast<int64_t>(s.Mic().DroppedFrames())) + ")");
    Report(stopped && p.partnerStopped >= 1, "partner_speech_stopped", stopped ? "yes" : "no event");
    // Issue 22: the stretch's final transcript comes from the live daemon after the stop (one final
    // per stretch, PROTOCOL.md §11; Whisper when installed, PocketSphinx otherwise).
    const bool transcribed = stopped && p.RunUntil([&] {
        for (const auto& e : p.events)
            if (e.Kind == TimelineEventKind::PartnerTranscript && e.Reason == "final") return true;
        return false;
    }, 60);
    std::string heardText;
    bool afterStop = false, sawStop = false;
    for (const auto& e : p.events)
    {
        if (e.Kind == TimelineEventKind::PartnerSpeechStopped) sawStop = true;
        if (e.Kind == TimelineEventKind::PartnerTranscript && e.Reason == "final" && !afterStop)
        {
            afterStop = sawStop;
            heardText = e.Text;
        }
    }
    Report(transcribed && afterStop, "partner_transcript_final",
           transcribed ? "'" + heardText + "'" + (afterStop ? "" : " (before the stop)") : "no final transcript");

    // The game answers: the next say plays normally.
    s.Say("u3", "Oh, sorry. Please, go ahead.");
    p.Flush();
    const bool u3Done = p.RunUntil([&] { return p.HasEvent(TimelineEventKind::UtteranceFinished, "u3"); }, 60);
    int64_t different = 0, heard = 0;
    PlayedVsReceived(p, "u3", different, heard);
    const int64_t got = AudioReceived(p, "u3");
    Report(u3Done && got > 0 && got == p.finished["u3"].Samples && different == 0 && heard > 0,
           "following_say_plays", "u3: " + Str(got) + " samples received, " + Str(heard) + " non-silent heard, " +
               Str(different) + " different");
}

void LipSyncRoundTrip(Player& p, ClientSession& s, const std::vector<int16_t>& line, int64_t lineRate,
                      int64_t expected)
{
    const int64_t rate = s.Welcome()->Audio.SampleRate, fps = s.Welcome()->Fps;
    s.LipSync("l1", line.data(), line.size(), lineRate, 1, std::string("Bob, my mum bought a big map."), true);
    p.Flush();
    const bool done = p.RunUntil([&] {
        return p.HasEvent(TimelineEventKind::UtteranceFinished, "l1") ||
               p.HasEvent(TimelineEventKind::UtteranceCancelled, "l1");
    }, 90);
    const auto fin = p.finished.find("l1");
    const int64_t got = AudioReceived(p, "l1");
    const int64_t inserted = fin != p.finished.end() ? fin->second.InsertedSilence : -1;
    Report(done && fin != p.finished.end() && got - inserted == expected && got == fin->second.Samples,
           "lipsync_audio_count",
           "l1: " + Str(got) + " samples back (" + Str(inserted) + " inserted silence), expected " + Str(expected));
    if (fin == p.finished.end()) return;
    const int64_t start = fin->second.Sample - fin->second.Samples, endS = fin->second.Sample;
    int64_t missing = 0, untagged = 0, covered = 0;
    for (int64_t n = (start * fps + rate - 1) / rate; n * rate / fps < endS; ++n) {
        auto it = p.frames.find(n);
        if (it == p.frames.end()) { ++missing; continue; }
        ++covered;
        if (!it->second.Utt || *it->second.Utt != "l1") ++untagged;
    }
    int64_t different = 0, heard = 0;
    PlayedVsReceived(p, "l1", different, heard);
    Report(missing == 0 && untagged == 0 && covered > 0 && different == 0 && heard > 0, "lipsync_frames_cover_audio",
           Str(covered) + " frames over [" + Str(start) + ", " + Str(endS) + "), missing " + Str(missing) +
               ", untagged " + Str(untagged) + ", played samples different " + Str(different));
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 5) {
        std::fprintf(stderr, "usage: duplex_live_test ws://127.0.0.1:PORT/ PARTNER.wav LINE.wav EXPECTED_LINE_SAMPLES\n");
        return 2;
    }
    std::vector<int16_t> partner, line;
    int64_t partnerRate = 0, partnerCh = 0, lineRate = 0, lineCh = 0;
    if (!ReadWav(argv[2], partner, partnerRate, partnerCh) || partnerCh != 1 ||
        !ReadWav(argv[3], line, lineRate, lineCh) || lineCh != 1) {
        std::fprintf(stderr, "need two mono PCM16 WAV files\n");
        return 2;
    }
    WsTransport ws;
    if (!ws.Connect(argv[1])) { Report(false, "connect", ws.Error()); return 1; }
    ClientSessionOptions opt;
    opt.SampleRate = 48000;
    opt.Fps = 60;
    opt.ClientName = "FacePlexCppDuplexTest/0.1";
    opt.Token = TokenFromEnv();
    opt.Playback.PreRollSamples = 48000 * 60 / 1000;
    ClientSession s(opt);
    Player p(s, ws);
    s.Hello();
    p.Flush();
    const bool welcomed = p.RunUntil([&] { return s.State() == SessionState::Open; }, 30);
    Report(welcomed, "duplex_handshake", welcomed ? "session " + s.Welcome()->Session : "no welcome");
    if (!welcomed) return 1;
    BargeIn(p, s, partner, partnerRate);
    LipSyncRoundTrip(p, s, line, lineRate, std::atoll(argv[4]));
    std::string errs;
    for (const auto& e : p.errors) errs += e.Code + "(" + e.Message + ") ";
    Report(p.errors.empty(), "duplex_no_errors", errs.empty() ? "none" : errs);
    ws.Close();
    std::printf("%s %d failures\n", failures ? "FAILED" : "ALL PASSED", failures);
    return failures ? 1 : 0;
}
