using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FacePlex.Core;

namespace FacePlex.Tests
{
    /// <summary>
    /// Offline tests of the C# core: golden vectors (decode, compare with the JSON twin, re-encode
    /// byte-exact, decode a non-canonical rewrite), codec errors, and the timeline.
    /// Usage: CoreTests.exe PATH/TO/protocol/vectors
    /// </summary>
    public static class CoreTests
    {
        public static int Main(string[] args)
        {
            string dir = args.Length > 0 ? args[0] : "protocol/vectors";
            VectorsDir = dir;
            var files = Directory.GetFiles(dir, "*.msgpack").OrderBy(f => f).ToArray();
            T.Run("vectors present", () => T.Check(files.Length >= 20, "at least 20 vectors in " + dir));
            T.Run("the core knows every message type in the vectors", () =>
            {
                Console.WriteLine("KNOWN_TYPES " + string.Join(" ", Codec.KnownTypes));
                foreach (var t in Codec.KnownTypes) T.Check(Codec.Create(t) != null && Codec.Create(t).Type == t, "Create(" + t + ")");
                var unknown = files.Select(f => VectorType(File.ReadAllBytes(f))).Where(t => Array.IndexOf(Codec.KnownTypes, t) < 0 || Codec.Create(t) == null).Distinct().ToList();
                T.Check(unknown.Count == 0, "types in " + dir + " the core does not know: " + string.Join(", ", unknown));
            });
            foreach (var f in files) GoldenVector(f);
            CodecTests();
            TimelineTests();
            DuplexCoreTests.Run(dir);
            GameCoreTests.Run(dir);
            return T.Summary();
        }

        // ------------------------------------------------------------------ golden vectors

        static void GoldenVector(string path)
        {
            string name = Path.GetFileNameWithoutExtension(path);
            byte[] bytes = File.ReadAllBytes(path);
            T.Run("golden " + name + " matches JSON twin", () =>
            {
                var tree = new MsgPackReader(bytes).ReadValue();
                var json = Json.Parse(File.ReadAllText(Path.ChangeExtension(path, ".json")));
                SameAsJson(tree, json, name);
            });
            T.Run("golden " + name + " decode/re-encode is byte-exact", () =>
            {
                var msg = Codec.Decode(bytes);
                T.Check(!(msg is UnknownMessage), "known type, got unknown " + msg.Type);
                var again = Codec.Encode(msg);
                if (!again.SequenceEqual(bytes))
                    throw new Exception("re-encoded differs:\n  want " + T.Hex(bytes) + "\n  got  " + T.Hex(again));
            });
            T.Run("golden " + name + " non-canonical rewrite decodes to the same message", () =>
            {
                var loose = new LooseWriter();
                loose.Value(new MsgPackReader(bytes).ReadValue());
                var msg = Codec.Decode(loose.Bytes.ToArray());
                T.Check(Codec.Encode(msg).SequenceEqual(bytes), "float64/int64/str32/map32/reversed keys -> canonical");
            });
        }

        static string VectorType(byte[] bytes) { return (string)((MsgMap)new MsgPackReader(bytes).ReadValue()).Get("type"); }

        /// <summary>Compares a msgpack tree with its JSON twin ({"$bin": base64} = bin; floats are float32).</summary>
        static void SameAsJson(object mp, object js, string where)
        {
            var jo = js as JsonObject;
            if (jo != null && jo.Count == 1 && jo.ContainsKey("$bin"))
            {
                var b = mp as byte[];
                T.Check(b != null, where + ": bin expected");
                T.Check(b.SequenceEqual(Convert.FromBase64String((string)jo["$bin"])), where + ": bin bytes");
                return;
            }
            if (jo != null)
            {
                var m = mp as MsgMap;
                T.Check(m != null, where + ": map expected");
                T.Check(m.Keys.SequenceEqual(jo.Order), where + ": keys/order " + string.Join(",", m.Keys) + " vs " + string.Join(",", jo.Order));
                for (int i = 0; i < m.Count; i++) SameAsJson(m.Values[i], jo[m.Keys[i]], where + "." + m.Keys[i]);
                return;
            }
            var jl = js as List<object>;
            if (jl != null)
            {
                var l = mp as List<object>;
                T.Check(l != null && l.Count == jl.Count, where + ": array of " + jl.Count);
                for (int i = 0; i < l.Count; i++) SameAsJson(l[i], jl[i], where + "[" + i + "]");
                return;
            }
            if (js is double)
            {
                T.Check(mp is float, where + ": float32 expected (canonical), got " + (mp == null ? "nil" : mp.GetType().Name));
                T.Eq((float)(double)js, (float)mp, where);
                return;
            }
            if (js == null) { T.Check(mp == null, where + ": nil expected"); return; }
            T.Check(js.Equals(mp), where + ": " + js + " vs " + mp);
        }

