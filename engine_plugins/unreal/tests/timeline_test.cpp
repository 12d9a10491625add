// Timeline / jitter-buffer rules of the FacePlex C++ core, without a network.
// Prints "PASS name" / "FAIL name: why" lines and exits non-zero on any failure.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "Core/ClientSession.h"
#include "Core/LiveLinkNames.h"
#include "Core/Timeline.h"

using namespace FacePlexCore;

namespace {

int failures = 0;

void Check(bool ok, const char* name, const std::string& why = "")
{
    std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : ": ", ok ? "" : why.c_str());
    if (!ok) ++failures;
}

constexpr int64_t kRate = 48000, kFps = 60, kFrame = 800;  // samples per frame at 48 kHz / 60 fps

void Setup(Timeline& t, int64_t preRoll)
{
    TimelineOptions o;
    o.PreRollSamples = preRoll;
    o.EaseSamples = 4800;
    t.Configure(kRate, kFps, 2, o);
}

void PushFrame(Timeline& t, int64_t n, float a, float b, const char* utt = nullptr)
{
    const float v[2] = {a, b};
    const std::string u = utt ? utt : "";
    t.PushFace(n, t.FrameSample(n), utt ? &u : nullptr, v, 2);
}

std::vector<int16_t> Read(Timeline& t, size_t n)
{
    std::vector<int16_t> out(n);
    t.ReadAudio(out.data(), n);
    return out;
}

void PreRoll()
{
    Timeline t;
    Setup(t, 1600);
    PushFrame(t, 0, 0, 0);  // buffered up to 800 < 1600
    Read(t, 480);
    Check(!t.IsPlaying() && t.PlaybackSample() == 0, "preroll_waits");
    PushFrame(t, 1, 0, 0);  // buffered up to 1600
    Read(t, 480);
    Check(t.IsPlaying() && t.PlaybackSample() == 480, "preroll_starts");
}

void Interpolation()
{
    Timeline t;
    Setup(t, 0);
    PushFrame(t, 0, 0.0f, 1.0f);
    PushFrame(t, 1, 1.0f, 0.0f);
    PushFrame(t, 2, 0.5f, 0.5f);
    float v[2];
    t.FaceAt(400, v, 2);
    Check(std::fabs(v[0] - 0.5f) < 1e-6f && std::fabs(v[1] - 0.5f) < 1e-6f, "face_interpolates_midpoint");
    t.FaceAt(800, v, 2);
    Check(v[0] == 1.0f && v[1] == 0.0f, "face_exact_on_frame");
    t.FaceAt(1000, v, 2);
    Check(std::fabs(v[0] - 0.875f) < 1e-6f, "face_interpolates_quarter", std::to_string(v[0]));
    // "what is the face at N", not "the newest frame": asking for 0 after frame 2 arrived gives frame 0
    t.FaceAt(0, v, 2);
    Check(v[0] == 0.0f && v[1] == 1.0f, "face_not_latest");
}

void AudioPlacement()
{
    Timeline t;
    Setup(t, 0);
    std::vector<int16_t> pcm(960);
    for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<int16_t>(i + 1);
    PushFrame(t, 0, 0, 0);
    t.PushAudio("u1", 1000, pcm.data(), pcm.size());
    std::vector<int16_t> out = Read(t, 2400);
    bool ok = out[999] == 0 && out[1959 + 1] == 0;
    for (size_t i = 0; i < pcm.size(); ++i) ok = ok && out[1000 + i] == pcm[i];
    Check(ok, "audio_plays_at_its_sample");
    // Audio for positions already played is dropped (partly or wholly), never played late.
    t.PushAudio("u1", 2000, pcm.data(), pcm.size());  // 400 samples late
    out = Read(t, 960);
    ok = out[0] == pcm[400] && out[559] == pcm[959] && out[560] == 0;
    Check(ok && t.Stats().LateDroppedSamples == 400, "late_audio_trimmed");
    out = Read(t, 960);
    bool silent = true;
    for (int16_t s : out) silent = silent && s == 0;
    Check(silent, "no_stale_repeat");
}

void Underrun()
{
    Timeline t;
    Setup(t, 0);
    PushFrame(t, 0, 0.2f, 0.2f);
    PushFrame(t, 1, 1.0f, 0.5f, "u1");
    TimelineEvent start;
    start.Kind = TimelineEventKind::UtteranceStarted;
    start.Utt = "u1";
    start.Sample = 800;
    t.PushEvent(start);
    std::vector<int16_t> pcm(800, 1000);
    t.PushAudio("u1", 800, pcm.data(), pcm.size());
    std::vector<int16_t> out = Read(t, 3200);  // audio ends at 1600; nothing after
    Check(out[1599] == 1000 && out[1600] == 0 && out[3199] == 0, "underrun_plays_silence");
    Check(t.Stats().UnderrunSamples == 1600, "underrun_counted", std::to_string(t.Stats().UnderrunSamples));
    float v[2];
    t.FaceAt(1500, v, 2);
    Check(v[0] == 1.0f, "underrun_face_holds");
    t.FaceAt(1600 + 2400, v, 2);
    Check(v[0] > 0.0f && v[0] < 1.0f, "underrun_face_eases");
    t.FaceAt(1600 + 4800, v, 2);
    Check(v[0] == 0.0f && v[1] == 0.0f, "underrun_face_neutral");
}

