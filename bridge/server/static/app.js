// FacePlex browser preview: a third, independent client of protocol v1 (PROTOCOL.md).
//
// - msgpack through the vendored @msgpack/msgpack (window.MessagePack); every message is one
//   binary WebSocket frame holding one map.
// - Audio: an AudioContext at the session's rate and an AudioWorklet (pcm-player.worklet.js) that
//   plays each PCM chunk at its timeline `sample` and reports the sample it renders together with
//   the context frame. The face shown is the one at the sample being HEARD now (the worklet's
//   position mapped through AudioContext.getOutputTimestamp), interpolated between the two nearest
//   face frames; never the newest frame received.
// - window.faceplex exposes the state for the browser test (tests/test_browser_preview.py).

import { FaceRenderer } from "./face.js";
import { Curves, lowerBound } from "./curves.js";

const { encode, decode } = window.MessagePack;

const SUPPORTED_RATES = [16000, 22050, 24000, 44100, 48000];
const FPS = 60;
const MAX_FRAMES = 60 * 120; // keep two minutes of frames
const MAX_MARKS = 4000;
const PING_EVERY_MS = 2000;

const $ = (id) => document.getElementById(id);

const state = {
  status: "connecting", // connecting | open | ready | closed
  ws: null,
  welcome: null,
  rate: 48000,
  leadSamples: 0,
  channels: [],
  index: {},
  frames: [], // {frame, sample, utt, values: Float32Array}
  marks: [],
  utterances: new Map(), // utt -> record
  errors: [],
  log: [],
  sayCount: 0,
  pendingPings: new Map(),
  rttMs: null,
  newestSample: null,
  // audio
  ctx: null,
  node: null,
  workletReady: false,
  anchored: false,
  lastPos: null, // {pos, frame} from the worklet
  played: 0,
  late: 0,
  bufferedSamples: 0,
  wallAnchor: null, // {sample, t} for the clock while audio is not running
  displayed: { sample: null, values: null, clock: "none" },
  frozen: false,
  lastDisplayedSample: null,
};

function logEvent(text) {
  const t = (performance.now() / 1000).toFixed(2);
  state.log.push(`${t}s ${text}`);
  if (state.log.length > 200) state.log.shift();
  const el = $("log");
  if (el) {
    const line = document.createElement("div");
    line.textContent = `${t}s  ${text}`;
    el.prepend(line);
    while (el.childNodes.length > 60) el.removeChild(el.lastChild);
  }
}

function send(msg) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
  state.ws.send(encode(msg)); // Uint8Array: a binary frame
  return true;
}

// ---------------------------------------------------------------------------------------------
// Audio

/** The AudioContext: at its own rate when the protocol supports it (no resampling in the
 *  browser), else at 48 kHz. Returns the session's sample rate to ask for in `hello`. */
function createAudioContext() {
  let ctx = new AudioContext({ latencyHint: "interactive" });
  if (!SUPPORTED_RATES.includes(ctx.sampleRate)) {
    ctx.close();
    ctx = new AudioContext({ sampleRate: 48000, latencyHint: "interactive" });
  }
  state.ctx = ctx;
  return ctx.sampleRate;
}

async function setupAudio() {
  const ctx = state.ctx;
  await ctx.audioWorklet.addModule("pcm-player.worklet.js");
  const node = new AudioWorkletNode(ctx, "faceplex-pcm-player", {
    numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1],
  });
  node.port.onmessage = (e) => {
    const m = e.data;
    if (m.type === "pos") {
      state.lastPos = { pos: m.pos, frame: m.frame };
      state.played = m.played;
      state.late = m.late;
      state.bufferedSamples = m.buffered;
    }
  };
  node.connect(ctx.destination);
  state.node = node;
  state.workletReady = true;
  ctx.onstatechange = () => {
    logEvent(`audio ${ctx.state}`);
    updateAudioButton();
    if (ctx.state === "running") maybeAnchor();
  };
  updateAudioButton();
  maybeAnchor();
}

