"""Word marks on a long take: overlaps and coverage, before (proportional spread over espeak's
word groups, as FacePlex did up to commit 1d779d0) and after (``models/speech/words.py``).

Synthesizes the ~2,000-word take of ``tests/long_text.py`` clause by clause with the real Piper
voice (``noise=False``) and prints one JSON line:
``{"words": N, "before": {"overlapping_words": ..}, "after": {..}}``. Run:
``nice -n 19 .venv/bin/python bench/bench_words.py``.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from long_text import long_text  # noqa: E402

from faceplex.models.speech.piper_voice import PAUSE_SYMBOLS, Voice  # noqa: E402
from faceplex.models.speech.text import split_clauses  # noqa: E402

_OLD_WORD = re.compile(r"[\w'’]+(?:[-‑][\w'’]+)*", re.UNICODE)


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


def stats(per_chunk: list[list[tuple[str, int, int]]], lengths: list[int]) -> dict:
    overlapping, outside, marks, words = set(), 0, 0, 0
    for c, marks_c in enumerate(per_chunk):
        for k, (w, s, e) in enumerate(marks_c):
            marks += 1
            words += len(w.split())
            if s < 0 or e > lengths[c] or e <= s:
                outside += 1
            for k2, (_, s2, e2) in enumerate(marks_c):
                if k2 != k and s < e2 and s2 < e:
                    overlapping.add((c, k))
    return {"overlapping_words": len(overlapping), "marks_outside_chunk": outside, "marks": marks,
            "words_in_marks": words}


def main() -> None:
    voice = Voice.default()
    before, after, lengths, n_words, merged = [], [], [], 0, 0
    for sentence in long_text():
        for clause in split_clauses(sentence):
            n_words += len(clause.split())
            chunks = list(voice.synthesize(clause, noise=False))
            # The alignment symbols of each chunk, as the voice used them.
            aligned = [(list(a.phoneme for a in pc.phoneme_alignments), [int(a.num_samples) for a in pc.phoneme_alignments])
                       for pc in voice._voice.synthesize(clause, syn_config=_quiet(), include_alignments=True)]
            before += old_marks(clause, aligned)
            after += [[(w.text, w.start, w.end) for w in c.words] for c in chunks]
            lengths += [c.num_samples for c in chunks]
            merged += sum(1 for c in chunks for w in c.words if " " in w.text)
    print(json.dumps({"words": n_words, "before": stats(before, lengths), "after": {**stats(after, lengths),
                                                                                    "merged_marks": merged}}))


def _quiet():
    from piper import SynthesisConfig

    return SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)


if __name__ == "__main__":
    main()
