namespace FacePlex.Core
{
    /// <summary>
    /// <c>mic</c> (client → daemon, PROTOCOL.md §11): a chunk of the partner's microphone, interleaved
    /// PCM16LE with <see cref="Channels"/> channels at <see cref="SampleRate"/> Hz, sent in real time
    /// (20-100 ms chunks, at most 64 KiB). Use <see cref="MicStream"/> rather than building these by hand.
    /// </summary>
    public sealed class Mic : Message
    {
        private static readonly string[] F = { "id", "sample_rate", "channels", "pcm" };
        private static readonly int Req = Mask(F, "sample_rate", "channels", "pcm");
        /// <summary>Request id (errors carry it as reply_to), or null.</summary>
        public string Id;
        /// <summary>Capture rate in Hz (8000-192000; the daemon resamples).</summary>
        public long SampleRate;
        /// <summary>Interleaved channels, 1-8.</summary>
        public long Channels = 1;
        /// <summary>PCM16LE bytes, a whole number of frames (Channels * 2 bytes each).</summary>
        public byte[] Pcm = new byte[0];
        /// <summary>Bytes [0, PcmLength) of <see cref="Pcm"/> are written (lets a sender reuse a buffer); -1 = all.</summary>
        public int PcmLength = -1;

        public override string Type { get { return "mic"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(Id); break;
                case 1: w.WriteInt(SampleRate); break;
                case 2: w.WriteInt(Channels); break;
                default: w.WriteBin(Pcm, 0, PcmLength < 0 ? Pcm.Length : PcmLength); break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: Id = r.ReadStringOrNull(); break;
                case 1: SampleRate = r.ReadInt(); break;
                case 2: Channels = r.ReadInt(); break;
                default: Pcm = r.ReadBin(); PcmLength = -1; break;
            }
        }
    }

    /// <summary>
    /// <c>mic_end</c> (client → daemon, PROTOCOL.md §11): push-to-talk released; the partner's turn ends now
    /// (<c>partner_speech_stopped</c> if they were speaking, then the final <c>partner_transcript</c>).
    /// </summary>
    public sealed class MicEnd : Message
    {
        private static readonly string[] F = { "id" };
        /// <summary>Request id (errors carry it as reply_to), or null.</summary>
        public string Id;

        public override string Type { get { return "mic_end"; } }
        internal override string[] Fields { get { return F; } }
        internal override void WriteField(int i, MsgPackWriter w) { w.WriteString(Id); }
        internal override void ReadField(int i, MsgPackReader r) { Id = r.ReadStringOrNull(); }
    }

    /// <summary>
    /// <c>lipsync</c> (client → daemon, PROTOCOL.md §11): speech FacePlex did not make (a recorded line,
    /// another TTS) to animate as utterance <see cref="Utt"/>, at any pace. The daemon sends it back as
    /// that utterance's <c>audio</c> (resampled to the session rate) with marks and face frames.
    /// </summary>
    public sealed class Lipsync : Message
    {
        private static readonly string[] F = { "id", "utt", "sample_rate", "channels", "pcm", "text", "final" };
        private static readonly int Req = Mask(F, "utt", "sample_rate", "channels", "pcm");
        /// <summary>Request id, or null.</summary>
        public string Id;
        /// <summary>The utterance (queued like a say; chunks of an open utt append).</summary>
        public string Utt;
        /// <summary>Rate in Hz, the same for every chunk of <see cref="Utt"/>.</summary>
        public long SampleRate;
        /// <summary>Interleaved channels, 1-8.</summary>
        public long Channels = 1;
        /// <summary>PCM16LE bytes, a whole number of frames.</summary>
        public byte[] Pcm = new byte[0];
        /// <summary>The transcript (first chunk only) for forced alignment, or null (phone recognition).</summary>
        public string Text;
        /// <summary>True on the last chunk of <see cref="Utt"/>.</summary>
        public bool Final;

        public override string Type { get { return "lipsync"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(Id); break;
                case 1: w.WriteString(Utt); break;
                case 2: w.WriteInt(SampleRate); break;
                case 3: w.WriteInt(Channels); break;
                case 4: w.WriteBin(Pcm); break;
                case 5: w.WriteString(Text); break;
                default: w.WriteBool(Final); break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: Id = r.ReadStringOrNull(); break;
                case 1: Utt = r.ReadString(); break;
                case 2: SampleRate = r.ReadInt(); break;
                case 3: Channels = r.ReadInt(); break;
                case 4: Pcm = r.ReadBin(); break;
                case 5: Text = r.ReadStringOrNull(); break;
                default: Final = r.ReadBool(); break;
            }
        }
    }

