"""``faceplex export``: the commit graph (``STEPS`` Euler substeps of the velocity network) to ONNX.

Exported with the dynamo exporter (``torch.onnx.export(..., dynamo=True)``, opset 18) with a named
dynamic ``batch`` axis on every input and the output; the window shapes are fixed by spec.py.
Inputs: ``x (batch, W, 59)``, ``ctx (batch, CTX, 59)``, ``ctx_valid (batch, CTX)``,
``cond (batch, T, D_COND)``, ``tau0 (batch, W)``, ``dt (batch, W)``, ``style (batch,) int64``,
``character (batch,) int64``; output ``x_out (batch, W, 59)``. The ONNX metadata carries the motion
normalization (``motion_mean``/``motion_std``, JSON), the conditioning mean (``cond_mean``: the
"unknown partner" value the animator feeds past the media clock), the spec constants and the training summary,
so serving needs nothing but the file (and onnxruntime + numpy).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import spec

INPUTS = ("x", "ctx", "ctx_valid", "cond", "tau0", "dt", "style", "character")


def example_inputs(batch: int = 2, seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, spec.W, spec.D_MOTION, generator=g),
            torch.randn(batch, spec.CTX, spec.D_MOTION, generator=g),
            torch.ones(batch, spec.CTX),
            torch.randn(batch, spec.T, spec.D_COND, generator=g) * 2.0 - 3.0,
            torch.rand(batch, spec.W, generator=g),
            torch.full((batch, spec.W), 1.0 / (spec.STEPS * spec.K)),
            torch.zeros(batch, dtype=torch.long),
            torch.zeros(batch, dtype=torch.long))


def parity(module, onnx_path: Path, batches=(1, 3)) -> float:
    """Max |torch - onnxruntime| of the commit graph over random inputs (CPU provider)."""
    import torch

    from .sampler import OnnxCommit

    ort = OnnxCommit(onnx_path, threads=1)
    worst = 0.0
    for i, b in enumerate(batches):
        args = example_inputs(b, seed=100 + i)
        with torch.no_grad():
            ref = module(*args).numpy()
        got = ort(*(a.numpy() for a in args))
        worst = max(worst, float(np.abs(ref - got).max()))
    return worst


def export(checkpoint: Path, out: Path, guidance: float = 1.0, check: bool = True, opset: int = 18) -> dict:
    import onnx
    import torch

    from .network import CommitStep
    from .train import load_checkpoint

    net, stats, ck = load_checkpoint(checkpoint)
    module = CommitStep(net, spec.STEPS, guidance).eval()
    batch = torch.export.Dim("batch", min=1, max=1024)
    dyn = {name: {0: batch} for name in INPUTS}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    prog = torch.onnx.export(module, example_inputs(2), dynamo=True, input_names=list(INPUTS),
                             output_names=["x_out"], dynamic_shapes=dyn, opset_version=opset,
                             external_data=False)
    prog.optimize()
    prog.save(str(out), external_data=False)
    model = onnx.load(str(out))
    hist = ck.get("history") or []
    meta = {
        "faceplex_model": "rfm",
        "motion_mean": json.dumps([round(float(v), 6) for v in stats["motion_mean"]]),
        "motion_std": json.dumps([round(float(v), 6) for v in stats["motion_std"]]),
        "cond_mean": json.dumps([round(float(v), 5) for v in stats["cond_mean"]]),
        "spec": json.dumps({"fps": spec.FPS, "slot": spec.SLOT, "k": spec.K, "ctx": spec.CTX, "steps": spec.STEPS,
                            "d_cond": spec.D_COND, "d_motion": spec.D_MOTION}),
        "guidance": str(guidance),
        "train": json.dumps({**ck.get("config", {}), "step": int(ck["step"]),
                             "final_loss": hist[-1]["loss"] if hist else None}),
    }
    del model.metadata_props[:]
    for k, v in meta.items():
        p = model.metadata_props.add()
        p.key, p.value = k, v
    onnx.save(model, str(out))
    result = {"onnx": str(out), "bytes": out.stat().st_size, "opset": opset, "guidance": guidance,
              "dynamic_axes": {name: ["batch"] for name in INPUTS}, "step": int(ck["step"])}
    if check:
        result["parity_max_abs"] = parity(module, out)
    return result


def trainable_checkpoint(checkpoint: Path, out: Path) -> dict:
    """The weights of ``checkpoint`` in float16 with their normalization statistics and network
    config, no optimizer state: the small trainable checkpoint shipped beside ``rfm.onnx``
    (``faceplex train --init weights/rfm.pt`` fine-tunes from it)."""
    import torch

    ck = torch.load(Path(checkpoint), map_location="cpu", weights_only=False)
    slim = {"model": {k: (v.half() if v.is_floating_point() else v) for k, v in ck["model"].items()},
            "stats": ck["stats"], "net_config": ck["net_config"], "step": int(ck["step"]),
            "config": ck.get("config", {}), "history": (ck.get("history") or [])[-1:]}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(slim, out)
    return {"trainable_checkpoint": str(out), "trainable_bytes": out.stat().st_size, "step": int(ck["step"])}
