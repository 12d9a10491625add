using System;
using System.Collections.Generic;
using System.Globalization;

namespace FacePlex.Core
{
    /// <summary>
    /// The voice picker's model, engine-free (the Unity Inspector draws it: Editor/FacePlexVoiceDrawer.cs):
    /// a popup of the daemon's voices (<c>welcome.voices</c>) with "daemon default" first and "custom" last,
    /// next to the free text that holds the value itself, so a blend such as <c>af_bella*0.6+am_adam*0.4</c>
    /// (PROTOCOL.md: weights &gt; 0, normalised by the daemon; parts of one language) can be typed.
    /// </summary>
    public sealed class VoiceChoices
    {
        /// <summary>Label of the first entry (empty value: the daemon's default voice).</summary>
        public const string DefaultLabel = "(daemon default)";
        /// <summary>Label of the last entry (a voice not in the list, or a blend: type it).</summary>
        public const string CustomLabel = "Custom or blend (type below)";

        /// <summary>Popup entries: <see cref="DefaultLabel"/>, each known voice, <see cref="CustomLabel"/>.</summary>
        public readonly string[] Options;
        /// <summary>The entry showing <c>value</c>.</summary>
        public readonly int Selected;
        private readonly string[] _known;

        /// <summary>Builds the popup for the current <paramref name="value"/> and the <paramref name="known"/> voices
        /// (may be null); <paramref name="labels"/>, when given (same length), is what the popup shows for each
        /// (e.g. <see cref="Label"/> of welcome.voice_catalog), the value stays the id.</summary>
        public VoiceChoices(string[] known, string value, string[] labels = null)
        {
            _known = known ?? new string[0];
            Options = new string[_known.Length + 2];
            Options[0] = DefaultLabel;
            bool useLabels = labels != null && labels.Length == _known.Length;
            for (int i = 0; i < _known.Length; i++) Options[i + 1] = useLabels && !string.IsNullOrEmpty(labels[i]) ? labels[i] : _known[i];
            Options[Options.Length - 1] = CustomLabel;
            if (string.IsNullOrEmpty(value)) Selected = 0;
            else
            {
                int i = Array.IndexOf(_known, value);
                Selected = i >= 0 ? i + 1 : Options.Length - 1;
            }
        }

        /// <summary>A popup label for a catalogue entry: "af_bella (en-US, female, American)"; the parts the
        /// daemon left null are left out.</summary>
        public static string Label(string id, string language, string gender, string accent)
        {
            var parts = new List<string>();
            foreach (var p in new[] { language, gender, accent }) if (!string.IsNullOrEmpty(p)) parts.Add(p);
            return parts.Count == 0 ? id : id + " (" + string.Join(", ", parts.ToArray()) + ")";
        }

        /// <summary>The value after the user picks entry <paramref name="index"/>: "" for the default, the voice id,
        /// or <paramref name="current"/> unchanged for "custom" (the text field edits it).</summary>
        public string ValueFor(int index, string current)
        {
            if (index <= 0) return "";
            if (index <= _known.Length) return _known[index - 1];
            return current ?? "";
        }

        /// <summary>
        /// A problem with <paramref name="value"/> to show beside the field, or null: a malformed blend
        /// (empty part, weight not a number &gt; 0), or a voice (or blend part) the daemon did not list
        /// (<paramref name="known"/> empty = unknown yet: only the syntax is checked). The daemon has the
        /// last word (errors unknown_voice, invalid_voice).
        /// </summary>
        public static string Check(string value, string[] known)
        {
            if (string.IsNullOrEmpty(value)) return null;
            var unknown = new List<string>();
            foreach (var raw in value.Split('+'))
            {
                var part = raw.Trim();
                string id = part;
                int star = part.IndexOf('*');
                if (star >= 0)
                {
                    id = part.Substring(0, star).Trim();
                    float w;
                    if (!float.TryParse(part.Substring(star + 1).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out w) || !(w > 0f))
                        return "\"" + part + "\": a blend part is voice*weight with a weight > 0 (e.g. af_bella*0.6+am_adam*0.4)";
                }
                if (id.Length == 0) return "\"" + value + "\": empty voice in the blend";
                if (known != null && known.Length > 0 && Array.IndexOf(known, id) < 0) unknown.Add(id);
            }
            if (unknown.Count > 0) return "not among the daemon's voices: " + string.Join(", ", unknown.ToArray());
            return null;
        }
    }
}
