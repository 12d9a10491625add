using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using FacePlex.Core;

namespace FacePlex.Tests
{
    /// <summary>
    /// Full duplex against a real daemon on loopback (PROTOCOL.md §11): while the avatar speaks, a recorded
    /// partner line (real speech, a WAV the pytest driver wrote) goes up as the microphone through
    /// <see cref="FacePlexClient.SendMic(short[],int,int,int,int)"/> in 10 ms capture blocks paced in real time;
    /// the avatar is interrupted, then says another line; then a recorded line is lip-synced.
    /// Asserts events, ordering and sample counts only (no wall-clock limits).
    /// Usage: LiveDuplexTest.exe URL PARTNER.wav LINE.wav "transcript of LINE" [TOKEN]
    /// </summary>
    public static class LiveDuplexTest
    {
        const int SR = 48000, FPS = 60, BLOCK = 480;
        const int WaitMs = 180000;   // a safety net against hangs, not a speed requirement
        const string Long = "Well, let me tell you about the old lighthouse on the northern cliffs. Every evening the keeper "
                            + "climbed the stairs, lit the great lamp and watched the ships pass by in the dark water below.";
        static readonly object Lock = new object();
        static readonly List<Message> Log = new List<Message>();
        static readonly List<UtteranceEnd> Ends = new List<UtteranceEnd>();
        static readonly List<Mark> Heard = new List<Mark>();
        static readonly float[] Played = new float[SR * 300];
        static volatile bool _stop;
        static readonly Stopwatch Clock = Stopwatch.StartNew();
        static void Phase(string what) { Console.WriteLine("INFO t=" + Clock.Elapsed.TotalSeconds.ToString("F1") + " s: " + what); }

