"""Error codes of protocol v1 (PROTOCOL.md, "Errors"). Every one leaves the session open
except ``unauthorized`` (PROTOCOL.md §12)."""

from __future__ import annotations

from enum import Enum
from typing import Optional


class ErrorCode(str, Enum):
    """Machine-readable ``error.code`` values."""

    TEXT_FRAME = "text_frame"                    # a text WebSocket message instead of binary
    MESSAGE_TOO_LARGE = "message_too_large"      # over limits.max_message_bytes
    MALFORMED_MSGPACK = "malformed_msgpack"      # bytes that are not msgpack
    MALFORMED_MESSAGE = "malformed_message"      # not a map, or no string 'type'
    UNKNOWN_TYPE = "unknown_type"                # a 'type' this protocol version does not define
    INVALID_FIELD = "invalid_field"              # a missing field or a field of the wrong type
    HELLO_REQUIRED = "hello_required"            # any message before 'hello'
    DUPLICATE_HELLO = "duplicate_hello"          # a second 'hello'
    UNSUPPORTED_VERSION = "unsupported_version"  # hello.protocol is not 1
    UNSUPPORTED_SAMPLE_RATE = "unsupported_sample_rate"
    UNSUPPORTED_AUDIO_FORMAT = "unsupported_audio_format"  # not mono pcm_s16le
    UNSUPPORTED_FPS = "unsupported_fps"
    INVALID_CONFIG = "invalid_config"            # unknown setting or out-of-range value
    EMPTY_TEXT = "empty_text"                    # a non-append say with no speakable text
    TEXT_TOO_LONG = "text_too_long"              # over limits.max_text_chars / max_pending_chars
    UNKNOWN_VOICE = "unknown_voice"              # a voice (or a part of a blend) that is not installed
    INVALID_VOICE = "invalid_voice"              # a malformed blend id, or a blend mixing languages (§5)
    FEATURE_UNAVAILABLE = "feature_unavailable"  # a feature whose model is missing (welcome.features), e.g. mic without VAD
    INVALID_STYLE = "invalid_style"
    DUPLICATE_UTTERANCE = "duplicate_utterance"  # a new say reuses a live utt id
    UNKNOWN_UTTERANCE = "unknown_utterance"      # append/cancel of an utt that is not open
    QUEUE_FULL = "queue_full"                    # more than limits.max_queued_utterances
    SYNTHESIS_FAILED = "synthesis_failed"        # the voice raised on this text
    AUDIO_FORMAT_MISMATCH = "audio_format_mismatch"  # mic/lipsync bytes contradict their declared format
    LIPSYNC_OVERFLOW = "lipsync_overflow"        # a lipsync utterance over 120 s, or a session's queued lipsync over 180 s
    MIC_RATE_EXCEEDED = "mic_rate_exceeded"      # mic audio faster than 1.5x real time, sustained (chunks dropped)
    RATE_LIMITED = "rate_limited"                # more say appends per second than the limit (PROTOCOL.md §8)
    PENDING_TEXT_FULL = "pending_text_full"      # a session's unspoken text over its limit (§8)
    UNAUTHORIZED = "unauthorized"                # hello.token missing or wrong (then close 1008, §12)
    INTERNAL = "internal"


class WarningCode(str, Enum):
    """Machine-readable ``warning.code`` values (PROTOCOL.md §5, "warning"); a warning never
    stops the request."""

    LANGUAGE_NOT_SUPPORTED = "language_not_supported"  # the text's language has no installed voice
    TEXT_LANGUAGE_MISMATCH = "text_language_mismatch"  # the text does not look like the voice's language
    TRANSCRIPT_NOT_USED = "transcript_not_used"        # a lipsync/bake transcript could not be aligned


class ProtocolError(Exception):
    """A client message could not be accepted; becomes an ``error`` message.

    Attributes: ``code`` (:class:`ErrorCode`), ``message`` (human text), ``reply_to`` (client id).
    """

    def __init__(self, code: ErrorCode, message: str, reply_to: Optional[str] = None):
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.reply_to = reply_to
