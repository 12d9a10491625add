"""``faceplex train``: flow matching on the straight (optimal-transport) path with staggered slot times.

For a window of ``W`` target frames ``x1`` (normalized) after ``CTX`` clean context frames, draw
noise ``x0 ~ N(0, I)`` and per-slot flow times ``tau`` as the rolling sampler sees them, form
``x_tau = (1 - tau) x0 + tau x1`` and regress the velocity ``x1 - x0`` (MSE). Flow times:
70 % regular staggered ``(K-1-k)/K + s``, ``s ~ U[0, 1/K)``; 15 % the warm-up pattern of a fresh
queue ``clamp(w/K + s - k/K, 0, 1)``; 15 % independent per slot (diffusion-forcing style, for
robustness). Condition dropout for classifier-free guidance: own speech (audio + phones) 10 %,
phones alone 50 % (so the model works without them), partner audio 10 % (as unknown). Context
frames get a little noise (std 0.05) against exposure bias. Partner conditioning is causal (a
random horizon and a "partner known" mask, :class:`.data.WindowSampler`), as the daemon sees it.

Velocity loss (smoothness): the clean window the network implies, ``x1_hat = x_tau + (1 - tau) v``,
must have the frame-to-frame differences of the target (first window frame against the last
context frame), weighted ``vel_weight`` (0.5) and by ``tau`` (the estimate is only meaningful near
the data end of the path).

``init``: start from another run's checkpoint (weights and normalization statistics; a fresh
optimizer and schedule) -- fine-tuning the shipped model on an actor's captured takes.

Deterministic for a seed: every batch, time and noise draw comes from
``numpy.random.default_rng([seed, rank, step])``, so a run resumed from its checkpoint
(model + optimizer + step) continues bit-identically. Multi-GPU: run under ``torchrun`` -- the
``WORLD_SIZE``/``RANK``/``LOCAL_RANK`` variables switch on DistributedDataParallel (NCCL on CUDA,
gloo on CPU); each rank draws its own batches; rank 0 writes checkpoints and logs.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import spec
from .data import WindowSampler, load_corpus, split_takes, statistics
from .network import VelocityNet

_SLOT_OF = np.repeat(np.arange(spec.K), spec.SLOT)


def draw_times(rng: np.random.Generator, b: int) -> np.ndarray:
    """Per-frame flow times ``(b, W)`` as the sampler sees them (see module docstring)."""
    K = spec.K
    s = rng.uniform(0.0, 1.0 / K, size=(b, 1))
    kind = rng.uniform(size=(b, 1))
    regular = (K - 1 - _SLOT_OF)[None, :] / K + s
    w = rng.integers(0, K - 1, size=(b, 1))
    warm = np.clip(w / K + s - _SLOT_OF[None, :] / K, 0.0, 1.0)
    indep = rng.uniform(size=(b, K))[:, _SLOT_OF]
    tau = np.where(kind < 0.7, regular, np.where(kind < 0.85, warm, indep))
    return np.clip(tau, 0.0, 1.0).astype(np.float32)


def lr_at(step: int, total: int, base: float, warmup: int = 200) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * p)))


def _dist():
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, 0
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), dist.get_world_size(), local


def train(corpus: Path, out: Path, steps: int = 2000, batch: int = 64, lr: float = 1e-3, seed: int = 0,
          d_model: int = 128, layers: int = 4, heads: int = 4, ckpt_every: int = 500, until: int | None = None,
          threads: int | None = None, holdout: float = 0.0, progress: bool = True, log_every: int = 50,
          init: Path | None = None, vel_weight: float = 0.5, phone_drop: float = 0.5) -> dict:
    """Train (or resume from ``out/ckpt.pt``) to ``steps`` (stop early at ``until``). Returns a summary.

    ``phone_drop``: share of training windows whose phones are withheld (the audio-only case of
    external ``lipsync`` audio), 0-1."""
    rank, world, local = _dist()
    out = Path(out)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    if threads:
        torch.set_num_threads(int(threads))
    torch.manual_seed(seed)
    device = torch.device(f"cuda:{local}" if torch.cuda.is_available() else "cpu")
    # rank 0 builds the feature caches first
    if world > 1 and rank != 0:
        torch.distributed.barrier()
    takes = load_corpus(Path(corpus))
    if world > 1 and rank == 0:
        torch.distributed.barrier()
    train_takes, _ = split_takes(takes, holdout)
    init_ck = None
    if init is not None:
        init_ck = torch.load(Path(init), map_location="cpu", weights_only=False)
        stats = {k: np.asarray(v, dtype=np.float32) for k, v in init_ck["stats"].items()}
        nc = init_ck["net_config"]
        d_model, layers, heads = nc["d_model"], nc["layers"], nc["heads"]
    else:
        stats = statistics(train_takes)
    sampler = WindowSampler(train_takes, stats)
    net = VelocityNet(d_model=d_model, layers=layers, heads=heads)
    net.set_stats(stats["cond_mean"], stats["cond_std"])
    if init_ck is not None:
        net.load_state_dict(init_ck["model"])
    net.to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.01)
    step = 0
    history: list[dict] = []
    ckpt_path = out / "ckpt.pt"
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location=device, weights_only=False)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optim"])
        step, history = int(ck["step"]), list(ck.get("history", []))
    model = net
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(net, device_ids=[local] if device.type == "cuda" else None)
    cm = torch.as_tensor(stats["cond_mean"], device=device)
    own, ph = slice(0, spec.D_MEL), slice(spec.D_MEL, spec.D_MEL + spec.D_PHONE)
    part = slice(spec.D_MEL + spec.D_PHONE, 2 * spec.D_MEL + spec.D_PHONE)
    stop = min(steps, until) if until is not None else steps
    bar = None
    if progress and rank == 0:
        from tqdm import tqdm

        bar = tqdm(total=stop, initial=step, desc="train", unit="step", dynamic_ncols=True)
    config = {"d_model": d_model, "layers": layers, "heads": heads, "steps": steps, "batch": batch, "lr": lr,
              "seed": seed, "world_size": world, "corpus": str(corpus), "takes": len(train_takes),
              "vel_weight": vel_weight, "phone_drop": phone_drop, "init": str(init) if init is not None else None}
    t_start, run_loss = time.time(), []

    def save():
        if rank != 0:
            return
        tmp = out / "ckpt.pt.tmp"
        torch.save({"model": net.state_dict(), "optim": opt.state_dict(), "step": step, "history": history,
                    "config": config, "net_config": net.config,
                    "stats": {k: v.tolist() for k, v in stats.items()}}, tmp)
        os.replace(tmp, ckpt_path)

    net.train()
    while step < stop:
        rng = np.random.default_rng([seed, rank, step])
        bt = sampler.batch(rng, batch)
        b = batch
        x1 = bt["motion"][:, spec.CTX:]
        ctx = bt["motion"][:, :spec.CTX] + 0.05 * rng.standard_normal((b, spec.CTX, spec.D_MOTION)).astype(np.float32)
        x0 = rng.standard_normal(x1.shape).astype(np.float32)
        tau = draw_times(rng, b)
        xt = (1.0 - tau[..., None]) * x0 + tau[..., None] * x1
        target = x1 - x0
        cond = bt["cond"]
        drop_speech = rng.uniform(size=b) < 0.1
        drop_phone = rng.uniform(size=b) < phone_drop
        drop_partner = rng.uniform(size=b) < 0.1
        cond[drop_phone, :, ph] = 0.0
        cond[drop_partner, :, part] = stats["cond_mean"][part]
        cond[drop_partner, :, spec.F_LISTENING] = 0.0
        cond[drop_partner, :, spec.F_PARTNER_KNOWN] = 0.0
        cond[drop_speech, :, own] = stats["cond_mean"][own]
        cond[drop_speech, :, ph] = 0.0
        tt = {k: torch.from_numpy(np.ascontiguousarray(v)).to(device) for k, v in
              dict(xt=xt, ctx=ctx, valid=bt["ctx_valid"], cond=cond, tau=tau, style=bt["style"],
                   character=bt["character"], target=target).items()}
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, lr)
        v = model(tt["xt"], tt["ctx"], tt["valid"], tt["cond"], tt["tau"], tt["style"], tt["character"])
        loss = F.mse_loss(v, tt["target"])
        if vel_weight > 0:
            tau_t = torch.from_numpy(tau).to(device).unsqueeze(-1)
            x1h = tt["xt"] + (1.0 - tau_t) * v
            x1t = tt["xt"] + (1.0 - tau_t) * tt["target"]
            last = tt["ctx"][:, -1:] * tt["valid"][:, -1:].unsqueeze(-1)
            keep = tt["valid"][:, -1:].unsqueeze(-1)
            dh = torch.cat([(x1h[:, :1] - last) * keep, x1h[:, 1:] - x1h[:, :-1]], 1)
            dt_ = torch.cat([(x1t[:, :1] - last) * keep, x1t[:, 1:] - x1t[:, :-1]], 1)
            loss = loss + vel_weight * ((dh - dt_) ** 2 * tau_t).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        run_loss.append(float(loss.item()))
        if step % log_every == 0 or step == stop:
            rec = {"step": step, "loss": float(np.mean(run_loss)), "lr": lr_at(step - 1, steps, lr),
                   "elapsed_s": round(time.time() - t_start, 1)}
            history.append(rec)
            run_loss = []
            if rank == 0:
                with open(out / "train_log.jsonl", "a") as f:
                    f.write(json.dumps(rec) + "\n")
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}")
        if step % ckpt_every == 0 or step == stop:
            save()
    if bar is not None:
        bar.close()
    summary = {"rank": rank, "step": step, "final_loss": history[-1]["loss"] if history else None, "out": str(ckpt_path),
               "params": sum(p.numel() for p in net.parameters()), **config}
    if world > 1:
        torch.distributed.destroy_process_group()
    return summary


def load_checkpoint(path: Path):
    """``(VelocityNet in eval mode, stats dict of arrays, checkpoint dict)`` from ``ckpt.pt``."""
    ck = torch.load(Path(path), map_location="cpu", weights_only=False)
    nc = ck["net_config"]
    net = VelocityNet(d_model=nc["d_model"], layers=nc["layers"], heads=nc["heads"], ff_mult=nc["ff_mult"],
                      band=nc["band"])
    net.load_state_dict(ck["model"])
    net.eval()
    stats = {k: np.asarray(v, dtype=np.float32) for k, v in ck["stats"].items()}
    return net, stats, ck
