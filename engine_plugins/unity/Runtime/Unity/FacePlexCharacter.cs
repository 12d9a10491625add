using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using FacePlex.Core;
using UnityEngine;

namespace FacePlex.Unity
{
    /// <summary>The character's emotion (PROTOCOL.md §4 <c>style.emotion</c>, §7 <c>emotion</c>).</summary>
    public enum FacePlexEmotion { Neutral, Happy, Sad, Angry, Surprised, Afraid, Disgusted }

    /// <summary>Marks a string field as a FacePlex voice id: the Inspector shows a popup of the voices the daemon
    /// reported (welcome.voices, remembered from the last session) next to a free text field, so blends such as
    /// <c>af_bella*0.6+am_adam*0.4</c> can be typed (Editor/FacePlexVoiceDrawer.cs).</summary>
    public sealed class FacePlexVoiceAttribute : PropertyAttribute { }

    /// <summary>
    /// One talking, listening character: owns a session with the daemon (launched by a shared
    /// <see cref="DaemonLauncher"/>, or at a fixed URL with a token), feeds <see cref="FacePlexAudioSource"/>
    /// and <see cref="FacePlexFace"/>, takes the player's microphone (<see cref="FacePlexMicrophone"/> calls
    /// <see cref="SendMic"/>), reconnects after a daemon restart or an output-device change, and raises its
    /// UnityEvents on the main thread (FacePlexCharacterEvents.cs). Voice, mood and barge-in settings are
    /// Inspector fields, sent on connect and again when changed (<see cref="ApplySettings"/>).
    /// </summary>
    public sealed partial class FacePlexCharacter : MonoBehaviour
    {
        /// <summary>How to reach the daemon.</summary>
        public enum DaemonMode { Launch, ConnectToUrl }

        [Header("Daemon")]
        [Tooltip("Launch `faceplex serve` (one shared daemon for all characters) or connect to Url.")]
        public DaemonMode daemonMode = DaemonMode.Launch;
        [Tooltip("Daemon executable for Launch mode: empty = the bundle in StreamingAssets/FacePlex/<platform>/ (else \"faceplex\" on PATH); a name on PATH, or a path (relative to the project).")]
        public string daemonExecutable = "";
        [Tooltip("Daemon arguments for Launch mode.")]
        public string daemonArguments = "serve --port 0 --exit-on-stdin-eof";
        [Tooltip("Daemon URL for ConnectToUrl mode.")]
        public string url = "ws://127.0.0.1:8765/";
        [Tooltip("ConnectToUrl mode: the daemon's token (its ready line prints it); empty = the FACEPLEX_TOKEN environment variable. Launch mode reads it from the daemon itself.")]
        public string token = "";

        [Header("Session")]
        [Tooltip("Face frames per second (30 or 60).")]
        public int fps = 60;
        [Tooltip("Audio buffered before playback starts, seconds (keep below the daemon's lead_ms, 0.15 s).")]
        [Range(0.02f, 0.5f)] public float preRollSeconds = 0.1f;
        [Tooltip("Plays the audio; required.")]
        public FacePlexAudioSource audioOutput;

        [Header("Voice and mood")]
        [Tooltip("Voice: one of the daemon's voices (the popup lists those it reported), or a blend typed as \"af_bella*0.6+am_adam*0.4\" (parts of one language); empty = the daemon's default.")]
        [FacePlexVoice] public string voice = "";
        [Tooltip("The voices the daemon reported when this character last connected (welcome.voices); fills the Voice popup in edit mode.")]
        [HideInInspector] public string[] knownVoices = new string[0];
        [Tooltip("Popup labels of knownVoices (language, gender, accent from welcome.voice_catalog).")]
        [HideInInspector] public string[] knownVoiceLabels = new string[0];
        [Tooltip("The character's emotion: its speech without an emotion of its own, and its face while idle or listening.")]
        public FacePlexEmotion emotion = FacePlexEmotion.Neutral;
        [Range(0f, 1f)] public float emotionIntensity = 0.5f;
        [Tooltip("Scale of brows, head and eye motion (not lips).")]
        [Range(0f, 2f)] public float expressiveness = 1f;
        [Tooltip("Speech rate.")]
        [Range(0.5f, 2f)] public float speed = 1f;

