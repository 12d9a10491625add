using System;
using System.Threading;
using System.Threading.Tasks;

namespace FacePlex.Core
{
    /// <summary>Full duplex part of <see cref="FacePlexClient"/> (PROTOCOL.md §11): the microphone upstream,
    /// lipsync of speech the engine has, and the partner/interruption events.</summary>
    public sealed partial class FacePlexClient
    {
        private int _micPumpStarted;
        private readonly object _micTake = new object();  // chunks are taken and queued in order by one side at a time

        /// <summary>The microphone ring: <see cref="SendMic(short[],int,int,int,int)"/> fills it on the capture
        /// thread; a network-side pump sends it as <c>mic</c> messages of <see cref="MicStream.MinChunkMs"/>-
        /// <see cref="MicStream.MaxChunkMs"/> (20-100 ms).</summary>
        public readonly MicStream Mic = new MicStream();

        /// <summary>How often the network side drains <see cref="Mic"/>, milliseconds.</summary>
        public int MicPollMs = 10;

        /// <summary>
        /// The partner's (player's) microphone: interleaved PCM16 <paramref name="pcm"/>[offset, offset+count)
        /// (count in samples = frames × channels) captured at the device's own <paramref name="sampleRate"/> Hz
        /// (the daemon resamples). Call it from the capture thread as audio arrives, in real time. Never blocks
        /// on the network and allocates nothing (after the first call starts the pump). The microphone must be
        /// echo-cancelled by the platform (README: Echo cancellation).
        /// </summary>
        public void SendMic(short[] pcm, int offset, int count, int sampleRate, int channels)
        {
            Mic.Write(pcm, offset, count, sampleRate, channels);
            StartMicPump();
        }

        /// <summary>Same as <see cref="SendMic(short[],int,int,int,int)"/> for a whole array.</summary>
        public void SendMic(short[] pcm, int sampleRate, int channels) { SendMic(pcm, 0, pcm.Length, sampleRate, channels); }

        /// <summary>Same as <see cref="SendMic(short[],int,int,int,int)"/> for float samples in [-1, 1] (Unity's format).</summary>
        public void SendMic(float[] pcm, int offset, int count, int sampleRate, int channels)
        {
            Mic.Write(pcm, offset, count, sampleRate, channels);
            StartMicPump();
        }

        private void StartMicPump()
        {
            if (_micPumpStarted != 0 || Interlocked.Exchange(ref _micPumpStarted, 1) != 0) return;
            Task.Run(MicPump);
        }

        /// <summary>Network side: sends what the capture side buffered, in 20-100 ms chunks; a remainder under
        /// 20 ms goes out once capture has paused for three polls (so the end of speech is not held back).</summary>
        private async Task MicPump()
        {
            int lastBuffered = -1, still = 0;
            try
            {
                while (!_cts.IsCancellationRequested)
                {
                    await Task.Delay(Math.Max(1, MicPollMs), _cts.Token).ConfigureAwait(false);
                    int buffered = Mic.BufferedSamples;
                    still = buffered == lastBuffered ? still + 1 : 0;
                    lastBuffered = buffered;
                    bool any = false;
                    Mic chunk;
                    lock (_micTake)
                        while ((chunk = Mic.TakeChunk(flush: still >= 3)) != null) { Session.QueueMic(chunk); any = true; }
                    if (any) { Flush(); lastBuffered = Mic.BufferedSamples; }
                }
            }
            catch (OperationCanceledException) { }
        }

        /// <summary>
        /// Animates speech the engine already has (a recorded line, another TTS): interleaved PCM16
        /// <paramref name="pcm"/> at <paramref name="sampleRate"/> Hz is streamed to the daemon as utterance
        /// <paramref name="utt"/> (null: a new id), with an optional <paramref name="transcript"/> for forced
        /// alignment. The daemon returns it resampled to the session rate, with marks and face frames, on the same
        /// timeline as spoken lines (queued behind them): the timeline plays that audio; do not also play the
        /// original. <paramref name="final"/> = false keeps the utterance open for more calls with the same utt.
        /// Returns the utterance id.
        /// </summary>
        public string LipSync(short[] pcm, int sampleRate, int channels = 1, string transcript = null, string utt = null, bool final = true)
        {
            var u = Session.Lipsync(pcm, 0, pcm.Length, sampleRate, channels, transcript, utt, final);
            Flush();
            return u;
        }

        /// <summary>
        /// Push-to-talk released (PROTOCOL.md §11 <c>mic_end</c>): sends what <see cref="Mic"/> still holds, then
        /// <c>mic_end</c>; the daemon ends the partner's turn now and sends the final <see cref="PartnerTranscript"/>.
        /// Returns the message id (null while the session is not open).
        /// </summary>
        public string SendMicEnd()
        {
            string id;
            lock (_micTake)
            {
                Mic chunk;
                while ((chunk = Mic.TakeChunk(flush: true)) != null) Session.QueueMic(chunk);
                id = Session.SendMicEnd();
            }
            Flush();
            return id;
        }

        /// <summary>What the partner said: interim results while they speak, then the final one. Network thread.</summary>
        public event Action<PartnerTranscript> PartnerTranscript { add { Session.PartnerTranscriptReceived += value; } remove { Session.PartnerTranscriptReceived -= value; } }
        /// <summary>The daemon's welcome names another protocol version; the connection is refused (the error names both). Network thread.</summary>
        public event Action<IncompatibleDaemon> IncompatibleDaemon { add { Session.IncompatibleDaemon += value; } remove { Session.IncompatibleDaemon -= value; } }

        /// <summary>An utterance ended (finished, cancelled with a reason, or interrupted with what was heard). Network thread.</summary>
        public event Action<UtteranceEnd> UtteranceEnded { add { Session.UtteranceEnded += value; } remove { Session.UtteranceEnded -= value; } }
        /// <summary>The partner barged in; the cut utterance's unplayed audio and frames are already dropped. Network thread.</summary>
        public event Action<Interrupted> Interrupted { add { Session.UtteranceInterrupted += value; } remove { Session.UtteranceInterrupted -= value; } }
        /// <summary>The partner started speaking. Network thread.</summary>
        public event Action<PartnerSpeechStarted> PartnerSpeechStarted { add { Session.PartnerStarted += value; } remove { Session.PartnerStarted -= value; } }
        /// <summary>The partner stopped speaking. Network thread.</summary>
        public event Action<PartnerSpeechStopped> PartnerSpeechStopped { add { Session.PartnerStopped += value; } remove { Session.PartnerStopped -= value; } }
        /// <summary>A daemon warning (the request went ahead). Network thread.</summary>
        public event Action<WarningMessage> Warning { add { Session.WarningReceived += value; } remove { Session.WarningReceived -= value; } }
    }
}
