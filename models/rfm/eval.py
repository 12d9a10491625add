"""``faceplex eval``: motion backends on held-out takes, one table.

Each held-out take (corpus format, :mod:`.corpus`) is re-animated by every backend from its own
clauses (PCM + timed phones, placed where the take has them) and its partner audio:
``rules`` (FaceAnimator), ``rfm`` (RfmAnimator, phones known) and ``rfm audio-only`` (RfmAnimator
with the phones withheld, as for external audio). All clauses are added before the frames are
asked for (offline: the look-ahead is always available). Measures:

- per-channel error against the reference take (mean |error|): mouth channels, jawOpen, all 52
  shapes, head/eye rotations (rad). On the synthetic corpus the reference *is* the rules teacher
  (with its own seed), so rules is the ceiling there; on captured takes it is the actor.
- lips shut on p/b/m: a p/b/m phone counts as shut when a frame within one frame of its centre has
  the lips sealed (``visemes.lips_shut``); ``pbm_vs_rules`` = shut by the backend among those shut by
  rules (target >= 90 %).
- jaw-envelope lag: the lag (ms, + = jaw after audio) maximizing the correlation of jawOpen with the
  audio RMS envelope, median over takes with speech.
- upper-face motion while listening (partner speaking, avatar silent): mean |d/dt| of brows, lids,
  gaze shapes, head and eye rotations, and the fraction of 1 s windows with no motion (frozen).
- variety across seeds: per-frame std across ``seeds`` runs, mean over frames, for the mouth and
  for the upper face.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceplex.bridge.take import read_live_link_csv, read_wav, resample_frames
from faceplex.models.face.visemes import MOUTH_INDEX, lips_shut
from faceplex.models.speech.piper_voice import SpeechChunk, TimedPhoneme
from faceplex.protocol.names import ARKIT_52, CHANNEL_INDEX, NUM_CHANNELS

_C = CHANNEL_INDEX
_NS = len(ARKIT_52)
UPPER = np.array([_C[n] for n in ARKIT_52 if n.startswith(("brow", "eyeBlink", "eyeLook", "eyeSquint", "eyeWide"))]
                 + list(range(_NS, NUM_CHANNELS)))
PBM = ("p", "b", "m")


@dataclass
class EvalTake:
    name: str
    sr: int
    own: np.ndarray
    partner: np.ndarray | None
    clauses: list[tuple[SpeechChunk, float]]
    phones: list[dict]
    ref: np.ndarray          # (F, 59) at 60 fps
    ref_fps: int
    meta: dict


def load_eval_take(d: Path) -> EvalTake:
    d = Path(d)
    audio, sr = read_wav(d / "take.wav")
    own = audio[:, 0]
    partner = read_wav(d / "partner.wav")[0][:, 0] if (d / "partner.wav").exists() else None
    meta = json.loads((d / "take.json").read_text()) if (d / "take.json").exists() else {}
    pj = json.loads((d / "take.phonemes.json").read_text()) if (d / "take.phonemes.json").exists() else {"phonemes": []}
    phones = pj["phonemes"]
    clauses = []
    for c in meta.get("clauses", []):
        a, b = int(round(c["start_s"] * sr)), int(round(c["end_s"] * sr))
        ph = [TimedPhoneme(p["phoneme"], p["start"] - a, p["end"] - a) for p in phones if a <= p["start"] < b]
        clauses.append((SpeechChunk(text=c.get("text", ""), sample_rate=sr, audio=own[a:b].copy(), phonemes=ph), a / sr))
    times, frames = read_live_link_csv(d / "take.csv")
    return EvalTake(d.name, sr, own, partner, clauses, phones, frames, 60, meta)


def animate(factory, tk: EvalTake, fps: int, seed: int, with_phones: bool = True) -> np.ndarray:
    anim = factory(fps, seed=seed, expressiveness=float(tk.meta.get("expressiveness", 1.0)))
    for chunk, start in tk.clauses:
        if not with_phones:
            chunk = SpeechChunk(text=chunk.text, sample_rate=chunk.sample_rate, audio=chunk.audio, phonemes=[])
        anim.add_speech(chunk, start)
    if tk.partner is not None and hasattr(anim, "add_partner_audio"):
        from .features import to_16k

        anim.add_partner_audio(to_16k(tk.partner, tk.sr), 0.0)
        if hasattr(anim, "partner_turn"):  # the turns as the corpus teacher heard them
            for kind, at in partner_turns(tk):
                anim.partner_turn(kind, at)
    n = -(-tk.own.shape[0] * fps // tk.sr)
    return anim.frames(0, n)


def partner_turns(tk: EvalTake) -> list[tuple[str, float]]:
    """Turn boundaries of the partner track (speech runs split by >= 0.5 s of quiet), reported
    0.2 s after the start and 0.3 s after the end as the corpus teacher got them."""
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


def pbm_shut(frames: np.ndarray, tk: EvalTake, fps: int) -> list[bool]:
    shut = lips_shut(frames)
    out = []
    for p in tk.phones:
        if p["phoneme"] in PBM:
            n = int(round((p["start"] + p["end"]) / 2 / tk.sr * fps))
            near = [k for k in (n - 1, n, n + 1) if 0 <= k < frames.shape[0]]
            out.append(bool(shut[near].any()))
    return out


def envelope(audio: np.ndarray, sr: int, fps: int, n: int) -> np.ndarray:
    x = audio.astype(np.float64) / 32768.0
    hop = sr / fps
    env = np.zeros(n)
    for i in range(n):
        a, b = int(max(0, (i - 0.5) * hop)), int(min(x.shape[0], (i + 0.5) * hop))
        env[i] = np.sqrt((x[a:b] ** 2).mean()) if b > a else 0.0
    return env


def jaw_lag_ms(frames: np.ndarray, tk: EvalTake, fps: int, max_lag: int | None = None) -> float | None:
    if not tk.clauses:
        return None
    n = frames.shape[0]
    env = envelope(tk.own, tk.sr, fps, n)
    jaw = frames[:, _C["jawOpen"]].astype(np.float64)
    env, jaw = env - env.mean(), jaw - jaw.mean()
    max_lag = max_lag or fps // 5
    best, best_l = -np.inf, 0
    for lag in range(-max_lag, max_lag + 1):
        a = jaw[max(0, lag): n + min(0, lag)]
        b = env[max(0, -lag): n - max(0, lag)]
        c = float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
        if c > best:
            best, best_l = c, lag
    return 1000.0 * best_l / fps


def listening_mask(tk: EvalTake, fps: int, n: int) -> np.ndarray:
    if tk.partner is None:
        return np.zeros(n, bool)
    env = envelope(tk.partner, tk.sr, fps, n)
    speaking = np.zeros(n, bool)
    for chunk, start in tk.clauses:
        a = int(start * fps)
        speaking[a: a + int(np.ceil(chunk.num_samples / tk.sr * fps)) + 1] = True
    act = np.convolve((env > 0.01).astype(float), np.ones(fps // 2), mode="same") > 0
    return act & ~speaking


def listening_motion(frames: np.ndarray, mask: np.ndarray, fps: int) -> tuple[float, float, int]:
    """(mean |d/dt| of the upper face while listening, frozen fraction of 1 s windows, windows)."""
    if mask.sum() < 2:
        return float("nan"), float("nan"), 0
    up = frames[:, UPPER].astype(np.float64)
    d = np.abs(np.diff(up, axis=0)).mean(axis=1) * fps
    speed = float(d[mask[1:] & mask[:-1]].mean())
    frozen, windows = 0, 0
    idx = np.flatnonzero(mask)
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
    for r in runs:
        for s in range(r[0], r[-1] - fps + 2, fps):
            w = up[s: s + fps]
            windows += 1
            frozen += bool(np.abs(w - w[0]).max() < 1e-3)
    return speed, (frozen / windows if windows else float("nan")), windows


def run_eval(takes_dir: Path, model: str | None = None, seeds: int = 3, limit: int | None = None,
             fps: int = 60, backends: tuple[str, ...] = ("rules", "rfm", "rfm audio-only")) -> dict:
    from faceplex.models.face.animator import FaceAnimator

    from .animator import RfmAnimator

    dirs = sorted(p.parent for p in Path(takes_dir).rglob("take.json"))[:limit]
    takes = [load_eval_take(d) for d in dirs]

    def rfm_factory(f, **kw):
        return RfmAnimator(f, model=model, **kw)

    factories = {"rules": (FaceAnimator, True), "rfm": (rfm_factory, True), "rfm audio-only": (rfm_factory, False)}
    acc = {b: {"mouth": [], "jaw": [], "shapes": [], "rot": [], "pbm": [], "lag": [], "listen_speed": [],
               "frozen": [], "var_mouth": [], "var_upper": []} for b in backends}
    ref_listen, pbm_rules = [], []
    for tk in takes:
        n = -(-tk.own.shape[0] * fps // tk.sr)
        ref = resample_frames(tk.ref, tk.ref_fps, fps, n) if tk.ref.shape[0] else np.zeros((n, NUM_CHANNELS), np.float32)
        ref = ref[:n] if ref.shape[0] >= n else np.concatenate([ref, np.repeat(ref[-1:], n - ref.shape[0], 0)])
        mask = listening_mask(tk, fps, n)
        sp = listening_motion(ref, mask, fps)
        if sp[2]:
            ref_listen.append(sp[0])
        for b in backends:
            factory, phones = factories[b]
            runs = [animate(factory, tk, fps, seed, phones) for seed in range(max(1, seeds))]
            fr = runs[0]
            err = np.abs(fr - ref)
            a = acc[b]
            a["mouth"].append(err[:, MOUTH_INDEX].mean())
            a["jaw"].append(err[:, _C["jawOpen"]].mean())
            a["shapes"].append(err[:, :_NS].mean())
            a["rot"].append(err[:, _NS:].mean())
            shut = pbm_shut(fr, tk, fps)
            a["pbm"].append(shut)
            if b == "rules":
                pbm_rules.append(shut)
            lag = jaw_lag_ms(fr, tk, fps)
            if lag is not None:
                a["lag"].append(lag)
            s = listening_motion(fr, mask, fps)
            if s[2]:
                a["listen_speed"].append(s[0])
                a["frozen"].append(s[1])
            if len(runs) > 1:
                st = np.stack(runs).std(axis=0)
                a["var_mouth"].append(st[:, MOUTH_INDEX].mean())
                a["var_upper"].append(st[:, UPPER].mean())
    summary = {"takes": len(takes), "fps": fps, "seeds": seeds, "backends": {}}
    rules_shut = [s for t in pbm_rules for s in t] if pbm_rules else []
    for b in backends:
        a = acc[b]
        flat = [s for t in a["pbm"] for s in t]
        both = sum(1 for x, r in zip(flat, rules_shut) if x and r)
        summary["backends"][b] = {
            "mouth_mae": float(np.mean(a["mouth"])), "jaw_mae": float(np.mean(a["jaw"])),
            "shapes_mae": float(np.mean(a["shapes"])), "rot_mae_rad": float(np.mean(a["rot"])),
            "pbm_shut": float(np.mean(flat)) if flat else None, "pbm_count": len(flat),
            "pbm_vs_rules": both / max(1, sum(rules_shut)) if rules_shut else None,
            "jaw_env_lag_ms": float(np.median(a["lag"])) if a["lag"] else None,
            "listen_upper_speed": float(np.mean(a["listen_speed"])) if a["listen_speed"] else None,
            "listen_frozen_frac": float(np.mean(a["frozen"])) if a["frozen"] else None,
            "variety_mouth": float(np.mean(a["var_mouth"])) if a["var_mouth"] else None,
            "variety_upper": float(np.mean(a["var_upper"])) if a["var_upper"] else None,
        }
    summary["reference_listen_upper_speed"] = float(np.mean(ref_listen)) if ref_listen else None
    summary["table"] = table(summary)
    return {"summary": summary, "table": summary["table"]}


ROWS = [("mouth_mae", "mouth channels MAE vs reference", "{:.4f}"), ("jaw_mae", "jawOpen MAE", "{:.4f}"),
        ("shapes_mae", "all 52 shapes MAE", "{:.4f}"), ("rot_mae_rad", "head/eye rotation MAE (rad)", "{:.4f}"),
        ("pbm_shut", "p/b/m lips shut (fraction)", "{:.3f}"), ("pbm_vs_rules", "p/b/m shut where rules is", "{:.3f}"),
        ("jaw_env_lag_ms", "jaw-envelope lag (ms, + = jaw later)", "{:+.0f}"),
        ("listen_upper_speed", "upper-face motion listening (units/s)", "{:.3f}"),
        ("listen_frozen_frac", "frozen 1 s windows listening", "{:.3f}"),
        ("variety_mouth", "variety across seeds, mouth (std)", "{:.4f}"),
        ("variety_upper", "variety across seeds, upper face (std)", "{:.4f}")]


def table(summary: dict) -> str:
    names = list(summary["backends"])
    lines = [f"| measure ({summary['takes']} held-out takes, {summary['fps']} fps) | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]
    for key, label, fmt in ROWS:
        vals = []
        for b in names:
            v = summary["backends"][b].get(key)
            vals.append("-" if v is None or (isinstance(v, float) and np.isnan(v)) else fmt.format(v))
        lines.append(f"| {label} | " + " | ".join(vals) + " |")
    pbm = summary["backends"][names[0]]["pbm_count"]
    ref = summary.get("reference_listen_upper_speed")
    lines.append(f"| (p/b/m phones: {pbm}; reference take's listening motion: "
                 f"{'-' if ref is None else f'{ref:.3f}'}) |" + " |" * len(names))
    return "\n".join(lines)