        public static int Main(string[] args)
        {
            var url = new Uri(args[0]);
            var partner = Wav.Read(args[1]);
            var line = Wav.Read(args[2]);
            string transcript = args[3], token = args.Length > 4 && args[4] != "" ? args[4] : null;
            var client = new FacePlexClient();
            client.MessageReceived += m => { lock (Lock) Log.Add(m); };
            client.UtteranceEnded += e => { lock (Lock) Ends.Add(e); };
            Interrupted cut = null; long posAtCut = -1, bufferedAfterCut = -1;
            client.Interrupted += it =>
            {
                // Raised after the session dropped the utterance: what is left of it must be nothing.
                posAtCut = client.Timeline.PlayedSample;
                bufferedAfterCut = client.Timeline.BufferedSamplesOf(it.Utt);
                cut = it;
            };
            Welcome welcome = null;
            T.Run("duplex: connect with the token and configure barge-in", () =>
            {
                welcome = client.ConnectAsync(url, SR, FPS, 0.1, token: token).Result;
                var id = client.Configure(new SessionSettings { MinInterruptionMs = 200, Interruption = InterruptionPolicy.Interrupt });
                var conf = WaitFor<Configured>(c => c.ReplyTo == id);
                T.Check(conf != null, "configured");
                T.Eq(200L, (long)conf.Config.Get("min_interruption_ms"), "min_interruption_ms");
            });
            if (welcome == null) return T.Summary();
            var tl = client.Timeline;
            new Thread(() => AudioThread(client)) { IsBackground = true }.Start();

            // ------------------------------------------------------------ barge-in
            Phase("connected");
            string u1 = client.Say(Long);
            var st1 = WaitFor<UtteranceStarted>(m => m.Utt == u1);
            T.Run("duplex: the long line started", () => T.Check(st1 != null, "utterance_started"));
            if (st1 == null) return Done(client);
            long micSent = 0;
            var mic = new Thread(() => micSent = MicThread(client, partner, 1.5, () => cut != null)) { IsBackground = true };
            Phase("long line started");
            mic.Start();
            WaitUntil(() => cut != null || Has<UtteranceFinished>(m => m.Utt == u1));
            mic.Join();
            Phase("mic done");
            var stopped = Has<PartnerSpeechStarted>(m => true) ? WaitFor<PartnerSpeechStopped>(m => true) : null;
            Phase("partner stopped");
            // Issue 22: the stretch's final transcript from the live daemon (PROTOCOL.md §11: one final
            // per stretch; Whisper when installed, PocketSphinx otherwise).
            var heardText = stopped != null ? WaitFor<PartnerTranscript>(m => m.Final) : null;
            var cancelled = WaitFor<UtteranceCancelled>(m => m.Utt == u1);
            List<Message> log; lock (Lock) log = Log.ToList();
            if (cut == null)   // say why (a starved machine: mic gaps re-anchor the stream, errors)
                Console.WriteLine("INFO no interruption: partner events " + string.Join(",", log.Where(m => m is PartnerSpeechStarted || m is PartnerSpeechStopped)
                                  .Select(m => m.Type + "@" + ((m as PartnerSpeechStarted)?.Sample ?? (m as PartnerSpeechStopped).Sample)))
                                  + "; errors " + string.Join(" | ", log.OfType<ErrorMessage>().Select(e => e.Code + ": " + e.Text))
                                  + "; u1 finished " + Has<UtteranceFinished>(m => m.Utt == u1) + "; mic dropped " + client.Mic.DroppedFrames);
            T.Run("duplex: partner_speech_started, then interrupted with samples_played <= samples_sent", () =>
            {
                T.Check(cut != null && cut.Utt == u1, "interrupted for the long line (mic samples sent: " + micSent + ")");
                int ps = log.FindIndex(m => m is PartnerSpeechStarted), ii = log.IndexOf(cut);
                T.Check(ps >= 0 && ps < ii, "partner_speech_started before interrupted");
                long sent = log.OfType<AudioChunk>().Where(a => a.Utt == u1).Sum(a => (long)a.SampleCount);
                T.Eq(sent, cut.SamplesSent, "samples_sent = the audio received");
                T.Eq(st1.Sample + sent, cut.Sample, "cut = start + sent");
                T.Check(cut.SamplesPlayed >= 0 && cut.SamplesPlayed <= cut.SamplesSent, "samples_played " + cut.SamplesPlayed + " <= sent " + cut.SamplesSent);
                T.Eq(string.Join(" ", cut.WordsSpoken), cut.TextSpoken, "text_spoken = words joined");
                T.Check(stopped != null && stopped.Samples > 0, "partner_speech_stopped after the line");
                Console.WriteLine("INFO interrupted played=" + cut.SamplesPlayed + " sent=" + cut.SamplesSent + " text='" + cut.TextSpoken + "'");
            });
            T.Run("duplex: a final partner_transcript from the live daemon follows partner_speech_stopped", () =>
            {
                T.Check(heardText != null, "a final partner_transcript arrived");
                if (heardText == null) return;
                List<Message> all; lock (Lock) all = Log.ToList();
                T.Check(all.IndexOf(heardText) > all.IndexOf(stopped), "after partner_speech_stopped");
                T.Check(heardText.End > heardText.Start && heardText.Model.Length > 0, "a span on the partner timeline and a model name");
                Console.WriteLine("INFO partner_transcript (" + heardText.Model + "): '" + heardText.Text + "'");
            });
            T.Run("duplex: the utterance ends once, as interrupted, carrying what was heard", () =>
            {
                List<UtteranceEnd> ends; lock (Lock) ends = Ends.Where(e => e.Utt == u1).ToList();
                T.Eq(1, ends.Count, "one end event for the cut line");
                T.Check(ends[0].WasInterrupted && ends[0].Interruption == cut, "reason interrupted, with the event");
                T.Eq(cut.SamplesPlayed, ends[0].SamplesPlayed, "samples_played");
                T.Eq(cut.TextSpoken, ends[0].TextSpoken, "text_spoken");
                T.Check(ends[0].WordsSpoken.SequenceEqual(cut.WordsSpoken), "words_spoken");
                T.Check(cancelled != null && cancelled.Reason == "interrupted", "utterance_cancelled (interrupted) follows");
            });
            T.Run("duplex: no audio of the cut utterance after the cut", () =>
            {
                T.Eq(0L, bufferedAfterCut, "nothing of it buffered once interrupted arrived");
                int ii = log.IndexOf(cut);
                T.Check(!log.Skip(ii + 1).Any(m => (m is AudioChunk && ((AudioChunk)m).Utt == u1) || (m is FaceFrame && ((FaceFrame)m).Utt == u1)
                                                   || (m is Mark && ((Mark)m).Utt == u1)), "no audio, face or mark of it from the daemon");
                long from = posAtCut + 2 * BLOCK;   // the audio thread may have been inside a block
                for (long p = from; p < cut.Sample; p++)
                    if (Played[p] != 0f) throw new Exception("audio of the cut line played at " + p + " (cut seen at " + posAtCut + ")");
                lock (Lock) T.Check(!Heard.Any(mk => mk.Utt == u1 && mk.Sample >= from), "no word/viseme mark of it fired after the cut");
                Console.WriteLine("INFO dropped on the client: " + (cut.Sample - Math.Min(cut.Sample, posAtCut)) + " samples");
            });

            // ------------------------------------------------------------ the next line plays normally
            string u2 = client.Say("Of course. What would you like to know?");
            Phase("second line requested");
            var fin2 = WaitFor<UtteranceFinished>(m => m.Utt == u2);
            T.Run("duplex: a following say plays normally", () =>
            {
                T.Check(fin2 != null, "utterance_finished");
                var st2 = WaitFor<UtteranceStarted>(m => m.Utt == u2);
                T.Check(cut == null || st2.Sample >= cut.Sample, "starts after the cut");
                WaitUntil(() => tl.PlayedSample > fin2.Sample + SR / 5);
                CheckPlayedExactly(u2, st2.Sample, fin2.Sample);
                lock (Lock)
                {
                    var words = Heard.Where(mk => mk.Utt == u2 && mk.Kind == "word").Select(mk => mk.Text).ToList();
                    T.Check(words.Count >= 6 && words.First() == "Of", "word marks fired as heard: " + string.Join(" ", words));
                    T.Check(Heard.Any(mk => mk.Utt == u2 && mk.Kind == "phoneme" && mk.Viseme != null), "viseme marks fired");
                }
            });

            // ------------------------------------------------------------ lipsync round trip
            Phase("second line played");
            string u3 = client.LipSync(line.Samples, line.Rate, line.Channels, transcript);
            var fin3 = WaitFor<UtteranceFinished>(m => m.Utt == u3);
            T.Run("lipsync: the returned audio is the input resampled, with frames covering it", () =>
            {
                T.Check(fin3 != null, "utterance_finished for the lip-synced line");
                var st3 = WaitFor<UtteranceStarted>(m => m.Utt == u3);
                long frames = line.Samples.Length / line.Channels;
                long want = frames * SR / line.Rate;
                long got = fin3.Samples - fin3.InsertedSilence;
                T.Check(Math.Abs(got - want) <= 1, "returned " + got + " (+" + fin3.InsertedSilence + " inserted silence) vs input resampled " + want);
                List<Message> l3; lock (Lock) l3 = Log.ToList();
                T.Eq(fin3.Samples, l3.OfType<AudioChunk>().Where(a => a.Utt == u3).Sum(a => (long)a.SampleCount), "audio received = samples");
                var fr = l3.OfType<FaceFrame>().Where(f => f.Sample + SR / FPS > st3.Sample && f.Sample < fin3.Sample).OrderBy(f => f.Frame).ToList();
                T.Check(fr.First().Sample <= st3.Sample && fr.Last().Sample + SR / FPS >= fin3.Sample, "frames cover [start, end)");
                for (int i = 1; i < fr.Count; i++) T.Eq(fr[i - 1].Frame + 1, fr[i].Frame, "consecutive frames");
                T.Check(fr.Where(f => f.Sample >= st3.Sample && f.Sample < fin3.Sample).All(f => f.Utt == u3), "frames tagged with the utterance");
                // Word marks depend on the aligner keeping up (under load it falls back to phone recognition,
                // PROTOCOL.md §11): reported, not asserted.
                Console.WriteLine("INFO lipsync marks: words=" + l3.OfType<Mark>().Count(mk => mk.Utt == u3 && mk.Kind == "word")
                                  + " phonemes=" + l3.OfType<Mark>().Count(mk => mk.Utt == u3 && mk.Kind == "phoneme"));
                WaitUntil(() => tl.PlayedSample > fin3.Sample + SR / 5);
                CheckPlayedExactly(u3, st3.Sample, fin3.Sample);
                Console.WriteLine("INFO lipsync in=" + frames + "@" + line.Rate + " out=" + fin3.Samples + " inserted=" + fin3.InsertedSilence);
            });
            Phase("lipsync played");
            return Done(client);
        }

