using System;
using System.Collections.Generic;

namespace FacePlex.Core
{
    /// <summary>
    /// Base of every protocol v1 message (PROTOCOL.md §4-5). Each subclass lists its fields in canonical
    /// wire order (after <c>type</c>); <see cref="Codec"/> writes them in that order, every field present
    /// (absent optional = nil), and reads them in any order, ignoring unknown keys.
    /// </summary>
    public abstract class Message
    {
        /// <summary>The msgpack <c>type</c> string.</summary>
        public abstract string Type { get; }

        /// <summary>Field names after <c>type</c>, in canonical order.</summary>
        internal abstract string[] Fields { get; }

        /// <summary>Bit i set = Fields[i] is required on input.</summary>
        internal virtual int RequiredMask { get { return 0; } }

        /// <summary>Writes the value of Fields[index].</summary>
        internal abstract void WriteField(int index, MsgPackWriter w);

        /// <summary>Reads the value of Fields[index] (throws <see cref="MsgPackException"/> on a wrong type).</summary>
        internal abstract void ReadField(int index, MsgPackReader r);

        /// <summary>Bitmask with the bits of the named fields.</summary>
        internal static int Mask(string[] fields, params string[] names)
        {
            int m = 0;
            foreach (var n in names) m |= 1 << Array.IndexOf(fields, n);
            return m;
        }

        /// <summary>Short debug text.</summary>
        public override string ToString() { return "<" + Type + ">"; }
    }

    // ------------------------------------------------------------------ shared parts

    /// <summary>Audio format: mono PCM16LE at <see cref="SampleRate"/> Hz.</summary>
    public sealed class AudioFormat
    {
        /// <summary>Output sample rate in Hz (16000, 22050, 24000, 44100 or 48000).</summary>
        public long SampleRate = 48000;
        /// <summary>Channel count; always 1 in v1.</summary>
        public long Channels = 1;
        /// <summary>Sample format; always "pcm_s16le" in v1.</summary>
        public string Format = "pcm_s16le";

        internal void Write(MsgPackWriter w)
        {
            w.WriteMapHeader(3);
            w.WriteString("sample_rate"); w.WriteInt(SampleRate);
            w.WriteString("channels"); w.WriteInt(Channels);
            w.WriteString("format"); w.WriteString(Format);
        }

        internal static AudioFormat Read(MsgPackReader r)
        {
            var a = new AudioFormat();
            int n = r.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                switch (r.ReadString())
                {
                    case "sample_rate": a.SampleRate = r.ReadInt(); break;
                    case "channels": a.Channels = r.ReadInt(); break;
                    case "format": a.Format = r.ReadString(); break;
                    default: r.Skip(); break;
                }
            }
            return a;
        }
    }

    /// <summary>
    /// Per-utterance delivery (PROTOCOL.md §4 <c>say.style</c>); null = the session's setting: speech rate
    /// (0.5-2.0), face expressiveness (0-2), emotion (one of <see cref="Emotions"/>) and its intensity (0-1).
    /// </summary>
    public sealed class Style
    {
        /// <summary>The emotions the protocol knows, as PROTOCOL.md §4/§7 spells them.</summary>
        public static readonly string[] Emotions = { "neutral", "happy", "sad", "angry", "surprised", "afraid", "disgusted" };

        /// <summary>Speech rate multiplier, or null.</summary>
        public float? Speed;
        /// <summary>Scale of face motion beyond the lips, or null.</summary>
        public float? Expressiveness;
        /// <summary>Emotion of this utterance (one of <see cref="Emotions"/>), or null.</summary>
        public string Emotion;
        /// <summary>Strength of <see cref="Emotion"/>, 0-1, or null.</summary>
        public float? EmotionIntensity;

        internal void Write(MsgPackWriter w)
        {
            w.WriteMapHeader(4);
            w.WriteString("speed"); w.WriteFloat(Speed);
            w.WriteString("expressiveness"); w.WriteFloat(Expressiveness);
            w.WriteString("emotion"); w.WriteString(Emotion);
            w.WriteString("emotion_intensity"); w.WriteFloat(EmotionIntensity);
        }

        internal static Style Read(MsgPackReader r)
        {
            var s = new Style();
            int n = r.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                switch (r.ReadString())
                {
                    case "speed": s.Speed = r.ReadFloatOrNull(); break;
                    case "expressiveness": s.Expressiveness = r.ReadFloatOrNull(); break;
                    case "emotion": s.Emotion = r.ReadStringOrNull(); break;
                    case "emotion_intensity": s.EmotionIntensity = r.ReadFloatOrNull(); break;
                    default: r.Skip(); break;
                }
            }
            return s;
        }
    }

    /// <summary>
    /// Limits the daemon enforces (PROTOCOL.md §8), kept as the ordered generic map the daemon sent
    /// (<see cref="Raw"/>): new limits may be added, and they survive a decode/re-encode.
    /// </summary>
    public sealed class Limits
    {
        /// <summary>Known keys in the order §5/§8 list them (the canonical wire order; unknown keys follow).</summary>
        public static readonly string[] Order = { "max_message_bytes", "max_text_chars", "max_pending_chars", "max_queued_utterances" };

        /// <summary>Every limit the daemon sent, in wire order.</summary>
        public MsgMap Raw = new MsgMap();

        private long Get(string key) { var v = Raw.Get(key); return v is long ? (long)v : 0; }

        /// <summary>Largest client message in bytes (0 if not sent).</summary>
        public long MaxMessageBytes { get { return Get("max_message_bytes"); } set { Raw.Set("max_message_bytes", value); } }
        /// <summary>Most characters in one say.text.</summary>
        public long MaxTextChars { get { return Get("max_text_chars"); } set { Raw.Set("max_text_chars", value); } }
        /// <summary>Most characters in one open (appended) utterance.</summary>
        public long MaxPendingChars { get { return Get("max_pending_chars"); } set { Raw.Set("max_pending_chars", value); } }
        /// <summary>Most utterances queued behind the current one.</summary>
        public long MaxQueuedUtterances { get { return Get("max_queued_utterances"); } set { Raw.Set("max_queued_utterances", value); } }

        internal void Write(MsgPackWriter w) { Settings.WriteOrdered(w, Raw, Order); }

        internal static Limits Read(MsgPackReader r) { return new Limits { Raw = FieldIO.ReadMap(r) }; }
    }

    internal static class FieldIO
    {
        public static MsgMap ReadMap(MsgPackReader r)
        {
            if (r.PeekKind() != MsgKind.Map) throw new MsgPackException("expected map, got " + r.PeekKind().ToString().ToLowerInvariant());
            return (MsgMap)r.ReadValue();
        }

        public static string[] ReadStrings(MsgPackReader r)
        {
            int n = r.ReadArrayHeader();
            var a = new string[n];
            for (int i = 0; i < n; i++) a[i] = r.ReadString();
            return a;
        }

        public static void WriteStrings(MsgPackWriter w, string[] a)
        {
            w.WriteArrayHeader(a.Length);
            foreach (var s in a) w.WriteString(s);
        }
    }
}
