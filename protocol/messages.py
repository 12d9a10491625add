"""Protocol v1 message models (pydantic 2). PROTOCOL.md is the normative description.

Every message is one msgpack map with a ``type`` key. Field order in these models is the canonical
order the encoder writes (golden vectors depend on it). Times on the session timeline are integer
sample counts at the negotiated output sample rate; wall clocks are integer microseconds.
Unknown fields are ignored on input.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL_VERSION = 1

#: Output sample rates (Hz) a client may ask for; the daemon resamples with soxr.
SUPPORTED_SAMPLE_RATES = (16000, 22050, 24000, 44100, 48000)
#: Face frame rates (frames per second) a client may ask for.
SUPPORTED_FPS = (30, 60)
AUDIO_FORMAT = "pcm_s16le"

#: The ``transcription`` setting (PROTOCOL.md §7): "auto" picks the best installed model
#: (``welcome.features.transcription.default``, else the PocketSphinx fallback), "off" sends no
#: ``partner_transcript``.
TRANSCRIPTION_CHOICES = ("auto", "off", "tiny.en", "base", "pocketsphinx")
#: ``transcription_hints``: at most this many strings, each at most MAX_HINT_CHARS characters.
MAX_TRANSCRIPTION_HINTS = 64
MAX_HINT_CHARS = 64


class _Msg(BaseModel):
    # strict: a wrong field type is an error, never silently coerced ("5" is not 5).
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


# ---------------------------------------------------------------- shared parts
class AudioFormat(_Msg):
    """Output audio format: mono PCM16LE at ``sample_rate`` Hz."""

    sample_rate: int = 48000
    channels: int = 1
    format: str = AUDIO_FORMAT


class FaceFormat(_Msg):
    """Face stream format requested by the client."""

    fps: int = 60


class FaceFormatInfo(_Msg):
    """Face stream format answered by the server: rate and the channel names, once."""

    fps: int
    channels: list[str]


#: ``style.emotion`` / the ``emotion`` setting: the basic emotions people know (Ekman's six
#: plus neutral; MetaHuman's realtime audio source offers a similar ``Mood`` list).
EMOTIONS = ("neutral", "happy", "sad", "angry", "surprised", "afraid", "disgusted")


class Style(_Msg):
    """Per-utterance delivery. ``speed``: speech rate multiplier (0.5-2.0);
    ``expressiveness``: scale of face motion beyond the lips (0.0-2.0); ``emotion``: one of
    :data:`EMOTIONS`; ``emotion_intensity``: 0.0-1.0. None = the session's setting."""

    speed: Optional[float] = None
    expressiveness: Optional[float] = None
    emotion: Optional[str] = None
    emotion_intensity: Optional[float] = None


class Limits(_Msg):
    """Limits the server enforces (see PROTOCOL.md, "Limits")."""

    max_message_bytes: int
    max_text_chars: int
    max_pending_chars: int
    max_queued_utterances: int


# ---------------------------------------------------------------- client -> server
class Hello(_Msg):
    """First message of a session: protocol version and wanted formats."""

    type: Literal["hello"] = "hello"
    id: Optional[str] = None
    protocol: int = PROTOCOL_VERSION
    audio: AudioFormat = AudioFormat()
    face: FaceFormat = FaceFormat()
    client: Optional[str] = None
    #: The per-launch secret (PROTOCOL.md §12); required by the daemon unless started without one.
    token: Optional[str] = None


class Config(_Msg):
    """Partial update of session settings; answered with ``configured`` (full effective config)."""

    type: Literal["config"] = "config"
    id: Optional[str] = None
    settings: dict[str, Any]


class Say(_Msg):
    """Speak ``text`` as utterance ``utt`` (client-chosen id).

    ``append``: add text to the open utterance ``utt`` (LLM streaming); ``final``: no more text
    will follow for ``utt`` (default). A non-append say queues behind the current utterance.
    """

    type: Literal["say"] = "say"
    id: Optional[str] = None
    utt: str = Field(min_length=1, max_length=256)
    text: str
    append: bool = False
    final: bool = True
    voice: Optional[str] = None
    style: Optional[Style] = None


class Cancel(_Msg):
    """Stop utterance ``utt`` now (``None``: the current one and every queued one)."""

    type: Literal["cancel"] = "cancel"
    id: Optional[str] = None
    utt: Optional[str] = None


class Ping(_Msg):
    """Clock probe; ``client_time_us`` is the client's clock in microseconds."""

    type: Literal["ping"] = "ping"
    id: Optional[str] = None
    client_time_us: int


class Playback(_Msg):
    """The client's playback position: it has played the timeline up to ``sample`` (exclusive),
    currently inside utterance ``utt`` (None between utterances). Send every 100-250 ms while
    audio plays and once when an utterance's audio has fully played."""

    type: Literal["playback"] = "playback"
    id: Optional[str] = None
    utt: Optional[str] = None
    sample: int
    client_time_us: int


