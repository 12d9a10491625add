using System;
using System.Collections.Generic;

namespace FacePlex.Core
{
    /// <summary>
    /// Default channel-to-blendshape matching for rigs whose blendshapes use ARKit names: case-insensitive,
    /// ignoring '_', '-', ' ' and a common prefix ("blendShape1.jawOpen", "Face.JawOpen", "BS_jawOpen",
    /// "ARKit_JawOpen", "CC_Base_Body.jaw_open" all match "jawOpen").
    /// </summary>
    public static class BlendshapeNames
    {
        /// <summary>Prefixes removed (case-insensitively) after the part up to the last '.'.</summary>
        public static readonly string[] CommonPrefixes = { "blendshape_", "blendshapes_", "bs_", "arkit_", "arkit", "shape_", "face_", "mh_" };

        /// <summary>Normalised form used for matching.</summary>
        public static string Normalize(string name)
        {
            if (string.IsNullOrEmpty(name)) return "";
            string s = name.Trim();
            int dot = s.LastIndexOf('.');
            if (dot >= 0 && dot < s.Length - 1) s = s.Substring(dot + 1);
            s = s.ToLowerInvariant();
            foreach (var p in CommonPrefixes)
                if (s.Length > p.Length && s.StartsWith(p, StringComparison.Ordinal)) { s = s.Substring(p.Length); break; }
            var sb = new System.Text.StringBuilder(s.Length);
            foreach (char c in s) if (c != '_' && c != '-' && c != ' ') sb.Append(c);
            return sb.ToString();
        }

        /// <summary>
        /// For each face channel, the index of the mesh blendshape with the same normalised name, or -1.
        /// </summary>
        public static int[] Match(string[] channels, IList<string> blendshapeNames)
        {
            var byName = new Dictionary<string, int>();
            for (int i = 0; i < blendshapeNames.Count; i++)
            {
                var k = Normalize(blendshapeNames[i]);
                if (k.Length > 0 && !byName.ContainsKey(k)) byName[k] = i;
            }
            var r = new int[channels.Length];
            for (int c = 0; c < channels.Length; c++)
            {
                int idx;
                r[c] = byName.TryGetValue(Normalize(channels[c]), out idx) ? idx : -1;
            }
            return r;
        }
    }
}
