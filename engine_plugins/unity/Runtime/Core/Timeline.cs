using System;
using System.Collections.Generic;
using System.Threading;

namespace FacePlex.Core
{
    /// <summary>
    /// Jitter buffer of one session's timeline (PROTOCOL.md §2): audio and face frames keyed by their
    /// sample position. Three roles, three threads:
    /// <list type="bullet">
    /// <item>producer (network thread; also the main thread for a local cancel): <see cref="AddAudio"/>,
    /// <see cref="AddFrame"/>, <see cref="DropUtterance"/>; serialised by an internal lock;</item>
    /// <item>consumer (the audio thread): <see cref="ReadAudio"/>; lock-free and allocation-free;</item>
    /// <item>readers (main thread): <see cref="FaceAt"/>, <see cref="UtteranceAt"/> (take the lock briefly).</item>
    /// </list>
    /// Audio lives in a ring indexed by absolute timeline sample; gaps between utterances are silence.
    /// Playback starts once <see cref="PreRollSamples"/> are buffered; an underrun plays silence, holds the
    /// playback position (stale audio is never repeated, pending speech is never skipped) and waits for
    /// the pre-roll again. Dropping an utterance zeroes its unplayed audio and removes its unplayed frames
    /// at once.
    /// </summary>
    public sealed class Timeline
    {
        private struct Span { public long Start; public long End; }

        /// <summary>Session output sample rate, Hz.</summary>
        public readonly int SampleRate;
        /// <summary>Face frames per second.</summary>
        public readonly int Fps;
        /// <summary>Values per face frame (welcome.face.channels count).</summary>
        public readonly int ChannelCount;
        /// <summary>Audio ring size, samples (a power of two).</summary>
        public readonly int CapacitySamples;

        private readonly float[] _ring;
        private readonly long _mask;
        private readonly object _lock = new object();

        // Shared between threads; longs go through Interlocked (atomic on 32-bit too).
        private long _origin = -1;        // first timeline sample received (producer, once)
        private long _writeEnd;           // end of valid ring data (audio or silence), producer
        private long _readPos;            // next sample to play, consumer
        private long _skipTo = -1;        // producer -> consumer: jump here (idle catch-up)
        private long _underrunRun;        // consumer: silence samples output in the current underrun
        private long _underruns, _resyncs;
        private bool _playing;            // consumer only
        private int _paused;              // main thread -> consumer: 1 = hold (game paused)
        private long _holdUntil = -1;     // no jump to live while the play position is before this (after a pause)
        private int _placeLost;           // the pause outgrew the ring: resume jumps to live

        // Frames: a ring of preallocated slots, sorted by sample (producer lock).
        private readonly long[] _fSample, _fFrame;
        private readonly string[] _fUtt;
        private readonly float[][] _fValues;
        private int _fHead, _fCount;

        private readonly Dictionary<string, Span> _spans = new Dictionary<string, Span>();
        private readonly HashSet<string> _dropped = new HashSet<string>();
        private readonly Queue<string> _droppedOrder = new Queue<string>();

        /// <summary>Samples that must be buffered ahead of the playback position before playback (re)starts.</summary>
        public int PreRollSamples;
        /// <summary>If more than this is buffered (e.g. after the app was paused) the consumer jumps to live
        /// (buffered = pre-roll) instead of burst-replaying. Samples; default half the ring.</summary>
        public int MaxBacklogSamples;
        /// <summary>While idle (no speech between the playback position and live), more than this buffered
        /// makes <see cref="CatchUpIfIdle"/> skip idle time so latency returns to the pre-roll. Samples.</summary>
        public int MaxIdleLatencySamples;
        /// <summary>On underrun the face holds the last frame, then eases to rest (all zeros) over this many
        /// samples; 0 = hold forever.</summary>
        public int UnderrunEaseSamples;

        /// <summary>Creates an empty timeline.</summary>
        /// <param name="sampleRate">Session sample rate, Hz.</param>
        /// <param name="fps">Face frames per second.</param>
        /// <param name="channelCount">Values per face frame.</param>
        /// <param name="preRollSamples">Pre-roll in samples (e.g. 0.1 s = sampleRate / 10).</param>
        /// <param name="capacitySeconds">Audio ring length in seconds (rounded up to a power of two samples).</param>
        public Timeline(int sampleRate, int fps, int channelCount, int preRollSamples, double capacitySeconds = 16)
        {
            if (sampleRate <= 0 || fps <= 0 || channelCount < 0) throw new ArgumentException("bad timeline format");
            SampleRate = sampleRate; Fps = fps; ChannelCount = channelCount;
            int cap = 1 << 12;
            while (cap < capacitySeconds * sampleRate && cap < (1 << 26)) cap <<= 1;
            CapacitySamples = cap;
            _ring = new float[cap];
            _mask = cap - 1;
            PreRollSamples = Math.Max(0, preRollSamples);
            MaxBacklogSamples = cap / 2;
            MaxIdleLatencySamples = Math.Max(PreRollSamples + sampleRate / 5, sampleRate / 2);
            UnderrunEaseSamples = sampleRate / 4;
            int frames = (int)((long)cap * fps / sampleRate) + 2 * fps;
            _fSample = new long[frames]; _fFrame = new long[frames]; _fUtt = new string[frames];
            _fValues = new float[frames][];
            for (int i = 0; i < frames; i++) _fValues[i] = new float[channelCount];
        }

