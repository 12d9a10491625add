using FacePlex.Core;
using FacePlex.Unity;
using UnityEngine;

namespace FacePlex.Tests
{
    /// <summary>
    /// Compile-only: a game script that imports UnityEngine, FacePlex.Core and FacePlex.Unity together,
    /// as users do. Every simple name below must resolve without ambiguity (FacePlex.Core once had a
    /// Ping class that clashed with UnityEngine.Ping), and the public API it calls must exist.
    /// </summary>
    public sealed class UserScript : MonoBehaviour
    {
        public FacePlexCharacter character;
        public FacePlexMicrophone microphone;
        public AudioClip recordedLine;
        private Ping _ping;

        private void Start()
        {
            _ping = new Ping("127.0.0.1");
            character.onInterrupted.AddListener((utt, heard) => Debug.Log(utt + " was cut; heard: " + heard));
            character.onPartnerSpeechStarted.AddListener(() => Debug.Log("listening"));
            character.onWord.AddListener(w => Debug.Log(w));
            character.UtteranceEnded += (UtteranceEnd e) => Debug.Log(e.Reason + " " + e.SamplesPlayed + " " + e.TextSpoken);
            character.Configure(new SessionSettings { Interruption = InterruptionPolicy.Duck, MinInterruptionMs = 250, Emotion = "happy" });
            character.SetEmotion(FacePlexEmotion.Happy, 0.7f);
            string lipUtt = character.LipSync(recordedLine, "Hello there.");
            string s = character.SayStreaming("Well,");
            character.SayAppend(s, " let me think.", final: true);
            Debug.Log(lipUtt + " " + FacePlexMicrophone.Devices.Length + " " + _ping.isDone + " " + microphone.IsRecording);
            microphone.onStateChanged.AddListener((state, why) => Debug.Log("microphone " + state + ": " + why));
            if (microphone.State == MicState.WaitingForDevice) Debug.Log(microphone.StateDetail);
            character.Pause(); character.Resume();
            character.onPartnerTranscript.AddListener((text, final) => { if (final) character.Say("You said: " + text); });
            character.PartnerTranscriptReceived += t => Debug.Log(t.Language + " " + t.Confidence + " " + t.Words.Length);
            character.onIncompatibleDaemon.AddListener((daemon, plugin) => Debug.LogError(daemon + " vs " + plugin));
            character.EndMic();
            Debug.Log(character.IsPaused + " " + character.QueuedRequests + " " + character.knownVoices.Length);
            character.voice = "af_bella*0.6+am_adam*0.4";
            character.ApplySettings();
            PingMessage probe = new PingMessage { ClientTimeUs = 1 };
            Debug.Log(Codec.Encode(probe).Length);
        }
    }
}
