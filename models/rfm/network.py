"""The RFM velocity network (torch; training and export only).

A small transformer over the window's ``T = CTX + W`` motion tokens:

- token ``i`` = motion in-projection of its frame (normalized; context frames are clean, window
  frames noisy; padding before a session's start is zero with its own type embedding) + its own
  frame's conditioning (direct aligned path) + flow-time embedding (sinusoidal -> MLP; context
  tokens at t = 1) + token type + position + style/emotion + character embeddings;
- each layer: self-attention over the motion tokens, *rolling cross-attention* to the conditioning
  tokens of the same window restricted to a local band ``|i - j| <= BAND`` frames (bounded local
  window), feed-forward; pre-LayerNorm;
- conditioning tokens: own-speech log-mel + timed phones (dropped out in training), partner log-mel,
  speaking/listening flags (features.py), normalized by corpus statistics stored as buffers, then an
  MLP and a temporal convolution (kernel 5);
- output: the flow velocity of the ``W`` window frames in normalized motion space (59 channels:
  52 ARKit weights + head yaw/pitch/roll + eye yaw/pitch).

:class:`CommitStep` wraps it with ``STEPS`` Euler substeps -- the graph exported to ONNX.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from . import spec

BAND = 6  # rolling cross-attention half-width, frames (200 ms)

# Conditioning slices (features.py order)
_OWN = slice(0, spec.D_MEL)
_PHONE = slice(spec.D_MEL, spec.D_MEL + spec.D_PHONE)
_PARTNER = slice(spec.D_MEL + spec.D_PHONE, 2 * spec.D_MEL + spec.D_PHONE)


def _sinusoid(t: torch.Tensor, dim: int = 32) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    a = t.unsqueeze(-1) * 1000.0 * freqs
    return torch.cat([torch.sin(a), torch.cos(a)], dim=-1)


class _Attn(nn.Module):
    def __init__(self, d: int, heads: int):
        super().__init__()
        self.h = heads
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.o = nn.Linear(d, d)

    def forward(self, x: torch.Tensor, mem: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        b, n, d = x.shape
        m = mem.shape[1]
        hd = d // self.h
        q = self.q(x).reshape(b, n, self.h, hd).transpose(1, 2)
        k, v = self.kv(mem).reshape(b, m, 2, self.h, hd).permute(2, 0, 3, 1, 4)
        a = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
        if bias is not None:
            a = a + bias
        a = torch.softmax(a, dim=-1)
        return self.o((a @ v).transpose(1, 2).reshape(b, n, d))


class _Layer(nn.Module):
    def __init__(self, d: int, heads: int, ff: int):
        super().__init__()
        self.n1, self.n2, self.n3, self.nm = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_attn = _Attn(d, heads)
        self.cross_attn = _Attn(d, heads)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Linear(ff, d))

    def forward(self, x, mem, band_bias):
        h = self.n1(x)
        x = x + self.self_attn(h, h, None)
        x = x + self.cross_attn(self.n2(x), self.nm(mem), band_bias)
        return x + self.ff(self.n3(x))


class VelocityNet(nn.Module):
    def __init__(self, d_model: int = 128, layers: int = 4, heads: int = 4, ff_mult: int = 2, band: int = BAND):
        super().__init__()
        d = d_model
        self.config = {"d_model": d_model, "layers": layers, "heads": heads, "ff_mult": ff_mult, "band": band}
        self.register_buffer("cond_mean", torch.zeros(spec.D_COND))
        self.register_buffer("cond_std", torch.ones(spec.D_COND))
        idx = torch.arange(spec.T)
        self.register_buffer("band_bias", torch.where((idx[:, None] - idx[None, :]).abs() <= band, 0.0, -1e4))
        self.in_motion = nn.Linear(spec.D_MOTION, d)
        self.in_cond = nn.Sequential(nn.Linear(spec.D_COND, d), nn.GELU(), nn.Linear(d, d))
        self.cond_conv = nn.Conv1d(d, d, kernel_size=5, padding=2)
        self.tau_mlp = nn.Sequential(nn.Linear(32, d), nn.SiLU(), nn.Linear(d, d))
        self.type_emb = nn.Embedding(3, d)  # 0 window, 1 context, 2 padding
        self.pos = nn.Parameter(torch.randn(spec.T, d) * 0.02)
        self.cond_pos = nn.Parameter(torch.randn(spec.T, d) * 0.02)
        self.style = nn.Embedding(spec.N_STYLES, d)
        self.character = nn.Embedding(spec.N_CHARACTERS, d)
        self.layers = nn.ModuleList([_Layer(d, heads, ff_mult * d) for _ in range(layers)])
        self.out_norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, spec.D_MOTION)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def set_stats(self, cond_mean, cond_std) -> None:
        self.cond_mean.copy_(torch.as_tensor(cond_mean))
        self.cond_std.copy_(torch.as_tensor(cond_std))

    def null_speech(self, cond: torch.Tensor, drop: torch.Tensor) -> torch.Tensor:
        """Replace own-speech audio (by its mean) and phones (unknown) where ``drop`` (B,) is 1."""
        keep = (1.0 - drop).reshape(-1, 1, 1)
        own = cond[..., _OWN] * keep + self.cond_mean[_OWN] * (1.0 - keep)
        phone = cond[..., _PHONE] * keep
        return torch.cat([own, phone, cond[..., _PHONE.stop:]], dim=-1)

    def forward(self, x, ctx, ctx_valid, cond, tau, style, character):
        """x (B,W,59) noisy window; ctx (B,CTX,59); ctx_valid (B,CTX); cond (B,T,D_COND) raw features;
        tau (B,W) flow time per window frame; style, character (B,) int64 -> velocity (B,W,59)."""
        c = (cond - self.cond_mean) / self.cond_std
        ce = self.in_cond(c)
        mem = ce + self.cond_conv(ce.transpose(1, 2)).transpose(1, 2) + self.cond_pos
        motion = torch.cat([ctx * ctx_valid.unsqueeze(-1), x], dim=1)
        tau_all = torch.cat([torch.ones_like(ctx_valid), tau], dim=1)
        ttype = torch.cat([1 + (1.0 - ctx_valid), torch.zeros_like(tau)], dim=1).long()
        g = (self.style(style) + self.character(character)).unsqueeze(1)
        h = self.in_motion(motion) + ce + self.tau_mlp(_sinusoid(tau_all)) + self.type_emb(ttype) + self.pos + g
        for layer in self.layers:
            h = layer(h, mem, self.band_bias)
        return self.out(self.out_norm(h[:, spec.CTX:]))


class CommitStep(nn.Module):
    """``STEPS`` Euler substeps of the whole window: ``x <- x + v(x, tau0 + j*dt) * dt``.

    ``tau0`` (B,W) and ``dt`` (B,W) per frame let one graph serve regular commits (staggered slot
    times, ``dt = 1/(STEPS*K)``) and the warm-up of a fresh queue (``dt = 0`` for slots not yet
    started). With ``guidance != 1`` every substep also evaluates the speech-dropped condition and
    extrapolates (classifier-free guidance)."""

    def __init__(self, net: VelocityNet, steps: int = spec.STEPS, guidance: float = 1.0):
        super().__init__()
        self.net, self.steps, self.guidance = net, int(steps), float(guidance)

    def forward(self, x, ctx, ctx_valid, cond, tau0, dt, style, character):
        dtu = dt.unsqueeze(-1)
        if self.guidance != 1.0:
            b = x.shape[0]
            null = self.net.null_speech(cond, torch.ones(b, dtype=cond.dtype, device=cond.device))
            cond2 = torch.cat([cond, null], 0)
            ctx2, cv2 = torch.cat([ctx, ctx], 0), torch.cat([ctx_valid, ctx_valid], 0)
            s2, c2 = torch.cat([style, style], 0), torch.cat([character, character], 0)
        for j in range(self.steps):
            tau = tau0 + dt * float(j)
            if self.guidance != 1.0:
                v2 = self.net(torch.cat([x, x], 0), ctx2, cv2, cond2, torch.cat([tau, tau], 0), s2, c2)
                vc, vu = v2[:b], v2[b:]
                v = vu + self.guidance * (vc - vu)
            else:
                v = self.net(x, ctx, ctx_valid, cond, tau, style, character)
            x = x + v * dtu
        return x