    /// <summary><c>partner_speech_started</c> (§11): the partner's speech began at timeline <see cref="Sample"/>.</summary>
    public sealed class PartnerSpeechStarted : Message
    {
        private static readonly string[] F = { "sample" };
        private static readonly int Req = Mask(F, "sample");
        /// <summary>Timeline position, samples.</summary>
        public long Sample;

        public override string Type { get { return "partner_speech_started"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }
        internal override void WriteField(int i, MsgPackWriter w) { w.WriteInt(Sample); }
        internal override void ReadField(int i, MsgPackReader r) { Sample = r.ReadInt(); }
    }

    /// <summary><c>partner_speech_stopped</c> (§11): the partner's speech ended at <see cref="Sample"/> after <see cref="Samples"/> samples.</summary>
    public sealed class PartnerSpeechStopped : Message
    {
        private static readonly string[] F = { "sample", "samples" };
        private static readonly int Req = Mask(F, "sample", "samples");
        /// <summary>Timeline position of the end, samples.</summary>
        public long Sample;
        /// <summary>Length of the partner's speech, samples.</summary>
        public long Samples;

        public override string Type { get { return "partner_speech_stopped"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }
        internal override void WriteField(int i, MsgPackWriter w) { w.WriteInt(i == 0 ? Sample : Samples); }
        internal override void ReadField(int i, MsgPackReader r) { if (i == 0) Sample = r.ReadInt(); else Samples = r.ReadInt(); }
    }

    /// <summary>
    /// <c>interrupted</c> (§11): the partner barged in; <see cref="Utt"/> stopped at timeline
    /// <see cref="Sample"/> (the first sample not sent). <see cref="TextSpoken"/> is what the listener
    /// heard: give it to the dialogue system (LLM) instead of the full reply.
    /// </summary>
    public sealed class Interrupted : Message
    {
        private static readonly string[] F = { "utt", "reply_to", "sample", "samples_sent", "samples_played", "words_spoken", "text_spoken", "partner_sample" };
        private static readonly int Req = Mask(F, "utt", "sample", "samples_sent", "samples_played", "words_spoken", "text_spoken", "partner_sample");
        /// <summary>The utterance that was playing.</summary>
        public string Utt;
        /// <summary>Id of the say that opened it, or null.</summary>
        public string ReplyTo;
        /// <summary>The cut: first timeline sample of <see cref="Utt"/> not sent.</summary>
        public long Sample;
        /// <summary>Samples of the utterance sent.</summary>
        public long SamplesSent;
        /// <summary>Samples of the utterance the listener heard (≤ <see cref="SamplesSent"/>).</summary>
        public long SamplesPlayed;
        /// <summary>The words whose audio had fully played.</summary>
        public string[] WordsSpoken = new string[0];
        /// <summary>Those words joined with spaces.</summary>
        public string TextSpoken = "";
        /// <summary>Where the partner's speech began, timeline samples.</summary>
        public long PartnerSample;

        public override string Type { get { return "interrupted"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(Utt); break;
                case 1: w.WriteString(ReplyTo); break;
                case 2: w.WriteInt(Sample); break;
                case 3: w.WriteInt(SamplesSent); break;
                case 4: w.WriteInt(SamplesPlayed); break;
                case 5: FieldIO.WriteStrings(w, WordsSpoken); break;
                case 6: w.WriteString(TextSpoken); break;
                default: w.WriteInt(PartnerSample); break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: Utt = r.ReadString(); break;
                case 1: ReplyTo = r.ReadStringOrNull(); break;
                case 2: Sample = r.ReadInt(); break;
                case 3: SamplesSent = r.ReadInt(); break;
                case 4: SamplesPlayed = r.ReadInt(); break;
                case 5: WordsSpoken = FieldIO.ReadStrings(r); break;
                case 6: TextSpoken = r.ReadString(); break;
                default: PartnerSample = r.ReadInt(); break;
            }
        }
    }

    /// <summary>One word of a <see cref="PartnerTranscript"/> on timeline samples [Start, End).</summary>
    public sealed class TranscriptWord
    {
        /// <summary>The word as recognised.</summary>
        public string Text;
        /// <summary>Start on the timeline, samples.</summary>
        public long Start;
        /// <summary>End (exclusive) on the timeline, samples.</summary>
        public long End;
    }

