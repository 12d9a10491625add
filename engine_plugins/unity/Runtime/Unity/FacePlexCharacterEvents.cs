using System;
using System.Collections.Generic;
using FacePlex.Core;
using UnityEngine;
using UnityEngine.Events;

namespace FacePlex.Unity
{
    /// <summary>UnityEvent with an utterance id.</summary>
    [Serializable] public sealed class UtteranceEvent : UnityEvent<string> { }
    /// <summary>UnityEvent with an utterance id and a second string (a cancel reason, or the text the player heard).</summary>
    [Serializable] public sealed class UtteranceTextEvent : UnityEvent<string, string> { }
    /// <summary>UnityEvent with one string (a word, a viseme, a warning).</summary>
    [Serializable] public sealed class TextEvent : UnityEvent<string> { }
    /// <summary>UnityEvent with the player's words and whether they are final.</summary>
    [Serializable] public sealed class TranscriptEvent : UnityEvent<string, bool> { }
    /// <summary>UnityEvent with the daemon's protocol version and the client's.</summary>
    [Serializable] public sealed class VersionsEvent : UnityEvent<long, long> { }

    /// <summary>The character's Inspector events, raised on the main thread, timed by what the listener hears.</summary>
    public sealed partial class FacePlexCharacter
    {
        [Header("Events (main thread)")]
        [Tooltip("The session is open.")]
        public UnityEvent onConnected = new UnityEvent();
        [Tooltip("The player started speaking (voice activity in the microphone).")]
        public UnityEvent onPartnerSpeechStarted = new UnityEvent();
        [Tooltip("The player stopped speaking: a good moment to answer.")]
        public UnityEvent onPartnerSpeechStopped = new UnityEvent();
        [Tooltip("The player cut the character off: (utterance, the text the player heard). Give that text to the dialogue system instead of the full line.")]
        public UtteranceTextEvent onInterrupted = new UtteranceTextEvent();
        [Tooltip("The listener starts hearing an utterance.")]
        public UtteranceEvent onUtteranceStarted = new UtteranceEvent();
        [Tooltip("The listener has heard all of an utterance.")]
        public UtteranceEvent onUtteranceFinished = new UtteranceEvent();
        [Tooltip("An utterance stopped early: (utterance, reason: client, interrupted, client_too_slow, error, shutdown, empty; rejected: the daemon refused it; disconnected: the session was lost).")]
        public UtteranceTextEvent onUtteranceCancelled = new UtteranceTextEvent();
        [Tooltip("A word starts being heard.")]
        public TextEvent onWord = new TextEvent();
        [Tooltip("A phoneme starts being heard: its OVRLipSync-15 viseme (sil PP FF TH DD kk CH SS nn RR aa E ih oh ou).")]
        public TextEvent onViseme = new TextEvent();
        [Tooltip("What the player said, as text (partner_transcript): (text, final). Interim results (final = false) come while the player speaks and are superseded; the final one follows onPartnerSpeechStopped (or EndMic, push-to-talk). Needs transcription in the daemon (welcome.features).")]
        public TranscriptEvent onPartnerTranscript = new TranscriptEvent();
        [Tooltip("The daemon speaks another protocol version: (daemon's, this plugin's). The character does not connect or retry; update the daemon or the plugin.")]
        public VersionsEvent onIncompatibleDaemon = new VersionsEvent();
        [Tooltip("The daemon warns about a request that went ahead (code: message).")]
        public TextEvent onWarning = new TextEvent();
        [Tooltip("The daemon reported an error (code: message).")]
        public TextEvent onError = new TextEvent();

        /// <summary>Every end with its details (samples_played, words_spoken, text_spoken when interrupted),
        /// at the same moment as onUtteranceFinished / onUtteranceCancelled. Main thread.</summary>
        public event Action<UtteranceEnd> UtteranceEnded;

        /// <summary>Every transcript with its details (start/end samples on the partner's timeline, language,
        /// confidence, model, word timings), at the same moment as <see cref="onPartnerTranscript"/>. Main thread.</summary>
        public event Action<PartnerTranscript> PartnerTranscriptReceived;

        private readonly HashSet<string> _open = new HashSet<string>();
        private readonly Dictionary<string, UtteranceEnd> _finishing = new Dictionary<string, UtteranceEnd>();
        private readonly List<string> _finishedNow = new List<string>();
        private readonly List<Mark> _due = new List<Mark>();
        private string _heardUtt;