        [Header("Pause")]
        [Tooltip("Hold the voice and face while Time.timeScale is 0 (a paused game), and resume where they were.")]
        public bool pauseWithTimeScale = true;
        [Tooltip("Hold them too while AudioListener.pause is set (unless the AudioSource ignores listener pause).")]
        public bool pauseWithAudioListener = true;

        [Header("Listening (barge-in)")]
        [Tooltip("What the player's speech does to the character's: Interrupt (cut it), Duck (lower it 12 dB), Ignore (events only).")]
        public InterruptionPolicy interruption = InterruptionPolicy.Interrupt;
        [Tooltip("The player must speak this long to interrupt, milliseconds.")]
        [Range(0, 5000)] public int minInterruptionMs = 400;
        [Tooltip("Speak the unspoken rest of an interrupted line again when the game reacts with neither Say nor Cancel.")]
        public bool resumeFalseInterruption = false;

        private DaemonLauncher _launcher;   // shared with every character of the same daemon configuration
        private FacePlexClient _client;
        private FacePlexClient _pending;                 // connecting (disposed if this is destroyed meanwhile)
        private int _destroyed;                          // set by OnDestroy, read by the connect continuation
        private readonly ConcurrentQueue<Action> _mainThread = new ConcurrentQueue<Action>();
        private readonly RequestQueue _queued = new RequestQueue();   // Say & co. before the session is open
        private int _nextUtt;
        private bool _manualPause;
        private float _retryAt = -1f;
        private float _backoff = 0.5f;
        private bool _connecting;
        private long _heardCache;

        /// <summary>The session timeline, or null while disconnected.</summary>
        public Timeline Timeline { get { var c = _client; return c != null ? c.Timeline : null; } }
        /// <summary>Face channel names of the session, or null.</summary>
        public string[] Channels { get { var c = _client; return c != null && c.Timeline != null ? c.Session.Channels : null; } }
        /// <summary>The timeline sample being heard now (samples).</summary>
        public long HeardSample { get { return audioOutput != null ? audioOutput.HeardSample : 0; } }
        /// <summary>True while a session is open.</summary>
        public bool IsConnected { get { var c = _client; return c != null && c.IsOpen && c.Timeline != null; } }
        /// <summary>The client (null while disconnected), for what the component does not wrap.</summary>
        public FacePlexClient Client { get { return _client; } }
        /// <summary>Requests made before the session opened, waiting to be sent.</summary>
        public int QueuedRequests { get { return _queued.Count; } }
        /// <summary>True while the voice and face are held (<see cref="Pause"/>, or the game paused: see the Pause fields).</summary>
        public bool IsPaused { get { var tl = Timeline; return tl != null && tl.IsPaused; } }

        /// <summary>Holds the voice and face where they are (e.g. a pause menu that keeps Time.timeScale).</summary>
        public void Pause() { _manualPause = true; UpdatePause(); }
        /// <summary>Resumes after <see cref="Pause"/> (the game's own pause, if any, still holds).</summary>
        public void Resume() { _manualPause = false; UpdatePause(); }

        private void Start()
        {
            if (audioOutput == null) audioOutput = GetComponent<FacePlexAudioSource>();
            if (daemonMode == DaemonMode.Launch) _launcher = FacePlexDaemonHost.Get(daemonExecutable, daemonArguments);
            _retryAt = 0f;
        }

        private void OnEnable() { AudioSettings.OnAudioConfigurationChanged += OnAudioConfigurationChanged; }
        private void OnDisable() { AudioSettings.OnAudioConfigurationChanged -= OnAudioConfigurationChanged; }

        // ------------------------------------------------------------------ speaking

        /// <summary>Speaks <paramref name="text"/>; returns the utterance id. Before the session is open the
        /// line is queued and sent, in order, once it opens (null only when the queue is full).</summary>
        public string Say(string text) { return Say(text, null); }

        /// <summary>Speaks <paramref name="text"/> with this line's own emotion (the character's mood is unchanged).</summary>
        public string Say(string text, FacePlexEmotion lineEmotion, float intensity)
        {
            return Say(text, new Style { Emotion = Wire(lineEmotion), EmotionIntensity = Mathf.Clamp01(intensity) });
        }

        /// <summary>Speaks <paramref name="text"/> with a per-line style (null = the settings).</summary>
        public string Say(string text, Style style)
        {
            var utt = NewUtt();
            return Send("Say", utt, c => c.Say(text, utt: utt, style: style));
        }

