// FacePlex core codec, encoding side: Message -> canonical msgpack bytes (PROTOCOL.md §1
// "Encoding": keys in the document's order, every field present, nil for absent optionals,
// float32 floats, shortest ints). Settings and limits maps are written as received.
#include <utility>

#include "Codec.h"

namespace FacePlexCore {

namespace {

template <class... Fs> struct Overloaded : Fs... { using Fs::operator()...; };
template <class... Fs> Overloaded(Fs...) -> Overloaded<Fs...>;

// ------------------------------------------------------------------ encoding
class Enc {
public:
    explicit Enc(std::vector<uint8_t>& out) : w(out) {}
    void Begin(const char* type, uint32_t fieldsAfterType)
    {
        w.MapHeader(fieldsAfterType + 1);
        w.Key("type");
        w.Str(type);
    }
    void Str(const char* key, const std::string& v) { w.Key(key); w.Str(v); }
    void OptStr(const char* key, const std::optional<std::string>& v) { w.Key(key); w.OptStr(v ? &*v : nullptr); }
    void Int(const char* key, int64_t v) { w.Key(key); w.Int(v); }
    void OptInt(const char* key, const std::optional<int64_t>& v) { w.Key(key); if (v) w.Int(*v); else w.Nil(); }
    void OptFloat(const char* key, const std::optional<double>& v) { w.Key(key); if (v) w.Float(static_cast<float>(*v)); else w.Nil(); }
    void Bool(const char* key, bool v) { w.Key(key); w.Bool(v); }
    void Bin(const char* key, const std::vector<uint8_t>& v) { w.Key(key); w.Bin(v.data(), v.size()); }
    void Value(const char* key, const MsgValue& v) { w.Key(key); w.Value(v); }
    void StrList(const char* key, const std::vector<std::string>& v)
    {
        w.Key(key);
        w.ArrayHeader(static_cast<uint32_t>(v.size()));
        for (const auto& s : v) w.Str(s);
    }
    void Audio(const AudioFormat& a)
    {
        w.Key("audio");
        w.MapHeader(3);
        Int("sample_rate", a.SampleRate);
        Int("channels", a.Channels);
        Str("format", a.Format);
    }
    MsgWriter w;
};

void EncodeInto(Enc& e, const HelloMsg& m)
{
    e.Begin("hello", 6);
    e.OptStr("id", m.Id);
    e.Int("protocol", m.Protocol);
    e.Audio(m.Audio);
    e.w.Key("face"); e.w.MapHeader(1); e.Int("fps", m.Fps);
    e.OptStr("client", m.Client);
    e.OptStr("token", m.Token);
}
void EncodeInto(Enc& e, const ConfigMsg& m)
{
    e.Begin("config", 2);
    e.OptStr("id", m.Id);
    e.Value("settings", m.Settings.IsMap() ? m.Settings : MsgValue::Map());
}
void EncodeInto(Enc& e, const SayMsg& m)
{
    e.Begin("say", 7);
    e.OptStr("id", m.Id);
    e.Str("utt", m.Utt);
    e.Str("text", m.Text);
    e.Bool("append", m.Append);
    e.Bool("final", m.Final);
    e.OptStr("voice", m.Voice);
    e.w.Key("style");
    if (m.StyleOverride) {
        e.w.MapHeader(4);
        e.OptFloat("speed", m.StyleOverride->Speed);
        e.OptFloat("expressiveness", m.StyleOverride->Expressiveness);
        e.OptStr("emotion", m.StyleOverride->Emotion);
        e.OptFloat("emotion_intensity", m.StyleOverride->EmotionIntensity);
    } else {
        e.w.Nil();
    }
}
void EncodeInto(Enc& e, const CancelMsg& m) { e.Begin("cancel", 2); e.OptStr("id", m.Id); e.OptStr("utt", m.Utt); }
void EncodeInto(Enc& e, const PingMsg& m) { e.Begin("ping", 2); e.OptStr("id", m.Id); e.Int("client_time_us", m.ClientTimeUs); }
void EncodeInto(Enc& e, const PlaybackMsg& m)
{
    e.Begin("playback", 4);
    e.OptStr("id", m.Id);
    e.OptStr("utt", m.Utt);
    e.Int("sample", m.Sample);
    e.Int("client_time_us", m.ClientTimeUs);
}
void EncodeInto(Enc& e, const WelcomeMsg& m)
{
    e.Begin("welcome", 11);
    e.OptStr("reply_to", m.ReplyTo);
    e.Int("protocol", m.Protocol);
    e.Str("session", m.Session);
    e.Str("server", m.Server);
    e.Audio(m.Audio);
    e.w.Key("face"); e.w.MapHeader(2); e.Int("fps", m.Fps); e.StrList("channels", m.Channels);
    e.StrList("voices", m.Voices);
    e.Value("config", m.Config.IsMap() ? m.Config : MsgValue::Map());
    e.Value("limits", m.Limits.IsMap() ? m.Limits : MsgValue::Map());
    e.w.Key("voice_catalog");
    e.w.ArrayHeader(static_cast<uint32_t>(m.VoiceCatalog.size()));
    for (const VoiceInfo& v : m.VoiceCatalog) {
        e.w.MapHeader(6);
        e.Str("id", v.Id);
        e.Str("language", v.Language);
        e.OptStr("gender", v.Gender);
        e.OptStr("accent", v.Accent);
        e.Int("sample_rate", v.SampleRate);
        e.Str("engine", v.Engine);
    }
    e.w.Key("features");
    if (!m.DaemonFeatures) { e.w.Nil(); return; }
    const Features& f = *m.DaemonFeatures;
    e.w.MapHeader(2);
    e.w.Key("vad");
    e.w.MapHeader(2);
    e.Bool("available", f.VadAvailable);
    e.OptStr("reason", f.VadReason);
    e.w.Key("transcription");
    e.w.MapHeader(4);
    e.Bool("available", f.TranscriptionAvailable);
    e.StrList("models", f.TranscriptionModels);
    e.OptStr("default", f.TranscriptionDefault);
    e.OptStr("fallback", f.TranscriptionFallback);
}
void EncodeInto(Enc& e, const ConfiguredMsg& m) { e.Begin("configured", 2); e.OptStr("reply_to", m.ReplyTo); e.Value("config", m.Config.IsMap() ? m.Config : MsgValue::Map()); }
void EncodeInto(Enc& e, const AudioMsg& m)
{
    e.Begin("audio", 4);
    e.Str("utt", m.Utt);
    e.Int("seq", m.Seq);
    e.Int("sample", m.Sample);
    e.w.Key("pcm");
    e.w.Bin(m.Pcm.data(), m.Pcm.size());
}
void EncodeInto(Enc& e, const FaceMsg& m)
{
    e.Begin("face", 5);
    e.OptStr("utt", m.Utt);
    e.Int("seq", m.Seq);
    e.Int("frame", m.Frame);
    e.Int("sample", m.Sample);
    e.w.Key("values");
    e.w.ArrayHeader(static_cast<uint32_t>(m.Values.size()));
    for (float v : m.Values) e.w.Float(v);
}
void EncodeInto(Enc& e, const MarkMsg& m)
{
    e.Begin("mark", 6);
    e.Str("utt", m.Utt);
    e.Str("kind", m.Kind);
    e.Int("sample", m.Sample);
    e.Int("end", m.End);
    e.Str("text", m.Text);
    e.OptStr("viseme", m.Viseme);
}
void EncodeInto(Enc& e, const UtteranceStartedMsg& m)
{
    e.Begin("utterance_started", 3);
    e.Str("utt", m.Utt);
    e.OptStr("reply_to", m.ReplyTo);
    e.Int("sample", m.Sample);
}
void EncodeInto(Enc& e, const UtteranceFinishedMsg& m)
{
    e.Begin("utterance_finished", 4);
    e.Str("utt", m.Utt);
    e.Int("sample", m.Sample);
    e.Int("samples", m.Samples);
    e.Int("inserted_silence", m.InsertedSilence);
}
void EncodeInto(Enc& e, const UtteranceCancelledMsg& m)
{
    e.Begin("utterance_cancelled", 6);
    e.Str("utt", m.Utt);
    e.OptStr("reply_to", m.ReplyTo);
    e.Str("reason", m.Reason);
    e.Int("sample", m.Sample);
    e.Int("samples", m.Samples);
    e.Int("inserted_silence", m.InsertedSilence);
}
void EncodeInto(Enc& e, const ErrorMsg& m)
{
    e.Begin("error", 3);
    e.OptStr("reply_to", m.ReplyTo);
    e.Str("code", m.Code);
    e.Str("message", m.Message);
}
void EncodeInto(Enc& e, const PongMsg& m)
{
    e.Begin("pong", 5);
    e.OptStr("reply_to", m.ReplyTo);
    e.Int("client_time_us", m.ClientTimeUs);
    e.Int("server_time_us", m.ServerTimeUs);
    e.Int("sample", m.Sample);
    e.OptInt("played", m.Played);
}

void EncodeInto(Enc& e, const WarningMsg& m)
{
    e.Begin("warning", 4);
    e.OptStr("reply_to", m.ReplyTo);
    e.OptStr("utt", m.Utt);
    e.Str("code", m.Code);
    e.Str("message", m.Message);
}
void EncodeInto(Enc& e, const MicMsg& m)
{
    e.Begin("mic", 4);
    e.OptStr("id", m.Id);
    e.Int("sample_rate", m.SampleRate);
    e.Int("channels", m.Channels);
    e.Bin("pcm", m.Pcm);
}
void EncodeInto(Enc& e, const LipsyncMsg& m)
{
    e.Begin("lipsync", 7);
    e.OptStr("id", m.Id);
    e.Str("utt", m.Utt);
    e.Int("sample_rate", m.SampleRate);
    e.Int("channels", m.Channels);
    e.Bin("pcm", m.Pcm);
    e.OptStr("text", m.Text);
    e.Bool("final", m.Final);
}
void EncodeInto(Enc& e, const PartnerSpeechStartedMsg& m) { e.Begin("partner_speech_started", 1); e.Int("sample", m.Sample); }
void EncodeInto(Enc& e, const PartnerSpeechStoppedMsg& m)
{
    e.Begin("partner_speech_stopped", 2);
    e.Int("sample", m.Sample);
    e.Int("samples", m.Samples);
}
void EncodeInto(Enc& e, const InterruptedMsg& m)
{
    e.Begin("interrupted", 8);
    e.Str("utt", m.Utt);
    e.OptStr("reply_to", m.ReplyTo);
    e.Int("sample", m.Sample);
    e.Int("samples_sent", m.SamplesSent);
    e.Int("samples_played", m.SamplesPlayed);
    e.StrList("words_spoken", m.WordsSpoken);
    e.Str("text_spoken", m.TextSpoken);
    e.Int("partner_sample", m.PartnerSample);
}
void EncodeInto(Enc& e, const MicEndMsg& m) { e.Begin("mic_end", 1); e.OptStr("id", m.Id); }
void EncodeInto(Enc& e, const PartnerTranscriptMsg& m)
{
    e.Begin("partner_transcript", 8);
    e.Str("text", m.Text);
    e.Int("start", m.Start);
    e.Int("end", m.End);
    e.Str("language", m.Language);
    e.w.Key("confidence"); e.w.Float(static_cast<float>(m.Confidence));
    e.Bool("final", m.Final);
    e.Str("model", m.Model);
    e.w.Key("words");
    e.w.ArrayHeader(static_cast<uint32_t>(m.Words.size()));
    for (const TranscriptWord& wd : m.Words) {
        e.w.MapHeader(3);
        e.Str("text", wd.Text);
        e.Int("start", wd.Start);
        e.Int("end", wd.End);
    }
}


template <class V, size_t... I>
void AddTypeNames(std::vector<const char*>& out, std::index_sequence<I...>)
{
    (out.push_back(TypeName(V(std::in_place_index<I>))), ...);
}

}  // namespace

const char* TypeName(const Message& msg)
{
    return std::visit(Overloaded{
        [](const HelloMsg&) { return "hello"; },
        [](const ConfigMsg&) { return "config"; },
        [](const SayMsg&) { return "say"; },
        [](const CancelMsg&) { return "cancel"; },
        [](const PingMsg&) { return "ping"; },
        [](const PlaybackMsg&) { return "playback"; },
        [](const MicMsg&) { return "mic"; },
        [](const LipsyncMsg&) { return "lipsync"; },
        [](const WelcomeMsg&) { return "welcome"; },
        [](const ConfiguredMsg&) { return "configured"; },
        [](const AudioMsg&) { return "audio"; },
        [](const FaceMsg&) { return "face"; },
        [](const MarkMsg&) { return "mark"; },
        [](const UtteranceStartedMsg&) { return "utterance_started"; },
        [](const UtteranceFinishedMsg&) { return "utterance_finished"; },
        [](const UtteranceCancelledMsg&) { return "utterance_cancelled"; },
        [](const ErrorMsg&) { return "error"; },
        [](const WarningMsg&) { return "warning"; },
        [](const PongMsg&) { return "pong"; },
        [](const PartnerSpeechStartedMsg&) { return "partner_speech_started"; },
        [](const PartnerSpeechStoppedMsg&) { return "partner_speech_stopped"; },
        [](const InterruptedMsg&) { return "interrupted"; },
        [](const MicEndMsg&) { return "mic_end"; },
        [](const PartnerTranscriptMsg&) { return "partner_transcript"; },
    }, msg);
}

const std::vector<const char*>& KnownTypes()
{
    // Each alternative of Message, by its wire name (a default-constructed one of each).
    static const std::vector<const char*> names = [] {
        std::vector<const char*> out;
        AddTypeNames<Message>(out, std::make_index_sequence<std::variant_size_v<Message>>());
        return out;
    }();
    return names;
}

std::vector<uint8_t> Encode(const Message& msg)
{
    std::vector<uint8_t> out;
    out.reserve(64);
    Enc e(out);
    std::visit([&e](const auto& m) { EncodeInto(e, m); }, msg);
    return out;
}


}  // namespace FacePlexCore
