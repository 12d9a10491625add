"""``faceplex eval``: rules vs RFM on held-out takes, run the way the daemon runs them, one table.

In ``bridge/outputs`` (it was ``models/rfm/eval.py``): its live columns stream the partner's
track through the daemon's own :class:`~faceplex.bridge.listening.listener.MicListener`, and
models import nothing of ``bridge``. The measures themselves are :mod:`faceplex.models.rfm.measures`.

Takes: any folder of takes (corpus format, :mod:`faceplex.models.rfm.corpus`, or captured Live Link Face takes:
``NAME.wav`` + ``NAME.csv`` [+ ``NAME.txt``, ``partner.wav``]). Build the held-out sets with
sentences training never drew (``--split heldout``) and with voices training never heard
(``--voices unseen``): see ``models/rfm/weights/RECIPE.md``.

Backends (columns):

- ``rules``: the phoneme-driven FaceAnimator with the take's exact phones (offline);
- ``rules audio-only``: the same driven by PocketSphinx phone recognition of the audio (what the
  ``lipsync`` path does for audio without a transcript);
- ``rfm`` / ``rfm audio-only`` (phones known / withheld), each **offline** (every clause and the
  whole partner track known up front) and **live**: streamed as the daemon does -- session frames
  asked for in order, the media clock ``lead_ms`` (150) behind them; each clause placed
  ``place_ahead_s`` (0.6, > the model's 0.4 s look-ahead: contract 3) before it plays; the
  partner track pushed as 20 ms ``mic`` chunks at the clock through the daemon's own
  :class:`~faceplex.bridge.listening.listener.MicListener` (Silero VAD, echo gate against our own output),
  its VAD decisions and echo-gated audio handed to the animator exactly as ``bridge/session/listening.py``
  does.

Measures (:mod:`faceplex.models.rfm.measures`): against an independent PocketSphinx forced alignment of the audio
(not the teacher): p/b/m held shut >= 2 frames and its timing error, open vowels opened; jaw-audio
envelope lag; mouth velocity and jerk; upper-face motion while the partner speaks (and its frozen
windows); variety across seeds; graph calls per commit (live); and, for information only, the mean
error against the reference take (on the synthetic corpus that is the rules teacher, so it
rewards copying it; on captured takes it is the actor).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceplex.bridge.outputs.take import read_live_link_csv, read_wav, resample_frames
from faceplex.models.face.visemes import MOUTH_INDEX
from faceplex.models.speech.contract import SpeechChunk, TimedPhoneme
from faceplex.protocol.names import ARKIT_52, CHANNEL_INDEX, NUM_CHANNELS

from faceplex.models.rfm import measures as M

_C = CHANNEL_INDEX
_NS = len(ARKIT_52)
UPPER = M.UPPER
BACKENDS = ("rules", "rules audio-only", "rfm offline", "rfm live", "rfm audio-only offline", "rfm audio-only live")
LEAD_MS = 150
PLACE_AHEAD_S = 0.6
MIC_MS = 20


@dataclass
class EvalTake:
    name: str
    sr: int
    own: np.ndarray
    partner: np.ndarray | None
    clauses: list[tuple[SpeechChunk, float]]
    phones: list[dict]
    ref: np.ndarray          # (F, 59) reference frames
    ref_times: np.ndarray    # (F,) s, zeroed at the take's first row
    meta: dict


def find_eval_takes(root: Path) -> list[tuple[Path, Path]]:
    """``(wav, csv)`` pairs under ``root`` (``take.*`` or any ``NAME.wav`` + ``NAME.csv``)."""
    from faceplex.models.rfm.data import find_takes

    return find_takes(Path(root))


def load_eval_take(wav: Path, csv: Path | None = None) -> EvalTake:
    wav = Path(wav)
    if wav.is_dir():   # a corpus take folder
        wav = wav / "take.wav"
    csv = Path(csv) if csv is not None else wav.with_suffix(".csv")
    d, stem = wav.parent, wav.stem
    audio, sr = read_wav(wav)
    own = audio[:, 0]
    partner = read_wav(d / "partner.wav")[0][:, 0] if (d / "partner.wav").exists() else None
    meta_p = d / f"{stem}.json"
    meta = json.loads(meta_p.read_text()) if meta_p.exists() else {}
    ph_p = d / f"{stem}.phonemes.json"
    pj = json.loads(ph_p.read_text()) if ph_p.exists() else {"phonemes": [], "sample_rate": sr}
    scale = sr / int(pj.get("sample_rate", sr))
    phones = [{"phoneme": p["phoneme"], "start": int(p["start"] * scale), "end": int(p["end"] * scale)}
              for p in pj["phonemes"]]
    spans = meta.get("clauses")
    if spans is None:   # a captured take: one clause, the transcript if there is one
        txt = d / f"{stem}.txt"
        spans = [{"start_s": 0.0, "end_s": own.shape[0] / sr, "text": txt.read_text().strip() if txt.exists() else ""}]
    clauses = []
    for c in spans:
        a, b = int(round(c["start_s"] * sr)), int(round(c["end_s"] * sr))
        ph = [TimedPhoneme(p["phoneme"], p["start"] - a, p["end"] - a) for p in phones if a <= p["start"] < b]
        clauses.append((SpeechChunk(text=c.get("text", ""), sample_rate=sr, audio=own[a:b].copy(), phonemes=ph), a / sr))
    from faceplex.models.rfm.capture import read_take_csv

    times, frames, _ = read_take_csv(csv)
    return EvalTake(d.name if stem == "take" else f"{d.name}/{stem}", sr, own, partner, clauses, phones, frames,
                    times, meta)


def _strip(chunk: SpeechChunk) -> SpeechChunk:
    return SpeechChunk(text=chunk.text, sample_rate=chunk.sample_rate, audio=chunk.audio, phonemes=[])


def recognized(chunk: SpeechChunk) -> SpeechChunk:
    """The chunk with its phones replaced by PocketSphinx phone recognition of its audio (16 kHz)."""
    from faceplex.models.speech.align import aligner, to_chunk

    from faceplex.models.rfm.features import to_16k

    x16 = np.clip(np.round(to_16k(chunk.audio, chunk.sample_rate) * 32768.0), -32768, 32767).astype(np.int16)
    return to_chunk(x16, aligner().recognize(x16), [], chunk.text)


def animate_offline(anim, tk: EvalTake, n: int, clauses) -> np.ndarray:
    for chunk, start in clauses:
        anim.add_speech(chunk, start)
    if tk.partner is not None:
        from faceplex.models.rfm.features import to_16k

        if hasattr(anim, "partner_offline"):
            anim.partner_offline(to_16k(tk.partner, tk.sr), 0.0)
        elif hasattr(anim, "add_partner_audio"):
            anim.add_partner_audio(to_16k(tk.partner, tk.sr), 0.0)
            for kind, at in partner_turns(tk):
                anim.partner_turn(kind, at)
    return anim.frames(0, n)


def animate_live(anim, tk: EvalTake, n: int, fps: int, clauses, lead_ms: int = LEAD_MS,
                 place_ahead_s: float = PLACE_AHEAD_S, mic_ms: int = MIC_MS) -> np.ndarray:
    """Stream the take through ``anim`` as the daemon does (module docstring); session rate = the
    take's rate, mic at 16 kHz."""
    from faceplex.bridge.listening.listener import MicListener

    from faceplex.models.rfm.features import to_16k

    sr = tk.sr
    listener = MicListener(sr)
    mic = None
    if tk.partner is not None:
        mic = np.clip(np.round(to_16k(tk.partner, sr) * 32768.0), -32768, 32767).astype("<i2")
    step = 16000 * mic_ms // 1000
    pending = sorted(clauses, key=lambda c: c[1])
    sent16 = 0
    played = 0
    out = []
    for k in range(n):
        clock_s = k / fps - lead_ms / 1000.0
        while pending and pending[0][1] - place_ahead_s <= clock_s:
            chunk, start = pending.pop(0)
            anim.add_speech(chunk, start)
        clock = int(clock_s * sr)
        if clock > played:   # what the avatar has played, for the echo gate
            listener.note_output(played, tk.own[played:clock].astype(np.int16))
            played = clock
        while mic is not None and (sent16 + step) / 16000 <= clock_s and sent16 < mic.shape[0]:
            pcm = mic[sent16:sent16 + step]
            now = int((sent16 + pcm.shape[0]) / 16000 * sr)
            events, audio = listener.push(pcm.tobytes(), 16000, 1, now, (sent16 + pcm.shape[0]) / 16000,
                                          0.5, 500, 400, None, None)
            if audio is not None and len(audio[0]):
                anim.add_partner_audio(listener.echo_gated(audio[0], audio[1], None), audio[1] / sr)
            for ev in events:
                if ev[0] in ("start", "stop") and hasattr(anim, "partner_vad"):
                    anim.partner_vad(ev[0], ev[1] / sr)
            sent16 += pcm.shape[0]
        out.append(anim.frames(k, 1))
    return np.concatenate(out)


