using System;
using System.Collections.Generic;

namespace FacePlex.Core
{
    /// <summary>Full duplex (PROTOCOL.md §11) part of <see cref="ClientSession"/>: microphone and lipsync
    /// upstream, partner/interruption/warning events, utterance ends and marks waiting to be heard.</summary>
    public sealed partial class ClientSession
    {
        /// <summary>Samples per <c>lipsync</c> message (32 KiB of mono PCM16: well under the 64 KiB message limit).</summary>
        public const int LipsyncChunkSamples = 16384;

        private readonly List<Action> _pending = new List<Action>();

        /// <summary>Word and phoneme marks received and not yet heard (see <see cref="MarkQueue.TakeDue"/>).</summary>
        public readonly MarkQueue Marks = new MarkQueue();

        /// <summary>An utterance ended: finished, cancelled (any reason) or cut by the partner. Raised once per
        /// end (an interrupted utterance: at <c>interrupted</c>, with <see cref="UtteranceEnd.Interruption"/>).</summary>
        public event Action<UtteranceEnd> UtteranceEnded;
        /// <summary>The partner barged in (<c>interrupted</c>); the utterance's unplayed audio and frames are already dropped.</summary>
        public event Action<Interrupted> UtteranceInterrupted;
        /// <summary>The partner (player) started speaking (<c>partner_speech_started</c>).</summary>
        public event Action<PartnerSpeechStarted> PartnerStarted;
        /// <summary>The partner stopped speaking (<c>partner_speech_stopped</c>).</summary>
        public event Action<PartnerSpeechStopped> PartnerStopped;
        /// <summary>A <c>warning</c>: the request went ahead, but the game should know (e.g. language_not_supported).</summary>
        public event Action<WarningMessage> WarningReceived;

        /// <summary>What the partner said (<c>partner_transcript</c>): interim results (<see cref="PartnerTranscript.Final"/>
        /// false) while they speak, then the final one after <c>partner_speech_stopped</c>.</summary>
        public event Action<PartnerTranscript> PartnerTranscriptReceived;

        /// <summary>
        /// Queues <c>mic_end</c> (PROTOCOL.md §11): push-to-talk released, the partner's turn ends now; the daemon sends
        /// <c>partner_speech_stopped</c> (if they were speaking) and the final transcript. Send the last <c>mic</c> chunk
        /// first. Returns its id (null while the session is not open).
        /// </summary>
        public string SendMicEnd()
        {
            lock (_lock)
            {
                if (State != SessionState.Open) return null;
                var id = NewId();
                Queue(new MicEnd { Id = id });
                return id;
            }
        }

        /// <summary>Queues one <c>mic</c> message (the network side of <see cref="MicStream"/> calls this).</summary>
        public void QueueMic(Mic mic)
        {
            lock (_lock) { if (State == SessionState.Open) Queue(mic); }
        }

        /// <summary>
        /// Queues speech the engine already has (a recorded line, another TTS) as utterance <paramref name="utt"/>
        /// (null: a new id) for audio-driven lip sync (§11 <c>lipsync</c>): interleaved PCM16
        /// <paramref name="pcm"/>[offset, offset+count) at <paramref name="sampleRate"/> Hz, split into messages of
        /// at most <see cref="LipsyncChunkSamples"/>. <paramref name="transcript"/> (first chunk only) enables forced
        /// alignment. Call again with the same utt to stream more; <paramref name="final"/> closes it. The daemon
        /// sends the line back as the utterance's audio on the session timeline: play that, not the original.
        /// Returns the utterance id.
        /// </summary>
        public string Lipsync(short[] pcm, int offset, int count, int sampleRate, int channels, string transcript = null,
                              string utt = null, bool final = true)
        {
            if (pcm == null) throw new ArgumentNullException("pcm");
            if (channels < 1 || channels > 8) throw new ArgumentException("channels must be 1-8");
            if (offset < 0 || count < 0 || offset + count > pcm.Length) throw new ArgumentException("bad pcm range");
            count -= count % channels;
            lock (_lock)
            {
                bool first = utt == null || !_utts.ContainsKey(utt);
                if (utt == null) utt = "u" + (++_nextUtt);
                if (first) _utts[utt] = UtteranceState.Requested;
                int step = LipsyncChunkSamples - LipsyncChunkSamples % channels;
                int done = 0;
                do
                {
                    int n = Math.Min(step, count - done);
                    var bytes = new byte[2 * n];
                    for (int i = 0; i < n; i++)
                    {
                        short v = pcm[offset + done + i];
                        bytes[2 * i] = (byte)v; bytes[2 * i + 1] = (byte)(v >> 8);
                    }
                    done += n;
                    Queue(new Lipsync
                    {
                        Id = first ? "say-" + utt : null, Utt = utt, SampleRate = sampleRate, Channels = channels, Pcm = bytes,
                        Text = first ? transcript : null, Final = final && done == count,
                    });
                    first = false;
                } while (done < count);
                return utt;
            }
        }

