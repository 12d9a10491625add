using System;
using System.Threading;

namespace FacePlex.Core
{
    /// <summary>
    /// The microphone's way to the daemon (PROTOCOL.md §11 <c>mic</c>): the capture side (an audio
    /// callback, or the main thread polling Unity's <c>Microphone</c> clip) calls <see cref="Write"/>;
    /// the network side calls <see cref="TakeChunk"/> and sends each chunk as one <c>mic</c> message.
    /// <para>
    /// <see cref="Write"/> never waits on the network: it copies the samples into a preallocated ring
    /// under a lock that the reader also holds only for a copy (microseconds), allocates nothing, and on
    /// overflow (nobody draining, e.g. while disconnected) overwrites the oldest audio, which is stale for
    /// a live microphone anyway (<see cref="DroppedFrames"/> counts it).
    /// </para>
    /// A change of rate or channel count ends the buffered run: its frames are still sent with their own
    /// format first. (If the format changes twice before the reader drains, the oldest run is dropped.)
    /// </summary>
    public sealed class MicStream
    {
        private readonly object _lock = new object();
        private readonly short[] _ring;
        private long _read, _write;        // absolute sample (not frame) positions, guarded by _lock
        private int _rate, _channels;      // format of [_boundary or _read, _write)
        private long _boundary = -1;       // end of the previous format's run, or -1
        private int _oldRate, _oldChannels;
        private long _dropped;

        /// <summary>Smallest chunk sent while audio keeps coming, milliseconds (§11: 20-100 ms).</summary>
        public int MinChunkMs = 20;
        /// <summary>Largest chunk, milliseconds (also capped so a message stays under 64 KiB).</summary>
        public int MaxChunkMs = 100;
        /// <summary>
        /// Most audio kept waiting, milliseconds: when the network side was held up (a starved machine,
        /// a paused app), only the newest this-much is sent and the older audio is dropped (counted in
        /// <see cref="DroppedFrames"/>). The microphone is live: stale audio is no use for barge-in, and a
        /// burst of it right after a stream starts reads to the daemon as a wrong declared rate (its
        /// cadence check, PROTOCOL.md §11, answers audio_format_mismatch and ignores the stream). A hold-up
        /// longer than the daemon's 300 ms gap simply re-anchors the stream. 0 = keep everything.
        /// </summary>
        public int MaxLatencyMs = 200;

        /// <summary>Creates a ring holding <paramref name="capacitySamples"/> interleaved samples
        /// (default: 1 s of 48 kHz stereo).</summary>
        public MicStream(int capacitySamples = 96000)
        {
            if (capacitySamples < 1024) throw new ArgumentException("capacity too small");
            _ring = new short[capacitySamples];
        }

        /// <summary>Frames overwritten before they were sent (ring overflow), in frames of their format.</summary>
        public long DroppedFrames { get { return Interlocked.Read(ref _dropped); } }

        /// <summary>Interleaved samples waiting to be sent.</summary>
        public int BufferedSamples { get { lock (_lock) return (int)(_write - _read); } }

        /// <summary>
        /// Capture side: appends interleaved PCM16 <paramref name="pcm"/>[offset, offset+count) captured at
        /// <paramref name="sampleRate"/> Hz with <paramref name="channels"/> channels. <paramref name="count"/>
        /// is in samples (frames × channels); a trailing partial frame is ignored. Thread-safe, no allocation.
        /// </summary>
        /// <exception cref="ArgumentException">Rate outside 8000-192000 Hz, channels outside 1-8, or a bad range.</exception>
        public void Write(short[] pcm, int offset, int count, int sampleRate, int channels)
        {
            if (pcm == null) throw new ArgumentNullException("pcm");
            if (offset < 0 || count < 0 || offset + count > pcm.Length) throw new ArgumentException("bad pcm range");
            if (sampleRate < 8000 || sampleRate > 192000) throw new ArgumentException("sampleRate must be 8000-192000 Hz (PROTOCOL.md §11)");
            if (channels < 1 || channels > 8) throw new ArgumentException("channels must be 1-8 (PROTOCOL.md §11)");
            count -= count % channels;
            if (count == 0) return;
            lock (_lock)
            {
                if (sampleRate != _rate || channels != _channels)
                {
                    if (_write > _read)
                    {
                        if (_boundary >= 0) { Drop(_boundary - _read, _oldChannels); _read = _boundary; }
                        _boundary = _write; _oldRate = _rate; _oldChannels = _channels;
                    }
                    _rate = sampleRate; _channels = channels;
                }
                int cap = _ring.Length - _ring.Length % channels;
                if (count > cap) { offset += count - cap; count = cap; }
                long overflow = _write + count - _read - _ring.Length;
                if (overflow > 0) DropOldest(overflow);
                int at = (int)(_write % _ring.Length);
                int first = Math.Min(count, _ring.Length - at);
                Array.Copy(pcm, offset, _ring, at, first);
                if (first < count) Array.Copy(pcm, offset + first, _ring, 0, count - first);
                _write += count;
            }
        }

