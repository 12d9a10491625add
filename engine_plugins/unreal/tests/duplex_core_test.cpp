// Full-duplex rules of the FacePlex C++ core without a network (PROTOCOL.md §11): the microphone
// ring (capture thread -> network side), mic/lipsync messages, barge-in, partner and warning
// events, reconnect ending open utterances, typed config and the hello token.
// Prints "PASS name" / "FAIL name: why" lines and exits non-zero on any failure.
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "Core/ClientSession.h"

using namespace FacePlexCore;

namespace {

int failures = 0;

void Check(bool ok, const char* name, const std::string& why = "")
{
    std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name, ok ? "" : ": ", ok ? "" : why.c_str());
    if (!ok) ++failures;
}

std::string S(int64_t v) { return std::to_string(v); }

std::vector<Message> Decoded(ClientSession& s)
{
    std::vector<Message> out;
    for (const auto& b : s.TakeOutgoing()) {
        DecodeResult d = Decode(b.data(), b.size(), Direction::ClientToDaemon);
        if (d.Ok) out.push_back(d.Msg);
    }
    return out;
}

void Feed(ClientSession& s, const Message& m)
{
    std::vector<uint8_t> b = Encode(m);
    s.Receive(b.data(), b.size());
}

/** A session past its handshake (48 kHz, 60 fps, 2 face channels, no pre-roll). */
void Open(ClientSession& s)
{
    s.Hello();
    WelcomeMsg w;
    w.Session = "s1";
    w.Server = "test";
    w.Channels = {"jawOpen", "headYaw"};
    Feed(s, w);
    s.TakeOutgoing();
}

ClientSessionOptions NoPreRoll()
{
    ClientSessionOptions o;
    o.Playback.PreRollSamples = 0;
    return o;
}

void RingChunks()
{
    MicRing ring;
    std::vector<int16_t> block(480);  // 10 ms callbacks at 48 kHz mono
    int16_t next = 0;
    for (int k = 0; k < 100; ++k) {
        for (auto& v : block) v = next++;
        ring.Push(block.data(), block.size(), 48000, 1);
    }
    ring.SetMaxBacklogMs(1000);
    MicChunk c;
    int chunks = 0;
    bool inOrder = true, sized = true;
    int16_t expect = 0;
    while (ring.TakeChunk(c)) {
        ++chunks;
        sized = sized && c.Pcm.size() == 1920 && c.SampleRate == 48000 && c.Channels == 1;
        for (int16_t v : c.Pcm) inOrder = inOrder && v == expect++;
    }
    Check(chunks == 25 && sized && inOrder && !ring.TakeChunk(c, true), "mic_ring_40ms_chunks", S(chunks));
    ring.SetChunkMs(500);
    Check(ring.ChunkMs() == 100, "mic_ring_chunk_clamped_to_100ms");
    // 100 ms at 192 kHz x 8 channels would be 307 kB: chunks stay under the 64 KiB message limit.
    std::vector<int16_t> big(19200 * 8);
    MicRing wide(big.size() * 2);
    wide.Push(big.data(), 19200, 192000, 8);
    Check(wide.TakeChunk(c) && c.Pcm.size() * 2 <= 60000 && c.Pcm.size() % 8 == 0, "mic_ring_chunk_under_64k",
          S(static_cast<int64_t>(c.Pcm.size() * 2)));
}

void RingStallSkipsOldest()
{
    // The network side stalled for 1 s: only the newest 200 ms go out, the rest is skipped.
    MicRing ring;
    std::vector<int16_t> block(480);
    int16_t next = 0;
    for (int k = 0; k < 100; ++k) {
        for (auto& v : block) v = next++;
        ring.Push(block.data(), block.size(), 48000, 1);
    }
    MicChunk c;
    int64_t sent = 0;
    int first = -1;
    while (ring.TakeChunk(c)) {
        if (first < 0) first = static_cast<uint16_t>(c.Pcm[0]);
        sent += static_cast<int64_t>(c.Pcm.size());
    }
    Check(sent == 9600 && first == 48000 - 9600 && ring.DroppedFrames() == 48000 - 9600, "mic_ring_stall_skips_oldest",
          S(sent) + " sent from " + S(first));
}

