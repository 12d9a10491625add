using System;
using System.Collections.Concurrent;
using FacePlex.Core;
using UnityEngine;
using UnityEngine.Events;

namespace FacePlex.Unity
{
    /// <summary>UnityEvent with an utterance id.</summary>
    [Serializable] public sealed class UtteranceEvent : UnityEvent<string> { }

    /// <summary>
    /// One talking character: owns a session with the daemon (launched by a shared
    /// <see cref="DaemonLauncher"/>, or at a fixed URL), feeds <see cref="FacePlexAudioSource"/> and
    /// <see cref="FacePlexFace"/>, reconnects after a daemon restart, and raises UnityEvents on the main
    /// thread when the listener starts/finishes hearing an utterance.
    /// </summary>
    public sealed class FacePlexCharacter : MonoBehaviour
    {
        /// <summary>How to reach the daemon.</summary>
        public enum DaemonMode { Launch, ConnectToUrl }

        /// <summary>Launch `faceplex serve` (shared by all characters) or connect to <see cref="url"/>.</summary>
        public DaemonMode daemonMode = DaemonMode.Launch;
        /// <summary>Daemon executable for Launch mode ("faceplex" on PATH, or a python with -m arguments).</summary>
        public string daemonExecutable = "faceplex";
        /// <summary>Daemon arguments for Launch mode.</summary>
        public string daemonArguments = "serve --port 0 --exit-on-stdin-eof";
        /// <summary>Daemon URL for ConnectToUrl mode.</summary>
        public string url = "ws://127.0.0.1:8765/";
        /// <summary>Face frames per second (30 or 60).</summary>
        public int fps = 60;
        /// <summary>Audio buffered before playback starts, seconds (keep below the daemon's lead_ms, 0.15 s).</summary>
        [Range(0.02f, 0.5f)] public float preRollSeconds = 0.1f;
        /// <summary>Plays the audio; required.</summary>
        public FacePlexAudioSource audioOutput;

        /// <summary>The session is open (main thread).</summary>
        public UnityEvent onConnected = new UnityEvent();
        /// <summary>The listener starts hearing an utterance.</summary>
        public UtteranceEvent onUtteranceStarted = new UtteranceEvent();
        /// <summary>The listener has heard the end of an utterance (finished or cut by a cancel).</summary>
        public UtteranceEvent onUtteranceEnded = new UtteranceEvent();
        /// <summary>The daemon reported an error (code: message).</summary>
        public UtteranceEvent onError = new UtteranceEvent();

        private static DaemonLauncher _sharedLauncher;
        private FacePlexClient _client;
        private readonly ConcurrentQueue<Action> _mainThread = new ConcurrentQueue<Action>();
        private string _heardUtt;
        private float _retryAt = -1f;
        private float _backoff = 0.5f;
        private bool _connecting;

        /// <summary>The session timeline, or null while disconnected.</summary>
        public Timeline Timeline { get { var c = _client; return c != null ? c.Timeline : null; } }
        /// <summary>Face channel names of the session, or null.</summary>
        public string[] Channels { get { var c = _client; return c != null && c.Timeline != null ? c.Session.Channels : null; } }
        /// <summary>The timeline sample being heard now (samples).</summary>
        public long HeardSample { get { return audioOutput != null ? audioOutput.HeardSample : 0; } }
        /// <summary>True while a session is open.</summary>
        public bool IsConnected { get { var c = _client; return c != null && c.IsOpen && c.Timeline != null; } }

        private void Start()
        {
            if (audioOutput == null) audioOutput = GetComponent<FacePlexAudioSource>();
            if (daemonMode == DaemonMode.Launch) EnsureLauncher(daemonExecutable, daemonArguments);
            _retryAt = 0f;
        }

        private static void EnsureLauncher(string exe, string args)
        {
            if (_sharedLauncher != null) return;
            _sharedLauncher = new DaemonLauncher { FileName = exe, Arguments = args };
            _sharedLauncher.Log += line => Debug.Log("[FacePlex daemon] " + line);
            _sharedLauncher.Start();
            Application.quitting += () => { if (_sharedLauncher != null) { _sharedLauncher.Stop(); _sharedLauncher = null; } };
        }

