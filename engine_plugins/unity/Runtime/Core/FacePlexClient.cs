using System;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;

namespace FacePlex.Core
{
    /// <summary>
    /// One session with a FacePlex daemon over <see cref="ClientWebSocket"/>: handshake, a receive loop
    /// feeding the <see cref="ClientSession"/> (and so the <see cref="Timeline"/>), a send loop, and a
    /// report loop that sends <c>playback</c> about 10 times a second and lets the timeline catch up
    /// after idle time. Full duplex (PROTOCOL.md §11): <see cref="SendMic(short[],int,int,int,int)"/>,
    /// <see cref="LipSync"/> and the partner/interruption events (FacePlexClientDuplex.cs).
    /// Events are raised on background threads: marshal to the main thread yourself.
    /// </summary>
    public sealed partial class FacePlexClient : IDisposable
    {
        private readonly ClientWebSocket _ws = new ClientWebSocket();
        private readonly CancellationTokenSource _cts = new CancellationTokenSource();
        private readonly SemaphoreSlim _sendSignal = new SemaphoreSlim(0);
        private int _closed, _closeRequested, _loopsStarted;
        private readonly TaskCompletionSource<bool> _finished = new TaskCompletionSource<bool>();
        private Task _connect;                                // ClientWebSocket.ConnectAsync, which may outlive the handshake
        private Task _connecting = Task.FromResult(true);    // its continuation
        private string _lastReportedUtt;

        /// <summary>Most time a <see cref="Close"/> may take to flush and close cleanly before the socket is
        /// aborted, milliseconds. The caller never waits for it (see <see cref="Closed"/>).</summary>
        public int CloseTimeoutMs = 3000;

        /// <summary>Completes when the connection has ended (closed, failed, or aborted) and the loops stopped;
        /// after <see cref="Dispose"/>, the socket is released once it completes.</summary>
        public Task Closed { get { return _finished.Task; } }

        /// <summary>The sans-I/O session (state, utterances, timeline).</summary>
        public readonly ClientSession Session = new ClientSession();

        /// <summary>Raised for every received message (network thread).</summary>
        public event Action<Message> MessageReceived;
        /// <summary>Raised once when the connection ends; the exception is null for a clean close.</summary>
        public event Action<Exception> Disconnected;

        /// <summary>
        /// Where the listener is on the timeline (samples), for <c>playback</c> reports. Default: the
        /// timeline's <see cref="Timeline.PlayedSample"/>. Engines subtract their output latency.
        /// </summary>
        public Func<long> PlaybackPosition;

        /// <summary>Interval of playback reports (sent while an utterance plays, and once after it) and of
        /// idle catch-up, milliseconds (0 disables reports). PROTOCOL.md asks for 100-250 ms.</summary>
        public int ReportIntervalMs = 100;

        /// <summary>Creates a client (connect with <see cref="ConnectAsync"/>).</summary>
        public FacePlexClient()
        {
            // PROTOCOL.md §4: report the position once an utterance was dropped, so the daemon knows what was heard.
            Session.UtteranceInterrupted += it => ReportPlayback();
        }

        /// <summary>The timeline (null before welcome).</summary>
        public Timeline Timeline { get { return Session.Timeline; } }

        /// <summary>True while the WebSocket is open.</summary>
        public bool IsOpen { get { return _ws.State == WebSocketState.Open && _closed == 0; } }

        /// <summary>Monotonic client clock in microseconds (Stopwatch).</summary>
        public static long NowUs() { return (long)(Stopwatch.GetTimestamp() * (1e6 / Stopwatch.Frequency)); }