void RingFullDropsNew()
{
    MicRing ring(4800);  // 100 ms of 48 kHz mono
    std::vector<int16_t> block(480, 7);
    size_t accepted = 0;
    for (int k = 0; k < 20; ++k) accepted += ring.Push(block.data(), block.size(), 48000, 1);
    Check(accepted == 4800 && ring.DroppedFrames() == 4800 && ring.PushedFrames() == 4800, "mic_ring_full_drops_new",
          S(static_cast<int64_t>(accepted)));
}

void RingFormatChange()
{
    MicRing ring;
    std::vector<int16_t> mono(1440, 1);    // 30 ms at 48 kHz mono
    std::vector<int16_t> stereo(640, 2);   // 20 ms at 16 kHz stereo (320 frames)
    ring.Push(mono.data(), 1440, 48000, 1);
    const size_t droppedWhileOld = ring.Push(stereo.data(), 320, 16000, 2);  // old format still queued
    MicChunk c;
    const bool oldFlushed = ring.TakeChunk(c) && c.SampleRate == 48000 && c.Pcm.size() == 1440;
    ring.TakeChunk(c);  // adopts the new format
    const size_t accepted = ring.Push(stereo.data(), 320, 16000, 2);
    ring.Push(stereo.data(), 320, 16000, 2);
    const bool fresh = ring.TakeChunk(c) && c.SampleRate == 16000 && c.Channels == 2 && c.Pcm.size() == 640 * 2;
    Check(droppedWhileOld == 0 && oldFlushed && accepted == 320 && fresh, "mic_ring_format_change");
}

void RingAcrossThreads()
{
    // The capture thread pushes 3 s of a counter in odd-sized blocks while the network side
    // drains: every sample arrives once, in order (any dropped ones are counted, never reordered).
    MicRing ring;
    std::atomic<bool> done{false};
    const int total = 48000 * 3;
    std::thread producer([&] {
        std::vector<int16_t> block(733);
        int v = 0;
        while (v < total) {
            const int n = std::min<int>(733, total - v);
            for (int i = 0; i < n; ++i) block[i] = static_cast<int16_t>((v + i) & 0x7fff);
            ring.Push(block.data(), n, 48000, 1);
            v += n;
            std::this_thread::yield();
        }
        done = true;
    });
    MicChunk c;
    int64_t received = 0;
    bool ordered = true, step1 = true;
    int prev = -1;
    auto take = [&](bool flush) {
        bool any = false;
        while (ring.TakeChunk(c, flush)) {
            any = true;
            for (int16_t v : c.Pcm) {
                if (prev >= 0) {
                    const int delta = (v - prev) & 0x7fff;
                    ordered = ordered && delta != 0;
                    step1 = step1 && delta == 1;
                }
                prev = v;
            }
            received += static_cast<int64_t>(c.Pcm.size());
        }
        return any;
    };
    while (!done.load()) {
        take(false);
        std::this_thread::yield();
    }
    producer.join();
    while (take(true)) {}
    const int64_t dropped = static_cast<int64_t>(ring.DroppedFrames());
    // (On a loaded machine the network side may stall: then the ring drops new audio when full or
    // skips the oldest beyond MaxBacklogMs -- counted either way, never reordered or duplicated.)
    Check(ordered && (step1 || dropped > 0) && received + dropped == total,
          "mic_ring_across_threads", S(received) + " received, " + S(dropped) + " dropped");
}

