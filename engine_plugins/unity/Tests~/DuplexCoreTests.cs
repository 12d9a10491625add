using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using FacePlex.Core;

namespace FacePlex.Tests
{
    /// <summary>Offline tests of the C# core's full-duplex parts (PROTOCOL.md §11): the microphone ring and
    /// its chunking, the session's interruption handling and events, lipsync upstream, typed config, the
    /// token in hello, and the handshake timeout (a real socket that never answers).</summary>
    public static class DuplexCoreTests
    {
        public static void Run(string vectorsDir)
        {
            MicTests();
            SessionTests(vectorsDir);
            UpstreamTests();
            HandshakeTimeoutTest();
            VersionAndTranscriptTests(vectorsDir);
        }

        static short[] Ramp(int n, int from = 0) { var a = new short[n]; for (int i = 0; i < n; i++) a[i] = (short)(from + i); return a; }

        static short[] Samples(Mic m)
        {
            var a = new short[m.Pcm.Length / 2];
            for (int i = 0; i < a.Length; i++) a[i] = (short)(m.Pcm[2 * i] | (m.Pcm[2 * i + 1] << 8));
            return a;
        }

        static void MicTests()
        {
            T.Run("mic: chunks of 20-100 ms in whole frames, in order, nothing lost", () =>
            {
                var ms = new MicStream { MaxLatencyMs = 0 };
                ms.Write(Ramp(2 * 480), 0, 2 * 480, 48000, 2);        // 10 ms stereo
                T.Check(ms.TakeChunk() == null, "under 20 ms waits");
                var all = new List<short>();
                for (int k = 1; k < 30; k++) ms.Write(Ramp(2 * 480, 2 * 480 * k), 0, 2 * 480, 48000, 2);   // 290 ms more
                Mic c;
                var sizes = new List<int>();
                while ((c = ms.TakeChunk()) != null)
                {
                    T.Eq(48000L, c.SampleRate, "rate"); T.Eq(2L, c.Channels, "channels");
                    T.Eq(0, c.Pcm.Length % 4, "whole stereo frames");
                    sizes.Add(c.Pcm.Length / 4);
                    all.AddRange(Samples(c));
                }
                T.Check(sizes.All(n => n >= 960 && n <= 4800), "20-100 ms: " + string.Join(",", sizes));
                T.Check(all.SequenceEqual(Ramp(2 * 480 * 30)), "samples in order, none lost or repeated");
                ms.Write(Ramp(100), 0, 100, 48000, 2);
                T.Check(ms.TakeChunk() == null, "remainder waits");
                T.Eq(100, ms.TakeChunk(flush: true).Pcm.Length / 2, "flush sends the remainder");
            });
            T.Run("mic: after a hold-up only the newest MaxLatencyMs is sent (no burst of stale audio)", () =>
            {
                var ms = new MicStream();   // MaxLatencyMs 200
                for (int k = 0; k < 50; k++) ms.Write(Ramp(480, 480 * k), 0, 480, 48000, 1);   // 500 ms unsent
                var got = new List<short>();
                Mic c; while ((c = ms.TakeChunk()) != null) got.AddRange(Samples(c));
                T.Eq(9600, got.Count, "200 ms sent");
                T.Check(got.SequenceEqual(Ramp(9600, 24000 - 9600)), "the newest 200 ms, in order");
                T.Eq(14400L, ms.DroppedFrames, "300 ms dropped");
                var all = new MicStream { MaxLatencyMs = 0 };
                for (int k = 0; k < 50; k++) all.Write(Ramp(480, 480 * k), 0, 480, 48000, 1);
                int n = 0; while ((c = all.TakeChunk()) != null) n += c.Pcm.Length / 2;
                T.Eq(24000, n, "MaxLatencyMs 0 keeps everything");
            });
            T.Run("mic: a format change sends the old run first with its own format", () =>
            {
                var ms = new MicStream();
                ms.Write(Ramp(960), 0, 960, 48000, 1);
                ms.Write(Ramp(882, 5000), 0, 882, 44100, 1);
                var a = ms.TakeChunk(); var b = ms.TakeChunk(flush: true);
                T.Eq(48000L, a.SampleRate, "old run"); T.Check(Samples(a).SequenceEqual(Ramp(960)), "old samples");
                T.Eq(44100L, b.SampleRate, "new run"); T.Check(Samples(b).SequenceEqual(Ramp(882, 5000)), "new samples");
            });
            T.Run("mic: overflow drops the oldest audio, counts it, keeps the newest", () =>
            {
                var ms = new MicStream(4800) { MaxLatencyMs = 0 };
                for (int k = 0; k < 10; k++) ms.Write(Ramp(960, 960 * k), 0, 960, 48000, 1);   // 9600 into 4800
                T.Eq(4800L, ms.DroppedFrames, "dropped frames");
                var got = new List<short>();
                Mic c; while ((c = ms.TakeChunk(flush: true)) != null) got.AddRange(Samples(c));
                T.Check(got.SequenceEqual(Ramp(4800, 4800)), "the newest 100 ms remain");
            });
            T.Run("mic: float input is clipped to PCM16", () =>
            {
                var ms = new MicStream();
                var f = new float[960]; f[0] = 1.5f; f[1] = -2f; f[2] = 0.5f;
                ms.Write(f, 0, f.Length, 48000, 1);
                var s = Samples(ms.TakeChunk());
                T.Eq((short)32767, s[0], "clip +"); T.Eq((short)-32768, s[1], "clip -"); T.Eq((short)16383, s[2], "0.5");
            });
            T.Run("mic: Write (the capture thread) does not allocate", () =>
            {
                var ms = new MicStream();
                var pcm = Ramp(480); var f = new float[480];
                ms.Write(pcm, 0, 480, 48000, 1); ms.Write(f, 0, 480, 48000, 1);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 1000; i++) { ms.Write(pcm, 0, 480, 48000, 1); ms.Write(f, 0, 480, 48000, 1); }
                T.Eq(0L, GC.GetAllocatedBytesForCurrentThread() - before, "bytes allocated by 2000 writes");
            });
            T.Run("mic: capture-ring blocks divide the ring (never straddle its end)", () =>
            {
                T.Eq(960, MicStream.BlockFrames(48000, 960), "48 kHz, 20 ms");
                T.Eq(882, MicStream.BlockFrames(44100, 882), "44.1 kHz, 20 ms");
                T.Eq(175, MicStream.BlockFrames(11025, 220), "11025 Hz: the largest divisor of the ring <= 20 ms");
                T.Eq(1, MicStream.BlockFrames(7919, 160), "a prime ring: single frames");
                foreach (int ring in new[] { 8000, 11025, 16000, 22050, 44100, 48000, 96000, 7919 })
                    T.Eq(0, ring % MicStream.BlockFrames(ring, ring / 50), "divides " + ring);
            });
            T.Run("mic: bad formats are refused with a clear error", () =>
            {
                var ms = new MicStream();
                T.Throws<ArgumentException>(() => ms.Write(new short[10], 0, 10, 4000, 1), "rate 4000");
                T.Throws<ArgumentException>(() => ms.Write(new short[10], 0, 10, 48000, 9), "9 channels");
                T.Throws<ArgumentException>(() => ms.Write(new float[10], 0, 10, 48000, 0), "0 channels");
            });
        }

