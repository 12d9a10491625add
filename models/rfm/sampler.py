"""The rolling flow-matching sampler: an explicit streaming state object, and the one-pass path.

Scheduler (rolling diffusion / diffusion forcing shape): slot ``m`` (frames ``m*SLOT ..
m*SLOT+SLOT-1``) has flow time ``tau_m(t) = clamp(t - m/K, 0, 1)`` at global time ``t``; ``t``
advances by ``1/K`` per *commit call* (``STEPS`` Euler substeps of ``dt = 1/(STEPS*K)``). At the
end of call ``c + K - 1`` slot ``c`` reaches ``tau = 1``: it is committed (emitted, never revised)
and a fresh noise slot ``c + K`` joins the tail. A fresh queue first runs ``K - 1`` warm-up calls
(slots not yet started have ``dt = 0``), so every committed frame has had ``K * STEPS`` steps.

Noise is a pure function of ``(seed, slot index)``, so streaming output equals the one-pass output
(:func:`sample_sequence`) for the same noise, whatever the split of the commits.

``commit_fn(x, ctx, ctx_valid, cond, tau0, dt, style, character) -> x`` is the exported graph
(:class:`OnnxCommit`) or the torch module (:func:`torch_commit_fn`); arrays carry a batch of 1.
Everything here is in normalized motion space (``(frame - mean) / std``).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import spec

DT = 1.0 / (spec.STEPS * spec.K)
_SLOT_OF = np.repeat(np.arange(spec.K), spec.SLOT)  # window frame -> slot within the queue


def slot_noise(seed: int, m: int) -> np.ndarray:
    """Standard normal ``(SLOT, 59) float32`` for slot ``m`` (a pure function of seed and m)."""
    return np.random.default_rng([int(seed) & 0x7FFFFFFF, 7, int(m)]).standard_normal(
        (spec.SLOT, spec.D_MOTION)).astype(np.float32)


def _call(commit_fn, x, ctx, valid, cond, tau0, dt, style, character) -> np.ndarray:
    out = commit_fn(x[None].astype(np.float32), ctx[None].astype(np.float32), valid[None].astype(np.float32),
                    cond[None].astype(np.float32), tau0[None].astype(np.float32), dt[None].astype(np.float32),
                    np.array([style], np.int64), np.array([character], np.int64))
    return np.asarray(out, dtype=np.float32)[0]


def warmup_times(w: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame ``(tau0, dt)`` of warm-up call ``w`` (0 .. K-2) of a fresh queue."""
    tau0 = np.clip(w / spec.K - _SLOT_OF / spec.K, 0.0, 1.0)
    dt = np.where(w >= _SLOT_OF, DT, 0.0)
    return tau0.astype(np.float32), dt.astype(np.float32)


def commit_times() -> tuple[np.ndarray, np.ndarray]:
    """Per-frame ``(tau0, dt)`` of a regular commit call: slot ``k`` from ``(K-1-k)/K``."""
    tau0 = (spec.K - 1 - _SLOT_OF) / spec.K
    return tau0.astype(np.float32), np.full(spec.W, DT, np.float32)


