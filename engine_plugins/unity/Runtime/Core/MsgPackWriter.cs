using System;
using System.Collections.Generic;
using System.Text;

namespace FacePlex.Core
{
    /// <summary>
    /// Writes msgpack in the protocol's canonical form (PROTOCOL.md §1): floats as float32 (0xca),
    /// integers in their shortest encoding, strings as str (fixstr/str8/16/32), byte blobs as bin,
    /// maps as fixmap/map16/map32, arrays as fixarray/array16/array32.
    /// Reuse one writer with <see cref="Clear"/> to avoid allocations on hot paths.
    /// </summary>
    public sealed class MsgPackWriter
    {
        private byte[] _buf;
        private int _len;

        /// <summary>Creates a writer with an initial capacity in bytes.</summary>
        public MsgPackWriter(int capacity = 256) { _buf = new byte[Math.Max(16, capacity)]; }

        /// <summary>Number of bytes written so far.</summary>
        public int Length { get { return _len; } }

        /// <summary>The internal buffer; valid bytes are [0, Length).</summary>
        public byte[] Buffer { get { return _buf; } }

        /// <summary>Forgets what was written (keeps the buffer).</summary>
        public void Clear() { _len = 0; }

        /// <summary>A copy of the written bytes.</summary>
        public byte[] ToArray()
        {
            var r = new byte[_len];
            System.Buffer.BlockCopy(_buf, 0, r, 0, _len);
            return r;
        }

        private void Ensure(int n)
        {
            if (_len + n <= _buf.Length) return;
            int cap = _buf.Length * 2;
            while (cap < _len + n) cap *= 2;
            Array.Resize(ref _buf, cap);
        }

        private void B(byte b) { Ensure(1); _buf[_len++] = b; }

        private void BE16(int v) { Ensure(2); _buf[_len++] = (byte)(v >> 8); _buf[_len++] = (byte)v; }

        private void BE32(uint v)
        {
            Ensure(4);
            _buf[_len++] = (byte)(v >> 24); _buf[_len++] = (byte)(v >> 16);
            _buf[_len++] = (byte)(v >> 8); _buf[_len++] = (byte)v;
        }

        private void BE64(ulong v) { BE32((uint)(v >> 32)); BE32((uint)v); }

        /// <summary>Writes nil.</summary>
        public void WriteNil() { B(0xc0); }

        /// <summary>Writes true (0xc3) or false (0xc2).</summary>
        public void WriteBool(bool v) { B(v ? (byte)0xc3 : (byte)0xc2); }

        /// <summary>Writes an integer in its shortest msgpack form.</summary>
        public void WriteInt(long v)
        {
            if (v >= 0)
            {
                if (v < 128) B((byte)v);
                else if (v <= byte.MaxValue) { B(0xcc); B((byte)v); }
                else if (v <= ushort.MaxValue) { B(0xcd); BE16((int)v); }
                else if (v <= uint.MaxValue) { B(0xce); BE32((uint)v); }
                else { B(0xcf); BE64((ulong)v); }
            }
            else
            {
                if (v >= -32) B((byte)(sbyte)v);
                else if (v >= sbyte.MinValue) { B(0xd0); B((byte)(sbyte)v); }
                else if (v >= short.MinValue) { B(0xd1); BE16((int)v); }
                else if (v >= int.MinValue) { B(0xd2); BE32((uint)(int)v); }
                else { B(0xd3); BE64((ulong)v); }
            }
        }

        /// <summary>Writes a float32 (0xca), the protocol's only float encoding.</summary>
        public void WriteFloat(float v)
        {
            B(0xca);
            BE32(FloatBits.ToUInt32(v));
        }

        /// <summary>Writes a string as msgpack str (UTF-8), or nil for null.</summary>
        public void WriteString(string s)
        {
            if (s == null) { WriteNil(); return; }
            int n = Encoding.UTF8.GetByteCount(s);
            if (n < 32) B((byte)(0xa0 | n));
            else if (n <= byte.MaxValue) { B(0xd9); B((byte)n); }
            else if (n <= ushort.MaxValue) { B(0xda); BE16(n); }
            else { B(0xdb); BE32((uint)n); }
            Ensure(n);
            _len += Encoding.UTF8.GetBytes(s, 0, s.Length, _buf, _len);
        }

        /// <summary>Writes a byte blob as msgpack bin, or nil for null.</summary>
        public void WriteBin(byte[] data) { if (data == null) WriteNil(); else WriteBin(data, 0, data.Length); }

        /// <summary>Writes bytes [offset, offset+count) as msgpack bin.</summary>
        public void WriteBin(byte[] data, int offset, int count)
        {
            if (count <= byte.MaxValue) { B(0xc4); B((byte)count); }
            else if (count <= ushort.MaxValue) { B(0xc5); BE16(count); }
            else { B(0xc6); BE32((uint)count); }
            Ensure(count);
            System.Buffer.BlockCopy(data, offset, _buf, _len, count);
            _len += count;
        }

