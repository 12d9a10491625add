using System;
using System.Collections.Generic;

namespace FacePlex.Core
{
    /// <summary>Handshake state of a <see cref="ClientSession"/>.</summary>
    public enum SessionState { Connecting, AwaitingWelcome, Open, Incompatible }

    /// <summary>What the client knows of one of its utterances.</summary>
    public enum UtteranceState { Requested, Started, Finished, Cancelled, Interrupted }

    /// <summary>
    /// Sans-I/O client side of one session (no sockets, no clocks): builds requests into an outgoing
    /// queue (<see cref="DataToSend"/>), decodes received bytes (<see cref="Receive"/>), tracks the
    /// handshake and the utterances, and feeds the session's <see cref="Timeline"/>.
    /// Thread-safe: requests may come from the main thread while the network thread receives.
    /// Events (<see cref="UtteranceEnded"/>, <see cref="UtteranceInterrupted"/>, <see cref="PartnerStarted"/>,
    /// <see cref="PartnerStopped"/>, <see cref="WarningReceived"/>) are raised by <see cref="Receive"/>, on
    /// the thread that calls it, after the session's state and timeline are updated.
    /// </summary>
    public sealed partial class ClientSession
    {
        private readonly object _lock = new object();
        private readonly List<byte[]> _out = new List<byte[]>();
        private readonly Dictionary<string, UtteranceState> _utts = new Dictionary<string, UtteranceState>();
        private readonly MsgPackWriter _w = new MsgPackWriter(256);
        private int _nextId, _nextUtt;

        /// <summary>Pre-roll used for the timeline created at welcome, seconds.</summary>
        public double PreRollSeconds = 0.1;

        /// <summary>Handshake state.</summary>
        public SessionState State { get; private set; }
        /// <summary>The daemon's welcome, once open.</summary>
        public Welcome Welcome { get; private set; }
        /// <summary>Negotiated output sample rate, Hz (0 before welcome).</summary>
        public int SampleRate { get; private set; }
        /// <summary>Face frames per second (0 before welcome).</summary>
        public int Fps { get; private set; }
        /// <summary>Face channel names, wire order (empty before welcome).</summary>
        public string[] Channels { get; private set; }
        /// <summary>The session timeline, created at welcome (null before).</summary>
        public Timeline Timeline { get; private set; }
        /// <summary>Set when the daemon's welcome named another protocol version (state <see cref="SessionState.Incompatible"/>).</summary>
        public IncompatibleDaemon Incompatible { get; private set; }
        /// <summary>The daemon's welcome names another protocol version: the session does not open (PROTOCOL.md §9).</summary>
        public event Action<IncompatibleDaemon> IncompatibleDaemon;

        /// <summary>Creates a session in state <see cref="SessionState.Connecting"/>.</summary>
        public ClientSession() { State = SessionState.Connecting; Channels = new string[0]; }

        private string NewId() { return "c" + (++_nextId); }

        private void Queue(Message m)
        {
            _w.Clear();
            Codec.Encode(m, _w);
            _out.Add(_w.ToArray());
        }

        /// <summary>Takes every encoded message waiting to be sent (each is one binary WebSocket message).</summary>
        public List<byte[]> DataToSend()
        {
            lock (_lock)
            {
                var r = new List<byte[]>(_out);
                _out.Clear();
                return r;
            }
        }

        /// <summary>Queues <c>hello</c>. Returns its id.</summary>
        /// <param name="sampleRate">Wanted output rate, Hz (16000, 22050, 24000, 44100, 48000).</param>
        /// <param name="fps">Wanted face rate, frames per second (30 or 60).</param>
        /// <param name="client">Free text for the daemon's logs.</param>
        /// <param name="token">The daemon's per-launch secret (PROTOCOL.md §12), or null.</param>
        public string Hello(int sampleRate = 48000, int fps = 60, string client = "FacePlexUnity/0.1", string token = null)
        {
            lock (_lock)
            {
                var id = NewId();
                var h = new Hello { Id = id, Fps = fps, Client = client, Token = token };
                h.Audio.SampleRate = sampleRate;
                Queue(h);
                State = SessionState.AwaitingWelcome;
                return id;
            }
        }

        /// <summary>Queues a partial settings update (<c>config</c>); returns its id.</summary>
        public string Configure(MsgMap settings)
        {
            lock (_lock) { var id = NewId(); Queue(new ConfigMessage { Id = id, Settings = settings }); return id; }
        }

        /// <summary>
        /// Queues <c>say</c>. Returns the utterance id (<paramref name="utt"/>, or a new one "u1", "u2", ...).
        /// The say's own id is "say-" + utt.
        /// </summary>
        public string Say(string text, string utt = null, bool append = false, bool final = true, string voice = null, Style style = null)
        {
            lock (_lock)
            {
                if (utt == null) utt = "u" + (++_nextUtt);
                Queue(new Say { Id = "say-" + utt, Utt = utt, Text = text, Append = append, Final = final, Voice = voice, Style = style });
                if (!append) _utts[utt] = UtteranceState.Requested;
                return utt;
            }
        }