        static void Feed(ClientSession s, Message m) { var b = Codec.Encode(m); s.Receive(b, 0, b.Length); }

        static byte[] Pcm(int n, short v) { var b = new byte[2 * n]; for (int i = 0; i < n; i++) { b[2 * i] = (byte)v; b[2 * i + 1] = (byte)(v >> 8); } return b; }

        static ClientSession Open(string vectorsDir)
        {
            var s = new ClientSession();
            s.Hello(token: "tok");
            var hello = (Hello)Codec.Decode(s.DataToSend()[0]);
            T.Eq("tok", hello.Token, "hello.token sent");
            Feed(s, Codec.Decode(File.ReadAllBytes(Path.Combine(vectorsDir, "welcome.msgpack"))));
            T.Eq(SessionState.Open, s.State, "open");
            return s;
        }

        static void SessionTests(string vectorsDir)
        {
            T.Run("session: interrupted drops the utterance at once and ends it once, with what was heard", () =>
            {
                var s = Open(vectorsDir);
                var ends = new List<UtteranceEnd>(); var cuts = new List<Interrupted>();
                var partner = new List<string>();
                s.UtteranceEnded += ends.Add; s.UtteranceInterrupted += cuts.Add;
                s.PartnerStarted += p => partner.Add("started " + p.Sample);
                s.PartnerStopped += p => partner.Add("stopped " + p.Samples);
                var u = s.Say("Hello there, how are you?");
                Feed(s, new UtteranceStarted { Utt = u, Sample = 0 });
                Feed(s, new Mark { Utt = u, Kind = "word", Sample = 0, End = 4000, Text = "Hello" });
                Feed(s, new Mark { Utt = u, Kind = "word", Sample = 4000, End = 9000, Text = "there" });
                Feed(s, new AudioChunk { Utt = u, Seq = 0, Sample = 0, Pcm = Pcm(9600, 100) });
                Feed(s, new FaceFrame { Utt = u, Seq = 0, Frame = 0, Sample = 0, Values = new float[59] });
                T.Eq(9600L, s.Timeline.BufferedSamplesOf(u), "buffered before");
                T.Eq(2, s.Marks.Count, "marks waiting");
                Feed(s, new PartnerSpeechStarted { Sample = 5000 });
                Feed(s, new Interrupted { Utt = u, ReplyTo = "say-" + u, Sample = 9600, SamplesSent = 9600, SamplesPlayed = 4800, WordsSpoken = new[] { "Hello" }, TextSpoken = "Hello", PartnerSample = 5000 });
                T.Eq(0L, s.Timeline.BufferedSamplesOf(u), "nothing of it left to play");
                T.Eq(0, s.Marks.Count, "its marks will not fire");
                T.Eq(1, cuts.Count, "interrupted event");
                T.Eq(1, ends.Count, "ended at the interruption");
                T.Check(ends[0].WasInterrupted && ends[0].SamplesPlayed == 4800 && ends[0].TextSpoken == "Hello"
                        && ends[0].WordsSpoken.SequenceEqual(new[] { "Hello" }) && ends[0].Samples == 9600, "end carries what was heard: " + ends[0]);
                Feed(s, new UtteranceCancelled { Utt = u, Reason = "interrupted", Sample = 9600, Samples = 9600 });
                T.Eq(1, ends.Count, "not ended twice");
                T.Check(!s.Timeline.AddAudio(u, 9600, Pcm(100, 1), 0, 200), "late audio of it ignored");
                var u2 = s.Say("Queued line.");
                Feed(s, new UtteranceCancelled { Utt = u2, Reason = "interrupted", Sample = 9600, Samples = 0 });
                T.Check(ends.Count == 2 && ends[1].Utt == u2 && ends[1].WasInterrupted && ends[1].Interruption == null, "a queued utterance ends too");
                Feed(s, new PartnerSpeechStopped { Sample = 40000, Samples = 35000 });
                T.Check(partner.SequenceEqual(new[] { "started 5000", "stopped 35000" }), "partner events: " + string.Join(";", partner));
                // resume_false_interruption: the daemon speaks the rest again as the same utt.
                Feed(s, new UtteranceStarted { Utt = u, Sample = 60000 });
                T.Eq(UtteranceState.Started, s.StateOf(u).Value, "resumed");
                T.Check(s.Timeline.AddAudio(u, 60000, Pcm(100, 1), 0, 200), "resumed audio accepted");
                Feed(s, new UtteranceFinished { Utt = u, Sample = 60100, Samples = 100, InsertedSilence = 0 });
                T.Check(ends.Count == 3 && ends[2].Reason == "finished" && ends[2].SamplesPlayed == 100, "resumed utterance finishes");
            });
            T.Run("session: warning and cancel reasons reach the game", () =>
            {
                var s = Open(vectorsDir);
                var warnings = new List<string>(); var ends = new List<UtteranceEnd>();
                s.WarningReceived += w => warnings.Add(w.Code + " " + w.Utt);
                s.UtteranceEnded += ends.Add;
                var u = s.Say("Bonjour.");
                Feed(s, new WarningMessage { ReplyTo = "say-" + u, Utt = u, Code = "language_not_supported", Text = "French?" });
                Feed(s, new UtteranceCancelled { Utt = u, Reason = "client_too_slow", Sample = 10, Samples = 10, InsertedSilence = 3 });
                T.Check(warnings.SequenceEqual(new[] { "language_not_supported " + u }), "warning");
                T.Check(ends.Count == 1 && ends[0].Reason == "client_too_slow" && ends[0].InsertedSilence == 3 && ends[0].SamplesPlayed == -1, "cancel reason");
                var refused = s.Say("One too many.");
                Feed(s, new ErrorMessage { ReplyTo = "say-" + refused, Code = "queue_full", Text = "16 waiting" });
                T.Check(ends.Count == 2 && ends[1].Utt == refused && ends[1].Reason == "rejected" && ends[1].Rejection.Code == "queue_full", "a refused say ends as rejected");
                T.Check(s.StateOf(refused) == null, "and is forgotten");
                var failing = s.Say("Synthesis fails.");
                Feed(s, new ErrorMessage { ReplyTo = "say-" + failing, Code = "synthesis_failed", Text = "voice" });
                Feed(s, new UtteranceCancelled { Utt = failing, Reason = "error", Sample = 0, Samples = 0 });
                T.Check(ends.Count == 3 && ends[2].Reason == "error", "synthesis_failed ends once, by its utterance_cancelled");
            });
            T.Run("marks: released when heard, in timeline order; dropped with their utterance", () =>
            {
                var q = new MarkQueue();
                q.Add(new Mark { Utt = "a", Kind = "word", Sample = 100, Text = "one" });
                q.Add(new Mark { Utt = "a", Kind = "phoneme", Sample = 100, Text = "w", Viseme = "ou" });
                q.Add(new Mark { Utt = "a", Kind = "word", Sample = 900, Text = "two" });
                q.Add(new Mark { Utt = "b", Kind = "word", Sample = 2000, Text = "three" });
                var due = new List<Mark>();
                T.Eq(0, q.TakeDue(100, due), "not yet (exclusive)");
                T.Eq(2, q.TakeDue(101, due), "first word and its phoneme");
                q.Drop("b");
                T.Eq(1, q.TakeDue(5000, due), "b dropped");
                T.Check(due.Select(m => m.Text).SequenceEqual(new[] { "one", "w", "two" }), "order");
            });
        }

