using System;

namespace FacePlex.Core
{
    /// <summary>
    /// The timeline sample the listener hears now, for an engine whose audio thread reads the
    /// <see cref="Timeline"/> one output buffer at a time (Unity's OnAudioFilterRead): the read position
    /// (<see cref="Timeline.PlayedSample"/>) minus the output buffering, advanced smoothly with the clock
    /// between audio callbacks but never past what was read. Main thread (one caller).
    /// <para>
    /// It never goes backwards on one timeline: after a pause the first callback reads a buffer whose
    /// start is still in the output queue behind the silence played while paused, so the raw estimate
    /// would step back by up to the output latency; the face holds instead. While paused the estimate
    /// drains up to the read position (the buffers queued before the pause are still heard) and holds.
    /// </para>
    /// </summary>
    public sealed class HeardClock
    {
        private Timeline _tl;
        private long _lastPlayed = -1, _lastHeard;
        private double _lastPlayedAt;

        /// <summary>Output buffering between the audio thread's read and the speaker, samples (Unity: DSP
        /// buffer length × buffer count, AudioSettings.GetDSPBufferSize).</summary>
        public int OutputLatencySamples;

        /// <summary>Forgets the state (a new timeline, or the output restarted).</summary>
        public void Reset() { _tl = null; _lastPlayed = -1; _lastHeard = 0; }

        /// <summary>The sample heard at <paramref name="nowSeconds"/> (a monotonic clock, seconds) on
        /// <paramref name="tl"/>; 0 for a null timeline. Samples.</summary>
        public long Heard(Timeline tl, double nowSeconds)
        {
            if (tl == null) { Reset(); return 0; }
            if (!ReferenceEquals(tl, _tl)) { Reset(); _tl = tl; }
            long played = tl.PlayedSample;
            if (played != _lastPlayed) { _lastPlayed = played; _lastPlayedAt = nowSeconds; }
            long since = tl.UnderrunRunSamples > 0 && !tl.IsPaused ? 0 : (long)((nowSeconds - _lastPlayedAt) * tl.SampleRate);
            since = Math.Max(0, Math.Min(since, OutputLatencySamples));   // never run ahead of what was read
            long heard = Math.Max(0, played - OutputLatencySamples + since);
            if (heard < _lastHeard) heard = _lastHeard;
            _lastHeard = heard;
            return heard;
        }
    }
}
