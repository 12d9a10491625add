// FacePlex browser preview: scrolling curves of the main channels around the playback position,
// with the utterance's word and phoneme marks underneath.

export const CURVES = [
  { label: "jawOpen", color: "#ff9f43", get: (v, i) => v[i.jawOpen] },
  { label: "mouthClose", color: "#48dbfb", get: (v, i) => v[i.mouthClose] },
  { label: "funnel", color: "#a29bfe", get: (v, i) => v[i.mouthFunnel] },
  { label: "pucker", color: "#fd79a8", get: (v, i) => v[i.mouthPucker] },
  { label: "smile", color: "#55efc4", get: (v, i) => (v[i.mouthSmileLeft] + v[i.mouthSmileRight]) / 2 },
  { label: "press", color: "#ffeaa7", get: (v, i) => (v[i.mouthPressLeft] + v[i.mouthPressRight]) / 2 },
  { label: "blink", color: "#dfe6e9", get: (v, i) => (v[i.eyeBlinkLeft] + v[i.eyeBlinkRight]) / 2 },
  { label: "browInnerUp", color: "#74b9ff", get: (v, i) => v[i.browInnerUp] },
  { label: "headYaw×3", color: "#b2bec3", get: (v, i) => 0.5 + 3 * v[i.headYaw], dashed: true },
];

const VISEME_COLORS = {
  sil: "#636e72", PP: "#e17055", FF: "#fdcb6e", TH: "#fab1a0", DD: "#81ecec", kk: "#74b9ff",
  CH: "#a29bfe", SS: "#55efc4", nn: "#ffeaa7", RR: "#fd79a8", aa: "#ff7675", E: "#00cec9",
  ih: "#0984e3", oh: "#6c5ce7", ou: "#e84393",
};

export class Curves {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.dpr = Math.max(1, Math.round(window.devicePixelRatio || 1));
    this.resize();
  }

  resize() {
    const cssW = this.canvas.clientWidth || 640;
    const cssH = this.canvas.clientHeight || 240;
    this.w = cssW;
    this.h = cssH;
    this.canvas.width = cssW * this.dpr;
    this.canvas.height = cssH * this.dpr;
  }

  /**
   * @param {object} s  {frames (sorted by sample), marks, index (name->i), rate, playback (sample),
   *                     utterances: [{start, end}], past_s, future_s}
   */
  draw(s) {
    const c = this.ctx;
    if (this.canvas.clientWidth && this.canvas.clientWidth !== this.w) this.resize();
    c.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    const W = this.w;
    const H = this.h;
    c.fillStyle = "#151a22";
    c.fillRect(0, 0, W, H);
    const legendW = 96;
    const plotX0 = 0;
    const plotX1 = W - legendW;
    const marksH = 40;
    const plotY0 = 8;
    const plotY1 = H - marksH - 6;
    const t0 = s.playback - s.past_s * s.rate;
    const t1 = s.playback + s.future_s * s.rate;
    const X = (sample) => plotX0 + ((sample - t0) / (t1 - t0)) * (plotX1 - plotX0);
    const Y = (val) => plotY1 - Math.max(-0.05, Math.min(1.05, val)) * (plotY1 - plotY0);

    // Speech spans (audio on the timeline).
    c.fillStyle = "rgba(255, 255, 255, 0.05)";
    for (const u of s.utterances) {
      if (u.start == null) continue;
      const a = X(u.start);
      const b = X(u.end != null ? u.end : t1);
      if (b > plotX0 && a < plotX1) c.fillRect(Math.max(plotX0, a), plotY0, Math.min(plotX1, b) - Math.max(plotX0, a), plotY1 - plotY0);
    }
    // Grid: 0, 0.5, 1 and one line per second.
    c.strokeStyle = "rgba(255,255,255,0.08)";
    c.lineWidth = 1;
    for (const val of [0, 0.5, 1]) {
      c.beginPath();
      c.moveTo(plotX0, Y(val));
      c.lineTo(plotX1, Y(val));
      c.stroke();
    }
    for (let sec = Math.ceil(t0 / s.rate); sec * s.rate < t1; sec++) {
      const x = X(sec * s.rate);
      c.beginPath();
      c.moveTo(x, plotY0);
      c.lineTo(x, H);
      c.stroke();
    }

    // Curves.
    const frames = s.frames;
    let lo = lowerBound(frames, t0) - 1;
    if (lo < 0) lo = 0;
    const idx = s.index;
    c.save();
    c.beginPath();
    c.rect(plotX0, 0, plotX1 - plotX0, H);
    c.clip();
    for (const curve of CURVES) {
      c.strokeStyle = curve.color;
      c.lineWidth = 1.6;
      c.setLineDash(curve.dashed ? [4, 3] : []);
      c.beginPath();
      let started = false;
      for (let k = lo; k < frames.length; k++) {
        const f = frames[k];
        if (f.sample > t1) break;
        const x = X(f.sample);
        const y = Y(curve.get(f.values, idx));
        if (!started) { c.moveTo(x, y); started = true; } else c.lineTo(x, y);
      }
      c.stroke();
    }
    c.setLineDash([]);

    // Marks: words on the upper row, phonemes (coloured by viseme) below.
    c.font = "11px ui-monospace, monospace";
    c.textBaseline = "middle";
    for (const m of s.marks) {
      if (m.end < t0 || m.sample > t1) continue;
      const a = X(m.sample);
      const b = X(m.end);
      if (m.kind === "word") {
        c.fillStyle = "rgba(255,255,255,0.10)";
        c.fillRect(a, H - marksH, Math.max(1, b - a - 1), 16);
        c.fillStyle = "#dfe6e9";
        c.fillText(m.text, a + 2, H - marksH + 8);
      } else {
        c.fillStyle = VISEME_COLORS[m.viseme] || "#b2bec3";
        c.globalAlpha = 0.35;
        c.fillRect(a, H - marksH + 19, Math.max(1, b - a - 1), 18);
        c.globalAlpha = 1;
        c.fillStyle = "#ffffff";
        if (b - a > 10) c.fillText(m.viseme || m.text, a + 2, H - marksH + 28);
      }
    }
    c.restore();

    // Playback cursor: what you hear now. Right of it: received, not yet played.
    const xc = X(s.playback);
    c.strokeStyle = "#ffffff";
    c.lineWidth = 2;
    c.beginPath();
    c.moveTo(xc, 0);
    c.lineTo(xc, H);
    c.stroke();
    if (frames.length) {
      const xn = X(frames[frames.length - 1].sample);
      c.strokeStyle = "rgba(255, 118, 117, 0.8)";
      c.setLineDash([3, 3]);
      c.beginPath();
      c.moveTo(xn, 0);
      c.lineTo(xn, H);
      c.stroke();
      c.setLineDash([]);
    }

    // Legend.
    c.font = "11px system-ui, sans-serif";
    c.textBaseline = "middle";
    CURVES.forEach((curve, k) => {
      const y = 14 + k * 16;
      c.fillStyle = curve.color;
      c.fillRect(plotX1 + 8, y - 2, 14, 4);
      c.fillStyle = "#dfe6e9";
      c.fillText(curve.label, plotX1 + 26, y);
    });
    c.fillStyle = "#ffffff";
    c.fillText("│ playing", plotX1 + 8, H - 30);
    c.fillStyle = "#ff7675";
    c.fillText("┆ received", plotX1 + 8, H - 14);
  }
}

/** First index whose sample is >= target (frames sorted by sample). */
export function lowerBound(frames, target) {
  let lo = 0;
  let hi = frames.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid].sample < target) lo = mid + 1; else hi = mid;
  }
  return lo;
}
