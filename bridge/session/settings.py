"""Per-session settings (the ``config`` message merges into these; PROTOCOL.md "Settings")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from faceplex.models.asr.models import WHISPER_LANGUAGES, known_language

from faceplex.models.speech.piper_voice import DEFAULT_VOICE
from faceplex.protocol.errors import ErrorCode, ProtocolError
from faceplex.protocol.messages import MAX_HINT_CHARS, MAX_TRANSCRIPTION_HINTS, TRANSCRIPTION_CHOICES


class SessionConfig(BaseModel):
    """Effective settings of one session. Times in milliseconds (ints)."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)

    #: How far ahead of the daemon's media clock output is sent. Bounds how much already-sent
    #: audio a cancel must discard on the client, and how long a network hiccup is absorbed.
    lead_ms: int = Field(150, ge=20, le=2000)
    #: Duration of one audio message.
    audio_chunk_ms: int = Field(40, ge=10, le=200)
    #: Media waiting in the daemon for a client that does not read before production pauses.
    max_backlog_ms: int = Field(1000, ge=100, le=10000)
    #: How long a client may stay over max_backlog_ms before its utterances are cancelled
    #: (reason ``client_too_slow``) and its idle stream is resynchronised to the clock.
    stall_timeout_ms: int = Field(5000, ge=200, le=60000)
    voice: str = DEFAULT_VOICE
    #: Speech rate multiplier (Piper length_scale = 1 / speed).
    speed: float = Field(1.0, ge=0.5, le=2.0)
    #: Scale of face motion beyond lips and jaw (brows, head, blinks' extent).
    expressiveness: float = Field(1.0, ge=0.0, le=2.0)
    #: The character's emotion (``protocol.messages.EMOTIONS``) and its intensity 0-1, for
    #: utterances without ``style.emotion`` and for idle/listening motion.
    emotion: Literal["neutral", "happy", "sad", "angry", "surprised", "afraid", "disgusted"] = "neutral"
    emotion_intensity: float = Field(0.5, ge=0.0, le=1.0)
    blink_rate_per_min: float = Field(17.0, ge=0.0, le=60.0)
    idle_motion: bool = True
    #: Seed of the face's random motion (blinks, saccades, head drift).
    seed: int = Field(0, ge=0, le=2**31 - 1)
    #: What the partner's speech (``mic``) does to the avatar's speech: ``interrupt`` (stop it,
    #: event ``interrupted``), ``duck`` (lower it 12 dB while the partner speaks) or ``ignore``.
    interruption: Literal["interrupt", "duck", "ignore"] = "interrupt"
    #: Partner speech must last this long before it interrupts (LiveKit 500 ms, Hume 800 ms).
    min_interruption_ms: int = Field(400, ge=0, le=5000)
    #: Resume the unspoken rest of an interrupted utterance when the partner has stopped and the
    #: game sent no say/cancel within false_interruption_timeout_ms (LiveKit: resume after 2.0 s).
    resume_false_interruption: bool = False
    false_interruption_timeout_ms: int = Field(2000, ge=100, le=10000)
    #: Silero VAD speech probability threshold (OpenAI server VAD default 0.5).
    vad_threshold: float = Field(0.5, ge=0.05, le=0.99)
    #: Silence that ends the partner's speech (OpenAI server VAD default 500 ms).
    vad_silence_ms: int = Field(500, ge=64, le=5000)
    #: Audio-driven lip sync: face frames for a position go out once the audio this far past
    #: it has arrived (or the lipsync stream is final). The trade-off (PROTOCOL.md §11): without
    #: a transcript the face trails the input by about the look-ahead + one analysis step + the
    #: analysis time (40 ms: ~60-90 ms on 2 cores; the recogniser sees less right context, so
    #: visemes are noisier at each commit edge); with a transcript, commits also wait for the end
    #: of the word being spoken and the utterance starts after a 0.6 s pre-roll.
    lipsync_lookahead_ms: int = Field(200, ge=20, le=2000)
    #: The partner's words as ``partner_transcript`` (PROTOCOL.md §11): ``auto`` (tiny.en where
    #: installed and the language is English or auto, ``base`` for other languages, else
    #: PocketSphinx), ``off``, or a backend by name (``feature_unavailable`` if not installed).
    transcription: Literal[TRANSCRIPTION_CHOICES] = "auto"
    #: ``auto`` or a BCP-47 / ISO 639-1 code ("en", "es", "pt-BR"): the partner's language.
    transcription_language: str = Field("auto", max_length=35, pattern=r"^(auto|[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*)$")
    #: Names and expected replies that Whisper should spell this way (its prompt); PocketSphinx
    #: does not use them. Up to 64 strings of up to 64 characters.
    transcription_hints: list[Annotated[str, Field(max_length=MAX_HINT_CHARS)]] = Field(
        default_factory=list, max_length=MAX_TRANSCRIPTION_HINTS)

    @field_validator("transcription_language")
    @classmethod
    def _a_language_the_models_know(cls, value: str) -> str:
        # "xx" fits the pattern but no model reads it: refused here (invalid_config) rather than
        # failing inside the transcription worker on the partner's first words.
        if not known_language(value):
            raise ValueError(f"{value!r} is not a language the transcription models know (auto or one of "
                             f"{' '.join(sorted(WHISPER_LANGUAGES))})")
        return value

    def merged(self, update: dict[str, Any], reply_to: str | None = None) -> "SessionConfig":
        """Return a copy with ``update`` merged in (partial update).

        Raises:
            ProtocolError: ``invalid_config`` naming every unknown key or bad value.
        """
        try:
            return SessionConfig.model_validate({**self.model_dump(), **update})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ProtocolError(ErrorCode.INVALID_CONFIG, problems, reply_to) from None
