using System;

namespace FacePlex.Core
{
    /// <summary>
    /// Session settings keys (PROTOCOL.md §7) and their canonical order. Values in a settings
    /// <see cref="MsgMap"/>: ints as long (lead_ms, audio_chunk_ms, max_backlog_ms, stall_timeout_ms
    /// in milliseconds; seed), floats as float (speed, expressiveness, emotion_intensity 0-1,
    /// blink_rate_per_min per minute), voice and emotion as string, idle_motion as bool; full duplex: interruption as string, min_interruption_ms,
    /// false_interruption_timeout_ms, vad_silence_ms, lipsync_lookahead_ms as long, vad_threshold as
    /// float, resume_false_interruption as bool; transcription ("auto" "off" "tiny.en" "base" "pocketsphinx") and
    /// transcription_language ("auto" or a language code) as string, transcription_hints as a list of strings.
    /// </summary>
    public static class Settings
    {
        /// <summary>Known keys in the order §7 lists them (the canonical wire order).</summary>
        public static readonly string[] Order =
        {
            "lead_ms", "audio_chunk_ms", "max_backlog_ms", "stall_timeout_ms", "voice", "speed",
            "expressiveness", "emotion", "emotion_intensity", "blink_rate_per_min", "idle_motion", "seed",
            "interruption", "min_interruption_ms", "resume_false_interruption", "false_interruption_timeout_ms",
            "vad_threshold", "vad_silence_ms", "lipsync_lookahead_ms",
            "transcription", "transcription_language", "transcription_hints",
        };

        /// <summary>Writes a settings map canonically: known keys in §7 order, then unknown keys as given.</summary>
        public static void Write(MsgPackWriter w, MsgMap map) { WriteOrdered(w, map, Order); }

        /// <summary>Writes a generic map canonically: the keys of <paramref name="order"/> first, in that
        /// order, then every other key in the map's own (received) order.</summary>
        public static void WriteOrdered(MsgPackWriter w, MsgMap map, string[] order)
        {
            if (map == null) { w.WriteNil(); return; }
            w.WriteMapHeader(map.Count);
            foreach (var k in order)
            {
                int i = map.Keys.IndexOf(k);
                if (i >= 0) { w.WriteString(k); w.WriteValue(map.Values[i]); }
            }
            for (int i = 0; i < map.Count; i++)
            {
                if (Array.IndexOf(order, map.Keys[i]) >= 0) continue;
                w.WriteString(map.Keys[i]); w.WriteValue(map.Values[i]);
            }
        }
    }
}