void CancelDropsQueued()
{
    Timeline t;
    Setup(t, 0);
    for (int n = 0; n < 12; ++n) PushFrame(t, n, 0.1f * n, 0, n >= 2 ? "u2" : nullptr);
    std::vector<int16_t> pcm(4000, 500);
    t.PushAudio("u2", 1600, pcm.data(), pcm.size());
    TimelineEvent word;
    word.Kind = TimelineEventKind::Word;
    word.Utt = "u2";
    word.Sample = 4000;
    word.Text = "later";
    t.PushEvent(word);
    Read(t, 2400);  // played 800 samples of u2
    const int64_t dropped = t.DropUtterance("u2", "client");
    const std::string u2 = "u2";
    Check(dropped == 3200 && t.BufferedAudioSamples(&u2) == 0, "cancel_drops_queued_audio", std::to_string(dropped));
    std::vector<int16_t> out = Read(t, 1600);
    bool silent = true;
    for (int16_t s : out) silent = silent && s == 0;
    Check(silent, "cancel_then_silence");
    t.PushAudio("u2", 5600, pcm.data(), pcm.size());  // still in flight when we cancelled
    const float v[2] = {1, 1};
    t.PushFace(12, t.FrameSample(12), &u2, v, 2);
    Check(t.BufferedAudioSamples(&u2) == 0, "cancel_ignores_in_flight");
    std::vector<TimelineEvent> events = t.PollEvents();
    bool cancelled = false, wordFired = false;
    for (const auto& e : events) {
        cancelled = cancelled || e.Kind == TimelineEventKind::UtteranceCancelled;
        wordFired = wordFired || e.Kind == TimelineEventKind::Word;
    }
    Check(cancelled && !wordFired, "cancel_event_and_no_marks");
}

void EventsFireAtPlayback()
{
    Timeline t;
    Setup(t, 0);
    PushFrame(t, 0, 0, 0);
    TimelineEvent word;
    word.Kind = TimelineEventKind::Word;
    word.Utt = "u1";
    word.Sample = 1000;
    word.Text = "hi";
    t.PushEvent(word);
    Read(t, 960);
    const bool early = t.PollEvents().empty();
    Read(t, 960);
    std::vector<TimelineEvent> e = t.PollEvents();
    Check(early && e.size() == 1 && e[0].Text == "hi", "word_fires_when_played");
}

void NoBurstReplay()
{
    Timeline t;
    TimelineOptions o;
    o.PreRollSamples = 0;
    o.MaxLagSamples = 48000;
    t.Configure(kRate, kFps, 2, o);
    for (int n = 0; n < 120; ++n) PushFrame(t, n, 0, 0);  // 2 s piled up while "paused"
    Read(t, 480);
    Check(t.PlaybackSample() >= 96000 - 48000 && t.Stats().SkippedSamples > 0, "lag_skips_forward",
          std::to_string(t.PlaybackSample()));
}

void SessionCancelBeforeDaemon()
{
    ClientSession s;
    s.Hello();
    s.TakeOutgoing();
    s.Say("u1", "Hello.");
    std::vector<std::vector<uint8_t>> out = s.TakeOutgoing();
    Check(out.size() == 1 && s.IsOpen("u1"), "session_say_queues");
    s.Cancel(std::string("u1"));
    out = s.TakeOutgoing();
    DecodeResult d = out.empty() ? DecodeResult() : Decode(out[0].data(), out[0].size());
    const auto* c = d.Ok ? std::get_if<CancelMsg>(&d.Msg) : nullptr;
    Check(c && c->Utt && *c->Utt == "u1" && !s.IsOpen("u1"), "session_cancel_sends_and_closes");
}

void LiveLinkMapping()
{
    // The wire's 59 channels (welcome.face.channels) -> Unreal's 61 ARKit curves.
    std::vector<std::string> wire;
    for (size_t i = 0; i < kLiveLinkFaceCount; ++i) {
        std::string n = LiveLinkFaceNames()[i];
        if (n == "LeftEyeRoll" || n == "RightEyeRoll") continue;
        n[0] = static_cast<char>(n[0] - 'A' + 'a');
        wire.push_back(n);
    }
    std::vector<float> values(wire.size());
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
    float out[kLiveLinkFaceCount];
    ToLiveLinkValues(LiveLinkChannelMap(wire), values.data(), values.size(), out);
    // Weights pass unchanged; rotations become degrees / 180 (Live Link Face's unit).
    Check(wire.size() == 59 && out[17] == 17.0f && out[52] == ToLiveLinkRotation(52.0f) &&
              out[57] == 0.0f && out[58] == ToLiveLinkRotation(57.0f) && out[60] == 0.0f &&
              std::string(LiveLinkFaceNames()[17]) == "JawOpen" && std::string(LiveLinkFaceNames()[52]) == "HeadYaw",
          "livelink_curve_mapping");
    const float quarter = ToLiveLinkRotation(1.5707963f);  // 90 degrees = half of a half-turn
    Check(quarter > 0.4999f && quarter < 0.5001f && FromLiveLinkRotation(quarter) > 1.5707f &&
              FromLiveLinkRotation(quarter) < 1.5709f,
          "livelink_rotation_units");
}

}  // namespace

int main()
{
    PreRoll();
    Interpolation();
    AudioPlacement();
    Underrun();
    CancelDropsQueued();
    EventsFireAtPlayback();
    NoBurstReplay();
    SessionCancelBeforeDaemon();
    LiveLinkMapping();
    std::printf("%s %d failures\n", failures ? "FAILED" : "ALL PASSED", failures);
    return failures ? 1 : 0;
}
