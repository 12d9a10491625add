"""``RfmAnimator``: the Rolling Flow Matching motion model behind the FaceAnimator interface.

Serving needs onnxruntime + numpy only (the ONNX commit graph shipped in ``weights/rfm.onnx``).

How it is driven (spec.py has the frame rates and the queue):

- ``add_speech(chunk, start_s)`` places a chunk's PCM (resampled to 16 kHz), its timed phones (if
  any: external audio without phones is fine, the phones then read "unknown") and its span
  (speaking) on the session axis; any number of chunks per clause (contract 3). Speech that lands
  in the queue's first two slots (or under committed frames not yet returned) re-plans from there
  (seeded noise; frames returned by ``frames()`` are never revised); speech further ahead is read
  by the rolling queue as its slots denoise, with no re-plan. The session should place speech at
  least :attr:`lookahead_s` (400 ms) before it plays. ``cut_speech(at_s)`` removes own speech
  after ``at_s`` (re-plans the same way).
- partner (listening), causal as in training: ``add_partner_audio(pcm, start_s)`` (the echo-gated
  mic, stamped on the session axis) extends what is known of the partner up to its last sample;
  ``partner_vad("start"|"stop", at_s)`` gives the listener's Silero VAD decisions, stamped with
  the sample they name. Frames past the known partner audio see it as unknown (the "partner
  known" flag), as the model was trained; a mic chunk never re-plans.
- ``frames(first, count)``: session frame ``n`` (at ``n / fps``) is the linear interpolation of
  internal frames ``floor(n*30/fps)`` and the next one; slots are committed in internal time order
  until the needed internal frames exist, each commit looking ``K x SLOT = 400 ms`` ahead in the
  placed audio. Committed internal frames are cached, so any split of a range into calls returns
  identical values (for the same sequence of add/cut calls relative to the frames requested).
  With a :class:`~.pool.MotionPool` (the daemon's) the pool commits :data:`AHEAD_FRAMES` ahead of
  the last frame returned, off the event loop and batched with every other session; ``frames()``
  then only copies (it commits inline only when the pool is behind). State is bounded: audio,
  phones, spans and VAD segments behind the returned frames are trimmed at every commit.
- ``temperature``: per-channel scale of the start noise; default 0 for the mouth channels
  (deterministic articulation) and 1 for the rest (head, gaze, brows, blinks stay alive).
- Idle (no speech): the same model runs in its idle/listening state (speech features silent) and
  keeps the face moving: head drift, gaze, blinks as it learned them from the corpus. With
  ``blinks="rules"`` the eyelids come from the rules idle layer instead (honours
  ``blink_rate_per_min``).
- ``expressiveness`` picks the style embedding (<= 0.75 calm, >= 1.25 lively, else neutral) --
  the corpus labels its teacher takes the same way; ``idle_motion=False`` zeroes head/eye rotation
  and gaze shapes; ``seed`` seeds the flow noise.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faceplex.protocol.names import ARKIT_52, CHANNEL_INDEX, NUM_CHANNELS

from faceplex.models.face.visemes import MOUTH_INDEX

from . import features, spec
from .sampler import OnnxCommit, RollingSampler

if TYPE_CHECKING:  # pragma: no cover
    from faceplex.models.speech.contract import SpeechChunk

DEFAULT_MODEL = Path(__file__).resolve().parent / "weights" / "rfm.onnx"
_C = CHANNEL_INDEX
_NS = len(ARKIT_52)
HEAD_LIMIT_RAD = 0.15
EYE_LIMIT_RAD = 0.25
_GAZE = [_C[n] for n in ARKIT_52 if n.startswith("eyeLook")]
#: Internal frames the pool keeps committed past the last one returned (~130 ms).
AHEAD_FRAMES = 4
#: Internal frames kept before the first frame of the last ``frames()`` call.
KEEP_BEHIND = 2

_models: dict[tuple, "OnnxCommit"] = {}
_models_lock = threading.Lock()


def model_path() -> Path:
    return Path(os.environ.get("FACEPLEX_RFM_MODEL", str(DEFAULT_MODEL)))


def load_model(path: Path | None = None, threads: int = 1, cuda: bool | None = None) -> OnnxCommit:
    """The commit graph, one onnxruntime session per (file, threads) per process (``run`` is
    thread-safe). CUDA first when onnxruntime-gpu sees a GPU (``cuda=None``), else CPU."""
    import onnxruntime as ort

    path = Path(path) if path is not None else model_path()
    providers = ["CPUExecutionProvider"]
    if cuda is not False and "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    key = (str(path), int(threads), tuple(providers))
    with _models_lock:
        m = _models.get(key)
        if m is None:
            if not path.exists():
                raise FileNotFoundError(f"RFM model not found: {path} (train and export one: see models/rfm/weights/RECIPE.md)")
            m = OnnxCommit(path, threads=threads, providers=providers)
            d_cond = json.loads(m.meta.get("spec", "{}")).get("d_cond")
            if d_cond != spec.D_COND:
                raise ValueError(f"RFM model {path} has {d_cond} conditioning features; this FacePlex needs "
                                 f"{spec.D_COND} (re-export it with this version: models/rfm/weights/RECIPE.md)")
            _models[key] = m
        return m


def default_temperature(mouth: float = 0.0, other: float = 1.0) -> np.ndarray:
    """``(59,) float32``: ``mouth`` on the channels the speech layer drives (visemes.MOUTH_INDEX),
    ``other`` elsewhere."""
    t = np.full(NUM_CHANNELS, float(other), np.float32)
    t[MOUTH_INDEX] = float(mouth)
    return t


class _Track:
    """Audio on the session axis at 16 kHz (sparse: only where something was placed)."""

    def __init__(self):
        self.parts: list[tuple[int, np.ndarray]] = []   # (first 16 kHz sample, float32 audio)

    def add(self, audio16: np.ndarray, start16: int) -> None:
        if audio16.shape[0]:
            self.parts.append((int(start16), audio16))

    def cut(self, at16: int) -> None:
        kept = []
        for s, a in self.parts:
            if s >= at16:
                continue
            kept.append((s, a[:max(0, at16 - s)]))
        self.parts = kept

    def prune(self, before16: int) -> None:
        """Drop audio that ends before ``before16`` (bounded state)."""
        self.parts = [(s, a) for s, a in self.parts if s + a.shape[0] > before16]

    def end16(self) -> int:
        return max((s + a.shape[0] for s, a in self.parts), default=0)

    def segment(self, a16: int, b16: int) -> np.ndarray:
        out = np.zeros(max(0, b16 - a16), np.float32)
        for s, a in self.parts:
            lo, hi = max(a16, s), min(b16, s + a.shape[0])
            if hi > lo:
                out[lo - a16:hi - a16] += a[lo - s:hi - s]
        return out


class _MelCache:
    """Log-mel features of internal frames of one track, computed once per frame and dropped when
    audio near the frame changes (a commit reads 18 frames, 3 of them new)."""

    #: A frame's features read audio within 25 ms (window + sub-frame offsets) of its time.
    REACH_FRAMES = 2

    def __init__(self, track: _Track):
        self.track = track
        self.rows: dict[int, np.ndarray] = {}

    def invalidate(self, a_s: float, b_s: float) -> None:
        lo = int(np.floor(a_s * spec.FPS)) - self.REACH_FRAMES
        hi = int(np.ceil(b_s * spec.FPS)) + self.REACH_FRAMES
        if hi - lo < len(self.rows):
            for f in range(lo, hi + 1):
                self.rows.pop(f, None)
        else:
            self.rows = {f: v for f, v in self.rows.items() if not lo <= f <= hi}

    def trim(self, before: int) -> None:
        if self.rows and min(self.rows) < before:
            self.rows = {f: v for f, v in self.rows.items() if f >= before}

    def get(self, frames: np.ndarray) -> np.ndarray:
        missing = np.array([f for f in frames.tolist() if f not in self.rows], dtype=np.int64)
        if missing.size:
            half = features._WIN // 2 + spec.AUDIO_SR // 60 + 8
            a16 = int(np.floor(missing[0] / spec.FPS * spec.AUDIO_SR)) - half
            b16 = int(np.floor(missing[-1] / spec.FPS * spec.AUDIO_SR)) + half
            seg = self.track.segment(a16, b16)
            if not seg.any():
                vals = np.full((missing.size, spec.D_MEL), np.log(1e-6), np.float32)
            else:
                vals = features.logmel_frames(seg, missing, a16)
            for f, v in zip(missing.tolist(), vals):
                self.rows[f] = v
        return np.stack([self.rows[f] for f in frames.tolist()])


class RfmAnimator:
    """Streaming RFM face state for one session (the FaceAnimator interface).

    Args beyond FaceAnimator's: ``model`` (ONNX path; default ``FACEPLEX_RFM_MODEL`` or the shipped
    ``weights/rfm.onnx``), ``threads`` (onnxruntime intra-op threads; 1 for the daemon),
    ``character`` (character embedding id, 0 .. N_CHARACTERS-1), ``blinks`` (``"model"`` or
    ``"rules"``), ``temperature`` (``(59,)`` start-noise scale per channel; default
    :func:`default_temperature`), ``pool`` (a :class:`~.pool.MotionPool`: commits off the caller's
    thread, batched with other sessions).
    """

    #: Placed speech the model reads past a frame before computing it (K slots, s): contract 3.
    lookahead_s = spec.W / spec.FPS

    def __init__(self, fps: int, seed: int = 0, expressiveness: float = 1.0, blink_rate_per_min: float = 17.0,
                 idle_motion: bool = True, model: str | Path | None = None, threads: int = 1, character: int = 0,
                 blinks: str = "model", temperature: np.ndarray | None = None, pool=None):
        if fps <= 0:
            raise ValueError("fps must be positive")
        if not 0 <= int(character) < spec.N_CHARACTERS:
            raise ValueError(f"character must be within 0-{spec.N_CHARACTERS - 1}")
        self.fps = int(fps)
        self.seed = int(seed)
        self.blink_rate_per_min = float(blink_rate_per_min)
        self.idle_motion = bool(idle_motion)
        self.character = int(character)
        self.blinks = blinks
        self.temperature = default_temperature() if temperature is None else np.asarray(temperature, np.float32)
        self.model = pool.model if pool is not None else load_model(model, threads=threads)
        meta = self.model.meta
        self.mean = np.asarray(json.loads(meta["motion_mean"]), np.float32)
        self.std = np.asarray(json.loads(meta["motion_std"]), np.float32)
        cm = meta.get("cond_mean")
        self._unknown_mel = (np.asarray(json.loads(cm), np.float32)[spec.PARTNER] if cm else
                             np.full(spec.D_MEL, -9.0, np.float32))
        self.lock = threading.RLock()
        self._expressiveness = float(max(0.0, expressiveness))
        self.style = spec.style_for_expressiveness(self._expressiveness)
        self.reset()
        self.pool = pool
        if pool is not None:
            pool.register(self)

    # ----------------------------------------------------------------------------- state
    def reset(self) -> None:
        with self.lock:
            self._own = _Track()
            self._partner = _Track()
            self._own_mel = _MelCache(self._own)
            self._partner_mel = _MelCache(self._partner)
            self._partner_known_s = float("-inf")     # partner audio known up to here (s)
            self._vad: list[list[float]] = []           # partner VAD segments [on_s, off_s or inf)
            self._phones = np.zeros((0, 3))
            self._spans: list[list[float]] = []        # own speech [start_s, end_s)
            self._unknown: list[list[float]] = []      # spans whose phones are unknown (external audio)
            self._speech_end = float("-inf")
            self._sampler = RollingSampler(self.model, seed=self.seed, style=self.style, character=self.character,
                                           temperature=self.temperature)
            self._out = np.zeros((0, NUM_CHANNELS), np.float32)   # committed internal frames, post-processed
            self._base = 0                                         # internal index of self._out[0]
            self._returned = -1                                    # last internal frame frames() returned
            self._gen = 0                                          # bumps when the queue changes under a job
            self.stats = {"commits": 0, "inline_commits": 0, "replans": 0, "rollback_frames": 0}
            self._idle = None
            if self.blinks == "rules":
                from faceplex.models.face.idle import IdleLayer

                self._idle = IdleLayer(self.seed, self.blink_rate_per_min, self.idle_motion)

    def close(self) -> None:
        """Leave the pool (the session ended)."""
        if self.pool is not None:
            self.pool.unregister(self)

    @property
    def graph_calls(self) -> int:
        """Graph calls this session's queue took part in (a batched call counts once per session)."""
        return self._sampler.calls

    def _changed(self, from_s: float) -> None:
        """Own-speech conditioning changed from ``from_s`` on: re-plan what already read that time.

        Slots past the queue's first two read it as they denoise (their most denoising is still
        ahead): no re-plan. Otherwise the queue is re-planned from the first slot whose commits saw
        ``from_s`` -- committed slots included while frames() has not returned them."""
        f = from_s * spec.FPS
        s = self._sampler
        if f >= s.committed_frames + 2 * spec.SLOT:
            return
        c_aff = max(0, int(np.floor((f - spec.W - 2) / spec.SLOT)) + 1)     # last window of slot c ends c*SLOT+W+1
        c_ret = (self._returned + 1 + spec.SLOT - 1) // spec.SLOT             # first slot with no frame returned
        c = min(s.next_slot, max(c_aff, c_ret, s.next_slot - s.max_rollback_slots()))
        drop = s.next_slot - c
        if drop:
            keep = c * spec.SLOT - self._base
            self._out = self._out[:max(0, keep)]
            self.stats["rollback_frames"] += drop * spec.SLOT
        s.rollback(c)
        self.stats["replans"] += 1
        self._gen += 1

    def add_speech(self, chunk: "SpeechChunk", start_s: float) -> None:
        """Place a chunk of speech (our voice, or external audio with no phones) at ``start_s`` (s)."""
        sr = int(chunk.sample_rate)
        start_s = float(start_s)
        audio16 = features.to_16k(chunk.audio, sr)
        end_s = start_s + chunk.num_samples / sr
        with self.lock:
            self._own.add(audio16, int(round(start_s * spec.AUDIO_SR)))
            self._own_mel.invalidate(start_s, end_s)
            if chunk.phonemes:
                tb = features.phone_table(chunk.phonemes, sr, start_s)
                self._phones = np.concatenate([self._phones, tb])
                self._phones = self._phones[np.argsort(self._phones[:, 0], kind="stable")]
            else:
                self._unknown.append([start_s, end_s])
            self._spans.append([start_s, end_s])
            self._speech_end = max(self._speech_end, end_s)
            self._changed(start_s)
        self._kick()

    def add_partner_audio(self, audio16k: np.ndarray, start_s: float, sample_rate: int = spec.AUDIO_SR) -> None:
        """The partner's (player's) echo-gated microphone audio, 16 kHz mono float32 (or int16 /
        another ``sample_rate``), first sample at session time ``start_s``. Never re-plans."""
        a = features.to_16k(audio16k, sample_rate)
        with self.lock:
            s16 = int(round(float(start_s) * spec.AUDIO_SR))
            self._partner.add(a, s16)
            self._partner_mel.invalidate(s16 / spec.AUDIO_SR, (s16 + a.shape[0]) / spec.AUDIO_SR)
            self._partner_known_s = max(self._partner_known_s, (s16 + a.shape[0]) / spec.AUDIO_SR)

    def partner_vad(self, kind: str, at_s: float) -> None:
        """The listener's VAD decision: ``"start"`` (speech from ``at_s``) or ``"stop"`` (ended at
        ``at_s``), stamped with the session time it names (the listening flag)."""
        with self.lock:
            if kind == "start":
                if not self._vad or self._vad[-1][1] != float("inf"):
                    self._vad.append([float(at_s), float("inf")])
            elif kind == "stop" and self._vad and self._vad[-1][1] == float("inf"):
                self._vad[-1][1] = max(self._vad[-1][0], float(at_s))

    def partner_offline(self, audio16k: np.ndarray, start_s: float = 0.0, sample_rate: int = spec.AUDIO_SR) -> None:
        """A whole partner track known in advance (eval, baking): its audio and its Silero VAD
        segments (what training's offline windows see)."""
        a = features.to_16k(audio16k, sample_rate)
        self.add_partner_audio(a, start_s)
        for on, off in features.silero_segments(a):
            self.partner_vad("start", start_s + on)
            self.partner_vad("stop", start_s + off)
        with self.lock:
            self._partner_known_s = float("inf")

    def partner_turn(self, kind: str, at_s: float) -> None:
        """Turn boundaries as the rules animator takes them: the RFM model reads the listener's VAD
        decisions through :meth:`partner_vad` (stamped where the speech starts/stops) instead."""

    @property
    def expressiveness(self) -> float:
        return self._expressiveness

    @expressiveness.setter
    def expressiveness(self, value: float) -> None:
        """Style from the next commit on (the session sets it per utterance); no re-plan."""
        self._expressiveness = float(max(0.0, value))
        self.style = spec.style_for_expressiveness(self._expressiveness)
        sampler = getattr(self, "_sampler", None)
        if sampler is not None:
            sampler.style = self.style

    def cut_speech(self, at_s: float) -> None:
        """Cancel: drop own speech after ``at_s``; frames not yet returned follow."""
        at_s = float(at_s)
        with self.lock:
            self._own.cut(int(round(at_s * spec.AUDIO_SR)))
            self._own_mel.invalidate(at_s, max(at_s, self._speech_end))
            ph = self._phones[self._phones[:, 0] < at_s] if self._phones.size else self._phones
            if ph.size:
                ph[:, 1] = np.minimum(ph[:, 1], at_s)
            self._phones = ph
            self._spans = [[a, min(b, at_s)] for a, b in self._spans if a < at_s]
            self._unknown = [[a, min(b, at_s)] for a, b in self._unknown if a < at_s]
            self._speech_end = min(self._speech_end, at_s)
            self._changed(at_s)
        self._kick()

    def speech_end_s(self) -> float:
        return self._speech_end

    def state_size(self) -> dict:
        """Sizes of the per-session state (tests check they stay bounded)."""
        return {"own_parts": len(self._own.parts), "partner_parts": len(self._partner.parts),
                "phones": int(self._phones.shape[0]), "spans": len(self._spans), "unknown": len(self._unknown),
                "vad": len(self._vad), "out": int(self._out.shape[0]),
                "mel_rows": len(self._own_mel.rows) + len(self._partner_mel.rows)}

    def _trim(self) -> None:
        """Forget what no future commit can read (behind the context of the first unreturned slot)."""
        first = min(self._returned + 1, self._sampler.committed_frames) - spec.CTX - 3 * spec.SLOT
        t = first / spec.FPS - 0.05
        if t <= 0:
            return
        self._own.prune(int(t * spec.AUDIO_SR))
        self._partner.prune(int(t * spec.AUDIO_SR))
        self._own_mel.trim(first - 2)
        self._partner_mel.trim(first - 2)
        if self._phones.size:
            self._phones = self._phones[self._phones[:, 1] > t]
        self._spans = [sp for sp in self._spans if sp[1] > t]
        self._unknown = [sp for sp in self._unknown if sp[1] > t]
        self._vad = [sg for sg in self._vad if sg[1] > t]

    # ----------------------------------------------------------------------------- conditioning
    def _cond(self, frames: np.ndarray) -> np.ndarray:
        known = 1.0 - features.spans_flag(np.asarray(self._unknown).reshape(-1, 2), frames)
        cond = np.concatenate([
            self._own_mel.get(frames),
            features.phone_features(self._phones, frames, known > 0.5),
            self._partner_mel.get(frames),
            features.spans_flag(np.asarray(self._spans).reshape(-1, 2), frames)[:, None],
            features.vad_state_flag(np.asarray(self._vad).reshape(-1, 2), frames)[:, None],
            np.ones((frames.shape[0], 1), np.float32),
        ], axis=1).astype(np.float32)
        features.mask_partner(cond, frames, self._partner_known_s, self._unknown_mel)
        return cond

    # ----------------------------------------------------------------------------- output
    def _post(self, z: np.ndarray, first: int) -> np.ndarray:
        f = z * self.std + self.mean
        if self._idle is not None:
            t = (first + np.arange(f.shape[0])) / spec.FPS
            lid = self._idle.blink(t, np.zeros(0), np.zeros(0)) * min(1.0, self.expressiveness)
            f[:, _C["eyeBlinkLeft"]] = lid
            f[:, _C["eyeBlinkRight"]] = lid
        if not self.idle_motion:
            f[:, _NS:] = 0.0
            f[:, _GAZE] = 0.0
        np.clip(f[:, :_NS], 0.0, 1.0, out=f[:, :_NS])
        np.clip(f[:, _NS:_NS + 3], -HEAD_LIMIT_RAD, HEAD_LIMIT_RAD, out=f[:, _NS:_NS + 3])
        np.clip(f[:, _NS + 3:], -EYE_LIMIT_RAD, EYE_LIMIT_RAD, out=f[:, _NS + 3:])
        f[:, _C["mouthClose"]] = np.minimum(f[:, _C["mouthClose"]], f[:, _C["jawOpen"]])
        return f.astype(np.float32)

    def _append(self, z: np.ndarray, first: int) -> None:
        self._out = np.concatenate([self._out, self._post(z, first)])
        self.stats["commits"] += 1
        self._trim()

    # pool protocol: job() under the lock -> one batched graph call -> done() under the lock
    def due(self) -> bool:
        """True when the pool should commit for this session (fewer than AHEAD_FRAMES ahead of the
        last frame returned; a new session is warmed up before its first frame is asked for)."""
        return self._sampler.committed_frames <= max(self._returned, 0) + AHEAD_FRAMES

    def job(self):
        """Inputs of this session's next graph call, or None when nothing is due."""
        with self.lock:
            if not self.due():
                return None
            s = self._sampler
            return (self._gen, s.inputs(self._cond), s.style, s.character)

    def done(self, job, x_out: np.ndarray) -> None:
        with self.lock:
            if job[0] != self._gen:
                return   # the queue changed while the call ran: discard
            first = self._sampler.committed_frames
            z = self._sampler.apply(x_out)
            if z is not None:
                self._append(z, first)

    def _kick(self) -> None:
        if self.pool is not None:
            self.pool.kick()

    def _ensure(self, last_internal: int) -> None:
        with self.lock:
            while self._base + self._out.shape[0] <= last_internal:
                self._gen += 1   # a pool job in flight is now stale
                first = self._sampler.committed_frames
                z = self._sampler.commit(self._cond)
                if self.pool is not None:
                    self.stats["inline_commits"] += 1
                self._append(z, first)

    def internal_frames(self, first: int, count: int) -> np.ndarray:
        """Committed internal (30 fps) frames ``first .. first+count-1`` (committing as needed)."""
        with self.lock:
            self._ensure(first + count - 1)
            lo = max(0, first - self._base)
            out = self._out[lo: lo + count].copy()
            self._returned = max(self._returned, first + count - 1)
        self._kick()
        return out

    def frames(self, first_frame: int, count: int) -> np.ndarray:
        """``(count, 59) float32`` for session frames ``first_frame ..`` at ``n / fps`` s (final)."""
        count = int(count)
        if count <= 0:
            return np.zeros((0, NUM_CHANNELS), np.float32)
        n = np.arange(int(first_frame), int(first_frame) + count, dtype=np.int64)
        i0 = (n * spec.FPS) // self.fps
        rem = (n * spec.FPS) % self.fps
        i1 = np.where(rem > 0, i0 + 1, i0)
        with self.lock:
            self._ensure(int(i1.max()))
            lo = max(int(i0.min()), self._base)
            buf = self._out[lo - self._base:]
            a = (rem / self.fps).astype(np.float32)[:, None]
            f0 = buf[np.clip(i0 - lo, 0, buf.shape[0] - 1)]
            f1 = buf[np.clip(i1 - lo, 0, buf.shape[0] - 1)]
            out = ((1.0 - a) * f0 + a * f1).astype(np.float32)
            self._returned = max(self._returned, int(i1.max()))
            keep = int(i0.min()) - KEEP_BEHIND - self._base
            if keep > 0:
                self._out, self._base = self._out[keep:], self._base + keep
        self._kick()
        return out