        /// <summary>
        /// Same as <see cref="Write(short[],int,int,int,int)"/> for float samples in [-1, 1] (Unity's
        /// <c>AudioClip.GetData</c> and <c>OnAudioFilterRead</c> format), converted to PCM16 with clipping.
        /// </summary>
        public void Write(float[] pcm, int offset, int count, int sampleRate, int channels)
        {
            if (pcm == null) throw new ArgumentNullException("pcm");
            if (offset < 0 || count < 0 || offset + count > pcm.Length) throw new ArgumentException("bad pcm range");
            if (channels < 1 || channels > 8) throw new ArgumentException("channels must be 1-8 (PROTOCOL.md §11)");
            lock (_lock)
            {
                // Convert through a fixed scratch block so nothing is allocated.
                while (count > 0)
                {
                    int n = Math.Min(count, _scratch.Length - _scratch.Length % channels);
                    for (int i = 0; i < n; i++)
                    {
                        float v = pcm[offset + i] * 32767f;
                        _scratch[i] = v >= 32767f ? (short)32767 : v <= -32768f ? (short)-32768 : (short)v;
                    }
                    Write(_scratch, 0, n, sampleRate, channels);   // re-entrant lock: same thread
                    offset += n; count -= n;
                }
            }
        }

        private readonly short[] _scratch = new short[4096];

        private void DropOldest(long samples)
        {
            // Keep whole frames of the run being dropped from.
            if (_boundary >= 0)
            {
                long inOld = Math.Min((samples + _oldChannels - 1) / _oldChannels * _oldChannels, _boundary - _read);
                Drop(inOld, _oldChannels);
                _read += inOld; samples -= inOld;
                if (_read >= _boundary) _boundary = -1;
            }
            if (samples <= 0) return;
            long frames = (samples + _channels - 1) / _channels;
            Drop(frames * _channels, _channels);
            _read += frames * _channels;
        }

        private void Drop(long samples, int channels) { if (samples > 0) Interlocked.Add(ref _dropped, samples / Math.Max(1, channels)); }

        /// <summary>
        /// Network side: takes the next chunk into a new <see cref="Mic"/> message, or returns null when less
        /// than <see cref="MinChunkMs"/> is buffered (unless <paramref name="flush"/>: then any remainder,
        /// e.g. when capture stopped). A chunk holds at most <see cref="MaxChunkMs"/> and at most 60000 bytes
        /// of PCM, in whole frames, all of one format.
        /// </summary>
        public Mic TakeChunk(bool flush = false)
        {
            lock (_lock)
            {
                long end = _boundary >= 0 ? _boundary : _write;
                int rate = _boundary >= 0 ? _oldRate : _rate, ch = _boundary >= 0 ? _oldChannels : _channels;
                long avail = end - _read;
                if (avail <= 0 || rate <= 0) return null;
                long keep = (long)rate * MaxLatencyMs / 1000 * ch;
                if (MaxLatencyMs > 0 && _boundary < 0 && avail > keep)
                {
                    long stale = avail - keep;
                    stale -= stale % ch;
                    Drop(stale, ch);
                    _read += stale; avail -= stale;
                }
                long min = (long)rate * MinChunkMs / 1000 * ch;
                if (avail < min && !flush && _boundary < 0) return null;
                long max = Math.Min((long)rate * MaxChunkMs / 1000 * ch, 30000);
                int n = (int)Math.Min(avail, max);
                n -= n % ch;
                if (n <= 0) return null;
                var bytes = new byte[2 * n];
                for (int i = 0; i < n; i++)
                {
                    short v = _ring[(int)((_read + i) % _ring.Length)];
                    bytes[2 * i] = (byte)v; bytes[2 * i + 1] = (byte)(v >> 8);
                }
                _read += n;
                if (_boundary >= 0 && _read >= _boundary) _boundary = -1;
                return new Mic { SampleRate = rate, Channels = ch, Pcm = bytes };
            }
        }

        /// <summary>
        /// The block length, in frames, for reading a looping capture ring of <paramref name="ringFrames"/>
        /// frames (Unity's Microphone clip): the largest divisor of the ring length not above
        /// <paramref name="targetFrames"/>, so that blocks read at multiples of it never straddle the ring's
        /// end (no reliance on a wrapping read, no second buffer).
        /// </summary>
        public static int BlockFrames(int ringFrames, int targetFrames)
        {
            if (ringFrames <= 0) throw new ArgumentException("ringFrames must be positive");
            for (int b = Math.Min(Math.Max(1, targetFrames), ringFrames); b > 1; b--)
                if (ringFrames % b == 0) return b;
            return 1;
        }

        /// <summary>Discards everything buffered (e.g. on reconnect: old microphone audio is stale).</summary>
        public void Clear()
        {
            lock (_lock) { _read = _write; _boundary = -1; }
        }
    }
}
