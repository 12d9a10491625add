namespace FacePlex.Core
{
    /// <summary>What the partner's speech does to the avatar's (PROTOCOL.md §7 <c>interruption</c>, §11).</summary>
    public enum InterruptionPolicy
    {
        /// <summary>Cut the avatar once the partner has spoken <c>min_interruption_ms</c> (the default).</summary>
        Interrupt,
        /// <summary>Lower the avatar's audio 12 dB while the partner speaks, never cut it.</summary>
        Duck,
        /// <summary>Events only.</summary>
        Ignore,
    }

    /// <summary>
    /// A typed partial update of the session settings (PROTOCOL.md §7) for <c>config</c>: every property
    /// left null is not sent (the daemon keeps its value). Ranges are the daemon's; a value out of range
    /// gets error <c>invalid_config</c> and changes nothing. <see cref="ToMap"/> gives the wire map.
    /// </summary>
    public sealed class SessionSettings
    {
        /// <summary>Send-ahead bound, milliseconds (20-2000).</summary>
        public long? LeadMs;
        /// <summary>Length of one audio message, milliseconds (10-200).</summary>
        public long? AudioChunkMs;
        /// <summary>Default voice (one of welcome.voices).</summary>
        public string Voice;
        /// <summary>Speech rate multiplier (0.5-2.0).</summary>
        public float? Speed;
        /// <summary>Scale of brows, head and eye motion (0-2).</summary>
        public float? Expressiveness;
        /// <summary>The character's emotion (one of <see cref="Style.Emotions"/>) for utterances without their own, and while idle or listening.</summary>
        public string Emotion;
        /// <summary>Strength of <see cref="Emotion"/> (0-1).</summary>
        public float? EmotionIntensity;
        /// <summary>Mean blink rate, per minute (0-60).</summary>
        public float? BlinkRatePerMin;
        /// <summary>Idle head/eye/breathing motion.</summary>
        public bool? IdleMotion;
        /// <summary>Seed of the face's random motion (0-2^31-1).</summary>
        public long? Seed;
        /// <summary>What the partner's speech does to the avatar's.</summary>
        public InterruptionPolicy? Interruption;
        /// <summary>Partner speech must last this long to interrupt, milliseconds (0-5000).</summary>
        public long? MinInterruptionMs;
        /// <summary>Resume the unspoken rest of an interrupted utterance when the game does not react.</summary>
        public bool? ResumeFalseInterruption;
        /// <summary>How long after the partner stops the daemon waits before resuming, milliseconds (100-10000).</summary>
        public long? FalseInterruptionTimeoutMs;
        /// <summary>Silero VAD speech probability threshold (0.05-0.99).</summary>
        public float? VadThreshold;
        /// <summary>Silence that ends the partner's speech, milliseconds (64-5000).</summary>
        public long? VadSilenceMs;
        /// <summary>Audio-driven lip sync look-ahead, milliseconds (20-2000; 40 without a transcript = low latency).</summary>
        public long? LipsyncLookaheadMs;

        /// <summary>The wire name of a policy ("interrupt", "duck", "ignore").</summary>
        public static string WireName(InterruptionPolicy p)
        {
            return p == InterruptionPolicy.Duck ? "duck" : p == InterruptionPolicy.Ignore ? "ignore" : "interrupt";
        }

        /// <summary>The settings that are set, as a <c>config.settings</c> map (ints as long, floats as float).</summary>
        public MsgMap ToMap()
        {
            var m = new MsgMap();
            if (LeadMs.HasValue) m.Set("lead_ms", LeadMs.Value);
            if (AudioChunkMs.HasValue) m.Set("audio_chunk_ms", AudioChunkMs.Value);
            if (Voice != null) m.Set("voice", Voice);
            if (Speed.HasValue) m.Set("speed", Speed.Value);
            if (Expressiveness.HasValue) m.Set("expressiveness", Expressiveness.Value);
            if (Emotion != null) m.Set("emotion", Emotion);
            if (EmotionIntensity.HasValue) m.Set("emotion_intensity", EmotionIntensity.Value);
            if (BlinkRatePerMin.HasValue) m.Set("blink_rate_per_min", BlinkRatePerMin.Value);
            if (IdleMotion.HasValue) m.Set("idle_motion", IdleMotion.Value);
            if (Seed.HasValue) m.Set("seed", Seed.Value);
            if (Interruption.HasValue) m.Set("interruption", WireName(Interruption.Value));
            if (MinInterruptionMs.HasValue) m.Set("min_interruption_ms", MinInterruptionMs.Value);
            if (ResumeFalseInterruption.HasValue) m.Set("resume_false_interruption", ResumeFalseInterruption.Value);
            if (FalseInterruptionTimeoutMs.HasValue) m.Set("false_interruption_timeout_ms", FalseInterruptionTimeoutMs.Value);
            if (VadThreshold.HasValue) m.Set("vad_threshold", VadThreshold.Value);
            if (VadSilenceMs.HasValue) m.Set("vad_silence_ms", VadSilenceMs.Value);
            if (LipsyncLookaheadMs.HasValue) m.Set("lipsync_lookahead_ms", LipsyncLookaheadMs.Value);
            return m;
        }
    }
}