        /// <summary>
        /// Connects to <paramref name="url"/> (e.g. ws://127.0.0.1:PORT/), sends hello and waits for welcome.
        /// The returned task succeeds only with a welcome: it faults with <see cref="TimeoutException"/> when the
        /// connection or the handshake takes longer than <paramref name="timeoutMs"/> (a cancelled token makes
        /// ClientWebSocket end as Canceled, which callers checking only IsFaulted took for success), and with
        /// <see cref="InvalidOperationException"/> when the daemon answers with an error (e.g. unauthorized) or its welcome
        /// names another protocol version (the message names both; <see cref="IncompatibleDaemon"/> is raised first).
        /// </summary>
        /// <param name="sampleRate">Output rate in Hz (use the engine's mixer rate if supported).</param>
        /// <param name="fps">Face frames per second (30 or 60).</param>
        /// <param name="preRollSeconds">Audio buffered before playback starts, seconds (keep under lead_ms).</param>
        /// <param name="token">The daemon's per-launch secret (PROTOCOL.md §12): <see cref="DaemonReady.Token"/> of a
        /// daemon this game launched, or a setting for one it did not; null if the daemon needs none. Never logged.</param>
        public async Task<Welcome> ConnectAsync(Uri url, int sampleRate = 48000, int fps = 60, double preRollSeconds = 0.1,
                                                string clientName = "FacePlexUnity/0.1", int timeoutMs = 10000, string token = null)
        {
            var timedOut = new[] { false };
            try { return await Handshake(url, sampleRate, fps, preRollSeconds, clientName, timeoutMs, token, timedOut).ConfigureAwait(false); }
            catch (Exception e)
            {
                bool closedByUs = Volatile.Read(ref _closeRequested) != 0 || Volatile.Read(ref _closed) != 0;
                Finish(null);
                AbortWhenConnected();
                if (closedByUs && !timedOut[0])
                    throw new ObjectDisposedException("FacePlexClient", "FacePlex: the client was closed while connecting to " + url);
                if (timedOut[0] || e is OperationCanceledException)
                    throw new TimeoutException("FacePlex: no welcome from " + url + " within " + timeoutMs + " ms");
                throw;
            }
        }

        private async Task<Welcome> Handshake(Uri url, int sampleRate, int fps, double preRollSeconds, string clientName, int timeoutMs,
                                              string token, bool[] timedOut)
        {
            Session.PreRollSeconds = preRollSeconds;
            // Linked to the client's own token: Close/Dispose while connecting (a character destroyed
            // mid-connect) ends the handshake at once instead of leaving it to the timeout.
            using (var t = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token))
            using (var timer = new CancellationTokenSource(timeoutMs))
            using (timer.Token.Register(() => { timedOut[0] = true; t.Cancel(); }))
            {
                // Mono's ClientWebSocket ignores the token while it waits for the upgrade response, and Abort()
                // does not end that wait either (seen here with Mono 6.8: a server that accepts and never answers
                // left ConnectAsync pending forever), so every step of the handshake races the token itself.
                // Nor is the socket aborted while the connect is pending: Mono then fails the late upgrade but
                // keeps its socket open until the garbage collector finalizes it (seen here), so the daemon keeps
                // a session for nobody. The connect is left to finish and the socket aborted the moment it opens.
                var connect = _ws.ConnectAsync(url, CancellationToken.None);   // (a cancelled token aborts it inside)
                _connect = connect;
                _connecting = connect.ContinueWith(c => { if (Volatile.Read(ref _closed) != 0) AbortSocket(); });
                await Within(connect, t.Token).ConfigureAwait(false);
                Session.Hello(sampleRate, fps, clientName, token);
                foreach (var b in Session.DataToSend())
                    await Within(_ws.SendAsync(new ArraySegment<byte>(b), WebSocketMessageType.Binary, true, t.Token), t.Token).ConfigureAwait(false);
                var buf = new byte[1 << 16];
                int n = await Within(ReceiveOne(buf, t.Token, r => buf = r), t.Token).ConfigureAwait(false);
                if (n < 0) throw new InvalidOperationException("handshake refused: the daemon closed the connection");
                var msg = Session.Receive(buf, 0, n);
                var welcome = msg as Welcome;
                if (welcome == null) throw new InvalidOperationException("handshake refused: " + msg);
                // PROTOCOL.md §9: another protocol version: the session did not open (IncompatibleDaemon was raised).
                if (Session.Incompatible != null) throw new InvalidOperationException(Session.Incompatible.Message);
                var loop = buf;
                if (_cts.IsCancellationRequested) throw new OperationCanceledException(_cts.Token);   // closed meanwhile
                Interlocked.Exchange(ref _loopsStarted, 1);
                _ = Task.Run(() => ReceiveLoop(loop));
                _ = Task.Run(SendLoop);
                _ = Task.Run(ReportLoop);
                return welcome;
            }
        }

