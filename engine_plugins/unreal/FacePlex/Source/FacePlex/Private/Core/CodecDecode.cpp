// FacePlex core codec, decoding side: msgpack bytes -> Message. Accepts any valid msgpack (float64,
// any int width, any key order); unknown keys are ignored; a wrong field type is invalid_field.
#include "Codec.h"

namespace FacePlexCore {

namespace {

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
    void Number(const char* key, double& out)
    {
        const MsgValue* v = Required(key);
        if (!v) return;
        if (v->IsNumber()) out = v->AsNumber(); else Bad(key, "a number");
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

/** The full-duplex messages (PROTOCOL.md §11). */
bool DecodeDuplex(const MsgValue& map, const std::string& type, Message& out, std::string& err, bool& known)
{
    Fields f(map, err);
    if (type == "mic") {
        MicMsg m;
        f.OptStr("id", m.Id);
        f.Int("sample_rate", m.SampleRate);
        f.Int("channels", m.Channels);
        f.Bin("pcm", m.Pcm);
        out = std::move(m);
    } else if (type == "lipsync") {
        LipsyncMsg m;
        f.OptStr("id", m.Id);
        f.Str("utt", m.Utt);
        f.Int("sample_rate", m.SampleRate);
        f.Int("channels", m.Channels);
        f.Bin("pcm", m.Pcm);
        f.OptStr("text", m.Text);
        f.Bool("final", m.Final);
        out = std::move(m);
    } else if (type == "partner_speech_started") {
        PartnerSpeechStartedMsg m;
        f.Int("sample", m.Sample);
        out = std::move(m);
    } else if (type == "partner_speech_stopped") {
        PartnerSpeechStoppedMsg m;
        f.Int("sample", m.Sample);
        f.Int("samples", m.Samples);
        out = std::move(m);
    } else if (type == "interrupted") {
        InterruptedMsg m;
        f.Str("utt", m.Utt);
        f.OptStr("reply_to", m.ReplyTo);
        f.Int("sample", m.Sample);
        f.Int("samples_sent", m.SamplesSent);
        f.Int("samples_played", m.SamplesPlayed);
        f.StrList("words_spoken", m.WordsSpoken);
        f.Str("text_spoken", m.TextSpoken);
        f.Int("partner_sample", m.PartnerSample);
        out = std::move(m);
    } else if (type == "mic_end") {
        MicEndMsg m;
        f.OptStr("id", m.Id);
        out = std::move(m);
    } else if (type == "partner_transcript") {
        PartnerTranscriptMsg m;
        f.Str("text", m.Text);
        f.Int("start", m.Start);
        f.Int("end", m.End);
        f.Str("language", m.Language);
        f.Number("confidence", m.Confidence);
        if (!map.Find("final") && err.empty()) err = "final: field required";
        f.Bool("final", m.Final);
        f.Str("model", m.Model);
        if (const MsgValue* words = map.Find("words"); words && !words->IsNil()) {
            if (!words->IsArray()) { if (err.empty()) err = "words: must be an array of maps"; }
            else {
                for (size_t i = 0; i < words->Items().size() && err.empty(); ++i) {
                    const MsgValue& item = words->Items()[i];
                    if (!item.IsMap()) { err = "words: must be an array of maps"; break; }
                    TranscriptWord wd;
                    Fields wf(item, err, "words[" + std::to_string(i) + "].");
                    wf.Str("text", wd.Text);
                    wf.Int("start", wd.Start);
                    wf.Int("end", wd.End);
                    m.Words.push_back(std::move(wd));
                }
            }
        }
        out = std::move(m);
    } else {
        known = false;
        return false;
    }
    return err.empty();
}

/** welcome.voice_catalog and welcome.features (absent or nil: an older v1 daemon, PROTOCOL.md §9). */
void ReadWelcomeAdditions(const MsgValue& map, WelcomeMsg& m, std::string& err)
{
    if (const MsgValue* cat = map.Find("voice_catalog"); cat && !cat->IsNil()) {
        if (!cat->IsArray()) { if (err.empty()) err = "voice_catalog: must be an array of maps"; return; }
        for (size_t i = 0; i < cat->Items().size() && err.empty(); ++i) {
            const MsgValue& item = cat->Items()[i];
            if (!item.IsMap()) { err = "voice_catalog: must be an array of maps"; return; }
            VoiceInfo v;
            Fields vf(item, err, "voice_catalog[" + std::to_string(i) + "].");
            vf.Str("id", v.Id);
            vf.Str("language", v.Language);
            vf.OptStr("gender", v.Gender);
            vf.OptStr("accent", v.Accent);
            vf.Int("sample_rate", v.SampleRate);
            vf.Str("engine", v.Engine);
            m.VoiceCatalog.push_back(std::move(v));
        }
    }
    const MsgValue* feat = map.Find("features");
    if (!feat || feat->IsNil()) return;
    if (!feat->IsMap()) { if (err.empty()) err = "features: must be a map or nil"; return; }
    Features f;
    Fields ff(*feat, err, "features.");
    if (const MsgValue* vad = ff.Sub("vad", true)) {
        Fields vf(*vad, err, "features.vad.");
        vf.Bool("available", f.VadAvailable);
        vf.OptStr("reason", f.VadReason);
    }
    if (const MsgValue* tr = ff.Sub("transcription", true)) {
        Fields tf(*tr, err, "features.transcription.");
        tf.Bool("available", f.TranscriptionAvailable);
        if (tr->Find("models")) tf.StrList("models", f.TranscriptionModels);
        tf.OptStr("default", f.TranscriptionDefault);
        tf.OptStr("fallback", f.TranscriptionFallback);
    }
    m.DaemonFeatures = std::move(f);
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
        f.OptStr("token", m.Token);
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
                sf.OptStr("emotion", s.Emotion);
                sf.OptFloat("emotion_intensity", s.EmotionIntensity);
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
        f.MapValue("limits", m.Limits, true);
        ReadWelcomeAdditions(map, m, err);
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
        f.Int("inserted_silence", m.InsertedSilence, false);
        out = std::move(m);
    } else if (type == "utterance_cancelled") {
        UtteranceCancelledMsg m;
        f.Str("utt", m.Utt);
        f.OptStr("reply_to", m.ReplyTo);
        f.Str("reason", m.Reason);
        f.Int("sample", m.Sample);
        f.Int("samples", m.Samples);
        f.Int("inserted_silence", m.InsertedSilence, false);
        out = std::move(m);
    } else if (type == "error") {
        ErrorMsg m;
        f.OptStr("reply_to", m.ReplyTo);
        f.Str("code", m.Code);
        f.Str("message", m.Message);
        out = std::move(m);
    } else if (type == "warning") {
        WarningMsg m;
        f.OptStr("reply_to", m.ReplyTo);
        f.OptStr("utt", m.Utt);
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
        return DecodeDuplex(map, type, out, err, known);
    }
    return err.empty();
}

bool IsClientType(const std::string& t)
{
    return t == "hello" || t == "config" || t == "say" || t == "cancel" || t == "ping" || t == "playback" ||
           t == "mic" || t == "mic_end" || t == "lipsync";
}

}  // namespace

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