        /// <summary>Samples per face frame (may be fractional, e.g. 44100/60 = 735).</summary>
        public double SamplesPerFrame { get { return (double)SampleRate / Fps; } }

        /// <summary>Next timeline sample the consumer will play (the audio thread's read position), samples.</summary>
        public long PlayedSample { get { return Interlocked.Read(ref _readPos); } }

        /// <summary>End of buffered media on the timeline, samples (audio or silence known up to here).</summary>
        public long BufferedEnd { get { return Interlocked.Read(ref _writeEnd); } }

        /// <summary>Samples buffered ahead of the playback position.</summary>
        public long BufferedSamples { get { return Math.Max(0, BufferedEnd - PlayedSample); } }

        /// <summary>True once media has arrived (the timeline has an origin).</summary>
        public bool HasMedia { get { return Interlocked.Read(ref _origin) >= 0; } }

        /// <summary>Number of underruns (buffer ran dry while playing).</summary>
        public long Underruns { get { return Interlocked.Read(ref _underruns); } }

        /// <summary>Number of jumps to live (backlog over <see cref="MaxBacklogSamples"/>, or idle catch-up).</summary>
        public long Resyncs { get { return Interlocked.Read(ref _resyncs); } }

        /// <summary>Silence samples output since the current underrun began (0 while playing normally).</summary>
        public long UnderrunRunSamples { get { return Interlocked.Read(ref _underrunRun); } }

        // ------------------------------------------------------------------ producer

        private void EnsureOrigin(long sample)
        {
            if (_origin >= 0) return;
            Interlocked.Exchange(ref _readPos, sample);
            Interlocked.Exchange(ref _writeEnd, sample);
            Interlocked.Exchange(ref _origin, sample);
        }

        /// <summary>Zeroes ring positions [from, to) (only the last ring's worth), producer lock held.</summary>
        private void Zero(long from, long to)
        {
            if (to - from > CapacitySamples) from = to - CapacitySamples;
            for (long p = from; p < to; p++) _ring[p & _mask] = 0f;
        }

        /// <summary>Extends the valid region to <paramref name="end"/> with silence (gap between utterances).</summary>
        private void ExtendTo(long end)
        {
            long we = _writeEnd;
            if (end <= we) return;
            Zero(Math.Max(we, PlayedSample), end);
            Interlocked.Exchange(ref _writeEnd, end);
        }

        /// <summary>Adds an audio message. Returns false if its utterance was dropped (cancelled).</summary>
        public bool AddAudio(AudioChunk chunk)
        {
            return AddAudio(chunk.Utt, chunk.Sample, chunk.Pcm, 0, chunk.Pcm.Length);
        }

        /// <summary>
        /// Adds PCM16LE audio of utterance <paramref name="utt"/> starting at timeline <paramref name="sample"/>.
        /// Samples already played are ignored. Returns false if the utterance was dropped.
        /// </summary>
        public bool AddAudio(string utt, long sample, byte[] pcm, int offset, int byteCount)
        {
            int n = byteCount / 2;
            lock (_lock)
            {
                if (utt != null && _dropped.Contains(utt)) return false;
                EnsureOrigin(sample);
                long end = sample + n;
                long rp = PlayedSample;
                if (sample > _writeEnd) Zero(Math.Max(_writeEnd, rp), sample);
                long from = Math.Max(sample, rp);
                if (end - from > CapacitySamples) from = end - CapacitySamples;
                for (long p = from; p < end; p++)
                {
                    int i = offset + 2 * (int)(p - sample);
                    _ring[p & _mask] = (short)(pcm[i] | (pcm[i + 1] << 8)) / 32768f;
                }
                if (end > _writeEnd) Interlocked.Exchange(ref _writeEnd, end);
                if (utt != null)
                {
                    Span s;
                    if (_spans.TryGetValue(utt, out s)) { s.Start = Math.Min(s.Start, sample); s.End = Math.Max(s.End, end); }
                    else { s.Start = sample; s.End = end; PruneSpans(rp); }
                    _spans[utt] = s;
                }
                return true;
            }
        }