        static void UpstreamTests()
        {
            T.Run("lipsync: split into <64 KiB messages, transcript on the first, final on the last", () =>
            {
                var s = new ClientSession();
                s.Hello(); s.DataToSend();
                var pcm = Ramp(40000);
                var u = s.Lipsync(pcm, 0, pcm.Length, 22050, 1, "Peter bought a map.");
                var msgs = s.DataToSend();
                var ls = msgs.Select(b => (Lipsync)Codec.Decode(b)).ToList();
                T.Check(msgs.All(b => b.Length < 65536), "every message under 64 KiB");
                T.Eq(3, ls.Count, "40000 samples in 16384-sample chunks");
                T.Check(ls.All(l => l.Utt == u && l.SampleRate == 22050 && l.Channels == 1), "utt and format on every chunk");
                T.Eq("Peter bought a map.", ls[0].Text, "transcript"); T.Check(ls.Skip(1).All(l => l.Text == null), "only first");
                T.Check(ls.Select(l => l.Final).SequenceEqual(new[] { false, false, true }), "final on the last");
                T.Eq("say-" + u, ls[0].Id, "first chunk's id maps errors to the utterance");
                var back = ls.SelectMany(l => Enumerable.Range(0, l.Pcm.Length / 2).Select(i => (short)(l.Pcm[2 * i] | (l.Pcm[2 * i + 1] << 8)))).ToArray();
                T.Check(back.SequenceEqual(pcm), "samples intact");
                var u2 = s.Lipsync(Ramp(10), 0, 10, 16000, 1, null, null, false);
                s.Lipsync(new short[0], 0, 0, 16000, 1, null, u2, true);
                var more = s.DataToSend().Select(b => (Lipsync)Codec.Decode(b)).ToList();
                T.Check(more.Count == 2 && !more[0].Final && more[1].Final && more[1].Utt == u2 && more[1].Pcm.Length == 0, "streamed in two calls");
            });
            T.Run("welcome: config and limits are ordered generic maps (a key added later survives re-encoding)", () =>
            {
                var w = new Welcome { Session = "s", Server = "faceplex/9", Fps = 60 };
                w.Config.Set("future_ms", 7L).Set("lead_ms", 150L).Set("emotion", "sad").Set("zeta", "z");
                w.Limits.Raw.Set("max_future", 3L).Set("max_text_chars", 2000L);
                var back = (Welcome)Codec.Decode(Codec.Encode(w));
                T.Check(back.Config.Keys.SequenceEqual(new[] { "lead_ms", "emotion", "future_ms", "zeta" }), "config: §7 keys first, then the others as received: " + string.Join(",", back.Config.Keys));
                T.Eq(7L, (long)back.Config.Get("future_ms"), "unknown setting kept");
                T.Check(back.Limits.Raw.Keys.SequenceEqual(new[] { "max_text_chars", "max_future" }), "limits: " + string.Join(",", back.Limits.Raw.Keys));
                T.Eq(2000L, back.Limits.MaxTextChars, "typed limit"); T.Eq(3L, (long)back.Limits.Raw.Get("max_future"), "unknown limit kept");
                T.Check(Codec.Encode(back).SequenceEqual(Codec.Encode(Codec.Decode(Codec.Encode(back)))), "stable");
            });
            T.Run("config: typed settings give the canonical §7 map", () =>
            {
                var map = new SessionSettings
                {
                    Interruption = InterruptionPolicy.Duck, MinInterruptionMs = 300, Emotion = "happy", EmotionIntensity = 0.75f,
                    Voice = "en_US-joe-medium", Expressiveness = 1.5f,
                }.ToMap();
                var bytes = Codec.Encode(new ConfigMessage { Id = "c1", Settings = map });
                var back = (ConfigMessage)Codec.Decode(bytes);
                T.Check(back.Settings.Keys.SequenceEqual(new[] { "voice", "expressiveness", "emotion", "emotion_intensity", "interruption", "min_interruption_ms" }),
                        "keys in §7 order: " + string.Join(",", back.Settings.Keys));
                T.Eq("duck", (string)back.Settings.Get("interruption"), "policy");
                T.Eq(0.75f, (float)back.Settings.Get("emotion_intensity"), "intensity float32");
                T.Eq(300L, (long)back.Settings.Get("min_interruption_ms"), "int");
            });
        }

