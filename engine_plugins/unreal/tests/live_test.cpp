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
#include "live_player.h"

int main(int argc, char** argv)
{
    if (argc < 2) { std::fprintf(stderr, "usage: live_test ws://127.0.0.1:PORT/\n"); return 2; }
    WsTransport ws;
    if (!ws.Connect(argv[1])) { Report(false, "connect", ws.Error()); return 1; }
    ClientSessionOptions opt;
    opt.SampleRate = 48000;
    opt.Fps = 60;
    opt.ClientName = "FacePlexCppTest/0.1";
    opt.Token = TokenFromEnv();
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

    // Phoneme events (OnViseme in the glue): one per phoneme mark, each with its viseme, fired
    // when heard.
    int64_t phonemeEvents = 0, withViseme = 0, phonemeMarks = 0;
    for (const auto& e : p.events)
        if (e.Kind == TimelineEventKind::Phoneme && e.Utt == "u1") { ++phonemeEvents; withViseme += !e.Viseme.empty(); }
    for (const auto& m : p.marks["u1"]) phonemeMarks += m.Kind == "phoneme";
    Report(phonemeMarks > 0 && phonemeEvents == phonemeMarks && withViseme == phonemeEvents, "phoneme_events_with_visemes",
           Str(phonemeEvents) + " phoneme events (" + Str(withViseme) + " with a viseme) for " + Str(phonemeMarks) + " phoneme marks");

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
