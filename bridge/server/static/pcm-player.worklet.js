// FacePlex browser preview: the audio side. An AudioWorkletProcessor that plays the session's
// PCM chunks by their timeline position (PROTOCOL.md §2), not by arrival order.
//
// Messages from the main thread (port):
//   {type: "chunk", utt, sample, data: Float32Array}  audio for timeline samples [sample, sample+len)
//   {type: "start", sample}                           (re)anchor: the next quantum plays `sample`
//   {type: "drop", utt, from}                         forget `utt`'s audio from timeline sample `from`
// Messages to the main thread:
//   {type: "pos", pos, frame, played, late, buffered} every few render quanta: the timeline sample
//   rendered at context frame `frame` (AudioWorkletGlobalScope.currentFrame), so the main thread
//   maps the audio clock to the timeline without guessing.
// Where the timeline has no audio (between utterances, or a chunk that arrived late) it plays
// silence: nothing is repeated or stretched.

const REPORT_EVERY = 4; // render quanta (128 frames each): ~10.7 ms at 48 kHz

class FacePlexPcmPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.chunks = []; // sorted by sample: {utt, sample, data}
    this.pos = null; // timeline sample of the next output frame; null until anchored
    this.played = 0; // audio samples (not silence) written to the output
    this.late = 0; // samples that arrived after their position had been played (lost)
    this.quanta = 0;
    this.reportNow = false;
    this.port.onmessage = (e) => this.onMessage(e.data);
  }

  onMessage(m) {
    if (m.type === "chunk") {
      const c = { utt: m.utt, sample: m.sample, data: m.data };
      if (this.pos !== null && c.sample < this.pos) {
        this.late += Math.min(c.data.length, this.pos - c.sample);
      }
      let i = this.chunks.length;
      while (i > 0 && this.chunks[i - 1].sample > c.sample) i--;
      this.chunks.splice(i, 0, c);
    } else if (m.type === "start") {
      this.pos = m.sample;
      this.reportNow = true;
    } else if (m.type === "drop") {
      this.chunks = this.chunks.filter((c) => c.utt !== m.utt || c.sample + c.data.length <= m.from)
        .map((c) => (c.utt === m.utt && c.sample < m.from && c.sample + c.data.length > m.from)
          ? { utt: c.utt, sample: c.sample, data: c.data.subarray(0, m.from - c.sample) } : c);
    }
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const ch0 = out[0];
    const n = ch0.length;
    ch0.fill(0);
    if (this.pos !== null) {
      const start = this.pos;
      const end = start + n;
      while (this.chunks.length && this.chunks[0].sample + this.chunks[0].data.length <= start) {
        this.chunks.shift();
      }
      for (const c of this.chunks) {
        if (c.sample >= end) break;
        const a = Math.max(start, c.sample);
        const b = Math.min(end, c.sample + c.data.length);
        for (let s = a; s < b; s++) ch0[s - start] = c.data[s - c.sample];
        if (b > a) this.played += b - a;
      }
      if (this.reportNow || this.quanta % REPORT_EVERY === 0) {
        let buffered = 0;
        for (const c of this.chunks) buffered += c.data.length;
        this.port.postMessage({
          type: "pos", pos: start, frame: currentFrame, played: this.played, late: this.late, buffered,
        });
        this.reportNow = false;
      }
      this.pos = end;
      this.quanta++;
    }
    for (let k = 1; k < out.length; k++) out[k].set(ch0);
    return true;
  }
}

registerProcessor("faceplex-pcm-player", FacePlexPcmPlayer);