class RollingSampler:
    """Streaming state of one session's motion queue.

    One graph call at a time: :meth:`inputs` gives the arrays of the next call (a warm-up call of
    a fresh queue, or a regular commit), :meth:`apply` takes its output and returns the committed
    front slot's ``SLOT`` frames (None after a warm-up call). :meth:`commit` runs both until a slot
    is committed (``cond_fn(frames)`` gives the conditioning ``(len(frames), D_COND)`` of internal
    frames: the window plus its context). Splitting the two lets a pool batch the calls of many
    sessions into one graph call (:mod:`.pool`).

    ``invalidate()`` re-plans the uncommitted queue from fresh (seeded) noise at the next call;
    ``rollback(slot)`` also forgets the committed slots from ``slot`` on (frames the animator has
    not returned yet). ``temperature`` ``(59,)``: per-channel scale of the seeded start noise (0 for
    the mouth: deterministic articulation; 1 elsewhere: living head, gaze and brows).
    """

    #: committed normalized frames kept as context (and for rollbacks)
    HISTORY = 8 * spec.SLOT + spec.CTX

    def __init__(self, commit_fn: Callable, seed: int = 0, style: int = 0, character: int = 0,
                 temperature: np.ndarray | None = None):
        self.commit_fn = commit_fn
        self.seed, self.style, self.character = int(seed), int(style), int(character)
        self.temperature = None if temperature is None else np.asarray(temperature, np.float32).reshape(spec.D_MOTION)
        self.reset()

    def reset(self) -> None:
        self.committed = np.zeros((0, spec.D_MOTION), np.float32)
        self.next_slot = 0
        self.x: np.ndarray | None = None
        self.warm = 0
        self.calls = 0

    def invalidate(self) -> None:
        self.x = None

    def max_rollback_slots(self) -> int:
        return max(0, (self.committed.shape[0] - spec.CTX) // spec.SLOT) if self.next_slot * spec.SLOT > spec.CTX \
            else self.next_slot

    def rollback(self, slot: int) -> None:
        """Forget committed slots ``slot ..`` (``slot`` >= next_slot - max_rollback_slots()) and re-plan."""
        drop = self.next_slot - int(slot)
        if drop < 0 or drop > self.max_rollback_slots():
            raise ValueError(f"cannot roll back to slot {slot} (next {self.next_slot})")
        if drop:
            self.committed = self.committed[:self.committed.shape[0] - drop * spec.SLOT]
            self.next_slot = int(slot)
        self.x = None

    @property
    def committed_frames(self) -> int:
        return self.next_slot * spec.SLOT

    def noise(self, m: int) -> np.ndarray:
        z = slot_noise(self.seed, m)
        return z if self.temperature is None else z * self.temperature

    def _context(self) -> tuple[np.ndarray, np.ndarray]:
        ctx = np.zeros((spec.CTX, spec.D_MOTION), np.float32)
        valid = np.zeros(spec.CTX, np.float32)
        n = min(spec.CTX, self.committed.shape[0])
        if n:
            ctx[spec.CTX - n:] = self.committed[-n:]
            valid[spec.CTX - n:] = 1.0
        return ctx, valid

    def inputs(self, cond_fn: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, ...]:
        """``(x, ctx, ctx_valid, cond, tau0, dt)`` of the next graph call (no batch axis)."""
        f0 = self.next_slot * spec.SLOT
        cond = cond_fn(np.arange(f0 - spec.CTX, f0 + spec.W))
        ctx, valid = self._context()
        if self.x is None:
            self.x = np.concatenate([self.noise(self.next_slot + k) for k in range(spec.K)])
            self.warm = 0
        tau0, dt = warmup_times(self.warm) if self.warm < spec.K - 1 else commit_times()
        return self.x, ctx, valid, cond, tau0, dt

    def apply(self, x_out: np.ndarray) -> np.ndarray | None:
        """The output ``(W, 59)`` of the call :meth:`inputs` described -> committed frames or None."""
        self.calls += 1
        x_out = np.asarray(x_out, np.float32)
        if self.warm < spec.K - 1:
            self.x, self.warm = x_out, self.warm + 1
            return None
        out = x_out[:spec.SLOT].copy()
        self.x = np.concatenate([x_out[spec.SLOT:], self.noise(self.next_slot + spec.K)])
        self.committed = np.concatenate([self.committed, out])[-self.HISTORY:]
        self.next_slot += 1
        return out

    def commit(self, cond_fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        while True:
            out = self.apply(_call(self.commit_fn, *self.inputs(cond_fn), self.style, self.character))
            if out is not None:
                return out


def sample_sequence(commit_fn: Callable, cond: np.ndarray, n_frames: int, seed: int = 0, style: int = 0,
                    character: int = 0, silence: np.ndarray | None = None,
                    temperature: np.ndarray | None = None) -> np.ndarray:
    """One pass over a whole sequence: ``(n_frames, 59)`` normalized frames for the conditioning
    ``cond (N, D_COND)`` of internal frames ``0..N-1`` (frames outside it get ``silence``, default
    ``cond[-1]`` / ``cond[0]``). Global-time bookkeeping over one array of all slots."""
    n_slots = -(-int(n_frames) // spec.SLOT)
    total = n_slots + spec.K
    X = np.concatenate([slot_noise(seed, m) for m in range(total)])            # every slot, one array
    if temperature is not None:
        X = X * np.asarray(temperature, np.float32).reshape(1, spec.D_MOTION)
    N = cond.shape[0]
    before = cond[0] if silence is None else silence
    after = cond[-1] if silence is None else silence

    def cond_at(frames):
        out = np.empty((frames.shape[0], cond.shape[1]), np.float32)
        ok = (frames >= 0) & (frames < N)
        out[ok] = cond[frames[ok]]
        out[frames < 0] = before
        out[frames >= N] = after
        return out

    for g in range(n_slots + spec.K - 1):        # commit call g advances global time t from g/K
        c = max(0, g - (spec.K - 1))             # front slot of the window during this call
        lo, hi = c * spec.SLOT, (c + spec.K) * spec.SLOT
        m = c + _SLOT_OF                          # global slot of each window frame
        t0 = g / spec.K
        tau0 = np.clip(t0 - m / spec.K, 0.0, 1.0).astype(np.float32)
        dt = np.where(t0 - m / spec.K >= 0.0, DT, 0.0).astype(np.float32)
        ctx = np.zeros((spec.CTX, spec.D_MOTION), np.float32)
        valid = np.zeros(spec.CTX, np.float32)
        k = min(spec.CTX, lo)
        if k:
            ctx[spec.CTX - k:] = X[lo - k:lo]
            valid[spec.CTX - k:] = 1.0
        X[lo:hi] = _call(commit_fn, X[lo:hi], ctx, valid, cond_at(np.arange(lo - spec.CTX, hi)), tau0, dt,
                         style, character)
    return X[:n_frames].copy()


def torch_commit_fn(module) -> Callable:
    """Wrap a torch :class:`~.network.CommitStep` as a numpy commit function."""
    import torch

    def fn(*arrays):
        with torch.no_grad():
            return module(*(torch.from_numpy(np.ascontiguousarray(a)) for a in arrays)).numpy()
    return fn


class OnnxCommit:
    """The exported commit graph under onnxruntime (CPU; CUDA first when available and asked for)."""

    INPUTS = ("x", "ctx", "ctx_valid", "cond", "tau0", "dt", "style", "character")

    def __init__(self, path, threads: int = 1, providers: list[str] | None = None):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if providers is None:
            providers = ["CPUExecutionProvider"]
        self.session = ort.InferenceSession(str(path), sess_options=opts, providers=providers)
        self.meta = dict(self.session.get_modelmeta().custom_metadata_map)

    def __call__(self, *arrays):
        return self.session.run(["x_out"], dict(zip(self.INPUTS, arrays)))[0]