        /// <summary>Handles the §11 messages, warnings and marks; lock held.</summary>
        private void ReceiveDuplex(Message msg, Timeline tl)
        {
            switch (msg.Type)
            {
                case "mark":
                    var mk = (Mark)msg;
                    if (tl == null || !tl.IsDropped(mk.Utt)) Marks.Add(mk);
                    break;
                case "interrupted":
                    var it = (Interrupted)msg;
                    // Barge-in: the listener must stop hearing it now. Everything of it not yet played goes
                    // (the daemon sent nothing beyond it.Sample, so this covers "beyond the cut" too).
                    if (tl != null) tl.DropUtterance(it.Utt);
                    Marks.Drop(it.Utt);
                    _utts[it.Utt] = UtteranceState.Interrupted;
                    var h = UtteranceInterrupted;
                    if (h != null) _pending.Add(() => h(it));
                    Ended(new UtteranceEnd
                    {
                        Utt = it.Utt, Reason = "interrupted", Sample = it.Sample, Samples = it.SamplesSent, Interruption = it,
                    });
                    break;
                case "partner_speech_started":
                    var ps = PartnerStarted;
                    if (ps != null) _pending.Add(() => ps((PartnerSpeechStarted)msg));
                    break;
                case "partner_speech_stopped":
                    var pe = PartnerStopped;
                    if (pe != null) _pending.Add(() => pe((PartnerSpeechStopped)msg));
                    break;
                case "partner_transcript":
                    var th = PartnerTranscriptReceived;
                    if (th != null) _pending.Add(() => th((PartnerTranscript)msg));
                    break;
                case "warning":
                    var wh = WarningReceived;
                    if (wh != null) _pending.Add(() => wh((WarningMessage)msg));
                    break;
            }
        }

        private readonly HashSet<string> _endedByInterruption = new HashSet<string>();

        /// <summary>Raises the end of an utterance for utterance_finished / utterance_cancelled; lock held.</summary>
        private void EndOf(Message msg)
        {
            var f = msg as UtteranceFinished;
            if (f != null)
            {
                _endedByInterruption.Remove(f.Utt);
                Ended(new UtteranceEnd { Utt = f.Utt, Reason = "finished", Sample = f.Sample, Samples = f.Samples, InsertedSilence = f.InsertedSilence });
                return;
            }
            var c = (UtteranceCancelled)msg;
            // Its end was already raised with the interrupted event.
            if (c.Reason == "interrupted" && _endedByInterruption.Remove(c.Utt)) return;
            Ended(new UtteranceEnd { Utt = c.Utt, Reason = c.Reason, Sample = c.Sample, Samples = c.Samples, InsertedSilence = c.InsertedSilence });
        }

        private void Ended(UtteranceEnd e)
        {
            if (e.Interruption != null) _endedByInterruption.Add(e.Utt);
            var h = UtteranceEnded;
            if (h != null) _pending.Add(() => h(e));
        }

        /// <summary>Raises the events collected under the lock, outside it (handlers may call back in).</summary>
        private void RaisePending()
        {
            Action[] todo;
            lock (_lock)
            {
                if (_pending.Count == 0) return;
                todo = _pending.ToArray();
                _pending.Clear();
            }
            foreach (var a in todo) a();
        }
    }
}