        static void HandshakeTimeoutTest()
        {
            T.Run("connect: a handshake that never completes faults with TimeoutException (not Canceled)", () =>
            {
                // A real TCP server on loopback that accepts and never answers the WebSocket upgrade.
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var accepted = listener.AcceptTcpClientAsync();
                try
                {
                    int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                    var client = new FacePlexClient();
                    var task = client.ConnectAsync(new Uri("ws://127.0.0.1:" + port + "/"), timeoutMs: 300);
                    try { task.Wait(); } catch (AggregateException) { }
                    T.Eq(TaskStatus.Faulted, task.Status, "task status");
                    T.Check(task.Exception.InnerException is TimeoutException, "TimeoutException, got " + task.Exception.InnerException.GetType().Name);
                    T.Check(!client.IsOpen, "not open");
                }
                finally
                {
                    listener.Stop();
                    if (accepted.Status == TaskStatus.RanToCompletion) accepted.Result.Close();
                }
            });
        }
    
        /// <summary>The welcome vector as a raw map with <paramref name="edit"/> applied, re-encoded.</summary>
        static byte[] RawWelcome(string vectorsDir, Action<MsgMap> edit)
        {
            var map = (MsgMap)new MsgPackReader(File.ReadAllBytes(Path.Combine(vectorsDir, "welcome.msgpack"))).ReadValue();
            edit(map);
            var w = new MsgPackWriter();
            w.WriteValue(map);
            return w.ToArray();
        }

