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
    /// A daemon of another protocol version (PROTOCOL.md §9, "Version checks by clients"): found in its ready line
    /// (<see cref="DaemonLauncher.IncompatibleDaemon"/>) or its <c>welcome</c> (<see cref="ClientSession.IncompatibleDaemon"/>).
    /// The core does not go on with it: no session opens, no restart loop. <see cref="Message"/> names both versions.
    /// </summary>
    public sealed class IncompatibleDaemon
    {
        /// <summary>The daemon's protocol version (0 when its ready line names none).</summary>
        public long DaemonProtocol;
        /// <summary>This core's protocol version (<see cref="ProtocolCheck.ClientProtocol"/>).</summary>
        public long ClientProtocol;
        /// <summary>Where the version was read: "ready line" or "welcome".</summary>
        public string Source;
        /// <summary>The error to log, naming both versions.</summary>
        public string Message;

        /// <summary>Same as <see cref="Message"/>.</summary>
        public override string ToString() { return Message; }
    }

    /// <summary>The protocol version check every client makes (PROTOCOL.md §9).</summary>
    public static class ProtocolCheck
    {
        /// <summary>The protocol major version this core speaks (<c>hello.protocol</c>).</summary>
        public const long ClientProtocol = 1;

        /// <summary>Null when <paramref name="daemonProtocol"/> is this core's version, else what to report.</summary>
        /// <param name="daemonProtocol">The daemon's <c>protocol</c> (0 = its ready line names none).</param>
        /// <param name="source">"ready line" or "welcome".</param>
        public static IncompatibleDaemon Check(long daemonProtocol, string source)
        {
            if (daemonProtocol == ClientProtocol) return null;
            return new IncompatibleDaemon
            {
                DaemonProtocol = daemonProtocol, ClientProtocol = ClientProtocol, Source = source,
                Message = "FacePlex: incompatible daemon: its " + source + " says protocol " +
                          (daemonProtocol == 0 ? "(none)" : daemonProtocol.ToString()) + ", this plugin speaks protocol " + ClientProtocol +
                          "; install the FacePlex daemon that matches this plugin version",
            };
        }
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