        private void PruneSpans(long rp)
        {
            if (_spans.Count < 64) return;
            var old = new List<string>();
            foreach (var kv in _spans) if (kv.Value.End < rp - 10L * SampleRate) old.Add(kv.Key);
            foreach (var k in old) _spans.Remove(k);
        }

        /// <summary>
        /// Adds a face frame (copied). Frames must arrive in timeline order (the daemon guarantees it);
        /// an older one is ignored. Returns false if ignored or its utterance was dropped.
        /// </summary>
        public bool AddFrame(FaceFrame f) { return AddFrame(f.Utt, f.Frame, f.Sample, f.Values); }

        /// <summary>Adds a face frame at timeline <paramref name="sample"/>; see <see cref="AddFrame(FaceFrame)"/>.</summary>
        public bool AddFrame(string utt, long frame, long sample, float[] values)
        {
            lock (_lock)
            {
                if (utt != null && _dropped.Contains(utt)) return false;
                EnsureOrigin(sample);
                int slot;
                if (_fCount > 0)
                {
                    int last = (_fHead + _fCount - 1) % _fSample.Length;
                    if (sample < _fSample[last]) return false;
                    if (sample == _fSample[last]) slot = last;
                    else slot = PushSlot();
                }
                else slot = PushSlot();
                _fSample[slot] = sample; _fFrame[slot] = frame; _fUtt[slot] = utt;
                var dst = _fValues[slot];
                int n = Math.Min(dst.Length, values.Length);
                Array.Copy(values, dst, n);
                for (int i = n; i < dst.Length; i++) dst[i] = 0f;
                // A frame at s means everything before s is known: audio there is either received or silence.
                ExtendTo(sample);
                return true;
            }
        }

        private int PushSlot()
        {
            int cap = _fSample.Length;
            if (_fCount == cap) { _fHead = (_fHead + 1) % cap; _fCount--; }
            int slot = (_fHead + _fCount) % cap;
            _fCount++;
            return slot;
        }

        /// <summary>
        /// Drops utterance <paramref name="utt"/> at once (local cancel or utterance_cancelled): its audio
        /// beyond the playback position becomes silence, its frames beyond it are removed, and anything of
        /// it that still arrives is ignored. Idempotent.
        /// </summary>
        public void DropUtterance(string utt)
        {
            if (utt == null) return;
            lock (_lock)
            {
                if (_dropped.Add(utt))
                {
                    _droppedOrder.Enqueue(utt);
                    if (_droppedOrder.Count > 1024) _dropped.Remove(_droppedOrder.Dequeue());
                }
                long rp = PlayedSample;
                Span s;
                if (_spans.TryGetValue(utt, out s))
                {
                    long from = Math.Max(rp, s.Start);
                    if (s.End > from) Zero(from, s.End);
                    s.End = Math.Max(s.Start, Math.Min(s.End, rp));
                    _spans[utt] = s;
                }
                // Compact the frame ring, removing this utterance's frames after the play position.
                int cap = _fSample.Length, kept = 0;
                for (int k = 0; k < _fCount; k++)
                {
                    int src = (_fHead + k) % cap;
                    if (_fUtt[src] == utt && _fSample[src] > rp) continue;
                    int dst = (_fHead + kept) % cap;
                    if (dst != src)
                    {
                        _fSample[dst] = _fSample[src]; _fFrame[dst] = _fFrame[src]; _fUtt[dst] = _fUtt[src];
                        var t = _fValues[dst]; _fValues[dst] = _fValues[src]; _fValues[src] = t;
                    }
                    kept++;
                }
                _fCount = kept;
            }
        }

        /// <summary>Accepts media of a dropped <paramref name="utt"/> again (the daemon resumed an interrupted
        /// utterance, PROTOCOL.md §11 <c>resume_false_interruption</c>); what was dropped stays dropped.</summary>
        public void Revive(string utt)
        {
            if (utt == null) return;
            lock (_lock) _dropped.Remove(utt);
        }

        /// <summary>Whether <paramref name="utt"/> was dropped.</summary>
        public bool IsDropped(string utt) { lock (_lock) return utt != null && _dropped.Contains(utt); }

        /// <summary>Samples of <paramref name="utt"/>'s audio buffered beyond the playback position (0 after a drop).</summary>
        public long BufferedSamplesOf(string utt)
        {
            lock (_lock)
            {
                Span s;
                if (utt == null || !_spans.TryGetValue(utt, out s)) return 0;
                return Math.Max(0, s.End - Math.Max(s.Start, PlayedSample));
            }
        }

