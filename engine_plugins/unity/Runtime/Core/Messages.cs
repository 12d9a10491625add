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

    /// <summary>Per-utterance delivery: speech rate (0.5-2.0) and face expressiveness (0-2); null = session setting.</summary>
    public sealed class Style
    {
        /// <summary>Speech rate multiplier, or null.</summary>
        public float? Speed;
        /// <summary>Scale of face motion beyond the lips, or null.</summary>
        public float? Expressiveness;

        internal void Write(MsgPackWriter w)
        {
            w.WriteMapHeader(2);
            w.WriteString("speed"); w.WriteFloat(Speed);
            w.WriteString("expressiveness"); w.WriteFloat(Expressiveness);
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
                    default: r.Skip(); break;
                }
            }
            return s;
        }
    }

    /// <summary>Limits the daemon enforces (PROTOCOL.md §8).</summary>
    public sealed class Limits
    {
        /// <summary>Largest client message in bytes.</summary>
        public long MaxMessageBytes;
        /// <summary>Most characters in one say.text.</summary>
        public long MaxTextChars;
        /// <summary>Most characters in one open (appended) utterance.</summary>
        public long MaxPendingChars;
        /// <summary>Most utterances queued behind the current one.</summary>
        public long MaxQueuedUtterances;

        internal void Write(MsgPackWriter w)
        {
            w.WriteMapHeader(4);
            w.WriteString("max_message_bytes"); w.WriteInt(MaxMessageBytes);
            w.WriteString("max_text_chars"); w.WriteInt(MaxTextChars);
            w.WriteString("max_pending_chars"); w.WriteInt(MaxPendingChars);
            w.WriteString("max_queued_utterances"); w.WriteInt(MaxQueuedUtterances);
        }

        internal static Limits Read(MsgPackReader r)
        {
            var l = new Limits();
            int n = r.ReadMapHeader();
            for (int i = 0; i < n; i++)
            {
                switch (r.ReadString())
                {
                    case "max_message_bytes": l.MaxMessageBytes = r.ReadInt(); break;
                    case "max_text_chars": l.MaxTextChars = r.ReadInt(); break;
                    case "max_pending_chars": l.MaxPendingChars = r.ReadInt(); break;
                    case "max_queued_utterances": l.MaxQueuedUtterances = r.ReadInt(); break;
                    default: r.Skip(); break;
                }
            }
            return l;
        }
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
