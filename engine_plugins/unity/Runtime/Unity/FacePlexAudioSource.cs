using System.Threading;
using FacePlex.Core;
using UnityEngine;

namespace FacePlex.Unity
{
    /// <summary>
    /// Plays a FacePlex <see cref="Timeline"/> through this GameObject's AudioSource, positioned in 3-D
    /// like any other sound: the AudioSource loops a clip whose every sample is 1.0, and
    /// <c>OnAudioFilterRead</c> (audio thread; lock-free, allocation-free) <em>multiplies</em> the timeline's
    /// voice into what Unity hands it (<see cref="Timeline.ModulateAudio"/>).
    /// <para>
    /// Why: a script's <c>OnAudioFilterRead</c> is a filter on the source's DSP chain, and Unity hands it the
    /// clip after the source's volume, distance attenuation, spatial blend and panning were applied. Writing
    /// the voice over a silent clip (what this component did before) threw those gains away, so every
    /// character spoke from the centre. Multiplying a constant 1.0 by the voice keeps each channel's gain.
    /// A spatializer plugin (HRTF, e.g. for VR) is different: by default it runs <em>before</em> the
    /// effect filters and would spatialize only the constant clip, so <see cref="Awake"/> sets
    /// <c>AudioSource.spatializePostEffects</c> (UnityCsReference 2021.3
    /// Modules/Audio/Public/ScriptBindings/Audio.bindings.cs:866-867: "Determines if the spatializer effect
    /// is inserted before or after the effect filters"; Editor/Mono/Inspector/AudioSourceInspector.cs:100:
    /// it only has an effect when <c>spatialize</c> is on): the spatializer then processes the voice itself.
    /// A streamed clip with a PCM reader callback (<c>AudioClip.Create(..., stream: true, pcmreadercallback)</c>,
    /// Audio.bindings.cs:514) would also be spatialized, but Unity pulls it ahead of playback by an amount it
    /// does not expose, so the heard position (and with it the face and the daemon's <c>text_spoken</c>)
    /// could not be known; the filter keeps the measured DSP-buffer latency.
    /// </para>
    /// Put other filters (low-pass occlusion, reverb) <em>below</em> this component in the Inspector: filters
    /// run in component order, and one above it would filter the constant clip, not the voice.
    /// The mixer rate (AudioSettings.outputSampleRate, Hz) must be the session's sample rate:
    /// <see cref="FacePlexCharacter"/> asks the daemon for it.
    /// </summary>
    [RequireComponent(typeof(AudioSource))]
    public sealed class FacePlexAudioSource : MonoBehaviour
    {
        private Timeline _timeline;          // swapped atomically by the main thread
        private readonly HeardClock _heard = new HeardClock();
        private AudioSource _source;
        private float[] _ones = new float[0];

        /// <summary>The timeline being played (null = silence).</summary>
        public Timeline Timeline
        {
            get { return Volatile.Read(ref _timeline); }
            set { Volatile.Write(ref _timeline, value); _heard.Reset(); }
        }

        /// <summary>Mixer output rate, Hz.</summary>
        public static int OutputSampleRate { get { return AudioSettings.outputSampleRate; } }

        /// <summary>The AudioSource that carries the voice (set its Spatial Blend, rolloff and distances).</summary>
        public AudioSource Source { get { return _source; } }

        private void Awake()
        {
            _source = GetComponent<AudioSource>();
            _source.playOnAwake = false;
            _source.loop = true;
            _source.spatializePostEffects = true;   // a spatializer plugin processes the voice, not the 1.0 clip
            StartOutput();
        }

        /// <summary>(Re)creates the constant-1.0 looping clip at the mixer's rate and plays it, so Unity calls
        /// OnAudioFilterRead with the source's gains applied; reads the DSP buffering for <see cref="HeardSample"/>.</summary>
        private void StartOutput()
        {
            int length, count;
            AudioSettings.GetDSPBufferSize(out length, out count);
            _heard.OutputLatencySamples = length * count;
            _heard.Reset();
            int rate = OutputSampleRate;
            // Mono: Unity pans it like any mono clip. Every sample 1.0 (AudioClip.SetData, Audio.bindings.cs:471);
            // a loop of constant samples has no seam, and Doppler or pitch resampling of a constant is the constant.
            var clip = AudioClip.Create("FacePlexCarrier", rate, 1, rate, false);
            if (_ones.Length != rate) { _ones = new float[rate]; for (int i = 0; i < rate; i++) _ones[i] = 1f; }
            if (clip != null) clip.SetData(_ones, 0);
            _source.clip = clip;
            _source.Play();
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
            tl.ModulateAudio(data, 0, data.Length / channels, channels);
        }

        /// <summary>
        /// Main thread: the timeline sample being heard now (samples): the audio thread's read position minus
        /// the DSP buffering, advanced smoothly between audio callbacks, never backwards (FacePlex.Core.HeardClock).
        /// Drive the face from this.
        /// </summary>
        public long HeardSample { get { return _heard.Heard(Timeline, Time.unscaledTime); } }

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