        /// <summary>
        /// If no speech lies between the playback position and live and more than
        /// <see cref="MaxIdleLatencySamples"/> is buffered, asks the consumer to skip idle time so that
        /// only the pre-roll stays buffered. Call it periodically (the client does, ~10 times a second).
        /// Returns true if a skip was requested.
        /// </summary>
        public bool CatchUpIfIdle()
        {
            lock (_lock)
            {
                long rp = PlayedSample, we = _writeEnd;
                if (IsPaused || !HasMedia || we - rp <= MaxIdleLatencySamples) return false;
                long target = we - PreRollSamples;
                foreach (var s in _spans.Values)
                    if (s.End > rp && s.Start < target) return false; // speech pending: never skip it
                Interlocked.Exchange(ref _skipTo, target);
                Interlocked.Exchange(ref _holdUntil, -1);   // the paused backlog is behind us: lag back to the pre-roll
                return true;
            }
        }

        // ------------------------------------------------------------------ consumer (audio thread)

        /// <summary>
        /// Audio thread: fills <paramref name="frames"/> frames of interleaved <paramref name="channels"/>-channel
        /// audio at dst[offset..] (the mono timeline copied to every channel) and advances the playback
        /// position. Before the pre-roll, on underrun and while paused it writes silence and does not advance.
        /// No locks, no allocation. Returns the number of timeline samples played.
        /// </summary>
        public int ReadAudio(float[] dst, int offset, int frames, int channels) { return Read(dst, offset, frames, channels, false); }

        /// <summary>
        /// Audio thread, for engines that spatialize: like <see cref="ReadAudio"/>, but each timeline sample
        /// <em>multiplies</em> the <paramref name="channels"/> values already in dst for its frame instead of
        /// replacing them. Unity's <c>OnAudioFilterRead</c> receives a constant-1.0 clip already panned,
        /// attenuated and spatialized per channel; multiplying keeps those per-channel gains (3-D position),
        /// where writing over them would centre the voice. Silence (pre-roll, underrun, pause, no media)
        /// clears dst. No locks, no allocation. Returns the number of timeline samples played.
        /// </summary>
        public int ModulateAudio(float[] dst, int offset, int frames, int channels) { return Read(dst, offset, frames, channels, true); }

        private int Read(float[] dst, int offset, int frames, int channels, bool modulate)
        {
            if (Interlocked.Read(ref _origin) < 0 || Volatile.Read(ref _paused) != 0)
            {
                // Paused: hold the position (not an underrun; the face holds with it).
                Array.Clear(dst, offset, frames * channels);
                return 0;
            }
            long rp = Interlocked.Read(ref _readPos);
            long we = Interlocked.Read(ref _writeEnd);
            long skip = Interlocked.Exchange(ref _skipTo, -1);
            if (skip > rp && skip <= we) { rp = skip; Interlocked.Increment(ref _resyncs); }
            if (we - rp > MaxBacklogSamples && rp >= Interlocked.Read(ref _holdUntil))
            {
                rp = we - Math.Min(PreRollSamples, MaxBacklogSamples);   // jump to live, no burst replay
                Interlocked.Increment(ref _resyncs);
            }
            if (!_playing && we - rp >= Math.Max(1, PreRollSamples)) _playing = true;
            int n = 0;
            if (_playing)
            {
                n = (int)Math.Min(frames, we - rp);
                int o = offset;
                if (modulate)
                    for (int i = 0; i < n; i++)
                    {
                        float v = _ring[(rp + i) & _mask];
                        for (int c = 0; c < channels; c++) dst[o++] *= v;
                    }
                else
                    for (int i = 0; i < n; i++)
                    {
                        float v = _ring[(rp + i) & _mask];
                        for (int c = 0; c < channels; c++) dst[o++] = v;
                    }
                if (n < frames)
                {
                    _playing = false;                      // underrun: wait for the pre-roll again
                    Interlocked.Increment(ref _underruns);
                }
            }
            if (n < frames)
            {
                Array.Clear(dst, offset + n * channels, (frames - n) * channels);
                if (n == 0 || !_playing) Interlocked.Add(ref _underrunRun, frames - n);
            }
            else Interlocked.Exchange(ref _underrunRun, 0);
            Interlocked.Exchange(ref _readPos, rp + n);
            return n;
        }

        // ------------------------------------------------------------------ pause (main thread)

