using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using FacePlex.Core;

namespace FacePlex.Tests
{
    /// <summary>
    /// Against a real daemon: connect, say, play the timeline with a simulated real-time audio thread,
    /// and check audio completeness, frame coverage, face-at-playback-position, cancel and playback reports.
    /// Usage: LiveDaemonTest.exe ws://127.0.0.1:PORT/ [TOKEN]
    /// </summary>
    public static class LiveDaemonTest
    {
        const int SR = 48000, FPS = 60, BLOCK = 480;
        static readonly object Lock = new object();
        static readonly List<Message> Log = new List<Message>();
        static float[] _played = new float[SR * 120];          // played output by timeline position
        static readonly List<KeyValuePair<long, float[]>> FaceQueries = new List<KeyValuePair<long, float[]>>();
        static volatile bool _stop;

        public static int Main(string[] args)
        {
            var url = new Uri(args[0]);
            string token = args.Length > 1 && args[1] != "" ? args[1] : null;
            if (token != null)
                T.Run("a wrong token is refused: the connect task faults with the daemon's unauthorized error", () =>
                {
                    var bad = new FacePlexClient();
                    var t = bad.ConnectAsync(url, SR, FPS, 0.1, token: token + "x");
                    try { t.Wait(); } catch (AggregateException) { }
                    T.Eq(System.Threading.Tasks.TaskStatus.Faulted, t.Status, "status");
                    T.Check(t.Exception.InnerException.Message.Contains("unauthorized"), "message: " + t.Exception.InnerException.Message);
                    bad.Dispose();
                });
            var client = new FacePlexClient();
            client.MessageReceived += m => { lock (Lock) Log.Add(m); };
            Welcome welcome = null;
            T.Run("connect and handshake", () =>
            {
                welcome = client.ConnectAsync(url, SR, FPS, 0.1, token: token).Result;
                T.Eq(SR, client.Session.SampleRate, "sample rate");
                T.Eq(59, welcome.Channels.Length, "channels");
                T.Check(client.Timeline != null, "timeline");
            });
            if (welcome == null) return T.Summary();
            var tl = client.Timeline;
            var audio = new Thread(() => AudioThread(tl)) { IsBackground = true };
            audio.Start();

            // ---------------------------------------------------------------- one utterance, played through
            string u1 = client.Say("Hello there, traveller. The road north is long, so take some bread.");
            var fin = WaitFor<UtteranceFinished>(m => m.Utt == u1, 30000);
            T.Run("utterance finished", () => T.Check(fin != null, "utterance_finished for " + u1));
            if (fin == null) return Done(client);
            long start = fin.Sample - fin.Samples, end = fin.Sample;
            WaitUntil(() => tl.PlayedSample > end + SR / 5, 30000);
            Thread.Sleep(300);   // let the post-utterance playback report go out

            List<Message> log; lock (Lock) log = Log.ToList();
            var chunks = log.OfType<AudioChunk>().Where(a => a.Utt == u1).ToList();
            var frames = log.OfType<FaceFrame>().ToList();
            T.Run("all audio samples arrive", () =>
            {
                var st = log.OfType<UtteranceStarted>().Single(m => m.Utt == u1);
                T.Eq(start, st.Sample, "start");
                long pos = start;
                foreach (var c in chunks) { T.Eq(pos, c.Sample, "contiguous chunk"); pos += c.SampleCount; }
                T.Eq(end, pos, "end");
                T.Eq(fin.Samples, chunks.Sum(c => (long)c.SampleCount), "sample count");
                Console.WriteLine("INFO u1 samples=" + fin.Samples + " chunks=" + chunks.Count);
            });
            T.Run("frames for every sample position", () =>
            {
                var inRange = frames.Where(f => f.Sample < end + SR / FPS && f.Sample + SR / FPS > start).OrderBy(f => f.Frame).ToList();
                for (int i = 0; i < inRange.Count; i++)
                {
                    T.Eq(inRange[i].Frame * SR / FPS, inRange[i].Sample, "frame sample = floor(n*sr/fps)");
                    if (i > 0) T.Eq(inRange[i - 1].Frame + 1, inRange[i].Frame, "consecutive frames");
                }
                T.Check(inRange.First().Sample <= start && inRange.Last().Sample + SR / FPS >= end, "frames cover [start, end)");
                T.Check(inRange.Where(f => f.Sample >= start && f.Sample < end).All(f => f.Utt == u1), "speech frames tagged with utt");
            });
            T.Run("played audio equals the received audio sample for sample (no loss, no repeat)", () =>
            {
                foreach (var c in chunks)
                    for (int i = 0; i < c.SampleCount; i++)
                    {
                        float want = (short)(c.Pcm[2 * i] | (c.Pcm[2 * i + 1] << 8)) / 32768f;
                        if (_played[c.Sample + i] != want)
                            throw new Exception("sample " + (c.Sample + i) + ": played " + _played[c.Sample + i] + " want " + want);
                    }
                Console.WriteLine("INFO underruns=" + tl.Underruns + " resyncs=" + tl.Resyncs);
            });
            T.Run("face at a playback position matches the daemon's frames", () =>
            {
                var bySample = frames.GroupBy(f => f.Sample).ToDictionary(g => g.Key, g => g.Last());
                var sorted = bySample.Keys.OrderBy(x => x).ToArray();
                int checkedN = 0, exact = 0;
                List<KeyValuePair<long, float[]>> q; lock (Lock) q = FaceQueries.ToList();
                foreach (var kv in q.Where(x => x.Key >= start && x.Key < end))
                {
                    int j = Array.BinarySearch(sorted, kv.Key);
                    float[] want;
                    if (j >= 0) { want = bySample[sorted[j]].Values; exact++; }
                    else
                    {
                        j = ~j;
                        var a = bySample[sorted[j - 1]]; var b = bySample[sorted[j]];
                        float t = (float)((double)(kv.Key - a.Sample) / (b.Sample - a.Sample));
                        want = a.Values.Select((v, i) => v + (b.Values[i] - v) * t).ToArray();
                    }
                    for (int i = 0; i < want.Length; i++)
                        if (Math.Abs(want[i] - kv.Value[i]) > 1e-6f)
                            throw new Exception("at " + kv.Key + " ch " + i + ": face " + kv.Value[i] + " want " + want[i]);
                    checkedN++;
                }
                // And directly: the face at each frame's own sample is exactly that frame.
                var o = new float[59];
                foreach (var f in frames.Where(f => f.Sample >= start && f.Sample < end))
                {
                    T.Check(tl.FaceAt(f.Sample, o), "face available");
                    for (int i = 0; i < 59; i++) if (o[i] != f.Values[i]) throw new Exception("frame " + f.Frame + " ch " + i);
                }
                T.Check(checkedN > 50, "face checked at >50 playback positions (" + checkedN + ")");
                Console.WriteLine("INFO face positions checked=" + checkedN + " (on a frame: " + exact + ")");
            });
            T.Run("playback reports reach the daemon (pong.played)", () =>
            {
                client.Ping();
                var pong = WaitFor<Pong>(m => true, 5000);
                T.Check(pong != null, "pong");
                T.Check(pong.Played.HasValue, "pong.played set");
                T.Check(pong.Played.Value >= end, "played " + pong.Played + " >= utterance end " + end);
                T.Check(pong.Played.Value <= tl.PlayedSample, "played <= our position");
                Console.WriteLine("INFO pong.sample=" + pong.Sample + " played=" + pong.Played + " lag=" + (pong.Sample - pong.Played));
            });

            // ---------------------------------------------------------------- cancel mid-utterance
            string u2 = client.Say("This one is much longer. It goes on and on about the weather, the harvest, the river and the hills, so that we can interrupt it.");
            var st2 = WaitFor<UtteranceStarted>(m => m.Utt == u2, 30000);
            T.Run("second utterance started", () => T.Check(st2 != null, "utterance_started u2"));
            if (st2 == null) return Done(client);
            WaitUntil(() => tl.PlayedSample > st2.Sample + SR * 3 / 10, 30000);
            long bufferedBefore = tl.BufferedSamplesOf(u2);
            long posAtCancel = tl.PlayedSample;
            client.Cancel(u2);
            long bufferedAfter = tl.BufferedSamplesOf(u2);
            var cancelled = WaitFor<UtteranceCancelled>(m => m.Utt == u2, 10000);
            Thread.Sleep(500);
            T.Run("cancel mid-utterance drops queued audio at once", () =>
            {
                T.Check(bufferedBefore > 0, "audio of u2 was queued beyond the play position (" + bufferedBefore + ")");
                T.Eq(0L, bufferedAfter, "queued u2 audio after Cancel()");
                T.Check(cancelled != null, "utterance_cancelled from the daemon");
                T.Eq("client", cancelled.Reason, "reason");
                long from = posAtCancel + 2 * BLOCK;   // the audio thread may have been mid-block
                long to = tl.PlayedSample;
                T.Check(to > from + SR / 4, "kept playing after the cancel");
                for (long p = from; p < to; p++)
                    if (_played[p] != 0f) throw new Exception("u2 audio played after cancel at " + p + " (cancel at " + posAtCancel + ")");
                List<Message> l2; lock (Lock) l2 = Log.ToList();
                int ci = l2.IndexOf(cancelled);
                T.Check(!l2.Skip(ci + 1).Any(m => (m is AudioChunk && ((AudioChunk)m).Utt == u2) || (m is FaceFrame && ((FaceFrame)m).Utt == u2)),
                        "no u2 media after utterance_cancelled");
                Console.WriteLine("INFO cancel dropped=" + bufferedBefore + " samples");
            });
            T.Run("idle frames continue after the cancel; face defined at the playback position", () =>
            {
                var o = new float[59];
                T.Check(tl.FaceAt(tl.PlayedSample, o), "face");
                T.Eq((string)null, tl.UtteranceAt(tl.PlayedSample), "idle");
            });
            return Done(client);
        }