def partner_turns(tk: EvalTake) -> list[tuple[str, float]]:
    """Turn boundaries of the partner track for the rules animator (speech runs split by >= 0.5 s
    of quiet), reported 0.2 s after the start and 0.3 s after the end as the corpus teacher got them."""
    if tk.partner is None:
        return []
    x = np.abs(tk.partner.astype(np.float32))
    hop = tk.sr // 100
    n = x.shape[0] // hop
    act = x[: n * hop].reshape(n, hop).max(axis=1) > 300
    idx = np.flatnonzero(act)
    if not idx.size:
        return []
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 50) + 1)
    out = []
    for r in runs:
        out += [("start", r[0] / 100 + 0.2), ("stop", (r[-1] + 1) / 100 + 0.3)]
    return out


def listening_mask(tk: EvalTake, fps: int, n: int) -> np.ndarray:
    if tk.partner is None:
        return np.zeros(n, bool)
    env = M.envelope(tk.partner, tk.sr, fps, n)
    speaking = np.zeros(n, bool)
    for chunk, start in tk.clauses:
        a = int(start * fps)
        speaking[a: a + int(np.ceil(chunk.num_samples / tk.sr * fps)) + 1] = True
    act = np.convolve((env > 0.01).astype(float), np.ones(fps // 2), mode="same") > 0
    return act & ~speaking


def _new(acc: dict, b: str) -> dict:
    return acc.setdefault(b, {k: [] for k in ("pbm", "pbm_err", "open", "lag", "vel", "jerk", "listen", "frozen",
                                              "var_mouth", "var_upper", "mouth_ref", "calls")})


def run_eval(takes_dir: Path, model: str | None = None, seeds: int = 2, limit: int | None = None, fps: int = 60,
             backends: tuple[str, ...] = BACKENDS) -> dict:
    """Run ``backends`` on the takes under ``takes_dir`` (at most ``limit``) at ``fps``; returns
    ``{"table": str, "summary": dict}`` (module docstring). Raises FileNotFoundError when the
    folder holds no takes."""
    from faceplex.models.face.animator import FaceAnimator

    from faceplex.models.rfm.animator import RfmAnimator

    from faceplex.models.rfm.capture import prepare_takes

    prepare_takes(Path(takes_dir))   # captured takes: audio out of the .mov, phone timing written
    pairs = find_eval_takes(Path(takes_dir))[:limit]
    if not pairs:  # as training says (models/rfm/data.py), not a table of dashes
        raise FileNotFoundError(f"no takes (NAME.wav + NAME.csv) under {takes_dir}")
    takes = [load_eval_take(w, c) for w, c in pairs]
    acc: dict = {}
    ref_listen = []
    n_pbm = n_open = 0
    for tk in takes:
        n = -(-tk.own.shape[0] * fps // tk.sr)
        ref = _ref_frames(tk, fps, n)
        phones = M.aligned_phones(tk.own, tk.sr, [(s, s + ch.num_samples / tk.sr, ch.text) for ch, s in tk.clauses
                                                  if ch.text])
        n_pbm += sum(p[0] in M.BILABIAL for p in phones)
        n_open += sum(p[0] in M.OPEN_VOWELS for p in phones)
        mask = listening_mask(tk, fps, n)
        sp = M.listening_motion(ref, mask, fps)
        if sp[2]:
            ref_listen.append(sp[0])
        expr = float(tk.meta.get("expressiveness", 1.0))
        blink = float(tk.meta.get("blink_rate_per_min", 17.0))
        for b in backends:
            audio_only = "audio-only" in b
            if b.startswith("rules"):
                cl = [(recognized(ch), s) for ch, s in tk.clauses] if audio_only else tk.clauses
                runs = [animate_offline(FaceAnimator(fps, seed=s, expressiveness=expr, blink_rate_per_min=blink), tk, n, cl)
                        for s in range(max(1, seeds))]
                calls = None
            else:
                cl = [(_strip(ch), s) for ch, s in tk.clauses] if audio_only else tk.clauses
                runs, calls = [], None
                for s in range(max(1, seeds) if b.endswith("offline") else 1):
                    anim = RfmAnimator(fps, seed=s, expressiveness=expr, model=model)
                    if b.endswith("live"):
                        runs.append(animate_live(anim, tk, n, fps, cl))
                        calls = anim.graph_calls / max(1, anim.stats["commits"])
                    else:
                        runs.append(animate_offline(anim, tk, n, cl))
            fr = runs[0]
            a = _new(acc, b)
            bl = M.bilabials(fr, fps, phones)
            a["pbm"] += [x[0] for x in bl]
            a["pbm_err"] += [x[1] for x in bl if x[1] is not None]
            a["open"] += M.open_vowels(fr, fps, phones)
            if tk.clauses:
                a["lag"].append(M.jaw_lag_ms(fr, tk.own, tk.sr, fps))
            v, j = M.smoothness(fr, fps)
            a["vel"].append(v)
            a["jerk"].append(j)
            s = M.listening_motion(fr, mask, fps)
            if s[2]:
                a["listen"].append(s[0])
                a["frozen"].append(s[1])
            if len(runs) > 1:
                st = np.stack(runs).std(axis=0)
                a["var_mouth"].append(st[:, MOUTH_INDEX].mean())
                a["var_upper"].append(st[:, UPPER].mean())
            a["mouth_ref"].append(np.abs(fr - ref)[:, MOUTH_INDEX].mean())
            if calls is not None:
                a["calls"].append(calls)

    def mean(x):
        return float(np.mean(x)) if len(x) else None

    summary = {"takes": len(takes), "fps": fps, "seeds": seeds, "pbm_phones": n_pbm, "open_vowels": n_open,
               "reference_listen_upper_speed": mean(ref_listen), "backends": {}}
    for b in backends:
        a = acc.get(b) or _new({}, b)
        summary["backends"][b] = {
            "pbm_held": mean(a["pbm"]), "pbm_timing_ms": mean(a["pbm_err"]),
            "pbm_timing_abs_ms": mean(np.abs(a["pbm_err"])) if a["pbm_err"] else None,
            "open_vowel_opened": mean(a["open"]), "jaw_env_lag_ms": float(np.median(a["lag"])) if a["lag"] else None,
            "mouth_velocity": mean(a["vel"]), "mouth_jerk": mean(a["jerk"]),
            "listen_upper_speed": mean(a["listen"]), "listen_frozen_frac": mean(a["frozen"]),
            "variety_mouth": mean(a["var_mouth"]), "variety_upper": mean(a["var_upper"]),
            "mouth_mae_vs_reference": mean(a["mouth_ref"]), "graph_calls_per_commit": mean(a["calls"]),
        }
    summary["table"] = table(summary)
    return {"summary": summary, "table": summary["table"]}


def _ref_frames(tk: EvalTake, fps: int, n: int) -> np.ndarray:
    if not tk.ref.shape[0]:
        return np.zeros((n, NUM_CHANNELS), np.float32)
    t = np.arange(n) / fps
    return np.stack([np.interp(t, tk.ref_times, tk.ref[:, c]) for c in range(NUM_CHANNELS)], axis=1).astype(np.float32)


ROWS = [("pbm_held", "p/b/m held shut >= 2 frames (fraction; target >= 0.95)", "{:.3f}"),
        ("pbm_timing_ms", "p/b/m closure timing vs alignment (ms, + = late)", "{:+.0f}"),
        ("pbm_timing_abs_ms", "p/b/m closure timing, mean abs (ms)", "{:.0f}"),
        ("open_vowel_opened", f"open vowels opened, jawOpen >= {M.OPEN_JAW} (target >= 0.95)", "{:.3f}"),
        ("jaw_env_lag_ms", "jaw-envelope lag (ms, + = jaw later; target within +-17)", "{:+.0f}"),
        ("mouth_velocity", "mouth velocity (units/s)", "{:.2f}"),
        ("mouth_jerk", "mouth jerk (units/s^3)", "{:.0f}"),
        ("listen_upper_speed", "upper-face motion listening (units/s)", "{:.3f}"),
        ("listen_frozen_frac", "frozen 1 s windows listening", "{:.3f}"),
        ("variety_mouth", "variety across seeds, mouth (std)", "{:.4f}"),
        ("variety_upper", "variety across seeds, upper face (std)", "{:.4f}"),
        ("graph_calls_per_commit", "graph calls per commit (target <= 1.1)", "{:.3f}"),
        ("mouth_mae_vs_reference", "mouth MAE vs reference take (info: the teacher here)", "{:.4f}")]


def table(summary: dict) -> str:
    names = list(summary["backends"])
    lines = [f"| measure ({summary['takes']} takes, {summary['fps']} fps) | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]
    for key, label, fmt in ROWS:
        vals = []
        for b in names:
            v = summary["backends"][b].get(key)
            vals.append("-" if v is None or (isinstance(v, float) and np.isnan(v)) else fmt.format(v))
        lines.append(f"| {label} | " + " | ".join(vals) + " |")
    ref = summary.get("reference_listen_upper_speed")
    lines.append(f"| (aligned p/b/m: {summary['pbm_phones']}, open vowels: {summary['open_vowels']}; reference "
                 f"take's listening motion: {'-' if ref is None else f'{ref:.3f}'}) |" + " |" * len(names))
    return "\n".join(lines)
