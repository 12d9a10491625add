#include "Codec.h"

#include <cstring>

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
    e.Begin("hello", 5);
    e.OptStr("id", m.Id);
    e.Int("protocol", m.Protocol);
    e.Audio(m.Audio);
    e.w.Key("face"); e.w.MapHeader(1); e.Int("fps", m.Fps);
    e.OptStr("client", m.Client);
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
        e.w.MapHeader(2);
        e.OptFloat("speed", m.StyleOverride->Speed);
        e.OptFloat("expressiveness", m.StyleOverride->Expressiveness);
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
    e.Begin("welcome", 9);
    e.OptStr("reply_to", m.ReplyTo);
    e.Int("protocol", m.Protocol);
    e.Str("session", m.Session);
    e.Str("server", m.Server);
    e.Audio(m.Audio);
    e.w.Key("face"); e.w.MapHeader(2); e.Int("fps", m.Fps); e.StrList("channels", m.Channels);
    e.StrList("voices", m.Voices);
    e.Value("config", m.Config);
    e.w.Key("limits");
    e.w.MapHeader(4);
    e.Int("max_message_bytes", m.SessionLimits.MaxMessageBytes);
    e.Int("max_text_chars", m.SessionLimits.MaxTextChars);
    e.Int("max_pending_chars", m.SessionLimits.MaxPendingChars);
    e.Int("max_queued_utterances", m.SessionLimits.MaxQueuedUtterances);
}
void EncodeInto(Enc& e, const ConfiguredMsg& m) { e.Begin("configured", 2); e.OptStr("reply_to", m.ReplyTo); e.Value("config", m.Config); }
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
    e.Begin("utterance_finished", 3);
    e.Str("utt", m.Utt);
    e.Int("sample", m.Sample);
    e.Int("samples", m.Samples);
}
void EncodeInto(Enc& e, const UtteranceCancelledMsg& m)
{
    e.Begin("utterance_cancelled", 5);
    e.Str("utt", m.Utt);
    e.OptStr("reply_to", m.ReplyTo);
    e.Str("reason", m.Reason);
    e.Int("sample", m.Sample);
    e.Int("samples", m.Samples);
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

// ------------------------------------------------------------------ decoding
/** Reads typed fields from one map; remembers the first problem (-> invalid_field). */
class Fields {
public:
    Fields(const MsgValue& map, std::string& error, std::string prefix = "")
        : map_(map), error_(error), prefix_(std::move(prefix)) {}

    bool Ok() const { return error_.empty(); }

    void Str(const char* key, std::string& out)
    {
        const MsgValue* v = Required(key);
        if (!v) return;
        if (v->IsStr()) out = v->AsStr(); else Bad(key, "a str");
    }
    void OptStr(const char* key, std::optional<std::string>& out)
    {
        const MsgValue* v = map_.Find(key);
        if (!v || v->IsNil()) { out.reset(); return; }
        if (v->IsStr()) out = v->AsStr(); else Bad(key, "a str or nil");
    }
    /** `required=false`: an absent key keeps `out`'s default. */
    void Int(const char* key, int64_t& out, bool required = true)
    {
        const MsgValue* v = required ? Required(key) : map_.Find(key);
        if (!v) return;
        if (v->IsInt()) out = v->AsInt(); else Bad(key, "an int");
    }
    void OptInt(const char* key, std::optional<int64_t>& out)
    {
        const MsgValue* v = map_.Find(key);
        if (!v || v->IsNil()) { out.reset(); return; }
        if (v->IsInt()) out = v->AsInt(); else Bad(key, "an int or nil");
    }
    void OptFloat(const char* key, std::optional<double>& out)
    {
        const MsgValue* v = map_.Find(key);
        if (!v || v->IsNil()) { out.reset(); return; }
        if (v->IsNumber()) out = v->AsNumber(); else Bad(key, "a number or nil");
    }
    void Bool(const char* key, bool& out)
    {
        const MsgValue* v = map_.Find(key);
        if (!v) return;
        if (v->IsBool()) out = v->AsBool(); else Bad(key, "a bool");
    }
    void Bin(const char* key, std::vector<uint8_t>& out)
    {
        const MsgValue* v = Required(key);
        if (!v) return;
        if (v->IsBin()) out = v->AsBin(); else Bad(key, "bin");
    }
    void MapValue(const char* key, MsgValue& out, bool required)
    {
        const MsgValue* v = required ? Required(key) : map_.Find(key);
        if (!v) return;
        if (v->IsMap()) out = *v; else Bad(key, "a map");
    }
    void StrList(const char* key, std::vector<std::string>& out)
    {
        const MsgValue* v = Required(key);
        if (!v) return;
        if (!v->IsArray()) { Bad(key, "an array of str"); return; }
        out.clear();
        for (const auto& item : v->Items()) {
            if (!item.IsStr()) { Bad(key, "an array of str"); return; }
            out.push_back(item.AsStr());
        }
    }
    void FloatList(const char* key, std::vector<float>& out)
    {
        const MsgValue* v = Required(key);
        if (!v) return;
        if (!v->IsArray()) { Bad(key, "an array of numbers"); return; }
        out.resize(v->Items().size());
        for (size_t i = 0; i < out.size(); ++i) {
            const MsgValue& item = v->Items()[i];
            if (!item.IsNumber()) { Bad(key, "an array of numbers"); return; }
            out[i] = static_cast<float>(item.AsNumber());
        }
    }
    /** A nested map (absent keeps defaults unless required); nullptr when absent or wrong. */
    const MsgValue* Sub(const char* key, bool required)
    {
        const MsgValue* v = required ? Required(key) : map_.Find(key);
        if (!v) return nullptr;
        if (!v->IsMap()) { Bad(key, "a map"); return nullptr; }
        return v;
    }
    std::string Path(const char* key) const { return prefix_ + key; }

private:
    const MsgValue* Required(const char* key)
    {
        const MsgValue* v = map_.Find(key);
        if (!v && error_.empty()) error_ = Path(key) + ": field required";
        return v;
    }
    void Bad(const char* key, const char* what)
    {
        if (error_.empty()) error_ = Path(key) + ": must be " + what;
    }
    const MsgValue& map_;
    std::string& error_;
    std::string prefix_;
};

void ReadAudioFormat(Fields& f, const char* key, AudioFormat& out, bool required, std::string& err)
{
    if (const MsgValue* sub = f.Sub(key, required)) {
        Fields a(*sub, err, f.Path(key) + ".");
        a.Int("sample_rate", out.SampleRate, false);
        a.Int("channels", out.Channels, false);
        std::optional<std::string> fmt;
        a.OptStr("format", fmt);
        if (fmt) out.Format = *fmt;
    }
}

bool DecodeFields(const MsgValue& map, const std::string& type, Message& out, std::string& err, bool& known)
{
    known = true;
    Fields f(map, err);
    if (type == "hello") {
        HelloMsg m;
        f.OptStr("id", m.Id);
        f.Int("protocol", m.Protocol, false);
        ReadAudioFormat(f, "audio", m.Audio, false, err);
        if (const MsgValue* face = f.Sub("face", false)) { Fields ff(*face, err, "face."); ff.Int("fps", m.Fps, false); }
        f.OptStr("client", m.Client);
        out = std::move(m);
    } else if (type == "config") {
        ConfigMsg m;
        f.OptStr("id", m.Id);
        f.MapValue("settings", m.Settings, false);
        out = std::move(m);
    } else if (type == "say") {
        SayMsg m;
        f.OptStr("id", m.Id);
        f.Str("utt", m.Utt);
        f.Str("text", m.Text);
        f.Bool("append", m.Append);
        f.Bool("final", m.Final);
        f.OptStr("voice", m.Voice);
        const MsgValue* style = map.Find("style");
        if (style && !style->IsNil()) {
            if (!style->IsMap()) { if (err.empty()) err = "style: must be a map or nil"; }
            else {
                Style s;
                Fields sf(*style, err, "style.");
                sf.OptFloat("speed", s.Speed);
                sf.OptFloat("expressiveness", s.Expressiveness);
                m.StyleOverride = s;
            }
        }
        out = std::move(m);
    } else if (type == "cancel") {
        CancelMsg m;
        f.OptStr("id", m.Id);
        f.OptStr("utt", m.Utt);
        out = std::move(m);
    } else if (type == "ping") {
        PingMsg m;
        f.OptStr("id", m.Id);
        f.Int("client_time_us", m.ClientTimeUs);
        out = std::move(m);
    } else if (type == "playback") {
        PlaybackMsg m;
        f.OptStr("id", m.Id);
        f.OptStr("utt", m.Utt);
        f.Int("sample", m.Sample);
        f.Int("client_time_us", m.ClientTimeUs);
        out = std::move(m);
    } else if (type == "welcome") {
        WelcomeMsg m;
        f.OptStr("reply_to", m.ReplyTo);
        f.Int("protocol", m.Protocol, false);
        f.Str("session", m.Session);
        f.Str("server", m.Server);
        ReadAudioFormat(f, "audio", m.Audio, true, err);
        if (const MsgValue* face = f.Sub("face", true)) {
            Fields ff(*face, err, "face.");
            ff.Int("fps", m.Fps);
            ff.StrList("channels", m.Channels);
        }
        f.StrList("voices", m.Voices);
        f.MapValue("config", m.Config, true);
        if (const MsgValue* lim = f.Sub("limits", true)) {
            Fields lf(*lim, err, "limits.");
            lf.Int("max_message_bytes", m.SessionLimits.MaxMessageBytes);
            lf.Int("max_text_chars", m.SessionLimits.MaxTextChars);
            lf.Int("max_pending_chars", m.SessionLimits.MaxPendingChars);
            lf.Int("max_queued_utterances", m.SessionLimits.MaxQueuedUtterances);
        }
        out = std::move(m);
    } else if (type == "configured") {
        ConfiguredMsg m;
        f.OptStr("reply_to", m.ReplyTo);
        f.MapValue("config", m.Config, true);
        out = std::move(m);
    } else if (type == "audio") {
        AudioMsg m;
        f.Str("utt", m.Utt);
        f.Int("seq", m.Seq);
        f.Int("sample", m.Sample);
        f.Bin("pcm", m.Pcm);
        out = std::move(m);
    } else if (type == "face") {
        FaceMsg m;
        f.OptStr("utt", m.Utt);
        f.Int("seq", m.Seq);
        f.Int("frame", m.Frame);
        f.Int("sample", m.Sample);
        f.FloatList("values", m.Values);
        out = std::move(m);
    } else if (type == "mark") {
        MarkMsg m;
        f.Str("utt", m.Utt);
        f.Str("kind", m.Kind);
        f.Int("sample", m.Sample);
        f.Int("end", m.End);
        f.Str("text", m.Text);
        f.OptStr("viseme", m.Viseme);
        if (err.empty() && m.Kind != "word" && m.Kind != "phoneme") err = "kind: must be 'word' or 'phoneme'";
        out = std::move(m);
    } else if (type == "utterance_started") {
        UtteranceStartedMsg m;
        f.Str("utt", m.Utt);
        f.OptStr("reply_to", m.ReplyTo);
        f.Int("sample", m.Sample);
        out = std::move(m);
    } else if (type == "utterance_finished") {
        UtteranceFinishedMsg m;
        f.Str("utt", m.Utt);
        f.Int("sample", m.Sample);
        f.Int("samples", m.Samples);
        out = std::move(m);
    } else if (type == "utterance_cancelled") {
        UtteranceCancelledMsg m;
        f.Str("utt", m.Utt);
        f.OptStr("reply_to", m.ReplyTo);
        f.Str("reason", m.Reason);
        f.Int("sample", m.Sample);
        f.Int("samples", m.Samples);
        out = std::move(m);
    } else if (type == "error") {
        ErrorMsg m;
        f.OptStr("reply_to", m.ReplyTo);
        f.Str("code", m.Code);
        f.Str("message", m.Message);
        out = std::move(m);
    } else if (type == "pong") {
        PongMsg m;
        f.OptStr("reply_to", m.ReplyTo);
        f.Int("client_time_us", m.ClientTimeUs);
        f.Int("server_time_us", m.ServerTimeUs);
        f.Int("sample", m.Sample);
        f.OptInt("played", m.Played);
        out = std::move(m);
    } else {
        known = false;
        return false;
    }
    return err.empty();
}

bool IsClientType(const std::string& t)
{
    return t == "hello" || t == "config" || t == "say" || t == "cancel" || t == "ping" || t == "playback";
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
        [](const WelcomeMsg&) { return "welcome"; },
        [](const ConfiguredMsg&) { return "configured"; },
        [](const AudioMsg&) { return "audio"; },
        [](const FaceMsg&) { return "face"; },
        [](const MarkMsg&) { return "mark"; },
        [](const UtteranceStartedMsg&) { return "utterance_started"; },
        [](const UtteranceFinishedMsg&) { return "utterance_finished"; },
        [](const UtteranceCancelledMsg&) { return "utterance_cancelled"; },
        [](const ErrorMsg&) { return "error"; },
        [](const PongMsg&) { return "pong"; },
    }, msg);
}

