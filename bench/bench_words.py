"""Word marks on a long take, before (as shipped up to commit 1d779d0: raw text to Piper, words
spread over espeak's word groups proportionally) and after (normalized text, exact marks from
``models/speech/words.py``).

The ~2,000-word take of ``tests/long_text.py`` is synthesized clause by clause with the real
Piper voice (``noise=False``) both ways. Printed as one JSON line, for each way:

- ``overlapping_words``: word marks that overlap another mark of their chunk;
- ``marks``/``merged_marks``/``words_without_mark``;
- ``start_error_ms``: against an independent reference, PocketSphinx forced alignment of the
  audio itself (16 kHz, the normalized words as transcript), for marks of plain dictionary words
  matched in order: the signed median (mark minus reference: Piper's alignment runs late by a
  roughly constant offset, issue 11's lip lag), |error| median/p90/share over 50 ms, and the
  same around the signed median (what the word segmentation itself gets wrong).

Run: ``nice -n 19 .venv/bin/python bench/bench_words.py`` (about 10 minutes on 2 busy cores;
``--words 500`` for a shorter take).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from long_text import long_text  # noqa: E402

from faceplex.models.speech.align import ALIGN_RATE, aligner  # noqa: E402
from faceplex.models.speech.normalize import normalize  # noqa: E402
from faceplex.models.speech.contract import PAUSE_SYMBOLS
from faceplex.models.speech.piper_voice import Voice  # noqa: E402
from faceplex.models.speech.text import split_clauses  # noqa: E402

_OLD_WORD = re.compile(r"[\w'’]+(?:[-‑][\w'’]+)*", re.UNICODE)
_PLAIN = re.compile(r"[a-z]+")


def old_marks(text: str, alignments) -> list[list[tuple[str, int, int]]]:
    """The word timing FacePlex used before: words spread over espeak's groups proportionally."""
    words = _OLD_WORD.findall(text)
    out = []
    for i, (symbols, counts) in enumerate(alignments):
        groups, pos, start = [], 0, None
        for sym, n in zip(symbols, counts):
            if sym.isspace() or sym in PAUSE_SYMBOLS:
                if start is not None:
                    groups.append((start, pos))
                    start = None
            elif start is None:
                start = pos
            pos += n
        if start is not None:
            groups.append((start, pos))
        take = len(words) if i == len(alignments) - 1 else min(len(groups), len(words))
        chunk_words, words = words[:take], words[take:]
        if not chunk_words or not groups:
            out.append([])
        elif len(chunk_words) == len(groups):
            out.append([(w, s, e) for w, (s, e) in zip(chunk_words, groups)])
        else:
            marks = []
            for k, w in enumerate(chunk_words):
                g0 = int(math.floor(k * len(groups) / len(chunk_words)))
                g1 = max(g0, int(math.ceil((k + 1) * len(groups) / len(chunk_words))) - 1)
                marks.append((w, groups[g0][0], groups[g1][1]))
            out.append(marks)
    return out


def reference_words(audio: np.ndarray, rate: int, transcript: str) -> list[tuple[str, float]]:
    """PocketSphinx forced alignment of ``audio``: (word, start in seconds), in order."""
    import soxr

    pcm16 = soxr.resample(audio.astype(np.float32) / 32768.0, rate, ALIGN_RATE)
    pcm16 = np.clip(pcm16 * 32768.0, -32768, 32767).astype(np.int16)
    _, words = aligner().align(pcm16, transcript)
    return [(w.lower(), s / ALIGN_RATE) for w, s, _ in words]


def start_errors(marks: list[tuple[str, float]], ref: list[tuple[str, float]]) -> list[float]:
    """mark start - reference start in ms for plain-word marks matched in order to the reference."""
    out, k = [], 0
    for text, start in marks:
        w = text.lower()
        if not _PLAIN.fullmatch(w):
            continue
        for j in range(k, min(k + 4, len(ref))):
            if ref[j][0] == w:
                out.append((start - ref[j][1]) * 1000.0)
                k = j + 1
                break
    return out


def summary(per_chunk, lengths, errors, words_total) -> dict:
    overlapping, marks, merged, covered = set(), 0, 0, 0
    for c, marks_c in enumerate(per_chunk):
        for k, (w, s, e) in enumerate(marks_c):
            marks += 1
            merged += " " in w
            covered += len(w.split())
            for k2, (_, s2, e2) in enumerate(marks_c):
                if k2 != k and s < e2 and s2 < e:
                    overlapping.add((c, k))
    signed = np.asarray(errors) if errors else np.zeros(1)
    err = np.abs(signed)
    spread = np.abs(signed - np.median(signed))  # without Piper's constant alignment offset
    return {"overlapping_words": len(overlapping), "marks": marks, "merged_marks": merged,
            "words_without_mark": max(0, words_total - covered),
            "start_error_ms": {"matched": len(errors), "median_signed": round(float(np.median(signed)), 1),
                               "median": round(float(np.median(err)), 1),
                               "p90": round(float(np.percentile(err, 90)), 1),
                               "over_50ms": round(float(np.mean(err > 50)), 3),
                               "p90_around_median": round(float(np.percentile(spread, 90)), 1),
                               "over_50ms_around_median": round(float(np.mean(spread > 50)), 3)}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=2000)
    args = ap.parse_args()
    from piper import SynthesisConfig

    voice = Voice.default()
    quiet = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    rate = voice.sample_rate
    ways = {"before": ([], [], []), "after": ([], [], [])}
    n_words = 0
    for sentence in long_text(args.words):
        for clause in split_clauses(sentence):
            n_words += len(clause.split())
            spoken, _ = normalize(clause)
            # before: the raw clause to Piper, proportional marks
            raw = list(voice._voice.synthesize(clause, syn_config=quiet, include_alignments=True))
            aligned = [([a.phoneme for a in pc.phoneme_alignments], [int(a.num_samples) for a in pc.phoneme_alignments])
                       for pc in raw]
            marks_b = old_marks(clause, aligned)
            audio_b = [pc.audio_int16_array.reshape(-1) for pc in raw]
            # after: the voice as it ships now
            chunks = list(voice.synthesize(clause, noise=False))
            marks_a = [[(w.text, w.start, w.end) for w in c.words] for c in chunks]
            audio_a = [c.audio for c in chunks]
            for way, marks, audio in (("before", marks_b, audio_b), ("after", marks_a, audio_a)):
                per_chunk, lengths, errors = ways[way]
                per_chunk += marks
                lengths += [len(a) for a in audio]
                whole = np.concatenate(audio)
                offsets = np.cumsum([0] + [len(a) for a in audio])
                timed = [(w, (offsets[c] + s) / rate) for c, mk in enumerate(marks) for w, s, _ in mk]
                errors += start_errors(timed, reference_words(whole, rate, spoken))
    print(json.dumps({"words": n_words, **{way: summary(pc, ln, er, n_words) for way, (pc, ln, er) in ways.items()}}))


if __name__ == "__main__":
    main()
