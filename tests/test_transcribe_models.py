"""The transcription backends and the per-session streaming state on recorded espeak-ng lines
(synthetic voices FacePlex never uses), run for real: Whisper tiny.en (CTranslate2) and
PocketSphinx, the worker process and its cancel. No timing asserts: counts, order, words."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from faceplex.models.asr import models
from faceplex.models.asr.result import Hypothesis
from faceplex.models.asr.stream import MAX_SEGMENT_S, PREROLL_S, TranscriptStream
from faceplex.models.asr.whisper import trim_repeat
from faceplex.models.audio.vad import SileroVad, VadSegmenter

from transcribe_util import KEY_WORDS, LINE, espeak, needs_espeak, needs_whisper, to16k, words_of

OUT_RATE = 24000


@pytest.fixture(scope="module")
def line16():
    x, sr = espeak(LINE)
    return to16k(x, sr)


@pytest.fixture(scope="module")
def tiny():
    from faceplex.models.asr.whisper import WhisperEngine

    return WhisperEngine(models.tiny_en_dir(), models.TINY_EN)


def test_trim_repeat_cuts_a_second_reading_but_not_the_prefix():
    assert trim_repeat([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 9], 0) == [1, 2, 3, 4, 5, 6]
    assert trim_repeat([1, 2, 3, 4, 1, 2, 3, 4, 9], 8) == [1, 2, 3, 4, 1, 2, 3, 4, 9]
    assert trim_repeat([1, 2, 3, 4, 5, 6, 7], 0) == [1, 2, 3, 4, 5, 6, 7]


def test_pick_prefers_tiny_en_for_english_and_falls_back_to_pocketsphinx():
    assert models.pick("auto", "auto", ["tiny.en", "pocketsphinx"]) == "tiny.en"
    assert models.pick("auto", "es", ["tiny.en", "pocketsphinx"]) == "pocketsphinx"
    assert models.pick("auto", "es", ["tiny.en", "base", "pocketsphinx"]) == "base"
    assert models.pick("auto", "en-GB", ["pocketsphinx"]) == "pocketsphinx"
    assert models.pick("off", "auto", ["tiny.en", "pocketsphinx"]) is None
    feat = models.transcription_feature(["pocketsphinx"])
    assert feat == {"available": True, "models": [], "default": None, "fallback": "pocketsphinx"}
    feat = models.transcription_feature(["tiny.en", "pocketsphinx"])
    assert feat == {"available": True, "models": ["tiny.en"], "default": "tiny.en", "fallback": "pocketsphinx"}


@needs_espeak
@needs_whisper
def test_whisper_reads_the_line_with_word_timings_inside_the_audio(line16, tiny):
    h = tiny.transcribe(line16, words=True, prompt="Miranda")
    got = words_of(h.text)
    assert all(k in got for k in KEY_WORDS), h.text
    assert h.model == "tiny.en" and h.language == "en" and 0 < h.confidence <= 1
    assert len(h.words) >= 10
    starts = [a for _, a, _ in h.words]
    assert starts == sorted(starts)
    assert all(0 <= a <= b <= len(line16) / 16000 + 0.05 for _, a, b in h.words)
    # the words' own text makes the transcript (punctuation attached to its word)
    assert words_of(" ".join(w for w, _, _ in h.words)) == got


@needs_espeak
@needs_whisper
def test_whisper_reads_silence_as_nothing(tiny):
    assert tiny.transcribe(np.zeros(32000, np.float32)).text == ""


@needs_espeak
def test_pocketsphinx_fallback_gives_timed_words_inside_the_audio(line16):
    from faceplex.models.asr.sphinx import SphinxEngine

    h = SphinxEngine().transcribe(line16, words=True)
    assert h.model == "pocketsphinx" and h.text and len(h.words) >= 5
    assert 0 < h.confidence < 1      # the words' posteriors (it read 1.0 for everything before)
    assert all(0 <= a < b <= len(line16) / 16000 + 0.05 for _, a, b in h.words)


def _stream_line(stream: TranscriptStream, x16: np.ndarray, run, t0: int = 5000):
    """Feed ``x16`` (with 0.5 s of silence before and 1 s after) in 40 ms chunks with the real
    VAD's start/stop, running each due job with ``run`` at once; returns the messages."""
    x = np.concatenate([np.zeros(8000, np.float32), x16, np.zeros(16000, np.float32)])
    vad, seg = SileroVad(), VadSegmenter()
    out = []
    for i in range(0, len(x), 640):
        chunk = x[i:i + 640]
        stream.audio(chunk, t0 + i * OUT_RATE // 16000)
        base = vad.windows
        for k, p in enumerate(vad.push(chunk)):
            for kind, w in seg.step(base + k, float(p)):
                t = t0 + w * 512 * OUT_RATE // 16000
                (stream.speech_started if kind == "start" else stream.speech_stopped)(t)
                out.append(("event", kind, t))
        job = stream.next_job("tiny.en", "en")
        if job is not None:
            msg = stream.finish(job, run(job))
            if msg is not None:
                out.append(("transcript", msg))
    return out


@needs_espeak
@needs_whisper
def test_stream_sends_interims_then_one_final_that_supersedes_them(line16, tiny):
    stream = TranscriptStream(OUT_RATE)
    out = _stream_line(stream, line16, lambda j: tiny.transcribe(j.audio, prefix=j.prefix, words=j.final))
    kinds = [o[1] if o[0] == "event" else ("final" if o[1]["final"] else "interim") for o in out]
    assert kinds.count("start") == 1 and kinds.count("stop") == 1 and kinds.count("final") == 1
    assert kinds.index("start") < kinds.index("interim") < kinds.index("stop") < kinds.index("final")
    msgs = [o[1] for o in out if o[0] == "transcript"]
    final = msgs[-1]
    assert all(m["start"] == final["start"] for m in msgs)     # interims of the same stretch
    assert all(k in words_of(final["text"]) for k in KEY_WORDS), final["text"]
    start_ev = next(o[2] for o in out if o[0] == "event" and o[1] == "start")
    stop_ev = next(o[2] for o in out if o[0] == "event" and o[1] == "stop")
    assert final["end"] == stop_ev and final["start"] == start_ev
    ws = final["words"]
    assert ws and all(start_ev - PREROLL_S * OUT_RATE <= w["start"] <= w["end"] <= stop_ev + OUT_RATE // 5 for w in ws)
    assert stream.held_samples() <= PREROLL_S * 16000 + 640 and not stream.pending()


@needs_espeak
@needs_whisper
def test_a_ten_minute_talker_is_cut_into_bounded_segments(line16, tiny):
    """Speech that never stops (the line over and over, 75 s): the stream never holds more than
    one full segment plus the one waiting for its final, and every segment gets a final whose
    span follows the last one's."""
    stream = TranscriptStream(OUT_RATE)
    talk = np.tile(line16, 16)[: int(75 * 16000)]
    stream.audio(np.zeros(1600, np.float32), 0)
    stream.speech_started(1600 * OUT_RATE // 16000)
    finals, most = [], 0
    for i in range(0, len(talk), 16000):
        stream.audio(talk[i:i + 16000], (1600 + i) * OUT_RATE // 16000)
        most = max(most, stream.held_samples())
        job = stream.next_job("tiny.en", "en", interims=False)
        if job is not None:
            assert len(job.audio) <= MAX_SEGMENT_S * 16000
            finals.append(stream.finish(job, tiny.transcribe(job.audio[: 16000 * 3])))   # the first 3 s: enough here
    # 75 s: cut at the quietest block of each segment's last 2 s, so 23-25 s each: 3 finals so far
    assert len(finals) == 3
    assert all(a["end"] == b["start"] for a, b in zip(finals, finals[1:]))
    assert all((MAX_SEGMENT_S - 2) * OUT_RATE <= f["end"] - f["start"] <= MAX_SEGMENT_S * OUT_RATE for f in finals[1:])
    assert most <= (2 * MAX_SEGMENT_S + 1) * 16000


@needs_whisper
def test_the_worker_pool_drops_a_cancelled_sessions_jobs(line16):
    """A session that closes with jobs queued: none of them runs for it, none is left pending."""
    from faceplex.models.asr.stream import Job
    from faceplex.models.asr.worker import TranscribePool

    pool = TranscribePool()
    try:
        got: list = []
        done = threading.Event()
        job = Job(1, 1, True, line16[:16000], 0, 0, "tiny.en", "en", "", "")
        gate = threading.Event()
        # occupy the dispatcher with a first session's job, then queue two for "b" and cancel
        pool.submit("a", job, False, lambda j, h, e: (got.append(("a", h, e)), done.set()))
        pool.submit("b", job, False, lambda j, h, e: got.append(("b", h, e)))
        pool.submit("b", job, True, lambda j, h, e: got.append(("b", h, e)))
        pool.cancel("b")
        assert pool.pending("b") == 0
        assert done.wait(120)
        pool.submit("c", job, False, lambda j, h, e: gate.set())
        assert gate.wait(120)
        assert [g[0] for g in got] == ["a"] and isinstance(got[0][1], Hypothesis) and got[0][2] is None
        assert pool.pending("b") == 0
    finally:
        pool.close()


def test_the_languages_the_settings_accept_are_the_ones_whisper_knows():
    """``transcription_language`` is checked against :data:`models.WHISPER_LANGUAGES`; that list
    must be what the runtime accepts (faster-whisper's codes, less large-v3's ``yue``) and what
    the installed model's own tokenizer has a language token for (it spells Hebrew ``iw``)."""
    import json
    import re

    assert len(models.WHISPER_LANGUAGES) == 99
    assert models.known_language("auto") and models.known_language("pt-BR") and models.known_language("EN")
    assert not models.known_language("xx") and not models.known_language("yue")
    fw = pytest.importorskip("faster_whisper.tokenizer")
    assert models.WHISPER_LANGUAGES == set(fw._LANGUAGE_CODES) - {"yue"}
    d = models.tiny_en_dir()
    if d is not None:
        added = json.loads((d / "tokenizer.json").read_text())["added_tokens"]
        tokens = {a["content"][2:-2] for a in added if re.fullmatch(r"<\|[a-z]{2,3}\|>", a["content"])}
        assert models.WHISPER_LANGUAGES == (tokens - {"iw"}) | {"he"}