        /// <summary>Starts a streamed line (an LLM's reply as it arrives): continue with <see cref="SayAppend"/>.</summary>
        public string SayStreaming(string firstText)
        {
            var utt = NewUtt();
            return Send("SayStreaming", utt, c => c.Say(firstText, utt: utt, final: false));
        }

        /// <summary>Adds text to a streamed line; <paramref name="final"/> closes it.</summary>
        public void SayAppend(string utt, string text, bool final = false)
        {
            if (utt == null) return;
            if (_queued.Contains(utt) || !IsConnected) { Send("SayAppend", utt, c => c.SayAppend(utt, text, final)); return; }
            _client.SayAppend(utt, text, final);
        }

        /// <summary>
        /// Animates recorded dialogue: the clip's audio goes to the daemon, which sends it back on the session
        /// timeline with the face (and word/viseme marks); this character plays the returned audio (do not
        /// also play the clip). <paramref name="transcript"/> gives accurate forced alignment; without it,
        /// phone recognition. The clip must be readable: Load Type "Decompress On Load". Returns the utterance
        /// id (queued before the session is open), or null (clip unreadable, queue full).
        /// </summary>
        public string LipSync(AudioClip clip, string transcript = null)
        {
            if (clip == null) return null;
            if (clip.loadType != AudioClipLoadType.DecompressOnLoad)
                Debug.LogWarning("FacePlex: LipSync(" + clip + "): set the clip's Load Type to Decompress On Load so its samples can be read");
            var data = new float[clip.samples * clip.channels];
            if (!clip.GetData(data, 0)) { Debug.LogError("FacePlex: LipSync: could not read the clip's samples"); return null; }
            var pcm = new short[data.Length];
            for (int i = 0; i < data.Length; i++) pcm[i] = (short)(Mathf.Clamp(data[i], -1f, 1f) * 32767f);
            int rate = clip.frequency, channels = clip.channels;
            string text = string.IsNullOrEmpty(transcript) ? null : transcript;
            var utt = NewUtt();
            return Send("LipSync", utt, c => c.LipSync(pcm, rate, channels, text, utt));
        }

        private string NewUtt() { return "s" + (++_nextUtt); }

        /// <summary>Sends now when connected, else queues (RequestQueue) until the session opens.</summary>
        private string Send(string what, string utt, Action<FacePlexClient> send)
        {
            var c = _client;
            if (c != null && IsConnected) { send(c); return Opened(utt); }
            if (!_queued.Add(utt, send))
            {
                Debug.LogWarning("FacePlex: " + what + "() while not connected, and " + _queued.Capacity + " requests already wait: dropped");
                return null;
            }
            return Opened(utt);
        }

        /// <summary>Interrupts <paramref name="utt"/> (null: everything): its queued audio and face stop at once.</summary>
        public void Cancel(string utt = null)
        {
            // Lines still waiting for the session are never sent: they end here, as cancelled by the client.
            foreach (var gone in _queued.Remove(utt)) EndLocally(gone, "client");
            var c = _client;
            if (c != null) c.Cancel(utt);
        }

        /// <summary>The player's microphone (<see cref="FacePlexMicrophone"/> calls this): float samples in
        /// [-1, 1], interleaved, at the device's rate. Dropped while disconnected. Never blocks.</summary>
        public void SendMic(float[] pcm, int offset, int count, int sampleRate, int channels)
        {
            var c = _client;
            if (c != null && c.IsOpen) c.SendMic(pcm, offset, count, sampleRate, channels);
        }

        /// <summary>Push-to-talk released: the player's turn ends now (PROTOCOL.md §11 <c>mic_end</c>); the final
        /// <c>onPartnerTranscript</c> follows. <see cref="FacePlexMicrophone"/> calls it when
        /// its <c>muted</c> goes on. Ignored while disconnected.</summary>
        public void EndMic()
        {
            var c = _client;
            if (c != null && c.IsOpen) c.SendMicEnd();
        }

        /// <summary>Changes the character's mood now (also when idle or listening).</summary>
        public void SetEmotion(FacePlexEmotion newEmotion, float intensity)
        {
            emotion = newEmotion;
            emotionIntensity = Mathf.Clamp01(intensity);
            ApplySettings();
        }

