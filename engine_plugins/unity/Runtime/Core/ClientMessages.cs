namespace FacePlex.Core
{
    /// <summary><c>hello</c>: first message of a session; protocol version and wanted formats.</summary>
    public sealed class Hello : Message
    {
        private static readonly string[] F = { "id", "protocol", "audio", "face", "client", "token" };
        /// <summary>Request id (answers carry it as reply_to), or null.</summary>
        public string Id;
        /// <summary>Protocol major version (1).</summary>
        public long Protocol = 1;
        /// <summary>Wanted output audio format.</summary>
        public AudioFormat Audio = new AudioFormat();
        /// <summary>Wanted face frame rate in frames per second (30 or 60).</summary>
        public long Fps = 60;
        /// <summary>Free text for the daemon's logs, or null.</summary>
        public string Client;
        /// <summary>The daemon's per-launch secret (PROTOCOL.md §12, from its ready line or a setting), or null.
        /// Never log it.</summary>
        public string Token;

        public override string Type { get { return "hello"; } }
        internal override string[] Fields { get { return F; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(Id); break;
                case 1: w.WriteInt(Protocol); break;
                case 2: Audio.Write(w); break;
                case 3: w.WriteMapHeader(1); w.WriteString("fps"); w.WriteInt(Fps); break;
                case 4: w.WriteString(Client); break;
                default: w.WriteString(Token); break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: Id = r.ReadStringOrNull(); break;
                case 1: Protocol = r.ReadInt(); break;
                case 2: Audio = AudioFormat.Read(r); break;
                case 3:
                    int n = r.ReadMapHeader();
                    for (int k = 0; k < n; k++) { if (r.ReadString() == "fps") Fps = r.ReadInt(); else r.Skip(); }
                    break;
                case 4: Client = r.ReadStringOrNull(); break;
                default: Token = r.ReadStringOrNull(); break;
            }
        }
    }

    /// <summary><c>config</c>: a partial update of the session settings (PROTOCOL.md §7).</summary>
    public sealed class ConfigMessage : Message
    {
        private static readonly string[] F = { "id", "settings" };
        /// <summary>Request id, or null.</summary>
        public string Id;
        /// <summary>Settings to change, e.g. lead_ms (int), speed (float). Ints as long, floats as float.</summary>
        public MsgMap Settings = new MsgMap();

        public override string Type { get { return "config"; } }
        internal override string[] Fields { get { return F; } }
        internal override void WriteField(int i, MsgPackWriter w) { if (i == 0) w.WriteString(Id); else FacePlex.Core.Settings.Write(w, Settings); }
        internal override void ReadField(int i, MsgPackReader r) { if (i == 0) Id = r.ReadStringOrNull(); else Settings = FieldIO.ReadMap(r); }
    }

    /// <summary><c>say</c>: speak text as utterance <see cref="Utt"/> (or append to it).</summary>
    public sealed class Say : Message
    {
        private static readonly string[] F = { "id", "utt", "text", "append", "final", "voice", "style" };
        private static readonly int Req = Mask(F, "utt", "text");
        /// <summary>Request id, or null.</summary>
        public string Id;
        /// <summary>Client-chosen utterance id.</summary>
        public string Utt;
        /// <summary>Text to speak.</summary>
        public string Text;
        /// <summary>True: add <see cref="Text"/> to the open utterance <see cref="Utt"/>.</summary>
        public bool Append;
        /// <summary>True: no more text follows for this utterance.</summary>
        public bool Final = true;
        /// <summary>Voice name, or null for the session's voice.</summary>
        public string Voice;
        /// <summary>Per-utterance style, or null.</summary>
        public Style Style;

        public override string Type { get { return "say"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(Id); break;
                case 1: w.WriteString(Utt); break;
                case 2: w.WriteString(Text); break;
                case 3: w.WriteBool(Append); break;
                case 4: w.WriteBool(Final); break;
                case 5: w.WriteString(Voice); break;
                default: if (Style == null) w.WriteNil(); else Style.Write(w); break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: Id = r.ReadStringOrNull(); break;
                case 1: Utt = r.ReadString(); break;
                case 2: Text = r.ReadString(); break;
                case 3: Append = r.ReadBool(); break;
                case 4: Final = r.ReadBool(); break;
                case 5: Voice = r.ReadStringOrNull(); break;
                default: Style = r.TryReadNil() ? null : Style.Read(r); break;
            }
        }
    }

    /// <summary><c>cancel</c>: stop utterance <see cref="Utt"/> (null: the current one and all queued).</summary>
    public sealed class Cancel : Message
    {
        private static readonly string[] F = { "id", "utt" };
        /// <summary>Request id, or null.</summary>
        public string Id;
        /// <summary>Utterance to stop, or null for all.</summary>
        public string Utt;

        public override string Type { get { return "cancel"; } }
        internal override string[] Fields { get { return F; } }
        internal override void WriteField(int i, MsgPackWriter w) { w.WriteString(i == 0 ? Id : Utt); }
        internal override void ReadField(int i, MsgPackReader r) { if (i == 0) Id = r.ReadStringOrNull(); else Utt = r.ReadStringOrNull(); }
    }

    /// <summary><c>ping</c>: clock probe, answered by <see cref="Pong"/>. (Not named <c>Ping</c>: that
    /// would clash with <c>UnityEngine.Ping</c> in user scripts that import both namespaces.)</summary>
    public sealed class PingMessage : Message
    {
        private static readonly string[] F = { "id", "client_time_us" };
        private static readonly int Req = Mask(F, "client_time_us");
        /// <summary>Request id, or null.</summary>
        public string Id;
        /// <summary>Client clock in microseconds.</summary>
        public long ClientTimeUs;

        public override string Type { get { return "ping"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }
        internal override void WriteField(int i, MsgPackWriter w) { if (i == 0) w.WriteString(Id); else w.WriteInt(ClientTimeUs); }
        internal override void ReadField(int i, MsgPackReader r) { if (i == 0) Id = r.ReadStringOrNull(); else ClientTimeUs = r.ReadInt(); }
    }

    /// <summary>
    /// <c>playback</c>: tells the daemon how far the listener has heard: <see cref="Sample"/> is the
    /// timeline sample the client has played up to (its playback position, in samples).
    /// </summary>
    public sealed class Playback : Message
    {
        private static readonly string[] F = { "id", "utt", "sample", "client_time_us" };
        private static readonly int Req = Mask(F, "sample", "client_time_us");
        /// <summary>Request id, or null.</summary>
        public string Id;
        /// <summary>The utterance playing at <see cref="Sample"/>, or null when idle.</summary>
        public string Utt;
        /// <summary>Playback position on the session timeline, in samples.</summary>
        public long Sample;
        /// <summary>Client clock in microseconds when the position was taken.</summary>
        public long ClientTimeUs;

        public override string Type { get { return "playback"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(Id); break;
                case 1: w.WriteString(Utt); break;
                case 2: w.WriteInt(Sample); break;
                default: w.WriteInt(ClientTimeUs); break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: Id = r.ReadStringOrNull(); break;
                case 1: Utt = r.ReadStringOrNull(); break;
                case 2: Sample = r.ReadInt(); break;
                default: ClientTimeUs = r.ReadInt(); break;
            }
        }
    }
}
