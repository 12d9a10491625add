"""Golden vectors: one canonical example of every v1 message, as msgpack bytes and a JSON twin.

``python -m faceplex.protocol.golden --write`` regenerates ``protocol/vectors/``; the tests check
that the committed files equal what this module produces and that decode -> encode is identity.
JSON twin convention: a bin field is ``{"$bin": "<base64>"}``; floats are float32 values.
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path
from typing import Any

import numpy as np

from . import messages as m
from .codec import encode
from .names import FRAME_CHANNELS

VECTOR_DIR = Path(__file__).resolve().parent / "vectors"


def _f32(x: float) -> float:
    return float(np.float32(x))


def examples() -> dict[str, m._Msg]:
    """Name -> message; names are the vector file stems."""
    face_values = [_f32(0.0)] * len(FRAME_CHANNELS)
    face_values[0] = _f32(0.75)      # eyeBlinkLeft
    face_values[17] = _f32(0.3125)   # jawOpen
    face_values[18] = _f32(0.1)      # mouthClose (not exact in float32: tests the float32 path)
    face_values[52] = _f32(-0.05)    # headYaw, radians
    pcm = np.array([0, 1, -1, 32767, -32768, 1234], dtype="<i2").tobytes()
    cfg = {"lead_ms": 150, "audio_chunk_ms": 40, "max_backlog_ms": 1000, "stall_timeout_ms": 5000,
           "voice": "en_US-joe-medium", "speed": 1.0, "expressiveness": 1.0, "emotion": "neutral", "emotion_intensity": 0.5,
           "blink_rate_per_min": 17.0,
           "idle_motion": True, "seed": 0,
           "interruption": "interrupt", "min_interruption_ms": 400, "resume_false_interruption": False,
           "false_interruption_timeout_ms": 2000, "vad_threshold": 0.5, "vad_silence_ms": 500,
           "lipsync_lookahead_ms": 200, "transcription": "auto", "transcription_language": "auto",
           "transcription_hints": ["Aldric", "Thornwood"]}
    return {
        "hello": m.Hello(id="c1", audio=m.AudioFormat(sample_rate=48000), face=m.FaceFormat(fps=60), client="golden/1",
                         token="tXq3-9sVb2K8mP0wLz7YhA"),
        "hello_minimal": m.Hello(),
        "config": m.Config(id="c2", settings={"lead_ms": 200, "expressiveness": 1.5}),
        "say": m.Say(id="c3", utt="u1", text="Hello there, traveller.", style=m.Style(speed=1.25)),
        "say_emotion": m.Say(id="c11", utt="u3", text="We won!", style=m.Style(emotion="happy", emotion_intensity=0.75)),
        "say_append": m.Say(id="c4", utt="u2", text=" and then", append=True, final=False),
        "cancel": m.Cancel(id="c5", utt="u1"),
        "cancel_all": m.Cancel(),
        "ping": m.Ping(id="c6", client_time_us=1234567890123),
        "playback": m.Playback(id="c7", utt="u1", sample=101234, client_time_us=1234567990123),
        "mic": m.Mic(id="c8", sample_rate=48000, channels=2, pcm=pcm[:8]),
        "lipsync": m.Lipsync(id="c10", utt="l1", sample_rate=16000, channels=1, pcm=pcm,
                             text="Peter bought a map.", final=False),
        "lipsync_final": m.Lipsync(utt="l1", sample_rate=16000, channels=1, pcm=pcm[:4], final=True),
        "welcome": m.Welcome(reply_to="c1", session="s1", server="faceplex/0.1.0",
                             audio=m.AudioFormat(sample_rate=48000),
                             face=m.FaceFormatInfo(fps=60, channels=list(FRAME_CHANNELS)),
                             voices=["en_US-joe-medium", "ef_dora"], config=cfg,
                             limits=m.Limits(max_message_bytes=65536, max_text_chars=2000,
                                             max_pending_chars=20000, max_queued_utterances=16),
                             voice_catalog=[
                                 m.VoiceInfo(id="en_US-joe-medium", language="en-US", gender="male", accent="American",
                                             sample_rate=22050, engine="piper"),
                                 m.VoiceInfo(id="ef_dora", language="es", gender="female", accent=None,
                                             sample_rate=24000, engine="kokoro")],
                             features=m.Features(
                                 vad=m.VadFeature(available=True),
                                 transcription=m.TranscriptionFeature(available=True, models=["tiny.en", "base"],
                                                                      default="tiny.en", fallback="pocketsphinx"))),
        "configured": m.Configured(reply_to="c2", config={**cfg, "lead_ms": 200, "expressiveness": 1.5}),
        "audio": m.Audio(utt="u1", seq=7, sample=96000, pcm=pcm),
        "face": m.Face(utt="u1", seq=121, frame=121, sample=96800, values=face_values),
        "face_idle": m.Face(utt=None, seq=3, frame=3, sample=2400, values=[_f32(0.0)] * len(FRAME_CHANNELS)),
        "mark_word": m.Mark(utt="u1", kind="word", sample=96000, end=110400, text="Hello"),
        "mark_phoneme": m.Mark(utt="u1", kind="phoneme", sample=103000, end=105000, text="ʊ", viseme="ou"),
        "utterance_started": m.UtteranceStarted(utt="u1", reply_to="c3", sample=96000),
        "utterance_finished": m.UtteranceFinished(utt="u1", sample=192000, samples=96000, inserted_silence=1920),
        "utterance_cancelled": m.UtteranceCancelled(utt="u1", reply_to="c5", reason="client", sample=120000, samples=24000),
        "error": m.Error(reply_to="c9", code="unknown_type", message="unknown message type 'dance'"),
        "warning": m.Warning(reply_to="c3", utt="u1", code="language_not_supported",
                             message="the text looks like French; the voice en_US-joe-medium speaks English"),
        "partner_speech_started": m.PartnerSpeechStarted(sample=150000),
        "partner_speech_stopped": m.PartnerSpeechStopped(sample=198000, samples=48000),
        "interrupted": m.Interrupted(utt="u1", reply_to="c3", sample=168000, samples_sent=72000,
                                     samples_played=64800, words_spoken=["Hello", "there"],
                                     text_spoken="Hello there", partner_sample=150000),
        "mic_end": m.MicEnd(id="c12"),
        "partner_transcript": m.PartnerTranscript(
            text="Where is the old mill?", start=150000, end=198000, language="en", confidence=_f32(0.875), final=True,
            model="tiny.en", words=[m.TranscriptWord(text="Where", start=150000, end=158400),
                                    m.TranscriptWord(text="is", start=158400, end=163200),
                                    m.TranscriptWord(text="the", start=163200, end=168000),
                                    m.TranscriptWord(text="old", start=168000, end=177600),
                                    m.TranscriptWord(text="mill?", start=177600, end=198000)]),
        "partner_transcript_interim": m.PartnerTranscript(
            text="Where is the", start=150000, end=168000, language="en", confidence=_f32(0.5), final=False,
            model="tiny.en", words=[]),
        "pong": m.Pong(reply_to="c6", client_time_us=1234567890123, server_time_us=987654321, sample=4410000, played=4402000),
    }


def to_json_twin(obj: Any) -> Any:
    """msgpack-decoded value -> JSON-able value (bin -> {"$bin": base64})."""
    if isinstance(obj, (bytes, bytearray)):
        return {"$bin": base64.b64encode(bytes(obj)).decode("ascii")}
    if isinstance(obj, dict):
        return {k: to_json_twin(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json_twin(v) for v in obj]
    return obj


def from_json_twin(obj: Any) -> Any:
    """Inverse of :func:`to_json_twin`."""
    if isinstance(obj, dict):
        if set(obj) == {"$bin"}:
            return base64.b64decode(obj["$bin"])
        return {k: from_json_twin(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_json_twin(v) for v in obj]
    return obj


def render() -> dict[str, tuple[bytes, str]]:
    """Name -> (msgpack bytes, JSON text) for every example."""
    out = {}
    for name, msg in examples().items():
        data = encode(msg)
        out[name] = (data, json.dumps(to_json_twin(msg.model_dump(mode="python")), indent=1, ensure_ascii=False) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite protocol/vectors/")
    args = parser.parse_args()
    for name, (data, text) in render().items():
        if args.write:
            VECTOR_DIR.mkdir(exist_ok=True)
            (VECTOR_DIR / f"{name}.msgpack").write_bytes(data)
            (VECTOR_DIR / f"{name}.json").write_text(text, encoding="utf-8")
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
