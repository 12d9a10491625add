using FacePlex.Unity;
using UnityEngine;

namespace FacePlex.Samples
{
    /// <summary>
    /// Basic sample: Space speaks a line, Escape cuts it off. With a <see cref="FacePlexMicrophone"/> on the
    /// character, talk over the character to interrupt it: it stops, and the console shows what you heard of
    /// its line (what a dialogue system should be told was said). Put it next to a
    /// <see cref="FacePlexCharacter"/> (with a <see cref="FacePlexAudioSource"/> and an AudioSource) and a
    /// <see cref="FacePlexFace"/> pointing at your character's face mesh.
    /// </summary>
    public sealed class BasicSampleController : MonoBehaviour
    {
        public FacePlexCharacter character;
        [TextArea] public string line = "Hello there, traveller! The road north is long; take some bread for the journey.";
        [TextArea] public string answer = "Yes? What is it?";

        private string _current;
        private bool _wasInterrupted;

        private void Start()
        {
            if (character == null) character = GetComponent<FacePlexCharacter>();
            character.onConnected.AddListener(() => Debug.Log("FacePlex connected: Space to talk, Escape to interrupt, or talk over it"));
            character.onUtteranceStarted.AddListener(u => Debug.Log("speaking " + u));
            character.onUtteranceFinished.AddListener(u => Debug.Log("done " + u));
            character.onUtteranceCancelled.AddListener((u, reason) => Debug.Log("cut " + u + " (" + reason + ")"));
            character.onPartnerSpeechStarted.AddListener(() => Debug.Log("the player is talking"));
            character.onInterrupted.AddListener((u, heard) => { _wasInterrupted = true; Debug.Log("interrupted; the player heard: \"" + heard + "\""); });
            // Answer when the player stops talking after cutting the character off.
            character.onPartnerSpeechStopped.AddListener(() => { if (_wasInterrupted) { _wasInterrupted = false; _current = character.Say(answer); } });
            character.onError.AddListener(e => Debug.LogWarning("FacePlex: " + e));
        }

        private void Update()
        {
            if (Input.GetKeyDown(KeyCode.Space) && character.IsConnected) _current = character.Say(line);
            if (Input.GetKeyDown(KeyCode.Escape) && _current != null) { character.Cancel(_current); _current = null; }
        }

        private void OnGUI()
        {
            GUILayout.Label(character != null && character.IsConnected ? "FacePlex: connected (Space: talk, Esc: interrupt, or talk over it)" : "FacePlex: connecting...");
        }
    }
}