        /// <summary>Speaks <paramref name="text"/>; returns the utterance id, or null when not connected.</summary>
        public string Say(string text)
        {
            var c = _client;
            if (c == null || !IsConnected) { Debug.LogWarning("FacePlex: Say() while not connected"); return null; }
            return c.Say(text);
        }

        /// <summary>Interrupts <paramref name="utt"/> (null: everything): its queued audio and face stop at once.</summary>
        public void Cancel(string utt = null)
        {
            var c = _client;
            if (c != null) c.Cancel(utt);
        }

        private void Update()
        {
            Action a;
            while (_mainThread.TryDequeue(out a)) a();
            if (_client == null && !_connecting && _retryAt >= 0f && Time.unscaledTime >= _retryAt) TryConnect();
            TrackHeardUtterance();
        }

        private void TryConnect()
        {
            Uri target;
            if (daemonMode == DaemonMode.Launch)
            {
                var ready = _sharedLauncher != null ? _sharedLauncher.Current : null;
                if (ready == null) { _retryAt = Time.unscaledTime + 0.25f; return; }
                target = ready.Url;
            }
            else target = new Uri(url);

            int rate = FacePlexAudioSource.OutputSampleRate;
            if (Array.IndexOf(new[] { 16000, 22050, 24000, 44100, 48000 }, rate) < 0)
                Debug.LogError("FacePlex: the mixer runs at " + rate + " Hz; set Project Settings > Audio > System Sample Rate to 48000 or 44100");
            var client = new FacePlexClient();
            client.PlaybackPosition = () => HeardSampleThreadSafe(client);
            client.MessageReceived += m => OnMessage(m);
            client.Disconnected += e => _mainThread.Enqueue(() => OnDisconnected(client, e));
            _connecting = true;
            client.ConnectAsync(target, rate, fps, preRollSeconds).ContinueWith(t => _mainThread.Enqueue(() =>
            {
                _connecting = false;
                if (t.IsFaulted || this == null)
                {
                    client.Dispose();
                    _retryAt = Time.unscaledTime + _backoff;
                    _backoff = Mathf.Min(_backoff * 2f, 10f);
                    return;
                }
                _backoff = 0.5f;
                _client = client;
                if (audioOutput != null) audioOutput.Timeline = client.Timeline;
                onConnected.Invoke();
            }));
        }

        private long _heardCache;

        /// <summary>Report position for playback messages (read on a background thread: cached each frame).</summary>
        private long HeardSampleThreadSafe(FacePlexClient c) { return System.Threading.Interlocked.Read(ref _heardCache); }

        private void OnMessage(Message m)
        {
            var err = m as ErrorMessage;
            if (err != null) _mainThread.Enqueue(() => onError.Invoke(err.Code + ": " + err.Text));
        }

        private void OnDisconnected(FacePlexClient c, Exception e)
        {
            if (!ReferenceEquals(c, _client)) return;
            if (audioOutput != null) audioOutput.Timeline = null;
            _client = null;
            if (_heardUtt != null) { var u = _heardUtt; _heardUtt = null; onUtteranceEnded.Invoke(u); }
            if (e != null) Debug.LogWarning("FacePlex: disconnected: " + e.Message);
            _retryAt = Time.unscaledTime + _backoff;
        }

        private void TrackHeardUtterance()
        {
            var tl = Timeline;
            if (tl == null) return;
            long heard = HeardSample;
            System.Threading.Interlocked.Exchange(ref _heardCache, heard);
            var utt = tl.UtteranceAt(heard);
            if (utt == _heardUtt) return;
            if (_heardUtt != null) onUtteranceEnded.Invoke(_heardUtt);
            _heardUtt = utt;
            if (utt != null) onUtteranceStarted.Invoke(utt);
        }

        private void OnDestroy()
        {
            _retryAt = -1f;
            var c = _client;
            _client = null;
            if (audioOutput != null) audioOutput.Timeline = null;
            if (c != null) c.Dispose();
        }
    }
}
