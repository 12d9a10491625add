using System;
using FacePlex.Core;
using UnityEngine;
using UnityEngine.Events;

namespace FacePlex.Unity
{
    /// <summary>UnityEvent with the microphone's state and a one-line reason.</summary>
    [Serializable] public sealed class MicrophoneStateEvent : UnityEvent<MicState, string> { }

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
    /// <para>
    /// Devices come and go: <c>Microphone.Start</c> throws ArgumentException when the device cannot be
    /// resolved (no microphone, unplugged: Audio.bindings.cs:1202-1207), so nothing here throws from
    /// OnEnable or Update. <see cref="MicDeviceWatch"/> (engine-free, tested in the core) decides: wait for a
    /// device (<c>Microphone.devices</c>, read twice a second), retry a failed start on a timer with
    /// back-off, notice an unplugged or stalled device, and start again as soon as it is back.
    /// <see cref="onStateChanged"/> tells the game (e.g. to show "no microphone").
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
        [Tooltip("Keep recording but send nothing (push-to-talk: off while the key is up). Turning it on ends the player's turn at once (mic_end), so the final transcript comes without waiting for silence.")]
        public bool muted = false;
        [Tooltip("First retry after a failed start, seconds (doubles up to 8 s); an unplugged device that comes back is started at once.")]
        [Range(0.25f, 10f)] public float retrySeconds = 1f;
        [Tooltip("The microphone's state changed: (state, reason). E.g. WaitingForDevice: \"no microphone connected\".")]
        public MicrophoneStateEvent onStateChanged = new MicrophoneStateEvent();

        private readonly MicDeviceWatch _watch = new MicDeviceWatch();
        private AudioClip _clip;
        private string _device;
        private int _read;
        private float[] _block = new float[0];
        private int _blockFrames;
        private bool _wasMuted;

        /// <summary>The microphones Unity sees (<c>Microphone.devices</c>).</summary>
        public static string[] Devices { get { return Microphone.devices; } }
        /// <summary>True while recording.</summary>
        public bool IsRecording { get { return _clip != null && _watch.State == MicState.Recording; } }
        /// <summary>The recording's rate (the device's), Hz; 0 when not recording.</summary>
        public int SampleRate { get { return _clip != null ? _clip.frequency : 0; } }
        /// <summary>The microphone's state (waiting for permission or a device, recording, off).</summary>
        public MicState State { get { return _watch.State; } }
        /// <summary>Why it is in that state (one line).</summary>
        public string StateDetail { get { return _watch.Detail; } }

        private void Awake()
        {
            _watch.Changed += (state, detail) =>
            {
                if (state == MicState.WaitingForDevice && detail.Length > 0) Debug.LogWarning("FacePlex microphone: " + detail);
                onStateChanged.Invoke(state, detail);
            };
        }

        private void OnEnable() { if (recordOnEnable) StartRecording(); }
        private void OnDisable() { _watch.Disable(); StopClip(); }

        /// <summary>Records <paramref name="device"/> (null: <see cref="deviceName"/>) from now on: at once if it
        /// can, else as soon as the permission is granted and the device is there (see the class notes). Asks
        /// for the microphone permission where the platform wants it (iOS, WebGL: Application.RequestUserAuthorization;
        /// Android: UnityEngine.Android.Permission, which the game requests itself). Never throws. Returns true
        /// when recording now.</summary>
        public bool StartRecording(string device = null)
        {
            if (device != null && device != deviceName) { deviceName = device; StopClip(); }
            _watch.Device = string.IsNullOrEmpty(deviceName) ? null : deviceName;
            _watch.RetrySeconds = retrySeconds;
            _watch.Enable(Time.unscaledTime);
            Step();
            return IsRecording;
        }

        /// <summary>Stops recording (until <see cref="StartRecording"/>).</summary>
        public void StopRecording()
        {
            _watch.Disable();
            StopClip();
        }

        private void StopClip()
        {
            if (_clip != null)
            {
                try { Microphone.End(_device); } catch (Exception) { }
            }
            _clip = null;
        }

        /// <summary>One step of the watch: what Unity sees in, the action it asks for out.</summary>
        private void Step()
        {
            float now = Time.unscaledTime;
            string[] devices = null;
            bool recording = false;
            int position = 0;
            try
            {
                // Microphone.devices allocates a new array per read: the watch asks for it twice a second.
                if (_watch.WantsDeviceList(now)) devices = Microphone.devices;
                if (_clip != null) { recording = Microphone.IsRecording(_device); position = Microphone.GetPosition(_device); }
            }
            catch (Exception e) { Debug.LogWarning("FacePlex microphone: " + e.Message); }
            switch (_watch.Tick(now, Application.HasUserAuthorization(UserAuthorization.Microphone), devices, recording, position))
            {
                case MicAction.RequestPermission: Application.RequestUserAuthorization(UserAuthorization.Microphone); break;
                case MicAction.Stop: StopClip(); break;
                case MicAction.Start: TryStart(now); break;
            }
        }

        private void TryStart(float now)
        {
            StopClip();
            _device = string.IsNullOrEmpty(deviceName) ? null : deviceName;
            try
            {
                int min, max;
                Microphone.GetDeviceCaps(_device, out min, out max);
                int rate = min == 0 && max == 0 ? preferredSampleRate : (int)Mathf.Clamp(preferredSampleRate, min, max);
                _clip = Microphone.Start(_device, true, Mathf.Max(1, (int)ringSeconds), rate);
            }
            catch (Exception e)   // ArgumentException: the device cannot be resolved (Audio.bindings.cs:1205-1207)
            {
                _clip = null;
                _watch.Started(false, e.Message, now);
                return;
            }
            if (_clip == null) { _watch.Started(false, "Microphone.Start returned no clip", now); return; }
            // Blocks divide the ring, so a block never straddles its end (FacePlex.Core.MicStream.BlockFrames).
            _blockFrames = MicStream.BlockFrames(_clip.samples, Mathf.Max(1, (int)(_clip.frequency * blockMs / 1000f)));
            if (_block.Length != _blockFrames * _clip.channels) _block = new float[_blockFrames * _clip.channels];
            int pos = Microphone.GetPosition(_device);
            _read = pos - pos % _blockFrames;
            _watch.Started(true, null, now);
        }

        private void Update()
        {
            if (muted && !_wasMuted && character != null) character.EndMic();   // push-to-talk released
            _wasMuted = muted;
            Step();
            if (_clip == null || _watch.State != MicState.Recording) return;
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