    /// <summary>
    /// <c>partner_transcript</c> (daemon → client, PROTOCOL.md §11): what the partner (player) said on timeline
    /// samples [<see cref="Start"/>, <see cref="End"/>) (the timeline and unit of <c>partner_speech_started/stopped</c>).
    /// <see cref="Final"/> false: an interim result, superseded by later ones with the same <see cref="Start"/>.
    /// </summary>
    public sealed class PartnerTranscript : Message
    {
        private static readonly string[] F = { "text", "start", "end", "language", "confidence", "final", "model", "words" };
        private static readonly int Req = Mask(F, "text", "start", "end", "language", "confidence", "final", "model");
        /// <summary>What the partner said.</summary>
        public string Text = "";
        /// <summary>Start of the speech on the timeline, samples.</summary>
        public long Start;
        /// <summary>End (exclusive), samples.</summary>
        public long End;
        /// <summary>Language code the model detected or was told, e.g. "en".</summary>
        public string Language = "";
        /// <summary>0-1.</summary>
        public float Confidence;
        /// <summary>False for an interim result.</summary>
        public bool Final;
        /// <summary>The backend: "tiny.en", "base", "pocketsphinx".</summary>
        public string Model = "";
        /// <summary>Word timings when the model gives them, else empty.</summary>
        public TranscriptWord[] Words = new TranscriptWord[0];

        public override string Type { get { return "partner_transcript"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            switch (i)
            {
                case 0: w.WriteString(Text); break;
                case 1: w.WriteInt(Start); break;
                case 2: w.WriteInt(End); break;
                case 3: w.WriteString(Language); break;
                case 4: w.WriteFloat(Confidence); break;
                case 5: w.WriteBool(Final); break;
                case 6: w.WriteString(Model); break;
                default:
                    w.WriteArrayHeader(Words.Length);
                    foreach (var wd in Words)
                    {
                        w.WriteMapHeader(3);
                        w.WriteString("text"); w.WriteString(wd.Text);
                        w.WriteString("start"); w.WriteInt(wd.Start);
                        w.WriteString("end"); w.WriteInt(wd.End);
                    }
                    break;
            }
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            switch (i)
            {
                case 0: Text = r.ReadString(); break;
                case 1: Start = r.ReadInt(); break;
                case 2: End = r.ReadInt(); break;
                case 3: Language = r.ReadString(); break;
                case 4: Confidence = r.ReadFloat(); break;
                case 5: Final = r.ReadBool(); break;
                case 6: Model = r.ReadString(); break;
                default:
                    int n = r.ReadArrayHeader();
                    Words = new TranscriptWord[n];
                    for (int k = 0; k < n; k++)
                    {
                        var wd = new TranscriptWord();
                        int m = r.ReadMapHeader();
                        for (int j = 0; j < m; j++)
                        {
                            switch (r.ReadString())
                            {
                                case "text": wd.Text = r.ReadString(); break;
                                case "start": wd.Start = r.ReadInt(); break;
                                case "end": wd.End = r.ReadInt(); break;
                                default: r.Skip(); break;
                            }
                        }
                        if (wd.Text == null) throw new MsgPackException("words[" + k + "]: missing 'text'");
                        Words[k] = wd;
                    }
                    break;
            }
        }

        public override string ToString() { return "<partner_transcript " + (Final ? "final" : "interim") + " \"" + Text + "\">"; }
    }

    /// <summary>
    /// <c>warning</c> (PROTOCOL.md §5): something the client should know that did not stop its request
    /// (e.g. <c>language_not_supported</c>); <see cref="Utt"/> is the utterance concerned, or null.
    /// </summary>
    public sealed class WarningMessage : Message
    {
        private static readonly string[] F = { "reply_to", "utt", "code", "message" };
        private static readonly int Req = Mask(F, "code", "message");
        /// <summary>Id of the client message concerned, or null.</summary>
        public string ReplyTo;
        /// <summary>The utterance concerned, or null.</summary>
        public string Utt;
        /// <summary>Warning code, e.g. "language_not_supported".</summary>
        public string Code;
        /// <summary>Human-readable text.</summary>
        public string Text;

        public override string Type { get { return "warning"; } }
        internal override string[] Fields { get { return F; } }
        internal override int RequiredMask { get { return Req; } }

        internal override void WriteField(int i, MsgPackWriter w)
        {
            w.WriteString(i == 0 ? ReplyTo : i == 1 ? Utt : i == 2 ? Code : Text);
        }

        internal override void ReadField(int i, MsgPackReader r)
        {
            if (i == 0) ReplyTo = r.ReadStringOrNull();
            else if (i == 1) Utt = r.ReadStringOrNull();
            else if (i == 2) Code = r.ReadString();
            else Text = r.ReadString();
        }

        public override string ToString() { return "<warning " + Code + ": " + Text + ">"; }
    }
}