        /// <summary>Writes a map header for <paramref name="count"/> key/value pairs.</summary>
        public void WriteMapHeader(int count)
        {
            if (count < 16) B((byte)(0x80 | count));
            else if (count <= ushort.MaxValue) { B(0xde); BE16(count); }
            else { B(0xdf); BE32((uint)count); }
        }

        /// <summary>Writes an array header for <paramref name="count"/> items.</summary>
        public void WriteArrayHeader(int count)
        {
            if (count < 16) B((byte)(0x90 | count));
            else if (count <= ushort.MaxValue) { B(0xdc); BE16(count); }
            else { B(0xdd); BE32((uint)count); }
        }

        /// <summary>Writes an optional int (nil when null).</summary>
        public void WriteInt(long? v) { if (v.HasValue) WriteInt(v.Value); else WriteNil(); }

        /// <summary>Writes an optional float32 (nil when null).</summary>
        public void WriteFloat(float? v) { if (v.HasValue) WriteFloat(v.Value); else WriteNil(); }

        /// <summary>
        /// Writes a dynamic value (see <see cref="MsgPackReader.ReadValue"/> for the types): null, bool,
        /// any integer type, float/double (as float32), string, byte[], IList of values, <see cref="MsgMap"/>.
        /// </summary>
        public void WriteValue(object v)
        {
            if (v == null) { WriteNil(); return; }
            if (v is bool) { WriteBool((bool)v); return; }
            if (v is long) { WriteInt((long)v); return; }
            if (v is int) { WriteInt((int)v); return; }
            if (v is short) { WriteInt((short)v); return; }
            if (v is sbyte) { WriteInt((sbyte)v); return; }
            if (v is byte) { WriteInt((byte)v); return; }
            if (v is ushort) { WriteInt((ushort)v); return; }
            if (v is uint) { WriteInt((uint)v); return; }
            if (v is ulong)
            {
                ulong u = (ulong)v;
                if (u <= long.MaxValue) WriteInt((long)u); else { B(0xcf); BE64(u); }
                return;
            }
            if (v is float) { WriteFloat((float)v); return; }
            if (v is double) { WriteFloat((float)(double)v); return; }
            var s = v as string;
            if (s != null) { WriteString(s); return; }
            var b = v as byte[];
            if (b != null) { WriteBin(b); return; }
            var m = v as MsgMap;
            if (m != null)
            {
                WriteMapHeader(m.Count);
                for (int i = 0; i < m.Count; i++) { WriteString(m.Keys[i]); WriteValue(m.Values[i]); }
                return;
            }
            var fl = v as float[];
            if (fl != null)
            {
                WriteArrayHeader(fl.Length);
                for (int i = 0; i < fl.Length; i++) WriteFloat(fl[i]);
                return;
            }
            var l = v as System.Collections.IList;
            if (l != null)
            {
                WriteArrayHeader(l.Count);
                foreach (var item in l) WriteValue(item);
                return;
            }
            throw new ArgumentException("cannot write a " + v.GetType().Name + " as msgpack");
        }
    }

    /// <summary>A msgpack map with string keys that keeps insertion (wire) order.</summary>
    public sealed class MsgMap
    {
        /// <summary>Keys in wire order.</summary>
        public readonly List<string> Keys = new List<string>();
        /// <summary>Values, parallel to <see cref="Keys"/>.</summary>
        public readonly List<object> Values = new List<object>();

        /// <summary>Number of entries.</summary>
        public int Count { get { return Keys.Count; } }

        /// <summary>Sets a key (replacing its value in place if present, else appending).</summary>
        public MsgMap Set(string key, object value)
        {
            int i = Keys.IndexOf(key);
            if (i >= 0) Values[i] = value; else { Keys.Add(key); Values.Add(value); }
            return this;
        }

        /// <summary>The value of <paramref name="key"/>, or null if absent.</summary>
        public object Get(string key) { int i = Keys.IndexOf(key); return i >= 0 ? Values[i] : null; }

        /// <summary>Whether the key is present.</summary>
        public bool ContainsKey(string key) { return Keys.IndexOf(key) >= 0; }
    }

    /// <summary>float32 bit casts without unsafe code or allocation.</summary>
    internal static class FloatBits
    {
        [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit)]
        private struct U
        {
            [System.Runtime.InteropServices.FieldOffset(0)] public float F;
            [System.Runtime.InteropServices.FieldOffset(0)] public uint I;
        }

        public static uint ToUInt32(float f) { var u = new U(); u.F = f; return u.I; }
        public static float ToSingle(uint i) { var u = new U(); u.I = i; return u.F; }
    }
}