void SessionMic()
{
    ClientSession s(NoPreRoll());
    std::vector<int16_t> pcm(4800);
    for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<int16_t>(i * 3 - 7000);
    s.SendMic(pcm.data(), 2400, 48000, 2);  // before welcome: nothing goes out
    const size_t before = s.PumpMic(true);
    Open(s);
    s.SendMic(pcm.data(), 2400, 48000, 2);  // 50 ms stereo
    s.PumpMic();
    std::vector<Message> out = Decoded(s);
    const MicMsg* m = out.empty() ? nullptr : std::get_if<MicMsg>(&out[0]);
    bool bytes = m && m->Pcm.size() == 1920 * 2 * 2;
    for (size_t i = 0; bytes && i < 1920 * 2; ++i)
        bytes = static_cast<int16_t>(m->Pcm[2 * i] | (m->Pcm[2 * i + 1] << 8)) == pcm[i];
    s.PumpMic(true);
    out = Decoded(s);
    const MicMsg* rest = out.empty() ? nullptr : std::get_if<MicMsg>(&out[0]);
    Check(before == 0 && m && m->SampleRate == 48000 && m->Channels == 2 && bytes && rest && rest->Pcm.size() == 480 * 4,
          "session_mic_messages");
}

void SessionLipSync()
{
    ClientSession s(NoPreRoll());
    Open(s);
    std::vector<int16_t> pcm(48000 * 3);  // 3 s at 48 kHz mono: 288 kB, several messages
    for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<int16_t>(i);
    s.LipSync("l1", pcm.data(), 48000, 48000, 1, std::string("Peter bought a map."), false);
    s.LipSync("l1", pcm.data() + 48000, 96000, 48000, 1, std::nullopt, true);
    size_t samples = 0, withText = 0, finals = 0, biggest = 0;
    bool lastFinal = false;
    for (const auto& b : s.TakeOutgoing()) {
        biggest = std::max(biggest, b.size());
        DecodeResult d = Decode(b.data(), b.size(), Direction::ClientToDaemon);
        const LipsyncMsg* l = d.Ok ? std::get_if<LipsyncMsg>(&d.Msg) : nullptr;
        if (!l) continue;
        samples += l->Pcm.size() / 2;
        withText += l->Text ? 1 : 0;
        finals += l->Final ? 1 : 0;
        lastFinal = l->Final;
    }
    Check(samples == pcm.size() && withText == 1 && finals == 1 && lastFinal && biggest < 65536 && s.IsOpen("l1"),
          "session_lipsync_messages", S(static_cast<int64_t>(biggest)));
}

void SessionInterrupted()
{
    ClientSession s(NoPreRoll());
    Open(s);
    s.Say("u1", "Hello there, how are you today?");
    s.Say("u2", "And another thing.");
    s.TakeOutgoing();
    UtteranceStartedMsg st;
    st.Utt = "u1";
    st.Sample = 0;
    Feed(s, st);
    std::vector<uint8_t> pcm(4800 * 2, 0x11);
    AudioMsg a;
    a.Utt = "u1";
    a.Pcm = pcm;
    Feed(s, a);
    a.Sample = 4800;
    Feed(s, a);  // audio sent up to 9600
    FaceMsg f;
    f.Utt = std::string("u1");
    f.Values = {0.5f, 0.1f};
    for (int n = 0; n < 12; ++n) { f.Frame = f.Seq = n; f.Sample = n * 800; Feed(s, f); }
    std::vector<int16_t> buf(2400);
    s.GetTimeline().ReadAudio(buf.data(), buf.size());  // the listener heard 2400 samples
    s.PollEvents(0);
    InterruptedMsg in;
    in.Utt = "u1";
    in.Sample = 9600;
    in.SamplesSent = 9600;
    in.SamplesPlayed = 2300;
    in.WordsSpoken = {"Hello"};
    in.TextSpoken = "Hello";
    Feed(s, in);
    std::vector<TimelineEvent> ev = s.PollEvents(0);
    const bool interrupted = ev.size() >= 2 && ev[0].Kind == TimelineEventKind::Interrupted && ev[0].Utt == "u1" &&
                             ev[0].SamplesPlayed == 2300 && ev[0].Text == "Hello" && ev[0].WordsSpoken.size() == 1;
    const bool ended = ev.size() >= 2 && ev[1].Kind == TimelineEventKind::UtteranceCancelled &&
                       ev[1].Reason == "interrupted" && ev[1].SamplesPlayed == 2300 && ev[1].Text == "Hello";
    Check(interrupted && ended && !s.IsOpen("u1"), "interrupted_ends_utterance_with_spoken_text",
          S(static_cast<int64_t>(ev.size())));
    Check(s.GetTimeline().BufferedAudioSamples() == 0 && s.GetTimeline().ReadAudio(buf.data(), buf.size()) == 0,
          "interrupted_drops_unplayed_audio_at_once");
    float face[2] = {1, 1};
    // Frames beyond the playback position were dropped: the face holds one frame, then eases to
    // rest (150 ms), where it would otherwise still show the sent frames (0.5).
    s.GetTimeline().FaceAt(4000, face, 2);
    float later[2] = {1, 1};
    s.GetTimeline().FaceAt(12000, later, 2);
    Check(face[0] < 0.5f && later[0] == 0.0f, "interrupted_drops_face_frames", std::to_string(face[0]));
    UtteranceCancelledMsg c;
    c.Utt = "u1";
    c.Reason = "interrupted";
    c.Sample = 9600;
    c.Samples = 9600;
    Feed(s, c);
    c.Utt = "u2";
    c.Samples = 0;
    Feed(s, c);
    ev = s.PollEvents(0);
    int cancelledU1 = 0, cancelledU2 = 0;
    for (const auto& e : ev) {
        if (e.Kind != TimelineEventKind::UtteranceCancelled) continue;
        cancelledU1 += e.Utt == "u1";
        cancelledU2 += e.Utt == "u2" && e.Reason == "interrupted";
    }
    Check(cancelledU1 == 0 && cancelledU2 == 1 && s.OpenUtterances().empty(), "interrupted_queued_cancelled_once");
}