        /// <summary>Writes msgpack in the widest forms, keys reversed: what a lax writer might send.</summary>
        sealed class LooseWriter
        {
            public readonly List<byte> Bytes = new List<byte>();
            void BE(ulong v, int n) { for (int i = n - 1; i >= 0; i--) Bytes.Add((byte)(v >> (8 * i))); }

            public void Value(object v)
            {
                if (v == null) Bytes.Add(0xc0);
                else if (v is bool) Bytes.Add((bool)v ? (byte)0xc3 : (byte)0xc2);
                else if (v is long) { Bytes.Add(0xd3); BE((ulong)(long)v, 8); }
                else if (v is float) { Bytes.Add(0xcb); BE((ulong)BitConverter.DoubleToInt64Bits((float)v), 8); }
                else if (v is string)
                {
                    var b = System.Text.Encoding.UTF8.GetBytes((string)v);
                    Bytes.Add(0xdb); BE((ulong)b.Length, 4); Bytes.AddRange(b);
                }
                else if (v is byte[]) { var b = (byte[])v; Bytes.Add(0xc6); BE((ulong)b.Length, 4); Bytes.AddRange(b); }
                else if (v is MsgMap)
                {
                    var m = (MsgMap)v;
                    Bytes.Add(0xdf); BE((ulong)m.Count, 4);
                    for (int i = m.Count - 1; i >= 0; i--) { Value(m.Keys[i]); Value(m.Values[i]); }
                }
                else
                {
                    var l = (List<object>)v;
                    Bytes.Add(0xdd); BE((ulong)l.Count, 4);
                    foreach (var x in l) Value(x);
                }
            }
        }

        // ------------------------------------------------------------------ codec

        static byte[] Pack(MsgMap m) { var w = new MsgPackWriter(); w.WriteValue(m); return w.ToArray(); }

