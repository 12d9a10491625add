using System;
using System.Collections.Generic;
using System.Text;

namespace FacePlex.Core
{
    /// <summary>Kinds of msgpack values, as seen by <see cref="MsgPackReader.PeekKind"/>.</summary>
    public enum MsgKind { Nil, Bool, Int, Float, Str, Bin, Array, Map, Ext }

    /// <summary>Thrown for bytes that are not valid msgpack, or a value of the wrong type.</summary>
    public sealed class MsgPackException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public MsgPackException(string message) : base(message) { }
    }

    /// <summary>
    /// Pull reader over one msgpack buffer. Accepts any valid msgpack (float64, every int width, any
    /// str/bin/map/array width), as PROTOCOL.md §1 requires of readers. No allocation except for the
    /// strings, blobs and dynamic values it returns.
    /// </summary>
    public sealed class MsgPackReader
    {
        private readonly byte[] _buf;
        private readonly int _end;
        private int _pos;

        /// <summary>Reads bytes [offset, offset+count) of <paramref name="buffer"/>.</summary>
        public MsgPackReader(byte[] buffer, int offset, int count)
        {
            if (buffer == null) throw new ArgumentNullException("buffer");
            if (offset < 0 || count < 0 || offset + count > buffer.Length) throw new ArgumentOutOfRangeException("count");
            _buf = buffer; _pos = offset; _end = offset + count;
        }

        /// <summary>Reads a whole buffer.</summary>
        public MsgPackReader(byte[] buffer) : this(buffer, 0, buffer.Length) { }

        /// <summary>Current read position (absolute index in the buffer).</summary>
        public int Position { get { return _pos; } set { _pos = value; } }

        /// <summary>True when every byte has been read.</summary>
        public bool AtEnd { get { return _pos >= _end; } }

        private void Need(int n)
        {
            if (n < 0 || _end - _pos < n) throw new MsgPackException("truncated msgpack");
        }

        private byte U8() { Need(1); return _buf[_pos++]; }
        private int U16() { Need(2); int v = (_buf[_pos] << 8) | _buf[_pos + 1]; _pos += 2; return v; }
        private uint U32()
        {
            Need(4);
            uint v = ((uint)_buf[_pos] << 24) | ((uint)_buf[_pos + 1] << 16) | ((uint)_buf[_pos + 2] << 8) | _buf[_pos + 3];
            _pos += 4; return v;
        }
        private ulong U64() { ulong hi = U32(); return (hi << 32) | U32(); }

        private int Len32()
        {
            uint n = U32();
            if (n > int.MaxValue) throw new MsgPackException("length too large");
            return (int)n;
        }

        /// <summary>The kind of the next value, without consuming it.</summary>
        public MsgKind PeekKind()
        {
            Need(1);
            byte b = _buf[_pos];
            if (b <= 0x7f || b >= 0xe0) return MsgKind.Int;
            if (b <= 0x8f) return MsgKind.Map;
            if (b <= 0x9f) return MsgKind.Array;
            if (b <= 0xbf) return MsgKind.Str;
            switch (b)
            {
                case 0xc0: return MsgKind.Nil;
                case 0xc2: case 0xc3: return MsgKind.Bool;
                case 0xc4: case 0xc5: case 0xc6: return MsgKind.Bin;
                case 0xca: case 0xcb: return MsgKind.Float;
                case 0xcc: case 0xcd: case 0xce: case 0xcf:
                case 0xd0: case 0xd1: case 0xd2: case 0xd3: return MsgKind.Int;
                case 0xd9: case 0xda: case 0xdb: return MsgKind.Str;
                case 0xdc: case 0xdd: return MsgKind.Array;
                case 0xde: case 0xdf: return MsgKind.Map;
                case 0xc7: case 0xc8: case 0xc9:
                case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: return MsgKind.Ext;
                default: throw new MsgPackException("invalid msgpack byte 0x" + b.ToString("x2"));
            }
        }

        /// <summary>Consumes a nil if the next value is nil; returns whether it did.</summary>
        public bool TryReadNil()
        {
            Need(1);
            if (_buf[_pos] != 0xc0) return false;
            _pos++; return true;
        }

        /// <summary>Reads a bool.</summary>
        public bool ReadBool()
        {
            byte b = U8();
            if (b == 0xc3) return true;
            if (b == 0xc2) return false;
            _pos--; throw Wrong("bool");
        }

        /// <summary>Reads an integer of any msgpack width (uint64 above long.MaxValue is rejected).</summary>
        public long ReadInt()
        {
            byte b = U8();
            if (b <= 0x7f) return b;
            if (b >= 0xe0) return (sbyte)b;
            switch (b)
            {
                case 0xcc: return U8();
                case 0xcd: return U16();
                case 0xce: return U32();
                case 0xcf:
                    ulong u = U64();
                    if (u > long.MaxValue) throw new MsgPackException("integer out of range");
                    return (long)u;
                case 0xd0: return (sbyte)U8();
                case 0xd1: return (short)U16();
                case 0xd2: return (int)U32();
                case 0xd3: return (long)U64();
            }
            _pos--; throw Wrong("int");
        }

        /// <summary>Reads a float32 or float64 (an integer is accepted too) as a float32.</summary>
        public float ReadFloat() { return (float)ReadDouble(); }

        /// <summary>Reads a float32, float64 or integer as a double.</summary>
        public double ReadDouble()
        {
            Need(1);
            byte b = _buf[_pos];
            if (b == 0xca) { _pos++; return FloatBits.ToSingle(U32()); }
            if (b == 0xcb) { _pos++; return BitConverter.Int64BitsToDouble((long)U64()); }
            if (PeekKind() == MsgKind.Int) return ReadInt();
            throw Wrong("float");
        }

        /// <summary>Reads a str (any width) as a string.</summary>
        public string ReadString()
        {
            byte b = U8();
            int n;
            if (b >= 0xa0 && b <= 0xbf) n = b & 0x1f;
            else if (b == 0xd9) n = U8();
            else if (b == 0xda) n = U16();
            else if (b == 0xdb) n = Len32();
            else { _pos--; throw Wrong("str"); }
            Need(n);
            string s;
            try { s = new UTF8Encoding(false, true).GetString(_buf, _pos, n); }
            catch (ArgumentException) { throw new MsgPackException("invalid UTF-8 in str"); }
            _pos += n;
            return s;
        }

        /// <summary>Reads a str or nil; nil gives null.</summary>
        public string ReadStringOrNull() { return TryReadNil() ? null : ReadString(); }

        /// <summary>Reads an int or nil; nil gives null.</summary>
        public long? ReadIntOrNull() { return TryReadNil() ? (long?)null : ReadInt(); }

        /// <summary>Reads a float or nil; nil gives null.</summary>
        public float? ReadFloatOrNull() { return TryReadNil() ? (float?)null : ReadFloat(); }

        /// <summary>Reads a bin header and returns the blob's length; the bytes start at <see cref="Position"/>.</summary>
        public int ReadBinHeader()
        {
            byte b = U8();
            int n;
            if (b == 0xc4) n = U8();
            else if (b == 0xc5) n = U16();
            else if (b == 0xc6) n = Len32();
            else { _pos--; throw Wrong("bin"); }
            Need(n);
            return n;
        }

        /// <summary>Reads a bin as a new byte array.</summary>
        public byte[] ReadBin()
        {
            int n = ReadBinHeader();
            var r = new byte[n];
            Buffer.BlockCopy(_buf, _pos, r, 0, n);
            _pos += n;
            return r;
        }

        /// <summary>Reads a map header; returns the number of key/value pairs.</summary>
        public int ReadMapHeader()
        {
            byte b = U8();
            if (b >= 0x80 && b <= 0x8f) return b & 0x0f;
            if (b == 0xde) return U16();
            if (b == 0xdf) return Len32();
            _pos--; throw Wrong("map");
        }

        /// <summary>Reads an array header; returns the number of items.</summary>
        public int ReadArrayHeader()
        {
            byte b = U8();
            if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
            if (b == 0xdc) return U16();
            if (b == 0xdd) return Len32();
            _pos--; throw Wrong("array");
        }

        /// <summary>Skips one value (recursively).</summary>
        public void Skip()
        {
            switch (PeekKind())
            {
                case MsgKind.Nil: _pos++; return;
                case MsgKind.Bool: _pos++; return;
                case MsgKind.Int: ReadInt(); return;
                case MsgKind.Float: ReadDouble(); return;
                case MsgKind.Str:
                {
                    byte b = U8();
                    int n = b >= 0xa0 && b <= 0xbf ? b & 0x1f : b == 0xd9 ? U8() : b == 0xda ? U16() : Len32();
                    Need(n); _pos += n; return;
                }
                case MsgKind.Bin: { int n = ReadBinHeader(); _pos += n; return; }
                case MsgKind.Array: { int n = ReadArrayHeader(); for (int i = 0; i < n; i++) Skip(); return; }
                case MsgKind.Map: { int n = ReadMapHeader(); for (int i = 0; i < 2 * n; i++) Skip(); return; }
                default:
                {
                    byte b = U8();
                    int n;
                    switch (b)
                    {
                        case 0xd4: n = 1; break; case 0xd5: n = 2; break; case 0xd6: n = 4; break;
                        case 0xd7: n = 8; break; case 0xd8: n = 16; break;
                        case 0xc7: n = U8(); break; case 0xc8: n = U16(); break; default: n = Len32(); break;
                    }
                    Need(n + 1); _pos += n + 1; return;
                }
            }
        }

        /// <summary>
        /// Reads any value as a dynamic tree: null, bool, long, float (float32), double (float64),
        /// string, byte[], List&lt;object&gt;, or <see cref="MsgMap"/> (map keys must be str).
        /// </summary>
        public object ReadValue()
        {
            switch (PeekKind())
            {
                case MsgKind.Nil: _pos++; return null;
                case MsgKind.Bool: return ReadBool();
                case MsgKind.Int: return ReadInt();
                case MsgKind.Float:
                    if (_buf[_pos] == 0xca) return ReadFloat();
                    return ReadDouble();
                case MsgKind.Str: return ReadString();
                case MsgKind.Bin: return ReadBin();
                case MsgKind.Array:
                {
                    int n = ReadArrayHeader();
                    var l = new List<object>(Math.Min(n, 1024));
                    for (int i = 0; i < n; i++) l.Add(ReadValue());
                    return l;
                }
                case MsgKind.Map:
                {
                    int n = ReadMapHeader();
                    var m = new MsgMap();
                    for (int i = 0; i < n; i++)
                    {
                        if (PeekKind() != MsgKind.Str) throw new MsgPackException("map keys must be str");
                        string k = ReadString();
                        m.Set(k, ReadValue());
                    }
                    return m;
                }
                default: throw new MsgPackException("msgpack ext types are not used by the protocol");
            }
        }

        private MsgPackException Wrong(string expected)
        {
            return new MsgPackException("expected " + expected + ", got " + PeekKind().ToString().ToLowerInvariant());
        }
    }
}