function audioRunning() {
  return state.ctx && state.ctx.state === "running" && state.workletReady;
}

/** Start the worklet's clock at the current playback estimate (continuity with the wall clock). */
function maybeAnchor(force = false) {
  if (!audioRunning() || state.newestSample === null) return;
  if (state.anchored && !force) return;
  const target = Math.max(0, Math.round(state.newestSample - state.leadSamples));
  const start = state.wallAnchor && !force ? Math.round(wallClockSample()) : target;
  state.node.port.postMessage({ type: "start", sample: Math.max(0, Math.min(start, state.newestSample)) });
  state.anchored = true;
  state.lastPos = null;
  logEvent(`audio clock anchored at sample ${start}`);
}

function wallClockSample() {
  if (!state.wallAnchor) return null;
  return state.wallAnchor.sample + ((performance.now() - state.wallAnchor.t) / 1000) * state.rate;
}

/** The timeline sample being heard now (or the wall-clock estimate while audio is off). */
function playbackSample() {
  if (audioRunning() && state.anchored && state.lastPos) {
    const ctx = state.ctx;
    let ctxFrame;
    const ts = ctx.getOutputTimestamp ? ctx.getOutputTimestamp() : null;
    if (ts && ts.performanceTime > 0 && ts.contextTime > 0) {
      ctxFrame = (ts.contextTime + (performance.now() - ts.performanceTime) / 1000) * ctx.sampleRate;
    } else {
      ctxFrame = (ctx.currentTime - (ctx.outputLatency || ctx.baseLatency || 0)) * ctx.sampleRate;
    }
    state.displayed.clock = "audio";
    return state.lastPos.pos + (ctxFrame - state.lastPos.frame);
  }
  state.displayed.clock = "wall";
  return wallClockSample();
}

function updateAudioButton() {
  const b = $("audio-btn");
  if (!b) return;
  const running = audioRunning();
  b.textContent = running ? "Audio on" : "Enable audio";
  b.classList.toggle("on", running);
}

async function ensureAudioRunning() {
  if (state.ctx && state.ctx.state !== "running") {
    try { await state.ctx.resume(); } catch (e) { logEvent(`audio resume failed: ${e}`); }
  }
}

// ---------------------------------------------------------------------------------------------
// Protocol

// The daemon's launch token (PROTOCOL.md §12) comes in the page address the ready line prints,
// http://127.0.0.1:PORT/#token=...: a fragment never leaves the browser (not in requests, logs
// or the Referer header), so only whoever was given the address can connect.
function launchToken() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  return params.get("token");
}

