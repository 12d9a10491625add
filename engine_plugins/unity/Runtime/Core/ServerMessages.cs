namespace FacePlex.Core
{
    /// <summary>One installed voice (<c>welcome.voice_catalog</c>, PROTOCOL.md §5).</summary>
    public sealed class VoiceInfo
    {
        /// <summary>The voice id, as <c>say.voice</c> and the <c>voice</c> setting take it.</summary>
        public string Id;
        /// <summary>BCP-47 language, e.g. "en-US", "es".</summary>
        public string Language;
        /// <summary>"female", "male" or null.</summary>
        public string Gender;
        /// <summary>e.g. "American", "British", or null.</summary>
        public string Accent;
        /// <summary>The voice's own sample rate, Hz (the daemon resamples to the session rate).</summary>
        public long SampleRate;
        /// <summary>"piper" or "kokoro".</summary>
        public string Engine;

        internal void Write(MsgPackWriter w)
        {
            w.WriteMapHeader(6);
            w.WriteString("id"); w.WriteString(Id);
            w.WriteString("language"); w.WriteString(Language);
            w.WriteString("gender"); w.WriteString(Gender);
            w.WriteString("accent"); w.WriteString(Accent);
            w.WriteString("sample_rate"); w.WriteInt(SampleRate);
            w.WriteString("engine"); w.WriteString(Engine);
        }

        internal static VoiceInfo Read(MsgPackReader r)
        {
            var v = new VoiceInfo();
            int n = r.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                switch (r.ReadString())
                {
                    case "id": v.Id = r.ReadString(); break;
                    case "language": v.Language = r.ReadString(); break;
                    case "gender": v.Gender = r.ReadStringOrNull(); break;
                    case "accent": v.Accent = r.ReadStringOrNull(); break;
                    case "sample_rate": v.SampleRate = r.ReadInt(); break;
                    case "engine": v.Engine = r.ReadString(); break;
                    default: r.Skip(); break;
                }
            }
            if (v.Id == null) throw new MsgPackException("voice_catalog entry without 'id'");
            return v;
        }

        /// <summary>Debug text.</summary>
        public override string ToString() { return Id + " (" + Language + ", " + (Gender ?? "?") + ", " + Engine + ")"; }
    }

    /// <summary>
    /// What the daemon can do with the models it found at start-up (<c>welcome.features</c>, the same object
    /// as the ready line's <c>features</c>; PROTOCOL.md §5). A request for a missing feature gets error
    /// <c>feature_unavailable</c>.
    /// </summary>
    public sealed class Features
    {
        /// <summary>Voice activity detection (needed by <c>mic</c>) is installed.</summary>
        public bool VadAvailable;
        /// <summary>Why VAD is missing and how to install it, or null.</summary>
        public string VadReason;
        /// <summary>The daemon can send <c>partner_transcript</c>.</summary>
        public bool TranscriptionAvailable;
        /// <summary>Installed transcription models, e.g. "tiny.en", "base".</summary>
        public string[] TranscriptionModels = new string[0];
        /// <summary>What the <c>transcription: "auto"</c> setting uses, or null.</summary>
        public string TranscriptionDefault;
        /// <summary>"pocketsphinx" when it stands in for a missing model, or null.</summary>
        public string TranscriptionFallback;

        internal void Write(MsgPackWriter w)
        {
            w.WriteMapHeader(2);
            w.WriteString("vad");
            w.WriteMapHeader(2);
            w.WriteString("available"); w.WriteBool(VadAvailable);
            w.WriteString("reason"); w.WriteString(VadReason);
            w.WriteString("transcription");
            w.WriteMapHeader(4);
            w.WriteString("available"); w.WriteBool(TranscriptionAvailable);
            w.WriteString("models"); FieldIO.WriteStrings(w, TranscriptionModels);
            w.WriteString("default"); w.WriteString(TranscriptionDefault);
            w.WriteString("fallback"); w.WriteString(TranscriptionFallback);
        }

        internal static Features Read(MsgPackReader r)
        {
            var f = new Features();
            int n = r.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                string key = r.ReadString();
                if (key != "vad" && key != "transcription") { r.Skip(); continue; }
                int m = r.ReadMapHeader();
                for (int k = 0; k < m; k++)
                {
                    string sub = r.ReadString();
                    if (sub == "available") { bool a = r.ReadBool(); if (key == "vad") f.VadAvailable = a; else f.TranscriptionAvailable = a; }
                    else if (key == "vad" && sub == "reason") f.VadReason = r.ReadStringOrNull();
                    else if (key == "transcription" && sub == "models") f.TranscriptionModels = FieldIO.ReadStrings(r);
                    else if (key == "transcription" && sub == "default") f.TranscriptionDefault = r.ReadStringOrNull();
                    else if (key == "transcription" && sub == "fallback") f.TranscriptionFallback = r.ReadStringOrNull();
                    else r.Skip();
                }
            }
            return f;
        }
    }

    /// <summary>
    /// <c>welcome</c>: the session is open; negotiated formats, channel names, settings, limits, the voices
    /// (<see cref="Voices"/> ids and <see cref="VoiceCatalog"/> details) and the daemon's <see cref="Features"/>.
    /// A welcome whose <see cref="Protocol"/> is not <see cref="ProtocolCheck.ClientProtocol"/> does not open the
    /// session (<see cref="ClientSession.IncompatibleDaemon"/>).
    /// </summary>
    public sealed class Welcome : Message
    {
        private static readonly string[] F = { "reply_to", "protocol", "session", "server", "audio", "face", "voices", "config", "limits",
                                               "voice_catalog", "features" };
        private static readonly int Req = Mask(F, "session", "server", "audio", "face", "voices", "config", "limits");
        /// <summary>The hello's id, or null.</summary>
        public string ReplyTo;
        /// <summary>Protocol major version.</summary>
        public long Protocol = 1;
        /// <summary>Session id.</summary>
        public string Session;
        /// <summary>"faceplex/VERSION".</summary>
        public string Server;
        /// <summary>Negotiated audio format (sample rate in Hz).</summary>
        public AudioFormat Audio = new AudioFormat();
        /// <summary>Face frames per second.</summary>
        public long Fps;
        /// <summary>Names of the values of every face frame, in wire order (59 in v1).</summary>
        public string[] Channels = new string[0];
        /// <summary>Voices the daemon has.</summary>
        public string[] Voices = new string[0];
        /// <summary>Effective session settings.</summary>
        public MsgMap Config = new MsgMap();
        /// <summary>Daemon limits.</summary>
        public Limits Limits = new Limits();
        /// <summary>Details of the installed voices (empty from a daemon older than the catalogue).</summary>
        public VoiceInfo[] VoiceCatalog = new VoiceInfo[0];
        /// <summary>What the daemon can do, or null from a daemon that does not say.</summary>
        public Features Features;

        public override string Type { get { return "welcome"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(ReplyTo); break;
                case 1: w.WriteInt(Protocol); break;
                case 2: w.WriteString(Session); break;
                case 3: w.WriteString(Server); break;
                case 4: Audio.Write(w); break;
                case 5:
                    w.WriteMapHeader(2);
                    w.WriteString("fps"); w.WriteInt(Fps);
                    w.WriteString("channels"); FieldIO.WriteStrings(w, Channels);
                    break;
                case 6: FieldIO.WriteStrings(w, Voices); break;
                case 7: Settings.Write(w, Config); break;
                case 8: Limits.Write(w); break;
                case 9:
                    w.WriteArrayHeader(VoiceCatalog.Length);
                    foreach (var v in VoiceCatalog) v.Write(w);
                    break;
                default: if (Features == null) w.WriteNil(); else Features.Write(w); break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: ReplyTo = r.ReadStringOrNull(); break;
                case 1: Protocol = r.ReadInt(); break;
                case 2: Session = r.ReadString(); break;
                case 3: Server = r.ReadString(); break;
                case 4: Audio = AudioFormat.Read(r); break;
                case 5:
                    int n = r.ReadMapHeader();
                    for (int k = 0; k < n; k++)
                    {
                        switch (r.ReadString())
                        {
                            case "fps": Fps = r.ReadInt(); break;
                            case "channels": Channels = FieldIO.ReadStrings(r); break;
                            default: r.Skip(); break;
                        }
                    }
                    break;
                case 6: Voices = FieldIO.ReadStrings(r); break;
                case 7: Config = FieldIO.ReadMap(r); break;
                case 8: Limits = Limits.Read(r); break;
                case 9:
                    if (r.TryReadNil()) { VoiceCatalog = new VoiceInfo[0]; break; }
                    int count = r.ReadArrayHeader();
                    VoiceCatalog = new VoiceInfo[count];
                    for (int k = 0; k < count; k++) VoiceCatalog[k] = VoiceInfo.Read(r);
                    break;
                default: Features = r.TryReadNil() ? null : Features.Read(r); break;
            }
        }
    }

    /// <summary><c>configured</c>: the full effective settings after a config.</summary>
    public sealed class Configured : Message
    {
        private static readonly string[] F = { "reply_to", "config" };
        private static readonly int Req = Mask(F, "config");
        /// <summary>The config's id, or null.</summary>
        public string ReplyTo;
        /// <summary>Full effective settings.</summary>
        public MsgMap Config = new MsgMap();

        public override string Type { get { return "configured"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }
        internal override void WriteField(int i, MsgPackWriter w) { if (i == 0) w.WriteString(ReplyTo); else Settings.Write(w, Config); }
        internal override void ReadField(int i, MsgPackReader r) { if (i == 0) ReplyTo = r.ReadStringOrNull(); else Config = FieldIO.ReadMap(r); }
    }

    /// <summary><c>audio</c>: a chunk of speech, mono PCM16LE; its first sample sits at timeline <see cref="Sample"/>.</summary>
    public sealed class AudioChunk : Message
    {
        private static readonly string[] F = { "utt", "seq", "sample", "pcm" };
        private static readonly int Req = Mask(F, "utt", "seq", "sample", "pcm");
        /// <summary>Utterance id.</summary>
        public string Utt;
        /// <summary>Per-session chunk counter, from 0.</summary>
        public long Seq;
        /// <summary>Timeline position of the first sample, in samples.</summary>
        public long Sample;
        /// <summary>PCM16LE bytes; Pcm.Length / 2 samples.</summary>
        public byte[] Pcm = new byte[0];

        /// <summary>Number of samples in the chunk.</summary>
        public int SampleCount { get { return Pcm.Length / 2; } }

        public override string Type { get { return "audio"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(Utt); break;
                case 1: w.WriteInt(Seq); break;
                case 2: w.WriteInt(Sample); break;
                default: w.WriteBin(Pcm); break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: Utt = r.ReadString(); break;
                case 1: Seq = r.ReadInt(); break;
                case 2: Sample = r.ReadInt(); break;
                default: Pcm = r.ReadBin(); break;
            }
        }
    }

    /// <summary><c>face</c>: one face frame; frame n sits at timeline sample floor(n * sample_rate / fps).</summary>
    public sealed class FaceFrame : Message
    {
        private static readonly string[] F = { "utt", "seq", "frame", "sample", "values" };
        private static readonly int Req = Mask(F, "seq", "frame", "sample", "values");
        /// <summary>Utterance this frame animates, or null for idle frames.</summary>
        public string Utt;
        /// <summary>Equals <see cref="Frame"/>.</summary>
        public long Seq;
        /// <summary>Frame number.</summary>
        public long Frame;
        /// <summary>Timeline position in samples.</summary>
        public long Sample;
        /// <summary>One value per welcome channel: weights in [0,1], rotations in radians.</summary>
        public float[] Values = new float[0];

        public override string Type { get { return "face"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(Utt); break;
                case 1: w.WriteInt(Seq); break;
                case 2: w.WriteInt(Frame); break;
                case 3: w.WriteInt(Sample); break;
                default:
                    w.WriteArrayHeader(Values.Length);
                    for (int k = 0; k < Values.Length; k++) w.WriteFloat(Values[k]);
                    break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: Utt = r.ReadStringOrNull(); break;
                case 1: Seq = r.ReadInt(); break;
                case 2: Frame = r.ReadInt(); break;
                case 3: Sample = r.ReadInt(); break;
                default:
                    int n = r.ReadArrayHeader();
                    Values = new float[n];
                    for (int k = 0; k < n; k++) Values[k] = r.ReadFloat();
                    break;
            }
        }
    }

    /// <summary><c>mark</c>: a word or phoneme spanning timeline samples [Sample, End).</summary>
    public sealed class Mark : Message
    {
        private static readonly string[] F = { "utt", "kind", "sample", "end", "text", "viseme" };
        private static readonly int Req = Mask(F, "utt", "kind", "sample", "end", "text");
        /// <summary>Utterance id.</summary>
        public string Utt;
        /// <summary>"word" or "phoneme".</summary>
        public string Kind;
        /// <summary>Start, in samples.</summary>
        public long Sample;
        /// <summary>End (exclusive), in samples.</summary>
        public long End;
        /// <summary>The word, or the phoneme (espeak-ng IPA; "_" is a pause).</summary>
        public string Text;
        /// <summary>OVRLipSync-15 viseme for phonemes, null for words.</summary>
        public string Viseme;

        public override string Type { get { return "mark"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(Utt); break;
                case 1: w.WriteString(Kind); break;
                case 2: w.WriteInt(Sample); break;
                case 3: w.WriteInt(End); break;
                case 4: w.WriteString(Text); break;
                default: w.WriteString(Viseme); break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: Utt = r.ReadString(); break;
                case 1: Kind = r.ReadString(); break;
                case 2: Sample = r.ReadInt(); break;
                case 3: End = r.ReadInt(); break;
                case 4: Text = r.ReadString(); break;
                default: Viseme = r.ReadStringOrNull(); break;
            }
        }
    }

    /// <summary><c>utterance_started</c>: the utterance's first audio sample sits at <see cref="Sample"/>.</summary>
    public sealed class UtteranceStarted : Message
    {
        private static readonly string[] F = { "utt", "reply_to", "sample" };
        private static readonly int Req = Mask(F, "utt", "sample");
        /// <summary>Utterance id.</summary>
        public string Utt;
        /// <summary>Id of the say that opened it, or null.</summary>
        public string ReplyTo;
        /// <summary>Timeline position of the first audio sample.</summary>
        public long Sample;

        public override string Type { get { return "utterance_started"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            if (i == 0) w.WriteString(Utt); else if (i == 1) w.WriteString(ReplyTo); else w.WriteInt(Sample);
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            if (i == 0) Utt = r.ReadString(); else if (i == 1) ReplyTo = r.ReadStringOrNull(); else Sample = r.ReadInt();
        }
    }

    /// <summary><c>utterance_finished</c>: all audio sent; the utterance spans [Sample - Samples, Sample).</summary>
    public sealed class UtteranceFinished : Message
    {
        private static readonly string[] F = { "utt", "sample", "samples", "inserted_silence" };
        private static readonly int Req = Mask(F, "utt", "sample", "samples");
        /// <summary>Utterance id.</summary>
        public string Utt;
        /// <summary>End (exclusive) on the timeline, in samples.</summary>
        public long Sample;
        /// <summary>Length in samples.</summary>
        public long Samples;
        /// <summary>Samples of silence the daemon inserted because synthesis or appended text came late (§6); 0 if none.</summary>
        public long InsertedSilence;

        public override string Type { get { return "utterance_finished"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            if (i == 0) w.WriteString(Utt); else w.WriteInt(i == 1 ? Sample : i == 2 ? Samples : InsertedSilence);
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            if (i == 0) Utt = r.ReadString(); else if (i == 1) Sample = r.ReadInt(); else if (i == 2) Samples = r.ReadInt();
            else InsertedSilence = r.ReadInt();
        }
    }

    /// <summary><c>utterance_cancelled</c>: stopped; <see cref="Sample"/> is the first sample NOT sent.</summary>
    public sealed class UtteranceCancelled : Message
    {
        private static readonly string[] F = { "utt", "reply_to", "reason", "sample", "samples", "inserted_silence" };
        private static readonly int Req = Mask(F, "utt", "reason", "sample", "samples");
        /// <summary>Utterance id.</summary>
        public string Utt;
        /// <summary>Id of the cancel that caused it, or null.</summary>
        public string ReplyTo;
        /// <summary>client | client_too_slow | error | shutdown | interrupted | empty (PROTOCOL.md §5).</summary>
        public string Reason;
        /// <summary>First timeline sample not sent.</summary>
        public long Sample;
        /// <summary>Samples of this utterance that were sent.</summary>
        public long Samples;
        /// <summary>Samples of silence the daemon inserted into it (§6); 0 if none.</summary>
        public long InsertedSilence;

        public override string Type { get { return "utterance_cancelled"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(Utt); break;
                case 1: w.WriteString(ReplyTo); break;
                case 2: w.WriteString(Reason); break;
                case 3: w.WriteInt(Sample); break;
                case 4: w.WriteInt(Samples); break;
                default: w.WriteInt(InsertedSilence); break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: Utt = r.ReadString(); break;
                case 1: ReplyTo = r.ReadStringOrNull(); break;
                case 2: Reason = r.ReadString(); break;
                case 3: Sample = r.ReadInt(); break;
                case 4: Samples = r.ReadInt(); break;
                default: InsertedSilence = r.ReadInt(); break;
            }
        }
    }

    /// <summary><c>error</c>: caused by the client message whose id is <see cref="ReplyTo"/>; never closes the session.</summary>
    public sealed class ErrorMessage : Message
    {
        private static readonly string[] F = { "reply_to", "code", "message" };
        private static readonly int Req = Mask(F, "code", "message");
        /// <summary>Id of the offending client message, or null.</summary>
        public string ReplyTo;
        /// <summary>Error code (PROTOCOL.md §5, e.g. "unknown_utterance").</summary>
        public string Code;
        /// <summary>Human-readable text.</summary>
        public string Text;

        public override string Type { get { return "error"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }
        internal override void WriteField(int i, MsgPackWriter w) { w.WriteString(i == 0 ? ReplyTo : i == 1 ? Code : Text); }

        internal override void ReadField(int i, MsgPackReader r)
        {
            if (i == 0) ReplyTo = r.ReadStringOrNull(); else if (i == 1) Code = r.ReadString(); else Text = r.ReadString();
        }

        public override string ToString() { return "<error " + Code + ": " + Text + ">"; }
    }

    /// <summary><c>pong</c>: answer to ping: both clocks (µs) and the daemon's media clock (samples).</summary>
    public sealed class Pong : Message
    {
        private static readonly string[] F = { "reply_to", "client_time_us", "server_time_us", "sample", "played" };
        private static readonly int Req = Mask(F, "client_time_us", "server_time_us", "sample");
        /// <summary>The ping's id, or null.</summary>
        public string ReplyTo;
        /// <summary>Echo of the ping's client clock, µs.</summary>
        public long ClientTimeUs;
        /// <summary>Daemon clock, µs.</summary>
        public long ServerTimeUs;
        /// <summary>Daemon media clock on the timeline, in samples.</summary>
        public long Sample;
        /// <summary>Highest playback position the client reported (samples), null before any <c>playback</c>.</summary>
        public long? Played;

        public override string Type { get { return "pong"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(ReplyTo); break;
                case 1: w.WriteInt(ClientTimeUs); break;
                case 2: w.WriteInt(ServerTimeUs); break;
                case 3: w.WriteInt(Sample); break;
                default: w.WriteInt(Played); break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: ReplyTo = r.ReadStringOrNull(); break;
                case 1: ClientTimeUs = r.ReadInt(); break;
                case 2: ServerTimeUs = r.ReadInt(); break;
                case 3: Sample = r.ReadInt(); break;
                default: Played = r.ReadIntOrNull(); break;
            }
        }
    }

    /// <summary>A message whose type this version does not know; kept as a raw map (clients may ignore it).</summary>
    public sealed class UnknownMessage : Message
    {
        private static readonly string[] F = new string[0];
        private readonly string _type;
        /// <summary>The whole message as a dynamic map.</summary>
        public MsgMap Raw;

        /// <summary>Creates it for a type name.</summary>
        public UnknownMessage(string type, MsgMap raw) { _type = type; Raw = raw; }

        public override string Type { get { return _type; } }
        internal override string[] Fields { get { return F; } }
        internal override void WriteField(int i, MsgPackWriter w) { }
        internal override void ReadField(int i, MsgPackReader r) { r.Skip(); }
    }
}
