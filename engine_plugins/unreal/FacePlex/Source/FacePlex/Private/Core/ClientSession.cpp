#include "ClientSession.h"

namespace FacePlexCore {

ClientSession::ClientSession(ClientSessionOptions options) : options_(std::move(options))
{
    timeline_.Configure(options_.SampleRate, options_.Fps, 0, options_.Playback);
}

std::string ClientSession::NextId() { return "c" + std::to_string(++nextId_); }

std::string ClientSession::Hello()
{
    welcome_.reset();
    open_.clear();
    outgoing_.clear();
    reportedOnce_ = false;
    timeline_.Reset();
    HelloMsg m;
    m.Id = NextId();
    m.Audio.SampleRate = options_.SampleRate;
    m.Fps = options_.Fps;
    m.Client = options_.ClientName;
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

std::string ClientSession::Ping(int64_t clientTimeUs)
{
    PingMsg m;
    m.Id = NextId();
    m.ClientTimeUs = clientTimeUs;
    Queue(m);
    return *m.Id;
}

void ClientSession::ReportPlayback(int64_t clientTimeUs)
{
    if (state_ != SessionState::Open) return;
    PlaybackMsg m;
    m.Sample = timeline_.PlaybackSample();
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
    }
}

std::vector<TimelineEvent> ClientSession::PollEvents(int64_t clientTimeUs)
{
    std::vector<TimelineEvent> events = timeline_.PollEvents();
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