        /// <summary>The Inspector's voice, mood and barge-in settings as a config update.</summary>
        public SessionSettings CurrentSettings()
        {
            return new SessionSettings
            {
                Voice = string.IsNullOrEmpty(voice) ? null : voice, Emotion = Wire(emotion), EmotionIntensity = emotionIntensity,
                Expressiveness = expressiveness, Speed = speed, Interruption = interruption,
                MinInterruptionMs = minInterruptionMs, ResumeFalseInterruption = resumeFalseInterruption,
            };
        }

        /// <summary>Sends <see cref="CurrentSettings"/> (done on connect; call after changing the fields from code).</summary>
        public void ApplySettings()
        {
            var c = _client;
            if (c != null && c.IsOpen) c.Configure(CurrentSettings());
        }

        /// <summary>Sends an arbitrary settings update (e.g. vad_silence_ms, lipsync_lookahead_ms).</summary>
        public void Configure(SessionSettings settings)
        {
            var c = Connected("Configure");
            if (c != null) c.Configure(settings);
        }

        private void OnValidate() { if (IsConnected) ApplySettings(); }   // Inspector edits in Play mode

        /// <summary>The protocol's spelling of an emotion ("neutral", "happy", ...).</summary>
        public static string Wire(FacePlexEmotion e) { return e.ToString().ToLowerInvariant(); }

        private FacePlexClient Connected(string what)
        {
            var c = _client;
            if (c == null || !IsConnected) { Debug.LogWarning("FacePlex: " + what + "() while not connected"); return null; }
            return c;
        }

        // ------------------------------------------------------------------ connection

        private void Update()
        {
            Action a;
            while (_mainThread.TryDequeue(out a)) a();
            if (_client == null && !_connecting && _retryAt >= 0f && Time.unscaledTime >= _retryAt) TryConnect();
            UpdatePause();
            long heard = HeardSample;
            System.Threading.Interlocked.Exchange(ref _heardCache, heard);
            DispatchHeard(heard);
        }

        /// <summary>Holds or resumes the timeline: <see cref="Pause"/>, Time.timeScale 0 (Time.bindings.cs:75),
        /// AudioListener.pause (Audio.bindings.cs:582; it stops the AudioSource, so its filter is not called,
        /// unless ignoreListenerPause, :850). Held, the audio thread plays silence without advancing and the face
        /// is read at the held position; resumed, both go on from there (FacePlex.Core.Timeline.Pause).</summary>
        private void UpdatePause()
        {
            var tl = Timeline;
            if (tl == null) return;
            var src = audioOutput != null ? audioOutput.Source : null;
            bool hold = _manualPause
                        || (pauseWithTimeScale && Time.timeScale == 0f)
                        || (pauseWithAudioListener && AudioListener.pause && (src == null || !src.ignoreListenerPause));
            if (hold && !tl.IsPaused) tl.Pause();
            else if (!hold && tl.IsPaused) tl.Resume();
        }