        static int Done(FacePlexClient client)
        {
            _stop = true;
            client.Close();
            return T.Summary();
        }

        /// <summary>Simulated engine audio thread: pulls 10 ms blocks in real time, records what it played and
        /// asks for the face at the position it reached.</summary>
        static void AudioThread(Timeline tl)
        {
            var buf = new float[BLOCK];
            var face = new float[59];
            var sw = Stopwatch.StartNew();
            long pulled = 0;
            while (!_stop)
            {
                long due = (long)(sw.Elapsed.TotalSeconds * SR);
                while (pulled + BLOCK <= due)
                {
                    long pos = tl.PlayedSample;
                    int n = tl.ReadAudio(buf, 0, BLOCK, 1);
                    if (pos + n < _played.Length) Array.Copy(buf, 0, _played, pos, n);
                    pulled += BLOCK;
                    long heard = tl.PlayedSample;
                    if (tl.FaceAt(heard, face)) lock (Lock) FaceQueries.Add(new KeyValuePair<long, float[]>(heard, (float[])face.Clone()));
                }
                Thread.Sleep(3);
            }
        }

        static TM WaitFor<TM>(Func<TM, bool> pred, int timeoutMs) where TM : Message
        {
            var sw = Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < timeoutMs)
            {
                lock (Lock) { var m = Log.OfType<TM>().FirstOrDefault(pred); if (m != null) return m; }
                Thread.Sleep(5);
            }
            return null;
        }

        static void WaitUntil(Func<bool> cond, int timeoutMs)
        {
            var sw = Stopwatch.StartNew();
            while (!cond() && sw.ElapsedMilliseconds < timeoutMs) Thread.Sleep(5);
        }
    }
}