void PartnerAndWarningEvents()
{
    ClientSession s(NoPreRoll());
    Open(s);
    PartnerSpeechStartedMsg a;
    a.Sample = 150000;
    Feed(s, a);
    PartnerSpeechStoppedMsg b;
    b.Sample = 198000;
    b.Samples = 48000;
    Feed(s, b);
    WarningMsg w;
    w.Utt = std::string("u1");
    w.Code = "language_not_supported";
    w.Message = "French?";
    Feed(s, w);
    std::vector<TimelineEvent> ev = s.PollEvents(0);  // nothing played: they fire at once
    Check(ev.size() == 3 && ev[0].Kind == TimelineEventKind::PartnerSpeechStarted && ev[0].Sample == 150000 &&
              ev[1].Kind == TimelineEventKind::PartnerSpeechStopped && ev[1].Sample == 150000 && ev[1].End == 198000 &&
              ev[2].Kind == TimelineEventKind::Warning && ev[2].Reason == "language_not_supported" && ev[2].Utt == "u1",
          "partner_and_warning_events_at_once", S(static_cast<int64_t>(ev.size())));
}

void ReconnectEndsOpenUtterances()
{
    ClientSession s(NoPreRoll());
    Open(s);
    s.Say("u1", "One.");
    s.Say("u2", "Two.");
    s.Hello();  // the connection was lost and is being re-established
    std::vector<TimelineEvent> ev = s.PollEvents(0);
    int disconnected = 0;
    for (const auto& e : ev) disconnected += e.Kind == TimelineEventKind::UtteranceCancelled && e.Reason == "disconnected";
    Check(disconnected == 2 && s.OpenUtterances().empty(), "reconnect_cancels_open_utterances", S(disconnected));
    ClientSession t(NoPreRoll());
    Open(t);
    t.Say("u9", "Nine.");
    t.Disconnected();  // the socket closed; no reconnect yet
    ev = t.PollEvents(0);
    Check(ev.size() == 1 && ev[0].Utt == "u9" && ev[0].Reason == "disconnected" && t.State() == SessionState::Idle,
          "disconnect_cancels_open_utterances");
}