        private string Opened(string utt) { if (utt != null) _open.Add(utt); return utt; }

        /// <summary>Network-thread events of <paramref name="client"/>, queued to the main thread.</summary>
        private void Subscribe(FacePlexClient client)
        {
            client.Disconnected += e => _mainThread.Enqueue(() => OnDisconnected(client, e));
            client.MessageReceived += m =>
            {
                var err = m as ErrorMessage;
                if (err != null) _mainThread.Enqueue(() => onError.Invoke(err.Code + ": " + err.Text));
            };
            client.Warning += w => _mainThread.Enqueue(() => onWarning.Invoke(w.Code + ": " + w.Text));
            client.PartnerSpeechStarted += p => _mainThread.Enqueue(() => { if (ReferenceEquals(client, _client)) onPartnerSpeechStarted.Invoke(); });
            client.PartnerSpeechStopped += p => _mainThread.Enqueue(() => { if (ReferenceEquals(client, _client)) onPartnerSpeechStopped.Invoke(); });
            client.UtteranceEnded += e => _mainThread.Enqueue(() => { if (ReferenceEquals(client, _client)) OnEnded(e); });
            client.PartnerTranscript += t => _mainThread.Enqueue(() =>
            {
                if (!ReferenceEquals(client, _client)) return;
                onPartnerTranscript.Invoke(t.Text, t.Final);
                var h = PartnerTranscriptReceived;
                if (h != null) h(t);
            });
        }

        private void OnEnded(UtteranceEnd e)
        {
            if (e.Reason == "finished") { _finishing[e.Utt] = e; return; }   // raised once it has been heard
            _finishing.Remove(e.Utt);
            _open.Remove(e.Utt);
            if (e.Interruption != null) onInterrupted.Invoke(e.Utt, e.TextSpoken);
            onUtteranceCancelled.Invoke(e.Utt, e.Reason);
            var h = UtteranceEnded;
            if (h != null) h(e);
        }

        /// <summary>Main thread, every frame: started/finished as heard, and the word/viseme marks reached.</summary>
        private void DispatchHeard(long heard)
        {
            var tl = Timeline;
            if (tl == null) return;
            var utt = tl.UtteranceAt(heard);
            if (utt != _heardUtt)
            {
                _heardUtt = utt;
                if (utt != null) onUtteranceStarted.Invoke(utt);
            }
            _due.Clear();
            var c = _client;
            if (c != null) c.Session.Marks.TakeDue(heard, _due);
            foreach (var m in _due)
            {
                if (m.Kind == "word") onWord.Invoke(m.Text);
                else onViseme.Invoke(m.Viseme ?? "sil");
            }
            if (_finishing.Count == 0) return;
            _finishedNow.Clear();
            foreach (var kv in _finishing) if (heard >= kv.Value.Sample) _finishedNow.Add(kv.Key);
            foreach (var u in _finishedNow)
            {
                var e = _finishing[u];
                _finishing.Remove(u);
                _open.Remove(u);
                onUtteranceFinished.Invoke(u);
                var h = UtteranceEnded;
                if (h != null) h(e);
            }
        }

        /// <summary>Ends <paramref name="utt"/> here, without the daemon (a queued line cancelled before it was sent).</summary>
        private void EndLocally(string utt, string reason)
        {
            _finishing.Remove(utt);
            _open.Remove(utt);
            onUtteranceCancelled.Invoke(utt, reason);
            var h = UtteranceEnded;
            if (h != null) h(new UtteranceEnd { Utt = utt, Reason = reason });
        }

        /// <summary>Ends every open utterance as cancelled with <paramref name="reason"/> (the session is gone, so
        /// no finished/cancelled will come: handlers waiting for one must not hang).</summary>
        private void EndOpenUtterances(string reason)
        {
            var open = new List<string>(_open);
            _open.Clear();
            _finishing.Clear();
            _heardUtt = null;
            foreach (var u in open)
            {
                onUtteranceCancelled.Invoke(u, reason);
                var h = UtteranceEnded;
                if (h != null) h(new UtteranceEnd { Utt = u, Reason = reason });
            }
        }
    }
}