        /// <summary>Awaits <paramref name="task"/>, or throws OperationCanceledException as soon as
        /// <paramref name="ct"/> is cancelled even if the task never completes (its fault is then observed).</summary>
        private static async Task Within(Task task, CancellationToken ct)
        {
            var gaveUp = new TaskCompletionSource<bool>();
            using (ct.Register(() => gaveUp.TrySetResult(true)))
            {
                if (await Task.WhenAny(task, gaveUp.Task).ConfigureAwait(false) != task)
                {
                    Observe(task);
                    throw new OperationCanceledException(ct);
                }
            }
            await task.ConfigureAwait(false);
        }

        /// <summary>Reads an abandoned task's fault when it comes (no UnobservedTaskException).</summary>
        private static void Observe(Task task)
        {
            task.ContinueWith(x => { var e = x.Exception; }, TaskContinuationOptions.OnlyOnFaulted);
        }

        private static async Task<TR> Within<TR>(Task<TR> task, CancellationToken ct)
        {
            await Within((Task)task, ct).ConfigureAwait(false);
            return task.Result;
        }

        private async Task<int> ReceiveOne(byte[] buf, CancellationToken ct, Action<byte[]> grew)
        {
            int n = 0;
            while (true)
            {
                if (n == buf.Length) { Array.Resize(ref buf, buf.Length * 2); grew(buf); }
                var r = await _ws.ReceiveAsync(new ArraySegment<byte>(buf, n, buf.Length - n), ct).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close) return -1;
                n += r.Count;
                if (r.EndOfMessage) return r.MessageType == WebSocketMessageType.Binary ? n : -2;
            }
        }

        private async Task ReceiveLoop(byte[] buf)
        {
            Exception error = null;
            try
            {
                while (!_cts.IsCancellationRequested)
                {
                    int n = await ReceiveOne(buf, _cts.Token, r => buf = r).ConfigureAwait(false);
                    if (n == -1) break;
                    if (n == -2) continue;   // text frames are not part of the protocol's server side
                    Message msg;
                    try { msg = Session.Receive(buf, 0, n); }
                    catch (MsgPackException) { continue; }   // not v1: ignore, the session stays usable
                    var h = MessageReceived;
                    if (h != null) h(msg);
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { error = e; }
            Finish(error);
        }

        private async Task SendLoop()
        {
            try
            {
                while (!_cts.IsCancellationRequested)
                {
                    await _sendSignal.WaitAsync(_cts.Token).ConfigureAwait(false);
                    foreach (var b in Session.DataToSend())
                        await _ws.SendAsync(new ArraySegment<byte>(b), WebSocketMessageType.Binary, true, _cts.Token).ConfigureAwait(false);
                    if (Volatile.Read(ref _closeRequested) != 0)
                    {
                        // Close() asked: what was queued (e.g. a last playback report) is sent above, then the
                        // close handshake; the receive loop ends at the daemon's close frame (or CloseTimeoutMs aborts).
                        await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", _cts.Token).ConfigureAwait(false);
                        return;
                    }
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { Finish(e); }
        }

        private async Task ReportLoop()
        {
            try
            {
                while (!_cts.IsCancellationRequested)
                {
                    await Task.Delay(Math.Max(10, ReportIntervalMs), _cts.Token).ConfigureAwait(false);
                    var tl = Timeline;
                    if (tl == null) continue;
                    tl.CatchUpIfIdle();
                    if (tl.PauseOverflowing)
                    {
                        // Paused so long that what keeps arriving would overwrite the held speech: end the
                        // utterances (the daemon stops sending them) and jump to live on resume.
                        tl.GiveUpPlace();
                        Cancel();
                    }
                    if (ReportIntervalMs <= 0 || !tl.HasMedia) continue;
                    // Report while an utterance plays, plus once when it has fully played (PROTOCOL.md §4).
                    var p = PlaybackPosition;
                    long pos = p != null ? p() : tl.PlayedSample;
                    string utt = tl.UtteranceAt(pos - 1);
                    if (utt != null || _lastReportedUtt != null) ReportPlayback();
                    _lastReportedUtt = utt;
                }
            }
            catch (OperationCanceledException) { }
        }

        /// <summary>Sends a <c>playback</c> report now (position from <see cref="PlaybackPosition"/>).</summary>
        public void ReportPlayback()
        {
            var tl = Timeline;
            if (tl == null) return;
            var p = PlaybackPosition;
            Session.ReportPlayback(p != null ? p() : tl.PlayedSample, NowUs());
            Flush();
        }

        /// <summary>Wakes the send loop to write whatever the session has queued.</summary>
        public void Flush() { _sendSignal.Release(); }

        /// <summary>Speaks <paramref name="text"/>; returns the utterance id. See <see cref="ClientSession.Say"/>.</summary>
        public string Say(string text, string utt = null, bool append = false, bool final = true, string voice = null, Style style = null)
        {
            var u = Session.Say(text, utt, append, final, voice, style);
            Flush();
            return u;
        }

        /// <summary>Stops <paramref name="utt"/> (null: all), dropping its buffered audio and frames at once,
        /// and reports the playback position so the daemon knows what was heard.</summary>
        public void Cancel(string utt = null)
        {
            Session.Cancel(utt);
            ReportPlayback();
        }

        /// <summary>Sends a partial settings update.</summary>
        public string Configure(MsgMap settings) { var id = Session.Configure(settings); Flush(); return id; }

        /// <summary>Sends a typed partial settings update (interruption policy, min_interruption_ms, emotion,
        /// voice, ...; null properties are left as they are). Answered by <c>configured</c>; returns its id.</summary>
        public string Configure(SessionSettings settings) { return Configure(settings.ToMap()); }

        /// <summary>Streaming say (an LLM's reply as it comes): adds <paramref name="text"/> to the open utterance
        /// <paramref name="utt"/>, opened by <c>Say(firstText, final: false)</c>; <paramref name="final"/> closes it
        /// (text may then be ""). Error unknown_utterance if it is not open.</summary>
        public void SayAppend(string utt, string text, bool final = false)
        {
            Session.Say(text, utt, append: true, final: final);
            Flush();
        }

        /// <summary>Sends a ping with the client clock.</summary>
        public void Ping() { Session.Ping(NowUs()); Flush(); }

        private void Finish(Exception e)
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0) return;
            _cts.Cancel();
            Session.Marks.Clear();
            var h = Disconnected;
            try { if (h != null) h(e); }
            finally { _finished.TrySetResult(true); }
        }

        private void AbortSocket()
        {
            try { _ws.Abort(); } catch (Exception) { }
        }

        /// <summary>Aborts the socket unless ClientWebSocket.ConnectAsync is still pending (then its continuation
        /// aborts it once it opens: see Handshake).</summary>
        private void AbortWhenConnected()
        {
            var c = _connect;
            if (c == null || c.IsCompleted) AbortSocket();
        }

        /// <summary>
        /// Closes the connection without blocking the caller (Unity's main thread on scene unload): the send
        /// loop flushes what is queued (e.g. a last playback report) and sends the close frame in the
        /// background; after <see cref="CloseTimeoutMs"/> the socket is aborted if the close has not finished.
        /// While connecting, it ends the handshake (the connect task faults with ObjectDisposedException).
        /// <see cref="Closed"/> completes when it is over. Idempotent, any thread.
        /// </summary>
        public void Close()
        {
            if (Interlocked.Exchange(ref _closeRequested, 1) != 0) return;
            if (Volatile.Read(ref _loopsStarted) == 0 || _ws.State != WebSocketState.Open) { Finish(null); AbortWhenConnected(); return; }
            _sendSignal.Release();
            Task.Delay(Math.Max(1, CloseTimeoutMs)).ContinueWith(_ => { Finish(null); AbortSocket(); });
        }

        /// <summary>Closes (<see cref="Close"/>: never blocks) and releases the socket once the close is over.</summary>
        public void Dispose()
        {
            Close();
            // Not while ClientWebSocket.ConnectAsync is pending: disposing then leaves the socket it opens later
            // unowned (it can no longer be aborted); the continuation above aborts it once it opens.
            Task.WhenAll(Closed, _connecting).ContinueWith(_ => { AbortSocket(); _ws.Dispose(); });
        }
    }
}