        static void CodecTests()
        {
            T.Run("playback encodes canonically", () =>
            {
                var b = Codec.Encode(new Playback { Id = "c7", Utt = "u1", Sample = 101234, ClientTimeUs = 1234567990123 });
                Console.WriteLine("PLAYBACK_HEX " + T.Hex(b));
                var p = (Playback)Codec.Decode(b);
                T.Eq(101234L, p.Sample, "sample"); T.Eq("u1", p.Utt, "utt"); T.Eq(1234567990123L, p.ClientTimeUs, "clock");
                var nil = (Playback)Codec.Decode(Codec.Encode(new Playback { Sample = 5, ClientTimeUs = 6 }));
                T.Check(nil.Id == null && nil.Utt == null, "optional fields nil");
            });
            T.Run("shortest ints and str/bin widths", () =>
            {
                long[] ints = { 0, 127, 128, 255, 256, 65535, 65536, 4294967295L, 4294967296L, -1, -32, -33, -128, -129, -32768, -32769, -2147483648L, -2147483649L, long.MinValue, long.MaxValue };
                int[] sizes = { 1, 1, 2, 2, 3, 3, 5, 5, 9, 1, 1, 2, 2, 3, 3, 5, 5, 9, 9, 9 };
                for (int i = 0; i < ints.Length; i++)
                {
                    var w = new MsgPackWriter(); w.WriteInt(ints[i]);
                    T.Eq(sizes[i], w.Length, "size of " + ints[i]);
                    T.Eq(ints[i], new MsgPackReader(w.ToArray()).ReadInt(), "round trip " + ints[i]);
                }
                foreach (int n in new[] { 0, 31, 32, 255, 256, 65535, 65536 })
                {
                    var w = new MsgPackWriter(); var s = new string('x', n); w.WriteString(s);
                    int hdr = n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5;
                    T.Eq(hdr + n, w.Length, "str" + n);
                    T.Eq(s, new MsgPackReader(w.ToArray()).ReadString(), "str round trip");
                    w.Clear(); w.WriteBin(new byte[n]);
                    T.Eq((n < 256 ? 2 : n < 65536 ? 3 : 5) + n, w.Length, "bin" + n);
                }
            });
            T.Run("reader rejects bad messages", () =>
            {
                T.Throws<MsgPackException>(() => Codec.Decode(new byte[] { 0x93, 1, 2, 3 }), "not a map");
                T.Throws<MsgPackException>(() => Codec.Decode(new byte[] { 0x81, 0xa1, 0x78, 1 }), "no type");
                T.Throws<MsgPackException>(() => Codec.Decode(new byte[] { 0xc1 }), "invalid byte");
                T.Throws<MsgPackException>(() => Codec.Decode(new byte[] { 0x81, 0xa4 }), "truncated");
                var ping = Codec.Encode(new PingMessage { ClientTimeUs = 1 });
                T.Throws<MsgPackException>(() => Codec.Decode(ping.Concat(new byte[] { 0xc0 }).ToArray()), "trailing bytes");
                T.Throws<MsgPackException>(() => Codec.Decode(Pack(new MsgMap().Set("type", "say").Set("utt", 5L).Set("text", "hi"))), "utt int");
                T.Throws<MsgPackException>(() => Codec.Decode(Pack(new MsgMap().Set("type", "say").Set("utt", "u1"))), "text missing");
                T.Throws<MsgPackException>(() => Codec.Decode(Pack(new MsgMap().Set("type", "ping").Set("client_time_us", "5"))), "no coercion of \"5\"");
            });
            T.Run("unknown keys ignored, unknown type kept", () =>
            {
                var m = Codec.Decode(Pack(new MsgMap().Set("future", 1L).Set("type", "pong").Set("client_time_us", 1L)
                    .Set("server_time_us", 2L).Set("sample", 3L).Set("played_sample", 4L)));
                T.Eq(3L, ((Pong)m).Sample, "pong.sample");
                var u = Codec.Decode(Pack(new MsgMap().Set("type", "dance").Set("x", 1L)));
                T.Check(u is UnknownMessage && u.Type == "dance", "unknown type");
            });
        }

        // ------------------------------------------------------------------ timeline

        const int SR = 48000, FPS = 60, SPF = 800, CH = 3;

        static byte[] Pcm(int n, Func<int, short> f)
        {
            var b = new byte[2 * n];
            for (int i = 0; i < n; i++) { short v = f(i); b[2 * i] = (byte)v; b[2 * i + 1] = (byte)(v >> 8); }
            return b;
        }

        static void Frame(Timeline tl, long n, string utt, float v)
        {
            tl.AddFrame(utt, n, n * SR / FPS, new[] { v, v * 2, -v });
        }

