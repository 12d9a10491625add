"""``RfmAnimator``: the Rolling Flow Matching motion model behind the FaceAnimator interface.

Serving needs onnxruntime + numpy only (the ONNX commit graph shipped in ``weights/rfm.onnx``).

How it is driven (spec.py has the frame rates and the queue):

- ``add_speech(chunk, start_s)`` places a clause's PCM (resampled to 16 kHz), its timed phones (if
  any: external audio without phones is fine, the phones then read "unknown") and its span
  (speaking) on the session axis. ``add_partner_audio(pcm, sample_rate, start_s)`` does the same
  for the partner's voice (listening). ``cut_speech(at_s)`` removes own speech after ``at_s``.
  Each of these re-plans the *uncommitted* queue from its seeded noise (committed frames are never
  revised), so new speech is seen by every frame that is not yet out.
- ``frames(first, count)``: session frame ``n`` (at ``n / fps``) is the linear interpolation of
  internal frames ``floor(n*30/fps)`` and the next one; slots are committed in internal time order
  until the needed internal frames exist, each commit looking ``K x SLOT = 400 ms`` ahead in the
  placed audio. Committed internal frames are cached, so any split of a range into calls returns
  identical values (for the same sequence of add/cut calls relative to the frames requested).
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

from . import features, spec
from .sampler import OnnxCommit, RollingSampler

if TYPE_CHECKING:  # pragma: no cover
    from faceplex.models.speech.piper_voice import SpeechChunk

DEFAULT_MODEL = Path(__file__).resolve().parent / "weights" / "rfm.onnx"
_C = CHANNEL_INDEX
_NS = len(ARKIT_52)
HEAD_LIMIT_RAD = 0.15
EYE_LIMIT_RAD = 0.25
_GAZE = [_C[n] for n in ARKIT_52 if n.startswith("eyeLook")]
#: Internal frames kept for frames() (older ones are dropped; the daemon asks in order).
KEEP_FRAMES = 3600

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
            _models[key] = m
        return m


class _Track:
    """Audio clauses on the session axis at 16 kHz (sparse: only where something was placed)."""

    def __init__(self):
        self.parts: list[tuple[int, np.ndarray]] = []   # (first 16 kHz sample, float32 audio)

    def add(self, audio16: np.ndarray, start16: int) -> None:
        self.parts.append((int(start16), audio16))

    def cut(self, at16: int) -> None:
        kept = []
        for s, a in self.parts:
            if s >= at16:
                continue
            kept.append((s, a[:max(0, at16 - s)]))
        self.parts = kept

    def prune(self, before16: int) -> None:
        self.parts = [(s, a) for s, a in self.parts if s + a.shape[0] > before16]

    def segment(self, a16: int, b16: int) -> np.ndarray:
        out = np.zeros(max(0, b16 - a16), np.float32)
        for s, a in self.parts:
            lo, hi = max(a16, s), min(b16, s + a.shape[0])
            if hi > lo:
                out[lo - a16:hi - a16] += a[lo - s:hi - s]
        return out


class RfmAnimator:
    """Streaming RFM face state for one session (the FaceAnimator interface).

    Args beyond FaceAnimator's: ``model`` (ONNX path; default ``FACEPLEX_RFM_MODEL`` or the shipped
    ``weights/rfm.onnx``), ``threads`` (onnxruntime intra-op threads; 1 for the daemon),
    ``character`` (character embedding id), ``blinks`` (``"model"`` or ``"rules"``).
    """

    def __init__(self, fps: int, seed: int = 0, expressiveness: float = 1.0, blink_rate_per_min: float = 17.0,
                 idle_motion: bool = True, model: str | Path | None = None, threads: int = 1, character: int = 0,
                 blinks: str = "model"):
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.fps = int(fps)
        self.seed = int(seed)
        self.expressiveness = expressiveness
        self.blink_rate_per_min = float(blink_rate_per_min)
        self.idle_motion = bool(idle_motion)
        self.character = int(character)
        self.blinks = blinks
        self.model = load_model(model, threads=threads)
        meta = self.model.meta
        self.mean = np.asarray(json.loads(meta["motion_mean"]), np.float32)
        self.std = np.asarray(json.loads(meta["motion_std"]), np.float32)
        self.reset()

    # ----------------------------------------------------------------------------- state
    def reset(self) -> None:
        self._own = _Track()
        self._partner = _Track()
        self._phones = np.zeros((0, 3))
        self._spans: list[list[float]] = []        # own speech [start_s, end_s)
        self._unknown: list[list[float]] = []      # spans whose phones are unknown (external audio)
        self._sampler = RollingSampler(self.model, seed=self.seed, style=self.style, character=self.character)
        self._out = np.zeros((0, NUM_CHANNELS), np.float32)   # committed internal frames, post-processed
        self._base = 0                                         # internal index of self._out[0]
        self._idle = None
        if self.blinks == "rules":
            from faceplex.models.face.idle import IdleLayer

            self._idle = IdleLayer(self.seed, self.blink_rate_per_min, self.idle_motion)

    def _changed(self, from_s: float) -> None:
        """Conditioning changed from ``from_s`` on: re-plan the uncommitted queue if it can see it."""
        committed = self._sampler.committed_frames
        if from_s * spec.FPS < committed + spec.W + 2:
            self._sampler.invalidate()

    def add_speech(self, chunk: "SpeechChunk", start_s: float) -> None:
        """Schedule a clause (our voice, or external audio with no phones) at session time ``start_s``."""
        sr = int(chunk.sample_rate)
        start_s = float(start_s)
        audio16 = features.to_16k(chunk.audio, sr)
        self._own.add(audio16, int(round(start_s * spec.AUDIO_SR)))
        end_s = start_s + chunk.num_samples / sr
        if chunk.phonemes:
            tb = features.phone_table(chunk.phonemes, sr, start_s)
            self._phones = np.concatenate([self._phones, tb])
            self._phones = self._phones[np.argsort(self._phones[:, 0], kind="stable")]
        else:
            self._unknown.append([start_s, end_s])
        self._spans.append([start_s, end_s])
        self._changed(start_s)

    def add_partner_audio(self, audio16k: np.ndarray, start_s: float, sample_rate: int = spec.AUDIO_SR) -> None:
        """The partner's (player's) microphone audio, 16 kHz mono float32 (or int16 / another
        ``sample_rate``), first sample at session time ``start_s``: drives the listening motion."""
        self._partner.add(features.to_16k(audio16k, sample_rate), int(round(float(start_s) * spec.AUDIO_SR)))
        self._changed(float(start_s))

    def partner_turn(self, kind: str, at_s: float) -> None:
        """Turn boundaries (``"start"``/``"stop"``): the model reads the partner's state from the
        partner audio itself (energy VAD feature), so nothing to do here."""

    @property
    def expressiveness(self) -> float:
        return self._expressiveness

    @expressiveness.setter
    def expressiveness(self, value: float) -> None:
        """Style from now on (the session sets it per utterance); re-plans the uncommitted queue."""
        self._expressiveness = float(max(0.0, value))
        style = spec.style_for_expressiveness(self._expressiveness)
        sampler = getattr(self, "_sampler", None)
        if sampler is not None and style != sampler.style:
            sampler.style = style
            sampler.invalidate()
        self.style = style

    def cut_speech(self, at_s: float) -> None:
        """Cancel: drop own speech after ``at_s``; frames not yet committed follow at once."""
        at_s = float(at_s)
        self._own.cut(int(round(at_s * spec.AUDIO_SR)))
        ph = self._phones[self._phones[:, 0] < at_s] if self._phones.size else self._phones
        if ph.size:
            ph[:, 1] = np.minimum(ph[:, 1], at_s)
        self._phones = ph
        self._spans = [[a, min(b, at_s)] for a, b in self._spans if a < at_s]
        self._unknown = [[a, min(b, at_s)] for a, b in self._unknown if a < at_s]
        self._changed(at_s)

    def speech_end_s(self) -> float:
        return max((b for _, b in self._spans), default=float("-inf"))

    # ----------------------------------------------------------------------------- conditioning
    def _cond(self, frames: np.ndarray) -> np.ndarray:
        half = features._WIN // 2 + spec.AUDIO_SR // 60 + 8
        a16 = int(np.floor(frames[0] / spec.FPS * spec.AUDIO_SR)) - half
        b16 = int(np.floor(frames[-1] / spec.FPS * spec.AUDIO_SR)) + half
        own = self._own.segment(a16, b16)
        partner = self._partner.segment(a16, b16)
        known = 1.0 - features.spans_flag(np.asarray(self._unknown).reshape(-1, 2), frames)
        return np.concatenate([
            features.logmel_frames(own, frames, a16),
            features.phone_features(self._phones, frames, known > 0.5),
            features.logmel_frames(partner, frames, a16),
            features.spans_flag(np.asarray(self._spans).reshape(-1, 2), frames)[:, None],
            features.vad_flag(partner, frames, a16)[:, None],
        ], axis=1).astype(np.float32)

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

    def _ensure(self, last_internal: int) -> None:
        while self._base + self._out.shape[0] <= last_internal:
            first = self._sampler.committed_frames
            z = self._sampler.commit(self._cond)
            self._out = np.concatenate([self._out, self._post(z, first)])
            if self._out.shape[0] > KEEP_FRAMES + spec.SLOT:
                drop = self._out.shape[0] - KEEP_FRAMES
                self._out, self._base = self._out[drop:], self._base + drop
                keep16 = int((self._base - spec.CTX - 8) / spec.FPS * spec.AUDIO_SR)
                self._own.prune(keep16)
                self._partner.prune(keep16)

    def internal_frames(self, first: int, count: int) -> np.ndarray:
        """Committed internal (30 fps) frames ``first .. first+count-1`` (committing as needed)."""
        self._ensure(first + count - 1)
        lo = max(0, first - self._base)
        return self._out[lo: lo + count]

    def frames(self, first_frame: int, count: int) -> np.ndarray:
        """``(count, 59) float32`` for session frames ``first_frame ..`` at ``n / fps`` s."""
        count = int(count)
        if count <= 0:
            return np.zeros((0, NUM_CHANNELS), np.float32)
        n = np.arange(int(first_frame), int(first_frame) + count, dtype=np.int64)
        i0 = (n * spec.FPS) // self.fps
        rem = (n * spec.FPS) % self.fps
        i1 = np.where(rem > 0, i0 + 1, i0)
        self._ensure(int(i1.max()))
        lo = max(int(i0.min()), self._base)
        buf = self._out[lo - self._base:]
        a = (rem / self.fps).astype(np.float32)[:, None]
        f0 = buf[np.clip(i0 - lo, 0, buf.shape[0] - 1)]
        f1 = buf[np.clip(i1 - lo, 0, buf.shape[0] - 1)]
        return ((1.0 - a) * f0 + a * f1).astype(np.float32)
