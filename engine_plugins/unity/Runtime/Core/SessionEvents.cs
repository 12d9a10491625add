using System.Collections.Generic;

namespace FacePlex.Core
{
    /// <summary>
    /// How an utterance ended, as the daemon reported it: <see cref="Reason"/> is <c>"finished"</c>
    /// (<c>utterance_finished</c>: every sample was sent) or the <c>utterance_cancelled</c> reason
    /// (<c>client</c>, <c>client_too_slow</c>, <c>error</c>, <c>shutdown</c>, <c>interrupted</c>, <c>empty</c>),
    /// or <c>"rejected"</c> when the daemon refused the say/lipsync with an error (<see cref="Rejection"/>;
    /// e.g. queue_full, text_too_long) so it never started.
    /// When the partner cut it while it played, <see cref="Interruption"/> holds the daemon's
    /// <c>interrupted</c> event and this end is raised at once with it (not again at the
    /// <c>utterance_cancelled</c> that follows).
    /// </summary>
    public sealed class UtteranceEnd
    {
        /// <summary>The utterance.</summary>
        public string Utt;
        /// <summary>"finished" or the cancel reason.</summary>
        public string Reason;
        /// <summary>End on the timeline (exclusive; for a cancel or interruption the first sample not sent), samples.</summary>
        public long Sample;
        /// <summary>Samples of the utterance sent.</summary>
        public long Samples;
        /// <summary>Samples of silence the daemon inserted into it (PROTOCOL.md §6).</summary>
        public long InsertedSilence;
        /// <summary>The partner's interruption, or null.</summary>
        public Interrupted Interruption;
        /// <summary>The error that refused the request (Reason "rejected"), or null.</summary>
        public ErrorMessage Rejection;

        /// <summary>True when the partner cut the utterance.</summary>
        public bool WasInterrupted { get { return Reason == "interrupted"; } }

        /// <summary>Samples the listener heard: all of them when finished, the daemon's count when
        /// interrupted while playing, else -1 (unknown: the engine knows its own playback position).</summary>
        public long SamplesPlayed
        {
            get { return Interruption != null ? Interruption.SamplesPlayed : Reason == "finished" ? Samples : -1; }
        }

        /// <summary>The words the listener heard in full (interrupted), else empty.</summary>
        public string[] WordsSpoken { get { return Interruption != null ? Interruption.WordsSpoken : new string[0]; } }

        /// <summary><see cref="WordsSpoken"/> joined with spaces: give it to the dialogue system instead of the full line.</summary>
        public string TextSpoken { get { return Interruption != null ? Interruption.TextSpoken : ""; } }

        /// <summary>Debug text.</summary>
        public override string ToString() { return "<end " + Utt + " " + Reason + " samples=" + Samples + ">"; }
    }

    /// <summary>
    /// Word and phoneme marks waiting to be heard: the network thread adds them as they arrive (ahead of
    /// playback, by up to <c>lead_ms</c>); the main thread takes those whose start the listener has
    /// reached (<see cref="TakeDue"/>) and raises its word/viseme events then. Marks of a dropped utterance
    /// (cancel, interruption) are discarded. Thread-safe; holds at most <see cref="Capacity"/> marks
    /// (the oldest go first if nobody takes them).
    /// </summary>
    public sealed class MarkQueue
    {
        private readonly object _lock = new object();
        private readonly List<Mark> _marks = new List<Mark>();

        /// <summary>Most marks kept.</summary>
        public int Capacity = 4096;

        /// <summary>Marks waiting.</summary>
        public int Count { get { lock (_lock) return _marks.Count; } }

        /// <summary>Adds a mark (network thread). Marks arrive in timeline order.</summary>
        public void Add(Mark m)
        {
            lock (_lock)
            {
                if (_marks.Count >= Capacity) _marks.RemoveAt(0);
                _marks.Add(m);
            }
        }

        /// <summary>Discards every waiting mark of <paramref name="utt"/> (it will not be heard).</summary>
        public void Drop(string utt)
        {
            lock (_lock) _marks.RemoveAll(m => m.Utt == utt);
        }

        /// <summary>Discards everything (e.g. on disconnect).</summary>
        public void Clear() { lock (_lock) _marks.Clear(); }

        /// <summary>Moves the marks starting before timeline <paramref name="heardSample"/> (exclusive) into
        /// <paramref name="into"/>, in timeline order; returns how many.</summary>
        public int TakeDue(long heardSample, List<Mark> into)
        {
            lock (_lock)
            {
                int n = 0, kept = 0;
                for (int i = 0; i < _marks.Count; i++)
                {
                    var m = _marks[i];
                    if (m.Sample < heardSample) { into.Add(m); n++; }
                    else _marks[kept++] = m;
                }
                _marks.RemoveRange(kept, _marks.Count - kept);
                return n;
            }
        }
    }
}