class Mic(_Msg):
    """A chunk of the partner's (player's) microphone, upstream: ``pcm`` is interleaved PCM16LE
    with ``channels`` channels at ``sample_rate`` Hz, captured just before it was sent (real
    time, in order). The daemon downmixes and resamples it for voice activity and listening."""

    type: Literal["mic"] = "mic"
    id: Optional[str] = None
    sample_rate: int
    channels: int
    pcm: bytes


class MicEnd(_Msg):
    """Push-to-talk released (PROTOCOL.md §11): the partner's turn ends now. The daemon ends the
    speech it is hearing (``partner_speech_stopped`` if the partner was speaking) and sends the
    final ``partner_transcript`` of that stretch. Accepted wherever ``mic`` is; harmless when the
    partner was not speaking."""

    type: Literal["mic_end"] = "mic_end"
    id: Optional[str] = None


class Lipsync(_Msg):
    """Speech FacePlex did not make (recorded dialogue, another TTS), to animate as utterance
    ``utt``: interleaved PCM16LE chunks at ``sample_rate`` Hz, ``channels`` channels, at any
    pace. ``text``: the transcript (optional, on the first chunk) for forced alignment.
    ``final``: the last chunk of ``utt``."""

    type: Literal["lipsync"] = "lipsync"
    id: Optional[str] = None
    utt: str = Field(min_length=1, max_length=256)
    sample_rate: int
    channels: int
    pcm: bytes
    text: Optional[str] = None
    final: bool = False


ClientMessage = Annotated[Union[Hello, Config, Say, Cancel, Ping, Playback, Mic, MicEnd, Lipsync],
                          Field(discriminator="type")]
CLIENT_TYPES: dict[str, type[_Msg]] = {
    "hello": Hello, "config": Config, "say": Say, "cancel": Cancel, "ping": Ping, "playback": Playback,
    "mic": Mic, "mic_end": MicEnd, "lipsync": Lipsync,
}


# ---------------------------------------------------------------- server -> client
#: ``VoiceInfo.engine`` values.
VOICE_ENGINES = ("piper", "kokoro")


class VoiceInfo(_Msg):
    """One installed voice (``welcome.voice_catalog``, PROTOCOL.md §5). ``language``: BCP-47
    ("en-US", "es"); ``gender``: "female" | "male" | None; ``accent``: e.g. "American" |
    "British" | None; ``sample_rate``: the voice's own rate in Hz (output is resampled to the
    session's); ``engine``: one of :data:`VOICE_ENGINES`."""

    id: str
    language: str
    gender: Optional[str] = None
    accent: Optional[str] = None
    sample_rate: int
    engine: str


class VadFeature(_Msg):
    """Voice activity detection (``mic``): ``available`` False when its model is missing, with
    ``reason`` saying what is missing and how to install it."""

    available: bool
    reason: Optional[str] = None


class TranscriptionFeature(_Msg):
    """Transcription of the partner's speech (``partner_transcript``): ``models`` installed
    (e.g. "tiny.en", "base"), ``default``: what ``transcription: "auto"`` uses (None: none
    installed), ``fallback``: "pocketsphinx" when it can stand in, else None."""

    available: bool
    models: list[str] = []
    default: Optional[str] = None
    fallback: Optional[str] = None


class Features(_Msg):
    """What this daemon can do with the models it found at start-up (``welcome.features``, and the
    same object under ``"features"`` in the ready line, PROTOCOL.md §1). A request for a feature
    that is not available gets error ``feature_unavailable``."""

    vad: VadFeature
    transcription: TranscriptionFeature


class Welcome(_Msg):
    """Answer to ``hello``: session id, negotiated formats, channel names, effective config.

    ``voice_catalog`` (details of every voice in ``voices``) and ``features`` were added within v1
    (PROTOCOL.md §9): a daemon that does not fill them sends ``[]`` and nil.
    """

    type: Literal["welcome"] = "welcome"
    reply_to: Optional[str] = None
    protocol: int = PROTOCOL_VERSION
    session: str
    server: str
    audio: AudioFormat
    face: FaceFormatInfo
    voices: list[str]
    config: dict[str, Any]
    limits: Limits
    voice_catalog: list[VoiceInfo] = []
    features: Optional[Features] = None


class Configured(_Msg):
    """Answer to ``config``: the full effective settings after the merge."""

    type: Literal["configured"] = "configured"
    reply_to: Optional[str] = None
    config: dict[str, Any]


class Audio(_Msg):
    """A chunk of speech: ``pcm`` is mono PCM16LE; its first sample sits at timeline ``sample``."""

    type: Literal["audio"] = "audio"
    utt: str
    seq: int
    sample: int
    pcm: bytes


class Face(_Msg):
    """One face frame. ``frame`` n sits at timeline sample ``floor(n * sample_rate / fps)``.

    ``seq`` equals ``frame`` (consecutive, no gaps); ``utt`` is None for idle/listening frames;
    ``values``: one float32 per channel named in ``welcome.face.channels``.
    """

    type: Literal["face"] = "face"
    utt: Optional[str] = None
    seq: int
    frame: int
    sample: int
    values: list[float]


