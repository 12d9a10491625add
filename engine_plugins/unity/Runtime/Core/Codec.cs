using System;

namespace FacePlex.Core
{
    /// <summary>
    /// Sans-I/O codec of protocol v1: one message = one msgpack map with a str <c>type</c>.
    /// <see cref="Encode(Message)"/> writes the canonical form (PROTOCOL.md §1, pinned by protocol/vectors);
    /// <see cref="Decode(byte[],int,int)"/> accepts any valid msgpack, any key order, and ignores unknown keys.
    /// </summary>
    public static class Codec
    {
        /// <summary>Encodes a message to new canonical bytes.</summary>
        public static byte[] Encode(Message msg)
        {
            var w = new MsgPackWriter(128);
            Encode(msg, w);
            return w.ToArray();
        }

        /// <summary>Appends the canonical encoding of <paramref name="msg"/> to <paramref name="w"/>.</summary>
        public static void Encode(Message msg, MsgPackWriter w)
        {
            var unknown = msg as UnknownMessage;
            if (unknown != null) { w.WriteValue(unknown.Raw); return; }
            var fields = msg.Fields;
            w.WriteMapHeader(fields.Length + 1);
            w.WriteString("type");
            w.WriteString(msg.Type);
            for (int i = 0; i < fields.Length; i++)
            {
                w.WriteString(fields[i]);
                msg.WriteField(i, w);
            }
        }

        /// <summary>Every message type this core knows (both directions), PROTOCOL.md §4, §5 and §11.</summary>
        public static readonly string[] KnownTypes =
        {
            "hello", "config", "say", "cancel", "ping", "playback", "mic", "mic_end", "lipsync",
            "welcome", "configured", "audio", "face", "mark", "utterance_started", "utterance_finished",
            "utterance_cancelled", "error", "warning", "pong", "partner_speech_started", "partner_speech_stopped", "interrupted",
            "partner_transcript",
        };

        /// <summary>Creates an empty message object for a v1 type name (either direction), or null.</summary>
        public static Message Create(string type)
        {
            switch (type)
            {
                case "hello": return new Hello();
                case "config": return new ConfigMessage();
                case "say": return new Say();
                case "cancel": return new Cancel();
                case "ping": return new PingMessage();
                case "playback": return new Playback();
                case "welcome": return new Welcome();
                case "configured": return new Configured();
                case "audio": return new AudioChunk();
                case "face": return new FaceFrame();
                case "mark": return new Mark();
                case "utterance_started": return new UtteranceStarted();
                case "utterance_finished": return new UtteranceFinished();
                case "utterance_cancelled": return new UtteranceCancelled();
                case "error": return new ErrorMessage();
                case "pong": return new Pong();
                case "warning": return new WarningMessage();
                case "mic": return new Mic();
                case "mic_end": return new MicEnd();
                case "lipsync": return new Lipsync();
                case "partner_speech_started": return new PartnerSpeechStarted();
                case "partner_speech_stopped": return new PartnerSpeechStopped();
                case "interrupted": return new Interrupted();
                case "partner_transcript": return new PartnerTranscript();
                default: return null;
            }
        }

        /// <summary>Decodes a whole buffer.</summary>
        public static Message Decode(byte[] data) { return Decode(data, 0, data.Length); }

        /// <summary>
        /// Decodes one message from bytes [offset, offset+count). A type this version does not define
        /// gives an <see cref="UnknownMessage"/>.
        /// </summary>
        /// <exception cref="MsgPackException">Not msgpack, not a map, no str type, trailing bytes,
        /// a required field missing, or a field of the wrong type.</exception>
        public static Message Decode(byte[] data, int offset, int count)
        {
            var r = new MsgPackReader(data, offset, count);
            if (r.PeekKind() != MsgKind.Map) throw new MsgPackException("a message must be a msgpack map");
            int start = r.Position;
            int n = r.ReadMapHeader();
            int fieldsAt = r.Position;

            // Pass 1: find "type" (it need not be the first key).
            string type = null;
            for (int i = 0; i < n; i++)
            {
                if (r.PeekKind() != MsgKind.Str) throw new MsgPackException("map keys must be str");
                if (r.ReadString() == "type" && r.PeekKind() == MsgKind.Str) type = r.ReadString();
                else r.Skip();
            }
            if (!r.AtEnd) throw new MsgPackException("trailing bytes after the message");
            if (type == null) throw new MsgPackException("a message needs a str 'type' field");

            var msg = Create(type);
            if (msg == null)
            {
                r.Position = start;
                return new UnknownMessage(type, (MsgMap)r.ReadValue());
            }

            // Pass 2: the fields.
            r.Position = fieldsAt;
            var fields = msg.Fields;
            int seen = 0;
            for (int i = 0; i < n; i++)
            {
                string key = r.ReadString();
                int idx = key == "type" ? -1 : Array.IndexOf(fields, key);
                if (idx < 0) { r.Skip(); continue; }
                try { msg.ReadField(idx, r); }
                catch (MsgPackException e) { throw new MsgPackException(type + "." + key + ": " + e.Message); }
                seen |= 1 << idx;
            }
            int missing = msg.RequiredMask & ~seen;
            if (missing != 0)
            {
                for (int i = 0; i < fields.Length; i++)
                    if ((missing & (1 << i)) != 0) throw new MsgPackException(type + ": missing field '" + fields[i] + "'");
            }
            return msg;
        }
    }
}