function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`;
  $("url").textContent = url;
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  state.status = "connecting";
  ws.onopen = () => {
    state.status = "open";
    send({
      type: "hello", id: "hello", protocol: 1,
      audio: { sample_rate: state.rate, channels: 1, format: "pcm_s16le" },
      face: { fps: FPS },
      client: "FacePlexBrowserPreview/0.1",
      token: launchToken(),
    });
    setStatus("connected, waiting for welcome");
  };
  ws.onmessage = (ev) => {
    if (typeof ev.data === "string") {
      logEvent("unexpected text frame");
      return;
    }
    let msg;
    try {
      msg = decode(new Uint8Array(ev.data));
    } catch (e) {
      logEvent(`undecodable message: ${e}`);
      return;
    }
    onMessage(msg);
  };
  ws.onclose = (ev) => {
    state.status = "closed";
    setStatus(ev.code === 1008
      ? "refused: open the page address from the daemon's ready line (it carries the token)"
      : `disconnected (${ev.code}); reload to reconnect`);
    logEvent(`closed ${ev.code} ${ev.reason || ""}`);
  };
  ws.onerror = () => logEvent("websocket error");
}

function onMessage(msg) {
  switch (msg.type) {
    case "welcome": return onWelcome(msg);
    case "face": return onFace(msg);
    case "audio": return onAudio(msg);
    case "mark": return onMark(msg);
    case "utterance_started": {
      const u = utt(msg.utt);
      u.start = msg.sample;
      u.tStarted = performance.now();
      logEvent(`${msg.utt} started at sample ${msg.sample}`);
      return;
    }
    case "utterance_finished": {
      const u = utt(msg.utt);
      u.end = msg.sample;
      u.start = msg.sample - msg.samples;
      u.outcome = "finished";
      logEvent(`${msg.utt} finished: ${(msg.samples / state.rate).toFixed(2)} s`);
      return;
    }
    case "utterance_cancelled": {
      const u = utt(msg.utt);
      u.end = msg.sample;
      u.outcome = `cancelled (${msg.reason})`;
      // Drop what is buffered of it beyond what has been played (PROTOCOL.md §4 cancel).
      const from = Math.max(msg.sample - msg.samples, Math.ceil(playbackSample() || 0));
      u.end = Math.min(u.end, from);
      if (state.node) state.node.port.postMessage({ type: "drop", utt: msg.utt, from });
      state.frames = state.frames.filter((f) => f.utt !== msg.utt || f.sample < from);
      logEvent(`${msg.utt} cancelled (${msg.reason})`);
      return;
    }
    case "configured":
      state.welcome.config = msg.config;
      state.leadSamples = Math.round((msg.config.lead_ms / 1000) * state.rate);
      return;
    case "pong": {
      const sent = state.pendingPings.get(msg.reply_to);
      if (sent !== undefined) {
        state.rttMs = performance.now() - sent;
        state.pendingPings.delete(msg.reply_to);
      }
      state.serverSample = msg.sample;
      return;
    }
    case "partner_speech_started":
      state.partnerSpeaking = true;
      logEvent(`partner speaking (sample ${msg.sample})`);
      return;
    case "partner_speech_stopped":
      state.partnerSpeaking = false;
      logEvent(`partner stopped: ${(msg.samples / state.rate).toFixed(2)} s`);
      return;
    case "partner_transcript":
      showTranscript(msg);
      return;
    case "interrupted":
      logEvent(`${msg.utt} interrupted after "${msg.text_spoken}" (${msg.samples_played} samples heard)`);
      return;
    case "warning":
      logEvent(`warning ${msg.code}: ${msg.message}`);
      return;
    case "error":
      state.errors.push({ code: msg.code, message: msg.message, reply_to: msg.reply_to });
      logEvent(`error ${msg.code}: ${msg.message}`);
      return;
    default:
      return; // unknown server message types may be ignored (§9)
  }
}

/** The player's words (PROTOCOL.md §11 `partner_transcript`): one line per stretch of speech
 *  (keyed by its `start` sample); an interim is shown greyed and replaced by later ones, the final
 *  replaces it for good. */
function showTranscript(msg) {
  const box = $("transcript");
  state.transcripts = state.transcripts || [];
  let p = box.querySelector(`p[data-start="${msg.start}"]`);
  if (!p) {
    p = document.createElement("p");
    p.dataset.start = String(msg.start);
    box.appendChild(p);
    while (box.children.length > 20) box.removeChild(box.firstChild);
  }
  if (p.dataset.final === "1") return; // a late interim never replaces the final
  p.dataset.final = msg.final ? "1" : "0";
  p.className = msg.final ? "final" : "interim";
  p.textContent = msg.text || (msg.final ? "(no words)" : "…");
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = `${msg.model}${msg.final ? ` · ${Math.round(msg.confidence * 100)}%` : ""}`;
  p.appendChild(meta);
  box.scrollTop = box.scrollHeight;
  state.transcripts.push({ text: msg.text, start: msg.start, final: msg.final, model: msg.model });
}

function onWelcome(msg) {
  state.welcome = msg;
  state.rate = msg.audio.sample_rate;
  state.channels = msg.face.channels;
  state.index = {};
  state.channels.forEach((n, i) => { state.index[n] = i; });
  state.leadSamples = Math.round(((msg.config && msg.config.lead_ms) || 150) / 1000 * state.rate);
  face.setChannels(state.channels);
  state.status = "ready";
  if (msg.config && msg.config.emotion !== undefined) {  // show the session's mood
    $("emotion").value = msg.config.emotion;
    $("emotion-intensity").value = String(msg.config.emotion_intensity);
    $("emotion-intensity-value").textContent = Number(msg.config.emotion_intensity).toFixed(2);
  }
  setStatus(`session ${msg.session} · ${msg.server} · ${state.rate} Hz · ${msg.face.fps} fps · ${state.channels.length} channels`);
  $("say-btn").disabled = false;
  logEvent(`welcome: session ${msg.session}`);
}

function utt(id) {
  let u = state.utterances.get(id);
  if (!u) {
    u = { utt: id, text: "", start: null, end: null, outcome: null, tSay: null, tStarted: null,
      tFirstAudio: null, tFirstFace: null, tHeard: null, samplesReceived: 0 };
    state.utterances.set(id, u);
  }
  return u;
}

function onFace(msg) {
  const values = Float32Array.from(msg.values);
  const f = { frame: msg.frame, sample: msg.sample, utt: msg.utt ?? null, values };
  const frames = state.frames;
  if (frames.length && frames[frames.length - 1].sample >= f.sample) {
    // Out of order would be a daemon bug; keep the list sorted anyway.
    frames.splice(lowerBound(frames, f.sample), 0, f);
  } else {
    frames.push(f);
  }
  if (frames.length > MAX_FRAMES) frames.splice(0, frames.length - MAX_FRAMES);
  if (f.utt) {
    const u = utt(f.utt);
    if (u.tFirstFace === null) u.tFirstFace = performance.now();
  }
  const prevNewest = state.newestSample;
  state.newestSample = Math.max(state.newestSample ?? 0, f.sample);
  if (!state.wallAnchor) {
    state.wallAnchor = { sample: Math.max(0, f.sample - state.leadSamples), t: performance.now() };
  } else if (prevNewest !== null && f.sample - prevNewest > state.rate) {
    // The daemon resynchronised after a stall (frame numbers jumped): follow it.
    state.wallAnchor = { sample: Math.max(0, f.sample - state.leadSamples), t: performance.now() };
    maybeAnchor(true);
  }
  maybeAnchor();
}

function onAudio(msg) {
  const pcm = msg.pcm; // Uint8Array (msgpack bin)
  const n = pcm.byteLength >> 1;
  const dv = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = dv.getInt16(2 * i, true) / 32768;
  const u = utt(msg.utt);
  if (u.tFirstAudio === null) u.tFirstAudio = performance.now();
  if (u.start === null) u.start = msg.sample;
  u.samplesReceived += n;
  u.audioEnd = msg.sample + n;
  state.newestAudioSample = msg.sample + n;
  if (state.node) {
    state.node.port.postMessage({ type: "chunk", utt: msg.utt, sample: msg.sample, data }, [data.buffer]);
  }
}

function onMark(msg) {
  state.marks.push({ utt: msg.utt, kind: msg.kind, sample: msg.sample, end: msg.end, text: msg.text,
    viseme: msg.viseme ?? null });
  if (state.marks.length > MAX_MARKS) state.marks.splice(0, state.marks.length - MAX_MARKS);
}

function say(text) {
  text = (text || "").trim();
  if (!text || state.status !== "ready") return null;
  ensureAudioRunning();
  state.sayCount += 1;
  const id = `u${state.sayCount}`;
  const u = utt(id);
  u.text = text;
  u.tSay = performance.now();
  send({ type: "say", id: `say-${id}`, utt: id, text, append: false, final: true, voice: null, style: null });
  logEvent(`say ${id}: ${text}`);
  return id;
}

// Mood: the session's emotion setting (config emotion / emotion_intensity); the face eases into it.
function sendMood() {
  const intensity = Number($("emotion-intensity").value);
  $("emotion-intensity-value").textContent = intensity.toFixed(2);
  if (state.status !== "ready") return;
  send({ type: "config", id: `mood-${Date.now()}`, settings: { emotion: $("emotion").value, emotion_intensity: intensity } });
  logEvent(`mood: ${$("emotion").value} ${intensity.toFixed(2)}`);
}

function cancelAll() {
  send({ type: "cancel", id: `cancel-${Date.now()}`, utt: null });
}

function ping() {
  if (state.status !== "ready") return;
  const id = `ping-${Math.round(performance.now())}`;
  state.pendingPings.set(id, performance.now());
  if (state.pendingPings.size > 20) state.pendingPings.delete(state.pendingPings.keys().next().value);
  send({ type: "ping", id, client_time_us: Math.round(performance.now() * 1000) });
}

// ---------------------------------------------------------------------------------------------
// Presentation

/** The face at timeline `sample`: linear interpolation of the two nearest frames. */
function valuesAt(sample) {
  const frames = state.frames;
  if (!frames.length) return null;
  const k = lowerBound(frames, sample); // first frame at or after `sample`
  if (k === 0) return frames[0].values;
  if (k >= frames.length) return frames[frames.length - 1].values; // hold; never extrapolate
  const a = frames[k - 1];
  const b = frames[k];
  const t = b.sample === a.sample ? 0 : (sample - a.sample) / (b.sample - a.sample);
  const out = new Float32Array(a.values.length);
  for (let i = 0; i < out.length; i++) out[i] = a.values[i] + (b.values[i] - a.values[i]) * t;
  return out;
}

function renderAt(sample) {
  const values = valuesAt(sample);
  face.draw(values);
  state.displayed = { sample, values, clock: state.frozen ? "test" : state.displayed.clock };
  curves.draw({
    frames: state.frames, marks: state.marks, index: state.index, rate: state.rate, playback: sample,
    utterances: [...state.utterances.values()], past_s: 3.5, future_s: 0.8,
  });
  return values;
}

function fmtMs(x) {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : `${Math.round(x)} ms`;
}

function updateStats(playback) {
  const lastSay = state.sayCount ? state.utterances.get(`u${state.sayCount}`) : null;
  if (lastSay && lastSay.start !== null && lastSay.tHeard === null && playback !== null &&
      playback >= lastSay.start && state.displayed.clock === "audio") {
    lastSay.tHeard = performance.now();
  }
  const rows = [
    ["ping round trip", fmtMs(state.rttMs)],
    ["say → utterance_started", fmtMs(lastSay && lastSay.tStarted !== null ? lastSay.tStarted - lastSay.tSay : null)],
    ["say → first audio received", fmtMs(lastSay && lastSay.tFirstAudio !== null ? lastSay.tFirstAudio - lastSay.tSay : null)],
    ["say → first face frame", fmtMs(lastSay && lastSay.tFirstFace !== null ? lastSay.tFirstFace - lastSay.tSay : null)],
    ["say → first audio heard", fmtMs(lastSay && lastSay.tHeard !== null ? lastSay.tHeard - lastSay.tSay : null)],
    ["received ahead of playback",
      fmtMs(playback !== null && state.newestSample !== null ? ((state.newestSample - playback) / state.rate) * 1000 : null)],
    ["audio output latency",
      fmtMs(state.ctx ? ((state.ctx.outputLatency || 0) + (state.ctx.baseLatency || 0)) * 1000 : null)],
    ["late audio (lost)", fmtMs((state.late / state.rate) * 1000)],
    ["playback sample", playback === null ? "–" : `${Math.round(playback)} (${state.displayed.clock})`],
  ];
  const tbody = $("stats");
  if (tbody.rows.length !== rows.length) {
    tbody.innerHTML = "";
    for (const r of rows) {
      const tr = tbody.insertRow();
      tr.insertCell().textContent = r[0];
      tr.insertCell();
    }
  }
  rows.forEach((r, i) => { tbody.rows[i].cells[1].textContent = r[1]; });
}

function frameLoop() {
  if (!state.frozen) {
    let s = playbackSample();
    if (s !== null && s !== undefined) {
      // Clock jitter must not make the face step backwards.
      if (state.lastDisplayedSample !== null && s < state.lastDisplayedSample &&
          state.lastDisplayedSample - s < state.rate * 0.05) s = state.lastDisplayedSample;
      state.lastDisplayedSample = s;
      renderAt(s);
      checkDrift(s);
    } else {
      face.draw(null);
    }
    updateStats(s ?? null);
  }
  requestAnimationFrame(frameLoop);
}

/** Re-anchor if the audio clock has drifted far from the daemon's media (stall, sleeping tab). */
function checkDrift(s) {
  if (!audioRunning() || !state.anchored || state.newestSample === null) return;
  const ahead = state.newestSample - s;
  if (ahead < -0.5 * state.rate || ahead > state.leadSamples + 2 * state.rate) {
    logEvent(`audio clock re-anchored (received ahead ${(ahead / state.rate).toFixed(2)} s)`);
    maybeAnchor(true);
  }
}

// ---------------------------------------------------------------------------------------------
// Test hooks (tests/test_browser_preview.py)

window.faceplex = {
  get state() { return state.status; },
  get micChunks() { return state.micChunks || 0; },
  /** partner_transcript messages received, in order: {text, start, final, model}. */
  get transcripts() { return state.transcripts || []; },
  /** The text shown in the "You said" box, line by line. */
  get transcriptShown() { return Array.from($("transcript").children).map((p) => p.firstChild ? p.firstChild.textContent : ""); },
  get welcome() { return state.welcome; },
  get channels() { return state.channels; },
  get sampleRate() { return state.rate; },
  get errors() { return state.errors; },
  get log() { return state.log; },
  get marks() { return state.marks; },
  get frameCount() { return state.frames.length; },
  get newestSample() { return state.newestSample; },
  /** Received frames (optionally of one utterance) as {frame, sample, utt, values: number[]}. */
  frames(uttId) {
    const fs = uttId === undefined ? state.frames : state.frames.filter((f) => f.utt === uttId);
    return fs.map((f) => ({ frame: f.frame, sample: f.sample, utt: f.utt, values: Array.from(f.values) }));
  },
  utterance(id) {
    const u = state.utterances.get(id);
    return u ? { ...u } : null;
  },
  get displayed() {
    const d = state.displayed;
    return { sample: d.sample, clock: d.clock, values: d.values ? Array.from(d.values) : null };
  },
  get audio() {
    return {
      state: state.ctx ? state.ctx.state : "none",
      contextRate: state.ctx ? state.ctx.sampleRate : null,
      workletReady: state.workletReady,
      anchored: state.anchored,
      position: audioRunning() ? playbackSample() : null,
      workletPosition: state.lastPos ? state.lastPos.pos : null,
      playedSamples: state.played,
      lateSamples: state.late,
      bufferedSamples: state.bufferedSamples,
    };
  },
  get mouth() { return face.geometry; },
  mouthRegion() { return face.mouthRegion(); },
  valuesAt(sample) { const v = valuesAt(sample); return v ? Array.from(v) : null; },
  /** Freeze the live view and draw the face (and curves) at timeline `sample`. */
  renderAt(sample) {
    state.frozen = true;
    const v = renderAt(sample);
    return v ? Array.from(v) : null;
  },
  live() { state.frozen = false; },
  /** Freeze the live view and draw a pose given by channel name, e.g. {jawOpen: 0.6} (others 0). */
  drawPose(pose) {
    state.frozen = true;
    const v = new Float32Array(state.channels.length);
    for (const [k, x] of Object.entries(pose)) {
      if (state.index[k] === undefined) throw new Error(`unknown channel ${k}`);
      v[state.index[k]] = x;
    }
    face.draw(v);
    return face.geometry;
  },
  say,
  cancelAll,
  resumeAudio: ensureAudioRunning,
};

// ---------------------------------------------------------------------------------------------
// Microphone (full duplex, PROTOCOL.md §11) and playback reports (§4 `playback`)

/** Start or stop sending the microphone as `mic` messages (mono PCM16LE at the context's rate,
 *  ~40 ms each). The browser's own echo cancellation is asked for: the daemon's echo gate is only
 *  a safeguard (README, "Full duplex"). */
async function toggleMic() {
  if (state.mic) {
    state.mic.stream.getTracks().forEach((t) => t.stop());
    state.mic.source.disconnect();
    state.mic.node.disconnect();
    state.mic = null;
    $("mic-btn").textContent = "Mic";
    $("mic-btn").classList.remove("on");
    logEvent("mic off");
    return;
  }
  await ensureAudioRunning();
  const ctx = state.ctx;
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, channelCount: 1 },
  });
  await ctx.audioWorklet.addModule("mic-capture.worklet.js");
  const source = ctx.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(ctx, "mic-capture", {
    numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: "explicit",
    processorOptions: { batchMs: 40 },
  });
  node.port.onmessage = (e) => {
    if (send({ type: "mic", id: null, sample_rate: ctx.sampleRate, channels: 1, pcm: new Uint8Array(e.data) })) {
      state.micChunks = (state.micChunks || 0) + 1;
    }
  };
  source.connect(node);
  state.mic = { stream, source, node };
  $("mic-btn").textContent = "Mic on";
  $("mic-btn").classList.add("on");
  logEvent(`mic on (${ctx.sampleRate} Hz)`);
}

/** Tell the daemon what the listener has heard (barge-in reports use it). */
function reportPlayback() {
  if (!audioRunning() || state.status === "closed") return;
  const sample = playbackSample();
  if (sample === null || sample === undefined) return;
  const s = Math.max(0, Math.floor(sample));
  let uttId = null;
  for (const [id, u] of state.utterances) {
    if (u.start !== undefined && u.start <= s && (u.end === undefined || s < u.end)) uttId = id;
  }
  send({ type: "playback", id: null, utt: uttId, sample: s, client_time_us: Math.round(performance.now() * 1000) });
}

// ---------------------------------------------------------------------------------------------
// Start

const face = new FaceRenderer($("face"));
const curves = new Curves($("curves"));

$("say-form").addEventListener("submit", (e) => {
  e.preventDefault();
  say($("text").value);
});
$("stop-btn").addEventListener("click", () => cancelAll());
$("emotion").addEventListener("change", () => sendMood());
$("emotion-intensity").addEventListener("change", () => sendMood());
$("emotion-intensity").addEventListener("input", () => {
  $("emotion-intensity-value").textContent = Number($("emotion-intensity").value).toFixed(2);
});
$("audio-btn").addEventListener("click", () => ensureAudioRunning());
$("mic-btn").addEventListener("click", () => toggleMic().catch((e) => logEvent(`mic unavailable: ${e}`)));
document.addEventListener("pointerdown", () => ensureAudioRunning(), { once: true });

try {
  state.rate = createAudioContext();
} catch (e) {
  state.rate = 48000;
  logEvent(`audio unavailable: ${e}`);
}
face.draw(null);
if (state.ctx) setupAudio().catch((e) => logEvent(`audio unavailable: ${e}`));
connect();
setInterval(ping, PING_EVERY_MS);
setInterval(reportPlayback, 200);
requestAnimationFrame(frameLoop);

function setStatus(text) {
  $("status").textContent = text;
}
