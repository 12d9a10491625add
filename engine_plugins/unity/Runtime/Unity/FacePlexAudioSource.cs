using System.Threading;
using FacePlex.Core;
using UnityEngine;

namespace FacePlex.Unity
{
    /// <summary>
    /// Plays a FacePlex <see cref="Timeline"/> through this GameObject's AudioSource from
    /// OnAudioFilterRead (audio thread; lock-free, allocation-free). The AudioSource plays a silent looping
    /// clip so Unity keeps calling the filter; the filter overwrites it with the timeline's audio.
    /// The mixer rate (AudioSettings.outputSampleRate, Hz) must be the session's sample rate:
    /// <see cref="FacePlexCharacter"/> asks the daemon for it.
    /// </summary>
    [RequireComponent(typeof(AudioSource))]
    public sealed class FacePlexAudioSource : MonoBehaviour
    {
        private Timeline _timeline;          // swapped atomically by the main thread
        private int _outputLatencySamples;   // DSP buffer length x buffer count, samples
        private long _lastPlayed = -1;        // main thread: interpolation state of HeardSample
        private float _lastPlayedTime;
        private AudioSource _source;

        /// <summary>The timeline being played (null = silence).</summary>
        public Timeline Timeline
        {
            get { return Volatile.Read(ref _timeline); }
            set { Volatile.Write(ref _timeline, value); _lastPlayed = -1; }
        }

        /// <summary>Mixer output rate, Hz.</summary>
        public static int OutputSampleRate { get { return AudioSettings.outputSampleRate; } }

        private void Awake()
        {
            _source = GetComponent<AudioSource>();
            _source.playOnAwake = false;
            _source.loop = true;
            StartOutput();
        }

        /// <summary>(Re)creates the silent looping clip at the mixer's rate and plays it, so Unity calls
        /// OnAudioFilterRead; reads the DSP buffering for <see cref="HeardSample"/>.</summary>
        private void StartOutput()
        {
            int length, count;
            AudioSettings.GetDSPBufferSize(out length, out count);
            _outputLatencySamples = length * count;
            _source.clip = AudioClip.Create("FacePlexSilence", OutputSampleRate, 1, OutputSampleRate, false);
            _source.Play();
            _lastPlayed = -1;
        }

        /// <summary>Unity re-initialised audio (device or rate changed: AudioSettings.OnAudioConfigurationChanged,
        /// UnityCsReference 2021.3 Audio.bindings.cs:331): sources stop and the DSP buffer may differ, so start
        /// again. <see cref="FacePlexCharacter"/> reconnects when the rate changed (speech at the old rate
        /// would play at the wrong pitch).</summary>
        private void OnAudioConfigurationChanged(bool deviceWasChanged)
        {
            if (_source != null && enabled) StartOutput();
        }

        private void OnAudioFilterRead(float[] data, int channels)
        {
            var tl = Volatile.Read(ref _timeline);
            if (tl == null) { System.Array.Clear(data, 0, data.Length); return; }
            tl.ReadAudio(data, 0, data.Length / channels, channels);
        }

        /// <summary>
        /// Main thread: the timeline sample being heard now (samples): the audio thread's read position minus
        /// the DSP buffering, advanced smoothly between audio callbacks. Drive the face from this.
        /// </summary>
        public long HeardSample
        {
            get
            {
                var tl = Timeline;
                if (tl == null) return 0;
                long played = tl.PlayedSample;
                float now = Time.unscaledTime;
                if (played != _lastPlayed) { _lastPlayed = played; _lastPlayedTime = now; }
                long since = tl.UnderrunRunSamples > 0 ? 0 : (long)((now - _lastPlayedTime) * tl.SampleRate);
                since = System.Math.Min(since, _outputLatencySamples);   // never run ahead of what was read
                return System.Math.Max(0, played - _outputLatencySamples + since);
            }
        }

        private void OnDisable()
        {
            AudioSettings.OnAudioConfigurationChanged -= OnAudioConfigurationChanged;
            if (_source != null) _source.Stop();
        }

        private void OnEnable()
        {
            AudioSettings.OnAudioConfigurationChanged += OnAudioConfigurationChanged;
            if (_source != null && !_source.isPlaying) _source.Play();
        }
    }
}
