using System;
using System.Collections.Generic;
using FacePlex.Core;
using UnityEngine;

namespace FacePlex.Unity
{
    /// <summary>
    /// Which blendshape each FacePlex face channel drives. Explicit entries win; every other channel is
    /// matched by name (ARKit names, case-insensitive, common prefixes stripped: see
    /// <see cref="BlendshapeNames"/>) when <see cref="matchArkitNames"/> is on. Without an asset,
    /// <see cref="FacePlexFace"/> uses name matching only.
    /// </summary>
    [CreateAssetMenu(menuName = "FacePlex/Blendshape Mapping", fileName = "BlendshapeMapping")]
    public sealed class BlendshapeMapping : ScriptableObject
    {
        /// <summary>One explicit mapping.</summary>
        [Serializable]
        public struct Entry
        {
            /// <summary>Face channel as the daemon names it (e.g. "jawOpen").</summary>
            public string channel;
            /// <summary>Blendshape name on the mesh (exact, as Unity lists it).</summary>
            public string blendshape;
            /// <summary>Gain of the weight: 1 = as sent, 0 = muted (the channel drives nothing), 0.5 = half.</summary>
            [Tooltip("Gain: 1 = as sent, 0 = mute this channel, 0.5 = half.")]
            public float scale;
        }

        /// <summary>Explicit channel -> blendshape entries.</summary>
        public List<Entry> entries = new List<Entry>();
        /// <summary>Match the remaining channels by ARKit name.</summary>
        public bool matchArkitNames = true;

        /// <summary>
        /// For each channel, the blendshape index on <paramref name="mesh"/> (-1 = none) and its scale.
        /// </summary>
        public static void Resolve(BlendshapeMapping mapping, Mesh mesh, string[] channels, out int[] indices, out float[] scales)
        {
            var names = new string[mesh.blendShapeCount];
            for (int i = 0; i < names.Length; i++) names[i] = mesh.GetBlendShapeName(i);
            indices = mapping == null || mapping.matchArkitNames ? BlendshapeNames.Match(channels, names) : new int[channels.Length];
            if (mapping != null && !mapping.matchArkitNames) for (int i = 0; i < indices.Length; i++) indices[i] = -1;
            scales = new float[channels.Length];
            for (int i = 0; i < scales.Length; i++) scales[i] = 1f;
            if (mapping == null) return;
            foreach (var e in mapping.entries)
            {
                int c = Array.IndexOf(channels, e.channel);
                if (c < 0) continue;
                indices[c] = mesh.GetBlendShapeIndex(e.blendshape);
                scales[c] = e.scale;   // 0 mutes (it used to mean 1, so a channel could not be switched off)
            }
        }

        /// <summary>Inspector edits: an entry just added (no channel, no blendshape, gain 0: Unity zeroes the
        /// first element of a list) starts at gain 1, so adding a row never mutes by surprise.</summary>
        private void OnValidate()
        {
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                if (e.scale == 0f && string.IsNullOrEmpty(e.channel) && string.IsNullOrEmpty(e.blendshape)) { e.scale = 1f; entries[i] = e; }
            }
        }
    }
}
