using FacePlex.Unity;
using UnityEngine;

namespace FacePlex.Samples
{
    /// <summary>
    /// Basic sample: press Space to speak a line, Escape to interrupt it. Put it next to a
    /// <see cref="FacePlexCharacter"/> (with a <see cref="FacePlexAudioSource"/> and an AudioSource) and a
    /// <see cref="FacePlexFace"/> pointing at your character's face mesh.
    /// </summary>
    public sealed class BasicSampleController : MonoBehaviour
    {
        public FacePlexCharacter character;
        [TextArea] public string line = "Hello there, traveller! The road north is long; take some bread for the journey.";

        private string _current;

        private void Start()
        {
            if (character == null) character = GetComponent<FacePlexCharacter>();
            character.onConnected.AddListener(() => Debug.Log("FacePlex connected: press Space to talk, Escape to interrupt"));
            character.onUtteranceStarted.AddListener(u => Debug.Log("speaking " + u));
            character.onUtteranceEnded.AddListener(u => Debug.Log("done " + u));
            character.onError.AddListener(e => Debug.LogWarning("FacePlex: " + e));
        }

        private void Update()
        {
            if (Input.GetKeyDown(KeyCode.Space) && character.IsConnected) _current = character.Say(line);
            if (Input.GetKeyDown(KeyCode.Escape) && _current != null) { character.Cancel(_current); _current = null; }
        }

        private void OnGUI()
        {
            GUILayout.Label(character != null && character.IsConnected ? "FacePlex: connected (Space: talk, Esc: interrupt)" : "FacePlex: connecting...");
        }
    }
}