void TypedConfigAndToken()
{
    ClientSessionOptions o = NoPreRoll();
    o.Token = "secret-1";
    ClientSession s(o);
    s.Hello();
    std::vector<Message> out = Decoded(s);
    const HelloMsg* h = out.empty() ? nullptr : std::get_if<HelloMsg>(&out[0]);
    Check(h && h->Token && *h->Token == "secret-1", "hello_carries_token");
    SessionSettings cfg;
    cfg.Interruption = "duck";
    cfg.MinInterruptionMs = 300;
    cfg.Emotion = "happy";
    cfg.EmotionIntensity = 0.75;
    cfg.Voice = "en_US-joe-medium";
    s.Configure(cfg);
    out = Decoded(s);
    const ConfigMsg* c = out.empty() ? nullptr : std::get_if<ConfigMsg>(&out[0]);
    std::string keys;
    if (c) for (const auto& kv : c->Settings.Entries()) keys += kv.first + ",";
    Check(c && keys == "voice,emotion,emotion_intensity,interruption,min_interruption_ms,", "typed_config_in_table_order",
          keys);
    Style st;
    st.Emotion = "sad";
    st.EmotionIntensity = 0.5;
    s.Say("u1", "Oh no.", false, true, std::nullopt, st);
    s.SayAppend("u1", " More.", true);
    out = Decoded(s);
    const SayMsg* a = out.size() == 2 ? std::get_if<SayMsg>(&out[0]) : nullptr;
    const SayMsg* b = out.size() == 2 ? std::get_if<SayMsg>(&out[1]) : nullptr;
    Check(a && a->StyleOverride && a->StyleOverride->Emotion == std::optional<std::string>("sad") && b && b->Append &&
              b->Final,
          "say_style_emotion_and_append");
}


WelcomeMsg CatalogWelcome(int64_t protocol)
{
    WelcomeMsg w;
    w.Protocol = protocol;
    w.Session = "s1";
    w.Server = "test";
    w.Channels = {"jawOpen", "headYaw"};
    w.Voices = {"en_US-joe-medium", "ef_dora"};
    VoiceInfo joe;
    joe.Id = "en_US-joe-medium"; joe.Language = "en-US"; joe.Gender = "male"; joe.Accent = "American";
    joe.SampleRate = 22050; joe.Engine = "piper";
    VoiceInfo dora;
    dora.Id = "ef_dora"; dora.Language = "es"; dora.Gender = "female"; dora.SampleRate = 24000; dora.Engine = "kokoro";
    w.VoiceCatalog = {joe, dora};
    Features f;
    f.VadAvailable = true;
    f.TranscriptionAvailable = true;
    f.TranscriptionModels = {"tiny.en", "base"};
    f.TranscriptionDefault = "tiny.en";
    f.TranscriptionFallback = "pocketsphinx";
    w.DaemonFeatures = f;
    return w;
}

void IncompatibleWelcomeRefused()
{
    ClientSession s(NoPreRoll());
    s.Hello();
    s.TakeOutgoing();
    Feed(s, CatalogWelcome(2));  // a raw welcome of a protocol 2 daemon
    std::vector<TimelineEvent> ev = s.PollEvents(0);
    const auto& info = s.IncompatibleDaemonInfo();
    const bool named = !ev.empty() && ev[0].Text.find("protocol 2") != std::string::npos &&
                       ev[0].Text.find("protocol 1") != std::string::npos;
    Check(s.State() == SessionState::Incompatible && !s.Welcome() && info && info->DaemonProtocol == 2 &&
              info->ClientProtocol == 1 && info->Source == "welcome" && ev.size() == 1 &&
              ev[0].Kind == TimelineEventKind::IncompatibleDaemon && ev[0].Sample == 2 && ev[0].End == 1 && named,
          "welcome_protocol_2_refused_naming_both", ev.empty() ? "no event" : ev[0].Text);
    const std::string id = s.SendMicEnd();
    Check(id.empty() && s.TakeOutgoing().empty(), "refused_session_sends_nothing");
}