        /// <summary>
        /// Cancels <paramref name="utt"/> (null: every utterance not yet finished or cancelled). Its buffered,
        /// unplayed audio and frames are dropped at once; <c>cancel</c> is sent to the daemon unless the
        /// daemon already finished sending that utterance (then only the local buffer is dropped).
        /// </summary>
        public void Cancel(string utt = null)
        {
            lock (_lock)
            {
                var tl = Timeline;
                if (utt == null)
                {
                    foreach (var kv in new List<KeyValuePair<string, UtteranceState>>(_utts))
                    {
                        if (kv.Value == UtteranceState.Cancelled) continue;
                        if (tl != null) tl.DropUtterance(kv.Key);
                        Marks.Drop(kv.Key);
                        _utts[kv.Key] = UtteranceState.Cancelled;
                    }
                    Queue(new Cancel { Id = NewId(), Utt = null });
                    return;
                }
                UtteranceState st;
                bool known = _utts.TryGetValue(utt, out st);
                if (tl != null) tl.DropUtterance(utt);
                Marks.Drop(utt);
                _utts[utt] = UtteranceState.Cancelled;
                if (!known || st == UtteranceState.Requested || st == UtteranceState.Started || st == UtteranceState.Interrupted)
                    Queue(new Cancel { Id = NewId(), Utt = utt });
            }
        }

        /// <summary>Queues <c>ping</c> with the client clock in microseconds.</summary>
        public void Ping(long clientTimeUs)
        {
            lock (_lock) Queue(new PingMessage { Id = NewId(), ClientTimeUs = clientTimeUs });
        }

        /// <summary>
        /// Queues <c>playback</c>: the listener has heard up to timeline <paramref name="sample"/> (samples);
        /// <paramref name="clientTimeUs"/> is the client clock (µs). The utterance at that position is filled in.
        /// </summary>
        public void ReportPlayback(long sample, long clientTimeUs)
        {
            lock (_lock)
            {
                if (State != SessionState.Open) return;
                string utt = Timeline != null ? Timeline.UtteranceAt(Math.Max(0, sample - 1)) : null;
                Queue(new Playback { Utt = utt, Sample = sample, ClientTimeUs = clientTimeUs });
            }
        }

        /// <summary>State of utterance <paramref name="utt"/>, or null if unknown.</summary>
        public UtteranceState? StateOf(string utt)
        {
            lock (_lock) { UtteranceState s; return _utts.TryGetValue(utt, out s) ? s : (UtteranceState?)null; }
        }

        /// <summary>
        /// Decodes one received binary message, updates the session and its timeline, and returns it.
        /// </summary>
        /// <exception cref="MsgPackException">The bytes are not a valid v1 message.</exception>
        public Message Receive(byte[] data, int offset, int count)
        {
            var msg = Codec.Decode(data, offset, count);
            lock (_lock)
            {
                var tl = Timeline;
                switch (msg.Type)
                {
                    case "welcome":
                        var w = (Welcome)msg;
                        // PROTOCOL.md §9: a daemon of another protocol version is refused; the session never opens.
                        var bad = ProtocolCheck.Check(w.Protocol, "welcome");
                        if (bad != null)
                        {
                            State = SessionState.Incompatible;
                            Incompatible = bad;
                            var ih = IncompatibleDaemon;
                            if (ih != null) _pending.Add(() => ih(bad));
                            break;
                        }
                        Welcome = w;
                        SampleRate = (int)w.Audio.SampleRate;
                        Fps = (int)w.Fps;
                        Channels = w.Channels;
                        Timeline = new Timeline(SampleRate, Fps, Channels.Length, (int)(PreRollSeconds * SampleRate));
                        State = SessionState.Open;
                        break;
                    case "audio":
                        if (tl != null) tl.AddAudio((AudioChunk)msg);
                        break;
                    case "face":
                        if (tl != null) tl.AddFrame((FaceFrame)msg);
                        break;
                    case "utterance_started":
                        SetState(((UtteranceStarted)msg).Utt, UtteranceState.Started);
                        break;
                    case "utterance_finished":
                        SetState(((UtteranceFinished)msg).Utt, UtteranceState.Finished);
                        break;
                    case "utterance_cancelled":
                        var c = (UtteranceCancelled)msg;
                        if (tl != null) tl.DropUtterance(c.Utt);
                        Marks.Drop(c.Utt);
                        UtteranceState was;
                        bool interrupted = _utts.TryGetValue(c.Utt, out was) && was == UtteranceState.Interrupted;
                        // An interrupted utterance may be resumed (resume_false_interruption): keep that state.
                        if (!(interrupted && c.Reason == "interrupted")) _utts[c.Utt] = UtteranceState.Cancelled;
                        break;
                    case "error":
                        var e = (ErrorMessage)msg;
                        // A refused say (or lipsync) never starts: forget it, and end it as "rejected" so a game
                        // waiting for its end does not hang. (synthesis_failed is followed by utterance_cancelled.)
                        if (e.ReplyTo != null && e.ReplyTo.StartsWith("say-", StringComparison.Ordinal) && e.Code != "synthesis_failed")
                        {
                            UtteranceState st;
                            var u = e.ReplyTo.Substring(4);
                            if (_utts.TryGetValue(u, out st) && st == UtteranceState.Requested)
                            {
                                _utts.Remove(u);
                                Ended(new UtteranceEnd { Utt = u, Reason = "rejected", Rejection = e });
                            }
                        }
                        break;
                    default:
                        ReceiveDuplex(msg, tl);
                        break;
                }
                if (msg is UtteranceFinished || msg is UtteranceCancelled) EndOf(msg);
            }
            RaisePending();
            return msg;
        }

        private void SetState(string utt, UtteranceState s)
        {
            UtteranceState old;
            if (_utts.TryGetValue(utt, out old))
            {
                if (old == UtteranceState.Cancelled) return;
                // resume_false_interruption: the daemon speaks the rest of an interrupted utterance again (§11).
                if (old == UtteranceState.Interrupted && s == UtteranceState.Started && Timeline != null) Timeline.Revive(utt);
            }
            _utts[utt] = s;
        }
    }
}
