#include "ClientSession.h"

#include <algorithm>

namespace FacePlexCore {

namespace {
constexpr size_t kMaxPcmBytes = 60000;  // one mic/lipsync message stays under 64 KiB (§11)

std::vector<uint8_t> ToLittleEndian(const int16_t* pcm, size_t count)
{
    std::vector<uint8_t> out(count * 2);
    for (size_t i = 0; i < count; ++i) {
        const uint16_t v = static_cast<uint16_t>(pcm[i]);
        out[2 * i] = static_cast<uint8_t>(v & 0xff);
        out[2 * i + 1] = static_cast<uint8_t>(v >> 8);
    }
    return out;
}
}  // namespace

ClientSession::ClientSession(ClientSessionOptions options) : options_(std::move(options))
{
    timeline_.Configure(options_.SampleRate, options_.Fps, 0, options_.Playback);
    mic_.SetChunkMs(options_.MicChunkMs);
}

std::string ClientSession::NextId() { return "c" + std::to_string(++nextId_); }

void ClientSession::Disconnected()
{
    // The old session's utterances will never finish. End each one now, so a game waiting for
    // its Finished/Cancelled event is not left hanging.
    for (const auto& kv : open_) {
        TimelineEvent ev;
        ev.Kind = TimelineEventKind::UtteranceCancelled;
        ev.Utt = kv.first;
        ev.Sample = ev.End = timeline_.PlaybackSample();
        ev.Reason = "disconnected";
        sessionEvents_.push_back(std::move(ev));
    }
    for (TimelineEvent& ev : timeline_.PollEvents()) sessionEvents_.push_back(std::move(ev));
    open_.clear();
    timeline_.Reset();
    welcome_.reset();
    incompatible_.reset();
    state_ = SessionState::Idle;
}

std::string ClientSession::Hello()
{
    Disconnected();
    mic_.Clear();
    outgoing_.clear();
    reportedOnce_ = false;
    timeline_.Reset();
    HelloMsg m;
    m.Id = NextId();
    m.Audio.SampleRate = options_.SampleRate;
    m.Fps = options_.Fps;
    m.Client = options_.ClientName;
    m.Token = options_.Token;
    Queue(m);
    state_ = SessionState::AwaitingWelcome;
    return *m.Id;
}

std::string ClientSession::Say(const std::string& utt, const std::string& text, bool append, bool final,
                               const std::optional<std::string>& voice, const std::optional<Style>& style)
{
    SayMsg m;
    m.Id = NextId();
    m.Utt = utt;
    m.Text = text;
    m.Append = append;
    m.Final = final;
    m.Voice = voice;
    m.StyleOverride = style;
    Queue(m);
    if (!append) open_[utt] = UttState();
    return *m.Id;
}

std::string ClientSession::Cancel(const std::optional<std::string>& utt)
{
    CancelMsg m;
    m.Id = NextId();
    m.Utt = utt;
    if (utt) {
        auto it = open_.find(*utt);
        const bool tellDaemon = it == open_.end() || !it->second.DaemonDone;
        if (it != open_.end()) DropLocally(*utt, "client");
        if (tellDaemon) Queue(m);
    } else {
        for (const std::string& u : OpenUtterances()) DropLocally(u, "client");
        Queue(m);
    }
    return *m.Id;
}

void ClientSession::DropLocally(const std::string& utt, const std::string& reason)
{
    auto it = open_.find(utt);
    const bool daemonDone = it != open_.end() && it->second.DaemonDone;
    open_.erase(utt);
    timeline_.DropUtterance(utt, reason);
    if (daemonDone) timeline_.ForgetDropped(utt);  // nothing more of it is in flight
}

std::string ClientSession::Configure(const MsgValue& settings)
{
    ConfigMsg m;
    m.Id = NextId();
    m.Settings = settings;
    Queue(m);
    return *m.Id;
}

size_t ClientSession::PumpMic(bool flush)
{
    if (state_ != SessionState::Open) {
        mic_.Clear();  // before welcome the daemon would answer hello_required
        return 0;
    }
    size_t n = 0;
    MicChunk chunk;
    while (mic_.TakeChunk(chunk, flush)) {
        MicMsg m;
        m.SampleRate = chunk.SampleRate;
        m.Channels = chunk.Channels;
        m.Pcm = ToLittleEndian(chunk.Pcm.data(), chunk.Pcm.size());
        Queue(m);  // no id: nothing answers a mic chunk but errors, which name their code
        ++n;
    }
    return n;
}

std::string ClientSession::LipSync(const std::string& utt, const int16_t* pcm, size_t frames, int64_t sampleRate,
                                   int64_t channels, const std::optional<std::string>& transcript, bool final)
{
    UttState& st = open_[utt];
    const size_t ch = static_cast<size_t>(std::max<int64_t>(1, channels));
    const size_t perMsg = std::max<size_t>(1, kMaxPcmBytes / (2 * ch));
    std::string firstId;
    size_t done = 0;
    do {
        const size_t n = std::min(perMsg, frames - done);
        LipsyncMsg m;
        m.Id = NextId();
        if (firstId.empty()) firstId = *m.Id;
        m.Utt = utt;
        m.SampleRate = sampleRate;
        m.Channels = static_cast<int64_t>(ch);
        m.Pcm = ToLittleEndian(pcm ? pcm + done * ch : nullptr, pcm ? n * ch : 0);
        if (!st.LipsyncSent) m.Text = transcript;
        done += n;
        m.Final = final && done >= frames;
        Queue(m);
        st.LipsyncSent = true;
    } while (done < frames);
    return firstId;
}

std::string ClientSession::Ping(int64_t clientTimeUs)
{
    PingMsg m;
    m.Id = NextId();
    m.ClientTimeUs = clientTimeUs;
    Queue(m);
    return *m.Id;
}

std::string ClientSession::SendMicEnd()
{
    if (state_ != SessionState::Open) return std::string();
    PumpMic(true);  // the end of what the partner said goes before mic_end
    MicEndMsg m;
    m.Id = NextId();
    Queue(m);
    return *m.Id;
}

void ClientSession::ReportPlayback(int64_t clientTimeUs)
{
    if (state_ != SessionState::Open) return;
    PlaybackMsg m;
    // What the listener heard, not what the device pulled (§4): the daemon's text_spoken and
    // interruption point follow this.
    m.Sample = HeardSample();
    // The utterance heard last: the one spanning the sample just before the position.
    m.Utt = timeline_.UtteranceAt(m.Sample > 0 ? m.Sample - 1 : 0);
    m.ClientTimeUs = clientTimeUs;
    Queue(m);
    lastReportUs_ = clientTimeUs;
    reportedOnce_ = true;
}

bool ClientSession::MaybeReportPlayback(int64_t clientTimeUs)
{
    if (state_ != SessionState::Open || !timeline_.IsPlaying()) return false;
    if (reportedOnce_ && clientTimeUs - lastReportUs_ < options_.ReportIntervalUs) return false;
    ReportPlayback(clientTimeUs);
    return true;
}

std::vector<std::vector<uint8_t>> ClientSession::TakeOutgoing()
{
    std::vector<std::vector<uint8_t>> out;
    out.swap(outgoing_);
    return out;
}

ReceiveResult ClientSession::Receive(const uint8_t* data, size_t size)
{
    ReceiveResult r;
    DecodeResult d = Decode(data, size, Direction::DaemonToClient);
    if (!d.Ok) {
        r.ErrorCode = d.ErrorCode;
        r.ErrorMessage = d.ErrorMessage;
        return r;
    }
    Apply(d.Msg);
    r.Ok = true;
    r.Msg = std::move(d.Msg);
    return r;
}

void ClientSession::Apply(const Message& msg)
{
    if (const auto* w = std::get_if<WelcomeMsg>(&msg)) {
        if (auto bad = CheckDaemonProtocol(w->Protocol, "welcome")) {
            // PROTOCOL.md §9: refuse a daemon of another protocol version; the session never opens.
            state_ = SessionState::Incompatible;
            incompatible_ = bad;
            TimelineEvent ev;
            ev.Kind = TimelineEventKind::IncompatibleDaemon;
            ev.Sample = bad->DaemonProtocol;
            ev.End = bad->ClientProtocol;
            ev.Text = bad->Message;
            ev.Reason = "incompatible_daemon";
            sessionEvents_.push_back(std::move(ev));
            return;
        }
        welcome_ = *w;
        state_ = SessionState::Open;
        timeline_.Configure(w->Audio.SampleRate, w->Fps, w->Channels.size(), options_.Playback);
    } else if (const auto* a = std::get_if<AudioMsg>(&msg)) {
        timeline_.PushAudioBytes(a->Utt, a->Sample, a->Pcm.data(), a->Pcm.size());
    } else if (const auto* f = std::get_if<FaceMsg>(&msg)) {
        timeline_.PushFace(f->Frame, f->Sample, f->Utt ? &*f->Utt : nullptr, f->Values.data(), f->Values.size());
    } else if (const auto* mk = std::get_if<MarkMsg>(&msg)) {
        TimelineEvent ev;
        ev.Kind = mk->Kind == "word" ? TimelineEventKind::Word : TimelineEventKind::Phoneme;
        ev.Utt = mk->Utt;
        ev.Sample = mk->Sample;
        ev.End = mk->End;
        ev.Text = mk->Text;
        ev.Viseme = mk->Viseme.value_or("");
        timeline_.PushEvent(ev);
    } else if (const auto* s = std::get_if<UtteranceStartedMsg>(&msg)) {
        if (!open_.count(s->Utt)) open_[s->Utt] = UttState();  // e.g. resumed after a false interruption
        TimelineEvent ev;
        ev.Kind = TimelineEventKind::UtteranceStarted;
        ev.Utt = s->Utt;
        ev.Sample = ev.End = s->Sample;
        timeline_.PushEvent(ev);
    } else if (const auto* fin = std::get_if<UtteranceFinishedMsg>(&msg)) {
        auto it = open_.find(fin->Utt);
        if (it != open_.end()) it->second.DaemonDone = true;
        TimelineEvent ev;
        ev.Kind = TimelineEventKind::UtteranceFinished;
        ev.Utt = fin->Utt;
        ev.Sample = ev.End = fin->Sample;
        timeline_.PushEvent(ev);
    } else if (const auto* c = std::get_if<UtteranceCancelledMsg>(&msg)) {
        if (open_.count(c->Utt)) DropLocally(c->Utt, c->Reason);  // the daemon stopped it (slow client, error, ...)
        timeline_.ForgetDropped(c->Utt);                          // no media of it follows
    } else if (const auto* in = std::get_if<InterruptedMsg>(&msg)) {
        OnInterrupted(*in);
    } else if (const auto* ps = std::get_if<PartnerSpeechStartedMsg>(&msg)) {
        PushNow(TimelineEventKind::PartnerSpeechStarted, ps->Sample, ps->Sample, "", "");
    } else if (const auto* pe = std::get_if<PartnerSpeechStoppedMsg>(&msg)) {
        PushNow(TimelineEventKind::PartnerSpeechStopped, pe->Sample - pe->Samples, pe->Sample, "", "");
    } else if (const auto* tr = std::get_if<PartnerTranscriptMsg>(&msg)) {
        PushNow(TimelineEventKind::PartnerTranscript, tr->Start, tr->End, tr->Text, tr->Final ? "final" : "interim");
    } else if (const auto* wn = std::get_if<WarningMsg>(&msg)) {
        PushNow(TimelineEventKind::Warning, timeline_.PlaybackSample(), timeline_.PlaybackSample(), wn->Message,
                wn->Code, wn->Utt.value_or(""));
    }
}

void ClientSession::PushNow(TimelineEventKind kind, int64_t sample, int64_t end, std::string text,
                            std::string reason, std::string utt)
{
    TimelineEvent ev;
    ev.Kind = kind;
    ev.Utt = std::move(utt);
    ev.Sample = sample;
    ev.End = end;
    ev.Text = std::move(text);
    ev.Reason = std::move(reason);
    timeline_.PushEvent(ev);
}

void ClientSession::OnInterrupted(const InterruptedMsg& msg)
{
    if (!open_.count(msg.Utt)) return;  // already cancelled or fully played here
    // Barge-in: stop now. Everything of it not yet played goes (a superset of what lies beyond the
    // cut `msg.Sample`: the listener stops hearing the avatar at once, not lead_ms later).
    TimelineEvent ev;
    ev.Kind = TimelineEventKind::Interrupted;
    ev.Utt = msg.Utt;
    ev.Sample = msg.Sample;
    ev.End = msg.Sample;
    ev.Text = msg.TextSpoken;
    ev.Reason = "interrupted";
    ev.SamplesPlayed = msg.SamplesPlayed;
    ev.WordsSpoken = msg.WordsSpoken;
    timeline_.PushEvent(ev);
    const bool daemonDone = open_[msg.Utt].DaemonDone;
    open_.erase(msg.Utt);
    ev.Kind = TimelineEventKind::UtteranceCancelled;
    timeline_.DropUtteranceWith(msg.Utt, ev);
    if (daemonDone) timeline_.ForgetDropped(msg.Utt);
}

std::vector<TimelineEvent> ClientSession::PollEvents(int64_t clientTimeUs)
{
    std::vector<TimelineEvent> events;
    events.swap(sessionEvents_);
    for (TimelineEvent& ev : timeline_.PollEventsUpTo(HeardSample())) events.push_back(std::move(ev));
    bool ended = false;
    for (const TimelineEvent& ev : events) {
        if (ev.Kind == TimelineEventKind::UtteranceFinished) { open_.erase(ev.Utt); ended = true; }
        if (ev.Kind == TimelineEventKind::UtteranceCancelled) ended = true;
    }
    if (ended) ReportPlayback(clientTimeUs);  // protocol: report once when an utterance ends
    return events;
}

std::vector<std::string> ClientSession::OpenUtterances() const
{
    std::vector<std::string> out;
    for (const auto& kv : open_) out.push_back(kv.first);
    return out;
}

}  // namespace FacePlexCore