        static void TimelineTests()
        {
            T.Run("timeline: face is interpolated between the two frames around the sample", () =>
            {
                var tl = new Timeline(SR, FPS, CH, 0);
                var o = new float[CH];
                T.Check(!tl.FaceAt(0, o), "no frame yet");
                Frame(tl, 0, null, 0f); Frame(tl, 1, null, 1f); Frame(tl, 2, null, 0.5f);
                tl.FaceAt(400, o); T.Eq(0.5f, o[0], "midpoint"); T.Eq(1f, o[1], "ch1"); T.Eq(-0.5f, o[2], "ch2");
                tl.FaceAt(800, o); T.Eq(1f, o[0], "exact frame");
                tl.FaceAt(1200, o); T.Eq(0.75f, o[0], "second interval");
                tl.FaceAt(1600, o); T.Eq(0.5f, o[0], "last frame");
                tl.FaceAt(1600 + SPF, o); T.Eq(0.5f, o[0], "held one frame after the last");
            });
            T.Run("timeline: pre-roll before playback, audio at its sample position, silence in gaps", () =>
            {
                var tl = new Timeline(SR, FPS, CH, 1000);
                var buf = new float[2 * 1024];
                T.Eq(0, tl.ReadAudio(buf, 0, 512, 2), "no media");
                Frame(tl, 0, null, 0f);
                tl.AddAudio("u1", 600, Pcm(300, i => (short)(i + 1)), 0, 600);  // [600, 900)
                T.Eq(0, tl.ReadAudio(buf, 0, 512, 2), "900 < pre-roll 1000 buffered");
                T.Check(buf.All(x => x == 0f), "silence while pre-rolling");
                Frame(tl, 2, null, 0f);   // horizon -> 1600
                T.Eq(1024, tl.ReadAudio(buf, 0, 1024, 2), "started");
                T.Eq(0f, buf[2 * 599], "gap is silence");
                T.Eq(1 / 32768f, buf[2 * 600], "first sample at 600");
                T.Eq(buf[2 * 600], buf[2 * 600 + 1], "copied to both channels");
                T.Eq(1024L, tl.PlayedSample, "position");
                T.Eq("u1", tl.UtteranceAt(700), "utterance at 700");
                T.Eq((string)null, tl.UtteranceAt(1000), "idle at 1000");
            });
            T.Run("timeline: underrun plays silence, holds position, never repeats, then eases the face", () =>
            {
                var tl = new Timeline(SR, FPS, CH, 100);
                Frame(tl, 0, "u1", 1f);
                tl.AddAudio("u1", 0, Pcm(800, i => 1000), 0, 1600);
                Frame(tl, 1, "u1", 1f);
                var buf = new float[1000];
                T.Eq(800, tl.ReadAudio(buf, 0, 1000, 1), "partial read");
                T.Check(buf.Skip(800).All(x => x == 0f), "rest silence");
                T.Eq(0, tl.ReadAudio(buf, 0, 1000, 1), "nothing new");
                T.Check(buf.All(x => x == 0f), "no stale repeat");
                T.Eq(800L, tl.PlayedSample, "position held");
                T.Check(tl.Underruns >= 1, "underrun counted");
                var o = new float[CH];
                tl.FaceAt(800, o);
                T.Check(o[0] < 1f && o[0] >= 0f, "face eases toward rest during underrun: " + o[0]);
                tl.AddAudio("u1", 800, Pcm(800, i => 2000), 0, 1600);
                Frame(tl, 2, "u1", 1f);
                T.Eq(800, tl.ReadAudio(buf, 0, 1000, 1), "resumes after pre-roll");
                T.Eq(2000 / 32768f, buf[0], "continues with new audio, not old");
                tl.FaceAt(1200, o); T.Eq(1f, o[0], "face back");
            });
            T.Run("timeline: dropping an utterance silences its queued audio and frames at once", () =>
            {
                var tl = new Timeline(SR, FPS, CH, 0);
                for (int n = 0; n <= 10; n++) { if (n < 10) tl.AddAudio("u1", n * SPF, Pcm(SPF, i => 5000), 0, 2 * SPF); Frame(tl, n, n < 10 ? "u1" : null, n < 10 ? 1f : 0f); }
                var buf = new float[SPF];
                T.Eq(SPF, tl.ReadAudio(buf, 0, SPF, 1), "played one frame");
                T.Check(buf.All(x => x > 0), "speech");
                T.Eq(8000L - SPF, tl.BufferedSamplesOf("u1"), "buffered of u1");
                tl.DropUtterance("u1");
                T.Eq(0L, tl.BufferedSamplesOf("u1"), "nothing of u1 left");
                T.Eq(SPF, tl.ReadAudio(buf, 0, SPF, 1), "clock continues");
                T.Check(buf.All(x => x == 0f), "silence right after the drop");
                T.Check(!tl.AddAudio("u1", 8000, Pcm(SPF, i => 5000), 0, 2 * SPF), "late audio of u1 ignored");
                T.Check(!tl.AddFrame("u1", 11, 8800, new float[CH]), "late frame of u1 ignored");
                var o = new float[CH];
                tl.FaceAt(1200, o);
                T.Check(o[0] > 0f && o[0] < 1f, "face eases from the last played frame to the next idle one: " + o[0]);
                T.Eq(3, tl.FrameCount, "u1 frames after the position removed: kept frames 0, 1 and idle 10");
            });
            T.Run("timeline: backlog after a pause jumps to live (no burst replay); idle catch-up", () =>
            {
                var tl = new Timeline(SR, FPS, CH, 480, 1.0);   // ring 65536 samples, backlog limit 32768
                var buf = new float[480];
                Frame(tl, 0, null, 0f);
                for (int n = 1; n <= 60; n++) Frame(tl, n, null, 0f);   // 1 s of idle frames
                tl.ReadAudio(buf, 0, 480, 1);
                T.Eq(48000L - 480 + 480, tl.PlayedSample, "jumped to live minus pre-roll, then played 480");
                T.Check(tl.Resyncs == 1, "one resync");
                var tl2 = new Timeline(SR, FPS, CH, 480);
                tl2.MaxIdleLatencySamples = 4800;
                for (int n = 0; n <= 12; n++) Frame(tl2, n, null, 0f);   // 9600 samples idle
                tl2.ReadAudio(buf, 0, 480, 1);
                T.Check(tl2.CatchUpIfIdle(), "idle catch-up requested");
                tl2.ReadAudio(buf, 0, 480, 1);
                T.Eq(9600L, tl2.PlayedSample, "now pre-roll behind live");
                var tl3 = new Timeline(SR, FPS, CH, 480);
                tl3.MaxIdleLatencySamples = 4800;
                Frame(tl3, 0, null, 0f);
                tl3.AddAudio("u1", 800, Pcm(4000, i => 1), 0, 8000);
                for (int n = 1; n <= 12; n++) Frame(tl3, n, n < 6 ? "u1" : null, 0f);
                tl3.ReadAudio(buf, 0, 480, 1);
                T.Check(!tl3.CatchUpIfIdle(), "never skips pending speech");
            });
            T.Run("timeline: ReadAudio does not allocate", () =>
            {
                var tl = new Timeline(SR, FPS, CH, 0);
                for (int n = 0; n < 600; n++) { tl.AddAudio("u1", n * SPF, Pcm(SPF, i => 1), 0, 2 * SPF); Frame(tl, n, "u1", 0.5f); }
                var buf = new float[2 * 256];
                tl.ReadAudio(buf, 0, 256, 2);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 1000; i++) tl.ReadAudio(buf, 0, 256, 2);
                long after = GC.GetAllocatedBytesForCurrentThread();
                T.Eq(0L, after - before, "bytes allocated by 1000 ReadAudio calls");
            });
            T.Run("blendshape names: ARKit names matched case-insensitively with prefixes stripped", () =>
            {
                var mesh = new[] { "blendShape1.JawOpen", "BS_eyeBlinkLeft", "ARKit_mouthSmile_L", "CC_Base_Body.mouth_close", "Face.TongueOut", "browInnerUp" };
                var m = BlendshapeNames.Match(new[] { "jawOpen", "eyeBlinkLeft", "mouthClose", "tongueOut", "browInnerUp", "headYaw" }, mesh);
                T.Check(m.SequenceEqual(new[] { 0, 1, 3, 4, 5, -1 }), "match " + string.Join(",", m));
            });
            T.Run("session: local cancel drops at once and sends cancel; finished utterance only dropped locally", () =>
            {
                var s = new ClientSession();
                s.Hello();
                var welcome = Codec.Decode(File.ReadAllBytes(Path.Combine(VectorsDir, "welcome.msgpack")));
                s.Receive(Codec.Encode(welcome), 0, Codec.Encode(welcome).Length);
                T.Eq(SessionState.Open, s.State, "open");
                T.Eq(59, s.Channels.Length, "channels");
                s.DataToSend();
                var u = s.Say("Hello.");
                T.Eq("u1", u, "utt id");
                Feed(s, new UtteranceStarted { Utt = u, Sample = 0 });
                Feed(s, new AudioChunk { Utt = u, Seq = 0, Sample = 0, Pcm = Pcm(1920, i => 7) });
                Feed(s, new FaceFrame { Utt = u, Seq = 0, Frame = 0, Sample = 0, Values = new float[59] });
                T.Eq(1920L, s.Timeline.BufferedSamplesOf(u), "buffered");
                s.DataToSend();
                s.Cancel(u);
                T.Eq(0L, s.Timeline.BufferedSamplesOf(u), "dropped at once");
                var sent = s.DataToSend().Select(b => Codec.Decode(b)).ToList();
                T.Check(sent.Count == 1 && sent[0] is Cancel && ((Cancel)sent[0]).Utt == u, "cancel sent");
                var u2 = s.Say("Bye.");
                Feed(s, new UtteranceFinished { Utt = u2, Sample = 10, Samples = 10 });
                s.DataToSend();
                s.Cancel(u2);
                T.Eq(0, s.DataToSend().Count, "no cancel for a finished utterance");
            });
        }

        public static string VectorsDir = "protocol/vectors";

        static void Feed(ClientSession s, Message m) { var b = Codec.Encode(m); s.Receive(b, 0, b.Length); }
    }
}