void WelcomeCatalogAndFeatures()
{
    ClientSession s(NoPreRoll());
    s.Hello();
    Feed(s, CatalogWelcome(1));
    const auto& w = s.Welcome();
    Check(s.State() == SessionState::Open && w && w->Voices.size() == 2 && w->VoiceCatalog.size() == 2 &&
              w->VoiceCatalog[0].Gender == std::optional<std::string>("male") && w->VoiceCatalog[1].Language == "es" &&
              !w->VoiceCatalog[1].Accent && w->VoiceCatalog[1].SampleRate == 24000 && w->DaemonFeatures &&
              w->DaemonFeatures->VadAvailable && w->DaemonFeatures->TranscriptionModels.size() == 2 &&
              w->DaemonFeatures->TranscriptionFallback == std::optional<std::string>("pocketsphinx"),
          "welcome_voices_catalog_features_exposed");
    // An older v1 daemon's welcome has neither key: it opens with an empty catalogue and no features.
    std::vector<uint8_t> bytes = Encode(CatalogWelcome(1));
    MsgParseResult parsed = ParseMsgPack(bytes.data(), bytes.size());
    MsgValue older = MsgValue::Map();
    for (const auto& kv : parsed.value.Entries())
        if (kv.first != "voice_catalog" && kv.first != "features") older.Set(kv.first, kv.second);
    std::vector<uint8_t> raw;
    MsgWriter(raw).Value(older);
    ClientSession t(NoPreRoll());
    t.Hello();
    ReceiveResult r = t.Receive(raw.data(), raw.size());
    Check(r.Ok && t.State() == SessionState::Open && t.Welcome()->VoiceCatalog.empty() && !t.Welcome()->DaemonFeatures,
          "older_v1_welcome_opens", r.ErrorMessage);
}

void MicEndAndTranscripts()
{
    ClientSession s(NoPreRoll());
    Open(s);
    std::vector<int16_t> pcm(480, 7);  // 10 ms at 48 kHz: under one mic chunk, flushed by SendMicEnd
    s.SendMic(pcm.data(), pcm.size(), 48000, 1);
    const std::string id = s.SendMicEnd();
    std::vector<Message> out = Decoded(s);
    const MicMsg* mic = out.size() == 2 ? std::get_if<MicMsg>(&out[0]) : nullptr;
    const MicEndMsg* end = out.size() == 2 ? std::get_if<MicEndMsg>(&out[1]) : nullptr;
    Check(mic && mic->Pcm.size() == 960 && end && end->Id && *end->Id == id && !id.empty(), "mic_end_after_the_last_mic",
          S(static_cast<int64_t>(out.size())));
    PartnerTranscriptMsg interim;
    interim.Text = "Where is the";
    interim.Start = 150000;
    interim.End = 168000;
    interim.Language = "en";
    interim.Confidence = 0.5;
    interim.Model = "tiny.en";
    Feed(s, interim);
    PartnerTranscriptMsg fin = interim;
    fin.Text = "Where is the old mill?";
    fin.End = 198000;
    fin.Final = true;
    fin.Words = {{"Where", 150000, 158400}, {"is", 158400, 163200}};
    Feed(s, fin);
    std::vector<TimelineEvent> ev = s.PollEvents(0);  // nothing played: they fire at once
    Check(ev.size() == 2 && ev[0].Kind == TimelineEventKind::PartnerTranscript && ev[0].Reason == "interim" &&
              ev[0].Text == "Where is the" && ev[1].Kind == TimelineEventKind::PartnerTranscript &&
              ev[1].Reason == "final" && ev[1].Text == "Where is the old mill?" && ev[1].Sample == 150000 &&
              ev[1].End == 198000,
          "partner_transcript_events_at_once", S(static_cast<int64_t>(ev.size())));
}
}  // namespace

int main()
{
    RingChunks();
    RingFullDropsNew();
    RingStallSkipsOldest();
    RingFormatChange();
    RingAcrossThreads();
    SessionMic();
    SessionLipSync();
    SessionInterrupted();
    PartnerAndWarningEvents();
    ReconnectEndsOpenUtterances();
    TypedConfigAndToken();
    IncompatibleWelcomeRefused();
    WelcomeCatalogAndFeatures();
    MicEndAndTranscripts();
    std::printf("%s %d failures\n", failures ? "FAILED" : "ALL PASSED", failures);
    return failures ? 1 : 0;
}
