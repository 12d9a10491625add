using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace FacePlex.Core
{
    /// <summary>
    /// Minimal JSON reader (the daemon's ready line; tests' JSON twins). Objects become
    /// Dictionary&lt;string, object&gt; (with key order in <see cref="JsonObject.Order"/>), arrays List&lt;object&gt;,
    /// numbers long (no '.', 'e') or double, plus string, bool and null.
    /// </summary>
    public static class Json
    {
        /// <summary>Parses one JSON value. Throws FormatException on bad input.</summary>
        public static object Parse(string text)
        {
            int i = 0;
            var v = Value(text, ref i);
            Ws(text, ref i);
            if (i != text.Length) throw new FormatException("trailing characters in JSON");
            return v;
        }

        private static void Ws(string s, ref int i) { while (i < s.Length && char.IsWhiteSpace(s[i])) i++; }

        private static object Value(string s, ref int i)
        {
            Ws(s, ref i);
            if (i >= s.Length) throw new FormatException("unexpected end of JSON");
            char c = s[i];
            if (c == '{')
            {
                var o = new JsonObject(); i++; Ws(s, ref i);
                if (s[i] == '}') { i++; return o; }
                while (true)
                {
                    Ws(s, ref i);
                    string k = Str(s, ref i); Ws(s, ref i);
                    if (s[i++] != ':') throw new FormatException("expected ':'");
                    o[k] = Value(s, ref i); o.Order.Add(k); Ws(s, ref i);
                    if (s[i] == ',') { i++; continue; }
                    if (s[i++] != '}') throw new FormatException("expected '}'");
                    return o;
                }
            }
            if (c == '[')
            {
                var a = new List<object>(); i++; Ws(s, ref i);
                if (s[i] == ']') { i++; return a; }
                while (true)
                {
                    a.Add(Value(s, ref i)); Ws(s, ref i);
                    if (s[i] == ',') { i++; continue; }
                    if (s[i++] != ']') throw new FormatException("expected ']'");
                    return a;
                }
            }
            if (c == '"') return Str(s, ref i);
            if (s.Length - i >= 4 && string.CompareOrdinal(s, i, "true", 0, 4) == 0) { i += 4; return true; }
            if (s.Length - i >= 5 && string.CompareOrdinal(s, i, "false", 0, 5) == 0) { i += 5; return false; }
            if (s.Length - i >= 4 && string.CompareOrdinal(s, i, "null", 0, 4) == 0) { i += 4; return null; }
            int st = i;
            bool isFloat = false;
            while (i < s.Length && "+-0123456789.eE".IndexOf(s[i]) >= 0) { if ("eE.".IndexOf(s[i]) >= 0) isFloat = true; i++; }
            if (st == i) throw new FormatException("unexpected character '" + c + "' in JSON");
            var num = s.Substring(st, i - st);
            if (isFloat) return double.Parse(num, NumberStyles.Float, CultureInfo.InvariantCulture);
            return long.Parse(num, NumberStyles.Integer, CultureInfo.InvariantCulture);
        }

        private static string Str(string s, ref int i)
        {
            if (s[i] != '"') throw new FormatException("expected a JSON string");
            i++;
            var sb = new StringBuilder();
            while (true)
            {
                char c = s[i++];
                if (c == '"') return sb.ToString();
                if (c != '\\') { sb.Append(c); continue; }
                char e = s[i++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u': sb.Append((char)Convert.ToInt32(s.Substring(i, 4), 16)); i += 4; break;
                    default: sb.Append(e); break;
                }
            }
        }
    }

    /// <summary>A JSON object that remembers its key order.</summary>
    public sealed class JsonObject : Dictionary<string, object>
    {
        /// <summary>Keys in document order.</summary>
        public readonly List<string> Order = new List<string>();
    }
}