        static void CheckPlayedExactly(string utt, long start, long end)
        {
            List<AudioChunk> chunks; lock (Lock) chunks = Log.OfType<AudioChunk>().Where(a => a.Utt == utt).ToList();
            long pos = start; bool loud = false;
            foreach (var c in chunks)
            {
                T.Eq(pos, c.Sample, "contiguous");
                for (int i = 0; i < c.SampleCount; i++)
                {
                    float want = (short)(c.Pcm[2 * i] | (c.Pcm[2 * i + 1] << 8)) / 32768f;
                    if (Played[c.Sample + i] != want) throw new Exception(utt + " sample " + (c.Sample + i) + ": played " + Played[c.Sample + i] + " want " + want);
                    loud |= Math.Abs(want) > 0.1f;
                }
                pos += c.SampleCount;
            }
            T.Eq(end, pos, "every sample to the end");
            T.Check(loud, "speech, not silence");
        }

        static int Done(FacePlexClient client) { _stop = true; client.Close(); return T.Summary(); }

        /// <summary>A capture callback in real time: 10 ms blocks of the partner's line (from
        /// <paramref name="atSeconds"/>) or silence, through SendMic; stops 0.8 s after the line or after the cut.</summary>
        static long MicThread(FacePlexClient client, Wav partner, double atSeconds, Func<bool> cutSeen)
        {
            int rate = partner.Rate, ch = partner.Channels, n = rate / 100;
            var block = new short[n * ch];
            long lineStart = (long)(atSeconds * rate), lineEnd = lineStart + partner.Samples.Length / ch, k = 0;
            var sw = Stopwatch.StartNew();
            while (!_stop)
            {
                long due = (long)(sw.Elapsed.TotalSeconds * 100);
                for (; k < due; k++)
                {
                    long f0 = k * n;
                    for (int i = 0; i < n; i++)
                    {
                        long f = f0 + i - lineStart;
                        for (int c = 0; c < ch; c++)
                            block[i * ch + c] = f >= 0 && f < lineEnd - lineStart ? partner.Samples[f * ch + c] : (short)0;
                    }
                    client.SendMic(block, 0, block.Length, rate, ch);
                }
                if (k * n > lineEnd + rate * 8 / 10 && (cutSeen() || k * n > lineEnd + rate * 3)) return k * n;
                Thread.Sleep(3);
            }
            return k * n;
        }