        private void TryConnect()
        {
            Uri target;
            string secret;
            if (daemonMode == DaemonMode.Launch)
            {
                var ready = _launcher != null ? _launcher.Current : null;
                if (ready == null) { _retryAt = Time.unscaledTime + 0.25f; return; }
                target = ready.Url;
                secret = ready.Token;
            }
            else
            {
                target = new Uri(url);
                secret = !string.IsNullOrEmpty(token) ? token : Environment.GetEnvironmentVariable("FACEPLEX_TOKEN");
            }

            int rate = AudioSettings.outputSampleRate;
            if (Array.IndexOf(new[] { 16000, 22050, 24000, 44100, 48000 }, rate) < 0)
                Debug.LogError("FacePlex: the mixer runs at " + rate + " Hz; set Project Settings > Audio > System Sample Rate to 48000 or 44100");
            var client = new FacePlexClient();
            client.PlaybackPosition = () => System.Threading.Interlocked.Read(ref _heardCache);
            Subscribe(client);
            _connecting = true;
            _pending = client;
            client.ConnectAsync(target, rate, fps, preRollSeconds, token: secret).ContinueWith(t =>
            {
                // Destroyed while connecting: Update will never run again to see this, so end it here
                // (thread pool). Dispose never blocks; it also ends a handshake still in progress.
                if (Volatile.Read(ref _destroyed) != 0) { client.Dispose(); return; }
                _mainThread.Enqueue(() =>
                {
                    _connecting = false;
                    if (ReferenceEquals(_pending, client)) _pending = null;
                    // Only a welcome is success: a handshake timeout used to end the task Canceled, which a
                    // check of IsFaulted alone took for success (a dead client kept, never retried).
                    if (t.Status != TaskStatus.RanToCompletion || this == null)
                    {
                        client.Dispose();
                        var bad = client.Session.Incompatible;
                        if (bad != null)
                        {
                            // Another protocol version: retrying cannot help (PROTOCOL.md §9). Said once, as an error.
                            Debug.LogError("FacePlex: " + bad.Message);
                            onIncompatibleDaemon.Invoke(bad.DaemonProtocol, bad.ClientProtocol);
                            onError.Invoke("incompatible_daemon: " + bad.Message);
                            _retryAt = -1f;
                            return;
                        }
                        if (t.Exception != null) Debug.LogWarning("FacePlex: connect failed: " + t.Exception.InnerException.Message);
                        _retryAt = Time.unscaledTime + _backoff;
                        _backoff = Mathf.Min(_backoff * 2f, 10f);
                        return;
                    }
                    _backoff = 0.5f;
                    _client = client;
                    if (audioOutput != null) audioOutput.Timeline = client.Timeline;
                    RememberVoices(client.Session.Welcome);
                    ApplySettings();
                    UpdatePause();
                    int sent = _queued.Flush(client);   // lines said before the session opened, in order
                    if (sent > 0) Debug.Log("FacePlex: sent " + sent + " request(s) queued before the connection");
                    onConnected.Invoke();
                });
            });
        }

        /// <summary>Keeps the daemon's voices for the Inspector's Voice popup (also in edit mode, from the last session).</summary>
        private void RememberVoices(Welcome w)
        {
            if (w == null || w.Voices == null || w.Voices.Length == 0) return;
            knownVoices = w.Voices;
            knownVoiceLabels = new string[w.Voices.Length];
            for (int i = 0; i < w.Voices.Length; i++)
            {
                knownVoiceLabels[i] = w.Voices[i];
                if (w.VoiceCatalog == null) continue;
                foreach (var v in w.VoiceCatalog)
                    if (v != null && v.Id == w.Voices[i]) knownVoiceLabels[i] = VoiceChoices.Label(v.Id, v.Language, v.Gender, v.Accent);
            }
        }

        /// <summary>The output device or its rate changed (Unity re-initialised audio): the session's rate must
        /// follow the mixer's, or speech plays at the wrong pitch, so reconnect at the new rate.</summary>
        private void OnAudioConfigurationChanged(bool deviceWasChanged)
        {
            _mainThread.Enqueue(() =>
            {
                var c = _client;
                if (c == null || c.Session.SampleRate == AudioSettings.outputSampleRate) return;
                Debug.Log("FacePlex: output rate is now " + AudioSettings.outputSampleRate + " Hz; reconnecting");
                Drop(c, null);
                _retryAt = 0f;
            });
        }

        private void OnDisconnected(FacePlexClient c, Exception e)
        {
            if (!ReferenceEquals(c, _client)) return;
            Drop(c, e);
            _retryAt = Time.unscaledTime + _backoff;
        }

        /// <summary>Forgets the session and releases its client (socket, loops; the close runs in the background):
        /// silence, and every open utterance ends as cancelled ("disconnected").</summary>
        private void Drop(FacePlexClient c, Exception e)
        {
            if (audioOutput != null) audioOutput.Timeline = null;
            _client = null;
            EndOpenUtterances("disconnected");
            if (e != null) Debug.LogWarning("FacePlex: disconnected: " + e.Message);
            c.Dispose();
        }

        /// <summary>Destroyed (scene unload, Destroy): the session, and a connection still being made, are closed
        /// without blocking the main thread (FacePlexClient.Close sends what is queued and the close frame in the
        /// background, aborting after CloseTimeoutMs).</summary>
        private void OnDestroy()
        {
            Interlocked.Exchange(ref _destroyed, 1);
            _retryAt = -1f;
            var c = _client;
            var p = _pending;
            _client = null;
            _pending = null;
            _queued.Remove(null);
            if (audioOutput != null) audioOutput.Timeline = null;
            if (c != null) c.Dispose();
            if (p != null) p.Dispose();
        }
    }
}
