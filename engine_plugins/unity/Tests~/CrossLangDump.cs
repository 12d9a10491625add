using System;
using System.Globalization;
using System.IO;
using System.Text;
using FacePlex.Core;

namespace FacePlex.Tests
{
    /// <summary>
    /// Decodes a session recording (tests/crosslang_recording.py format: u32 LE length + msgpack, repeated)
    /// with the C# core and prints one line per message, in the shared cross-language format.
    /// Usage: CrossLangDump.exe RECORDING
    /// </summary>
    public static class CrossLangDump
    {
        public static int Main(string[] args)
        {
            var data = File.ReadAllBytes(args[0]);
            var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { NewLine = "\n" };
            int i = 0;
            while (i < data.Length)
            {
                int n = BitConverter.ToInt32(data, i);   // little-endian on every Unity/Mono target
                stdout.WriteLine(Describe(Codec.Decode(data, i + 4, n)));
                i += 4 + n;
            }
            stdout.Flush();
            return 0;
        }

        static string Describe(Message msg)
        {
            var inv = CultureInfo.InvariantCulture;
            var w = msg as Welcome;
            if (w != null) return "welcome session=" + w.Session + " sample_rate=" + w.Audio.SampleRate + " fps=" + w.Fps + " channels=" + w.Channels.Length;
            var a = msg as AudioChunk;
            if (a != null) return "audio utt=" + a.Utt + " seq=" + a.Seq + " sample=" + a.Sample + " n=" + a.SampleCount + " fnv=" + Fnv(a.Pcm).ToString("x16");
            var f = msg as FaceFrame;
            if (f != null)
            {
                var sb = new StringBuilder();
                for (int k = 0; k < f.Values.Length; k++)
                {
                    if (k > 0) sb.Append(',');
                    sb.Append(BitConverter.ToUInt32(BitConverter.GetBytes(f.Values[k]), 0).ToString("x8", inv));
                }
                return "face utt=" + (f.Utt ?? "-") + " seq=" + f.Seq + " frame=" + f.Frame + " sample=" + f.Sample + " values=" + sb;
            }
            var m = msg as Mark;
            if (m != null) return "mark utt=" + m.Utt + " kind=" + m.Kind + " sample=" + m.Sample + " end=" + m.End + " text=" + m.Text + " viseme=" + (m.Viseme ?? "-");
            var s = msg as UtteranceStarted;
            if (s != null) return "utterance_started utt=" + s.Utt + " sample=" + s.Sample;
            var e = msg as UtteranceFinished;
            if (e != null) return "utterance_finished utt=" + e.Utt + " sample=" + e.Sample + " samples=" + e.Samples;
            var c = msg as UtteranceCancelled;
            if (c != null) return "utterance_cancelled utt=" + c.Utt + " reason=" + c.Reason + " sample=" + c.Sample + " samples=" + c.Samples;
            return msg.Type;
        }

        static ulong Fnv(byte[] b)
        {
            ulong h = 0xcbf29ce484222325UL;
            foreach (var x in b) { h ^= x; h *= 0x100000001b3UL; }
            return h;
        }
    }
}