        /// <summary>True while <see cref="Pause"/> holds playback.</summary>
        public bool IsPaused { get { return Volatile.Read(ref _paused) != 0; } }

        /// <summary>
        /// Holds playback where it is (a paused game): the audio thread plays silence without advancing and
        /// without counting an underrun, so the face (read at the heard position) holds with the audio.
        /// Media keeps arriving (the daemon's clock runs on) and is kept, up to the ring's capacity (see
        /// <see cref="PauseOverflowing"/>). Idempotent. Any thread.
        /// </summary>
        public void Pause()
        {
            Interlocked.Exchange(ref _holdUntil, long.MaxValue);
            if (Interlocked.Exchange(ref _paused, 1) == 0) Interlocked.Exchange(ref _placeLost, 0);
        }

        /// <summary>
        /// Resumes from the held position at normal speed (no burst, nothing skipped): what arrived during the
        /// pause plays in order, and the extra lag is dropped at the next idle moment
        /// (<see cref="CatchUpIfIdle"/>), never inside speech. Any thread.
        /// </summary>
        public void Resume()
        {
            if (Interlocked.Exchange(ref _paused, 0) == 0) return;
            // The backlog that built up while paused is not a stalled audio thread: no jump to live until it has played.
            Interlocked.Exchange(ref _holdUntil, Interlocked.Exchange(ref _placeLost, 0) != 0 ? -1 : BufferedEnd);
        }

        /// <summary>
        /// True when, paused, what arrived since fills the ring to within one second: keeping more would
        /// overwrite the unplayed speech at the held position. The client then cancels its utterances
        /// (<see cref="FacePlexClient"/> does) and the place is given up (<see cref="GiveUpPlace"/>; then this is
        /// false again, so that happens once per pause).
        /// </summary>
        public bool PauseOverflowing
        {
            get { return IsPaused && Volatile.Read(ref _placeLost) == 0 && BufferedSamples >= CapacitySamples - SampleRate; }
        }

        /// <summary>After a pause too long to keep (or on demand): resuming jumps to live instead of playing the
        /// backlog.</summary>
        public void GiveUpPlace()
        {
            Interlocked.Exchange(ref _placeLost, 1);
            if (!IsPaused) Interlocked.Exchange(ref _holdUntil, -1);
        }

        // ------------------------------------------------------------------ readers (main thread)

        /// <summary>
        /// The face at timeline sample <paramref name="sample"/> (use the sample being heard now), written to
        /// <paramref name="output"/> (length ≥ <see cref="ChannelCount"/>): linear interpolation between the
        /// two frames around it; before the first frame, the first frame; after the last frame (underrun or
        /// end of stream) the last frame held, then eased to rest over <see cref="UnderrunEaseSamples"/>.
        /// Returns false (output untouched) when no frame has arrived yet.
        /// </summary>
        public bool FaceAt(long sample, float[] output)
        {
            lock (_lock)
            {
                if (_fCount == 0) return false;
                int cap = _fSample.Length;
                int lo = 0, hi = _fCount - 1;   // last logical index with sample <= target
                if (sample < _fSample[_fHead]) { Array.Copy(_fValues[_fHead], output, ChannelCount); return true; }
                while (lo < hi)
                {
                    int mid = (lo + hi + 1) >> 1;
                    if (_fSample[(_fHead + mid) % cap] <= sample) lo = mid; else hi = mid - 1;
                }
                int a = (_fHead + lo) % cap;
                var va = _fValues[a];
                if (lo == _fCount - 1)
                {
                    double late = sample - _fSample[a] - SamplesPerFrame + UnderrunRunSamples;
                    float k = UnderrunEaseSamples > 0 && late > 0 ? (float)Math.Min(1.0, late / UnderrunEaseSamples) : 0f;
                    for (int i = 0; i < ChannelCount; i++) output[i] = va[i] * (1f - k);
                    return true;
                }
                int b = (_fHead + lo + 1) % cap;
                var vb = _fValues[b];
                float t = (float)((double)(sample - _fSample[a]) / (_fSample[b] - _fSample[a]));
                for (int i = 0; i < ChannelCount; i++) output[i] = va[i] + (vb[i] - va[i]) * t;
                return true;
            }
        }

        /// <summary>The utterance whose audio covers timeline <paramref name="sample"/>, or null (idle).</summary>
        public string UtteranceAt(long sample)
        {
            lock (_lock)
            {
                foreach (var kv in _spans)
                    if (sample >= kv.Value.Start && sample < kv.Value.End) return kv.Key;
                return null;
            }
        }

        /// <summary>Number of face frames buffered.</summary>
        public int FrameCount { get { lock (_lock) return _fCount; } }
    }
}
