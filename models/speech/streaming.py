"""Piper's VITS graph split for streaming: text -> latent once per clause, latent -> waveform by window.

A Piper voice is one ONNX graph: text encoder, stochastic duration predictor, flow, then the
HiFi-GAN-style decoder (the expensive part). The decoder's input is the tensor
``/Mul_7_output_0`` (the flow's output times the frame mask) feeding ``/dec/conv_pre/Conv``
(REFERENCE.md, "Voice internals"). :func:`split_voice_graph` cuts the graph there, in memory at
load (nothing is written to disk), into three sub-graphs with ``onnx.utils.Extractor``:

- ``durations``: ``input, input_lengths, scales, noise_dp -> w_ceil`` (frames per phoneme id) and
  the tensors the flow needs;
- ``flow``: those tensors ``+ noise_z -> latent (1, 192, T) float32``, T = sum(w_ceil) frames;
- ``decoder``: ``latent (1, 192, t) -> audio (1, 1, 256 t) float32`` (hop 256 samples per frame).

The two ``RandomNormalLike`` nodes (duration noise and the prior's noise) become graph inputs, so
the noise comes from a seeded ``numpy.random.Generator``: the same text, scales and seed give
bit-identical audio. The noise of the prior has a shape known only after the durations, hence the
split between ``durations`` and ``flow`` (the encoder still runs once).

The decoder is convolutional with a finite receptive field, so a window of latent frames
``[a, b)`` decoded with ``context`` frames of latent on each side gives the samples
``[256 a, 256 b)`` of one-pass decoding up to float rounding (:data:`CONTEXT_FRAMES`, measured
bound in :func:`decode_window`'s docstring; ``tests/test_streaming_voice.py`` checks it). The
flow (residual coupling layers of WaveNet convolutions) is local too: :meth:`Latent.ensure`
runs it block by block with :data:`FLOW_CONTEXT_FRAMES` of input on each side, so a clause's
first audio waits for its first frames only, not for the whole sentence's flow (~0.2 ms a frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

#: Tensor names in Piper VITS exports (checked on en_US-joe-medium; other medium voices share them).
LATENT = "/Mul_7_output_0"
NOISE_DP = "/dp/RandomNormalLike_output_0"
NOISE_Z = "/RandomNormalLike_output_0"
#: Samples of audio per latent frame (Piper config ``hop_length``).
HOP = 256
#: Latent frames of context decoded on each side of a window. Measured on the joe voice (max abs
#: difference of stitched 20-frame windows vs one pass, full scale 1): 4 frames 2e-2, 8 frames
#: 1.3e-3, 12 frames 1.4e-6 (float rounding of differently sized convolutions: the decoder's
#: receptive field is covered), 16 and 24 frames the same.
CONTEXT_FRAMES = 12


@dataclass(frozen=True)
class VoiceGraphs:
    """Serialized sub-graphs (``bytes`` of ``onnx.ModelProto``) and the tensors between them.

    ``carry``: outputs of ``durations`` that ``flow`` takes as inputs (besides ``noise_z``);
    ``graph_inputs_of_flow``: original graph inputs ``flow`` also reads (``scales``).
    """

    durations: bytes
    flow: bytes
    decoder: bytes
    w_ceil: str
    carry: tuple[str, ...]
    flow_graph_inputs: tuple[str, ...]
    prior_like: str  # the tensor whose shape the prior's noise has (1, 192, T)


def split_voice_graph(model) -> VoiceGraphs:
    """Split a Piper VITS ``onnx.ModelProto`` (not modified) into the three sub-graphs above.

    Raises:
        ValueError: the graph lacks the tensors named above (not a Piper VITS export).
    """
    import onnx
    from onnx import helper
    from onnx.utils import Extractor

    model = onnx.ModelProto.FromString(model.SerializeToString())  # a copy we may edit
    g = model.graph
    produced = {o: n for n in g.node for o in n.output}
    for name in (LATENT, NOISE_DP, NOISE_Z):
        if name not in produced:
            raise ValueError(f"not a Piper VITS graph: no tensor {name}")
    ceil = [o for n in g.node if n.op_type == "Ceil" for o in n.output]
    if len(ceil) != 1:
        raise ValueError(f"expected one Ceil (durations) node, found {len(ceil)}")
    prior_like = produced[NOISE_Z].input[0]
    # The RandomNormalLike nodes become graph inputs carrying the same tensor names.
    for name in (NOISE_DP, NOISE_Z):
        g.node.remove(produced[name])
        g.input.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    inits = {i.name for i in g.initializer}
    graph_inputs = {i.name for i in g.input}

    # Nodes of the flow: those downstream of the prior's noise and upstream of the latent.
    consumers: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    down, stack = set(), [NOISE_Z]
    while stack:
        for n in consumers.get(stack.pop(), []):
            if id(n) not in down:
                down.add(id(n))
                stack.extend(n.output)
    prod = {o: n for n in g.node for o in n.output}
    up, stack = set(), [LATENT]
    while stack:
        n = prod.get(stack.pop())
        if n is not None and id(n) not in up:
            up.add(id(n))
            stack.extend(n.input)
    flow_nodes = [n for n in g.node if id(n) in down and id(n) in up]
    flow_out = {o for n in flow_nodes for o in n.output}
    needed = {i for n in flow_nodes for i in n.input if i and i not in flow_out and i not in inits}
    flow_graph_inputs = tuple(sorted(needed & graph_inputs - {NOISE_Z}))
    carry = tuple(sorted(needed - graph_inputs))
    if prior_like not in carry:
        carry = tuple(sorted(set(carry) | {prior_like}))

    ex = Extractor(model)
    durations = ex.extract_model(["input", "input_lengths", "scales", NOISE_DP], [ceil[0], *carry])
    flow = ex.extract_model([*carry, *flow_graph_inputs, NOISE_Z], [LATENT])
    decoder = ex.extract_model([LATENT], [g.output[0].name])
    return VoiceGraphs(durations.SerializeToString(), flow.SerializeToString(), decoder.SerializeToString(),
                       ceil[0], carry, flow_graph_inputs, prior_like)


#: Latent frames of flow input decoded on each side of a block of the flow's output. The flow
#: (4 residual coupling layers, WaveNet kernel 5, 4 layers each) is convolutional too; measured on
#: the joe voice (max abs difference of the latent, whose scale reaches 44, vs one flow run):
#: 8 frames 0.93, 16 frames 2e-2, 24 frames 5e-5, 32 frames 1.3e-5 (float rounding), 48 frames 0.
FLOW_CONTEXT_FRAMES = 32


@dataclass
class Latent:
    """One sentence after ``durations``: its flow computed lazily, block by block.

    ``frames_per_id (n_ids,) int64``: latent frames per phoneme id (sums to T);
    ``z (1, 192, T) float32``: the latent, valid on frames ``[0, done)``; :meth:`ensure` extends it.
    ``feeds``: the flow's inputs over the whole sentence (frame-level tensors ``(1, C, T)``, which
    :meth:`ensure` slices, and scalars).
    """

    z: np.ndarray
    frames_per_id: np.ndarray
    feeds: Optional[dict] = None
    done: int = 0

    @property
    def frames(self) -> int:
        return int(self.z.shape[2])

    def ensure(self, graphs: "StreamingGraphs", end: int, context: int = FLOW_CONTEXT_FRAMES) -> np.ndarray:
        """Make ``z[:, :, :end]`` valid: run the flow over the missing frames ``[done, end)`` with
        ``context`` frames of its input on each side, keep ``[done, end)``; returns ``z``.

        Cost: ``end - done + 2 context`` frames of flow (~0.2 ms a frame on one core here) instead
        of the whole sentence in the first step: the first audio waits only for its own frames.
        Equal to one flow run within float rounding at :data:`FLOW_CONTEXT_FRAMES`
        (tests/test_streaming_voice.py).
        """
        T = self.frames
        end = min(int(end), T)
        if end <= self.done:
            return self.z
        a0, b0 = max(0, self.done - context), min(T, end + context)
        part = {k: (v[:, :, a0:b0] if getattr(v, "ndim", 0) == 3 and v.shape[2] == T else v)
                for k, v in self.feeds.items()}
        out = graphs.flow.run(None, part)[0]
        self.z[:, :, self.done:end] = out[:, :, self.done - a0:end - a0]
        self.done = end
        if end == T:
            self.feeds = None  # every frame is done: the inputs are not needed any more
        return self.z


class StreamingGraphs:
    """onnxruntime sessions of the three sub-graphs (thread-safe: onnxruntime sessions are).

    Args:
        graphs: from :func:`split_voice_graph`.
        make_session: ``bytes -> onnxruntime.InferenceSession`` (options and providers chosen by
            the caller, e.g. ``piper_voice.Voice.load``).
    """

    def __init__(self, graphs: VoiceGraphs, make_session):
        self.graphs = graphs
        self.durations = make_session(graphs.durations)
        self.flow = make_session(graphs.flow)
        self.decoder = make_session(graphs.decoder)

    def prior(self, ids: list[int], scales: np.ndarray, rng: np.random.Generator) -> Latent:
        """Text encoder and durations for one sentence of phoneme ``ids``; the flow not yet run
        (:meth:`Latent.ensure` runs it by blocks).

        ``scales``: ``(3,) float32`` = (noise_scale, length_scale, noise_w_scale) as Piper feeds
        them. Noise: ``rng.standard_normal`` for the durations ``(1, 2, n_ids)`` then for the prior
        ``(1, 192, T)``, drawn in that order (zeros when the matching scale is 0 keeps it exact).
        """
        g = self.graphs
        x = np.asarray(ids, dtype=np.int64)[None, :]
        feeds = {"input": x, "input_lengths": np.array([x.shape[1]], dtype=np.int64), "scales": scales,
                 NOISE_DP: rng.standard_normal((1, 2, x.shape[1]), dtype=np.float32)}
        out = self.durations.run(None, feeds)
        w_ceil = out[0].reshape(-1).astype(np.int64)
        carry = dict(zip(g.carry, out[1:]))
        flow_feeds = {**carry, NOISE_Z: rng.standard_normal(carry[g.prior_like].shape, dtype=np.float32)}
        for name in g.flow_graph_inputs:
            flow_feeds[name] = feeds[name]
        T = int(carry[g.prior_like].shape[2])
        return Latent(z=np.empty((1, carry[g.prior_like].shape[1], T), dtype=np.float32), frames_per_id=w_ceil,
                      feeds=flow_feeds)

    def latent(self, ids: list[int], scales: np.ndarray, rng: np.random.Generator) -> Latent:
        """:meth:`prior` and the flow over the whole sentence in one run (one-pass synthesis)."""
        lat = self.prior(ids, scales, rng)
        lat.ensure(self, lat.frames)  # one block: the whole sentence, no context to cut
        return lat

    def decode_window(self, z: np.ndarray, a: int, b: int, context: int = CONTEXT_FRAMES) -> np.ndarray:
        """Audio ``(256 (b - a),) float32`` of latent frames ``[a, b)``, decoded with up to
        ``context`` frames of latent on each side and cropped (the clause's edges have none).

        Equals the same samples of one-pass decoding within float rounding when ``context`` covers
        the decoder's receptive field (tests: max abs difference <= 1e-4 of full scale and SNR >= 60
        dB against one pass at :data:`CONTEXT_FRAMES`). ``z`` must be valid up to ``b + context``.
        """
        T = z.shape[2]
        a0, b0 = max(0, a - context), min(T, b + context)
        audio = self.decoder.run(None, {LATENT: np.ascontiguousarray(z[:, :, a0:b0])})[0].reshape(-1)
        return audio[(a - a0) * HOP:(b - a0) * HOP]

    def decode_all(self, z: np.ndarray) -> np.ndarray:
        """One-pass decoding of the whole latent: ``(256 T,) float32``."""
        return self.decoder.run(None, {LATENT: z})[0].reshape(-1)


def noise_rng(seed: Optional[int], *keys: int) -> np.random.Generator:
    """The noise generator of one voice run: ``numpy.random.default_rng([seed, *keys])``; fresh
    entropy when ``seed`` is None (Piper's own behaviour: different audio every run)."""
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng([int(seed), *(int(k) & 0xFFFFFFFF for k in keys)])


# ---------------------------------------------------------------------------------------- level
#: Fixed gain from the decoder's output (HiFi-GAN ends in tanh: |x| < 1; speech peaks measured
#: 0.43-0.64 over the bench lines) to PCM. Piper instead scales every chunk to 0 dBFS, which clips
#: after resampling and cannot be done before a whole clause is decoded. 2.0 keeps the loud vowels'
#: level where Piper's normalization put it (95th-percentile 10 ms RMS: median ratio 1.02, range
#: 0.75-1.31 over 12 bench lines), which the face's fixed energy reference is calibrated on
#: (``ArticulationParams.energy_ref_rms``); 0.4% of samples at most pass the soft knee.
LEVEL_GAIN = 2.0
#: Peak ceiling: -1 dBFS of int16 full scale (32768), i.e. 29204.
CEILING = int(32768 * 10 ** (-1 / 20))
#: Samples above this (-3 dBFS) pass through a soft knee that approaches CEILING asymptotically.
KNEE = int(32768 * 10 ** (-3 / 20))


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """Float samples in int16 units -> ``int16`` with every |sample| <= :data:`CEILING` (-1 dBFS).

    Memoryless, so it gives the same samples however the audio is cut into pieces (streaming):
    ``|x| <= KNEE`` passes unchanged; above, ``KNEE + (CEILING - KNEE) tanh((|x| - KNEE) / (CEILING - KNEE))``
    (a tanh soft clipper; continuous with slope 1 at the knee). Applied after resampling too, so
    no output rate can clip (soxr's band-limited interpolation overshoots between samples).
    """
    x = np.asarray(x, dtype=np.float32)
    over = np.abs(x) > KNEE
    if over.any():
        x = x.copy()
        span = float(CEILING - KNEE)
        v = x[over]
        x[over] = np.sign(v) * (KNEE + span * np.tanh((np.abs(v) - KNEE) / span))
    return np.clip(np.rint(x), -CEILING, CEILING).astype(np.int16)


def decoder_to_pcm16(audio: np.ndarray) -> np.ndarray:
    """Decoder output (float, |x| < 1) -> level-set ``int16`` (see :data:`LEVEL_GAIN`)."""
    return to_pcm16(np.asarray(audio, dtype=np.float32) * (LEVEL_GAIN * 32767.0))