        /// <summary>The engine's audio thread: 10 ms blocks in real time; records what it played by timeline
        /// position and fires the marks the listener has reached.</summary>
        static void AudioThread(FacePlexClient client)
        {
            var tl = client.Timeline;
            var buf = new float[BLOCK];
            var due = new List<Mark>();
            var sw = Stopwatch.StartNew();
            long pulled = 0;
            while (!_stop)
            {
                long target = (long)(sw.Elapsed.TotalSeconds * SR);
                while (pulled + BLOCK <= target)
                {
                    long pos = tl.PlayedSample;
                    int n = tl.ReadAudio(buf, 0, BLOCK, 1);
                    if (pos + n < Played.Length) Array.Copy(buf, 0, Played, pos, n);
                    pulled += BLOCK;
                }
                due.Clear();
                client.Session.Marks.TakeDue(tl.PlayedSample, due);
                if (due.Count > 0) lock (Lock) Heard.AddRange(due);
                Thread.Sleep(3);
            }
        }

        static bool Has<TM>(Func<TM, bool> pred) where TM : Message { lock (Lock) return Log.OfType<TM>().Any(pred); }

        static TM WaitFor<TM>(Func<TM, bool> pred) where TM : Message
        {
            var sw = Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < WaitMs)
            {
                lock (Lock) { var m = Log.OfType<TM>().FirstOrDefault(pred); if (m != null) return m; }
                Thread.Sleep(5);
            }
            return null;
        }

        static void WaitUntil(Func<bool> cond)
        {
            var sw = Stopwatch.StartNew();
            while (!cond() && sw.ElapsedMilliseconds < WaitMs) Thread.Sleep(5);
        }
    }

    /// <summary>A PCM16 WAV file (RIFF chunks: fmt, data).</summary>
    public sealed class Wav
    {
        public int Rate, Channels;
        public short[] Samples;

        public static Wav Read(string path)
        {
            var b = File.ReadAllBytes(path);
            if (b.Length < 12 || System.Text.Encoding.ASCII.GetString(b, 0, 4) != "RIFF" || System.Text.Encoding.ASCII.GetString(b, 8, 4) != "WAVE")
                throw new FormatException(path + ": not a RIFF/WAVE file");
            var w = new Wav();
            int p = 12;
            while (p + 8 <= b.Length)
            {
                string id = System.Text.Encoding.ASCII.GetString(b, p, 4);
                int len = BitConverter.ToInt32(b, p + 4);
                if (id == "fmt ")
                {
                    if (BitConverter.ToInt16(b, p + 8) != 1 || BitConverter.ToInt16(b, p + 22) != 16) throw new FormatException(path + ": not PCM16");
                    w.Channels = BitConverter.ToInt16(b, p + 10);
                    w.Rate = BitConverter.ToInt32(b, p + 12);
                }
                else if (id == "data")
                {
                    w.Samples = new short[len / 2];
                    Buffer.BlockCopy(b, p + 8, w.Samples, 0, len - len % 2);
                }
                p += 8 + len + (len & 1);
            }
            if (w.Samples == null || w.Rate == 0) throw new FormatException(path + ": no fmt/data chunk");
            return w;
        }
    }
}