std::vector<uint8_t> Encode(const Message& msg)
{
    std::vector<uint8_t> out;
    out.reserve(64);
    Enc e(out);
    std::visit([&e](const auto& m) { EncodeInto(e, m); }, msg);
    return out;
}

DecodeResult Decode(const uint8_t* data, size_t size, Direction direction)
{
    DecodeResult r;
    MsgParseResult parsed = ParseMsgPack(data, size);
    if (!parsed.ok) {
        r.ErrorCode = "malformed_msgpack";
        r.ErrorMessage = "not valid msgpack (" + parsed.error + ")";
        return r;
    }
    const MsgValue& map = parsed.value;
    if (!map.IsMap()) {
        r.ErrorCode = "malformed_message";
        r.ErrorMessage = "a message must be a msgpack map";
        return r;
    }
    const MsgValue* id = map.Find("id");
    if (id && id->IsStr()) r.ReplyTo = id->AsStr();
    const MsgValue* type = map.Find("type");
    if (!type || !type->IsStr()) {
        r.ErrorCode = "malformed_message";
        r.ErrorMessage = "a message needs a string 'type' field";
        return r;
    }
    const std::string& t = type->AsStr();
    const bool wrongSide = (direction == Direction::ClientToDaemon && !IsClientType(t)) ||
                           (direction == Direction::DaemonToClient && IsClientType(t));
    std::string err;
    bool known = false;
    if (!wrongSide && DecodeFields(map, t, r.Msg, err, known)) {
        r.Ok = true;
        return r;
    }
    if (wrongSide || !known) {
        r.ErrorCode = "unknown_type";
        r.ErrorMessage = "unknown message type '" + t + "'";
    } else {
        r.ErrorCode = "invalid_field";
        r.ErrorMessage = t + ": " + err;
    }
    return r;
}

}  // namespace FacePlexCore
