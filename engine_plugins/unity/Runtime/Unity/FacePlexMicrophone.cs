using FacePlex.Core;
using UnityEngine;

namespace FacePlex.Unity
{
    /// <summary>
    /// The player's microphone, so the character listens and can be interrupted (PROTOCOL.md §11). Records
    /// with Unity's <c>Microphone</c> into a looping AudioClip (a ring of <see cref="ringSeconds"/>), and
    /// every frame copies what the device wrote since the last frame (<c>Microphone.GetPosition</c>,
    /// <c>AudioClip.GetData</c>) into <see cref="FacePlexCharacter.SendMic"/> in blocks of about
    /// <see cref="blockMs"/> (a divisor of the ring), at the device's own rate (the daemon resamples).
    /// Nothing is allocated per frame.
    /// <para>
    /// <b>Echo cancellation is required</b>: the character's own voice from the speakers must not reach the
    /// microphone, or the daemon hears it as the player. Unity's <c>Microphone</c> gives the raw device signal
    /// and has no echo canceller; use headphones, or a platform voice-processing capture (README: Echo
    /// cancellation). The daemon's echo gate (§11) only keeps a −20 dB leak from interrupting.
    /// </para>
    /// Signatures: UnityCsReference 2021.3 Modules/Audio/Public/ScriptBindings/Audio.bindings.cs
    /// (Microphone :1185, AudioClip.GetData :458).
    /// </summary>
    public sealed class FacePlexMicrophone : MonoBehaviour
    {
        [Tooltip("The character that listens.")]
        public FacePlexCharacter character;
        [Tooltip("A name from Microphone.devices; empty = the system's default device.")]
        public string deviceName = "";
        [Tooltip("Rate asked of a device that accepts any (GetDeviceCaps 0/0), Hz; otherwise clamped to the device's own range.")]
        public int preferredSampleRate = 48000;
        [Tooltip("Length of the recording ring, seconds (Unity's looping Microphone clip).")]
        [Range(1f, 10f)] public float ringSeconds = 1f;
        [Tooltip("Samples sent per block, milliseconds (the protocol wants 20-100 ms chunks; the client re-chunks).")]
        [Range(10f, 100f)] public float blockMs = 20f;
        [Tooltip("Start recording when enabled.")]
        public bool recordOnEnable = true;
        [Tooltip("Keep recording but send nothing (push-to-talk off).")]
        public bool muted = false;

        private AudioClip _clip;
        private string _device;
        private int _read;
        private float[] _block = new float[0];
        private int _blockFrames;
        private bool _askedPermission;

        /// <summary>The microphones Unity sees (<c>Microphone.devices</c>).</summary>
        public static string[] Devices { get { return Microphone.devices; } }
        /// <summary>True while recording.</summary>
        public bool IsRecording { get { return _clip != null && Microphone.IsRecording(_device); } }
        /// <summary>The recording's rate (the device's), Hz; 0 when not recording.</summary>
        public int SampleRate { get { return _clip != null ? _clip.frequency : 0; } }

        private void OnEnable() { if (recordOnEnable) StartRecording(); }
        private void OnDisable() { StopRecording(); }

        /// <summary>Starts recording <paramref name="device"/> (null: <see cref="deviceName"/>). Asks for the
        /// microphone permission first where the platform wants it (iOS, WebGL: Application.RequestUserAuthorization;
        /// Android: UnityEngine.Android.Permission, which the game requests itself).</summary>
        public bool StartRecording(string device = null)
        {
            StopRecording();
            if (device != null) deviceName = device;
            if (!Application.HasUserAuthorization(UserAuthorization.Microphone))
            {
                if (!_askedPermission) { Application.RequestUserAuthorization(UserAuthorization.Microphone); _askedPermission = true; }
                return false;   // Update retries once granted
            }
            _device = string.IsNullOrEmpty(deviceName) ? null : deviceName;
            int min, max;
            Microphone.GetDeviceCaps(_device, out min, out max);
            int rate = min == 0 && max == 0 ? preferredSampleRate : (int)Mathf.Clamp(preferredSampleRate, min, max);
            _clip = Microphone.Start(_device, true, Mathf.Max(1, (int)ringSeconds), rate);
            if (_clip == null) { Debug.LogWarning("FacePlex: Microphone.Start(" + (_device ?? "default") + ") failed"); return false; }
            // Blocks divide the ring, so a block never straddles its end (FacePlex.Core.MicStream.BlockFrames).
            _blockFrames = MicStream.BlockFrames(_clip.samples, Mathf.Max(1, (int)(_clip.frequency * blockMs / 1000f)));
            _block = new float[_blockFrames * _clip.channels];
            int pos = Microphone.GetPosition(_device);
            _read = pos - pos % _blockFrames;
            return true;
        }

        /// <summary>Stops recording.</summary>
        public void StopRecording()
        {
            if (_clip != null) Microphone.End(_device);
            _clip = null;
        }

        private void Update()
        {
            if (_clip == null)
            {
                if (recordOnEnable && _askedPermission && Application.HasUserAuthorization(UserAuthorization.Microphone)) StartRecording();
                return;
            }
            if (!Microphone.IsRecording(_device)) { StartRecording(); return; }   // device unplugged and back
            int ring = _clip.samples;
            int pos = Microphone.GetPosition(_device);
            int available = (pos - _read + ring) % ring;
            while (available >= _blockFrames)
            {
                // GetData reads _block.Length / channels frames from frame _read (AudioClip.GetData,
                // Audio.bindings.cs:458); _read is a multiple of _blockFrames, which divides the ring.
                _clip.GetData(_block, _read);
                if (!muted && character != null) character.SendMic(_block, 0, _block.Length, _clip.frequency, _clip.channels);
                _read = (_read + _blockFrames) % ring;
                available -= _blockFrames;
            }
        }
    }
}