class Mark(_Msg):
    """A word or phoneme on the timeline: ``[sample, end)`` in samples; ``viseme`` for phonemes."""

    type: Literal["mark"] = "mark"
    utt: str
    kind: Literal["word", "phoneme"]
    sample: int
    end: int
    text: str
    viseme: Optional[str] = None


class UtteranceStarted(_Msg):
    """The utterance's first audio sample sits at timeline ``sample``."""

    type: Literal["utterance_started"] = "utterance_started"
    utt: str
    reply_to: Optional[str] = None
    sample: int


class UtteranceFinished(_Msg):
    """All audio of ``utt`` was sent: it spans ``[sample - samples, sample)`` on the timeline.
    ``inserted_silence``: samples of silence the daemon inserted because synthesis (or the
    client's appended text) came late (§6); 0 when the voice kept up."""

    type: Literal["utterance_finished"] = "utterance_finished"
    utt: str
    sample: int
    samples: int
    inserted_silence: int = 0


class UtteranceCancelled(_Msg):
    """``utt`` stopped; no media of it follows. ``sample``: the first timeline sample NOT sent;
    ``samples``: how many of its samples were sent. ``reason``: client | client_too_slow | shutdown."""

    type: Literal["utterance_cancelled"] = "utterance_cancelled"
    utt: str
    reply_to: Optional[str] = None
    reason: str
    sample: int
    samples: int
    inserted_silence: int = 0


class Error(_Msg):
    """An error caused by the client message whose ``id`` is ``reply_to`` (None if unknown)."""

    type: Literal["error"] = "error"
    reply_to: Optional[str] = None
    code: str
    message: str


class Warning(_Msg):
    """Something the client should know that did not stop its request (e.g. text the voice
    cannot speak well). ``utt``: the utterance concerned, if any."""

    type: Literal["warning"] = "warning"
    reply_to: Optional[str] = None
    utt: Optional[str] = None
    code: str
    message: str


class Pong(_Msg):
    """Answer to ``ping``: both clocks (µs), the daemon's media clock on the timeline and the
    last playback position the client reported (``played``, None before any ``playback``)."""

    type: Literal["pong"] = "pong"
    reply_to: Optional[str] = None
    client_time_us: int
    server_time_us: int
    sample: int
    played: Optional[int] = None


class PartnerSpeechStarted(_Msg):
    """Voice activity in the microphone: the partner's speech began at timeline ``sample``."""

    type: Literal["partner_speech_started"] = "partner_speech_started"
    sample: int


class PartnerSpeechStopped(_Msg):
    """The partner's speech ended at timeline ``sample`` after ``samples`` samples of speech."""

    type: Literal["partner_speech_stopped"] = "partner_speech_stopped"
    sample: int
    samples: int


class Interrupted(_Msg):
    """The partner barged in: ``utt`` stopped at timeline ``sample`` (the first sample not sent).

    ``samples_sent``: how many of its samples were sent; ``samples_played``: how many the
    listener heard (from the client's ``playback`` reports, else the daemon's clock; <= sent);
    ``words_spoken``/``text_spoken``: the texts of the word marks that had fully played (a mark
    covering two words is one entry). ``partner_sample``: where
    the partner's speech began."""

    type: Literal["interrupted"] = "interrupted"
    utt: str
    reply_to: Optional[str] = None
    sample: int
    samples_sent: int
    samples_played: int
    words_spoken: list[str]
    text_spoken: str
    partner_sample: int


class TranscriptWord(_Msg):
    """One word of a transcript on ``[start, end)``, timeline samples."""

    text: str
    start: int
    end: int


class PartnerTranscript(_Msg):
    """What the partner said (PROTOCOL.md §11): ``text`` spoken on ``[start, end)`` (timeline
    samples, the unit and timeline of ``partner_speech_started/stopped.sample``), ``language``
    (the code the model detected or was told, e.g. "en"), ``confidence`` 0-1, ``final`` False for
    an interim result (superseded by later ones with the same ``start``), ``model`` the backend
    ("tiny.en", "base", "pocketsphinx"), ``words`` when the model gives word timings."""

    type: Literal["partner_transcript"] = "partner_transcript"
    text: str
    start: int
    end: int
    language: str
    confidence: float
    final: bool
    model: str
    words: list[TranscriptWord] = []


SERVER_TYPES: dict[str, type[_Msg]] = {
    "welcome": Welcome, "configured": Configured, "audio": Audio, "face": Face, "mark": Mark,
    "utterance_started": UtteranceStarted, "utterance_finished": UtteranceFinished,
    "utterance_cancelled": UtteranceCancelled, "error": Error, "warning": Warning, "pong": Pong,
    "partner_speech_started": PartnerSpeechStarted, "partner_speech_stopped": PartnerSpeechStopped,
    "interrupted": Interrupted, "partner_transcript": PartnerTranscript,
}
ALL_TYPES: dict[str, type[_Msg]] = {**CLIENT_TYPES, **SERVER_TYPES}