        static void Remove(MsgMap map, string key)
        {
            int i = map.Keys.IndexOf(key);
            map.Keys.RemoveAt(i); map.Values.RemoveAt(i);
        }

        static void VersionAndTranscriptTests(string vectorsDir)
        {
            T.Run("version: a welcome of protocol 2 is refused, the event names 1 and 2", () =>
            {
                var s = new ClientSession();
                var seen = new List<IncompatibleDaemon>();
                s.IncompatibleDaemon += seen.Add;
                s.Hello();
                var raw = RawWelcome(vectorsDir, m => m.Set("protocol", 2L));
                var msg = s.Receive(raw, 0, raw.Length);
                T.Check(msg is Welcome && ((Welcome)msg).Protocol == 2, "decoded");
                T.Eq(SessionState.Incompatible, s.State, "not open");
                T.Check(s.Welcome == null && s.Timeline == null, "no welcome kept, no timeline");
                T.Check(seen.Count == 1 && seen[0].DaemonProtocol == 2 && seen[0].ClientProtocol == 1 && seen[0].Source == "welcome", "one event");
                T.Check(seen[0].Message.Contains("protocol 2") && seen[0].Message.Contains("protocol 1"), "names both: " + seen[0].Message);
                T.Check(s.SendMicEnd() == null, "nothing is sent on a refused session");
            });
            T.Run("version: a ready line of protocol 2 is refused by the launcher: logged, event, daemon stopped, no restart", () =>
            {
                // A stand-in daemon that prints a v2 ready line and would then run for a minute.
                var script = Path.Combine(Path.GetTempPath(), "faceplex-v2-" + Guid.NewGuid().ToString("N") + ".sh");
                File.WriteAllText(script, "echo '{\"event\": \"ready\", \"port\": 50231, \"pid\": 4242, \"protocol\": 2, \"token\": \"t\"}'\nexec sleep 60\n");
                var launcher = new DaemonLauncher { FileName = "/bin/sh", Arguments = script, InitialBackoffMs = 10 };
                var seen = new List<IncompatibleDaemon>();
                var log = new List<string>();
                launcher.IncompatibleDaemon += seen.Add;
                launcher.Log += l => { lock (log) log.Add(l); };
                try
                {
                    launcher.Start();
                    T.Check(launcher.WaitReady(120000) == null, "never ready");
                    launcher.Stop();
                    T.Check(seen.Count == 1 && seen[0].DaemonProtocol == 2 && seen[0].ClientProtocol == 1 && seen[0].Source == "ready line", "one event");
                    T.Check(launcher.Incompatible != null && launcher.Starts == 1 && launcher.Process == null, "stopped, not restarted");
                    lock (log) T.Check(log.Any(l => l.Contains("protocol 2") && l.Contains("protocol 1")), "logged with both versions");
                    T.Eq(2L, DaemonReady.Parse("{\"event\": \"ready\", \"port\": 1, \"protocol\": 2}", 1).Protocol, "parsed");
                    T.Eq(0L, DaemonReady.Parse("{\"event\": \"ready\", \"port\": 1}", 1).Protocol, "absent = 0");
                    T.Check(ProtocolCheck.Check(1, "ready line") == null && ProtocolCheck.Check(2, "welcome") != null, "check");
                }
                finally { launcher.Stop(); File.Delete(script); }
            });
            T.Run("welcome: voices and voice_catalog and features are exposed; an older v1 welcome without them opens", () =>
            {
                var s = Open(vectorsDir);
                T.Check(s.Welcome.Voices.SequenceEqual(new[] { "en_US-joe-medium", "ef_dora" }), "voices");
                var cat = s.Welcome.VoiceCatalog;
                T.Check(cat.Length == 2 && cat[0].Id == "en_US-joe-medium" && cat[0].Gender == "male" && cat[0].SampleRate == 22050
                        && cat[1].Language == "es" && cat[1].Accent == null && cat[1].Engine == "kokoro", "catalog");
                var f = s.Welcome.Features;
                T.Check(f != null && f.VadAvailable && f.VadReason == null && f.TranscriptionAvailable
                        && f.TranscriptionModels.SequenceEqual(new[] { "tiny.en", "base" }) && f.TranscriptionDefault == "tiny.en"
                        && f.TranscriptionFallback == "pocketsphinx", "features");
                var old = new ClientSession();
                old.Hello();
                var raw = RawWelcome(vectorsDir, m => { Remove(m, "voice_catalog"); Remove(m, "features"); });
                old.Receive(raw, 0, raw.Length);
                T.Check(old.State == SessionState.Open && old.Welcome.VoiceCatalog.Length == 0 && old.Welcome.Features == null, "older welcome");
            });
            T.Run("duplex: mic_end follows the mic in order; partner_transcript interim then final reach the game", () =>
            {
                var s = Open(vectorsDir);
                s.DataToSend();
                var texts = new List<string>();
                s.PartnerTranscriptReceived += t => texts.Add((t.Final ? "final " : "interim ") + t.Text + " " + t.Words.Length);
                s.QueueMic(new Mic { SampleRate = 16000, Channels = 1, Pcm = Pcm(320, 7) });
                var id = s.SendMicEnd();
                var sent = s.DataToSend().Select(b => Codec.Decode(b)).ToList();
                T.Check(sent.Count == 2 && sent[0] is Mic && sent[1] is MicEnd && ((MicEnd)sent[1]).Id == id && id != null, "mic, then mic_end");
                foreach (var name in new[] { "partner_transcript_interim", "partner_transcript" })
                {
                    var b = File.ReadAllBytes(Path.Combine(vectorsDir, name + ".msgpack"));
                    s.Receive(b, 0, b.Length);
                }
                T.Check(texts.SequenceEqual(new[] { "interim Where is the 0", "final Where is the old mill? 5" }), string.Join("|", texts));
            });
        }
}
}
